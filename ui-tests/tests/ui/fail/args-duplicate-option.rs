use trace_core::traced;

#[traced(name = "a", name = "b")]
fn fetch() {}

fn main() {}
