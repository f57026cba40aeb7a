//! Creating spans: [`span`], [`SpanBuilder`], [`SpanGuard`], [`Span`], [`current_span`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::time::SystemTime;

use crate::attributes::{self, AttrVec, AttributeSink, SpanAttributes};
use crate::context::{self, BoxedContext, Context, Slot, SpanContext, TraceFlags, TraceState};
use crate::data::InstrumentationScope;
use crate::data::SpanData;
use crate::id::{SpanId, TraceId};
use crate::sampler::{ParentState, SamplingDecision};
use crate::tracer::{self, Epoch, TracerInner};
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
/// [`Span`] or an instrumented future otherwise. The box stays on the thread that started
/// the span and is reused: what travels to the exporter is the [`Finished`] part, by value.
pub(crate) struct SpanRecord {
    pub(crate) tracer: &'static TracerInner,
    pub(crate) f: Finished,
}

/// What a span recorded. When the span ends it moves, by value, into the thread's queue to
/// the batch worker (no allocation, no pointer shared between threads).
pub(crate) struct Finished {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent_is_remote: bool,
    pub(crate) ctx: SpanContext,
    pub(crate) parent_span_id: Option<SpanId>,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) attributes: AttrVec,
    pub(crate) status: Status,
    pub(crate) dropped_attributes: u32,
    /// Events and links: few spans have them, so they cost one word until used.
    pub(crate) rare: Option<Box<Rare>>,
}

#[derive(Default)]
pub(crate) struct Rare {
    pub(crate) events: Vec<Event>,
    pub(crate) links: Vec<Link>,
    pub(crate) dropped_events: u32,
    pub(crate) dropped_links: u32,
}

impl Finished {
    /// Moves the data out, leaving the record empty for reuse: only the fields that own
    /// something are reset, so the move is one copy (into the queue's slot when inlined).
    #[allow(clippy::inline_always)] // measured: a call here costs a second copy of the record
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Finished {
        Finished {
            name: std::mem::replace(&mut self.name, Cow::Borrowed("")),
            kind: self.kind,
            parent_is_remote: self.parent_is_remote,
            ctx: SpanContext {
                trace_id: self.ctx.trace_id,
                span_id: self.ctx.span_id,
                trace_flags: self.ctx.trace_flags,
                trace_state: std::mem::take(&mut self.ctx.trace_state),
                is_remote: self.ctx.is_remote,
            },
            parent_span_id: self.parent_span_id,
            start: self.start,
            end: self.end,
            attributes: std::mem::take(&mut self.attributes),
            status: std::mem::take(&mut self.status),
            dropped_attributes: std::mem::take(&mut self.dropped_attributes),
            rare: self.rare.take(),
        }
    }

    /// Gives a new sampled span its ids: a new span id, and the trace id, flags and trace
    /// state of `parent` (a new trace when `None`). Field by field, see [`fill`].
    #[inline]
    fn adopt(&mut self, parent: Option<&SpanContext>) {
        if let Some(p) = parent {
            self.ctx.trace_id = p.trace_id;
            self.ctx.trace_flags = p.trace_flags.with_sampled(true);
            self.ctx.trace_state = p.trace_state.clone();
            self.parent_span_id = Some(p.span_id);
            self.parent_is_remote = p.is_remote;
        } else {
            self.ctx.trace_id = TraceId::random();
            self.ctx.trace_flags = TraceFlags::RANDOM.with_sampled(true);
            self.ctx.trace_state = TraceState::default();
            self.parent_span_id = None;
            self.parent_is_remote = false;
        }
        self.ctx.span_id = SpanId::random();
        self.ctx.is_remote = false;
    }

