use trace_core::traced;

struct Service;

#[traced(attrs(id))]
impl Service {
    fn handle(&self, id: u64) {
        let _ = id;
    }
}

fn main() {}
