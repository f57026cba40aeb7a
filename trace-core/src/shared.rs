//! What a bridge from another tracing framework needs to hold spans the way that framework
//! does: [`SharedSpan`], a started span that every thread may enter, and
//! [`subtree_dropped_here`], whether a span started here could be left out entirely.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::attributes::SpanAttributes;
use crate::context::{self, Slot};
use crate::end;
use crate::errors::{describe, error_type};
use crate::handles::Span;
use crate::model::{Link, Status};
use crate::pipeline::{self, SpanRecord};
use crate::sampler::ParentState;
use crate::span_context::SpanContext;
use crate::start::Started;
use crate::typed::ValueFor;
use crate::value::{KeyValue, ToValue};
use trace_semconv::Key;

/// `true` when a span started now on this thread under the current parent would record
/// nothing, and neither would any span under it: the installed sampler's fixed answer
/// drops the span (a root nobody samples, or a child of a parent that is not sampled) and
/// every span whose parent is not sampled. One thread-local load and a table load.
///
/// A bridge can keep such a span on the thread that made it instead of where every thread
/// can find it: entering the parent's context, or nothing, in its place elsewhere decides
/// the same for everything below it. `false` with no tracer installed.
///
/// # Examples
/// ```
/// use trace_core::{AlwaysOff, AlwaysOn, Tracer};
///
/// let guard = Tracer::builder().sampler(AlwaysOff).install_global();
/// assert!(trace_core::subtree_dropped_here());
/// drop(guard);
/// let guard = Tracer::builder().sampler(AlwaysOn).install_global();
/// assert!(!trace_core::subtree_dropped_here());
/// # drop(guard);
/// ```
#[inline]
pub fn subtree_dropped_here() -> bool {
    pipeline::global().is_some_and(|tracer| tracer.drops_subtree[context::top_state().index()])
}

/// What [`SharedSpan::enter`] and [`enter_not_sampled`] entered on this thread, to give back
/// to [`SharedSpan::exit`] / [`leave_not_sampled`] on this thread (it is not `Send`: a
/// bridge keeps it in a thread-local stack). While entered, its methods record on the span
/// when it is the recording one.
#[must_use = "what was entered stays current until the token is given back"]
#[derive(Debug)]
pub struct LocalToken {
    token: u64,
    _not_send: PhantomData<*const ()>,
}

impl LocalToken {
    #[inline]
    fn new(token: u64) -> Self {
        LocalToken {
            token,
            _not_send: PhantomData,
        }
    }

    /// `true` when something was entered (`false`: nothing needed to be).
    #[inline]
    pub fn is_entered(&self) -> bool {
        self.token != 0
    }

    /// The token as a number, for a bridge that keeps it beside the span it shares (in a
    /// map every thread reaches) rather than in a thread-local stack. Only the thread that
    /// entered it may turn it back ([`from_raw`](LocalToken::from_raw)) and give it back:
    /// on any other thread it names nothing (no span is left there, and its methods record
    /// nothing).
    ///
    /// ```
    /// use trace_core::{SharedSpan, Tracer};
    ///
    /// let _guard = Tracer::builder().install_global();
    /// let shared = SharedSpan::new(trace_core::span("kept").start_detached());
    /// let raw = shared.enter().into_raw();
    /// assert!(trace_core::current_span().is_recording());
    /// assert!(shared.exit(trace_core::LocalToken::from_raw(raw)));
    /// ```
    #[inline]
    #[must_use]
    pub fn into_raw(self) -> u64 {
        self.token
    }

    /// A token from [`into_raw`](LocalToken::into_raw), on the thread that entered it.
    #[inline]
    pub fn from_raw(raw: u64) -> Self {
        LocalToken::new(raw)
    }

    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        if self.token == 0 {
            return None;
        }
        context::with_entered_record(self.token, f)
    }

    span_methods!();
}

/// A started span that any thread can enter, record on and end: `Send` and `Sync`, for
/// bridges whose spans are shared handles (a `tracing` span is entered by whichever thread
/// polls its future, and closed by whichever drops it last).
///
/// While one thread has it entered, the record is on that thread's stack (spans started
/// there are its children, the [`LocalToken`] records on it); another thread entering it
/// at the same time enters its context (its spans are children too, with the right ids)
/// and records nothing. Ends when dropped.
///
/// # Examples
/// ```
/// use trace_core::{span, SharedSpan};
///
/// let shared = SharedSpan::new(span("bridged").start_detached());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let entered = shared.enter();
///         let _child = span("child").start(); // a child of "bridged"
///         shared.exit(entered);
///     });
/// });
/// shared.set_attribute("done", &true);
/// ```
pub struct SharedSpan {
    /// The record while no thread has it entered; null when entered somewhere, or when the
    /// span records nothing.
    record: AtomicPtr<SpanRecord>,
    /// The span's context (invalid when it has none: no tracer, or a root nobody samples).
    context: SpanContext,
}

impl SharedSpan {
    /// Shares `span` (a root nobody samples gets its ids now: every thread must see the
    /// same ones).
    pub fn new(span: Span) -> Self {
        let mut span = span;
        match span.take_slot() {
            Some(Slot::Span(rec)) => <Self as Started>::record(rec),
            Some(mut slot) => {
                Self::not_recording(slot.span_context().unwrap_or_else(SpanContext::empty))
            }
            None => Self::not_recording(SpanContext::empty()),
        }
    }

    /// A span that records nothing, standing for `context` on every thread that enters it.
    pub fn not_recording(context: SpanContext) -> Self {
        SharedSpan {
            record: AtomicPtr::new(ptr::null_mut()),
            context,
        }
    }

