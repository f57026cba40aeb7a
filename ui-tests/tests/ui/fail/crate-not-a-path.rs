use trace_core::traced;

#[traced(crate = "not a path")]
fn fetch() {}

fn main() {}
