use trace_core::traced;

#[traced(level = "debgu")]
fn fetch() {}

fn main() {}
