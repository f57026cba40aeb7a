use trace_core::traced;

#[traced(kind = "serve")]
fn fetch() {}

fn main() {}
