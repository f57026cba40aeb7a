//! The `tracing` layer: each `tracing` span a traced span, on the same per-thread stack as
//! `#[traced]` spans, so the two kinds nest in either direction; events as span events.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use trace_core::{KeyValue, LocalToken, SharedSpan, SpanContext, StringValue, Value};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
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
    /// Numbered when added to a subscriber (0: not yet, nothing is cached).
    instance: u64,
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
        instance: 0,
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

/// What the layer keeps in the extensions of a `tracing` span that records, or whose
/// context other threads need: the traced span, shared.
struct Bridged(Arc<Shared>);

struct Shared {
    span: SharedSpan,
    /// `otel.status_description` recorded before `otel.status_code`.
    description: Mutex<Option<String>>,
}

impl fmt::Debug for Bridged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridged").finish_non_exhaustive()
    }
}

/// A span's key on this thread: the layer instance (ids of two registries can be equal)
/// and the `tracing` id.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    instance: u64,
    id: u64,
}

/// Nothing: instance 0 is never a layer's number.
const NO_KEY: Key = Key { instance: 0, id: 0 };

/// A span entered on this thread, until its exit.
struct Entered {
    key: Key,
    token: LocalToken,
    /// `None`: a left-out span's enter ([`trace_core::enter_not_sampled`]).
    held: Option<Arc<Shared>>,
}

/// This thread's view of the layer's spans. The spans last started here skip the registry
/// on their enters: the usual `tracing` span is started, entered, left and closed on one
/// thread.
struct Local {
    /// The shared span last started here (a second handle, which does not keep it).
    last: RefCell<Option<(Key, Weak<Shared>)>>,
    /// Spans entered here, innermost last.
    entered: RefCell<Vec<Entered>>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            last: RefCell::new(None),
            entered: RefCell::new(Vec::new()),
        }
    };
}

/// The left-out spans of this thread (cells only: no destructor, so no registration check
/// on each access).
struct Dropped {
    /// The left-out span last started here: one the sampler drops with everything below
    /// it ([`trace_core::subtree_dropped_here`]), kept nowhere. Entered, it makes the
    /// thread's context one whose spans are dropped; entered on another thread, its
    /// nearest shared ancestor's context stands for it (which decides the same).
    last: Cell<Key>,
    /// One enter of a left-out span, beside the stack (the usual span is entered once at
    /// a time); its other enters go on the stack.
    entered: Cell<Option<(Key, LocalToken)>>,
}

thread_local! {
    static DROPPED: Dropped = const {
        Dropped {
            last: Cell::new(NO_KEY),
            entered: Cell::new(None),
        }
    };
}

/// Runs `f` on this thread's state (`None` during thread exit).
#[inline]
fn with_local<R>(f: impl FnOnce(&Local) -> R) -> Option<R> {
    LOCAL.try_with(f).ok()
}

/// Layer instances, numbered when added to a subscriber.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// A span found through this thread's cache or the registry.
enum Found {
    Shared(Arc<Shared>),
    /// Left out (dropped with everything below it), started on this thread.
    Dropped,
    /// Not found: not a traced span (started with no tracer, rejected by a filter), or
    /// left out on another thread.
    Nothing,
}

impl TracingLayer {
    #[inline]
    fn key(&self, id: &Id) -> Key {
        Key {
            instance: self.instance,
            id: id.into_u64(),
        }
    }

    /// The span `id` stands for: this thread's cache, then its extensions.
    fn find<S>(&self, id: &Id, ctx: &Context<'_, S>) -> Found
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let key = self.key(id);
        if self.instance != 0 {
            if DROPPED.with(|d| d.last.get()) == key {
                return Found::Dropped;
            }
            let cached = with_local(|l| match &*l.last.try_borrow().ok()? {
                Some((k, weak)) if *k == key => weak.upgrade().map(Found::Shared),
                _ => None,
            })
            .flatten();
            if let Some(found) = cached {
                return found;
            }
        }
        let Some(span) = ctx.span(id) else {
            return Found::Nothing;
        };
        let ext = span.extensions();
        match ext.get::<Bridged>() {
            Some(bridged) => Found::Shared(Arc::clone(&bridged.0)),
            None => Found::Nothing,
        }
    }

