//! The B3 formats (Zipkin's), which the OpenTelemetry specification requires SDKs to offer:
//! the single `b3` header and the multi-header `X-B3-*` form.
//!
//! Reading follows the OpenTelemetry B3 rules: a 64-bit trace id is left-padded to 128
//! bits; the sampling state `1` or `d` (debug) means sampled, `0` not sampled, and an
//! absent state leaves the span context not sampled; a parent span id, when present, is
//! checked and otherwise ignored. Anything malformed extracts as nothing, never an error.

use crate::{SpanContext, SpanId, TraceFlags, TraceId};

/// The single-header form: `{trace id}-{span id}[-{sampling state}[-{parent span id}]]`.
pub const B3: &str = "b3";
/// The multi-header form's trace id.
pub const X_B3_TRACE_ID: &str = "x-b3-traceid";
/// The multi-header form's span id.
pub const X_B3_SPAN_ID: &str = "x-b3-spanid";
/// The multi-header form's parent span id (never written: the receiver does not need it).
pub const X_B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";
/// The multi-header form's sampling decision (`1` or `0`).
pub const X_B3_SAMPLED: &str = "x-b3-sampled";
/// The multi-header form's debug flag (`1`: sampled).
pub const X_B3_FLAGS: &str = "x-b3-flags";

/// Longest `b3` value read: 32 + 1 + 16 + 1 + 1 + 1 + 16 bytes. A longer one is not B3.
const MAX_SINGLE_LEN: usize = 68;

