use trace_core::traced;

struct Service;

#[traced]
impl Service {
    #[traced(atrs(id))]
    fn handle(&self, id: u64) {
        let _ = id;
    }
}

fn main() {}
