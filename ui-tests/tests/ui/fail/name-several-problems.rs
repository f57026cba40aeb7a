use trace_core::traced;

#[traced(name = "load user {} ")]
fn load() {}

fn main() {}
