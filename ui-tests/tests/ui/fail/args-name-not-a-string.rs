use trace_core::traced;

#[traced(name = 42)]
fn fetch() {}

fn main() {}