    /// `true` when the span was sampled: it has a record, wherever it is entered (its
    /// recording methods act only where the record is).
    pub fn is_sampled(&self) -> bool {
        self.context.is_sampled()
    }

    /// The span's context (the same on every thread).
    pub fn span_context(&self) -> SpanContext {
        self.context.clone()
    }

    /// Makes the span current on this thread until [`exit`](Self::exit) gets the token
    /// back: its record if no other thread has it entered, its context otherwise.
    pub fn enter(&self) -> LocalToken {
        let rec = self.record.swap(ptr::null_mut(), Ordering::Acquire);
        let token = if rec.is_null() {
            if !self.context.is_valid() {
                0
            } else if let Some(token) = (!self.context.is_sampled()
                && !self.context.is_remote
                && context::top_state() == ParentState::None)
                .then(|| context::enter_pending_root(&self.context))
                .flatten()
            {
                // A local span that is not sampled, entered where nothing is: what a
                // child sees is the same as with its context on the stack, in cells only.
                token
            } else {
                context::push(Slot::of_context(self.context.clone()))
            }
        } else {
            #[allow(unsafe_code)]
            // SAFETY: a non-null pointer in `record` came from `Box::into_raw` and the swap
            // took it out: this call owns the box now.
            let rec = unsafe { Box::from_raw(rec) };
            context::push_recording(rec)
        };
        LocalToken::new(token)
    }

    /// Leaves what [`enter`](Self::enter) entered (`false`: it was not on this thread's
    /// stack any more).
    #[allow(clippy::needless_pass_by_value)] // consumed: a token is spent by its exit
    pub fn exit(&self, entered: LocalToken) -> bool {
        if entered.token == 0 {
            return true;
        }
        match context::take(entered.token) {
            Some(Slot::Span(rec)) => {
                let rec = Box::into_raw(rec);
                let old = self.record.swap(rec, Ordering::Release);
                if !old.is_null() {
                    // Two records for one span cannot happen (one is entered at a time);
                    // end the other rather than leak it.
                    #[allow(unsafe_code)]
                    // SAFETY: as in `enter`, the swap gave this call the only pointer.
                    end::end_detached(unsafe { Box::from_raw(old) });
                }
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Runs `f` on the record if it is here (no thread has the span entered).
    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        let rec = self.record.swap(ptr::null_mut(), Ordering::Acquire);
        if rec.is_null() {
            return None;
        }
        #[allow(unsafe_code)]
        // SAFETY: the swap took the only pointer to the box out of `record`; it is put back
        // below and nothing else reads it meanwhile.
        let r = f(unsafe { &mut *rec });
        self.record.store(rec, Ordering::Release);
        Some(r)
    }

    span_methods!();
}

impl Started for SharedSpan {
    #[inline]
    fn record(rec: Box<SpanRecord>) -> Self {
        let context = rec.f.ctx.clone();
        SharedSpan {
            record: AtomicPtr::new(Box::into_raw(rec)),
            context,
        }
    }

    #[inline]
    fn not_recording(context: SpanContext) -> Self {
        SharedSpan::not_recording(context)
    }

    /// Every thread must see the same ids: they are made now.
    fn lazy() -> Self {
        SharedSpan::not_recording(context::lazy_root_ids())
    }
}

impl Drop for SharedSpan {
    fn drop(&mut self) {
        let rec = *self.record.get_mut();
        if !rec.is_null() {
            #[allow(unsafe_code)]
            // SAFETY: `&mut self`: the pointer is owned here and nobody else has it.
            end::end_detached(unsafe { Box::from_raw(rec) });
        }
    }
}

impl fmt::Debug for SharedSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSpan")
            .field("span_context", &self.context)
            .finish_non_exhaustive()
    }
}

/// Makes this thread's current context one whose new spans the sampler's fixed answer
/// drops, for a span a bridge left out ([`subtree_dropped_here`]) while it is entered:
/// nothing is entered when the current parent is not sampled (its context stays current);
/// otherwise an unsampled root is (its ids are made only if something asks for them).
/// [`leave_not_sampled`] takes it back.
///
/// # Examples
/// ```
/// use trace_core::{AlwaysOff, Tracer};
///
/// let _guard = Tracer::builder().sampler(AlwaysOff).install_global();
/// let entered = trace_core::enter_not_sampled();
/// assert!(!trace_core::span("child").start().is_recording());
/// trace_core::leave_not_sampled(entered);
/// ```
#[inline(always)] // measured: inlined, a bridge's enter of a left-out span is ~10 instructions fewer
#[allow(clippy::inline_always)]
pub fn enter_not_sampled() -> LocalToken {
    LocalToken::new(match context::top_state() {
        ParentState::LocalNotSampled | ParentState::RemoteNotSampled => 0,
        ParentState::None => context::enter_lazy_root(),
        _ => context::push(Slot::Lazy),
    })
}

/// Leaves what [`enter_not_sampled`] entered. When it entered an unsampled root and
/// something asked for its ids meanwhile (a log line's trace id, a `traceparent`), the
/// context they were given: a bridge keeps it, so that the span's next enters (here or on
/// another thread, through [`SharedSpan::not_recording`]) show the same trace.
#[inline(always)] // as `enter_not_sampled`
#[allow(clippy::inline_always, clippy::needless_pass_by_value)] // consumed: it is spent
pub fn leave_not_sampled(entered: LocalToken) -> Option<SpanContext> {
    if entered.token == 0 || context::leave_lazy_root(entered.token) {
        return None;
    }
    leave_slot(entered.token)
}

#[inline(never)]
fn leave_slot(token: u64) -> Option<SpanContext> {
    match context::take(token)? {
        Slot::Context(cx) => cx.get()?.span.clone(),
        _ => None,
    }
}
