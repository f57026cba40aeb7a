//! The `traceparent` header (W3C Trace Context level 2): parsing and formatting.

use crate::id::{lower_hex_byte, write_hex};
use crate::{SpanContext, SpanId, TraceFlags, TraceId};

/// Length of a version `00` header, and the minimum length of any later version.
const LEN_V00: usize = 55;

/// Longest value looked at, spaces included: a version `00` header is 55 characters; a later
/// version may append fields, and 512 leaves them room. Anything longer is refused without
/// being read, so a hostile multi-megabyte value costs no more than a valid one.
pub(crate) const MAX_TRACEPARENT_LEN: usize = 512;

/// Flag bits this implementation knows (sampled, random). The others are reserved and, as
/// the specification says, set to zero.
const KNOWN_FLAGS: u8 = 0x03;

/// Parses a `traceparent` value.
///
/// Follows the specification to the letter:
/// - leading and trailing optional whitespace (spaces, tabs) is ignored;
/// - the version is two lowercase hex digits and not `ff`; version `00` must be exactly 55
///   characters; a later version is read by the forward-compatibility rules (at least 55
///   characters, the version-00 fields in place, then either the end or a `-`);
/// - ids are lowercase hex of exact length and not all zeros;
/// - any flags byte is accepted; the sampled and random bits are kept, reserved bits are
///   zeroed;
/// - a value longer than 512 bytes (surrounding whitespace included) is refused unread.
///
/// Returns `None` for anything else: the caller then starts a new trace.
///
/// # Examples
/// ```
/// use trace_core::propagation::parse_traceparent;
/// let (trace_id, span_id, flags) =
///     parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// assert_eq!(trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(span_id.to_string(), "00f067aa0ba902b7");
/// assert!(flags.is_sampled());
/// assert!(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
/// ```
pub fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    if value.len() > MAX_TRACEPARENT_LEN {
        return None;
    }
    let value = trim_ows(value);
    let v = value.as_bytes();
    if v.len() < LEN_V00 {
        return None;
    }
    let version = lower_hex_byte(v[0], v[1])?;
    if version == 0xff || v[2] != b'-' {
        return None;
    }
    if version == 0x00 && v.len() != LEN_V00 {
        return None;
    }
    if v[35] != b'-' || v[52] != b'-' {
        return None;
    }
    // A later version may carry more fields, each introduced by a dash.
    if v.len() > LEN_V00 && v[LEN_V00] != b'-' {
        return None;
    }
    // `from_hex` takes exactly the lowercase digits of the right length; `get` refuses a
    // range that would cut a multi-byte character.
    let trace_id = TraceId::from_hex(value.get(3..35)?)?;
    let span_id = SpanId::from_hex(value.get(36..52)?)?;
    let flags = lower_hex_byte(v[53], v[54])?;
    if !trace_id.is_valid() || !span_id.is_valid() {
        return None;
    }
    Some((
        trace_id,
        span_id,
        TraceFlags::from_bits(flags & KNOWN_FLAGS),
    ))
}

/// Formats `span_context` as a version `00` `traceparent` value (reserved flag bits
/// zeroed). Returns `None` for an invalid context, which must not be propagated.
///
/// # Examples
/// ```
/// use trace_core::propagation::{format_traceparent, parse_traceparent};
/// use trace_core::{SpanContext, TraceState};
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let (t, s, f) = parse_traceparent(header).unwrap();
/// let cx = SpanContext::new(t, s, f, true, TraceState::default());
/// assert_eq!(format_traceparent(&cx).as_deref(), Some(header));
/// ```
pub fn format_traceparent(span_context: &SpanContext) -> Option<String> {
    if !span_context.is_valid() {
        return None;
    }
    let mut out = [0u8; LEN_V00];
    out[..3].copy_from_slice(b"00-");
    write_hex(&span_context.trace_id.to_bytes(), &mut out[3..35]);
    out[35] = b'-';
    write_hex(&span_context.span_id.to_bytes(), &mut out[36..52]);
    out[52] = b'-';
    write_hex(
        &[span_context.trace_flags.bits() & KNOWN_FLAGS],
        &mut out[53..],
    );
    // Only ASCII digits and dashes were written.
    String::from_utf8(out.to_vec()).ok()
}

