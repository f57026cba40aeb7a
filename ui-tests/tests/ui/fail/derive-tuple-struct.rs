use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Pair(u32, u32);

fn main() {}
