// A crate that re-exports trace_core under another path.
mod telemetry {
    pub use trace_core as runtime;
}

use trace_core::{traced, SpanAttributes};

#[traced(crate = telemetry::runtime, attrs(x))]
fn with_path(x: u8) -> u8 {
    x
}

#[traced(crate = "telemetry::runtime")]
async fn with_string_path() {}

#[traced(crate = crate::telemetry::runtime)]
impl Thing {
    fn method(&self) -> Result<(), ()> {
        Ok(())
    }
}

struct Thing;

#[derive(SpanAttributes)]
#[span(crate = telemetry::runtime)]
struct Derived {
    a: u8,
}

fn main() {
    assert_eq!(with_path(1), 1);
    drop(with_string_path());
    assert!(Thing.method().is_ok());
    let _ = Derived { a: 1 }.a;
}
