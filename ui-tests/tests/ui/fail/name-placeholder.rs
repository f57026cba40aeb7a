use trace_core::traced;

#[traced(name = "fetch user {}")]
fn fetch(user: u64) {
    let _ = user;
}

fn main() {}
