//! Exports a known trace over OTLP, set up from the standard `OTEL_*` variables.
//!
//! The trace: a server span `otlp_export.parent` with one attribute of every value type, an
//! event and a link (to a span of another trace, `otlp_export.origin`), and under it a client
//! span `otlp_export.fetch` that fails. The program flushes, prints the parent's trace id on
//! stdout and exits 0, or prints the export error on stderr and exits 1.
//!
//! Run a collector on 127.0.0.1:4318 (for instance `scripts/otlp_e2e.sh` does) and:
//!
//! ```text
//! OTEL_SERVICE_NAME=otlp-example OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
//!   cargo run -p examples --example otlp_export
//! ```

use std::fmt;
use std::process::ExitCode;

use trace_core::{Array, KeyValue, SpanKind, StringValue, Value, span, traced};

#[derive(Debug)]
struct UpstreamUnavailable;

impl fmt::Display for UpstreamUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upstream answered 503 Service Unavailable")
    }
}

impl std::error::Error for UpstreamUnavailable {}

/// The failing client call: `#[traced]` records the error (status, `error.type`).
#[traced(name = "otlp_export.fetch", kind = "client", attrs(item_id))]
fn fetch(item_id: i64) -> Result<String, UpstreamUnavailable> {
    let _ = item_id;
    Err(UpstreamUnavailable)
}

fn emit() -> String {
    // A span of another trace, for the link.
    let origin = span("otlp_export.origin")
        .kind(SpanKind::Producer)
        .no_parent()
        .start();
    let origin_context = origin.span_context();
    drop(origin);

    let parent = span("otlp_export.parent")
        .kind(SpanKind::Server)
        .no_parent()
        .attribute("example.bool", true)
        .attribute("example.int", -42i64)
        .attribute("example.double", 2.5f64)
        .attribute("example.string", "héllo \"otlp\"")
        .attribute(
            "example.bool_array",
            Value::Array(Array::Bool(vec![true, false])),
        )
        .attribute("example.int_array", Value::Array(Array::I64(vec![1, 2, 3])))
        .attribute(
            "example.double_array",
            Value::Array(Array::F64(vec![0.5, -1.25])),
        )
        .attribute(
            "example.string_array",
            Value::Array(Array::Str(vec![
                StringValue::from("a"),
                StringValue::from("b"),
            ])),
        )
        .link(origin_context)
        .start();
    parent.add_event(
        "cache.miss",
        vec![
            KeyValue::new("cache.key", "item:7"),
            KeyValue::new("cache.attempt", 1i64),
        ],
    );
    let trace_id = parent.span_context().trace_id.to_string();
    if let Err(e) = fetch(7) {
        parent.set_attribute("example.fetch_failed", &e.to_string());
    }
    drop(parent);
    trace_id
}

fn main() -> ExitCode {
    let guard = match trace_exporters::init_from_env() {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("otlp_export: {e}");
            return ExitCode::FAILURE;
        }
    };
    let trace_id = emit();
    // Shutting down flushes every span; an export failure is reported.
    if let Err(e) = guard.shutdown() {
        eprintln!("otlp_export: export failed: {e}");
        return ExitCode::FAILURE;
    }
    println!("{trace_id}");
    ExitCode::SUCCESS
}
