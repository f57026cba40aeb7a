use trace_core::traced;

#[traced(ret(json))]
fn fetch() -> u8 {
    1
}

fn main() {}
