//! `tracing` fields as traced attributes: typed values (`u64`, `i64`, `f64`, `bool`, `str`;
//! `Debug` values as strings), and the `otel.*` and `error` fields that mean what
//! tracing-opentelemetry users know.

use std::fmt;

use trace_core::{AttributeSink, KeyValue, SpanKind, Status, StringValue, Value};
use tracing_core::field::{Field, Visit};

/// A span field name with a meaning of its own.
pub(crate) const OTEL_NAME: &str = "otel.name";
pub(crate) const OTEL_KIND: &str = "otel.kind";
pub(crate) const OTEL_STATUS_CODE: &str = "otel.status_code";
pub(crate) const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";
pub(crate) const ERROR: &str = "error";
/// The message of an event: its name.
pub(crate) const MESSAGE: &str = "message";

/// `otel.kind`'s value, as tracing-opentelemetry reads it (case-insensitive).
pub(crate) fn parse_kind(s: &str) -> Option<SpanKind> {
    const KINDS: [(&str, SpanKind); 5] = [
        ("server", SpanKind::Server),
        ("client", SpanKind::Client),
        ("producer", SpanKind::Producer),
        ("consumer", SpanKind::Consumer),
        ("internal", SpanKind::Internal),
    ];
    KINDS
        .iter()
        .find(|(name, _)| s.eq_ignore_ascii_case(name))
        .map(|&(_, kind)| kind)
}

/// What the special fields of a span ask for, applied once the span is started (or when a
/// field is recorded later).
#[derive(Default)]
pub(crate) struct Specials {
    pub(crate) name: Option<String>,
    pub(crate) status_code: Option<String>,
    pub(crate) status_description: Option<String>,
    /// The `error` field: its text.
    pub(crate) error: Option<String>,
}

impl Specials {
    pub(crate) fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.status_code.is_none()
            && self.status_description.is_none()
            && self.error.is_none()
    }

    /// Applies them through the span handle's methods.
    pub(crate) fn apply(self, span: &dyn SpanOps) {
        if let Some(name) = self.name {
            span.rename(name);
        }
        if let Some(error) = self.error {
            span.error(error);
        }
        match self.status_code.as_deref() {
            Some(code) if code.eq_ignore_ascii_case("ok") => span.status(Status::Ok),
            Some(code) if code.eq_ignore_ascii_case("error") => span.status(Status::Error {
                description: self.status_description.unwrap_or_default().into(),
            }),
            Some(code) if code.eq_ignore_ascii_case("unset") => span.status(Status::Unset),
            _ => {}
        }
    }
}

