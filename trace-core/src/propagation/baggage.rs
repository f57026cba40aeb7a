//! W3C Baggage: user key-value pairs that travel with a request across processes.

use std::fmt;

use super::percent::percent_decode_lossy;
use super::traceparent::trim_ows;

/// Most entries a [`Baggage`] holds (the specification's limit that every platform must
/// propagate).
pub const MAX_BAGGAGE_ENTRIES: usize = 64;
/// Longest `baggage` header a [`Baggage`] produces, in bytes (also the specification's
/// limit).
pub const MAX_BAGGAGE_BYTES: usize = 8192;

/// Most bytes of `baggage` fields read (joining commas included), whatever their length:
/// twice the specification's 8192, so members after one too large to keep may still be
/// kept, as before. Members past it are dropped unread, which the specification allows ("if
/// either limit would be exceeded, platforms MAY drop list-members until both limits are
/// met"); a member cut by the bound is dropped whole, never cut.
pub(crate) const MAX_BAGGAGE_READ: usize = 2 * MAX_BAGGAGE_BYTES;

/// W3C Baggage: an ordered set of key-value entries with optional properties, carried in
/// [`Context`](crate::Context) and propagated in the `baggage` header.
///
/// Keys are HTTP tokens; values are any UTF-8 text (percent-encoded on the wire). Keys are
/// unique: inserting an existing key replaces its value in place. The limits of the
/// specification hold at all times: at most 64 entries and a header of at most 8192 bytes.
///
/// # Examples
/// ```
/// use trace_core::propagation::Baggage;
/// let mut baggage = Baggage::new();
/// baggage.insert("userId", "alice").unwrap();
/// baggage.insert("serverNode", "DF 28").unwrap();
/// assert_eq!(baggage.to_header(), "userId=alice,serverNode=DF%2028");
///
/// let parsed = Baggage::from_header("userId=alice, serverNode = DF%2028;region=eu");
/// assert_eq!(parsed.get("serverNode"), Some("DF 28"));
/// assert_eq!(parsed.entry("serverNode").unwrap().properties()[0].key(), "region");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baggage {
    entries: Vec<BaggageEntry>,
    /// Length of [`Baggage::to_header`], kept up to date to enforce the byte limit.
    header_len: usize,
}

/// One baggage entry: key, decoded value, and properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaggageEntry {
    key: String,
    value: String,
    properties: Vec<BaggageProperty>,
}

/// A property attached to a baggage entry: `;key` or `;key=value`. Its meaning is opaque
/// to the specification; it is kept and propagated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaggageProperty {
    key: String,
    value: Option<String>,
}

/// Why a baggage entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaggageError {
    /// The key (of an entry or a property) is not an HTTP token.
    InvalidKey(String),
    /// The baggage already holds 64 entries.
    TooManyEntries,
    /// The header would exceed 8192 bytes.
    TooLarge,
}

impl fmt::Display for BaggageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaggageError::InvalidKey(k) => {
                write!(f, "baggage key {k:?} is not an HTTP token")
            }
            BaggageError::TooManyEntries => {
                write!(f, "baggage already holds {MAX_BAGGAGE_ENTRIES} entries")
            }
            BaggageError::TooLarge => {
                write!(f, "baggage header would exceed {MAX_BAGGAGE_BYTES} bytes")
            }
        }
    }
}

impl std::error::Error for BaggageError {}

impl BaggageProperty {
    /// A property `key` (with `value`, if any).
    ///
    /// # Errors
    /// [`BaggageError::InvalidKey`] when `key` is not an HTTP token.
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::BaggageProperty;
    /// let p = BaggageProperty::new("ttl", Some("60")).unwrap();
    /// assert_eq!((p.key(), p.value()), ("ttl", Some("60")));
    /// assert!(BaggageProperty::new("bad key", None).is_err());
    /// ```
    pub fn new(key: &str, value: Option<&str>) -> Result<Self, BaggageError> {
        check_key(key)?;
        Ok(BaggageProperty {
            key: key.to_owned(),
            value: value.map(str::to_owned),
        })
    }

