//! Trace ids in every log line: tracing-subscriber's `fmt` (plain and JSON) and the `log`
//! crate through `env_logger`; `log` records as span events.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use support::{exporter, only, subscriber};
use trace_bridge::WithTraceIds;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[test]
fn fmt_lines_carry_the_ids_plain_and_json() {
    exporter();
    let plain = Buffer::default();
    let json = Buffer::default();
    let subscriber = tracing_subscriber::registry()
        .with(trace_bridge::tracing_layer())
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(plain.clone())
                .event_format(WithTraceIds::new(tracing_subscriber::fmt::format())),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(json.clone())
                .event_format(WithTraceIds::new(tracing_subscriber::fmt::format().json())),
        );
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("outside any span");
        let _s = tracing::info_span!("fmt_span").entered();
        tracing::info!(user = 7_u64, "inside");
    });
    let span = only("fmt_span");
    let (trace_id, span_id) = (span.span_context.trace_id, span.span_context.span_id);

    let plain = plain.text();
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines.len(), 2, "{plain}");
    assert!(!lines[0].contains("trace_id"), "{plain}");
    assert!(
        lines[1].starts_with(&format!("trace_id={trace_id} span_id={span_id} ")),
        "{plain}"
    );

    let json = json.text();
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{json}");
    assert!(lines[0].get("trace_id").is_none());
    assert_eq!(lines[1]["trace_id"], trace_id.to_string());
    assert_eq!(lines[1]["span_id"], span_id.to_string());
    assert_eq!(lines[1]["fields"]["message"], "inside");
}

#[test]
fn log_records_carry_the_ids_and_become_span_events() {
    exporter();
    let out = Buffer::default();
    let inner = env_logger::Builder::new()
        .filter_level(log::LevelFilter::Info)
        .target(env_logger::Target::Pipe(Box::new(out.clone())))
        .format_timestamp(None)
        .build();
    let max = inner.filter();
    trace_bridge::Logger::new(inner)
        .with_span_events(true)
        .install(max)
        .unwrap();

    log::info!("outside any span");
    tracing::subscriber::with_default(subscriber(), || {
        let _s = tracing::info_span!("log_span").entered();
        log::warn!(rows = 3; "slow lookup");
        log::debug!("filtered out");
    });
    let span = only("log_span");
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(!lines[0].contains("trace_id"), "{text}");
    assert!(
        lines[1].contains(&format!("trace_id={}", span.span_context.trace_id))
            && lines[1].contains(&format!("span_id={}", span.span_context.span_id))
            && lines[1].contains("rows=3"),
        "{text}"
    );
    assert_eq!(span.events.len(), 1, "{span:#?}");
    let event = &span.events[0];
    assert_eq!(event.name, "slow lookup");
    let attr = |k: &str| {
        event
            .attributes
            .iter()
            .find(|kv| kv.key == k)
            .map(|kv| kv.value.clone())
    };
    assert_eq!(attr("rows"), Some(trace_core::Value::I64(3)));
    assert_eq!(attr("level"), Some(trace_core::Value::from("WARN")));
}
