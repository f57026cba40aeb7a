use trace_core::traced;

#[traced(name = "fetch ")]
fn fetch() {}

fn main() {}