    /// The property key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The decoded property value, if the property has one.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    fn encoded_len(&self) -> usize {
        1 + self.key.len() + self.value.as_deref().map_or(0, |v| 1 + encoded_len(v))
    }

    fn write(&self, out: &mut String) {
        out.push(';');
        out.push_str(&self.key);
        if let Some(v) = &self.value {
            out.push('=');
            encode_into(v, out);
        }
    }
}

impl BaggageEntry {
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The decoded value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The properties, in order.
    pub fn properties(&self) -> &[BaggageProperty] {
        &self.properties
    }

    /// Length of this entry in the header.
    fn encoded_len(&self) -> usize {
        self.key.len()
            + 1
            + encoded_len(&self.value)
            + self
                .properties
                .iter()
                .map(BaggageProperty::encoded_len)
                .sum::<usize>()
    }

    fn write(&self, out: &mut String) {
        out.push_str(&self.key);
        out.push('=');
        encode_into(&self.value, out);
        for p in &self.properties {
            p.write(out);
        }
    }
}

impl Baggage {
    /// An empty baggage.
    pub fn new() -> Self {
        Baggage::default()
    }

    /// Parses a `baggage` value (several header fields joined with `,` in order).
    ///
    /// Never fails: spaces and tabs around keys, values and properties are trimmed, values
    /// are percent-decoded (invalid UTF-8 becomes U+FFFD, as the specification says),
    /// members that break the grammar are dropped one by one, a repeated key keeps the last
    /// value, and whole members beyond 64 entries or 8192 bytes are dropped, never cut.
    /// Only the first 16,384 bytes are read (whole members only): parsing takes bounded time
    /// whatever the input.
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::Baggage;
    /// let b = Baggage::from_header("key1=value1;property1;property2, key2 = value2, bad key=x");
    /// assert_eq!(b.len(), 2);
    /// assert_eq!(b.get("key2"), Some("value2"));
    /// ```
    pub fn from_header(header: &str) -> Baggage {
        Baggage::from_fields(std::iter::once(header))
    }

    /// Parses several `baggage` header fields as their combination in order.
    pub(crate) fn from_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> Baggage {
        let mut baggage = Baggage::new();
        let mut budget = MAX_BAGGAGE_READ;
        for field in fields {
            let (field, cut) = whole_members_within(field, budget);
            for raw in field.split(',') {
                let member = trim_ows(raw);
                // A member longer than the whole limit can never be kept: skip it before
                // decoding anything (bounded work and memory for hostile input).
                if member.is_empty() || member.len() > MAX_BAGGAGE_BYTES {
                    continue;
                }
                if let Some(entry) = parse_member(member) {
                    // Over-limit members are dropped whole; later, smaller ones may still fit.
                    let _ = baggage.put(entry);
                }
            }
            if cut {
                break;
            }
            // The comma joining this field to the next counts too.
            budget = budget.saturating_sub(field.len() + 1);
        }
        baggage
    }

