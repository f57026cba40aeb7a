//! The `tracestate` header (W3C Trace Context level 2): validation, parsing, formatting and
//! the allowed mutations of [`TraceState`].

use std::fmt;

use super::traceparent::trim_ows;
use crate::TraceState;

/// At most this many list members; a header with more is discarded.
pub(crate) const MAX_MEMBERS: usize = 32;
/// Longest key (simple key or whole multi-tenant key) and longest value.
const MAX_KEY_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 256;
/// Longest `tracestate` read (all fields and their joining commas): twice the longest list of
/// valid members (32 of `key=value` at 256 + 1 + 256 bytes), which leaves as many bytes for
/// separators, spaces and empty members as for the members. A longer header cannot be a
/// list of at most 32 members written by the participants, only padding or more members, so
/// it is dropped whole, as one with a 33rd member is, without being read.
pub(crate) const MAX_HEADER_LEN: usize = 2 * MAX_MEMBERS * (MAX_KEY_LEN + 1 + MAX_VALUE_LEN);
/// Longest tenant id and system id of a multi-tenant key (`tenant@system`).
const MAX_TENANT_LEN: usize = 241;
const MAX_SYSTEM_LEN: usize = 14;

/// Why a `tracestate` header or entry was rejected.
///
/// Extraction never reports it: an invalid `tracestate` is dropped as a whole (the
/// `traceparent` is still used). It is returned by [`TraceState::from_header`] and
/// [`TraceState::insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceStateError {
    /// A key outside the grammar (`simple-key` or `tenant-id@system-id`, lowercase).
    InvalidKey(String),
    /// A value outside the grammar (1 to 256 printable ASCII characters, no `,` or `=`,
    /// not ending with a space).
    InvalidValue(String),
    /// A list member without `=`.
    InvalidMember(String),
    /// The same key twice.
    DuplicateKey(String),
    /// More than 32 list members.
    TooManyMembers,
    /// A header longer than any list of 32 valid members could be (32,832 bytes); it is
    /// not read.
    TooLong,
}

impl fmt::Display for TraceStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceStateError::InvalidKey(k) => write!(f, "invalid tracestate key {k:?}"),
            TraceStateError::InvalidValue(v) => write!(f, "invalid tracestate value {v:?}"),
            TraceStateError::InvalidMember(m) => write!(f, "invalid tracestate member {m:?}"),
            TraceStateError::DuplicateKey(k) => write!(f, "duplicate tracestate key {k:?}"),
            TraceStateError::TooManyMembers => {
                write!(f, "tracestate has more than {MAX_MEMBERS} members")
            }
            TraceStateError::TooLong => {
                write!(f, "tracestate is longer than {MAX_HEADER_LEN} bytes")
            }
        }
    }
}

impl std::error::Error for TraceStateError {}

/// Parsing, formatting and mutation of the W3C `tracestate`.
impl TraceState {
    /// Parses a `tracestate` value (several header fields joined with `,` in order).
    ///
    /// Empty and whitespace-only list members are allowed and skipped; spaces and tabs
    /// around members are ignored. The whole header is rejected when a member is invalid,
    /// a key repeats, or there are more than 32 members: the specification lets a vendor
    /// drop the header, and keeping part of it would forward a state no participant wrote.
    /// A header longer than 32,832 bytes is rejected the same way before anything is read,
    /// so parsing takes bounded time whatever the input.
    ///
    /// # Errors
    /// [`TraceStateError`] naming the first problem.
    ///
    /// # Examples
    /// ```
    /// use trace_core::TraceState;
    /// let ts = TraceState::from_header("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE").unwrap();
    /// assert_eq!(ts.get("congo"), Some("t61rcWkgMzE"));
    /// assert_eq!(ts.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    /// assert!(TraceState::from_header("foo=1,foo=2").is_err());
    /// ```
    pub fn from_header(header: &str) -> Result<TraceState, TraceStateError> {
        TraceState::from_fields(std::iter::once(header))
    }

