use trace_core::traced;

#[traced(ret(display, debug))]
fn fetch() -> u8 {
    1
}

fn main() {}
