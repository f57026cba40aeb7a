//! Carrying a trace across processes: W3C Trace Context (level 2) and W3C Baggage.
//!
//! A service that calls another [`inject`]s the current span context (and baggage) into the
//! outgoing request's headers; the callee [`extract`]s it and makes its server span a child
//! of the caller's span, so one request is one trace across both. Headers are reached
//! through two small traits, [`Injector`] and [`Extractor`], implemented for
//! `HashMap<String, String>` and, with the `http` feature, for `http::HeaderMap`.
//!
//! Invalid input is never an error for the caller: a malformed `traceparent` extracts as
//! `None` (the server then starts a new trace), a malformed `tracestate` is dropped while the
//! `traceparent` is kept, and malformed baggage members are skipped one by one.
//!
//! Which formats are used is a process-wide setting ([`set_propagators`]), read by
//! `init_from_env()` from `OTEL_PROPAGATORS` through [`Propagators::from_env_value`].
//!
//! # Examples
//! ```
//! use std::collections::HashMap;
//! use trace_core::propagation::{self, Baggage};
//! use trace_core::{Context, SpanId, TraceFlags, TraceId};
//!
//! // The caller: inject a context into a carrier.
//! let cx = Context::new()
//!     .with_remote_span_context(trace_core::SpanContext::new(
//!         TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
//!         SpanId::from_hex("00f067aa0ba902b7").unwrap(),
//!         TraceFlags::SAMPLED,
//!         false,
//!         Default::default(),
//!     ))
//!     .with_baggage(Baggage::new().with("tenant", "acme"));
//! let mut headers = HashMap::new();
//! propagation::inject_context(&cx, &mut headers);
//! assert_eq!(
//!     headers["traceparent"],
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
//! );
//! assert_eq!(headers["baggage"], "tenant=acme");
//!
//! // The callee: extract it.
//! let remote = propagation::extract(&headers).unwrap();
//! assert!(remote.is_remote && remote.is_sampled());
//! let received = propagation::extract_context(&headers);
//! assert_eq!(received.baggage().unwrap().get("tenant"), Some("acme"));
//! ```

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::{Context, SpanContext, TraceState};

// The header grammars sit low, beside the span context (layer 0 of the crate, see lib.rs):
// `Context` holds a `Baggage`.
// 0. the header grammars
mod b3;
mod baggage;
mod percent;
mod traceparent;
mod tracestate;
// 7. carriers and the propagators over them (this module)
#[cfg(feature = "http")]
mod header_map;
mod propagators;

pub use b3::{
    format_b3, parse_b3, B3, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID,
    X_B3_TRACE_ID,
};
pub use baggage::{
    Baggage, BaggageEntry, BaggageError, BaggageProperty, MAX_BAGGAGE_BYTES, MAX_BAGGAGE_ENTRIES,
};
pub use percent::{percent_decode, percent_decode_lossy, InvalidPercentEncoding};
pub use propagators::{propagators, set_propagators, Propagators, PropagatorsError};
pub use traceparent::{format_traceparent, parse_traceparent};
pub use tracestate::TraceStateError;

/// The W3C Trace Context parent header.
pub const TRACEPARENT: &str = "traceparent";
/// The W3C Trace Context vendor-state header.
pub const TRACESTATE: &str = "tracestate";
/// The W3C Baggage header.
pub const BAGGAGE: &str = "baggage";

/// Writes propagation fields into a carrier (request headers, message metadata).
///
/// # Examples
/// ```
/// use trace_core::propagation::Injector;
/// struct Pairs(Vec<(String, String)>);
/// impl Injector for Pairs {
///     fn set(&mut self, key: &str, value: String) {
///         self.0.retain(|(k, _)| k != key);
///         self.0.push((key.to_owned(), value));
///     }
/// }
/// ```
pub trait Injector {
    /// Sets field `key` (a lowercase header name) to `value`, replacing any previous value.
    fn set(&mut self, key: &str, value: String);
}

