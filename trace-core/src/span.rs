//! Creating spans: [`span`], [`SpanBuilder`], [`SpanGuard`], [`Span`], [`current_span`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::time::SystemTime;

use crate::attributes::{self, AttrVec, AttributeSink, SpanAttributes};
use crate::context::{self, Context, Slot, SpanContext, TraceFlags, TraceState, LOCAL};
use crate::data::SpanData;
use crate::id::{SpanId, TraceId};
use crate::sampler::SamplingDecision;
use crate::tracer::{self, TracerInner};
use crate::value::{KeyValue, ToValue, Value};

/// The role of a span in a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// An internal operation (the default).
    #[default]
    Internal,
    /// The server side of a synchronous remote call.
    Server,
    /// The client side of a synchronous remote call.
    Client,
    /// The sender of an asynchronous message.
    Producer,
    /// The receiver of an asynchronous message.
    Consumer,
}

impl SpanKind {
    /// The lowercase name (`"internal"`, `"server"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// The outcome of a span. Instrumentation sets only `Error`; `Ok` is for the application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Status {
    /// Nothing said (the default).
    #[default]
    Unset,
    /// The application marked the operation successful.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong (the error's `Display`).
        description: Cow<'static, str>,
    },
}

impl Status {
    /// An error status with `description`.
    pub fn error(description: impl Into<Cow<'static, str>>) -> Self {
        Status::Error {
            description: description.into(),
        }
    }
}

/// Something that happened at a point in time during a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Event name.
    pub name: Cow<'static, str>,
    /// When it happened.
    pub time: SystemTime,
    /// Attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the limits.
    pub dropped_attributes_count: u32,
}

/// A link from a span to another span (in this or another trace).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The linked span.
    pub span_context: SpanContext,
    /// Attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the limits.
    pub dropped_attributes_count: u32,
}

impl Link {
    /// A link with no attributes.
    pub fn new(span_context: SpanContext) -> Self {
        Link {
            span_context,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        }
    }
}

/// A recording span while it is open: owned by the thread's stack while entered, by a
/// [`Span`] or an instrumented future otherwise, and by the processor once ended.
pub(crate) struct SpanRecord {
    pub(crate) tracer: &'static TracerInner,
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) ctx: SpanContext,
    pub(crate) parent_span_id: Option<SpanId>,
    pub(crate) parent_is_remote: bool,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) attributes: AttrVec,
    pub(crate) events: Vec<Event>,
    pub(crate) links: Vec<Link>,
    pub(crate) status: Status,
    pub(crate) dropped_attributes: u32,
    pub(crate) dropped_events: u32,
    pub(crate) dropped_links: u32,
}

impl fmt::Debug for SpanRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanRecord")
            .field("name", &self.name)
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

