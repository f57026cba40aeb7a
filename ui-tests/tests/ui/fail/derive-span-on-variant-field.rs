use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
enum Error {
    NotFound(#[span(redact)] String),
}

fn main() {}
