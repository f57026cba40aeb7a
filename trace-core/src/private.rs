//! What `trace-macros` expansions call, re-exported as `trace_core::__private`.
//!
//! Not public API: it may change in any release, in lockstep with trace-macros (the two crates
//! are pinned to the same exact version). Every path an expansion names goes through here, so
//! generated code never depends on the user's prelude (`struct Option;`, `type Result = ();`,
//! `#![no_implicit_prelude]`).
//!
//! Dispatch on types the macro cannot see (is this capture a `ToValue` or a `SpanAttributes`?
//! is the return value a `Result`, and does its error derive `SpanAttributes`?) uses autoref
//! specialization: the expansion calls a method on `&&&Wrapper(&value)`, and method resolution
//! picks the impl with the most references whose bounds hold.

#![allow(missing_docs, unreachable_pub, missing_debug_implementations)]

use trace_names as name;

pub use core::concat;
pub use core::fmt::{Debug, Display};
pub use core::future::Future;
pub use core::mem::forget;
pub use core::option::Option::{self, None, Some};
pub use core::pin::Pin;
pub use core::result::Result::{self, Err, Ok};
pub use core::stringify;
pub use std::boxed::Box;

pub use crate::attributes::{AttributeSink, SpanAttributes};
pub use crate::builder::{span, SpanBuilder};
pub use crate::handles::{current_span, Span, SpanGuard, SpanRef};
pub use crate::instrument::{Instrument, Instrumented, SpanState};
pub use crate::level::Level;
pub use crate::model::SpanKind;
pub use crate::typed::ValueFor;
pub use crate::value::{KeyValue, StringValue, ToValue, Value};

/// The attribute recorder of an expansion: a `dyn` closure, so the runtime's generic
/// `start_with` is instantiated once, not once per instrumented function (compile time).
pub type Record<'a> = &'a mut dyn FnMut(&mut AttributeSink<'_>);

/// `true` when a tracer is installed: expansions test this first and build the attribute
/// recorder (a closure over the arguments) only when it holds, so the disabled path is one
/// atomic load and a branch.
/// A span with no `level` option is `info`: this is [`is_enabled_at`]`(Level::Info)`.
#[inline]
pub fn is_enabled() -> bool {
    crate::pipeline::level_enabled(Level::Info)
}

/// [`is_enabled`] for `#[traced(level = "..")]`: `true` when a tracer is installed and
/// records spans of `level` (a constant `false` above the static maximum).
#[inline]
pub fn is_enabled_at(level: Level) -> bool {
    crate::pipeline::level_enabled(level)
}

/// Starts and enters a span (sync functions), after [`is_enabled`] returned `true`. `record`
/// runs only when the span is sampled. Returns an `Option` so the disabled branch of the
/// expansion is `None`, whose drop is free.
#[inline]
pub fn start(name: &'static str, kind: SpanKind, record: Option<Record<'_>>) -> Option<SpanGuard> {
    let builder = span(name).kind(kind);
    Some(match record {
        Some(record) => builder.start_with(record),
        None => builder.start(),
    })
}

/// The test an `async fn` makes at its first poll, instead of [`is_enabled`]: `true` when a
/// tracer is installed and the span would not be dropped under a parent that is not sampled
/// (the sampler's fixed answer). Such a span, like an entered one ([`start`]), is not made:
/// the parent's context stays current and the body is awaited with nothing to enter per
/// poll. (A function returning a future tests [`is_enabled`]: its future may be polled far
/// from where it was made, so it keeps a context of its own.)
#[inline]
pub fn async_span_needed() -> bool {
    crate::pipeline::level_enabled(Level::Info) && crate::start::async_span_needed()
}

/// [`async_span_needed`] for `#[traced(level = "..")]`.
#[inline]
pub fn async_span_needed_at(level: Level) -> bool {
    crate::pipeline::level_enabled(level) && crate::start::async_span_needed()
}

/// Starts a span without entering it (futures), after [`is_enabled`] returned `true`.
/// `record` runs only when the span is sampled. The disabled branch of the expansion passes
/// `None` to [`in_span`] instead, so no span is built or dropped.
#[inline]
pub fn start_detached(
    name: &'static str,
    kind: SpanKind,
    record: Option<Record<'_>>,
) -> Option<SpanState> {
    Some(start_state(name, kind, record))
}

/// Out of line, so the caller gets back two words, not a 64-byte [`Span`].
#[inline(never)]
fn start_state(name: &'static str, kind: SpanKind, record: Option<Record<'_>>) -> SpanState {
    let builder = span(name).kind(kind);
    SpanState::from_span(match record {
        Some(record) => builder.start_detached_with(record),
        None => builder.start_detached(),
    })
}

pin_project_lite::pin_project! {
    /// The future of an instrumented `async fn`: the body, and its span in two words
    /// (empty when no tracer was installed as the call started: nothing to enter per poll).
    pub struct InSpan<F> {
        #[pin]
        future: F,
        span: SpanState,
    }
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut core::task::Context<'_>) -> core::task::Poll<F::Output> {
        let this = self.project();
        crate::instrument::poll_in_span(this.future, this.span, cx)
    }
}