impl SpanRecord {
    fn sink(&mut self) -> AttributeSink<'_> {
        AttributeSink::new(
            &mut self.attributes,
            &mut self.dropped_attributes,
            &self.tracer.limits,
        )
    }

    fn set_attribute(&mut self, key: Cow<'static, str>, value: Option<Value>) {
        if let Some(v) = value {
            self.sink().set_value(key, v);
        }
    }

    fn add_event(&mut self, name: Cow<'static, str>, attrs: Vec<KeyValue>) {
        let limits = &self.tracer.limits;
        if u32::try_from(self.events.len()).unwrap_or(u32::MAX) >= limits.max_events_per_span {
            self.dropped_events = self.dropped_events.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            attrs,
            limits.max_attributes_per_event,
            limits.max_attribute_value_length,
        );
        let time = self.tracer.to_system_time(self.tracer.clock.raw());
        self.events.push(Event {
            name,
            time,
            attributes,
            dropped_attributes_count: dropped,
        });
    }

    fn add_link(&mut self, link: Link) {
        let limits = &self.tracer.limits;
        if u32::try_from(self.links.len()).unwrap_or(u32::MAX) >= limits.max_links_per_span {
            self.dropped_links = self.dropped_links.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            link.attributes,
            limits.max_attributes_per_link,
            limits.max_attribute_value_length,
        );
        self.links.push(Link {
            span_context: link.span_context,
            attributes,
            dropped_attributes_count: link.dropped_attributes_count.saturating_add(dropped),
        });
    }

    fn record_error_parts(&mut self, description: String, error_type: &str) {
        self.status = Status::error(description);
        self.set_attribute(
            Cow::Borrowed("error.type"),
            Some(Value::Str(error_type.into())),
        );
    }

    fn mark_panic(&mut self) {
        let message = take_panic_message().unwrap_or_else(|| "panicked".to_owned());
        self.record_error_parts(message, "panic");
    }

    /// Stamps the end time and hands the span to the processor.
    pub(crate) fn finish(mut self: Box<Self>) {
        self.end = self.tracer.clock.raw();
        if std::thread::panicking() {
            self.mark_panic();
        }
        let tracer = self.tracer;
        tracer.on_end(self);
    }

    /// Moves the finished span out, leaving an empty record to reuse.
    pub(crate) fn take_data(&mut self) -> SpanData {
        SpanData {
            start_time: self.tracer.to_system_time(self.start),
            end_time: self.tracer.to_system_time(self.end.max(self.start)),
            name: std::mem::replace(&mut self.name, Cow::Borrowed("")),
            kind: self.kind,
            span_context: self.ctx.clone(),
            parent_span_id: self.parent_span_id,
            parent_is_remote: self.parent_is_remote,
            attributes: std::mem::take(&mut self.attributes).into_vec(),
            events: std::mem::take(&mut self.events),
            links: std::mem::take(&mut self.links),
            status: std::mem::take(&mut self.status),
            dropped_attributes_count: self.dropped_attributes,
            dropped_events_count: self.dropped_events,
            dropped_links_count: self.dropped_links,
            scope: self.tracer.scope.clone(),
        }
    }

    /// The finished span, for the synchronous processor (the record is not reused).
    pub(crate) fn into_data(mut self: Box<Self>) -> SpanData {
        self.take_data()
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps the panic message for the span being unwound,
/// then calls the previous hook.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            let _ = LAST_PANIC.try_with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    *p = msg;
                }
            });
            previous(info);
        }));
    });
}

fn take_panic_message() -> Option<String> {
    LAST_PANIC
        .try_with(|p| p.try_borrow().ok().and_then(|p| p.clone()))
        .ok()
        .flatten()
}

/// Where a new span's parent comes from.
#[derive(Debug)]
enum ParentChoice {
    Current,
    Explicit(SpanContext),
    Root,
}

/// Starts a span named `name`. Configure it, then [`start`](SpanBuilder::start) it.
///
/// # Examples
/// ```
/// use trace_core::{span, SpanKind};
/// let guard = span("GET /users").kind(SpanKind::Server).attribute("http.request.method", "GET").start();
/// // ... the span is current until `guard` drops
/// drop(guard);
/// ```
#[inline]
pub fn span(name: impl Into<Cow<'static, str>>) -> SpanBuilder {
    SpanBuilder {
        name: name.into(),
        kind: SpanKind::Internal,
        extras: None,
    }
}

/// A span being configured; see [`span`].
#[derive(Debug)]
#[must_use = "a span builder does nothing until started"]
pub struct SpanBuilder {
    name: Cow<'static, str>,
    kind: SpanKind,
    /// What few spans set: boxed so the common builder is three words.
    extras: Option<Box<Extras>>,
}

#[derive(Debug)]
struct Extras {
    parent: ParentChoice,
    attributes: Vec<KeyValue>,
    links: Vec<Link>,
}

impl SpanBuilder {
    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(|| {
            Box::new(Extras {
                parent: ParentChoice::Current,
                attributes: Vec::new(),
                links: Vec::new(),
            })
        })
    }
}

