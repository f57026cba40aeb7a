use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Login {
    #[span(skip, redact)]
    password: String,
}

fn main() {}