    /// Moves the data into `dst` (uninitialized: a queue's slot) with one bitwise copy, and
    /// leaves the record empty for reuse, like [`take`](Self::take) without its second copy
    /// through a temporary (measured: ~60 instructions fewer per sampled span).
    #[allow(clippy::inline_always)] // the copy must be inlined into the queue's write
    #[inline(always)]
    pub(crate) fn move_into(
        &mut self,
        dst: &mut std::mem::MaybeUninit<std::mem::ManuallyDrop<Finished>>,
    ) {
        // Every field, so that adding one is a compile error here until it is handled below:
        // a new field that owns something must be reset without drop like these.
        let Finished {
            name: _,
            kind: _,
            parent_is_remote: _,
            ctx: _,
            parent_span_id: _,
            start: _,
            end: _,
            attributes: _,
            status: _,
            dropped_attributes: _,
            rare: _,
        } = self;
        #[allow(unsafe_code)]
        // SAFETY: `dst` is uninitialized memory for one `Finished` (`ManuallyDrop` is
        // `repr(transparent)`), not overlapping `self`.
        // After the bitwise copy `dst` owns what `self` owned; each field of `self` that owns
        // something (name, trace state, attributes, status, rare) is then overwritten with an
        // empty value by `ptr::write`, which does not drop the old (now `dst`'s) value, so
        // nothing is owned twice and nothing is freed. The other fields are plain data.
        unsafe {
            std::ptr::copy_nonoverlapping(std::ptr::from_ref(self), dst.as_mut_ptr().cast(), 1);
            std::ptr::write(&raw mut self.name, Cow::Borrowed(""));
            std::ptr::write(&raw mut self.ctx.trace_state, TraceState::default());
            std::ptr::write(&raw mut self.attributes, AttrVec::new());
            std::ptr::write(&raw mut self.status, Status::Unset);
            std::ptr::write(&raw mut self.rare, None);
        }
        self.dropped_attributes = 0;
    }

    /// Writes the exporter's view of the span over `d` (a span of an earlier batch from the
    /// same tracer, so the scope is already right), reusing its attribute vector. Leaves
    /// `self` owning nothing, so the batch worker frees its ring slot without a drop.
    pub(crate) fn write_into(&mut self, d: &mut SpanData, epoch: &Epoch) {
        d.start_time = epoch.to_system_time(self.start);
        d.end_time = epoch.to_system_time(self.end.max(self.start));
        d.name = std::mem::replace(&mut self.name, Cow::Borrowed(""));
        d.kind = self.kind;
        d.span_context.trace_id = self.ctx.trace_id;
        d.span_context.span_id = self.ctx.span_id;
        d.span_context.trace_flags = self.ctx.trace_flags;
        d.span_context.is_remote = self.ctx.is_remote;
        d.span_context.trace_state = std::mem::take(&mut self.ctx.trace_state);
        d.parent_span_id = self.parent_span_id;
        d.parent_is_remote = self.parent_is_remote;
        d.attributes.clear();
        let n = self.attributes.len();
        d.attributes.reserve(n);
        // One bulk move: element by element (`drain`, `extend`) each attribute went through
        // the stack and was read back across narrower stores, a store-forwarding stall per
        // attribute (~30% of this function's time under perf).
        #[allow(unsafe_code)]
        // SAFETY: `d.attributes` is empty with room for `n` (reserved above); the `n`
        // initialized attributes are copied bit for bit, then the source forgets them
        // (`set_len(0)`) and the destination counts them (`set_len(n)`): each is owned once.
        unsafe {
            std::ptr::copy_nonoverlapping(self.attributes.as_ptr(), d.attributes.as_mut_ptr(), n);
            self.attributes.set_len(0);
            d.attributes.set_len(n);
        }
        if self.attributes.spilled() {
            // More attributes than fit inline: the (now empty) heap buffer is freed here.
            self.attributes = AttrVec::new();
        }
        match self.rare.take() {
            None => {
                d.events.clear();
                d.links.clear();
                d.dropped_events_count = 0;
                d.dropped_links_count = 0;
            }
            Some(r) => {
                d.events = r.events;
                d.links = r.links;
                d.dropped_events_count = r.dropped_events;
                d.dropped_links_count = r.dropped_links;
            }
        }
        d.status = std::mem::take(&mut self.status);
        d.dropped_attributes_count = self.dropped_attributes;
    }

    /// The exporter's view of the span (the mapping is [`write_into`](Self::write_into)'s).
    pub(crate) fn into_data(mut self, epoch: &Epoch, scope: &InstrumentationScope) -> SpanData {
        let mut d = Finished::empty_data(scope);
        self.write_into(&mut d, epoch);
        d
    }

    /// A `SpanData` with nothing in it yet but the scope, to [`write_into`](Self::write_into).
    pub(crate) fn empty_data(scope: &InstrumentationScope) -> SpanData {
        SpanData {
            name: Cow::Borrowed(""),
            kind: SpanKind::Internal,
            span_context: SpanContext::empty(),
            parent_span_id: None,
            parent_is_remote: false,
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::Unset,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
            scope: scope.clone(),
        }
    }
}