impl SpanBuilder {
    /// Sets the kind (default `Internal`).
    #[inline]
    pub fn kind(mut self, kind: SpanKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds an attribute; these are visible to the sampler.
    pub fn attribute(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        self.extras().attributes.push(KeyValue::new(key, value));
        self
    }

    /// Uses `parent` (e.g. extracted from a request) instead of the current span. An invalid
    /// context makes the span a root.
    pub fn parent(mut self, parent: SpanContext) -> Self {
        self.extras().parent = ParentChoice::Explicit(parent);
        self
    }

    /// Makes the span the root of a new trace, whatever is current.
    pub fn no_parent(mut self) -> Self {
        self.extras().parent = ParentChoice::Root;
        self
    }

    /// Links the span to another span.
    pub fn link(mut self, span_context: SpanContext) -> Self {
        self.extras().links.push(Link::new(span_context));
        self
    }

    /// Links the span to another span, with attributes on the link.
    pub fn link_with_attributes(
        mut self,
        span_context: SpanContext,
        attributes: Vec<KeyValue>,
    ) -> Self {
        self.extras().links.push(Link {
            span_context,
            attributes,
            dropped_attributes_count: 0,
        });
        self
    }

    /// Starts the span and makes it current on this thread until the guard drops.
    #[inline]
    pub fn start(self) -> SpanGuard {
        self.start_with(|_| {})
    }

    /// Like [`start`](Self::start); `record` runs only when the span is sampled, so what it
    /// captures costs nothing otherwise.
    #[inline]
    pub fn start_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> SpanGuard {
        let Some(tracer) = tracer::global() else {
            return SpanGuard::noop();
        };
        SpanGuard {
            token: self.start_entered(tracer, record),
            _not_send: PhantomData,
        }
    }

    /// Starts the span without entering it, for work that moves between threads (futures):
    /// see [`Instrument::in_span`](crate::Instrument::in_span).
    pub fn start_detached(self) -> Span {
        self.start_detached_with(|_| {})
    }

    /// Like [`start_detached`](Self::start_detached), with lazily recorded attributes.
    pub fn start_detached_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> Span {
        let Some(tracer) = tracer::global() else {
            return Span::noop();
        };
        Span {
            slot: RefCell::new(self.build(tracer, record, false)),
        }
    }

    // Out of line, like `build`: the disabled path stays a load and a branch in the caller.
    #[inline(never)]
    fn start_entered(
        self,
        tracer: &'static TracerInner,
        record: impl FnOnce(&mut AttributeSink<'_>),
    ) -> u64 {
        self.build(tracer, record, true).map_or(0, context::push)
    }

    #[inline]
    #[allow(clippy::too_many_lines)] // one straight path; splitting it costs moves of the record
    fn build(
        self,
        tracer: &'static TracerInner,
        record: impl FnOnce(&mut AttributeSink<'_>),
        entered: bool,
    ) -> Option<Slot> {
        let (parent, extras) = match self.extras {
            None => (ParentChoice::Current, None),
            Some(e) => {
                let Extras {
                    parent,
                    attributes,
                    links,
                } = *e;
                (parent, Some((attributes, links)))
            }
        };
        let from_current = matches!(parent, ParentChoice::Current);
        let parent = match parent {
            ParentChoice::Current => LOCAL
                .try_with(|l| l.try_borrow().ok().and_then(|l| l.parent()))
                .ok()
                .flatten(),
            ParentChoice::Explicit(cx) => Some(cx),
            ParentChoice::Root => None,
        }
        .filter(SpanContext::is_valid);
        let trace_id = parent.as_ref().map_or_else(TraceId::random, |p| p.trace_id);
        let decision = tracer.sampler.should_sample(
            parent.as_ref(),
            trace_id,
            &self.name,
            self.kind,
            extras.as_ref().map_or(&[], |(a, _)| a.as_slice()),
        );
        let sampled = decision == SamplingDecision::RecordAndSample;
        if !sampled && entered && from_current && parent.as_ref().is_some_and(|p| !p.is_sampled()) {
            // Below a span that is not sampled: nothing to record and nothing new to
            // propagate, so the current context (the parent's) simply stays current.
            return None;
        }
        let span_id = SpanId::random();
        let (flags, trace_state, parent_span_id, parent_is_remote) = match parent {
            Some(p) => (p.trace_flags, p.trace_state, Some(p.span_id), p.is_remote),
            None => (TraceFlags::RANDOM, TraceState::default(), None, false),
        };
        let ctx = SpanContext::new(
            trace_id,
            span_id,
            flags.with_sampled(sampled),
            false,
            trace_state,
        );
        if !sampled {
            return Some(Slot::Context(Context {
                span: Some(ctx),
                baggage: None,
            }));
        }
        let start = tracer.clock.raw();
        let spare = LOCAL
            .try_with(|l| l.try_borrow_mut().ok().and_then(|mut l| l.spare.pop()))
            .ok()
            .flatten();
        let mut rec = match spare {
            // A record the worker emptied (`take_data`): fill it in place.
            Some(mut rec) => {
                rec.tracer = tracer;
                rec.name = self.name;
                rec.kind = self.kind;
                rec.ctx = ctx;
                rec.parent_span_id = parent_span_id;
                rec.parent_is_remote = parent_is_remote;
                rec.start = start;
                rec.dropped_attributes = 0;
                rec.dropped_events = 0;
                rec.dropped_links = 0;
                rec
            }
            None => Box::new(SpanRecord {
                tracer,
                name: self.name,
                kind: self.kind,
                ctx,
                parent_span_id,
                parent_is_remote,
                start,
                end: 0,
                attributes: AttrVec::new(),
                events: Vec::new(),
                links: Vec::new(),
                status: Status::Unset,
                dropped_attributes: 0,
                dropped_events: 0,
                dropped_links: 0,
            }),
        };
        let links = match extras {
            None => {
                record(&mut rec.sink());
                None
            }
            Some((attributes, links)) => {
                let mut sink = rec.sink();
                for kv in attributes {
                    sink.set_value(kv.key, kv.value);
                }
                record(&mut sink);
                Some(links)
            }
        };
        if let Some(links) = links {
            for link in links {
                rec.add_link(link);
            }
        }
        Some(Slot::Span(rec))
    }
}

/// The span operations shared by [`SpanGuard`], [`Span`] and [`SpanRef`]: each type supplies
/// `with_record`, which runs a closure on the span's record if it is recording.
macro_rules! span_methods {
    () => {
        /// `true` when the span is sampled and recording: attributes set now are kept.
        pub fn is_recording(&self) -> bool {
            self.with_record(|_| ()).is_some()
        }

        /// Sets an attribute (replacing a previous value for the key); `None` records nothing.
        pub fn set_attribute<V: ToValue + ?Sized>(
            &self,
            key: impl Into<Cow<'static, str>>,
            value: &V,
        ) {
            self.with_record(|r| r.set_attribute(key.into(), value.to_optional_value()));
        }

        /// Records every attribute of `value` (its `SpanAttributes` implementation).
        pub fn set_attributes<T: SpanAttributes + ?Sized>(&self, value: &T) {
            self.with_record(|r| r.sink().set_all(value));
        }

        /// Adds an event at the current time.
        pub fn add_event(&self, name: impl Into<Cow<'static, str>>, attributes: Vec<KeyValue>) {
            self.with_record(|r| r.add_event(name.into(), attributes));
        }

        /// Adds a link to another span.
        pub fn add_link(&self, span_context: SpanContext, attributes: Vec<KeyValue>) {
            self.with_record(|r| {
                r.add_link(Link {
                    span_context,
                    attributes,
                    dropped_attributes_count: 0,
                })
            });
        }

        /// Records a failure as the semantic conventions say: status `Error` with the error's
        /// `Display` as description, and `error.type` set to the error's type name.
        pub fn record_error<E: std::error::Error + ?Sized>(&self, error: &E) {
            self.with_record(|r| r.record_error_parts(error.to_string(), error_type_name::<E>()));
        }

        /// Records a failure from its parts: status `Error` with `description`, and
        /// `error.type`.
        pub fn record_error_parts(&self, description: impl fmt::Display, error_type: &str) {
            self.with_record(|r| r.record_error_parts(description.to_string(), error_type));
        }

        /// Adds the opt-in `exception` event (`exception.type`, `exception.message`).
        pub fn record_exception<E: std::error::Error + ?Sized>(&self, error: &E) {
            self.add_event(
                "exception",
                vec![
                    KeyValue::new("exception.type", error_type_name::<E>()),
                    KeyValue::new("exception.message", error.to_string()),
                ],
            );
        }

        /// Sets the status. Libraries should leave `Ok` to the application.
        pub fn set_status(&self, status: Status) {
            self.with_record(|r| r.status = status);
        }

        /// Renames the span.
        pub fn update_name(&self, name: impl Into<Cow<'static, str>>) {
            self.with_record(|r| r.name = name.into());
        }
    };
}

/// The `error.type` value for `E`: its type name, or `_OTHER` for a trait object.
pub(crate) fn error_type_name<E: ?Sized>() -> &'static str {
    let name = std::any::type_name::<E>();
    if name.starts_with("dyn ") {
        "_OTHER"
    } else {
        name
    }
}

/// A started span, current on this thread until dropped; dropping it ends the span.
///
/// Not `Send`: it belongs to the thread it was started on. For work that moves between
/// threads, use [`SpanBuilder::start_detached`] and [`Instrument`](crate::Instrument).
#[must_use = "the span ends when the guard is dropped"]
pub struct SpanGuard {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for SpanGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanGuard")
            .field("token", &self.token)
            .finish()
    }
}

impl SpanGuard {
    #[inline]
    const fn noop() -> Self {
        SpanGuard {
            token: 0,
            _not_send: PhantomData,
        }
    }

    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        if self.token == 0 {
            return None;
        }
        LOCAL
            .try_with(|l| {
                let mut l = l.try_borrow_mut().ok()?;
                match l.find_mut(self.token)? {
                    Slot::Span(rec) => Some(f(rec)),
                    Slot::Context(_) => None,
                }
            })
            .ok()
            .flatten()
    }

