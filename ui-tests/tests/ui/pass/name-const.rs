use trace_core::traced;

const NAME: &str = "from.a.constant";

mod names {
    pub const OTHER: &str = "GET /users/{id}";
}

#[traced(name = NAME)]
fn one() {}

#[traced(name = names::OTHER, kind = "server")]
fn two() {}

fn main() {
    one();
    two();
}
