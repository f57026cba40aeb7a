use trace_core::traced;

#[traced(nmae = "x", kind = "serve", attrs(usr), ret(json))]
fn fetch(user: u64) -> u64 {
    user
}

fn main() {}
