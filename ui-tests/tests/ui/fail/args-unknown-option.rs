use trace_core::traced;

#[traced(nmae = "fetch")]
fn fetch() {}

fn main() {}
