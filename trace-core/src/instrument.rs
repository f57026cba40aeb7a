//! Spans for futures: entered on every poll, left when the future yields.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::context::{self, Context, Slot};
use crate::sampler::ParentState;
use crate::span::Span;

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
        span: Span,
        context: Option<Context>,
        done: bool,
    }

    impl<F> PinnedDrop for Instrumented<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.done && !std::thread::panicking() {
                this.span.mark_cancelled();
            }
        }
    }
}

/// Puts the span back into the future after a poll, also when the poll panics.
struct Restore<'a> {
    span: &'a mut Span,
    token: u64,
    done: &'a mut bool,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if let Some(slot) = context::take(self.token) {
            self.span.put_slot(slot);
        }
        if std::thread::panicking() {
            // End now, while the panic message is known: an executor that catches the panic
            // drops the future later, outside the unwinding.
            *self.done = true;
            if let Some(Slot::Span(rec)) = self.span.take_slot() {
                rec.finish();
            }
        }
    }
}

/// Leaves a lazy root entered for one poll (see [`Instrumented::poll`]), also when the
/// poll panics: if something made its ids meanwhile, the span keeps them.
struct LeaveLazy<'a> {
    span: &'a mut Span,
    token: u64,
}

impl Drop for LeaveLazy<'_> {
    fn drop(&mut self) {
        if !context::leave_lazy_root(self.token) {
            if let Some(slot) = context::take(self.token) {
                self.span.put_slot(slot);
            }
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.context.is_none() && !this.span.has_slot() {
            // Nothing to enter (no tracer was installed when the span started).
            let result = this.inner.poll(cx);
            if result.is_ready() {
                *this.done = true;
            }
            return result;
        }
        if this.context.is_none()
            && this.span.is_lazy()
            && context::top_state() == ParentState::None
        {
            // An unsampled root whose ids nobody asked for: entered through the fast-path
            // cells, the span's slot stays where it is.
            let leave = LeaveLazy {
                token: context::enter_lazy_root(),
                span: &mut *this.span,
            };
            let result = this.inner.poll(cx);
            drop(leave);
            if result.is_ready() {
                *this.done = true;
            }
            return result;
        }
        let _attached = this.context.as_ref().map(|c| c.clone().attach());
        let token = this.span.take_slot().map_or(0, context::push);
        let result = {
            let restore = Restore {
                span: &mut *this.span,
                token,
                done: &mut *this.done,
            };
            let result = this.inner.poll(cx);
            if result.is_ready() {
                *restore.done = true;
            }
            result
        };
        if result.is_ready() {
            if let Some(Slot::Span(rec)) = this.span.take_slot() {
                rec.finish();
            }
        }
        result
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
            span,
            context: None,
            done: false,
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
            span: Span::noop(),
            context: Some(context),
            done: false,
        }
    }
}

impl<F: Future> Instrument for F {}
