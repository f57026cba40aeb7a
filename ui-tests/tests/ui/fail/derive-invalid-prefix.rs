use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
#[span(prefix = "Http")]
struct Request {
    route: String,
}

fn main() {}