/// Runs `future` inside `span`; `None` (no tracer installed as the call started) polls the
/// future alone, with nothing to enter per poll.
#[inline]
pub fn in_span<F: Future>(future: F, span: Option<SpanState>) -> InSpan<F> {
    InSpan {
        future,
        span: match span {
            Some(span) => span,
            None => SpanState::EMPTY,
        },
    }
}

/// Calls `f` once. Sync bodies that return a value run inside `call_once(move || body)`, so
/// `return` and `?` in the body land here and the value can be inspected; the turbofish
/// carries the declared return type into the closure, and `FnOnce` lets the body return
/// borrows of its arguments.
#[allow(clippy::inline_always)] // the closure must vanish: the traced fn costs what the bare one does
#[inline(always)]
pub fn call_once<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// Fails compilation (in a `const` item) when `name` is not a valid span name.
///
/// # Panics
///
/// When `name` is invalid: in a `const` item, that is a compile error with the reason.
pub const fn assert_span_name(name: &str) {
    if let Err(e) = name::check_span_name(name) {
        panic!("{}", e.message());
    }
}

/// Fails compilation (in a `const` item) when `key` is not a valid attribute key.
///
/// # Panics
///
/// When `key` is invalid: in a `const` item, that is a compile error with the reason.
pub const fn assert_attribute_key(key: &str) {
    if let Err(e) = name::check_attribute_key(key) {
        panic!("{}", e.message());
    }
}

/// Records `value` under a key the registry gives the type `K` (`ty::Int`, ...): a value of
/// another type fails to compile, pointing at the value. Runs only for sampled spans.
#[inline]
pub fn capture_typed<K: ?Sized, V: ValueFor<K> + ?Sized>(
    sink: &mut AttributeSink<'_>,
    key: &'static str,
    value: &V,
) {
    sink.set(key, value);
}

/// The attribute types of the registry, as `Key<..>` parameters.
pub mod ty {
    pub type Str = str;
    pub type Int = i64;
    pub type Double = f64;
    pub type Bool = bool;
    pub type StrArray = [std::string::String];
    pub type IntArray = [i64];
    pub type DoubleArray = [f64];
    pub type BoolArray = [bool];
    pub use trace_semconv::Any;
}

/// Records `value` with `Display` (`%expr`). Runs only for sampled spans.
#[inline]
pub fn capture_display<T: Display + ?Sized>(
    sink: &mut AttributeSink<'_>,
    key: &'static str,
    value: &T,
) {
    sink.set_value(key, Value::Str(StringValue::from(value.to_string())));
}

/// Records `value` with `Debug` (`?expr`). Runs only for sampled spans.
#[inline]
pub fn capture_debug<T: Debug + ?Sized>(
    sink: &mut AttributeSink<'_>,
    key: &'static str,
    value: &T,
) {
    sink.set_value(key, Value::Str(StringValue::from(format!("{value:?}"))));
}

/// Records the fixed text `[REDACTED]` under `key`: `#[span(redact)]` never reads the value.
#[inline]
pub fn capture_redacted(sink: &mut AttributeSink<'_>, key: &'static str) {
    sink.set_value(key, Value::Str(StringValue::from_static("[REDACTED]")));
}

/// `#[span(flatten)]` without a container prefix: the field's attributes go in as they are.
#[inline]
pub fn flatten<T: SpanAttributes + ?Sized>(sink: &mut AttributeSink<'_>, value: &T) {
    value.record_attributes(sink);
}

/// `#[span(flatten)]` under a container prefix.
#[inline]
pub fn flatten_under<T: SpanAttributes + ?Sized>(
    sink: &mut AttributeSink<'_>,
    prefix: &'static str,
    value: &T,
) {
    sink.nested(prefix, |inner| value.record_attributes(inner));
}

