use trace_core::traced;

#[traced(name = "fetch\nuser")]
fn fetch() {}

fn main() {}
