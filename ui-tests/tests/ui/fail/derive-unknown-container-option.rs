use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
#[span(prefx = "http")]
struct Request {
    route: String,
}

fn main() {}