/// The value a derived enum records: its variant name.
#[inline]
pub fn variant_value(name: &'static str) -> Value {
    Value::Str(StringValue::from_static(name))
}

/// Implemented by `#[derive(SpanAttributes)]` on enums: the variant's name, recorded as
/// `error.type` when the enum is the error of a `Result`.
pub trait VariantName {
    fn __traced_variant_name(&self) -> &'static str;
}

impl<T: VariantName + ?Sized> VariantName for &T {
    fn __traced_variant_name(&self) -> &'static str {
        (**self).__traced_variant_name()
    }
}

use crate::errors::error_type;

/// A span the expansion records the outcome on: the guard of a sync fn, or the current span
/// inside an instrumented future.
pub trait Target {
    fn __traced_error(&self, description: &dyn Display, error_type: &str, event: bool);
    fn __traced_set<V: ToValue + ?Sized>(&self, key: &'static str, value: &V);
    fn __traced_set_all<T: SpanAttributes + ?Sized>(&self, value: &T);
}

macro_rules! target {
    ($($ty:ty),*) => {$(
        impl Target for $ty {
            #[inline]
            fn __traced_error(&self, description: &dyn Display, error_type: &str, event: bool) {
                self.record_failure(description, error_type, event);
            }
            #[inline]
            fn __traced_set<V: ToValue + ?Sized>(&self, key: &'static str, value: &V) {
                self.set_attribute(key, value);
            }
            #[inline]
            fn __traced_set_all<T: SpanAttributes + ?Sized>(&self, value: &T) {
                self.set_attributes(value);
            }
        }
    )*};
}

target!(SpanGuard, SpanRef);

impl<T: Target> Target for Option<T> {
    #[inline]
    fn __traced_error(&self, description: &dyn Display, error_type: &str, event: bool) {
        if let Some(span) = self {
            span.__traced_error(description, error_type, event);
        }
    }
    #[inline]
    fn __traced_set<V: ToValue + ?Sized>(&self, key: &'static str, value: &V) {
        if let Some(span) = self {
            span.__traced_set(key, value);
        }
    }
    #[inline]
    fn __traced_set_all<A: SpanAttributes + ?Sized>(&self, value: &A) {
        if let Some(span) = self {
            span.__traced_set_all(value);
        }
    }
}

/// The attributes of `value`, nested under `prefix` (used for `ret` of a `SpanAttributes`).
struct Nested<'a, T: ?Sized>(&'static str, &'a T);

impl<T: SpanAttributes + ?Sized> SpanAttributes for Nested<'_, T> {
    fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
        sink.nested(self.0, |inner| self.1.record_attributes(inner));
    }
}

/// A value named in `attrs(..)` or a derived field: recorded typed through `ToValue`, or
/// flattened under its key through `SpanAttributes`.
pub struct Capture<'a, T: ?Sized>(pub &'a T);

/// The capture traits, imported by expansions with a glob.
pub mod capture {
    use super::{AttributeSink, Capture, SpanAttributes, ToValue};

    /// First choice: a `ToValue`, recorded typed.
    pub trait CaptureValue {
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>);
    }

    impl<T: ToValue + ?Sized> CaptureValue for &&Capture<'_, T> {
        #[inline]
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>) {
            sink.set(key, self.0);
        }
    }

    /// Second choice: a `SpanAttributes`, flattened under the key.
    pub trait CaptureAttributes {
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>);
    }

    impl<T: SpanAttributes + ?Sized> CaptureAttributes for &Capture<'_, T> {
        #[inline]
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>) {
            let value = self.0;
            sink.nested(key, |inner| value.record_attributes(inner));
        }
    }

    /// Neither: always selected last, and its `T: ToValue` bound fails with `ToValue`'s
    /// diagnostic, pointing at the captured value.
    pub trait CaptureUnsupported<T: ?Sized> {
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>)
        where
            T: ToValue;
    }

    impl<T: ?Sized> CaptureUnsupported<T> for Capture<'_, T> {
        #[inline]
        fn __traced_capture(&self, key: &'static str, sink: &mut AttributeSink<'_>)
        where
            T: ToValue,
        {
            sink.set(key, self.0);
        }
    }
}

