use trace_core::traced;

#[traced(attrs(id, id = 2))]
fn fetch(id: u64) {
    let _ = id;
}

fn main() {}
