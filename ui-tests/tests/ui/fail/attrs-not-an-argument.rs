use trace_core::traced;

#[traced(attrs(usr_id))]
fn fetch(user_id: u64) {
    let _ = user_id;
}

fn main() {}