    span_methods!();

    /// The span's context. A span that is not recording under a parent that is not
    /// sampled shares that parent's context; with no tracer installed it is invalid.
    pub fn span_context(&self) -> SpanContext {
        if self.token == 0 {
            return context::current_span_context().unwrap_or_else(SpanContext::empty);
        }
        LOCAL
            .try_with(|l| {
                let mut l = l.try_borrow_mut().ok()?;
                match l.find_mut(self.token)? {
                    Slot::Span(rec) => Some(rec.ctx.clone()),
                    Slot::Context(cx) => cx.span.clone(),
                }
            })
            .ok()
            .flatten()
            .unwrap_or_else(SpanContext::empty)
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        if self.token != 0 {
            end_entered(self.token);
        }
    }
}

/// Leaves and ends the entered span `token` (out of line: see `start_entered`).
#[inline(never)]
fn end_entered(token: u64) {
    if let Some(Slot::Span(rec)) = context::take(token) {
        rec.finish();
    }
}

/// A started span that is not tied to a thread: it can be moved, entered by an
/// instrumented future on each poll, and ends when dropped.
///
/// # Examples
/// ```
/// use trace_core::{span, Instrument};
/// # async fn work() {}
/// async fn handler() {
///     work().in_span(span("work").start_detached()).await;
/// }
/// ```
pub struct Span {
    slot: RefCell<Option<Slot>>,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span")
            .field("span_context", &self.span_context())
            .finish()
    }
}