    /// Parses several `tracestate` header fields as their combination in order (RFC 7230
    /// field order), without joining them first.
    pub(crate) fn from_fields<'a>(
        fields: impl IntoIterator<Item = &'a str>,
    ) -> Result<TraceState, TraceStateError> {
        let fields: Vec<&str> = fields.into_iter().collect();
        let len = fields.iter().map(|f| f.len()).sum::<usize>() + fields.len().saturating_sub(1);
        if len > MAX_HEADER_LEN {
            return Err(TraceStateError::TooLong);
        }
        let mut members: Vec<(String, String)> = Vec::new();
        for raw in fields.into_iter().flat_map(|f| f.split(',')) {
            let member = trim_ows(raw);
            if member.is_empty() {
                continue;
            }
            if members.len() == MAX_MEMBERS {
                return Err(TraceStateError::TooManyMembers);
            }
            let Some((key, value)) = member.split_once('=') else {
                return Err(TraceStateError::InvalidMember(truncated(member)));
            };
            validate_key(key)?;
            validate_value(value)?;
            if members.iter().any(|(k, _)| k == key) {
                return Err(TraceStateError::DuplicateKey(key.to_owned()));
            }
            members.push((key.to_owned(), value.to_owned()));
        }
        Ok(TraceState::from_members(members))
    }

    /// The `tracestate` header value: members in order, joined with `,`. Empty when there
    /// are no members (send no header then).
    ///
    /// # Examples
    /// ```
    /// use trace_core::TraceState;
    /// let ts = TraceState::default().insert("congo", "t61rcWkgMzE").unwrap();
    /// assert_eq!(ts.header(), "congo=t61rcWkgMzE");
    /// ```
    pub fn header(&self) -> String {
        let members = self.members();
        let len = members.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = String::with_capacity(len);
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }

    /// This state with `key` set to `value` and moved to the front (left), as the
    /// specification requires for a modified or added entry. The order of the other members
    /// is kept; when the list would exceed 32 members the right-most one is dropped.
    ///
    /// # Errors
    /// [`TraceStateError::InvalidKey`] or [`TraceStateError::InvalidValue`] when `key` or
    /// `value` is outside the grammar.
    ///
    /// # Examples
    /// ```
    /// use trace_core::TraceState;
    /// let ts = TraceState::from_header("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").unwrap();
    /// let ts = ts.insert("congo", "ucfJifl5GOE").unwrap();
    /// assert_eq!(ts.header(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
    /// assert!(ts.insert("Congo", "x").is_err());
    /// ```
    pub fn insert(&self, key: &str, value: &str) -> Result<TraceState, TraceStateError> {
        validate_key(key)?;
        validate_value(value)?;
        let mut members = Vec::with_capacity(self.members().len() + 1);
        members.push((key.to_owned(), value.to_owned()));
        members.extend(
            self.members()
                .iter()
                .filter(|(k, _)| k != key)
                .take(MAX_MEMBERS - 1)
                .cloned(),
        );
        Ok(TraceState::from_members(members))
    }

    /// This state without `key` (the order of the others is kept).
    ///
    /// # Examples
    /// ```
    /// use trace_core::TraceState;
    /// let ts = TraceState::from_header("a=1,b=2").unwrap().remove("a");
    /// assert_eq!(ts.header(), "b=2");
    /// ```
    #[must_use]
    pub fn remove(&self, key: &str) -> TraceState {
        TraceState::from_members(
            self.members()
                .iter()
                .filter(|(k, _)| k != key)
                .cloned()
                .collect(),
        )
    }
}

/// A rejected member, cut to a readable length for the error message.
fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

const fn is_key_char(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/')
}

/// `first` then up to `max - 1` key characters.
fn key_part(part: &[u8], max: usize, digit_first: bool) -> bool {
    match part.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_lowercase() || (digit_first && first.is_ascii_digit()))
                && part.len() <= max
                && rest.iter().all(|&b| is_key_char(b))
        }
        None => false,
    }
}

