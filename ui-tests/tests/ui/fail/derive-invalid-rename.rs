use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Request {
    #[span(rename = "request method")]
    method: String,
}

fn main() {}
