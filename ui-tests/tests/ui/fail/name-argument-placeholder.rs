use trace_core::traced;

#[traced(name = "load user {id}")]
fn load(id: u64) {
    let _ = id;
}

fn main() {}
