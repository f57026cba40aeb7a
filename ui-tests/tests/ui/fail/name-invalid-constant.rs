use trace_core::traced;

const NAME: &str = "has {0} placeholder";

#[traced(name = NAME)]
fn fetch() {}

fn main() {}
