//! Spans for futures: entered on every poll, left when the future yields.
//!
//! A future keeps its span as a [`SpanState`]: 16 bytes, where a [`Span`] is 64. Futures are
//! moved whole (into a task, onto the poller's stack), and every byte of the wrapper is moved
//! with them even when no tracer is installed, so the wrapper stays as small as it can.

use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::context::{self, BoxedContext, Context, Slot};
use crate::end;
use crate::handles::Span;
use crate::pipeline::SpanRecord;
use crate::sampler::ParentState;

/// What a span is between two polls of its future.
enum Held {
    /// Nothing to enter: no tracer was installed, the span was a no-op, or it has ended.
    Empty,
    /// A root span that is not sampled and whose ids nobody has asked for.
    Lazy,
    /// A recording span.
    Record(Box<SpanRecord>),
    /// A span that does not record: only its context, boxed so the state stays two words.
    /// While the future is polled the box is on the thread's stack.
    Context(BoxedContext),
}

/// The span of an instrumented future, in two words.
///
/// Dropping a state that still holds a recording span ends the span marked
/// `span.cancelled = true` (the future was dropped before it completed), unless the thread
/// is panicking.
///
/// The `Held` is only ever dropped by `release`, after the test in `drop`: its drop code
/// is not repeated after every drop of a state, most of which are empty.
pub struct SpanState(ManuallyDrop<Held>);

impl SpanState {
    /// No span: polling enters nothing.
    pub(crate) const EMPTY: SpanState = SpanState(ManuallyDrop::new(Held::Empty));

    /// Takes the span over; a no-op span becomes [`SpanState::EMPTY`].
    #[inline]
    pub(crate) fn from_span(mut span: Span) -> SpanState {
        // The two common cases read the slot's tag only, without moving the slot out, and
        // skip the span's drop: a span without a slot, or with a `Lazy` one, owns nothing.
        if !span.has_slot() {
            mem::forget(span);
            return SpanState::EMPTY;
        }
        if span.is_lazy() {
            mem::forget(span);
            return SpanState(ManuallyDrop::new(Held::Lazy));
        }
        span.take_slot()
            .map_or(SpanState::EMPTY, SpanState::from_slot)
    }

    #[inline]
    fn from_slot(slot: Slot) -> SpanState {
        SpanState(ManuallyDrop::new(match slot {
            Slot::Span(rec) => Held::Record(rec),
            Slot::Context(cx) => Held::Context(cx),
            Slot::Lazy => Held::Lazy,
        }))
    }

    /// `true` when polling enters nothing.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        matches!(*self.0, Held::Empty)
    }

    /// The slot to push on the thread's stack for one poll (what the state held moves there,
    /// pointers only).
    #[inline]
    fn take_slot(&mut self) -> Option<Slot> {
        match mem::replace(&mut *self.0, Held::Empty) {
            Held::Empty => None,
            Held::Lazy => Some(Slot::Lazy),
            Held::Record(rec) => Some(Slot::Span(rec)),
            Held::Context(cx) => Some(Slot::Context(cx)),
        }
    }

    /// Takes back the slot after a poll (a lazy root may have become a context meanwhile).
    #[inline]
    fn put(&mut self, slot: Slot) {
        *self.0 = match slot {
            Slot::Span(rec) => Held::Record(rec),
            Slot::Lazy => Held::Lazy,
            Slot::Context(cx) => Held::Context(cx),
        };
    }

    /// Ends the span: the future completed (or panicked inside a poll).
    #[inline]
    fn end(&mut self) {
        if let Held::Record(rec) = mem::replace(&mut *self.0, Held::Empty) {
            end::end_detached(rec);
        }
    }
}

impl Drop for SpanState {
    #[inline]
    fn drop(&mut self) {
        // Inline, only the test: an empty state (no tracer, or a completed future) is what
        // most drops see.
        if !self.is_empty() {
            release(&mut self.0);
        }
    }
}

/// Empties a state that still holds a span; a recording span ends, marked cancelled: its
/// future was dropped before completing.
#[cold]
#[inline(never)]
fn release(held: &mut Held) {
    if let Held::Record(rec) = mem::replace(held, Held::Empty) {
        let mut span = Span::noop();
        span.put_slot(Slot::Span(rec));
        if !std::thread::panicking() {
            span.mark_cancelled();
        }
        // Dropping the span ends it.
    }
}

impl std::fmt::Debug for SpanState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*self.0 {
            Held::Empty => "empty",
            Held::Lazy => "unsampled root",
            Held::Record(_) => "recording",
            Held::Context(_) => "not recording",
        };
        f.debug_tuple("SpanState").field(&state).finish()
    }
}

