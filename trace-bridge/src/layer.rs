//! The `tracing` layer: each `tracing` span a traced span, on the same per-thread stack as
//! `#[traced]` spans, so the two kinds nest in either direction; events as span events.
//!
//! Where a span is kept:
//! - A span the sampler's fixed answer drops with everything below it is left out: kept
//!   nowhere, noted in a thread-local cell ([`Here`]).
//! - Any other traced span is an [`Entry`] in [`KEPT`], a sharded map from the span's key to
//!   its `SharedSpan` that every thread reaches (a `tracing` span handle moves between
//!   threads). Nothing goes into the registry's extensions and nothing is allocated per
//!   span. The usual enter (one thread at a time) is held by the entry itself; other enters
//!   go on the entering thread's stack ([`ENTERED`]). The span ends in `on_close`, or at its
//!   exit when it is closed while entered on another thread.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

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
    /// Numbered when added to a subscriber (0: not yet; such a layer leaves nothing out).
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

/// An `otel.status_description` recorded before its `otel.status_code`, in the span's
/// extensions until the code comes.
struct Description(Option<String>);

/// What the layer keeps of a `tracing` span that records, or whose context other threads
/// need: the traced span.
struct Entry {
    span: SharedSpan,
    /// The first of its current enters ([`LocalToken::into_raw`]; 0: none) and the thread
    /// holding it ([`thread_number`]): the usual span is entered on one thread at a time, so
    /// its enter needs no stack entry. Other enters go on the entering thread's stack.
    entered: u64,
    thread: u64,
    /// Closed while entered on another thread: that thread's exit ends it.
    closed: bool,
}

impl Entry {
    fn new(span: SharedSpan) -> Self {
        Entry {
            span,
            entered: 0,
            thread: 0,
            closed: false,
        }
    }

    /// Whether it holds an enter of thread `me`.
    #[inline]
    fn held_by(&self, me: u64) -> bool {
        self.entered != 0 && self.thread == me
    }

    /// Takes the enter this entry holds for thread `me`.
    #[inline]
    fn take_enter(&mut self, me: u64) -> Option<LocalToken> {
        self.held_by(me)
            .then(|| LocalToken::from_raw(std::mem::take(&mut self.entered)))
    }
}

/// A span's key: the layer instance (ids of two registries can be equal) and the `tracing`
/// id (a closed span's id comes back with a new generation).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    instance: u64,
    id: u64,
}

/// Nothing: instance 0 is never a layer's number.
const NO_KEY: Key = Key { instance: 0, id: 0 };

impl Key {
    /// The key's bits, mixed (a folded multiply): the shard is taken from the middle bits,
    /// the shard's table uses the low and the top ones.
    #[inline]
    fn mixed(self) -> u64 {
        let x = self.id ^ self.instance.rotate_left(40);
        let p = u128::from(x) * 0x9E37_79B9_7F4A_7C15_u128;
        #[allow(clippy::cast_possible_truncation)] // the two halves, folded
        let folded = (p as u64) ^ ((p >> 64) as u64);
        folded
    }
}

/// A shard's table: open addressing over [`Key::mixed`]'s low bits, linear probing, removal
/// by shifting the entries after it back (no tombstones), so a table that keeps few spans at
/// a time stays one or two cache lines to probe.
struct Table {
    slots: Vec<Slot>,
    len: usize,
}

/// A table slot; free when `key` is [`NO_KEY`] (a `tracing` id is never 0).
struct Slot {
    key: Key,
    entry: Option<Entry>,
}

