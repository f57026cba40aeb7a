//! The `log` crate: trace and span ids on every record written inside a span, and records
//! as span events.

use std::fmt;

use log::kv::{self, Key, Source, VisitSource};
use log::{LevelFilter, Log, Metadata, Record, SetLoggerError};
use trace_core::{KeyValue, SpanId, StringValue, TraceId, Value};

/// A [`log::Log`] wrapper around any logger (`env_logger`, ...): each record written inside a
/// span reaches the inner logger with `trace_id` and `span_id` key-values (the same hex as
/// the exported span), after the record's own. Optionally
/// ([`with_span_events`](Self::with_span_events)) the record also becomes an event of the
/// current span: name = the message, attributes = its key-values, `level` and `target`.
///
/// # Examples
/// ```
/// let inner = env_logger::Builder::new().filter_level(log::LevelFilter::Info).build();
/// let max = inner.filter();
/// trace_bridge::Logger::new(inner)
///     .with_span_events(true)
///     .install(max)
///     .unwrap();
///
/// let _span = trace_core::span("checkout").start();
/// log::warn!("slow lookup"); // ... trace_id=... span_id=... on stderr
/// ```
#[derive(Debug)]
pub struct Logger<L> {
    inner: L,
    span_events: bool,
}

impl<L: Log> Logger<L> {
    /// Wraps `inner`.
    pub fn new(inner: L) -> Self {
        Logger {
            inner,
            span_events: false,
        }
    }

    /// Whether records written inside a recording span also become events of that span
    /// (default `false`).
    #[must_use]
    pub fn with_span_events(mut self, span_events: bool) -> Self {
        self.span_events = span_events;
        self
    }

    /// The wrapped logger.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: Log + 'static> Logger<L> {
    /// Installs this logger as the `log` crate's logger, with `max_level` as its maximum
    /// level (pass the inner logger's, e.g. `env_logger::Logger::filter`).
    ///
    /// # Errors
    ///
    /// When a logger is already installed.
    pub fn install(self, max_level: LevelFilter) -> Result<(), SetLoggerError> {
        log::set_boxed_logger(Box::new(self))?;
        log::set_max_level(max_level);
        Ok(())
    }
}

/// A record's key-values followed by the ids.
struct WithIds<'a> {
    source: &'a dyn Source,
    trace_id: TraceId,
    span_id: SpanId,
}

impl Source for WithIds<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), kv::Error> {
        self.source.visit(visitor)?;
        visitor.visit_pair(
            Key::from("trace_id"),
            kv::Value::from_display(&self.trace_id),
        )?;
        visitor.visit_pair(Key::from("span_id"), kv::Value::from_display(&self.span_id))
    }

    fn count(&self) -> usize {
        self.source.count() + 2
    }
}

/// A record's key-values as span event attributes.
struct Attributes(Vec<KeyValue>);

impl<'kvs> VisitSource<'kvs> for Attributes {
    fn visit_pair(&mut self, key: Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        let value = if let Some(v) = value.to_bool() {
            Value::Bool(v)
        } else if let Some(v) = value.to_i64() {
            Value::I64(v)
        } else if let Some(v) = value.to_f64() {
            Value::F64(v)
        } else if let Some(v) = value.to_borrowed_str() {
            Value::Str(StringValue::from(v))
        } else {
            Value::Str(value.to_string().into())
        };
        self.0.push(KeyValue::new(key.as_str().to_owned(), value));
        Ok(())
    }
}

impl<L: Log> Log for Logger<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if self.span_events && self.inner.enabled(record.metadata()) {
            record_event(record);
        }
        let (Some(trace_id), Some(span_id)) = (
            trace_core::current_trace_id(),
            trace_core::current_span_id(),
        ) else {
            self.inner.log(record);
            return;
        };
        let source = WithIds {
            source: record.key_values(),
            trace_id,
            span_id,
        };
        self.inner.log(
            &Record::builder()
                .args(*record.args())
                .metadata(record.metadata().clone())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .key_values(&source)
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Adds `record` to the current span, if it is recording.
fn record_event(record: &Record<'_>) {
    let span = trace_core::current_span();
    if !span.is_recording() {
        return;
    }
    let mut attributes = Attributes(Vec::new());
    let _ = record.key_values().visit(&mut attributes);
    let mut attributes = attributes.0;
    attributes.push(KeyValue::new(
        "level",
        Value::Str(StringValue::from_static(level_name(record.level()))),
    ));
    attributes.push(KeyValue::new(
        "target",
        Value::Str(StringValue::from(record.target())),
    ));
    let name = match record.args().as_str() {
        Some(s) => s.to_owned(),
        None => fmt::format(*record.args()),
    };
    span.add_event(name, attributes);
}

/// The level as `tracing` spells it (`WARN`), so both sources' events read the same.
fn level_name(level: log::Level) -> &'static str {
    match level {
        log::Level::Error => "ERROR",
        log::Level::Warn => "WARN",
        log::Level::Info => "INFO",
        log::Level::Debug => "DEBUG",
        log::Level::Trace => "TRACE",
    }
}
