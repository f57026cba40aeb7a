//! The finished span handed to exporters, and the resource and scope that describe its origin.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use crate::id::SpanId;
use crate::model::{Event, Link, SpanKind, Status};
use crate::span_context::SpanContext;
use crate::value::{KeyValue, Value};

/// A finished span, as exporters receive it.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanData {
    /// The span name.
    pub name: Cow<'static, str>,
    /// The span kind.
    pub kind: SpanKind,
    /// Ids, flags and trace state.
    pub span_context: SpanContext,
    /// The parent span, `None` for a root span.
    pub parent_span_id: Option<SpanId>,
    /// Whether the parent came from another process.
    pub parent_is_remote: bool,
    /// When the span started.
    pub start_time: SystemTime,
    /// When the span ended.
    pub end_time: SystemTime,
    /// Attributes, in the order they were first set.
    pub attributes: Vec<KeyValue>,
    /// Events, in time order.
    pub events: Vec<Event>,
    /// Links to other spans.
    pub links: Vec<Link>,
    /// Status (`Unset` unless the span failed or the application set it).
    pub status: Status,
    /// Attributes dropped by the limits.
    pub dropped_attributes_count: u32,
    /// Events dropped by the limits.
    pub dropped_events_count: u32,
    /// Links dropped by the limits.
    pub dropped_links_count: u32,
    /// The instrumentation scope that produced the span.
    pub scope: InstrumentationScope,
}

impl SpanData {
    /// The value of attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }

    /// `end_time - start_time` (zero if the clock went backwards).
    pub fn duration(&self) -> Duration {
        self.end_time
            .duration_since(self.start_time)
            .unwrap_or_default()
    }
}

/// The instrumentation scope: which library produced a span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstrumentationScope {
    /// Scope name, e.g. the crate.
    pub name: Cow<'static, str>,
    /// Scope version.
    pub version: Option<Cow<'static, str>>,
}

impl Default for InstrumentationScope {
    fn default() -> Self {
        InstrumentationScope {
            name: Cow::Borrowed("trace-core"),
            version: Some(Cow::Borrowed(env!("CARGO_PKG_VERSION"))),
        }
    }
}

/// The entity producing telemetry: `service.name` and the SDK attributes, plus whatever the
/// application adds.
///
/// # Examples
/// ```
/// use trace_core::{KeyValue, Resource};
/// let r = Resource::new("checkout", [KeyValue::new("deployment.environment.name", "prod")]);
/// assert_eq!(r.service_name(), "checkout");
/// assert_eq!(r.get("telemetry.sdk.language").and_then(|v| v.as_str()), Some("rust"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The attributes; keys are unique.
    pub attributes: Vec<KeyValue>,
}

impl Resource {
    /// A resource with `service.name`, the `telemetry.sdk.*` attributes and `extra` (which
    /// override earlier keys).
    pub fn new(
        service_name: impl Into<Cow<'static, str>>,
        extra: impl IntoIterator<Item = KeyValue>,
    ) -> Self {
        let mut r = Resource {
            attributes: vec![
                KeyValue::new("service.name", service_name.into()),
                KeyValue::new("telemetry.sdk.name", "traced"),
                KeyValue::new("telemetry.sdk.language", "rust"),
                KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
            ],
        };
        for kv in extra {
            r.set(kv);
        }
        r
    }

    /// Sets one attribute, replacing a previous value for the key.
    pub fn set(&mut self, kv: KeyValue) {
        if let Some(e) = self.attributes.iter_mut().find(|e| e.key == kv.key) {
            e.value = kv.value;
        } else {
            self.attributes.push(kv);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }

    /// `service.name`.
    pub fn service_name(&self) -> &str {
        self.get("service.name")
            .and_then(Value::as_str)
            .unwrap_or("unknown_service")
    }
}

impl Default for Resource {
    fn default() -> Self {
        Resource::new("unknown_service", [])
    }
}
