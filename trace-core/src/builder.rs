//! The public way to start a span by hand: [`span`] -> [`SpanBuilder`] -> a [`SpanGuard`]
//! (entered) or a [`Span`] (detached); [`with_span`].

use std::borrow::Cow;

use crate::attributes::AttributeSink;
use crate::handles::{Span, SpanGuard};
use crate::model::{Link, SpanKind};
use crate::pipeline;
use crate::shared::SharedSpan;
use crate::span_context::SpanContext;
use crate::start::{self, Extras, ParentChoice, SpanStart};
use crate::typed::ValueFor;
use crate::value::{KeyValue, Value};
use trace_semconv::Key;

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

impl SpanBuilder {
    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }
}

impl SpanBuilder {
    /// Sets the kind (default `Internal`).
    #[inline]
    pub fn kind(mut self, kind: SpanKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds an attribute through a typed key of the semantic conventions: the value must have
    /// the attribute's type; `None` adds nothing. Visible to the sampler.
    ///
    /// # Examples
    /// ```
    /// use trace_core::{semconv, span, SpanKind};
    /// let _guard = span("GET")
    ///     .kind(SpanKind::Client)
    ///     .set(semconv::URL_FULL, "https://example.com/")
    ///     .set(semconv::SERVER_PORT, 443)
    ///     .start();
    /// ```
    #[allow(clippy::needless_pass_by_value)] // `.set(KEY, 200)`, not `.set(KEY, &200)`
    pub fn set<K: ?Sized, V: ValueFor<K>>(mut self, key: Key<K>, value: V) -> Self {
        if let Some(value) = value.to_optional_value() {
            self.extras()
                .attributes
                .push(KeyValue::new(key.name(), value));
        }
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
        let Some(tracer) = pipeline::global() else {
            if let Some(extras) = extras {
                drop(extras);
            }
            if let Cow::Owned(name) = name {
                drop(name);
            }
            return SpanGuard::noop();
        };
        let token = match (name, extras) {
            (Cow::Borrowed(name), None) => start::start_entered(tracer, name, kind, record),
            (name, extras) => {
                start::start_general(tracer, SpanStart { name, kind, extras }, record)
            }
        };
        SpanGuard::entered(token)
    }

    /// Starts the span without entering it, for work that moves between threads (futures):
    /// see [`Instrument::in_span`](crate::Instrument::in_span).
    #[inline]
    pub fn start_detached(self) -> Span {
        self.start_detached_with(|_| {})
    }

    /// Starts the span as a [`SharedSpan`], for a bridge that keeps spans where every
    /// thread can enter them: [`start_detached_with`](Self::start_detached_with) and
    /// [`SharedSpan::new`] in one step. With no tracer installed, a span that records
    /// nothing and stands for no context.
    ///
    /// ```
    /// use trace_core::Tracer;
    ///
    /// let _guard = Tracer::builder().install_global();
    /// let shared = trace_core::span("kept").start_shared_with(|a| a.set("rows", &3_u64));
    /// assert!(shared.is_recording());
    /// ```
    #[inline]
    pub fn start_shared_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> SharedSpan {
        let Some(tracer) = pipeline::global() else {
            return SharedSpan::not_recording(SpanContext::empty());
        };
        let SpanBuilder { name, kind, extras } = self;
        start::detached(tracer, SpanStart { name, kind, extras }, record)
            .unwrap_or_else(|| SharedSpan::not_recording(SpanContext::empty()))
    }

    /// Like [`start_detached`](Self::start_detached), with lazily recorded attributes.
    // Inline, with the enabled part out of line: with no tracer the caller sees the builder
    // it made (a literal name, no extras) and drops nothing.
    #[inline]
    pub fn start_detached_with(self, record: impl FnOnce(&mut AttributeSink<'_>)) -> Span {
        let Some(tracer) = pipeline::global() else {
            return Span::noop();
        };
        let SpanBuilder { name, kind, extras } = self;
        Span::from_slot(start::detached(
            tracer,
            SpanStart { name, kind, extras },
            record,
        ))
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
