use trace_core::traced;

#[traced(attrs(userId))]
#[allow(non_snake_case)]
fn fetch(userId: u64) {
    let _ = userId;
}

fn main() {}