impl fmt::Debug for SpanRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanRecord")
            .field("name", &self.f.name)
            .field("ctx", &self.f.ctx)
            .finish_non_exhaustive()
    }
}

impl SpanRecord {
    /// A record with nothing in it yet, for [`start_sampled`] to fill.
    #[cold]
    fn empty(tracer: &'static TracerInner) -> Box<SpanRecord> {
        Box::new(SpanRecord {
            tracer,
            f: Finished {
                name: Cow::Borrowed(""),
                kind: SpanKind::Internal,
                parent_is_remote: false,
                ctx: SpanContext::empty(),
                parent_span_id: None,
                start: 0,
                end: 0,
                attributes: AttrVec::new(),
                status: Status::Unset,
                dropped_attributes: 0,
                rare: None,
            },
        })
    }

    fn sink(&mut self) -> AttributeSink<'_> {
        AttributeSink::new(
            &mut self.f.attributes,
            &mut self.f.dropped_attributes,
            &self.tracer.limits,
        )
    }

    fn set_attribute(&mut self, key: Cow<'static, str>, value: Option<Value>) {
        if let Some(v) = value {
            self.sink().set_value(key, v);
        }
    }

    fn rare(&mut self) -> &mut Rare {
        self.f.rare.get_or_insert_with(Box::default)
    }

    fn add_event(&mut self, name: Cow<'static, str>, attrs: Vec<KeyValue>) {
        let limits = &self.tracer.limits;
        let time = self
            .tracer
            .epoch
            .to_system_time(self.tracer.epoch.clock.raw());
        let rare = self.rare();
        if u32::try_from(rare.events.len()).unwrap_or(u32::MAX) >= limits.max_events_per_span {
            rare.dropped_events = rare.dropped_events.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            attrs,
            limits.max_attributes_per_event,
            limits.max_attribute_value_length,
        );
        rare.events.push(Event {
            name,
            time,
            attributes,
            dropped_attributes_count: dropped,
        });
    }

    fn add_link(&mut self, link: Link) {
        let limits = &self.tracer.limits;
        let rare = self.rare();
        if u32::try_from(rare.links.len()).unwrap_or(u32::MAX) >= limits.max_links_per_span {
            rare.dropped_links = rare.dropped_links.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            link.attributes,
            limits.max_attributes_per_link,
            limits.max_attribute_value_length,
        );
        rare.links.push(Link {
            span_context: link.span_context,
            attributes,
            dropped_attributes_count: link.dropped_attributes_count.saturating_add(dropped),
        });
    }

    fn record_error_parts(&mut self, description: String, error_type: &str) {
        self.f.status = Status::error(description);
        self.set_attribute(
            Cow::Borrowed("error.type"),
            Some(Value::Str(error_type.into())),
        );
    }

    fn mark_panic(&mut self) {
        let message = take_panic_message().unwrap_or_else(|| "panicked".to_owned());
        self.record_error_parts(message, "panic");
    }

    /// Stamps the end time (and a panic, when the thread is unwinding).
    #[inline]
    pub(crate) fn stamp_end(&mut self) {
        self.f.end = self.tracer.epoch.clock.raw();
        if std::thread::panicking() {
            self.mark_panic();
        }
    }

    /// Ends a span that is not on the thread's stack (a detached span, an instrumented
    /// future), keeping its box for reuse when the thread can take it.
    pub(crate) fn finish(mut self: Box<Self>) {
        self.stamp_end();
        let tracer = self.tracer;
        let mut rec = Some(self);
        context::with_local(|l| {
            if let Some(mut r) = rec.take() {
                if tracer.queue_local(l, &mut r.f) {
                    l.recycle(r);
                } else {
                    rec = Some(r);
                }
            }
        });
        let rest = rec;
        if let Some(mut rec) = rest {
            tracer.on_end(rec.f.take());
        }
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
    #[allow(clippy::inline_always)] // see `start_with`
    #[inline(always)]
    pub fn start(self) -> SpanGuard {
        self.start_with(|_| {})
    }

    /// Like [`start`](Self::start); `record` runs only when the span is sampled, so what it
    /// captures costs nothing otherwise.
    // Always inlined: with a plain `#[inline]`, a second caller of the same instantiation
    // (every `start()` shares one) made LLVM keep it out of line, +25 instructions per
    // sampled span (callgrind, `benches/scripts/instructions.sh`).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn start_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> SpanGuard {
        // Taken apart here, where the compiler sees a literal name and no extras, so the
        // common call passes a few registers and the disabled path drops nothing.
        let SpanBuilder { name, kind, extras } = self;
        let Some(tracer) = tracer::global() else {
            if let Some(extras) = extras {
                drop(extras);
            }
            if let Cow::Owned(name) = name {
                drop(name);
            }
            return SpanGuard::noop();
        };
        let token = match (name, extras) {
            (Cow::Borrowed(name), None) => start_entered(tracer, name, kind, record),
            (name, extras) => start_general(tracer, SpanBuilder { name, kind, extras }, record),
        };
        SpanGuard {
            token,
            _not_send: PhantomData,
        }
    }

    /// Starts the span without entering it, for work that moves between threads (futures):
    /// see [`Instrument::in_span`](crate::Instrument::in_span).
    #[inline]
    pub fn start_detached(self) -> Span {
        self.start_detached_with(|_| {})
    }

    /// Like [`start_detached`](Self::start_detached), with lazily recorded attributes.
    // Inline, with the enabled part out of line: with no tracer the caller sees the builder
    // it made (a literal name, no extras) and drops nothing.
    #[inline]
    pub fn start_detached_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> Span {
        let Some(tracer) = tracer::global() else {
            return Span::noop();
        };
        self.start_detached_enabled(tracer, record)
    }

    #[inline(never)]
    fn start_detached_enabled(
        self,
        tracer: &'static TracerInner,
        record: impl FnOnce(&mut AttributeSink<'_>),
    ) -> Span {
        if self.extras.is_none() {
            match tracer.quick[context::top_state().index()] {
                // A root nobody samples: ids only if something asks (see `Slot::Lazy`).
                QuickStart::LazyRoot => {
                    return Span {
                        slot: RefCell::new(Some(Slot::Lazy)),
                    }
                }
                // Dropped under a parent that is not sampled (the sampler's fixed answer):
                // what `build` makes of it, without its general steps.
                QuickStart::Nothing => {
                    if let Some(parent) =
                        context::with_local(|l| l.valid_parent().cloned()).flatten()
                    {
                        return Span {
                            slot: RefCell::new(Some(non_recording(
                                parent.trace_id,
                                SpanId::random(),
                                parent.trace_flags,
                                parent.trace_state,
                            ))),
                        };
                    }
                }
                // Sampled (the sampler's fixed answer): the record is filled in place, as
                // for an entered span.
                QuickStart::Sampled => {
                    return Span {
                        slot: RefCell::new(
                            sampled_record(tracer, self.name, self.kind, record).map(Slot::Span),
                        ),
                    };
                }
                QuickStart::General => {}
            }
        }
        Span {
            slot: RefCell::new(self.build(tracer, record, false).ok()),
        }
    }

    /// Decides and opens the span. `Err(token)` when an entered span was already settled on
    /// the thread's stack (token 0: nothing pushed, the parent's context stays current).
    #[inline]
    #[allow(clippy::too_many_lines)] // one straight path; splitting it costs moves of the record
    fn build(
        self,
        tracer: &'static TracerInner,
        record: impl FnOnce(&mut AttributeSink<'_>),
        entered: bool,
    ) -> Result<Slot, u64> {
        let (choice, extras) = match self.extras {
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
        let from_current = matches!(choice, ParentChoice::Current);
        let mut spare = None;
        let parent = match choice {
            ParentChoice::Current => {
                // One look at the thread's stack: the parent's state is enough to settle a
                // span the sampler's fixed answer drops, before any id is generated.
                let looked = context::with_local(|l| {
                    match tracer.quick[l.parent_state().index()] {
                        QuickStart::Nothing if entered => return Looked::Settled(0),
                        // A root nobody samples: its ids are made only if asked for.
                        QuickStart::LazyRoot if entered => {
                            return Looked::Settled(l.push(Slot::Lazy));
                        }
                        QuickStart::LazyRoot => return Looked::Lazy,
                        QuickStart::Sampled => spare = l.spare.pop(),
                        QuickStart::Nothing | QuickStart::General => {}
                    }
                    Looked::Parent(l.parent())
                });
                match looked {
                    Some(Looked::Parent(parent)) => parent,
                    Some(Looked::Lazy) => return Ok(Slot::Lazy),
                    Some(Looked::Settled(token)) => return Err(token),
                    None => None,
                }
            }
            ParentChoice::Explicit(cx) => Some(cx),
            ParentChoice::Root => None,
        }
        .filter(SpanContext::is_valid);
        let state = ParentState::of(parent.as_ref());
        if tracer.quick[state.index()] == QuickStart::LazyRoot {
            return Ok(Slot::Lazy);
        }
        let fixed = tracer.fixed[state.index()];
        let trace_id = parent.as_ref().map_or_else(TraceId::random, |p| p.trace_id);
        let decision = match fixed {
            Some(d) => d,
            None => tracer.sampler.should_sample(
                parent.as_ref(),
                trace_id,
                &self.name,
                self.kind,
                extras.as_ref().map_or(&[], |(a, _)| a.as_slice()),
            ),
        };
        let sampled = decision == SamplingDecision::RecordAndSample;
        if !sampled && entered && from_current && state.is_not_sampled_parent() {
            // Below a span that is not sampled: nothing to record and nothing new to
            // propagate, so the current context (the parent's) simply stays current.
            return Err(0);
        }
        let span_id = SpanId::random();
        let (flags, trace_state, parent_span_id, parent_is_remote) = match parent {
            Some(p) => (p.trace_flags, p.trace_state, Some(p.span_id), p.is_remote),
            None => (TraceFlags::RANDOM, TraceState::default(), None, false),
        };
        if !sampled {
            return Ok(non_recording(trace_id, span_id, flags, trace_state));
        }
        if spare.is_none() {
            spare = context::with_local(|l| l.spare.pop()).flatten();
        }
        let mut rec = fill(
            tracer,
            spare,
            self.name,
            self.kind,
            Ids {
                trace_id,
                span_id,
                flags: flags.with_sampled(true),
                trace_state,
                parent_span_id,
                parent_is_remote,
            },
        );
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
        Ok(Slot::Span(rec))
    }
}

/// The slot of a span that records nothing: a context of its own (`span_id`, new) in the
/// trace it belongs to, not sampled.
#[inline]
fn non_recording(
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    trace_state: TraceState,
) -> Slot {
    Slot::Context(BoxedContext::new(Context {
        span: Some(SpanContext::new(
            trace_id,
            span_id,
            flags.with_sampled(false),
            false,
            trace_state,
        )),
        baggage: None,
    }))
}

/// A new span's identity and its parent's, as [`fill`] stores them.
struct Ids {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    trace_state: TraceState,
    parent_span_id: Option<SpanId>,
    parent_is_remote: bool,
}

/// The record of a span starting now: `spare` (an emptied record, see `Finished::take`) filled in
/// place, or a new one. Field by field: a whole `SpanContext` built first and then moved in
/// was read back across the narrower stores that built it, a store-forwarding stall that
/// took ~10% of a sampled span's time (perf, `cargo bench -p benches --bench span -- attrs`).
#[allow(clippy::inline_always)]
#[inline(always)]
fn fill(
    tracer: &'static TracerInner,
    spare: Option<Box<SpanRecord>>,
    name: Cow<'static, str>,
    kind: SpanKind,
    ids: Ids,
) -> Box<SpanRecord> {
    let start = tracer.epoch.clock.raw();
    let Ids {
        trace_id,
        span_id,
        flags,
        trace_state,
        parent_span_id,
        parent_is_remote,
    } = ids;
    match spare {
        Some(mut rec) => {
            rec.tracer = tracer;
            rec.f.name = name;
            rec.f.kind = kind;
            rec.f.ctx.trace_id = trace_id;
            rec.f.ctx.span_id = span_id;
            rec.f.ctx.trace_flags = flags;
            rec.f.ctx.is_remote = false;
            rec.f.ctx.trace_state = trace_state;
            rec.f.parent_span_id = parent_span_id;
            rec.f.parent_is_remote = parent_is_remote;
            rec.f.start = start;
            rec
        }
        None => Box::new(SpanRecord {
            tracer,
            f: Finished {
                name,
                kind,
                parent_is_remote,
                ctx: SpanContext::new(trace_id, span_id, flags, false, trace_state),
                parent_span_id,
                start,
                end: 0,
                attributes: AttrVec::new(),
                status: Status::Unset,
                dropped_attributes: 0,
                rare: None,
            },
        }),
    }
}

/// Starts and enters a span with a literal name and no extras: the call every `#[traced]`
/// function makes. Inline: spans the sampler's fixed answer drops are settled here, in the
/// caller, from one thread-local byte; the rest goes out of line.
#[inline]
fn start_entered(
    tracer: &'static TracerInner,
    name: &'static str,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    // The common case (current parent, nothing but attributes): what to do is one table
    // entry, by the parent's state (one thread-local byte).
    match tracer.quick[context::top_state().index()] {
        QuickStart::Nothing => 0,
        // A root nobody samples: its ids are made only if something asks.
        QuickStart::LazyRoot => context::enter_lazy_root(),
        // One call for both: the closure's captures are then stored only on this path.
        q => start_recorded(tracer, name, kind, q == QuickStart::Sampled, record),
    }
}

/// The entered span's out-of-line part: sampled (`sampled`), or to be decided.
#[inline(never)]
fn start_recorded(
    tracer: &'static TracerInner,
    name: &'static str,
    kind: SpanKind,
    sampled: bool,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    if sampled {
        start_sampled(tracer, Cow::Borrowed(name), kind, record)
    } else {
        let builder = SpanBuilder {
            name: Cow::Borrowed(name),
            kind,
            extras: None,
        };
        start_general(tracer, builder, record)
    }
}

/// `true` when a tracer is installed and a span started now on this thread (current parent,
/// no extras) would not be dropped under a parent that is not sampled by the sampler's fixed
/// answer ([`QuickStart::Nothing`]): one atomic load and, with a tracer, one thread-local
/// load.
#[inline]
pub(crate) fn async_span_needed() -> bool {
    tracer::global().is_some_and(|t| t.quick[context::top_state().index()] != QuickStart::Nothing)
}

/// What starting an entered span (current parent, no extras) takes, by the parent's state:
/// the sampler's fixed decisions turned into actions when the tracer is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuickStart {
    /// Dropped under a parent that is not sampled: nothing to push, the parent stays current.
    Nothing,
    /// A dropped root: entered lazily (ids only if asked for).
    LazyRoot,
    /// Sampled.
    Sampled,
    /// Ask the sampler (or a dropped child of a sampled parent, which needs its own id).
    General,
}

impl QuickStart {
    pub(crate) fn table(fixed: [Option<SamplingDecision>; 5]) -> [QuickStart; 5] {
        ParentState::ALL.map(|state| match fixed[state.index()] {
            Some(SamplingDecision::Drop) if state.is_not_sampled_parent() => QuickStart::Nothing,
            Some(SamplingDecision::Drop) if state == ParentState::None => QuickStart::LazyRoot,
            Some(SamplingDecision::RecordAndSample) => QuickStart::Sampled,
            _ => QuickStart::General,
        })
    }
}

/// Starts and enters a sampled span under the current parent (no extras).
#[inline]
fn start_sampled(
    tracer: &'static TracerInner,
    name: Cow<'static, str>,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    match sampled_record(tracer, name, kind, record) {
        Some(rec) => context::push_recording(rec),
        // The thread is exiting: nothing can be entered.
        None => 0,
    }
}

