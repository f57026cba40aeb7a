use trace_core::traced;

#[traced(skip)]
fn fetch() {}

fn main() {}
