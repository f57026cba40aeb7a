//! The `tracing` layer: each `tracing` span a traced span, on the same per-thread stack as
//! `#[traced]` spans, so the two kinds nest in either direction; events as span events.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use smallvec::SmallVec;
use trace_core::{EnteredToken, KeyValue, Span, SpanContext, StringValue, Value};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, SpanRef};
use tracing_subscriber::Layer;

use crate::fields::{
    EventFields, KindField, RecordFields, SpanFields, SpanOps, Specials, OTEL_KIND,
};

/// A `tracing_subscriber` [`Layer`] under which every `tracing` span is a traced span and
/// every event an event of the current span; see [`tracing_layer`].
#[derive(Clone, Debug)]
pub struct TracingLayer {
    events: bool,
    event_target: bool,
}

/// The layer that puts `tracing` spans and events into traced's trees.
///
/// - A `tracing` span is a traced span in the same tree, in both directions: opened inside
///   a `#[traced]` function it is that function's child, and a `#[traced]` function called
///   inside it (sync, or an `async fn` under `tracing::Instrument`) is its child. Spans
///   with an explicit `parent:` take that parent; `parent: None` starts a new trace.
/// - Fields become typed attributes (`u64`, `i64`, `f64`, `bool`, `str`; other values by
///   `Debug`, as strings). As with tracing-opentelemetry, `otel.name` renames the span,
///   `otel.kind` sets its kind (`server`, `client`, `producer`, `consumer`, `internal`),
///   `otel.status_code` (`ok`, `error`) and `otel.status_description` its status, and an
///   `error` field records the error (status `Error`, `error.type` `_OTHER`).
/// - An event becomes an event of the current span, whether `#[traced]` or `tracing`
///   opened it: its name is the message, its attributes the other fields plus `level` (and
///   `target`, see [`with_event_target`](TracingLayer::with_event_target)). An `ERROR`
///   event with an `error` field records that error on the span.
/// - Filters work as for any layer (`layer.with_filter(EnvFilter::new(..))`, `Targets`):
///   a span the filter rejects is not a traced span, and its children attach to the nearest
///   enabled ancestor.
/// - Sampling is traced's: a span the sampler drops records nothing. With no tracer
///   installed the layer does nothing; spans started after a tracer is installed are
///   recorded.
///
/// # Examples
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// use trace_core::Tracer;
/// use trace_exporters::InMemoryExporter;
///
/// let exporter = InMemoryExporter::new();
/// let guard = Tracer::builder().simple_exporter(exporter.clone()).install_global();
/// let subscriber = tracing_subscriber::registry().with(trace_bridge::tracing_layer());
///
/// tracing::subscriber::with_default(subscriber, || {
///     let _request = tracing::info_span!("request", http.route = "/orders").entered();
///     let _lookup = trace_core::span("lookup").start(); // a child of "request"
///     tracing::info!(rows = 3_u64, "cache miss");        // an event of "lookup"
/// });
///
/// let lookup = exporter.find("lookup").unwrap();
/// let request = exporter.find("request").unwrap();
/// assert_eq!(lookup.parent_span_id, Some(request.span_context.span_id));
/// assert_eq!(lookup.events[0].name, "cache miss");
/// guard.shutdown().unwrap();
/// ```
pub fn tracing_layer() -> TracingLayer {
    TracingLayer {
        events: true,
        event_target: false,
    }
}

impl Default for TracingLayer {
    fn default() -> Self {
        tracing_layer()
    }
}

impl TracingLayer {
    /// Whether events become span events (default `true`).
    #[must_use]
    pub fn with_events(mut self, events: bool) -> Self {
        self.events = events;
        self
    }

    /// Whether span events carry the event's `target` as an attribute (default `false`:
    /// `level` only).
    #[must_use]
    pub fn with_event_target(mut self, target: bool) -> Self {
        self.event_target = target;
        self
    }
}

/// What the layer keeps in a `tracing` span's extensions: the traced span, and the tokens
/// of the threads it is entered on (innermost last).
struct Bridged(Mutex<Inner>);

struct Inner {
    span: Span,
    entered: SmallVec<[EnteredToken; 1]>,
    /// `otel.status_description` recorded before `otel.status_code`.
    description: Option<String>,
}

impl Bridged {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while held cannot leave `Inner` half-updated in a way that matters.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Bridged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridged").finish_non_exhaustive()
    }
}

impl Inner {
    /// Runs `f` on whichever handle records on the span from this thread: the token when it
    /// is entered here, the span itself otherwise.
    fn with_ops<R>(&self, f: impl FnOnce(&dyn SpanOps) -> R) -> R {
        match self
            .entered
            .iter()
            .rev()
            .find(|t| t.is_entered() && t.is_on_this_thread())
        {
            Some(token) => f(token),
            None => f(&self.span),
        }
    }

