use trace_core::traced;

struct Service;

#[traced]
impl Service {
    #[traced]
    #[traced(kind = "client")]
    fn call(&self) {}
}

fn main() {}
