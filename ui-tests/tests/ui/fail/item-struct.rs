use trace_core::traced;

#[traced]
pub struct Fetch {
    id: u64,
}

fn main() {}