    /// The context children of `id` take from it (for a span left out on another thread,
    /// its nearest shared ancestor's); `None` for a span left out here.
    fn context_of<S>(&self, id: &Id, ctx: &Context<'_, S>) -> Option<SpanContext>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let cx = match self.find(id, ctx) {
            Found::Shared(shared) => shared.span.span_context(),
            Found::Dropped => return None,
            Found::Nothing => Self::ancestor(id, ctx)?.span.span_context(),
        };
        cx.is_valid().then_some(cx)
    }

    /// The nearest ancestor of `id` in the registry that is shared and records nothing:
    /// what a span left out on another thread stands for here.
    fn ancestor<S>(id: &Id, ctx: &Context<'_, S>) -> Option<Arc<Shared>>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let span = ctx.span(id)?;
        for ancestor in span.scope().skip(1) {
            let ext = ancestor.extensions();
            if let Some(bridged) = ext.get::<Bridged>() {
                // Under a sampled span, `id` was not left out: it is not a traced span.
                return (!bridged.0.span.is_sampled()).then(|| Arc::clone(&bridged.0));
            }
        }
        // None shared up to the root: a chain left out whole (a root the sampler drops),
        // or not traced spans; entering nothing for it leaves this thread's context as is.
        None
    }

    /// Runs `f` on whichever handle records on span `id` from this thread: the token when it
    /// is entered here, the shared span otherwise (`None`: it records nothing).
    fn with_ops<S, R>(
        &self,
        id: &Id,
        ctx: &Context<'_, S>,
        f: impl FnOnce(&dyn SpanOps) -> R,
    ) -> Option<R>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let key = self.key(id);
        let mut f = Some(f);
        let here = with_local(|l| {
            let entered = l.entered.try_borrow().ok()?;
            let e = entered
                .iter()
                .rev()
                .find(|e| e.key == key && e.token.is_entered())?;
            if !e.token.is_recording() {
                return None;
            }
            Some(f.take()?(&e.token))
        })
        .flatten();
        if here.is_some() {
            return here;
        }
        match self.find(id, ctx) {
            Found::Shared(shared) if shared.span.is_recording() => Some(f.take()?(&shared.span)),
            _ => None,
        }
    }

    /// Enters span `id` on this thread (not one left out here).
    #[inline(never)]
    fn enter<S>(&self, id: &Id, ctx: &Context<'_, S>) -> Option<()>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let held = match self.find(id, ctx) {
            Found::Shared(shared) => Some(shared),
            Found::Dropped => None,
            // Left out on another thread (or not a traced span): its nearest shared
            // ancestor's context stands for it.
            Found::Nothing => Some(Self::ancestor(id, ctx)?),
        };
        let token = match &held {
            Some(shared) => shared.span.enter(),
            None => trace_core::enter_not_sampled(),
        };
        push(Entered {
            key: self.key(id),
            token,
            held,
        });
        Some(())
    }
}

/// Puts an enter on this thread's stack.
fn push(entered: Entered) {
    let refused = with_local(|l| match l.entered.try_borrow_mut() {
        Ok(mut stack) => {
            stack.push(entered);
            None
        }
        Err(_) => Some(entered),
    });
    if let Some(Some(entered)) = refused {
        // This thread's stack is busy (a field's `Debug` entering a span): no enter.
        drop(leave(entered));
    }
}

/// Takes the innermost enter of `key` off this thread's stack (`None`: the span was not
/// entered here).
#[inline(never)]
fn take_entered(key: Key) -> Option<Entered> {
    with_local(|l| {
        let mut stack = l.entered.try_borrow_mut().ok()?;
        match stack.last() {
            Some(top) if top.key == key => stack.pop(),
            _ => {
                let pos = stack.iter().rposition(|e| e.key == key)?;
                Some(stack.remove(pos))
            }
        }
    })
    .flatten()
}

/// Leaves an enter; the ids a left-out root was given while entered, to keep (see
/// [`trace_core::leave_not_sampled`]).
#[inline]
fn leave(entered: Entered) -> Option<SpanContext> {
    match entered.held {
        Some(shared) => {
            shared.span.exit(entered.token);
            None
        }
        None => trace_core::leave_not_sampled(entered.token),
    }
}

