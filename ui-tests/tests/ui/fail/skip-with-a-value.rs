use trace_core::traced;

struct Service;

#[traced]
impl Service {
    #[traced(skip = true)]
    fn helper(&self) {}
}

fn main() {}