/// Reads a `b3` header. `None` when it is malformed, or carries only a sampling state (a
/// `b3: 0` asks not to sample, but gives no context to continue).
///
/// # Examples
/// ```
/// use trace_core::propagation::parse_b3;
/// let (trace_id, span_id, flags) =
///     parse_b3("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90").unwrap();
/// assert_eq!(trace_id.to_string(), "80f198ee56343ba864fe8b2a57d3eff7");
/// assert_eq!(span_id.to_string(), "e457b5a2e4d86bd1");
/// assert!(flags.is_sampled());
/// // A 64-bit trace id is left-padded.
/// let (trace_id, _, _) = parse_b3("64fe8b2a57d3eff7-e457b5a2e4d86bd1").unwrap();
/// assert_eq!(trace_id.to_string(), "000000000000000064fe8b2a57d3eff7");
/// assert!(parse_b3("0").is_none());
/// ```
pub fn parse_b3(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let value = value.trim_matches([' ', '\t']);
    if value.len() > MAX_SINGLE_LEN {
        return None;
    }
    let mut parts = value.split('-');
    let trace = trace_id(parts.next()?)?;
    let span = span_id(parts.next()?)?;
    let flags = match parts.next() {
        None => TraceFlags::default(),
        Some(state) => sampling(state)?,
    };
    if let Some(parent) = parts.next() {
        SpanId::from_hex(parent)?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((trace, span, flags))
}

/// Reads the multi-header form from its fields' values. `None` when the trace id or span id
/// is missing or malformed, or a present field is malformed.
pub(crate) fn parse_multi(
    trace: Option<&str>,
    span: Option<&str>,
    parent: Option<&str>,
    sampled: Option<&str>,
    debug: Option<&str>,
) -> Option<(TraceId, SpanId, TraceFlags)> {
    let trace = trace_id(trace?.trim_matches([' ', '\t']))?;
    let span = span_id(span?.trim_matches([' ', '\t']))?;
    if let Some(parent) = parent {
        SpanId::from_hex(parent.trim_matches([' ', '\t']))?;
    }
    let debug = match debug.map(|d| d.trim_matches([' ', '\t'])) {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return None,
    };
    let flags = match sampled.map(|s| s.trim_matches([' ', '\t'])) {
        _ if debug => TraceFlags::SAMPLED,
        // Some senders write `true`/`false`, as old Zipkin libraries did.
        Some("1" | "true") => TraceFlags::SAMPLED,
        None | Some("0" | "false") => TraceFlags::default(),
        Some(_) => return None,
    };
    Some((trace, span, flags))
}

/// The `b3` header for `span_context` (`None` when it is invalid): trace id, span id and
/// sampling state (`1` or `0`).
///
/// # Examples
/// ```
/// use trace_core::propagation::{format_b3, parse_b3};
/// use trace_core::{SpanContext, SpanId, TraceFlags, TraceId};
/// let cx = SpanContext::new(
///     TraceId::from_hex("80f198ee56343ba864fe8b2a57d3eff7").unwrap(),
///     SpanId::from_hex("e457b5a2e4d86bd1").unwrap(),
///     TraceFlags::SAMPLED,
///     false,
///     Default::default(),
/// );
/// assert_eq!(format_b3(&cx).unwrap(), "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
/// ```
pub fn format_b3(span_context: &SpanContext) -> Option<String> {
    span_context.is_valid().then(|| {
        format!(
            "{}-{}-{}",
            span_context.trace_id,
            span_context.span_id,
            if span_context.is_sampled() { '1' } else { '0' }
        )
    })
}

/// The multi-header fields for `span_context` (`None` when it is invalid).
pub(crate) fn format_multi(span_context: &SpanContext) -> Option<[(&'static str, String); 3]> {
    span_context.is_valid().then(|| {
        [
            (X_B3_TRACE_ID, span_context.trace_id.to_string()),
            (X_B3_SPAN_ID, span_context.span_id.to_string()),
            (
                X_B3_SAMPLED,
                if span_context.is_sampled() { "1" } else { "0" }.to_owned(),
            ),
        ]
    })
}

fn sampling(state: &str) -> Option<TraceFlags> {
    match state {
        "1" | "d" => Some(TraceFlags::SAMPLED),
        "0" => Some(TraceFlags::default()),
        _ => None,
    }
}

/// A 16 or 32 lowercase-hex trace id, not all zero; 64 bits are left-padded.
fn trace_id(hex: &str) -> Option<TraceId> {
    let id = match hex.len() {
        32 => TraceId::from_hex(hex)?,
        16 => {
            let low = SpanId::from_hex(hex)?.to_bytes();
            let mut bytes = [0u8; 16];
            bytes[8..].copy_from_slice(&low);
            TraceId::from_bytes(bytes)
        }
        _ => return None,
    };
    id.is_valid().then_some(id)
}

/// A 16 lowercase-hex span id, not all zero.
fn span_id(hex: &str) -> Option<SpanId> {
    SpanId::from_hex(hex).filter(SpanId::is_valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "80f198ee56343ba864fe8b2a57d3eff7";
    const S: &str = "e457b5a2e4d86bd1";

    #[test]
    fn single_header_forms() {
        for (value, sampled) in [
            (format!("{T}-{S}"), false),
            (format!("{T}-{S}-1"), true),
            (format!("{T}-{S}-d"), true),
            (format!("{T}-{S}-0"), false),
            (format!("{T}-{S}-1-05e3ac9a4f6e3b90"), true),
            (format!(" {T}-{S}-1 "), true),
        ] {
            let (t, s, f) = parse_b3(&value).unwrap_or_else(|| panic!("{value}"));
            assert_eq!((t.to_string(), s.to_string()), (T.into(), S.into()));
            assert_eq!(f.is_sampled(), sampled, "{value}");
        }
    }

    #[test]
    fn malformed_single_headers_extract_nothing() {
        for value in [
            String::new(),
            "0".into(),
            "1".into(),
            "d".into(),
            T.to_owned(),
            format!("{T}-{S}-2"),
            format!("{T}-{S}-1-xyz"),
            format!("{T}-{S}-1-05e3ac9a4f6e3b90-extra"),
            format!("{}-{S}", T.to_uppercase()),
            format!("{}-{S}", &T[..30]),
            format!("{T}-0000000000000000-1"),
            format!("00000000000000000000000000000000-{S}-1"),
            format!("{T}-{S}-1-{}", "a".repeat(10_000)),
        ] {
            assert!(parse_b3(&value).is_none(), "{value:.80}");
        }
    }

    #[test]
    fn multi_header_forms() {
        let f = |sampled, debug| {
            parse_multi(Some(T), Some(S), None, sampled, debug).map(|(_, _, f)| f.is_sampled())
        };
        assert_eq!(f(Some("1"), None), Some(true));
        assert_eq!(f(Some("true"), None), Some(true));
        assert_eq!(f(Some("0"), None), Some(false));
        assert_eq!(f(None, None), Some(false));
        assert_eq!(f(Some("0"), Some("1")), Some(true), "debug means sampled");
        assert_eq!(f(Some("yes"), None), None);
        assert_eq!(f(None, Some("2")), None);
        assert!(parse_multi(None, Some(S), None, Some("1"), None).is_none());
        assert!(parse_multi(Some(T), None, None, Some("1"), None).is_none());
        assert!(parse_multi(Some(T), Some(S), Some("nope"), None, None).is_none());
        let (t, _, _) = parse_multi(Some(&T[16..]), Some(S), None, None, None).unwrap();
        assert_eq!(t.to_string(), format!("0000000000000000{}", &T[16..]));
    }
}