/// Trims the HTTP optional whitespace (spaces and horizontal tabs) around a value.
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "12345678901234567890123456789012";
    const SPAN: &str = "1234567890123456";

    fn ok(value: &str) -> bool {
        parse_traceparent(value).is_some()
    }

    #[test]
    fn spec_examples_parse() {
        let (t, s, f) =
            parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
        assert_eq!(t.to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(s.to_string(), "b7ad6b7169203331");
        assert!(f.is_sampled());
        let (_, _, f) =
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!f.is_sampled());
    }

    #[test]
    fn version_00_must_be_exact() {
        assert!(ok(&format!("00-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-01.")));
        assert!(!ok(&format!(
            "00-{TRACE}-{SPAN}-01-what-the-future-will-be-like"
        )));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-01-")));
    }

    #[test]
    fn future_versions_are_forward_compatible() {
        let (t, _, f) = parse_traceparent(&format!("cc-{TRACE}-{SPAN}-01")).unwrap();
        assert_eq!(t.to_string(), TRACE);
        assert!(f.is_sampled());
        assert!(ok(&format!(
            "cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like"
        )));
        assert!(ok(&format!("01-{TRACE}-{SPAN}-00-")));
        assert!(!ok(&format!(
            "cc-{TRACE}-{SPAN}-01.what-the-future-will-be-like"
        )));
        assert!(!ok(&format!(
            "cc-{TRACE}-{SPAN}-01what-the-future-will-not-be-like"
        )));
        // Shorter than 55 characters: not parsed whatever the version.
        assert!(!ok(&format!("cc-{TRACE}-{SPAN}-1")));
    }

    #[test]
    fn version_ff_and_malformed_versions_are_rejected() {
        assert!(!ok(&format!("ff-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!(".0-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("0.-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("000-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("0000-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("0-{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("0A-{TRACE}-{SPAN}-01")));
    }

    #[test]
    fn ids_are_checked() {
        assert!(!ok(&format!("00-{}-{SPAN}-01", "0".repeat(32))));
        assert!(!ok(&format!("00-{TRACE}-{}-01", "0".repeat(16))));
        assert!(!ok(&format!(
            "00-.2345678901234567890123456789012-{SPAN}-01"
        )));
        assert!(!ok(&format!(
            "00-1234567890123456789012345678901.-{SPAN}-01"
        )));
        assert!(!ok(&format!("00-{}-{SPAN}-01", "ABCDEF".repeat(5) + "AB")));
        assert!(!ok(&format!("00-{}-{SPAN}-01", "abcdef".repeat(5) + "aB")));
        assert!(!ok(&format!("00-{TRACE}3-{SPAN}-01")));
        assert!(!ok(&format!("00-{}-{SPAN}-01", &TRACE[1..])));
        assert!(!ok(&format!("00-{TRACE}-.234567890123456-01")));
        assert!(!ok(&format!("00-{TRACE}-123456789012345.-01")));
        assert!(!ok(&format!("00-{TRACE}-B7AD6B7169203331-01")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}7-01")));
        assert!(!ok(&format!("00-{TRACE}-{}-01", &SPAN[1..])));
    }

    #[test]
    fn flags_any_byte_sampled_bit_honoured() {
        for byte in 0u8..=255 {
            let (_, _, f) = parse_traceparent(&format!("00-{TRACE}-{SPAN}-{byte:02x}")).unwrap();
            assert_eq!(f.is_sampled(), byte & 1 == 1, "{byte:02x}");
            assert_eq!(f.is_random(), byte & 2 == 2, "{byte:02x}");
            assert_eq!(f.bits() & !0x03, 0, "reserved bits are zeroed");
        }
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-.0")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-0.")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-001")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-1")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-0F")));
    }

    #[test]
    fn optional_whitespace_is_ignored() {
        for v in [
            format!(" 00-{TRACE}-{SPAN}-01"),
            format!("\t00-{TRACE}-{SPAN}-01"),
            format!("00-{TRACE}-{SPAN}-01 "),
            format!("00-{TRACE}-{SPAN}-01\t"),
            format!("\t 00-{TRACE}-{SPAN}-01 \t"),
        ] {
            assert!(ok(&v), "{v:?}");
        }
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-01\n")));
    }

    #[test]
    fn wrong_delimiters_and_non_ascii_are_rejected() {
        assert!(!ok(&format!("00_{TRACE}-{SPAN}-01")));
        assert!(!ok(&format!("00-{TRACE}_{SPAN}-01")));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}_01")));
        assert!(!ok(""));
        assert!(!ok(&format!("00-{TRACE}-{SPAN}-é")));
        assert!(!ok(&format!("cc-{TRACE}-{SPAN}-01é")));
    }

    #[test]
    fn format_zeroes_reserved_bits_and_skips_invalid() {
        let (t, s, _) = parse_traceparent(&format!("00-{TRACE}-{SPAN}-01")).unwrap();
        let cx = SpanContext::new(
            t,
            s,
            TraceFlags::from_bits(0xff),
            false,
            crate::TraceState::default(),
        );
        assert_eq!(
            format_traceparent(&cx).unwrap(),
            format!("00-{TRACE}-{SPAN}-03")
        );
        assert_eq!(format_traceparent(&SpanContext::empty()), None);
    }

    #[test]
    fn long_values_are_refused_unread() {
        let v00 = format!("00-{TRACE}-{SPAN}-01");
        // Padding up to the bound is still trimmed; past it the value is refused.
        let padded = format!("{}{v00}", " ".repeat(MAX_TRACEPARENT_LEN - v00.len()));
        assert!(ok(&padded));
        assert!(!ok(&format!(" {padded}")));
        // A later version may carry more fields, within the bound.
        let later = format!("01-{TRACE}-{SPAN}-01-{}", "x".repeat(200));
        assert!(ok(&later));
        // Multi-megabyte values: refused (spaces around a valid header, or extra fields).
        let mb = 4 << 20;
        assert!(!ok(&format!("{}{v00}", " ".repeat(mb))));
        assert!(!ok(&format!("{v00}{}", "\t".repeat(mb))));
        assert!(!ok(&format!("01-{TRACE}-{SPAN}-01-{}", "x".repeat(mb))));
    }
}
