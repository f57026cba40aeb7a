use trace_core::traced;

#[traced(kind = Server)]
fn fetch() {}

fn main() {}