impl Span {
    /// A span that records nothing.
    pub const fn noop() -> Self {
        Span {
            slot: RefCell::new(None),
        }
    }

    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        match &mut *self.slot.try_borrow_mut().ok()? {
            Some(Slot::Span(rec)) => Some(f(rec)),
            _ => None,
        }
    }

    span_methods!();

    /// The span's context.
    pub fn span_context(&self) -> SpanContext {
        match self.slot.try_borrow().as_deref() {
            Ok(Some(Slot::Span(rec))) => rec.ctx.clone(),
            Ok(Some(Slot::Context(cx))) => cx.span.clone().unwrap_or_else(SpanContext::empty),
            _ => SpanContext::empty(),
        }
    }

    /// Makes the span current on this thread until the guard drops (the span keeps running
    /// after that; it ends when the `Span` drops).
    pub fn enter(&self) -> EnteredSpan<'_> {
        let slot = self.slot.try_borrow_mut().ok().and_then(|mut s| s.take());
        let token = slot.map_or(0, context::push);
        EnteredSpan {
            span: self,
            token,
            _not_send: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn has_slot(&mut self) -> bool {
        self.slot.get_mut().is_some()
    }

    pub(crate) fn take_slot(&mut self) -> Option<Slot> {
        self.slot.get_mut().take()
    }

    pub(crate) fn put_slot(&mut self, slot: Slot) {
        *self.slot.get_mut() = Some(slot);
    }

    /// Ends the span now (what dropping it does).
    pub fn end(self) {}

    pub(crate) fn mark_cancelled(&mut self) {
        if let Some(Slot::Span(rec)) = self.slot.get_mut() {
            rec.set_attribute(Cow::Borrowed("span.cancelled"), Some(Value::Bool(true)));
        }
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(Slot::Span(rec)) = self.slot.get_mut().take() {
            rec.finish();
        }
    }
}

