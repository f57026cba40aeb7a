use trace_core::SpanAttributes;

#[derive(SpanAttributes)]
struct Login {
    #[span(redcat)]
    password: String,
}

fn main() {}
