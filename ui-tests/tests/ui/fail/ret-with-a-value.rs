use trace_core::traced;

#[traced(ret = true)]
fn fetch() -> u8 {
    1
}

fn main() {}
