use trace_core::traced;

struct Service;

#[traced]
impl Service {
    #[traced(skip, name = "helper")]
    fn helper(&self) {}
}

fn main() {}