/// The few span operations [`Specials::apply`] needs, over a `Span` or an entered token.
pub(crate) trait SpanOps {
    fn rename(&self, name: String);
    fn error(&self, description: String);
    fn status(&self, status: Status);
    fn attribute(&self, key: &'static str, value: Value);
    fn is_recording(&self) -> bool;
    fn event(&self, name: String, attributes: Vec<KeyValue>);
    fn link(&self, span_context: trace_core::SpanContext);
}

macro_rules! span_ops {
    ($($ty:ty),*) => {$(
        impl SpanOps for $ty {
            fn rename(&self, name: String) {
                self.update_name(name);
            }
            fn error(&self, description: String) {
                self.record_error_parts(description, "_OTHER");
            }
            fn status(&self, status: Status) {
                self.set_status(status);
            }
            fn attribute(&self, key: &'static str, value: Value) {
                self.set_attribute(key, &value);
            }
            fn is_recording(&self) -> bool {
                self.is_recording()
            }
            fn event(&self, name: String, attributes: Vec<KeyValue>) {
                self.add_event(name, attributes);
            }
            fn link(&self, span_context: trace_core::SpanContext) {
                self.add_link(span_context, Vec::new());
            }
        }
    )*};
}

span_ops!(
    trace_core::Span,
    trace_core::SharedSpan,
    trace_core::LocalToken,
    trace_core::SpanRef
);

/// Where a span's fields go: attributes into the sink, special fields into `specials`.
pub(crate) struct SpanFields<'s, 'a> {
    pub(crate) sink: &'s mut AttributeSink<'a>,
    pub(crate) specials: &'s mut Specials,
}

impl SpanFields<'_, '_> {
    /// `true` when the field was special (and taken).
    fn special(&mut self, field: &Field, text: impl FnOnce() -> String) -> bool {
        let slot = match field.name() {
            OTEL_NAME => &mut self.specials.name,
            OTEL_STATUS_CODE => &mut self.specials.status_code,
            OTEL_STATUS_DESCRIPTION => &mut self.specials.status_description,
            ERROR => &mut self.specials.error,
            OTEL_KIND => return true, // read before the span starts (see `KindField`)
            _ => return false,
        };
        *slot = Some(text());
        true
    }
}

impl Visit for SpanFields<'_, '_> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if !self.special(field, || value.to_string()) {
            self.sink.set(field.name(), &value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if !self.special(field, || value.to_string()) {
            self.sink.set(field.name(), &value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.special(field, || value.to_string()) {
            self.sink.set(field.name(), &value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if !self.special(field, || value.to_string()) {
            self.sink.set(field.name(), &value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.special(field, || value.to_owned()) {
            self.sink.set(field.name(), value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !self.special(field, || value.to_string()) {
            self.sink
                .set_value(field.name(), Value::Str(value.to_string().into()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.special(field, || format!("{value:?}")) {
            self.sink
                .set_value(field.name(), Value::Str(format!("{value:?}").into()));
        }
    }
}

/// Reads `otel.kind` before a span starts (the sampler sees the kind).
#[derive(Default)]
pub(crate) struct KindField(pub(crate) Option<SpanKind>);

impl Visit for KindField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == OTEL_KIND {
            self.0 = parse_kind(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == OTEL_KIND {
            self.0 = parse_kind(&format!("{value:?}"));
        }
    }
}

/// An event's fields: the message (its name) and the rest as attributes.
#[derive(Default)]
pub(crate) struct EventFields {
    pub(crate) message: Option<String>,
    pub(crate) attributes: Vec<KeyValue>,
    /// The `error` field's text.
    pub(crate) error: Option<String>,
}

impl EventFields {
    fn push(&mut self, field: &Field, value: Value) {
        self.attributes.push(KeyValue::new(field.name(), value));
    }
}

impl Visit for EventFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, trace_core::ToValue::to_value(&value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, Value::I64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, Value::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            MESSAGE => self.message = Some(value.to_owned()),
            ERROR => {
                self.error = Some(value.to_owned());
                self.push(field, Value::Str(StringValue::from(value)));
            }
            _ => self.push(field, Value::Str(StringValue::from(value))),
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let text = value.to_string();
        if field.name() == ERROR {
            self.error = Some(text.clone());
        }
        self.push(field, Value::Str(text.into()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            MESSAGE => self.message = Some(text),
            ERROR => {
                self.error = Some(text.clone());
                self.push(field, Value::Str(text.into()));
            }
            _ => self.push(field, Value::Str(text.into())),
        }
    }
}

/// Fields recorded on a span after it started (`Span::record`): attributes and specials,
/// applied through the span's handle.
#[derive(Default)]
pub(crate) struct RecordFields {
    pub(crate) attributes: Vec<(&'static str, Value)>,
    pub(crate) specials: Specials,
}

impl RecordFields {
    fn put(&mut self, field: &Field, value: Value, text: impl FnOnce(&Value) -> String) {
        let slot = match field.name() {
            OTEL_NAME => &mut self.specials.name,
            OTEL_STATUS_CODE => &mut self.specials.status_code,
            OTEL_STATUS_DESCRIPTION => &mut self.specials.status_description,
            ERROR => &mut self.specials.error,
            OTEL_KIND => return,
            name => {
                self.attributes.push((name, value));
                return;
            }
        };
        *slot = Some(text(&value));
    }

    /// Records them on `span`.
    pub(crate) fn apply(self, span: &dyn SpanOps) {
        for (key, value) in self.attributes {
            span.attribute(key, value);
        }
        if !self.specials.is_empty() {
            self.specials.apply(span);
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Str(s) => s.as_str().to_owned(),
        Value::I64(v) => v.to_string(),
        Value::F64(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
        other @ Value::Array(_) => format!("{other:?}"),
    }
}

impl Visit for RecordFields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, trace_core::ToValue::to_value(&value), text_of);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::I64(value), text_of);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::F64(value), text_of);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value), text_of);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::Str(StringValue::from(value)), text_of);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::Str(value.to_string().into()), text_of);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::Str(format!("{value:?}").into()), text_of);
    }
}