    /// The `baggage` header value (empty when there are no entries: send no header then).
    pub fn to_header(&self) -> String {
        let mut out = String::with_capacity(self.header_len);
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            e.write(&mut out);
        }
        out
    }

    /// Sets `key` to `value` (replacing the value and properties of an existing entry, in
    /// place).
    ///
    /// # Errors
    /// [`BaggageError::InvalidKey`] when `key` is not an HTTP token,
    /// [`BaggageError::TooManyEntries`] or [`BaggageError::TooLarge`] when the entry would
    /// break a limit (the baggage is then unchanged).
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::Baggage;
    /// let mut b = Baggage::new();
    /// b.insert("tenant", "a").unwrap();
    /// b.insert("tenant", "b").unwrap();
    /// assert_eq!((b.len(), b.get("tenant")), (1, Some("b")));
    /// assert!(b.insert("no spaces", "x").is_err());
    /// ```
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), BaggageError> {
        self.insert_with_properties(key, value, Vec::new())
    }

    /// Like [`insert`](Self::insert), with properties.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::{Baggage, BaggageProperty};
    /// let mut b = Baggage::new();
    /// let ttl = BaggageProperty::new("ttl", Some("60")).unwrap();
    /// b.insert_with_properties("user", "alice", vec![ttl]).unwrap();
    /// assert_eq!(b.to_header(), "user=alice;ttl=60");
    /// ```
    pub fn insert_with_properties(
        &mut self,
        key: &str,
        value: &str,
        properties: Vec<BaggageProperty>,
    ) -> Result<(), BaggageError> {
        check_key(key)?;
        self.put(BaggageEntry {
            key: key.to_owned(),
            value: value.to_owned(),
            properties,
        })
    }

    /// The same baggage with `key` set to `value`; unchanged when the entry is refused (see
    /// [`insert`](Self::insert)).
    ///
    /// # Examples
    /// ```
    /// use trace_core::propagation::Baggage;
    /// let b = Baggage::new().with("a", "1").with("bad key", "2");
    /// assert_eq!(b.to_header(), "a=1");
    /// ```
    #[must_use]
    pub fn with(mut self, key: &str, value: &str) -> Self {
        let _ = self.insert(key, value);
        self
    }

    /// Removes `key`, returning its entry.
    pub fn remove(&mut self, key: &str) -> Option<BaggageEntry> {
        let pos = self.entries.iter().position(|e| e.key == key)?;
        let entry = self.entries.remove(pos);
        self.header_len -= entry.encoded_len() + usize::from(!self.entries.is_empty());
        Some(entry)
    }

    /// The decoded value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(BaggageEntry::value)
    }

    /// The entry for `key`, with its properties.
    pub fn entry(&self, key: &str) -> Option<&BaggageEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The entries, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, BaggageEntry> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces `entry` if the limits allow it.
    fn put(&mut self, entry: BaggageEntry) -> Result<(), BaggageError> {
        let new_len = entry.encoded_len();
        if let Some(pos) = self.entries.iter().position(|e| e.key == entry.key) {
            let total = self.header_len - self.entries[pos].encoded_len() + new_len;
            if total > MAX_BAGGAGE_BYTES {
                return Err(BaggageError::TooLarge);
            }
            self.entries[pos] = entry;
            self.header_len = total;
            return Ok(());
        }
        if self.entries.len() >= MAX_BAGGAGE_ENTRIES {
            return Err(BaggageError::TooManyEntries);
        }
        let total = self.header_len + usize::from(!self.entries.is_empty()) + new_len;
        if total > MAX_BAGGAGE_BYTES {
            return Err(BaggageError::TooLarge);
        }
        self.entries.push(entry);
        self.header_len = total;
        Ok(())
    }
}