/// How `err` records a failure: the exception event, the span's kind (an error may not fail
/// every kind: an HTTP 4xx does not fail a server span), and `err(type = ..)`.
#[derive(Clone, Copy)]
pub struct ErrConfig<'a> {
    pub event: bool,
    pub kind: SpanKind,
    pub error_type: Option<&'a str>,
}

/// `err(type = expr)`: `expr` must be a `&str`.
#[inline]
pub fn err_type(error_type: &str) -> Option<&str> {
    Some(error_type)
}

/// The value a function returned (or its future's output), inspected for `err` and `ret`.
pub struct Outcome<'a, T: ?Sized>(pub &'a T);

/// The outcome traits, imported by expansions with a glob.
pub mod outcome {
    use super::{
        error_type, Debug, Display, ErrConfig, Nested, Outcome, SpanAttributes, Target, ToValue,
        VariantName,
    };
    use crate::errors::{Described, SpanError};

    // `err`: Display description. Levels: an error choosing its own `error.type`
    // (`SpanError`), variant-naming error, displayable error, any error, not a `Result`.

    pub trait ErrSpanError {
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: SpanError> ErrSpanError for &&&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                if e.is_failure(cfg.kind) {
                    match cfg.error_type {
                        Some(ty) => span.__traced_error(&Described(e), ty, cfg.event),
                        None => span.__traced_error(&Described(e), &e.error_type(), cfg.event),
                    }
                }
            }
        }
    }

    pub trait ErrVariant {
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: Display + VariantName> ErrVariant for &&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                span.__traced_error(
                    e,
                    cfg.error_type.unwrap_or(e.__traced_variant_name()),
                    cfg.event,
                );
            }
        }
    }

    pub trait ErrDisplay {
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: Display> ErrDisplay for &&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                span.__traced_error(e, cfg.error_type.unwrap_or(error_type::<E>()), cfg.event);
            }
        }
    }

    pub trait ErrAny {
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E> ErrAny for &Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if self.0.is_err() {
                let ty = error_type::<E>();
                span.__traced_error(&ty, cfg.error_type.unwrap_or(ty), cfg.event);
            }
        }
    }

    pub trait ErrNone {
        fn __traced_record_err<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T: ?Sized> ErrNone for Outcome<'_, T> {
        #[inline]
        fn __traced_record_err<S: Target>(&self, _: &S, _: ErrConfig<'_>) {}
    }

    // `err(debug)`: the same levels with a Debug description.

    pub trait ErrDebugSpanError {
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: SpanError + Debug> ErrDebugSpanError for &&&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                if e.is_failure(cfg.kind) {
                    let ty = e.error_type();
                    span.__traced_error(&DebugDisplay(e), cfg.error_type.unwrap_or(&ty), cfg.event);
                }
            }
        }
    }

    pub trait ErrDebugVariant {
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: Debug + VariantName> ErrDebugVariant for &&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                span.__traced_error(
                    &DebugDisplay(e),
                    cfg.error_type.unwrap_or(e.__traced_variant_name()),
                    cfg.event,
                );
            }
        }
    }

    pub trait ErrDebug {
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E: Debug> ErrDebug for &&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if let Err(e) = self.0 {
                span.__traced_error(
                    &DebugDisplay(e),
                    cfg.error_type.unwrap_or(error_type::<E>()),
                    cfg.event,
                );
            }
        }
    }

    pub trait ErrDebugAny {
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T, E> ErrDebugAny for &Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>) {
            if self.0.is_err() {
                let ty = error_type::<E>();
                span.__traced_error(&ty, cfg.error_type.unwrap_or(ty), cfg.event);
            }
        }
    }

    pub trait ErrDebugNone {
        fn __traced_record_err_debug<S: Target>(&self, span: &S, cfg: ErrConfig<'_>);
    }
    impl<T: ?Sized> ErrDebugNone for Outcome<'_, T> {
        #[inline]
        fn __traced_record_err_debug<S: Target>(&self, _: &S, _: ErrConfig<'_>) {}
    }

    struct DebugDisplay<'a, T: ?Sized>(&'a T);
    impl<T: Debug + ?Sized> Display for DebugDisplay<'_, T> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            Debug::fmt(self.0, f)
        }
    }

    // `ret`: the `Ok` value of a `Result`, else the value itself; typed, or flattened.

    const RETURN: &str = "return";

    pub trait RetOkValue {
        fn __traced_record_ret<S: Target>(&self, span: &S);
    }
    impl<T: ToValue, E> RetOkValue for &&&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, span: &S) {
            if let Ok(v) = self.0 {
                span.__traced_set(RETURN, v);
            }
        }
    }

    /// `Result<(), E>`: nothing to record on `Ok`.
    pub trait RetOkUnit {
        fn __traced_record_ret<S: Target>(&self, span: &S);
    }
    impl<E> RetOkUnit for &&&&Outcome<'_, Result<(), E>> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, _: &S) {}
    }

    pub trait RetOkAttributes {
        fn __traced_record_ret<S: Target>(&self, span: &S);
    }
    impl<T: SpanAttributes, E> RetOkAttributes for &&&Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, span: &S) {
            if let Ok(v) = self.0 {
                span.__traced_set_all(&Nested(RETURN, v));
            }
        }
    }

    pub trait RetValue {
        fn __traced_record_ret<S: Target>(&self, span: &S);
    }
    impl<T: ToValue + ?Sized> RetValue for &&Outcome<'_, T> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, span: &S) {
            span.__traced_set(RETURN, self.0);
        }
    }

    pub trait RetAttributes {
        fn __traced_record_ret<S: Target>(&self, span: &S);
    }
    impl<T: SpanAttributes + ?Sized> RetAttributes for &Outcome<'_, T> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, span: &S) {
            span.__traced_set_all(&Nested(RETURN, self.0));
        }
    }

    /// Neither: its `T: ToValue` bound fails with `ToValue`'s diagnostic.
    pub trait RetUnsupported<T: ?Sized> {
        fn __traced_record_ret<S: Target>(&self, span: &S)
        where
            T: ToValue;
    }
    impl<T: ?Sized> RetUnsupported<T> for Outcome<'_, T> {
        #[inline]
        fn __traced_record_ret<S: Target>(&self, span: &S)
        where
            T: ToValue,
        {
            span.__traced_set(RETURN, self.0);
        }
    }

    /// `ret(display)`: the `Ok` value of a `Result`, else the value, with `Display`.
    pub trait RetOkDisplay {
        fn __traced_record_ret_display<S: Target>(&self, span: &S);
    }
    impl<T: Display, E> RetOkDisplay for &Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_ret_display<S: Target>(&self, span: &S) {
            if let Ok(v) = self.0 {
                span.__traced_set(RETURN, &Formatted::display(v));
            }
        }
    }
    pub trait RetDisplay<T> {
        fn __traced_record_ret_display<S: Target>(&self, span: &S)
        where
            T: Display;
    }
    impl<T> RetDisplay<T> for Outcome<'_, T> {
        #[inline]
        fn __traced_record_ret_display<S: Target>(&self, span: &S)
        where
            T: Display,
        {
            span.__traced_set(RETURN, &Formatted::display(self.0));
        }
    }

    /// `ret(debug)`: the `Ok` value of a `Result`, else the value, with `Debug`.
    pub trait RetOkDebug {
        fn __traced_record_ret_debug<S: Target>(&self, span: &S);
    }
    impl<T: Debug, E> RetOkDebug for &Outcome<'_, Result<T, E>> {
        #[inline]
        fn __traced_record_ret_debug<S: Target>(&self, span: &S) {
            if let Ok(v) = self.0 {
                span.__traced_set(RETURN, &Formatted::debug(v));
            }
        }
    }
    pub trait RetDebug<T> {
        fn __traced_record_ret_debug<S: Target>(&self, span: &S)
        where
            T: Debug;
    }
    impl<T> RetDebug<T> for Outcome<'_, T> {
        #[inline]
        fn __traced_record_ret_debug<S: Target>(&self, span: &S)
        where
            T: Debug,
        {
            span.__traced_set(RETURN, &Formatted::debug(self.0));
        }
    }

    /// Formats lazily: `to_value` runs only when the span records.
    enum Formatted<'a> {
        Display(&'a dyn Display),
        Debug(&'a dyn Debug),
    }
    impl<'a> Formatted<'a> {
        fn display<T: Display>(v: &'a T) -> Self {
            Formatted::Display(v)
        }
        fn debug<T: Debug>(v: &'a T) -> Self {
            Formatted::Debug(v)
        }
    }
    impl ToValue for Formatted<'_> {
        fn to_value(&self) -> super::Value {
            let text = match self {
                Formatted::Display(v) => v.to_string(),
                Formatted::Debug(v) => format!("{v:?}"),
            };
            super::Value::Str(super::StringValue::from(text))
        }
    }
}
