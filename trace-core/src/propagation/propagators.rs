//! Which propagators [`inject`](super::inject) and [`extract`](super::extract) use: the
//! process-wide setting behind `OTEL_PROPAGATORS`.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

const TRACE_CONTEXT: u8 = 0b0001;
const BAGGAGE: u8 = 0b0010;
const B3: u8 = 0b0100;
const B3_MULTI: u8 = 0b1000;

/// The set of enabled propagators: W3C Trace Context (`tracecontext`), W3C Baggage
/// (`baggage`), and B3 in its single-header (`b3`) and multi-header (`b3multi`) forms. The
/// default, as in OpenTelemetry, is W3C Trace Context and Baggage.
///
/// Injection writes every enabled format. Extraction reads W3C Trace Context first; when
/// it finds no valid `traceparent`, B3 (with either B3 propagator enabled, both forms are
/// read, the single header first, as the specification asks).
///
/// # Examples
/// ```
/// use trace_core::propagation::Propagators;
/// assert_eq!(Propagators::from_env_value("tracecontext,baggage").unwrap(), Propagators::default());
/// assert_eq!(Propagators::from_env_value("none").unwrap(), Propagators::NONE);
/// let p = Propagators::from_env_value("tracecontext,b3multi").unwrap();
/// assert!(p.trace_context() && p.b3_multi() && !p.b3());
/// assert!(Propagators::from_env_value("jaeger").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Propagators(u8);

impl Propagators {
    /// No propagation: nothing is injected or extracted.
    pub const NONE: Propagators = Propagators(0);
    /// W3C Trace Context only (`traceparent`, `tracestate`).
    pub const TRACE_CONTEXT: Propagators = Propagators(TRACE_CONTEXT);
    /// W3C Baggage only (`baggage`).
    pub const BAGGAGE: Propagators = Propagators(BAGGAGE);
    /// W3C Trace Context and W3C Baggage (the default).
    pub const ALL: Propagators = Propagators(TRACE_CONTEXT | BAGGAGE);
    /// B3, single header (`b3`).
    pub const B3: Propagators = Propagators(B3);
    /// B3, multiple headers (`X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`).
    pub const B3_MULTI: Propagators = Propagators(B3_MULTI);

    /// Both sets together.
    #[must_use]
    pub const fn with(self, other: Propagators) -> Propagators {
        Propagators(self.0 | other.0)
    }

    /// Reads an `OTEL_PROPAGATORS` value: a comma-separated list of `tracecontext`,
    /// `baggage`, `b3`, `b3multi`, or `none` alone (case-insensitive, spaces ignored). An
    /// empty value means the default (`tracecontext,baggage`), as for an unset variable.
    ///
    /// # Errors
    /// [`PropagatorsError`] for any other name (including propagators this crate does not
    /// implement, such as `jaeger` or `xray`) or for `none` combined with another name; its
    /// message names the variable and the accepted values.
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::Propagators;
    /// let p = Propagators::from_env_value(" Baggage ").unwrap();
    /// assert!(p.baggage() && !p.trace_context());
    /// let err = Propagators::from_env_value("tracecontext,xray").unwrap_err();
    /// assert!(err.to_string().contains("OTEL_PROPAGATORS"));
    /// ```
    pub fn from_env_value(value: &str) -> Result<Propagators, PropagatorsError> {
        let names: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.is_empty() {
            return Ok(Propagators::default());
        }
        let mut bits = 0;
        let mut none = false;
        for name in &names {
            if name.eq_ignore_ascii_case("tracecontext") {
                bits |= TRACE_CONTEXT;
            } else if name.eq_ignore_ascii_case("baggage") {
                bits |= BAGGAGE;
            } else if name.eq_ignore_ascii_case("b3") {
                bits |= B3;
            } else if name.eq_ignore_ascii_case("b3multi") {
                bits |= B3_MULTI;
            } else if name.eq_ignore_ascii_case("none") {
                none = true;
            } else {
                return Err(PropagatorsError {
                    value: value.to_owned(),
                    reason: format!("unsupported propagator `{name}`"),
                });
            }
        }
        if none && names.len() > 1 {
            return Err(PropagatorsError {
                value: value.to_owned(),
                reason: "`none` cannot be combined with other propagators".to_owned(),
            });
        }
        Ok(Propagators(bits))
    }

