use trace_core::traced;

#[traced(ret)]
fn fetch() {}

fn main() {}