/// `key = simple-key / multi-tenant-key`:
/// `simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )`,
/// `multi-tenant-key = tenant-id "@" system-id`,
/// `tenant-id = ( lcalpha / DIGIT ) 0*240( .. )`, `system-id = lcalpha 0*13( .. )`.
pub(crate) fn validate_key(key: &str) -> Result<(), TraceStateError> {
    let valid = match key.split_once('@') {
        None => key_part(key.as_bytes(), MAX_KEY_LEN, false),
        Some((tenant, system)) => {
            key_part(tenant.as_bytes(), MAX_TENANT_LEN, true)
                && key_part(system.as_bytes(), MAX_SYSTEM_LEN, false)
        }
    };
    if valid {
        Ok(())
    } else {
        Err(TraceStateError::InvalidKey(truncated(key)))
    }
}

/// `value = 0*255(chr) nblk-chr`, `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`,
/// `chr = %x20 / nblk-chr`.
pub(crate) fn validate_value(value: &str) -> Result<(), TraceStateError> {
    let b = value.as_bytes();
    let valid = !b.is_empty()
        && b.len() <= MAX_VALUE_LEN
        && b.last() != Some(&b' ')
        && b.iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=');
    if valid {
        Ok(())
    } else {
        Err(TraceStateError::InvalidValue(truncated(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<TraceState, TraceStateError> {
        TraceState::from_header(s)
    }

    #[test]
    fn empty_and_whitespace_members_are_allowed() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse(" , \t ,").unwrap().is_empty());
        let ts = parse("foo=1,").unwrap();
        assert_eq!(ts.get("foo"), Some("1"));
        let ts = parse(",foo=1").unwrap();
        assert_eq!(ts.header(), "foo=1");
    }

    #[test]
    fn ows_around_members_is_ignored() {
        for h in [
            "foo=1 \t , \t bar=2, \t baz=3",
            "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
        ] {
            let ts = parse(h).unwrap();
            assert_eq!(ts.header(), "foo=1,bar=2,baz=3");
        }
        for h in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
            assert_eq!(parse(h).unwrap().get("foo"), Some("1"), "{h:?}");
        }
    }

    #[test]
    fn order_is_kept_across_joined_fields() {
        let ts = parse("foo=1,bar=2,rojo=1,congo=2,baz=3").unwrap();
        let keys: Vec<&str> = ts.members().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["foo", "bar", "rojo", "congo", "baz"]);
    }

    #[test]
    fn all_allowed_characters() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
        let value: String = (0x20u8..=0x2b)
            .chain(0x2d..=0x3c)
            .chain(0x3e..=0x7e)
            .map(char::from)
            .collect();
        let ts = parse(&format!("{key}={value}")).unwrap();
        assert_eq!(ts.get(key), Some(value.as_str()));
        let vendor = format!("{key}@a-z0-9_-*/");
        let ts = parse(&format!("{vendor}={value}")).unwrap();
        assert_eq!(ts.get(&vendor), Some(value.as_str()));
        // Leading spaces of a value belong to the value.
        assert_eq!(parse("foo=  x").unwrap().get("foo"), Some("  x"));
    }

    #[test]
    fn duplicate_keys_discard_the_header() {
        assert_eq!(
            parse("foo=1,foo=1"),
            Err(TraceStateError::DuplicateKey("foo".into()))
        );
        assert!(parse("foo=1,foo=2").is_err());
    }

    #[test]
    fn illegal_keys() {
        for h in [
            "foo =1",
            "FOO=1",
            "foo.bar=1",
            "foo@=1,bar=2",
            "@foo=1,bar=2",
            "foo@@bar=1,bar=2",
            "foo@bar@baz=1,bar=2",
            "1foo=1",
            "=1",
            "fo\u{e9}=1",
        ] {
            assert!(
                matches!(parse(h), Err(TraceStateError::InvalidKey(_))),
                "{h:?}"
            );
        }
        // A tenant id may start with a digit.
        assert!(parse("1tenant@vendor=1").is_ok());
    }

    #[test]
    fn key_length_limits() {
        assert!(parse(&format!("foo=1,{}=1", "z".repeat(256))).is_ok());
        assert!(parse(&format!("foo=1,{}=1", "z".repeat(257))).is_err());
        assert!(parse(&format!("foo=1,{}@{}=1", "t".repeat(241), "v".repeat(14))).is_ok());
        assert!(parse(&format!("foo=1,{}@v=1", "t".repeat(242))).is_err());
        assert!(parse(&format!("foo=1,t@{}=1", "v".repeat(15))).is_err());
    }

    #[test]
    fn illegal_values() {
        assert!(matches!(
            parse("foo=bar=baz"),
            Err(TraceStateError::InvalidValue(_))
        ));
        assert!(parse("foo=,bar=3").is_err());
        assert!(parse("foo").is_err());
        assert!(parse("foo=a\u{7f}").is_err());
        assert!(parse("foo=\u{e9}").is_err());
        assert!(parse(&format!("foo={}", "v".repeat(256))).is_ok());
        assert!(parse(&format!("foo={}", "v".repeat(257))).is_err());
    }

    #[test]
    fn member_count_limit() {
        let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
        let ts = parse(&members[..32].join(",")).unwrap();
        assert_eq!(ts.members().len(), 32);
        assert_eq!(ts.get("bar01"), Some("01"));
        assert_eq!(
            parse(&members.join(",")),
            Err(TraceStateError::TooManyMembers)
        );
        // Empty members do not count.
        let with_empties = format!("{},,,", members[..32].join(", ,"));
        assert_eq!(parse(&with_empties).unwrap().members().len(), 32);
    }

    #[test]
    fn header_length_is_bounded() {
        // The longest valid list: 32 members of 256 + 1 + 256 bytes.
        let longest: Vec<String> = (0..32)
            .map(|i| format!("{:a<256}={:v<256}", format!("k{i:02}"), ""))
            .collect();
        let header = longest.join(" , ");
        assert!(header.len() <= MAX_HEADER_LEN);
        assert_eq!(parse(&header).unwrap().members().len(), 32);
        // Over the bound, whatever it holds: dropped whole, unread.
        let mb = 4 << 20;
        for huge in [
            ",".repeat(mb),
            " ".repeat(mb),
            "a=b,".repeat(mb / 4),
            format!("a={}", "x".repeat(mb)),
            format!("foo=1{}", ", ".repeat(MAX_HEADER_LEN)),
        ] {
            assert_eq!(parse(&huge), Err(TraceStateError::TooLong));
        }
        // The bound counts every field and the commas joining them.
        let half = "x".repeat(MAX_HEADER_LEN / 2);
        assert_eq!(
            TraceState::from_fields([half.as_str(), half.as_str()]),
            Err(TraceStateError::TooLong)
        );
        assert_eq!(
            TraceState::from_fields([" ", ""]).map(|t| t.members().len()),
            Ok(0)
        );
    }

    #[test]
    fn insert_moves_to_front_and_caps_at_32() {
        let ts = parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").unwrap();
        let ts = ts.insert("congo", "ucfJifl5GOE").unwrap();
        assert_eq!(ts.header(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
        let ts = ts.insert("new", "1").unwrap();
        assert_eq!(ts.header(), "new=1,congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
        let full: Vec<String> = (1..=32).map(|i| format!("k{i}=v")).collect();
        let ts = parse(&full.join(",")).unwrap().insert("ours", "x").unwrap();
        assert_eq!(ts.members().len(), 32);
        assert_eq!(ts.members()[0].0, "ours");
        assert_eq!(ts.get("k32"), None, "right-most member dropped");
        assert_eq!(ts.get("k31"), Some("v"));
        assert!(ts.insert("ours", "").is_err());
        assert!(ts.insert("ours", "a,b").is_err());
        assert!(ts.insert("Ours", "a").is_err());
    }

    #[test]
    fn remove_keeps_order() {
        let ts = parse("a=1,b=2,c=3").unwrap().remove("b");
        assert_eq!(ts.header(), "a=1,c=3");
        assert!(ts.remove("a").remove("c").is_empty());
    }
}