impl Table {
    const fn new() -> Self {
        Table {
            slots: Vec::new(),
            len: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    #[inline]
    #[allow(clippy::cast_possible_truncation)] // the low bits
    fn home(key: Key, mask: usize) -> usize {
        key.mixed() as usize & mask
    }

    /// The slot holding `key`.
    #[inline]
    fn find(&self, key: Key) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = Self::home(key, mask);
        loop {
            let k = self.slots[i].key;
            if k == key {
                return Some(i);
            }
            if k == NO_KEY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn get_mut(&mut self, key: Key) -> Option<&mut Entry> {
        let i = self.find(key)?;
        self.slots[i].entry.as_mut()
    }

    /// Keeps `entry` under `key`; the entry it replaces, if any.
    #[inline]
    fn insert(&mut self, key: Key, entry: Entry) -> Option<Entry> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.resize((self.slots.len() * 2).max(8));
        }
        let mask = self.mask();
        let mut i = Self::home(key, mask);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == key {
                return slot.entry.replace(entry);
            }
            if slot.key == NO_KEY {
                slot.key = key;
                slot.entry = Some(entry);
                self.len += 1;
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Takes `key`'s entry out; the entries after it in its run move back.
    #[inline]
    fn remove(&mut self, key: Key) -> Option<Entry> {
        let i = self.find(key)?;
        self.remove_at(i)
    }

    /// Takes slot `i`'s entry out (see [`remove`](Self::remove)).
    #[inline]
    fn remove_at(&mut self, i: usize) -> Option<Entry> {
        let mut hole = i;
        let entry = self.slots[hole].entry.take();
        self.slots[hole].key = NO_KEY;
        self.len -= 1;
        let mask = self.mask();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let k = self.slots[i].key;
            if k == NO_KEY {
                break;
            }
            // An entry whose home is not cyclically within (hole, i] moves into the hole.
            let wanted = Self::home(k, mask);
            if (i.wrapping_sub(wanted) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.slots.swap(hole, i);
                hole = i;
            }
        }
        if self.len * 8 < self.slots.len() && self.slots.len() > 64 {
            // After a burst of open spans, the memory goes back.
            self.resize(self.slots.len() / 2);
        }
        entry
    }

    /// Moves every entry into a table of `capacity` slots (a power of two).
    #[cold]
    fn resize(&mut self, capacity: usize) {
        let old = std::mem::replace(
            &mut self.slots,
            (0..capacity)
                .map(|_| Slot {
                    key: NO_KEY,
                    entry: None,
                })
                .collect(),
        );
        self.len = 0;
        for slot in old {
            if let Some(entry) = slot.entry {
                self.insert(slot.key, entry);
            }
        }
    }
}

/// One part of the kept spans, on a cache line pair of its own (threads locking two
/// shards do not contend for one line).
#[repr(align(128))]
struct Shard {
    table: Mutex<Table>,
    /// How many spans the table keeps, written under the lock as spans come and go, read
    /// without it: a close with nothing kept in its shard (no tracer installed) takes no
    /// lock. A span is counted before its handle can reach the thread that closes it, and
    /// stays counted until it is removed.
    kept: AtomicUsize,
}

const SHARDS: usize = 64;

/// The kept spans of every layer, by key: a span started on one thread is found on any
/// other (its enters, records and close go wherever its `tracing` handle goes). An entry
/// lives in its shard's table: keeping a span allocates nothing of its own. No user code
/// runs under a shard's lock (an ended span is dropped after the lock is released).
static KEPT: [Shard; SHARDS] = [const {
    Shard {
        table: Mutex::new(Table::new()),
        kept: AtomicUsize::new(0),
    }
}; SHARDS];

impl Shard {
    /// Its table, locked.
    #[inline]
    fn lock(&'static self) -> MutexGuard<'static, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether it keeps no span (read without the lock).
    #[inline]
    fn is_empty(&self) -> bool {
        self.kept.load(Ordering::Acquire) == 0
    }

    /// Notes how many spans it keeps (`table` is its own, locked).
    #[inline]
    fn count(&self, table: &Table) {
        self.kept.store(table.len, Ordering::Release);
    }
}

/// The shard of `key`.
#[inline]
fn shard_of(key: Key) -> &'static Shard {
    #[allow(clippy::cast_possible_truncation)] // six bits
    let index = (key.mixed() >> 32) as usize % SHARDS;
    &KEPT[index]
}

/// The shard table of `key`, locked.
#[inline]
fn shard(key: Key) -> MutexGuard<'static, Table> {
    shard_of(key).lock()
}

/// Runs `f` on the entry of `key` (`None`: nothing kept for it).
#[inline]
fn with_entry<R>(key: Key, f: impl FnOnce(&mut Entry) -> R) -> Option<R> {
    shard(key).get_mut(key).map(f)
}

/// How an enter on this thread's stack is left.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    /// A kept span's: its record goes back to its entry (or ends, when it was closed).
    Kept,
    /// An ancestor's context standing for a span left out on another thread.
    Ancestor,
    /// A left-out span's ([`trace_core::enter_not_sampled`]).
    LeftOut,
}

/// A span entered on this thread, until its exit.
struct Entered {
    key: Key,
    token: LocalToken,
    held: Held,
}