impl<S> Layer<S> for TracingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_layer(&mut self, _subscriber: &mut S) {
        self.instance = NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        // Under the current parent, the sampler's fixed answer drops this span and all below
        // it: nothing to start or keep (decided before any field is looked at).
        if attrs.is_contextual() && trace_core::subtree_dropped_here() {
            self.left_out(id);
            return;
        }
        if trace_core::is_enabled() {
            self.new_span(attrs, id, &ctx);
        }
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Found::Shared(shared) = self.find(id, &ctx) else {
            return; // records nothing
        };
        if self.with_ops(id, &ctx, |span| span.is_recording()) != Some(true) {
            return;
        }
        // Collected with no state borrowed: a `Debug` value may itself emit events.
        let mut fields = RecordFields::default();
        values.record(&mut fields);
        {
            let mut description = shared
                .description
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let specials = &mut fields.specials;
            match (&specials.status_code, &specials.status_description) {
                (None, Some(_)) => *description = specials.status_description.take(),
                (Some(_), None) => specials.status_description = description.take(),
                _ => {}
            }
        }
        self.with_ops(id, &ctx, |span| fields.apply(span));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(cx) = self.context_of(follows, &ctx) else {
            return;
        };
        self.with_ops(id, &ctx, |span| span.link(cx));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !self.events || !trace_core::is_enabled() {
            return;
        }
        if event.is_root() {
            return; // `parent: None`: no span to record on
        }
        if let Some(parent) = event.parent() {
            if self.with_ops(parent, &ctx, |span| span.is_recording()) == Some(true) {
                // Collected with no state borrowed: a `Debug` value may emit events.
                let (name, attributes, error) = self.collect(event);
                self.with_ops(parent, &ctx, |span| record(span, name, attributes, error));
            }
            return;
        }
        self.record_event(event, &trace_core::current_span());
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !trace_core::is_enabled() {
            return;
        }
        // A span left out here: one thread-local access.
        let key = self.key(id);
        let done = DROPPED.with(|d| {
            if d.last.get() != key {
                return false;
            }
            let token = trace_core::enter_not_sampled();
            if !token.is_entered() {
                // Under a parent that is not sampled: its context stays current, and the
                // exit finds nothing to leave.
                return true;
            }
            match d.entered.take() {
                None => d.entered.set(Some((key, token))),
                Some(other) => {
                    d.entered.set(Some(other));
                    push(Entered {
                        key,
                        token,
                        held: None,
                    });
                }
            }
            true
        });
        if !done {
            self.enter(id, &ctx);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let key = self.key(id);
        // A left-out span's enter beside the stack.
        let beside = DROPPED.with(|d| match d.entered.take() {
            Some((k, token)) if k == key => Some(token),
            other => {
                d.entered.set(other);
                None
            }
        });
        let ids = match beside {
            Some(token) => trace_core::leave_not_sampled(token),
            // Out of the thread's state: the span may end here (when it was closed).
            None => take_entered(key).and_then(leave),
        };
        if let Some(ids) = ids {
            self.publish(id, &ctx, ids);
        }
    }

    // No `on_close`: the registry drops a closed span's extensions, which ends the span
    // (or its last enter does, when it is closed while entered: each enter holds it). A
    // thread's cached keys need no clearing: a closed span's id comes back with a new
    // generation, and the cached shared span is a weak handle.
}

impl TracingLayer {
    /// Starts the traced span of `tracing` span `id` and keeps it in its extensions.
    #[inline(never)]
    fn new_span<S>(&self, attrs: &Attributes<'_>, id: &Id, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
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
            match self.find(parent, ctx) {
                Found::Dropped => {
                    self.left_out(id);
                    return;
                }
                Found::Shared(shared) => {
                    let cx = shared.span.span_context();
                    if cx.is_valid() {
                        builder = builder.parent(cx);
                    }
                }
                Found::Nothing => {
                    if let Some(cx) = self.context_of(parent, ctx) {
                        builder = builder.parent(cx);
                    }
                }
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
        let Some(span_ref) = ctx.span(id) else {
            return;
        };
        let shared = Arc::new(Shared {
            span: SharedSpan::new(span),
            description: Mutex::new(None),
        });
        if self.instance != 0 {
            let key = self.key(id);
            let weak = Arc::downgrade(&shared);
            DROPPED.with(|d| {
                if d.last.get() == key {
                    d.last.set(NO_KEY);
                }
            });
            let old = with_local(|l| {
                l.last
                    .try_borrow_mut()
                    .ok()
                    .map(|mut last| last.replace((key, weak)))
            });
            drop(old);
        }
        span_ref.extensions_mut().insert(Bridged(shared));
    }

    /// Keeps the ids a left-out root was given (a log line asked for its trace id) where
    /// every enter finds them: the span becomes shared, recording nothing.
    #[cold]
    #[inline(never)]
    fn publish<S>(&self, id: &Id, ctx: &Context<'_, S>, cx: SpanContext)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let key = self.key(id);
        DROPPED.with(|d| {
            if d.last.get() == key {
                d.last.set(NO_KEY);
            }
        });
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if ext.get_mut::<Bridged>().is_none() {
                ext.insert(Bridged(Arc::new(Shared {
                    span: SharedSpan::not_recording(cx),
                    description: Mutex::new(None),
                })));
            }
        }
    }

    /// Span `id` is left out: the sampler drops it with everything below it.
    #[inline]
    fn left_out(&self, id: &Id) {
        if self.instance != 0 {
            let key = self.key(id);
            DROPPED.with(|d| d.last.set(key));
        }
    }
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
