use trace_core::traced;

#[traced(attrs(id = ))]
fn fetch(id: u64) -> u64 {
    id
}

fn main() {
    // The function is still emitted: this call does not add a second error.
    let _ = fetch(1);
}
