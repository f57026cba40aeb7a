use trace_core::traced;

#[traced(convention = "http.clinet")]
fn get() {}

fn main() {}