thread_local! {
    /// Spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<Entered>> = const { RefCell::new(Vec::new()) };
}

/// This thread's cells (no destructor, so no registration check on each access): its
/// left-out spans, its number, how many enters its stack holds.
struct Here {
    /// The left-out span last started here: one the sampler drops with everything below
    /// it ([`trace_core::subtree_dropped_here`]), kept nowhere. Entered, it makes the
    /// thread's context one whose spans are dropped; entered on another thread, its
    /// nearest kept ancestor's context stands for it (which decides the same).
    last: Cell<Key>,
    /// One enter of a left-out span, beside the stack (the usual span is entered once at
    /// a time); its other enters go on the stack.
    beside: Cell<Key>,
    /// That enter's token ([`LocalToken::into_raw`]).
    beside_token: Cell<u64>,
    /// This thread's number (0: not yet given), unique for the process's life.
    number: Cell<u64>,
    /// How many enters [`ENTERED`] holds (0: the usual exit looks only at the entry).
    stacked: Cell<usize>,
}

thread_local! {
    static HERE: Here = const {
        Here {
            last: Cell::new(NO_KEY),
            beside: Cell::new(NO_KEY),
            beside_token: Cell::new(0),
            number: Cell::new(0),
            stacked: Cell::new(0),
        }
    };
}

/// Thread numbers, from 1.
static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

/// This thread's number: what an [`Entry`] holding one of its enters notes.
#[inline]
fn thread_number() -> u64 {
    HERE.with(|h| match h.number.get() {
        0 => {
            let n = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
            h.number.set(n);
            n
        }
        n => n,
    })
}

/// Layer instances, numbered when added to a subscriber.
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// Where a span's children take their parent from.
enum ParentOf {
    /// Left out here: its children are dropped too.
    LeftOut,
    /// This context (`None`: none, the span is not traced).
    Context(Option<SpanContext>),
}

impl TracingLayer {
    #[inline]
    fn key(&self, id: &Id) -> Key {
        Key {
            instance: self.instance,
            id: id.into_u64(),
        }
    }

    /// Whether span `key` was left out on this thread (a layer not yet numbered leaves
    /// nothing out, and a `tracing` id is never 0: no key of its matches [`NO_KEY`]).
    #[inline]
    fn left_out_here(key: Key) -> bool {
        HERE.with(|d| d.last.get()) == key
    }

    /// The context children of `id` take from it: its own when it is kept, its nearest kept
    /// ancestor's when it was left out on another thread.
    fn parent_of<S>(&self, id: &Id, ctx: &Context<'_, S>) -> ParentOf
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let key = self.key(id);
        if Self::left_out_here(key) {
            return ParentOf::LeftOut;
        }
        let cx = match with_entry(key, |e| e.span.span_context()) {
            Some(cx) => Some(cx),
            None => self.ancestor(id, ctx),
        };
        ParentOf::Context(cx.filter(SpanContext::is_valid))
    }

    /// The context of the nearest ancestor of `id` in the registry that is kept and not
    /// sampled: what a span left out on another thread stands for here.
    fn ancestor<S>(&self, id: &Id, ctx: &Context<'_, S>) -> Option<SpanContext>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let span = ctx.span(id)?;
        for ancestor in span.scope().skip(1) {
            let found = with_entry(self.key(&ancestor.id()), |e| {
                // Under a sampled span, `id` was not left out: it is not a traced span.
                (!e.span.is_sampled()).then(|| e.span.span_context())
            });
            if let Some(cx) = found {
                return cx;
            }
        }
        // None kept up to the root: a chain left out whole (a root the sampler drops), or
        // not traced spans; entering nothing for it leaves this thread's context as is.
        None
    }

    /// Runs `f` on whichever handle records on span `id` from this thread: the token when it
    /// is entered here, its entry's span otherwise (`None`: it records nothing).
    fn with_ops<R>(&self, id: &Id, f: impl FnOnce(&dyn SpanOps) -> R) -> Option<R> {
        let key = self.key(id);
        let mut f = Some(f);
        let here = ENTERED
            .try_with(|entered| {
                let entered = entered.try_borrow().ok()?;
                let e = entered
                    .iter()
                    .rev()
                    .find(|e| e.key == key && e.held == Held::Kept && e.token.is_entered())?;
                if !e.token.is_recording() {
                    return None;
                }
                Some(f.take()?(&e.token))
            })
            .ok()
            .flatten();
        if here.is_some() {
            return here;
        }
        let f = f?;
        let me = thread_number();
        with_entry(key, |e| {
            if e.held_by(me) {
                // Entered here: its record is on this thread's stack.
                let token = LocalToken::from_raw(e.entered);
                let r = token.is_recording().then(|| f(&token));
                e.entered = token.into_raw();
                r
            } else {
                e.span.is_recording().then(|| f(&e.span))
            }
        })
        .flatten()
    }

