use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Request {
    route: String,
    #[span(rename = "route")]
    path: String,
}

fn main() {}
