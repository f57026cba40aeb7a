use trace_core::traced;

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure")
    }
}

#[traced(err(type = 42))]
fn work() -> Result<(), Failure> {
    Err(Failure)
}

fn main() {}