/// A [`Span`] made current by [`Span::enter`].
#[must_use = "the span is left when the guard is dropped"]
pub struct EnteredSpan<'a> {
    span: &'a Span,
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for EnteredSpan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnteredSpan").finish_non_exhaustive()
    }
}

impl Drop for EnteredSpan<'_> {
    fn drop(&mut self) {
        if let Some(slot) = context::take(self.token) {
            if let Ok(mut s) = self.span.slot.try_borrow_mut() {
                *s = Some(slot);
            }
        }
    }
}

/// The innermost span current on this thread; see [`current_span`].
#[derive(Debug)]
pub struct SpanRef {
    _not_send: PhantomData<*const ()>,
}

impl SpanRef {
    #[allow(clippy::unused_self)] // the same shape as the other span types (span_methods!)
    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        LOCAL
            .try_with(|l| match l.try_borrow_mut().ok()?.top_mut()? {
                Slot::Span(rec) => Some(f(rec)),
                Slot::Context(_) => None,
            })
            .ok()
            .flatten()
    }

    span_methods!();

    /// The current span's context (invalid when there is none).
    pub fn span_context(&self) -> SpanContext {
        context::current_span_context().unwrap_or_else(SpanContext::empty)
    }
}

/// The span current on this thread. Every method is a no-op when nothing is recording: it
/// never panics.
///
/// # Examples
/// ```
/// trace_core::current_span().set_attribute("cache.hit", &true); // fine with no tracer
/// ```
pub fn current_span() -> SpanRef {
    SpanRef {
        _not_send: PhantomData,
    }
}

/// Runs `f` inside a new span named `name`, handing it the span's guard.
///
/// # Examples
/// ```
/// let n = trace_core::with_span("compute", |span| {
///     span.set_attribute("input", &21);
///     42
/// });
/// assert_eq!(n, 42);
/// ```
pub fn with_span<R>(name: impl Into<Cow<'static, str>>, f: impl FnOnce(&SpanGuard) -> R) -> R {
    let guard = span(name).start();
    f(&guard)
}
