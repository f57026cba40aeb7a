//! The span handles: [`SpanGuard`] (entered, ends on drop), [`Span`] (detached, moves
//! between threads), [`EnteredSpan`], and [`SpanRef`] / [`current_span`] (the innermost
//! span of this thread). Their shared methods record on the span's record, if any.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use crate::attributes::SpanAttributes;
use crate::context::{self, Slot};
use crate::end;
use crate::errors::{describe, error_type};
use crate::model::{Link, Status};
use crate::pipeline::SpanRecord;
use crate::span_context::SpanContext;
use crate::typed::ValueFor;
use crate::value::{KeyValue, ToValue, Value};
use trace_semconv::Key;

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

        /// Sets an attribute through a typed key of the semantic conventions: the value must
        /// have the attribute's type (`span.set(semconv::HTTP_RESPONSE_STATUS_CODE, 200)`).
        pub fn set<K: ?Sized, V: ValueFor<K>>(&self, key: Key<K>, value: V) {
            self.set_attribute(key.name(), &value);
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
        /// `Display` as description, and `error.type` from [`error_type`](crate::error_type)
        /// (the error's type name), the rule `#[traced]` follows ([`SpanError`](crate::SpanError)):
        /// a `std::io::Error` records its kind and its cause chain; a trait object records
        /// `_OTHER` (or the kind of an `std::io::Error` among its causes) and its cause chain.
        pub fn record_error<E: std::error::Error + ?Sized>(&self, error: &E) {
            self.with_record(|r| {
                let (ty, description) = describe(error);
                r.record_error(description, &ty, false);
            });
        }

        /// Records a failure from its parts: status `Error` with `description`, and
        /// `error.type`.
        pub fn record_error_parts(&self, description: impl fmt::Display, error_type: &str) {
            self.with_record(|r| r.record_error(description.to_string(), error_type, false));
        }

        /// Adds the opt-in `exception` event (`exception.type`, `exception.message`).
        pub fn record_exception<E: std::error::Error + ?Sized>(&self, error: &E) {
            self.with_record(|r| r.add_exception(error_type::<E>(), error.to_string()));
        }

        /// What `#[traced]` records for a failed call: [`record_error_parts`], and with
        /// `exception_event` the `exception` event too.
        ///
        /// [`record_error_parts`]: Self::record_error_parts
        #[allow(dead_code)] // `Span` is not a `#[traced]` target (see `private::Target`)
        pub(crate) fn record_failure(
            &self,
            description: &dyn fmt::Display,
            error_type: &str,
            exception_event: bool,
        ) {
            self.with_record(|r| {
                r.record_error(description.to_string(), error_type, exception_event)
            });
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

/// A started span, current on this thread until dropped; dropping it ends the span.
///
/// Not `Send`: it belongs to the thread it was started on. For work that moves between
/// threads, use [`SpanBuilder::start_detached`](crate::SpanBuilder::start_detached) and [`Instrument`](crate::Instrument).
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
    /// A guard that ends nothing (no tracer, or nothing was entered).
    #[inline]
    pub(crate) const fn noop() -> Self {
        SpanGuard::entered(0)
    }

    /// The guard of the span or context entered with `token` (0: nothing entered).
    #[inline]
    pub(crate) const fn entered(token: u64) -> Self {
        SpanGuard {
            token,
            _not_send: PhantomData,
        }
    }

    fn with_record<R>(&self, f: impl FnOnce(&mut SpanRecord) -> R) -> Option<R> {
        if self.token == 0 {
            return None;
        }
        context::with_entered_record(self.token, f)
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
            end::end_entered(self.token);
        }
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

    /// A span holding `slot` (`None`: a span that records nothing).
    #[inline]
    pub(crate) fn from_slot(slot: Option<Slot>) -> Self {
        Span {
            slot: RefCell::new(slot),
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
            end::end_detached(rec);
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
