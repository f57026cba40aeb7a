//! The span-name and attribute-key grammar of **traced**.
//!
//! Dependency-free `const fn`s, so the same rules run in three places: in trace-macros at
//! expansion time (a span name or attribute key written as a literal is checked there), in
//! the `const` assertions its expansions emit for names given as constants, and at run time.
//! Keep this crate free of dependencies, of `std`-only items and of allocation.
//!
//! ```
//! use trace_names::{check_attribute_key, check_span_name, KeyError, NameError};
//!
//! assert_eq!(check_span_name("GET /users/{id}"), Ok(()));
//! assert_eq!(check_span_name("fetch {}"), Err(NameError::Placeholder));
//! assert_eq!(check_attribute_key("http.route"), Ok(()));
//! assert_eq!(check_attribute_key("userId"), Err(KeyError::InvalidCharacter));
//!
//! // Usable in constants:
//! const _: () = assert!(check_span_name("db.query").is_ok());
//! ```

#![cfg_attr(not(test), no_std)]

/// Longest span name accepted, in bytes.
pub const MAX_SPAN_NAME_LEN: usize = 128;

/// Longest attribute key accepted, in bytes.
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 255;

/// Why a span name was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_SPAN_NAME_LEN`] bytes.
    TooLong,
    /// The name holds a control character (newline, tab, escape, ...).
    ControlCharacter,
    /// The name starts with whitespace.
    LeadingWhitespace,
    /// The name ends with whitespace.
    TrailingWhitespace,
    /// The name holds a format placeholder such as `{}`, `{0}` or `{:?}`.
    Placeholder,
}

impl NameError {
    /// The diagnostic text: lowercase, no final period.
    pub const fn message(self) -> &'static str {
        match self {
            NameError::Empty => "span name must not be empty",
            NameError::TooLong => "span name must be at most 128 bytes long",
            NameError::ControlCharacter => "span name must not contain control characters",
            NameError::LeadingWhitespace => "span name must not start with whitespace",
            NameError::TrailingWhitespace => "span name must not end with whitespace",
            NameError::Placeholder => {
                "span name must not contain a format placeholder such as `{}`; span names are \
                 not formatted: keep the name constant and record the value with `attrs(..)`"
            }
        }
    }
}

/// Why an attribute key was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The key is empty.
    Empty,
    /// The key is longer than [`MAX_ATTRIBUTE_KEY_LEN`] bytes.
    TooLong,
    /// The key starts or ends with `.`, or holds `..`.
    EmptySegment,
    /// A dot-separated segment does not start with a lowercase ASCII letter.
    SegmentStart,
    /// The key holds a character other than `a-z`, `0-9`, `_` and `.`.
    InvalidCharacter,
}

impl KeyError {
    /// The diagnostic text: lowercase, no final period.
    pub const fn message(self) -> &'static str {
        match self {
            KeyError::Empty => "attribute key must not be empty",
            KeyError::TooLong => "attribute key must be at most 255 bytes long",
            KeyError::EmptySegment => {
                "attribute key must be dot-separated namespaces without empty parts: no leading, \
                 trailing or doubled `.`"
            }
            KeyError::SegmentStart => {
                "each `.`-separated part of an attribute key must start with a lowercase ASCII \
                 letter"
            }
            KeyError::InvalidCharacter => {
                "attribute key may only contain lowercase ASCII letters, digits, `_` and `.` \
                 (OpenTelemetry attribute naming)"
            }
        }
    }
}

const fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Checks a span name: non-empty, at most 128 bytes, no control characters, no leading or
/// trailing whitespace, no format placeholders (`{}`, `{0}`, `{:?}`, `{x:>5}`).
///
/// A brace pair holding a plain identifier, as in the route template `GET /users/{id}`, is
/// accepted: it is a common low-cardinality span name.
///
/// # Errors
///
/// The first rule the name breaks, as a [`NameError`]; its [`NameError::message`] is the
/// diagnostic text.
///
/// # Examples
///
/// ```
/// use trace_names::{check_span_name, NameError};
///
/// assert_eq!(check_span_name("Service::handle"), Ok(()));
/// assert_eq!(check_span_name(" fetch"), Err(NameError::LeadingWhitespace));
/// ```
pub const fn check_span_name(name: &str) -> Result<(), NameError> {
    let bytes = name.as_bytes();
    let len = bytes.len();
    if len == 0 {
        return Err(NameError::Empty);
    }
    if len > MAX_SPAN_NAME_LEN {
        return Err(NameError::TooLong);
    }
    // Control characters first: a name ending in "\n" is reported as a control character.
    let mut i = 0;
    while i < len {
        let b = bytes[i];
        if (b < 0x20 && !matches!(b, b' ')) || b == 0x7f {
            return Err(NameError::ControlCharacter);
        }
        // C1 controls U+0080..=U+009F are encoded as 0xC2 0x80..=0x9F.
        if b == 0xc2 && i + 1 < len && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9f {
            return Err(NameError::ControlCharacter);
        }
        i += 1;
    }
    if is_whitespace(bytes[0]) {
        return Err(NameError::LeadingWhitespace);
    }
    if is_whitespace(bytes[len - 1]) {
        return Err(NameError::TrailingWhitespace);
    }
    let mut i = 0;
    while i < len {
        if bytes[i] == b'{' && is_placeholder(bytes, i + 1) {
            return Err(NameError::Placeholder);
        }
        i += 1;
    }
    Ok(())
}