    /// Enters span `id` on this thread (not one left out here).
    #[inline(never)]
    fn enter<S>(&self, key: Key, id: &Id, ctx: &Context<'_, S>) -> Option<()>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let me = thread_number();
        let mut table = shard(key);
        let kept = table.get_mut(key).map(|e| {
            let token = e.span.enter();
            if e.entered == 0 {
                // The usual enter: held by the entry.
                e.entered = token.into_raw();
                e.thread = me;
                return None;
            }
            Some(token)
        });
        // No other lock is taken, nor this one again, while it is held.
        drop(table);
        let entered = match kept {
            Some(None) => return Some(()),
            Some(Some(token)) => Entered {
                key,
                token,
                held: Held::Kept,
            },
            // Left out on another thread (or not a traced span): its nearest kept
            // ancestor's context stands for it.
            None => Entered {
                key,
                token: SharedSpan::not_recording(self.ancestor(id, ctx)?).enter(),
                held: Held::Ancestor,
            },
        };
        push(entered);
        Some(())
    }
}

/// Puts an enter on this thread's stack.
fn push(entered: Entered) {
    let refused = ENTERED.try_with(|stack| match stack.try_borrow_mut() {
        Ok(mut stack) => {
            stack.push(entered);
            HERE.with(|h| h.stacked.set(stack.len()));
            None
        }
        Err(_) => Some(entered),
    });
    if let Ok(Some(entered)) = refused {
        // This thread's stack is busy (a field's `Debug` entering a span): no enter.
        drop(leave(entered));
    }
}

/// Takes the innermost enter of `key` off this thread's stack (`None`: the span was not
/// entered here).
#[inline(never)]
fn take_entered(key: Key) -> Option<Entered> {
    ENTERED
        .try_with(|stack| {
            let mut stack = stack.try_borrow_mut().ok()?;
            let taken = match stack.last() {
                Some(top) if top.key == key => stack.pop(),
                _ => {
                    let pos = stack.iter().rposition(|e| e.key == key)?;
                    Some(stack.remove(pos))
                }
            };
            HERE.with(|h| h.stacked.set(stack.len()));
            taken
        })
        .ok()
        .flatten()
}

/// Leaves the enter the entry of `key` holds for this thread, if it holds one; a span
/// closed meanwhile ends.
#[inline]
fn exit_held(key: Key) {
    let shard = shard_of(key);
    if shard.is_empty() {
        return; // nothing kept there: not a traced span (no tracer installed, say)
    }
    let me = thread_number();
    let mut table = shard.lock();
    let Some(e) = table.get_mut(key) else {
        return;
    };
    let Some(token) = e.take_enter(me) else {
        return;
    };
    e.span.exit(token);
    if e.closed {
        let entry = table.remove(key);
        shard.count(&table);
        drop(table);
        drop(entry);
    }
}

/// Gives back an enter with no entry to return to (its span was closed, or it was an
/// ancestor's context): its slot leaves this thread's stack, and a record on it ends.
fn give_back(token: LocalToken) {
    SharedSpan::not_recording(SpanContext::empty()).exit(token);
}