/// Reads propagation fields from a carrier.
///
/// Field names are matched case-insensitively by the provided implementations, as HTTP
/// header names are.
pub trait Extractor {
    /// The first value of field `key`.
    fn get(&self, key: &str) -> Option<&str>;

    /// The names of all fields.
    fn keys(&self) -> Vec<&str>;

    /// Every value of field `key`, in order (HTTP allows repeated header fields). The
    /// default returns [`get`](Self::get)'s value alone; carriers that can repeat a field
    /// override it so that repeated `tracestate` and `baggage` fields are combined and a
    /// repeated `traceparent` is rejected.
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.get(key).into_iter().collect()
    }
}

impl<T: Injector + ?Sized> Injector for &mut T {
    fn set(&mut self, key: &str, value: String) {
        (**self).set(key, value);
    }
}

impl<T: Extractor + ?Sized> Extractor for &T {
    fn get(&self, key: &str) -> Option<&str> {
        (**self).get(key)
    }

    fn keys(&self) -> Vec<&str> {
        (**self).keys()
    }

    fn get_all(&self, key: &str) -> Vec<&str> {
        (**self).get_all(key)
    }
}

impl<S: BuildHasher> Injector for HashMap<String, String, S> {
    fn set(&mut self, key: &str, value: String) {
        // Keep one field per name whatever the case it was stored with.
        self.retain(|k, _| !k.eq_ignore_ascii_case(key));
        self.insert(key.to_owned(), value);
    }
}

