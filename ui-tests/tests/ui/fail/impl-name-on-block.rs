use trace_core::traced;

struct Service;

#[traced(name = "service")]
impl Service {
    fn handle(&self) {}
}

fn main() {}
