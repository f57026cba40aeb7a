use trace_core::traced;

#[traced(attrs = "id")]
fn fetch(id: u64) {
    let _ = id;
}

fn main() {}