impl<S: BuildHasher> Extractor for HashMap<String, String, S> {
    fn get(&self, key: &str) -> Option<&str> {
        match HashMap::get(self, key) {
            Some(v) => Some(v),
            None => self
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str()),
        }
    }

    fn keys(&self) -> Vec<&str> {
        HashMap::keys(self).map(String::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Vec<&str> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Writes `span_context` into `injector` in every enabled format: `traceparent` (and
/// `tracestate` when not empty) for W3C Trace Context, `b3` for B3, the `x-b3-*` fields for
/// B3 multi-header (see [`propagators`]). Nothing is written for an invalid context.
///
/// # Examples
/// ```
/// use std::collections::HashMap;
/// use trace_core::propagation;
/// let mut headers = HashMap::new();
/// propagation::inject(&trace_core::SpanContext::empty(), &mut headers);
/// assert!(headers.is_empty());
/// ```
pub fn inject<I: Injector + ?Sized>(span_context: &SpanContext, injector: &mut I) {
    let enabled = propagators();
    if enabled.trace_context() {
        if let Some(traceparent) = format_traceparent(span_context) {
            injector.set(TRACEPARENT, traceparent);
            if !span_context.trace_state.is_empty() {
                injector.set(TRACESTATE, span_context.trace_state.header());
            }
        }
    }
    if enabled.b3() {
        if let Some(b3) = format_b3(span_context) {
            injector.set(B3, b3);
        }
    }
    if enabled.b3_multi() {
        for (key, value) in b3::format_multi(span_context).into_iter().flatten() {
            injector.set(key, value);
        }
    }
}

/// Writes `baggage` as the `baggage` header (nothing when empty or when W3C Baggage is not
/// among the [`propagators`]).
pub fn inject_baggage<I: Injector + ?Sized>(baggage: &Baggage, injector: &mut I) {
    if propagators().baggage() && !baggage.is_empty() {
        injector.set(BAGGAGE, baggage.to_header());
    }
}

/// Injects the span context and the baggage carried by `cx`.
pub fn inject_context<I: Injector + ?Sized>(cx: &Context, injector: &mut I) {
    if let Some(span_context) = cx.span_context() {
        inject(span_context, injector);
    }
    if let Some(baggage) = cx.baggage() {
        inject_baggage(baggage, injector);
    }
}

/// Injects the current span's context and the current baggage: what an outgoing request
/// made inside a span carries.
///
/// # Examples
/// ```
/// use std::collections::HashMap;
/// let mut headers = HashMap::new();
/// trace_core::propagation::inject_current(&mut headers);
/// // No span is active here, so nothing is written.
/// assert!(headers.is_empty());
/// ```
pub fn inject_current<I: Injector + ?Sized>(injector: &mut I) {
    inject_context(&Context::current(), injector);
}

/// Reads the caller's span context (`is_remote = true`): from `traceparent` and
/// `tracestate` (W3C Trace Context), or, when W3C Trace Context is not enabled or finds
/// nothing, from B3 (the `b3` header, then the `x-b3-*` fields) when a B3 propagator is
/// enabled (see [`propagators`]).
///
/// `None` when no enabled format finds a valid context (a `traceparent` that is invalid or
/// repeated finds none): the callee then starts a new trace. A `tracestate` is read only
/// with a valid `traceparent`; repeated fields are combined in order, and an invalid one is
/// dropped without affecting the `traceparent`.
///
/// # Examples
/// ```
/// use std::collections::HashMap;
/// let mut headers = HashMap::new();
/// headers.insert(
///     "TraceParent".to_owned(),
///     "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
/// );
/// headers.insert("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned());
/// let cx = trace_core::propagation::extract(&headers).unwrap();
/// assert_eq!(cx.trace_state.get("congo"), Some("t61rcWkgMzE"));
///
/// headers.insert("TraceParent".to_owned(), "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01".to_owned());
/// assert!(trace_core::propagation::extract(&headers).is_none());
/// ```
pub fn extract<E: Extractor + ?Sized>(extractor: &E) -> Option<SpanContext> {
    let enabled = propagators();
    let w3c = enabled
        .trace_context()
        .then(|| extract_trace_context(extractor))
        .flatten();
    w3c.or_else(|| {
        (enabled.b3() || enabled.b3_multi())
            .then(|| extract_b3(extractor))
            .flatten()
    })
}

fn extract_trace_context<E: Extractor + ?Sized>(extractor: &E) -> Option<SpanContext> {
    let values = extractor.get_all(TRACEPARENT);
    let [value] = values.as_slice() else {
        return None;
    };
    let (trace_id, span_id, flags) = parse_traceparent(value)?;
    let trace_state = TraceState::from_fields(extractor.get_all(TRACESTATE)).unwrap_or_default();
    Some(SpanContext::new(
        trace_id,
        span_id,
        flags,
        true,
        trace_state,
    ))
}

/// B3, single header first, then the multi-header fields.
fn extract_b3<E: Extractor + ?Sized>(extractor: &E) -> Option<SpanContext> {
    let (trace_id, span_id, flags) = extractor.get(B3).and_then(parse_b3).or_else(|| {
        b3::parse_multi(
            extractor.get(X_B3_TRACE_ID),
            extractor.get(X_B3_SPAN_ID),
            extractor.get(X_B3_PARENT_SPAN_ID),
            extractor.get(X_B3_SAMPLED),
            extractor.get(X_B3_FLAGS),
        )
    })?;
    Some(SpanContext::new(
        trace_id,
        span_id,
        flags,
        true,
        TraceState::default(),
    ))
}

/// Reads the `baggage` header(s). `None` when absent, empty after dropping invalid members,
/// or when W3C Baggage is not among the [`propagators`].
pub fn extract_baggage<E: Extractor + ?Sized>(extractor: &E) -> Option<Baggage> {
    if !propagators().baggage() {
        return None;
    }
    let fields = extractor.get_all(BAGGAGE);
    if fields.is_empty() {
        return None;
    }
    Some(Baggage::from_fields(fields)).filter(|b| !b.is_empty())
}

/// A fresh [`Context`] holding what `extractor` carries: the remote span context (see
/// [`extract`]) and the baggage (see [`extract_baggage`]). Attach it, or use its span
/// context as the parent of the server span.
pub fn extract_context<E: Extractor + ?Sized>(extractor: &E) -> Context {
    let mut cx = Context::new();
    if let Some(span_context) = extract(extractor) {
        cx = cx.with_remote_span_context(span_context);
    }
    if let Some(baggage) = extract_baggage(extractor) {
        cx = cx.with_baggage(baggage);
    }
    cx
}

/// The baggage of the current context (empty when there is none).
///
/// # Examples
/// ```
/// use trace_core::propagation::{current_baggage, Baggage};
/// use trace_core::Context;
/// let _g = Context::current().with_baggage(Baggage::new().with("k", "v")).attach();
/// assert_eq!(current_baggage().get("k"), Some("v"));
/// ```
pub fn current_baggage() -> Baggage {
    Context::current().baggage().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const TP: &str = "00-12345678901234567890123456789012-1234567890123456-01";

    #[test]
    fn hashmap_lookup_is_case_insensitive() {
        for name in ["traceparent", "TraceParent", "TRACEPARENT", "TrAcEpArEnT"] {
            let cx = extract(&map(&[(name, TP)])).unwrap();
            assert_eq!(cx.trace_id.to_string(), "12345678901234567890123456789012");
        }
        assert!(extract(&map(&[("trace-parent", TP)])).is_none());
        assert!(extract(&map(&[("trace.parent", TP)])).is_none());
    }

    #[test]
    fn multi_megabyte_carrier_values_are_bounded() {
        // Each value is 4 MiB; the parsers read a bounded prefix (or nothing) of each.
        let mb = 4 << 20;
        let members = (0..mb / 16).fold(String::with_capacity(mb), |mut s, i| {
            std::fmt::Write::write_fmt(&mut s, format_args!("k{i:07}=v,")).unwrap();
            s
        });
        let cx = extract_context(&map(&[
            ("traceparent", TP),
            ("tracestate", &"a=b,".repeat(mb / 4)),
            ("baggage", &members),
        ]));
        let remote = cx.span_context().expect("the traceparent is kept");
        assert_eq!(
            remote.trace_id.to_string(),
            "12345678901234567890123456789012"
        );
        // The tracestate is longer than any valid one: dropped whole.
        assert!(remote.trace_state.is_empty());
        // The baggage keeps its first 64 members.
        let baggage = cx.baggage().expect("baggage");
        assert_eq!(baggage.len(), MAX_BAGGAGE_ENTRIES);
        assert_eq!(baggage.get("k0000000"), Some("v"));
        // A traceparent padded to 4 MiB is refused.
        let padded = format!("{TP}{}", " ".repeat(mb));
        assert!(extract(&map(&[("traceparent", &padded)])).is_none());
    }

    #[test]
    fn repeated_traceparent_is_invalid() {
        let m = map(&[("traceparent", TP), ("TraceParent", TP)]);
        assert!(extract(&m).is_none());
    }

    #[test]
    fn tracestate_needs_a_valid_traceparent_and_never_spoils_it() {
        let m = map(&[("tracestate", "foo=1")]);
        assert!(extract(&m).is_none());
        // An invalid tracestate (a key in upper case; a repeated key was invalid too before
        // Trace Context's 2026 revision) is dropped, the traceparent kept.
        let m = map(&[("traceparent", TP), ("tracestate", "foo=1,Foo=2")]);
        let cx = extract(&m).unwrap();
        assert!(cx.trace_state.is_empty());
        assert!(cx.is_remote);
    }

    #[test]
    fn injector_replaces_fields_of_any_case() {
        let mut m = map(&[("TraceParent", "old")]);
        let cx = extract(&map(&[("traceparent", TP)])).unwrap();
        inject(&cx, &mut m);
        assert_eq!(m.len(), 1);
        assert_eq!(m["traceparent"], TP);
    }
}
