use trace_core::traced;

#[traced]
const fn fetch() -> u8 {
    1
}

fn main() {}
