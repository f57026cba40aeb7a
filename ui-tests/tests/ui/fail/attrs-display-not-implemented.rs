use trace_core::traced;

struct Opaque;

#[traced(attrs(%opaque))]
fn fetch(opaque: Opaque) {}

fn main() {}