/// Polls `inner` inside the span `state` holds: nothing but the poll when it holds none.
#[inline]
pub(crate) fn poll_in_span<F: Future>(
    inner: Pin<&mut F>,
    state: &mut SpanState,
    cx: &mut TaskContext<'_>,
) -> Poll<F::Output> {
    if state.is_empty() {
        return inner.poll(cx);
    }
    poll_entered(inner, state, cx)
}

/// The poll with a span to enter, kept out of line: inlined, the span handling would bloat
/// (and slow) the caller's path without one.
#[inline(never)]
fn poll_entered<F: Future>(
    inner: Pin<&mut F>,
    state: &mut SpanState,
    cx: &mut TaskContext<'_>,
) -> Poll<F::Output> {
    if matches!(*state.0, Held::Lazy) && context::top_state() == ParentState::None {
        // An unsampled root whose ids nobody asked for: entered through the fast-path
        // cells, the state stays as it is.
        let leave = LeaveLazy {
            token: context::enter_lazy_root(),
            state: &mut *state,
        };
        let result = inner.poll(cx);
        drop(leave);
        if result.is_ready() {
            state.end();
        }
        return result;
    }
    let token = match state.take_slot() {
        // A recording span: its effect on the thread's fast-path state is known.
        Some(Slot::Span(rec)) => context::push_recording(rec),
        Some(slot) => context::push(slot),
        None => 0,
    };
    let result = {
        let _restore = Restore {
            state: &mut *state,
            token,
        };
        inner.poll(cx)
    };
    if result.is_ready() {
        state.end();
    }
    result
}

/// Puts the span back into the state after a poll, also when the poll panics.
struct Restore<'a> {
    state: &'a mut SpanState,
    token: u64,
}

impl Drop for Restore<'_> {
    #[inline]
    fn drop(&mut self) {
        match context::take(self.token) {
            Some(slot) => self.state.put(slot),
            // Gone from the stack (the thread is shutting down): nothing left to enter.
            None => *self.state = SpanState::EMPTY,
        }
        if std::thread::panicking() {
            // End now, while the panic message is known: an executor that catches the panic
            // drops the future later, outside the unwinding.
            self.state.end();
        }
    }
}

/// Leaves a lazy root entered for one poll (see [`poll_entered`]), also when the poll
/// panics: if something made its ids meanwhile, the state keeps them.
struct LeaveLazy<'a> {
    state: &'a mut SpanState,
    token: u64,
}

impl Drop for LeaveLazy<'_> {
    #[inline]
    fn drop(&mut self) {
        if !context::leave_lazy_root(self.token) {
            if let Some(slot) = context::take(self.token) {
                self.state.put(slot);
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A future running inside a span (and/or an attached context); see [`Instrument`].
    ///
    /// The span is entered for each poll and left when the future returns `Pending`, so it
    /// follows the task across worker threads and never leaks onto other tasks. It ends when
    /// the future completes; if the future is dropped first, it ends with
    /// `span.cancelled = true`.
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Instrumented<F> {
        #[pin]
        inner: F,
        span: SpanState,
        context: Option<Context>,
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        match this.context {
            None => poll_in_span(this.inner, this.span, cx),
            Some(context) => {
                let _attached = context.clone().attach();
                this.inner.poll(cx)
            }
        }
    }
}

/// Runs futures inside spans or captured contexts.
///
/// # Examples
/// ```
/// use trace_core::{span, Instrument};
/// # async fn fetch() -> u32 { 1 }
/// async fn handler() -> u32 {
///     // `fetch` runs inside the span; the span follows the task across threads.
///     let n = fetch().in_span(span("fetch").start_detached()).await;
///     // carry the current context into a spawned task
///     let _task = async { n }.in_current_context();
///     n
/// }
/// ```
pub trait Instrument: Sized {
    /// Runs `self` inside `span`, entered on every poll; the span ends when the future
    /// completes (or is dropped, marked cancelled).
    fn in_span(self, span: Span) -> Instrumented<Self> {
        Instrumented {
            inner: self,
            span: SpanState::from_span(span),
            context: None,
        }
    }

    /// Runs `self` with the caller's current context attached on every poll, so spans the
    /// future starts (on whatever thread polls it) are children of the caller's span.
    fn in_current_context(self) -> Instrumented<Self> {
        self.in_context(Context::current())
    }

    /// Runs `self` with `context` attached on every poll.
    fn in_context(self, context: Context) -> Instrumented<Self> {
        Instrumented {
            inner: self,
            span: SpanState::EMPTY,
            context: Some(context),
        }
    }
}

impl<F: Future> Instrument for F {}
