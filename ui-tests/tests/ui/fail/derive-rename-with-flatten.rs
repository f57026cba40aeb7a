use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Inner {
    a: u8,
}

#[derive(SpanAttributes)]
struct Outer {
    #[span(flatten, rename = "inner")]
    inner: Inner,
}

fn main() {}
