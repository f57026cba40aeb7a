//! Percent-decoding (`%XX`, RFC 3986 section 2.1): the one decoder of the project, used by
//! W3C Baggage and by the `OTEL_*` variables that carry percent-encoded lists.
//!
//! Input that is not a valid encoding has two policies, and each caller picks one by name:
//! [`percent_decode`] refuses it (configuration: a typo must be reported, not guessed at),
//! [`percent_decode_lossy`] keeps going as W3C Baggage asks of a receiver.

use std::borrow::Cow;
use std::fmt;

use crate::id::hex_byte;

/// Why [`percent_decode`] refused its input.
///
/// # Examples
/// ```
/// use trace_core::propagation::{percent_decode, InvalidPercentEncoding};
/// let err = percent_decode("100%").unwrap_err();
/// assert_eq!(err, InvalidPercentEncoding::BadEscape { at: 3 });
/// assert_eq!(err.to_string(), "`%` at byte 3 is not followed by two hex digits");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidPercentEncoding {
    /// The `%` at byte offset `at` is not followed by two hex digits.
    BadEscape {
        /// Byte offset of the `%` in the input.
        at: usize,
    },
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl fmt::Display for InvalidPercentEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidPercentEncoding::BadEscape { at } => {
                write!(f, "`%` at byte {at} is not followed by two hex digits")
            }
            InvalidPercentEncoding::NotUtf8 => f.write_str("the decoded bytes are not UTF-8"),
        }
    }
}

impl std::error::Error for InvalidPercentEncoding {}

/// Decodes the `%XX` escapes of `s` (hex digits of either case); every other character is
/// kept as it is (`+` is not a space).
///
/// Borrows `s` when it holds no `%`.
///
/// # Errors
/// [`InvalidPercentEncoding::BadEscape`] for a `%` not followed by two hex digits,
/// [`InvalidPercentEncoding::NotUtf8`] when the decoded bytes are not UTF-8.
///
/// # Examples
/// ```
/// use trace_core::propagation::percent_decode;
/// assert_eq!(percent_decode("caf%C3%A9%2C%20ok").unwrap(), "café, ok");
/// assert!(percent_decode("%zz").is_err());
/// assert!(percent_decode("%ff").is_err());
/// ```
pub fn percent_decode(s: &str) -> Result<Cow<'_, str>, InvalidPercentEncoding> {
    match decode_bytes(s, Policy::Strict)? {
        None => Ok(Cow::Borrowed(s)),
        Some(bytes) => String::from_utf8(bytes)
            .map(Cow::Owned)
            .map_err(|_| InvalidPercentEncoding::NotUtf8),
    }
}

/// Decodes the `%XX` escapes of `s` as a W3C Baggage receiver does: a `%` not followed by
/// two hex digits stays as it is, and decoded bytes that are not UTF-8 become U+FFFD (the
/// specification: "percent-encoded octet sequences that do not match the UTF-8 encoding
/// scheme MUST be replaced with the replacement code point").
///
/// # Examples
/// ```
/// use trace_core::propagation::percent_decode_lossy;
/// assert_eq!(percent_decode_lossy("DF%2028"), "DF 28");
/// assert_eq!(percent_decode_lossy("100%"), "100%");
/// assert_eq!(percent_decode_lossy("%e9"), "\u{fffd}");
/// ```
pub fn percent_decode_lossy(s: &str) -> Cow<'_, str> {
    match decode_bytes(s, Policy::KeepBadEscapes) {
        Ok(Some(bytes)) => match String::from_utf8_lossy(&bytes) {
            Cow::Borrowed(_) => {
                // Valid UTF-8: take the buffer back without copying it.
                Cow::Owned(String::from_utf8(bytes).unwrap_or_default())
            }
            Cow::Owned(replaced) => Cow::Owned(replaced),
        },
        // `KeepBadEscapes` never fails.
        Ok(None) | Err(_) => Cow::Borrowed(s),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    Strict,
    KeepBadEscapes,
}

/// The decoded bytes, or `None` when `s` has no `%` (nothing to decode).
fn decode_bytes(s: &str, policy: Policy) -> Result<Option<Vec<u8>>, InvalidPercentEncoding> {
    let b = s.as_bytes();
    let Some(first) = b.iter().position(|&c| c == b'%') else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if b[i] == b'%' {
            let byte = match (b.get(i + 1), b.get(i + 2)) {
                (Some(&hi), Some(&lo)) => hex_byte(hi, lo),
                _ => None,
            };
            match (byte, policy) {
                (Some(byte), _) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                (None, Policy::Strict) => return Err(InvalidPercentEncoding::BadEscape { at: i }),
                (None, Policy::KeepBadEscapes) => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_decodes_or_names_the_problem() {
        assert_eq!(percent_decode("a%20b").as_deref(), Ok("a b"));
        assert_eq!(percent_decode("%e2%9c%93").as_deref(), Ok("✓"));
        assert_eq!(percent_decode("%E2%9C%93").as_deref(), Ok("✓"));
        assert!(matches!(
            percent_decode("plain"),
            Ok(Cow::Borrowed("plain"))
        ));
        assert_eq!(percent_decode("a+b").as_deref(), Ok("a+b"));
        assert_eq!(
            percent_decode("100%"),
            Err(InvalidPercentEncoding::BadEscape { at: 3 })
        );
        assert_eq!(
            percent_decode("ok%4"),
            Err(InvalidPercentEncoding::BadEscape { at: 2 })
        );
        assert_eq!(
            percent_decode("%g0"),
            Err(InvalidPercentEncoding::BadEscape { at: 0 })
        );
        assert_eq!(percent_decode("%ff"), Err(InvalidPercentEncoding::NotUtf8));
        assert_eq!(percent_decode("%C3"), Err(InvalidPercentEncoding::NotUtf8));
        // A decoded `%` is not decoded again.
        assert_eq!(percent_decode("%2541").as_deref(), Ok("%41"));
    }

    #[test]
    fn lossy_keeps_bad_escapes_and_replaces_bad_utf8() {
        assert_eq!(percent_decode_lossy("%zz"), "%zz");
        assert_eq!(percent_decode_lossy("100%"), "100%");
        assert_eq!(percent_decode_lossy("%4"), "%4");
        assert_eq!(percent_decode_lossy("%e9"), "\u{fffd}");
        assert_eq!(percent_decode_lossy("%C3%A9"), "\u{e9}");
        assert_eq!(percent_decode_lossy("a%zz%20b"), "a%zz b");
        assert!(matches!(
            percent_decode_lossy("plain"),
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn both_policies_agree_on_valid_input() {
        for s in ["", "a", "%41%42", "x%2Cy%3Dz", "caf%c3%a9", "%25"] {
            assert_eq!(
                percent_decode(s).as_deref().ok(),
                Some(&*percent_decode_lossy(s))
            );
        }
    }
}