/// Leaves an enter; the ids a left-out root was given while entered, to keep (see
/// [`trace_core::leave_not_sampled`]).
#[inline]
fn leave(entered: Entered) -> Option<SpanContext> {
    match entered.held {
        Held::Kept => {
            let mut table = shard(entered.key);
            if let Some(entry) = table.get_mut(entered.key) {
                entry.span.exit(entered.token);
            } else {
                drop(table);
                // Closed while entered here: the record taken off the stack ends now.
                give_back(entered.token);
            }
            None
        }
        Held::Ancestor => {
            give_back(entered.token);
            None
        }
        Held::LeftOut => trace_core::leave_not_sampled(entered.token),
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
        if self.with_ops(id, |span| span.is_recording()) != Some(true) {
            return; // records nothing
        }
        // Collected with no state borrowed: a `Debug` value may itself emit events.
        let mut fields = RecordFields::default();
        values.record(&mut fields);
        let specials = &mut fields.specials;
        match (&specials.status_code, &specials.status_description) {
            // Kept (in the span's extensions: rare) until the code comes.
            (None, Some(_)) => {
                if let Some(span) = ctx.span(id) {
                    let description = specials.status_description.take();
                    span.extensions_mut().replace(Description(description));
                }
            }
            (Some(_), None) => {
                if let Some(span) = ctx.span(id) {
                    specials.status_description = span
                        .extensions_mut()
                        .remove::<Description>()
                        .and_then(|d| d.0);
                }
            }
            _ => {}
        }
        self.with_ops(id, |span| fields.apply(span));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let ParentOf::Context(Some(cx)) = self.parent_of(follows, &ctx) else {
            return;
        };
        self.with_ops(id, |span| span.link(cx));
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !self.events || !trace_core::is_enabled() {
            return;
        }
        if event.is_root() {
            return; // `parent: None`: no span to record on
        }
        if let Some(parent) = event.parent() {
            if self.with_ops(parent, |span| span.is_recording()) == Some(true) {
                // Collected with no state borrowed: a `Debug` value may emit events.
                let (name, attributes, error) = self.collect(event);
                self.with_ops(parent, |span| record(span, name, attributes, error));
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
        let done = HERE.with(|d| {
            if d.last.get() != key {
                return false;
            }
            let token = trace_core::enter_not_sampled();
            if !token.is_entered() {
                // Under a parent that is not sampled: its context stays current, and the
                // exit finds nothing to leave.
                return true;
            }
            if d.beside.get() == NO_KEY {
                d.beside.set(key);
                d.beside_token.set(token.into_raw());
            } else {
                push(Entered {
                    key,
                    token,
                    held: Held::LeftOut,
                });
            }
            true
        });
        if !done {
            self.enter(key, id, &ctx);
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let key = self.key(id);
        // A left-out span's enter beside the stack.
        let (beside, stacked, left_out) = HERE.with(|d| {
            let beside = (d.beside.get() == key).then(|| {
                d.beside.set(NO_KEY);
                LocalToken::from_raw(d.beside_token.get())
            });
            (beside, d.stacked.get(), d.last.get() == key)
        });
        let ids = match beside {
            Some(token) => trace_core::leave_not_sampled(token),
            // Left out here, and entered under a parent that is not sampled: nothing was
            // entered (the stack is empty, so no other enter of it is there either).
            None if left_out && stacked == 0 => None,
            None => exit(key, stacked),
        };
        if let Some(ids) = ids {
            self.publish(id, &ctx, ids);
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let key = self.key(&id);
        if !Self::left_out_here(key) {
            close(key);
        }
    }
}

/// Leaves span `key` on this thread (not a left-out span's enter beside the stack): this
/// thread's stack first, where a span entered again is left innermost first, then the
/// enter its entry holds; the ids a left-out root was given, to keep.
#[inline(never)]
fn exit(key: Key, stacked: usize) -> Option<SpanContext> {
    if let Some(entered) = (stacked != 0).then(|| take_entered(key)).flatten() {
        return leave(entered);
    }
    exit_held(key);
    None
}

/// Ends kept span `key`, closed (a span left out is kept nowhere; nor is one that was not
/// traced).
#[inline(never)]
fn close(key: Key) {
    let shard = shard_of(key);
    if shard.is_empty() {
        return; // nothing kept there (no tracer installed, say)
    }
    let me = thread_number();
    let mut table = shard.lock();
    let Some(i) = table.find(key) else {
        return;
    };
    let entry = match &mut table.slots[i].entry {
        Some(e) if e.entered != 0 && !e.held_by(me) => {
            // Entered on another thread: its exit there ends it.
            e.closed = true;
            return;
        }
        _ => table.remove_at(i),
    };
    shard.count(&table);
    // Out of its shard first: ending it runs no exporter under the lock.
    drop(table);
    if let Some(mut entry) = entry {
        if let Some(token) = entry.take_enter(me) {
            entry.span.exit(token); // closed while entered here: left first
        }
    }
}

impl TracingLayer {
    /// Starts the traced span of `tracing` span `id` and keeps it.
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
            // An explicit parent: its context, if it is traced (a parent the filter
            // rejected leaves the span under the current one).
            match self.parent_of(parent, ctx) {
                ParentOf::LeftOut => {
                    self.left_out(id);
                    return;
                }
                ParentOf::Context(Some(cx)) => builder = builder.parent(cx),
                ParentOf::Context(None) => {}
            }
        }
        let mut specials = Specials::default();
        let span = builder.start_shared_with(|sink| {
            attrs.record(&mut SpanFields {
                sink,
                specials: &mut specials,
            });
        });
        if !specials.is_empty() {
            specials.apply(&span);
        }
        let key = self.key(id);
        if Self::left_out_here(key) {
            HERE.with(|d| d.last.set(NO_KEY));
        }
        let entry = Entry::new(span);
        let shard = shard_of(key);
        let mut table = shard.lock();
        let old = table.insert(key, entry);
        shard.count(&table);
        drop(table);
        drop(old);
    }

    /// Keeps the ids a left-out root was given (a log line asked for its trace id) where
    /// every enter finds them: the span is kept, recording nothing.
    #[cold]
    #[inline(never)]
    fn publish<S>(&self, id: &Id, _ctx: &Context<'_, S>, cx: SpanContext)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let key = self.key(id);
        if Self::left_out_here(key) {
            HERE.with(|d| d.last.set(NO_KEY));
        }
        let shard = shard_of(key);
        let mut table = shard.lock();
        if table.find(key).is_none() {
            table.insert(key, Entry::new(SharedSpan::not_recording(cx)));
            shard.count(&table);
        }
    }

    /// Span `id` is left out: the sampler drops it with everything below it.
    #[inline]
    fn left_out(&self, id: &Id) {
        if self.instance != 0 {
            let key = self.key(id);
            HERE.with(|d| d.last.set(key));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An entry told apart by `tag` (in a field the table does not read).
    fn entry(tag: u64) -> Entry {
        let mut entry = Entry::new(SharedSpan::not_recording(SpanContext::empty()));
        entry.entered = tag;
        entry
    }

    fn key(instance: u64, id: u64) -> Key {
        Key { instance, id }
    }

    /// The table against a `HashMap`, through growth and removals that shift runs back
    /// (keys that collide in their low bits make long runs).
    #[test]
    fn the_table_keeps_what_a_map_keeps() {
        let mut table = Table::new();
        let mut model = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..20_000_u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct ids, two instances: inserts hit existing keys, removes find some.
            let k = key(1 + (x >> 63), 1 + (x % 512) * 64);
            if x % 3 == 0 {
                let got = table.remove(k).map(|e| e.entered);
                assert_eq!(
                    got,
                    model.remove(&k.id.wrapping_add(k.instance << 32)),
                    "round {round}"
                );
            } else {
                let tag = round;
                let old = table.insert(k, entry(tag)).map(|e| e.entered);
                assert_eq!(old, model.insert(k.id.wrapping_add(k.instance << 32), tag));
            }
            assert_eq!(table.len, model.len());
        }
        for (&packed, tag) in &model {
            let k = key(packed >> 32, packed & 0xffff_ffff);
            let found = table.get_mut(k).map(|e| e.entered);
            assert_eq!(found.as_ref(), Some(tag));
        }
        assert!(table.get_mut(key(1, 3)).is_none());
        assert!(table.slots.len() >= 2 * table.len);
    }

    #[test]
    fn a_table_gives_memory_back_after_a_burst() {
        let mut table = Table::new();
        for id in 1..=10_000 {
            table.insert(key(1, id), entry(0));
        }
        assert!(table.slots.len() >= 20_000);
        for id in 1..=9_990 {
            assert!(table.remove(key(1, id)).is_some());
        }
        assert!(table.slots.len() <= 128, "{} slots kept", table.slots.len());
        for id in 9_991..=10_000 {
            assert!(table.get_mut(key(1, id)).is_some());
        }
    }

    #[test]
    fn an_empty_table_finds_nothing_and_removes_nothing() {
        let mut table = Table::new();
        assert!(table.get_mut(key(1, 1)).is_none());
        assert!(table.remove(key(1, 1)).is_none());
        assert!(table.insert(key(1, 1), entry(0)).is_none());
        assert!(table.remove(key(1, 1)).is_some());
        assert!(table.remove(key(1, 1)).is_none());
        assert_eq!(table.len, 0);
    }
}
