//! What is current on a thread: the public [`Context`] (span context and baggage), and the
//! per-thread stack of entered spans and contexts with the fast-path cells the start paths
//! read (`Local`, `Slot`, `with_local`, `push`, `take`).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::mem;
use std::sync::Arc;

use crate::id::{SpanId, TraceId};
use crate::pipeline::SpanRecord;
use crate::processor::ProducerSlot;
use crate::propagation::Baggage;
use crate::sampler::ParentState;
use crate::span_context::{SpanContext, TraceFlags, TraceState};

/// Emptied span records kept per thread for reuse, so a sampled span allocates nothing once
/// warm.
const SPARE_RECORDS: usize = 16;

/// What is current on a thread: the active span's context and the baggage.
///
/// Capture it with [`Context::current`] and [`attach`](Context::attach) it on another thread
/// (or in a closure run later) so that spans started there become children of the span that
/// was current here.
///
/// # Examples
/// ```
/// use trace_core::Context;
/// let cx = Context::current();
/// std::thread::spawn(move || {
///     let _attached = cx.attach();
///     // spans started here have the captured span as parent
/// })
/// .join()
/// .unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub(crate) span: Option<SpanContext>,
    pub(crate) baggage: Option<Arc<Baggage>>,
}

impl Context {
    /// An empty context: no span, no baggage.
    pub fn new() -> Self {
        Context::default()
    }

    /// The context of the calling thread: the innermost active span (or attached context)
    /// and the innermost baggage.
    pub fn current() -> Self {
        with_local_read(Local::current_context).unwrap_or_default()
    }

    /// The span context carried, if any.
    pub fn span_context(&self) -> Option<&SpanContext> {
        self.span.as_ref()
    }

    /// This context with `span_context` (typically extracted from a request) as the span.
    #[must_use]
    pub fn with_remote_span_context(mut self, span_context: SpanContext) -> Self {
        self.span = Some(span_context);
        self
    }

    /// The baggage carried, if any.
    pub fn baggage(&self) -> Option<&Baggage> {
        self.baggage.as_deref()
    }

    /// This context with `baggage`.
    #[must_use]
    pub fn with_baggage(mut self, baggage: Baggage) -> Self {
        self.baggage = Some(Arc::new(baggage));
        self
    }

    /// Makes this context current on the calling thread until the guard is dropped.
    #[must_use = "the context is detached when the guard is dropped"]
    pub fn attach(self) -> ContextGuard {
        let token = push(Slot::Context(BoxedContext::new(self)));
        ContextGuard {
            token,
            _not_send: PhantomData,
        }
    }
}

/// Keeps an attached [`Context`] current; dropping it restores the previous one.
#[derive(Debug)]
pub struct ContextGuard {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let _ = take(self.token);
    }
}

/// A context in a box: how the thread's stack and an instrumented future's state hold a
/// non-recording span or an attached context, so that entering and leaving one moves a
/// pointer, not the context. The box comes from, and goes back to, a few kept per thread.
/// Its drop is a test and a call: dropping a `Context` in place takes some twenty
/// instructions, which inlined into every drop of a slot or state would keep those drops out
/// of line, with a call on every path, even where nothing is held.
pub(crate) struct BoxedContext(Option<Box<Context>>);

impl BoxedContext {
    /// `cx` in a box, a spare one when the thread has one.
    #[inline]
    pub(crate) fn new(cx: Context) -> Self {
        BoxedContext(Some(box_context(cx)))
    }

    /// The context (`None` only while the box is being dropped).
    #[inline]
    pub(crate) fn get(&self) -> Option<&Context> {
        self.0.as_deref()
    }
}

impl Drop for BoxedContext {
    #[inline]
    fn drop(&mut self) {
        if let Some(boxed) = self.0.take() {
            drop_context(boxed);
        }
    }
}

/// Emptied context boxes kept for the next non-recording span of this thread: under a trace
/// that is not sampled such spans come and go with every call, and a `malloc` and a `free`
/// would cost more than the rest of the span.
const SPARE_CONTEXTS: usize = 8;