    /// Whether W3C Trace Context is enabled.
    pub const fn trace_context(self) -> bool {
        self.0 & TRACE_CONTEXT != 0
    }

    /// Whether W3C Baggage is enabled.
    pub const fn baggage(self) -> bool {
        self.0 & BAGGAGE != 0
    }

    /// Whether B3 single-header is enabled.
    pub const fn b3(self) -> bool {
        self.0 & B3 != 0
    }

    /// Whether B3 multi-header is enabled.
    pub const fn b3_multi(self) -> bool {
        self.0 & B3_MULTI != 0
    }
}

impl Default for Propagators {
    fn default() -> Self {
        Propagators::ALL
    }
}

impl fmt::Debug for Propagators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_set();
        if self.trace_context() {
            list.entry(&"tracecontext");
        }
        if self.baggage() {
            list.entry(&"baggage");
        }
        if self.b3() {
            list.entry(&"b3");
        }
        if self.b3_multi() {
            list.entry(&"b3multi");
        }
        list.finish()
    }
}

/// An `OTEL_PROPAGATORS` value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropagatorsError {
    value: String,
    reason: String,
}

impl fmt::Display for PropagatorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OTEL_PROPAGATORS={:?}: {}; accepted values: a comma-separated list of \
             `tracecontext`, `baggage`, `b3` and `b3multi`, or `none`",
            self.value, self.reason
        )
    }
}

impl std::error::Error for PropagatorsError {}

static GLOBAL: AtomicU8 = AtomicU8::new(TRACE_CONTEXT | BAGGAGE);

/// Sets the propagators used process-wide by [`inject`](super::inject),
/// [`extract`](super::extract) and the functions beside them (what `init_from_env()`
/// does with `OTEL_PROPAGATORS`).
///
/// # Examples
/// ```
/// use trace_core::propagation::{propagators, set_propagators, Propagators};
/// set_propagators(Propagators::TRACE_CONTEXT);
/// assert!(!propagators().baggage());
/// set_propagators(Propagators::default());
/// ```
pub fn set_propagators(propagators: Propagators) {
    GLOBAL.store(propagators.0, Ordering::Relaxed);
}

/// The propagators in use (both W3C Trace Context and W3C Baggage unless changed).
pub fn propagators() -> Propagators {
    Propagators(GLOBAL.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_values() {
        let p = |s: &str| Propagators::from_env_value(s);
        assert_eq!(p("tracecontext"), Ok(Propagators::TRACE_CONTEXT));
        assert_eq!(p("baggage"), Ok(Propagators::BAGGAGE));
        assert_eq!(p("baggage, tracecontext"), Ok(Propagators::ALL));
        assert_eq!(
            p("TraceContext,tracecontext"),
            Ok(Propagators::TRACE_CONTEXT)
        );
        assert_eq!(p("none"), Ok(Propagators::NONE));
        assert_eq!(p(""), Ok(Propagators::ALL));
        assert_eq!(p(" , "), Ok(Propagators::ALL));
    }

    #[test]
    fn accepts_b3_and_b3multi() {
        let p = Propagators::from_env_value("B3, tracecontext").unwrap();
        assert!(p.b3() && p.trace_context() && !p.b3_multi() && !p.baggage());
        let p = Propagators::from_env_value("b3multi").unwrap();
        assert!(p.b3_multi() && !p.b3());
        assert_eq!(format!("{p:?}"), r#"{"b3multi"}"#);
    }

    #[test]
    fn rejects_unknown_and_mixed_none() {
        // b3 and b3multi were rejected here until B3 was implemented (issue 15).
        for bad in ["jaeger", "xray", "ottrace", "tracecontext,none", "trace"] {
            let err = Propagators::from_env_value(bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("OTEL_PROPAGATORS"), "{msg}");
            assert!(
                msg.contains("tracecontext") && msg.contains("baggage"),
                "{msg}"
            );
        }
    }

    #[test]
    fn debug_lists_names() {
        assert_eq!(
            format!("{:?}", Propagators::ALL),
            r#"{"tracecontext", "baggage"}"#
        );
        assert_eq!(format!("{:?}", Propagators::NONE), "{}");
    }
}
