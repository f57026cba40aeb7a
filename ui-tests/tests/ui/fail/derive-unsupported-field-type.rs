use trace_core::SpanAttributes;

struct Opaque;

#[derive(SpanAttributes)]
struct Request {
    route: String,
    opaque: Opaque,
}

fn main() {}