/// The record of a sampled span starting now under the current parent (none, or one that
/// is not valid: a root), for an entered or a detached span. It is filled in place, its ids
/// copied field by field from the parent's (see [`fill`] for why not through a
/// `SpanContext` value). `None` when the thread is exiting.
#[allow(clippy::inline_always)] // measured: `#[inline]` costs the detached paths 4-34 instructions
#[inline(always)]
fn sampled_record(
    tracer: &'static TracerInner,
    name: Cow<'static, str>,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> Option<Box<SpanRecord>> {
    let mut rec = context::with_local_read(|l| {
        let mut rec = l.spare.pop().unwrap_or_else(|| SpanRecord::empty(tracer));
        rec.f.adopt(l.valid_parent());
        rec
    })?;
    rec.tracer = tracer;
    rec.f.name = name;
    rec.f.kind = kind;
    rec.f.start = tracer.epoch.clock.raw();
    record(&mut rec.sink());
    Some(rec)
}

/// Starts and enters a span in the general case (extras, or a sampler to ask).
#[inline(never)]
fn start_general(
    tracer: &'static TracerInner,
    builder: SpanBuilder,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    match builder.build(tracer, record, true) {
        Ok(slot) => context::push(slot),
        Err(token) => token,
    }
}

/// What one look at the thread's stack settled for a new span.
enum Looked {
    /// Handled on the stack: the token to return (0 when nothing was pushed).
    Settled(u64),
    /// A detached root nobody samples.
    Lazy,
    /// To be decided with the parent's context.
    Parent(Option<SpanContext>),
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
            self.with_record(|r| r.f.status = status);
        }

        /// Renames the span.
        pub fn update_name(&self, name: impl Into<Cow<'static, str>>) {
            self.with_record(|r| r.f.name = name.into());
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
        context::with_local(|l| match l.find_mut(self.token)? {
            Slot::Span(rec) => Some(f(rec)),
            Slot::Context(_) | Slot::Lazy => None,
        })
        .flatten()
    }

    span_methods!();

    /// The span's context. A span that is not recording under a parent that is not
    /// sampled shares that parent's context; with no tracer installed it is invalid.
    pub fn span_context(&self) -> SpanContext {
        if self.token == 0 {
            return context::current_span_context().unwrap_or_else(SpanContext::empty);
        }
        context::with_local(|l| l.find_mut(self.token)?.span_context())
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

/// Leaves and ends the entered span `token` (out of line: see `start_entered`). A lazy root
/// nothing looked at is left with two thread-local stores; the rest goes to
/// [`end_recording`].
#[inline]
fn end_entered(token: u64) {
    if !context::leave_lazy_root(token) {
        end_recording(token);
    }
}

/// Leaves and ends the entered span `token`: taking it off the stack, reusing its record and
/// queueing it for the worker is one visit to the thread's state.
#[inline(never)]
fn end_recording(token: u64) {
    let rest = context::with_local(|l| {
        let mut rec = l.end(token)?;
        rec.stamp_end();
        let tracer = rec.tracer;
        if tracer.queue_local(l, &mut rec.f) {
            l.recycle(rec);
            None
        } else {
            Some(rec)
        }
    })
    .flatten();
    // Processors that run the exporter on this thread do it outside the thread's state.
    if let Some(mut rec) = rest {
        let finished = rec.f.take();
        rec.tracer.on_end(finished);
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
        self.slot
            .try_borrow_mut()
            .ok()
            .and_then(|mut s| s.as_mut()?.span_context())
            .unwrap_or_else(SpanContext::empty)
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

    /// An unsampled root whose ids were not made yet.
    #[inline]
    pub(crate) fn is_lazy(&mut self) -> bool {
        matches!(self.slot.get_mut(), Some(Slot::Lazy))
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
        context::with_local(|l| match l.top_mut()? {
            Slot::Span(rec) => Some(f(rec)),
            Slot::Context(_) | Slot::Lazy => None,
        })
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

#[cfg(test)]
mod tests {
    /// What each thread's ring holds per span (documented on `BatchConfig::max_queue_size`)
    /// and what is copied when a span ends: a regression here costs every sampled span.
    #[test]
    fn quick_start_tables_follow_the_fixed_decisions() {
        use super::QuickStart::{General, LazyRoot, Nothing, Sampled};
        use crate::sampler::{
            AlwaysOff, AlwaysOn, ParentBased, ParentState, Sampler, TraceIdRatio,
        };
        let table = |s: &dyn Sampler| {
            super::QuickStart::table(ParentState::ALL.map(|p| s.fixed_decision(p)))
        };
        // Order: none, local sampled, local not sampled, remote sampled, remote not sampled.
        assert_eq!(
            table(&ParentBased::new(AlwaysOff)),
            [LazyRoot, Sampled, Nothing, Sampled, Nothing]
        );
        // A dropped child of a sampled parent needs its own span id: the general path.
        assert_eq!(
            table(&AlwaysOff),
            [LazyRoot, General, Nothing, General, Nothing]
        );
        assert_eq!(table(&AlwaysOn), [Sampled; 5]);
        assert_eq!(
            table(&ParentBased::new(TraceIdRatio::new(0.5))),
            [General, Sampled, Nothing, Sampled, Nothing]
        );
        assert_eq!(table(&TraceIdRatio::new(0.5)), [General; 5]);
    }

    #[test]
    fn a_finished_span_stays_small() {
        assert!(std::mem::size_of::<super::Finished>() <= 384);
        assert!(std::mem::size_of::<crate::context::Slot>() <= 64);
    }
}