    fn span_context(&self) -> SpanContext {
        match self
            .entered
            .iter()
            .rev()
            .find(|t| t.is_entered() && t.is_on_this_thread())
        {
            Some(token) => token.span_context(),
            None => self.span.span_context(),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closed while still entered on this thread (a subscriber that closes entered
        // spans): leave first, so the span ends instead of staying on the stack.
        while let Some(pos) = self
            .entered
            .iter()
            .rposition(EnteredToken::is_on_this_thread)
        {
            let token = self.entered.remove(pos);
            self.span.exit_owned(token);
        }
    }
}

/// The span context of a bridged `tracing` span (for explicit parents and links).
fn context_of<S>(span: &SpanRef<'_, S>) -> Option<SpanContext>
where
    S: for<'a> LookupSpan<'a>,
{
    let ext = span.extensions();
    let cx = ext.get::<Bridged>()?.lock().span_context();
    cx.is_valid().then_some(cx)
}

impl<S> Layer<S> for TracingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !trace_core::is_enabled() {
            return;
        }
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        let meta = attrs.metadata();
        let mut builder = trace_core::span(meta.name());
        if meta.fields().field(OTEL_KIND).is_some() {
            let mut kind = KindField::default();
            attrs.record(&mut kind);
            if let Some(kind) = kind.0 {
                builder = builder.kind(kind);
            }
        }
        if attrs.is_root() {
            builder = builder.no_parent();
        } else if let Some(parent) = attrs.parent() {
            // An explicit parent: its context, if it is bridged (a parent the filter
            // rejected leaves the span under the current one).
            if let Some(cx) = ctx.span(parent).as_ref().and_then(context_of) {
                builder = builder.parent(cx);
            }
        }
        let mut specials = Specials::default();
        let span = builder.start_detached_with(|sink| {
            attrs.record(&mut SpanFields {
                sink,
                specials: &mut specials,
            });
        });
        if !specials.is_empty() {
            specials.apply(&span);
        }
        span_ref.extensions_mut().insert(Bridged(Mutex::new(Inner {
            span,
            entered: SmallVec::new(),
            description: None,
        })));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let ext = span.extensions();
        let Some(bridged) = ext.get::<Bridged>() else {
            return;
        };
        if !bridged.lock().with_ops(|span| span.is_recording()) {
            return;
        }
        // Collected with the lock released: a `Debug` value may itself emit events.
        let mut fields = RecordFields::default();
        values.record(&mut fields);
        let mut inner = bridged.lock();
        let specials = &mut fields.specials;
        match (&specials.status_code, &specials.status_description) {
            (None, Some(_)) => inner.description = specials.status_description.take(),
            (Some(_), None) => specials.status_description = inner.description.take(),
            _ => {}
        }
        inner.with_ops(|span| fields.apply(span));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let (Some(span), Some(follows)) = (ctx.span(id), ctx.span(follows)) else {
            return;
        };
        let Some(cx) = context_of(&follows) else {
            return;
        };
        let ext = span.extensions();
        if let Some(bridged) = ext.get::<Bridged>() {
            bridged.lock().with_ops(|span| span.link(cx));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !self.events || !trace_core::is_enabled() {
            return;
        }
        if event.is_root() {
            return; // `parent: None`: no span to record on
        }
        if let Some(parent) = event.parent() {
            let Some(span) = ctx.span(parent) else {
                return;
            };
            let ext = span.extensions();
            if let Some(bridged) = ext.get::<Bridged>() {
                if bridged.lock().with_ops(|span| span.is_recording()) {
                    // Collected with the lock released: a `Debug` value may emit events.
                    let (name, attributes, error) = self.collect(event);
                    bridged
                        .lock()
                        .with_ops(|span| record(span, name, attributes, error));
                }
            }
            return;
        }
        self.record_event(event, &trace_core::current_span());
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let ext = span.extensions();
        if let Some(bridged) = ext.get::<Bridged>() {
            let mut inner = bridged.lock();
            let token = inner.span.enter_owned();
            inner.entered.push(token);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let ext = span.extensions();
        if let Some(bridged) = ext.get::<Bridged>() {
            let mut inner = bridged.lock();
            // The innermost enter on this thread; an exit on a thread that did not enter
            // the span has nothing to leave.
            if let Some(pos) = inner
                .entered
                .iter()
                .rposition(EnteredToken::is_on_this_thread)
            {
                let token = inner.entered.remove(pos);
                inner.span.exit_owned(token);
            }
        }
    }

    // No `on_close`: the registry drops a closed span's extensions right after the layers'
    // `on_close` (on the closing thread), and dropping `Bridged` ends the span. Removing it
    // here cost a second lookup and a write lock per span (~450 instructions).
}

impl TracingLayer {
    /// Records `event` on `span` (if it is recording).
    fn record_event(&self, event: &Event<'_>, span: &dyn SpanOps) {
        if span.is_recording() {
            let (name, attributes, error) = self.collect(event);
            record(span, name, attributes, error);
        }
    }

    /// An event's name (its message), attributes (the other fields, `level`, and maybe
    /// `target`), and the error to record (an `ERROR` event's `error` field).
    fn collect(&self, event: &Event<'_>) -> (String, Vec<KeyValue>, Option<String>) {
        let meta = event.metadata();
        let mut fields = EventFields::default();
        event.record(&mut fields);
        let level = *meta.level();
        fields.attributes.push(KeyValue::new(
            "level",
            Value::Str(StringValue::from_static(level.as_str())),
        ));
        if self.event_target {
            fields.attributes.push(KeyValue::new(
                "target",
                Value::Str(StringValue::from_static(meta.target())),
            ));
        }
        let error = if level == Level::ERROR {
            fields.error.take()
        } else {
            None
        };
        let name = fields
            .message
            .take()
            .unwrap_or_else(|| meta.name().to_owned());
        (name, fields.attributes, error)
    }
}

/// Adds the event to `span`, and records `error` on it.
fn record(span: &dyn SpanOps, name: String, attributes: Vec<KeyValue>, error: Option<String>) {
    if let Some(error) = error {
        span.error(error);
    }
    span.event(name, attributes);
}