/// Whether the text after a `{` at `start` closes a format placeholder: `}`, digits then `}`,
/// or anything holding a `:` format spec before the `}`.
const fn is_placeholder(bytes: &[u8], start: usize) -> bool {
    let mut i = start;
    let mut only_digits = true;
    let mut has_colon = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'}' {
            return only_digits || has_colon;
        }
        if b == b'{' {
            return false;
        }
        if b == b':' {
            has_colon = true;
        }
        if !b.is_ascii_digit() {
            only_digits = false;
        }
        i += 1;
    }
    false
}

/// Checks an attribute key against OpenTelemetry attribute naming: dot-separated namespaces
/// of lowercase ASCII letters, digits and `_`, each starting with a letter, at most 255 bytes.
///
/// # Errors
///
/// The first rule the key breaks, as a [`KeyError`]; its [`KeyError::message`] is the
/// diagnostic text.
///
/// # Examples
///
/// ```
/// use trace_names::{check_attribute_key, KeyError};
///
/// assert_eq!(check_attribute_key("http.response.status_code"), Ok(()));
/// assert_eq!(check_attribute_key("a..b"), Err(KeyError::EmptySegment));
/// ```
pub const fn check_attribute_key(key: &str) -> Result<(), KeyError> {
    let bytes = key.as_bytes();
    let len = bytes.len();
    if len == 0 {
        return Err(KeyError::Empty);
    }
    if len > MAX_ATTRIBUTE_KEY_LEN {
        return Err(KeyError::TooLong);
    }
    let mut i = 0;
    let mut segment_start = true;
    while i < len {
        let b = bytes[i];
        if b == b'.' {
            if segment_start {
                return Err(KeyError::EmptySegment);
            }
            segment_start = true;
        } else if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(KeyError::InvalidCharacter);
        } else if segment_start {
            if !b.is_ascii_lowercase() {
                return Err(KeyError::SegmentStart);
            }
            segment_start = false;
        }
        i += 1;
    }
    if segment_start {
        return Err(KeyError::EmptySegment);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_names() {
        assert_eq!(check_span_name("fetch"), Ok(()));
        assert_eq!(check_span_name("Service::handle"), Ok(()));
        assert_eq!(check_span_name("GET /users/{id}"), Ok(()));
        assert_eq!(check_span_name("db query"), Ok(()));
        assert_eq!(check_span_name("héllo wörld"), Ok(()));
        assert_eq!(check_span_name(""), Err(NameError::Empty));
        assert_eq!(check_span_name(&"a".repeat(128)), Ok(()));
        assert_eq!(check_span_name(&"a".repeat(129)), Err(NameError::TooLong));
        assert_eq!(check_span_name("a\nb"), Err(NameError::ControlCharacter));
        assert_eq!(check_span_name("a\u{7f}"), Err(NameError::ControlCharacter));
        assert_eq!(check_span_name("a\u{85}"), Err(NameError::ControlCharacter));
        assert_eq!(check_span_name("fetch\n"), Err(NameError::ControlCharacter));
        assert_eq!(check_span_name(" fetch"), Err(NameError::LeadingWhitespace));
        assert_eq!(
            check_span_name("fetch "),
            Err(NameError::TrailingWhitespace)
        );
        assert_eq!(check_span_name("fetch {}"), Err(NameError::Placeholder));
        assert_eq!(check_span_name("fetch {0}"), Err(NameError::Placeholder));
        assert_eq!(check_span_name("fetch {:?}"), Err(NameError::Placeholder));
        assert_eq!(
            check_span_name("fetch {id:>4}"),
            Err(NameError::Placeholder)
        );
        assert_eq!(check_span_name("fetch { x"), Ok(()));
        assert_eq!(check_span_name("a} {b"), Ok(()));
    }

    #[test]
    fn attribute_keys() {
        for ok in [
            "a",
            "http.route",
            "http.response.status_code",
            "k8s.pod.name",
            "a1_b",
        ] {
            assert_eq!(check_attribute_key(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_attribute_key(""), Err(KeyError::Empty));
        assert_eq!(
            check_attribute_key(&"a".repeat(256)),
            Err(KeyError::TooLong)
        );
        assert_eq!(check_attribute_key(".a"), Err(KeyError::EmptySegment));
        assert_eq!(check_attribute_key("a."), Err(KeyError::EmptySegment));
        assert_eq!(check_attribute_key("a..b"), Err(KeyError::EmptySegment));
        assert_eq!(check_attribute_key("Http"), Err(KeyError::InvalidCharacter));
        assert_eq!(check_attribute_key("a-b"), Err(KeyError::InvalidCharacter));
        assert_eq!(check_attribute_key("a b"), Err(KeyError::InvalidCharacter));
        assert_eq!(check_attribute_key("1a"), Err(KeyError::SegmentStart));
        assert_eq!(check_attribute_key("a._b"), Err(KeyError::SegmentStart));
    }

    #[test]
    fn messages_are_lowercase_without_period() {
        let names = [
            NameError::Empty,
            NameError::TooLong,
            NameError::ControlCharacter,
            NameError::LeadingWhitespace,
            NameError::TrailingWhitespace,
            NameError::Placeholder,
        ];
        let keys = [
            KeyError::Empty,
            KeyError::TooLong,
            KeyError::EmptySegment,
            KeyError::SegmentStart,
            KeyError::InvalidCharacter,
        ];
        let messages = names
            .iter()
            .map(|e| e.message())
            .chain(keys.iter().map(|e| e.message()));
        for m in messages {
            assert!(m.starts_with(|c: char| c.is_ascii_lowercase()), "{m}");
            assert!(!m.ends_with('.'), "{m}");
        }
    }
}