thread_local! {
    // The boxes themselves are what is kept: they are handed back out, not their contents.
    #[allow(clippy::vec_box)]
    static SPARE_CONTEXT_BOXES: RefCell<Vec<Box<Context>>> = const { RefCell::new(Vec::new()) };
}

/// `cx` in a box, a spare one when the thread has one.
fn box_context(cx: Context) -> Box<Context> {
    let spare = SPARE_CONTEXT_BOXES
        .try_with(|s| s.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten();
    match spare {
        Some(mut boxed) => {
            // A spare box holds `Context::default()` (see `drop_context`), which owns
            // nothing: it is overwritten without running its drop.
            mem::forget(mem::replace(&mut *boxed, cx));
            boxed
        }
        None => Box::new(cx),
    }
}

/// Drops the context now and keeps the box for [`box_context`] (freed when the thread has
/// enough, or is exiting).
#[inline(never)]
fn drop_context(mut boxed: Box<Context>) {
    *boxed = Context::default();
    let _ = SPARE_CONTEXT_BOXES.try_with(|s| {
        if let Ok(mut spare) = s.try_borrow_mut() {
            if spare.len() < SPARE_CONTEXTS {
                spare.push(boxed);
            }
        }
    });
}

/// What an entry of the per-thread stack holds.
pub(crate) enum Slot {
    /// A recording span, owned by the stack while entered.
    Span(Box<SpanRecord>),
    /// An attached context, or a span that is not recording (its context only).
    Context(BoxedContext),
    /// A root span that is not sampled and whose ids nobody has asked for yet: they are
    /// made (and the slot becomes a `Context`) the first time something needs them.
    Lazy,
}

impl Slot {
    /// The span context this slot stands for, making a lazy root's ids now (a copy of
    /// [`span_context_ref`](Self::span_context_ref)).
    #[inline]
    pub(crate) fn span_context(&mut self) -> Option<SpanContext> {
        self.span_context_ref().cloned()
    }

    /// The span context this slot stands for, by reference (a sampled child copies its
    /// parent's fields from it; a lazy root gets its ids now).
    #[inline]
    pub(crate) fn span_context_ref(&mut self) -> Option<&SpanContext> {
        if matches!(self, Slot::Lazy) {
            self.make_lazy_ids();
        }
        match self {
            Slot::Span(rec) => Some(&rec.f.ctx),
            Slot::Context(cx) => cx.get().and_then(|cx| cx.span.as_ref()),
            Slot::Lazy => None,
        }
    }

    /// The slot of a span that records nothing: its context only.
    #[inline]
    pub(crate) fn of_context(span: SpanContext) -> Slot {
        Slot::Context(BoxedContext::new(Context {
            span: Some(span),
            baggage: None,
        }))
    }

    /// Gives a lazy root its ids: it becomes the context of an unsampled span.
    #[cold]
    #[inline(never)]
    fn make_lazy_ids(&mut self) -> SpanContext {
        let ctx = lazy_root_ids();
        *self = Slot::of_context(ctx.clone());
        ctx
    }
}

/// The ids a lazy root gets when something asks: a new trace, not sampled.
pub(crate) fn lazy_root_ids() -> SpanContext {
    SpanContext::new(
        TraceId::random(),
        SpanId::random(),
        TraceFlags::RANDOM,
        false,
        TraceState::default(),
    )
}

pub(crate) struct Entry {
    pub(crate) token: u64,
    pub(crate) slot: Slot,
}

/// Per-thread state: the stack of entered spans and contexts, and the batch queue producer.
pub(crate) struct Local {
    pub(crate) stack: Vec<Entry>,
    pub(crate) producer: Option<ProducerSlot>,
    /// Emptied span records returned by the batch worker, reused by new spans.
    #[allow(clippy::vec_box)] // the boxes are what is reused: records move as pointers
    pub(crate) spare: Vec<Box<SpanRecord>>,
}

impl Local {
    const fn new() -> Self {
        Local {
            stack: Vec::new(),
            producer: None,
            spare: Vec::new(),
        }
    }

    /// The context a new child span would have as parent.
    #[inline]
    pub(crate) fn parent(&mut self) -> Option<SpanContext> {
        self.stack.last_mut()?.slot.span_context()
    }

    /// The parent a new span started here takes its ids from: the top entry's context when
    /// it is valid (a recording span's always is; an attached context's may not be, and
    /// then the new span is a root).
    #[inline]
    pub(crate) fn valid_parent(&mut self) -> Option<&SpanContext> {
        match &mut self.stack.last_mut()?.slot {
            Slot::Span(rec) => Some(&rec.f.ctx),
            slot => slot.span_context_ref().filter(|p| p.is_valid()),
        }
    }

    /// What a sampler may know of the parent a new child span would have, without making
    /// or copying ids.
    #[inline]
    pub(crate) fn parent_state(&self) -> ParentState {
        match self.stack.last().map(|e| &e.slot) {
            None => ParentState::None,
            Some(Slot::Span(_)) => ParentState::LocalSampled,
            Some(Slot::Lazy) => ParentState::LocalNotSampled,
            Some(Slot::Context(cx)) => ParentState::of(cx.get().and_then(|cx| cx.span.as_ref())),
        }
    }

    /// Keeps an emptied record for the next span (a few per thread).
    #[inline]
    pub(crate) fn recycle(&mut self, rec: Box<SpanRecord>) {
        if self.spare.len() < SPARE_RECORDS {
            self.spare.push(rec);
        }
    }

    fn current_context(&mut self) -> Context {
        let span = self.parent();
        let baggage = self.stack.iter().rev().find_map(|e| match &e.slot {
            Slot::Context(cx) => cx.get().and_then(|cx| cx.baggage.clone()),
            Slot::Span(_) | Slot::Lazy => None,
        });
        Context { span, baggage }
    }

    #[inline]
    pub(crate) fn push(&mut self, slot: Slot) -> u64 {
        let token = FAST.with(Fast::token);
        self.stack.push(Entry { token, slot });
        token
    }

    /// Removes the entered span or context `token` (normally the top); the recording span's
    /// record when it was one. A recording span on top is taken out without moving its
    /// entry: `pop` copied the whole entry out with wide loads just after the narrower
    /// stores that wrote it (the span's own body runs in between), a store-forwarding stall
    /// (~5% of a sampled span's time under perf); reading the one pointer is forwarded.
    #[inline]
    pub(crate) fn end(&mut self, token: u64) -> Option<Box<SpanRecord>> {
        let len = self.stack.len();
        if let Some(Entry {
            token: t,
            slot: Slot::Span(rec),
        }) = self.stack.last()
        {
            if *t == token {
                #[allow(unsafe_code)]
                // SAFETY: the box is read out of the last entry, which is then removed from
                // the vector without being dropped (`set_len`), so it is owned once, by the
                // returned value; the rest of the entry (a token) owns nothing.
                let rec = unsafe {
                    let rec = std::ptr::read(rec);
                    self.stack.set_len(len - 1);
                    rec
                };
                return Some(rec);
            }
        }
        match self.take(token)? {
            Slot::Span(rec) => Some(rec),
            Slot::Context(_) | Slot::Lazy => None,
        }
    }

    /// Removes the entry with `token` (normally the top).
    #[inline]
    pub(crate) fn take(&mut self, token: u64) -> Option<Slot> {
        if self.stack.last().is_some_and(|e| e.token == token) {
            return self.stack.pop().map(|e| e.slot);
        }
        let pos = self.stack.iter().rposition(|e| e.token == token)?;
        Some(self.stack.remove(pos).slot)
    }

    pub(crate) fn find_mut(&mut self, token: u64) -> Option<&mut Slot> {
        self.stack
            .iter_mut()
            .rev()
            .find(|e| e.token == token)
            .map(|e| &mut e.slot)
    }

    pub(crate) fn top_mut(&mut self) -> Option<&mut Slot> {
        self.stack.last_mut().map(|e| &mut e.slot)
    }
}

thread_local! {
    static LOCAL: RefCell<Local> = const { RefCell::new(Local::new()) };
    static FAST: Fast = const {
        Fast {
            top: Cell::new(ParentState::None),
            pending: Cell::new(0),
            next_token: Cell::new(1),
        }
    };
}

/// What the unsampled fast paths need, in plain cells (no borrow flag, no destructor, so
/// reading them is a load from thread-local memory).
///
/// Invariant: `top` is the [`ParentState`] a new child span would see. A lazy root that
/// nothing has looked at is not on `LOCAL`'s stack at all: it is `pending` (its token), and
/// every access to the stack first pushes it there ([`with_local`]).
struct Fast {
    top: Cell<ParentState>,
    pending: Cell<u64>,
    next_token: Cell<u64>,
}

impl Fast {
    #[inline]
    fn token(&self) -> u64 {
        // Starts at 1 (0 means "nothing entered"); 2^64 spans do not happen.
        let t = self.next_token.get();
        self.next_token.set(t.wrapping_add(1));
        t
    }
}

/// The parent state a span started now on this thread would see (one thread-local load).
#[inline]
pub(crate) fn top_state() -> ParentState {
    FAST.with(|f| f.top.get())
}

/// Enters a root span that is not sampled, without ids and without touching the stack
/// (only valid when [`top_state`] is `None`); returns its token.
#[inline]
pub(crate) fn enter_lazy_root() -> u64 {
    FAST.with(|f| {
        let t = f.token();
        f.pending.set(t);
        f.top.set(ParentState::LocalNotSampled);
        t
    })
}

thread_local! {
    /// The ids of the pending root, with its token, when they were known before it was
    /// entered ([`enter_pending_root`]); a stale pair (its root left) is never read.
    static PENDING_IDS: RefCell<Option<(u64, SpanContext)>> = const { RefCell::new(None) };
}

/// Enters `context`, a root's that is not sampled, as a lazy root with known ids: cells
/// only, its ids kept aside for when something asks (only valid when [`top_state`] is
/// `None`); `None` when they cannot be kept (thread exit).
pub(crate) fn enter_pending_root(context: &SpanContext) -> Option<u64> {
    let token = FAST.with(|f| f.next_token.get());
    PENDING_IDS
        .try_with(|p| {
            *p.try_borrow_mut().ok()? = Some((token, context.clone()));
            Some(())
        })
        .ok()
        .flatten()?;
    Some(enter_lazy_root())
}

/// The ids kept for pending root `token`, if they were known.
#[cold]
fn pending_ids(token: u64) -> Option<SpanContext> {
    PENDING_IDS
        .try_with(|p| {
            let mut p = p.try_borrow_mut().ok()?;
            if p.as_ref()?.0 == token {
                p.take().map(|(_, cx)| cx)
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

/// Leaves the lazy root `token` if it is still pending (nothing looked at it); `false`
/// when it is elsewhere, on the stack.
#[inline]
pub(crate) fn leave_lazy_root(token: u64) -> bool {
    FAST.with(|f| {
        if f.pending.get() == token {
            // Nothing was pushed while it was pending, so the state below it is back.
            f.pending.set(0);
            f.top.set(ParentState::None);
            true
        } else {
            false
        }
    })
}

/// Runs `f` on this thread's state: the pending lazy root (if any) is put on the stack
/// first, and the fast-path state is brought up to date after. `None` when the state is
/// gone (thread exit) or already borrowed (re-entry from inside `f`).
#[inline]
pub(crate) fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    with_local_read(|l| {
        let r = f(l);
        let top = l.parent_state();
        FAST.with(|fast| fast.top.set(top));
        r
    })
}

/// Like [`with_local`] for `f` that leave the stack's shape alone (they may read it, make a
/// lazy root's ids, or touch the spare records): the fast-path state needs no update.
#[inline]
pub(crate) fn with_local_read<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    LOCAL
        .try_with(|l| {
            let mut l = l.try_borrow_mut().ok()?;
            FAST.with(|fast| {
                let pending = fast.pending.replace(0);
                if pending != 0 {
                    // Pending and on the stack look the same to a child: `top` is unchanged.
                    let slot = pending_ids(pending).map_or(Slot::Lazy, Slot::of_context);
                    l.stack.push(Entry {
                        token: pending,
                        slot,
                    });
                }
            });
            Some(f(&mut l))
        })
        .ok()
        .flatten()
}

/// Pushes onto this thread's stack; returns the token (0 when the thread is shutting down).
#[inline]
pub(crate) fn push(slot: Slot) -> u64 {
    if matches!(slot, Slot::Lazy) && top_state() == ParentState::None {
        // A lazy root entered again (an instrumented future's next poll): cells only.
        return enter_lazy_root();
    }
    with_local(|l| l.push(slot)).unwrap_or(0)
}

/// Pushes a recording span's record onto this thread's stack: [`push`] for the one kind of
/// slot whose effect on the fast-path state is known (a sampled span on top), without
/// re-deriving it from the stack (measured: ~20 instructions fewer per sampled span).
#[inline]
pub(crate) fn push_recording(rec: Box<SpanRecord>) -> u64 {
    with_local_read(|l| {
        let token = FAST.with(|fast| {
            fast.top.set(ParentState::LocalSampled);
            fast.token()
        });
        // Written in place: `Vec::push` built the entry on the stack first (its capacity
        // check may call out) and copied it in with wider loads than the stores that built
        // it, a store-forwarding stall (~5% of a sampled span's time under perf).
        l.stack.reserve(1);
        let len = l.stack.len();
        if let Some(cell) = l.stack.spare_capacity_mut().first_mut() {
            cell.write(Entry {
                token,
                slot: Slot::Span(rec),
            });
            #[allow(unsafe_code)]
            // SAFETY: the element at `len` (the first spare slot, reserved above) was
            // initialized just above.
            unsafe {
                l.stack.set_len(len + 1);
            }
        }
        token
    })
    .unwrap_or(0)
}

/// Runs `f` on the record of the span entered with `token` on this thread, when it is a
/// recording span (what the entered-span handles record through).
pub(crate) fn with_entered_record<R>(
    token: u64,
    f: impl FnOnce(&mut SpanRecord) -> R,
) -> Option<R> {
    with_local(|l| match l.find_mut(token)? {
        Slot::Span(rec) => Some(f(rec)),
        Slot::Context(_) | Slot::Lazy => None,
    })
    .flatten()
}

/// Removes an entry from this thread's stack.
#[inline]
pub(crate) fn take(token: u64) -> Option<Slot> {
    if token == 0 {
        return None;
    }
    if leave_lazy_root(token) {
        return Some(Slot::Lazy);
    }
    with_local(|l| l.take(token)).flatten()
}

/// The innermost active span's trace id, for correlating logs with traces.
///
/// # Examples
/// ```
/// assert_eq!(trace_core::current_trace_id(), None);
/// ```
pub fn current_trace_id() -> Option<TraceId> {
    current_span_context()
        .filter(SpanContext::is_valid)
        .map(|s| s.trace_id)
}

/// The innermost active span's id, for correlating logs with traces.
pub fn current_span_id() -> Option<SpanId> {
    current_span_context()
        .filter(SpanContext::is_valid)
        .map(|s| s.span_id)
}

/// The innermost span context on this thread, without building a whole [`Context`] (no
/// baggage lookup).
pub(crate) fn current_span_context() -> Option<SpanContext> {
    with_local_read(Local::parent).flatten()
}

#[cfg(test)]
mod tests {
    /// A stack entry is moved on every enter and leave: a regression here costs every span.
    #[test]
    fn a_stack_slot_stays_small() {
        assert!(std::mem::size_of::<super::Slot>() <= 64);
    }
}
