use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Login {
    #[span(redact, redact)]
    password: String,
}

fn main() {}
