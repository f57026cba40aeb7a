use trace_core::traced;

struct Service;

#[traced(skip)]
impl Service {
    fn handle(&self) {}
}

fn main() {}
