use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
enum Mode {
    #[span(skip)]
    Fast,
}

fn main() {}
