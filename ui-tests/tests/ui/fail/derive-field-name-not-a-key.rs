use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
#[allow(non_snake_case)]
struct Request {
    userId: u64,
}

fn main() {}
