use trace_core::traced;

#[traced(name = "")]
fn fetch() {}

fn main() {}