impl<'a> IntoIterator for &'a Baggage {
    type Item = &'a BaggageEntry;
    type IntoIter = std::slice::Iter<'a, BaggageEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// `field` when it fits in `budget` bytes; else its members that end within the first
/// `budget` bytes, and `true` (reading stops there).
fn whole_members_within(field: &str, budget: usize) -> (&str, bool) {
    let b = field.as_bytes();
    if b.len() <= budget {
        return (field, false);
    }
    // Cut at a comma (ASCII, so a char boundary): the member it ends is whole.
    let end = if b[budget] == b',' {
        budget
    } else {
        b[..budget].iter().rposition(|&c| c == b',').unwrap_or(0)
    };
    (&field[..end], true)
}

/// `list-member = key OWS "=" OWS value *( OWS ";" OWS property )`.
fn parse_member(member: &str) -> Option<BaggageEntry> {
    let mut parts = member.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let key = trim_ows(key);
    let value = trim_ows(value);
    if !is_token(key) || !is_value(value) {
        return None;
    }
    let mut properties = Vec::new();
    for raw in parts {
        let prop = trim_ows(raw);
        let (key, value) = match prop.split_once('=') {
            Some((k, v)) => (trim_ows(k), Some(trim_ows(v))),
            None => (prop, None),
        };
        if !is_token(key) || !value.is_none_or(is_value) {
            return None;
        }
        properties.push(BaggageProperty {
            key: key.to_owned(),
            value: value.map(decode_value),
        });
    }
    Some(BaggageEntry {
        key: key.to_owned(),
        value: decode_value(value),
        properties,
    })
}

/// Values and property values are percent-decoded with the W3C Baggage receiver's policy: an
/// invalid escape is kept as it is and bytes that are not UTF-8 become U+FFFD (the member is
/// not dropped for either).
fn decode_value(value: &str) -> String {
    percent_decode_lossy(value).into_owned()
}

/// RFC 7230 `token`: one or more `tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

fn check_key(key: &str) -> Result<(), BaggageError> {
    if is_token(key) {
        Ok(())
    } else {
        Err(BaggageError::InvalidKey(key.chars().take(64).collect()))
    }
}

/// `baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
const fn is_baggage_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

fn is_value(s: &str) -> bool {
    s.bytes().all(is_baggage_octet)
}

/// Bytes written unencoded: baggage octets except `%`, which starts an escape.
const fn is_plain(b: u8) -> bool {
    is_baggage_octet(b) && b != b'%'
}

fn encoded_len(s: &str) -> usize {
    s.bytes().map(|b| if is_plain(b) { 1 } else { 3 }).sum()
}

fn encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if is_plain(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_three_members() {
        let b = Baggage::from_header(
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
        );
        assert_eq!(b.len(), 3);
        let e1 = b.entry("key1").unwrap();
        assert_eq!(e1.value(), "value1");
        let keys: Vec<_> = e1.properties().iter().map(BaggageProperty::key).collect();
        assert_eq!(keys, ["property1", "property2"]);
        assert_eq!(e1.properties()[0].value(), None);
        assert_eq!(b.get("key2"), Some("value2"));
        let p = &b.entry("key3").unwrap().properties()[0];
        assert_eq!((p.key(), p.value()), ("propertyKey", Some("propertyValue")));
        assert_eq!(
            b.to_header(),
            "key1=value1;property1;property2,key2=value2,key3=value3;propertyKey=propertyValue"
        );
    }

    #[test]
    fn percent_encoding_round_trips() {
        let b = Baggage::from_header("userId=alice,serverNode=DF%2028,isProduction=false");
        assert_eq!(b.get("serverNode"), Some("DF 28"));
        let mut b = Baggage::new();
        let tricky = "a b,c;d\\e\"f%g=h\u{e9}\u{1f600}\t";
        b.insert("k", tricky).unwrap();
        let header = b.to_header();
        assert!(header
            .bytes()
            .all(|c| is_baggage_octet(c) || c == b'=' || c == b','));
        assert_eq!(Baggage::from_header(&header).get("k"), Some(tricky));
        // '=' may appear in a value.
        assert_eq!(Baggage::from_header("k=a=b").get("k"), Some("a=b"));
    }

    #[test]
    fn invalid_percent_sequences_and_utf8() {
        let b = Baggage::from_header("a=%zz,b=100%,c=%e9,d=%C3%A9,e=%4");
        assert_eq!(b.get("a"), Some("%zz"));
        assert_eq!(b.get("b"), Some("100%"));
        assert_eq!(b.get("c"), Some("\u{fffd}"));
        assert_eq!(b.get("d"), Some("\u{e9}"));
        assert_eq!(b.get("e"), Some("%4"));
    }

    #[test]
    fn invalid_members_are_dropped_individually() {
        let b = Baggage::from_header(
            "ok=1,bad key=2,=3,noequals,q=\"quoted\",sp=a b,prop=1;bad prop,back=a\\b,fine=2",
        );
        let keys: Vec<_> = b.iter().map(BaggageEntry::key).collect();
        assert_eq!(keys, ["ok", "fine"]);
        assert!(Baggage::from_header("").is_empty());
        assert!(Baggage::from_header(" , ,").is_empty());
        // An empty value is allowed by the grammar.
        assert_eq!(Baggage::from_header("empty=").get("empty"), Some(""));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let b = Baggage::from_header("a=1,b=2,a=3");
        assert_eq!(b.to_header(), "a=3,b=2");
    }

    #[test]
    fn entry_limit_is_64() {
        let header: Vec<String> = (0..70).map(|i| format!("k{i}=v")).collect();
        let b = Baggage::from_header(&header.join(","));
        assert_eq!(b.len(), MAX_BAGGAGE_ENTRIES);
        assert_eq!(b.get("k63"), Some("v"));
        assert_eq!(b.get("k64"), None);
        let mut b = b;
        assert_eq!(b.insert("more", "v"), Err(BaggageError::TooManyEntries));
        // Replacing an existing key is still allowed at the limit.
        assert_eq!(b.insert("k0", "w"), Ok(()));
    }

    #[test]
    fn byte_limit_is_8192_and_members_are_never_cut() {
        let big = "x".repeat(4000);
        let header = format!("a={big},b={big},c={big},d=small");
        let b = Baggage::from_header(&header);
        // a and b fit (2 * 4002 + 1), c would pass 8192 and is dropped whole, d still fits.
        assert_eq!(b.get("a").map(str::len), Some(4000));
        assert_eq!(b.get("c"), None);
        assert_eq!(b.get("d"), Some("small"));
        let out = b.to_header();
        assert!(out.len() <= MAX_BAGGAGE_BYTES);
        assert_eq!(out.len(), b.header_len);
        let mut b = b;
        assert_eq!(b.insert("e", &big), Err(BaggageError::TooLarge));
        // A single member over the limit is ignored without decoding it.
        assert!(Baggage::from_header(&format!("k={}", "y".repeat(9000))).is_empty());
    }

    #[test]
    fn reading_stops_at_a_bound_and_never_cuts_a_member() {
        // 4 MiB of small members: the first 64 are kept, the rest is not read.
        let mb = 4 << 20;
        let huge = "k=v,".repeat(mb / 4);
        let b = Baggage::from_header(&huge);
        assert_eq!((b.len(), b.get("k")), (1, Some("v")));
        let distinct = (0..mb / 16).fold(String::with_capacity(mb), |mut s, i| {
            std::fmt::Write::write_fmt(&mut s, format_args!("k{i:07}=v,")).unwrap();
            s
        });
        let b = Baggage::from_header(&distinct);
        assert_eq!(b.len(), MAX_BAGGAGE_ENTRIES);
        assert_eq!(b.get("k0000063"), Some("v"));
        // One 4 MiB member, 4 MiB of separators, 4 MiB of spaces: nothing to keep.
        for junk in [
            format!("k={}", "x".repeat(mb)),
            ",".repeat(mb),
            " ".repeat(mb),
        ] {
            assert!(Baggage::from_header(&junk).is_empty());
        }
        // A member crossing the bound is dropped whole, not cut.
        let pad = |n: usize| "p".repeat(MAX_BAGGAGE_READ - n);
        // `a=1` ends 3 bytes before the bound, `b=2` crosses it.
        let b = Baggage::from_header(&format!("{},a=1,b=2", pad(6)));
        assert_eq!((b.get("a"), b.get("b")), (Some("1"), None));
        // `a=12` crosses the bound by 2 bytes.
        let b = Baggage::from_header(&format!("{},a=12", pad(3)));
        assert_eq!(b.get("a"), None);
        // `a=1` ends exactly at the bound (a comma or the end after it).
        for tail in ["", ",z=9"] {
            let b = Baggage::from_header(&format!("{},a=1{tail}", pad(4)));
            assert_eq!((b.get("a"), b.get("z")), (Some("1"), None), "{tail:?}");
        }
        // The bound covers all fields together.
        let half = "h".repeat(MAX_BAGGAGE_READ / 2);
        let b = Baggage::from_fields([half.as_str(), half.as_str(), "late=1"]);
        assert_eq!(b.get("late"), None);
        let b = Baggage::from_fields(["a=1", "b=2"]);
        assert_eq!(b.to_header(), "a=1,b=2");
    }

    #[test]
    fn header_len_tracks_mutations() {
        let mut b = Baggage::new();
        b.insert("a", "1 2").unwrap();
        b.insert("b", "x").unwrap();
        b.insert_with_properties(
            "c",
            "y",
            vec![BaggageProperty::new("p", Some("q r")).unwrap()],
        )
        .unwrap();
        assert_eq!(b.header_len, b.to_header().len());
        b.insert("a", "longer value").unwrap();
        assert_eq!(b.header_len, b.to_header().len());
        assert_eq!(
            b.remove("a").map(|e| e.value().to_owned()).as_deref(),
            Some("longer value")
        );
        assert_eq!(b.header_len, b.to_header().len());
        b.remove("b");
        b.remove("c");
        assert_eq!((b.header_len, b.to_header().as_str()), (0, ""));
        assert!(b.remove("zzz").is_none());
    }
}
