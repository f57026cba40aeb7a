use trace_core::traced;

#[traced(convention = http_client)]
fn get() {}

fn main() {}
