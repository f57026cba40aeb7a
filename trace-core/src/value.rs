//! Attribute values: the OpenTelemetry value model and the [`ToValue`] conversion.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

const INLINE: usize = 22;

/// A string attribute value.
///
/// Short strings (up to 22 bytes) are stored inline and `&'static str` is borrowed, so
/// recording a typical value does not allocate.
///
/// # Examples
/// ```
/// use trace_core::StringValue;
/// let v = StringValue::from("GET");
/// assert_eq!(v.as_str(), "GET");
/// let s = StringValue::from_static("a static string that is long enough to spill");
/// assert_eq!(s.len(), 44);
/// ```
#[derive(Clone)]
pub struct StringValue(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Inline { len: u8, buf: [u8; INLINE] },
    Shared(Arc<str>),
}

impl StringValue {
    /// Borrows a `'static` string without copying it.
    pub const fn from_static(s: &'static str) -> Self {
        StringValue(Repr::Static(s))
    }

    /// Copies `s`: inline when short, else into one shared allocation.
    #[allow(clippy::inline_always)] // measured: see `inline_bytes`
    #[inline(always)]
    pub fn copy_from(s: &str) -> Self {
        if s.len() <= INLINE {
            StringValue(Repr::Inline {
                #[allow(clippy::cast_possible_truncation)]
                len: s.len() as u8,
                buf: inline_bytes(s.as_bytes()),
            })
        } else {
            StringValue::shared(s)
        }
    }

    /// A long string, in its own allocation. Out of line for the reason `wide_int_value`
    /// is: the short case then writes its bytes straight where the value goes.
    #[cold]
    #[inline(never)]
    fn shared(s: &str) -> Self {
        StringValue(Repr::Shared(Arc::from(s)))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            // The inline bytes were copied from a `str` at a char boundary (see `truncate`).
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Shared(s) => s,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// `true` for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cuts the string to at most `max` bytes, at a char boundary.
    pub(crate) fn truncate(&mut self, max: usize) {
        let s = self.as_str();
        if s.len() <= max {
            return;
        }
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        *self = match &self.0 {
            Repr::Static(s) => StringValue(Repr::Static(&s[..end])),
            _ => StringValue::copy_from(&s[..end]),
        };
    }
}

impl From<&str> for StringValue {
    fn from(s: &str) -> Self {
        StringValue::copy_from(s)
    }
}

impl From<String> for StringValue {
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            StringValue::copy_from(&s)
        } else {
            StringValue(Repr::Shared(Arc::from(s)))
        }
    }
}

impl From<Cow<'static, str>> for StringValue {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(b) => StringValue::from_static(b),
            Cow::Owned(o) => StringValue::from(o),
        }
    }
}

impl PartialEq for StringValue {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for StringValue {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for StringValue {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for StringValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StringValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// `b` (at most `INLINE` bytes) in a zero-padded inline buffer. The bytes are gathered into
/// three words in registers (overlapping loads from `b`, shifts) and stored at fixed offsets:
/// building the buffer with stores at offsets that depend on the length kept it in memory,
/// and every later move of the value read it back across those stores, a store-forwarding
/// stall per string attribute (measured: `cargo bench -p benches --bench span -- attrs`).
/// Always inlined, with the functions above it: out of line, the value came back through
/// memory again.
#[allow(clippy::inline_always)]
#[inline(always)]
fn inline_bytes(b: &[u8]) -> [u8; INLINE] {
    const { assert!(INLINE > 16 && INLINE <= 24) };
    let n = b.len().min(INLINE);
    let word = |at: usize| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let (w0, w1, w2) = if n > 16 {
        // Bytes 16..n are the top of the last eight.
        (word(0), word(8), word(n - 8) >> (8 * (24 - n)))
    } else if n > 8 {
        (word(0), word(n - 8) >> (8 * (16 - n)), 0)
    } else if n >= 4 {
        let half = |at: usize| -> u64 {
            let mut w = [0u8; 4];
            w.copy_from_slice(&b[at..at + 4]);
            u64::from(u32::from_le_bytes(w))
        };
        // Two overlapping halves: the bytes they share are equal, so `|` joins them.
        (half(0) | (half(n - 4) << (8 * (n - 4))), 0, 0)
    } else {
        let w = b
            .iter()
            .take(n)
            .enumerate()
            .fold(0_u64, |w, (i, &c)| w | (u64::from(c) << (8 * i)));
        (w, 0, 0)
    };
    let mut buf = [0u8; INLINE];
    buf[..8].copy_from_slice(&w0.to_le_bytes());
    buf[8..16].copy_from_slice(&w1.to_le_bytes());
    buf[16..].copy_from_slice(&w2.to_le_bytes()[..INLINE - 16]);
    buf
}

/// An attribute value, as in the OpenTelemetry data model.
///
/// # Examples
/// ```
/// use trace_core::Value;
/// assert_eq!(Value::from(3_u16), Value::I64(3));
/// assert_eq!(Value::from("x").to_string(), "x");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer (unsigned values above `i64::MAX` are recorded as strings).
    I64(i64),
    /// A double.
    F64(f64),
    /// A string.
    Str(StringValue),
    /// A homogeneous array.
    Array(Array),
}

/// A homogeneous array value.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// Booleans.
    Bool(Vec<bool>),
    /// Integers.
    I64(Vec<i64>),
    /// Doubles.
    F64(Vec<f64>),
    /// Strings.
    Str(Vec<StringValue>),
}

impl Value {
    /// The string, when this is a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The integer, when this is an integer value.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::I64(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, when this is a boolean value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The double, when this is a double value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(f) => Some(*f),
            _ => None,
        }
    }

    pub(crate) fn truncate(&mut self, max: usize) {
        match self {
            Value::Str(s) => s.truncate(max),
            Value::Array(Array::Str(v)) => v.iter_mut().for_each(|s| s.truncate(max)),
            _ => {}
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, v: &[T]) -> fmt::Result {
            f.write_str("[")?;
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{x}")?;
            }
            f.write_str("]")
        }
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::I64(i) => write!(f, "{i}"),
            Value::F64(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s.as_str()),
            Value::Array(Array::Bool(v)) => list(f, v),
            Value::Array(Array::I64(v)) => list(f, v),
            Value::Array(Array::F64(v)) => list(f, v),
            Value::Array(Array::Str(v)) => list(f, v),
        }
    }
}

/// A key and its value.
///
/// # Examples
/// ```
/// use trace_core::{KeyValue, Value};
/// let kv = KeyValue::new("http.response.status_code", 200);
/// assert_eq!(kv.value, Value::I64(200));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The attribute key, e.g. `http.request.method`.
    pub key: Cow<'static, str>,
    /// The value.
    pub value: Value,
}

impl KeyValue {
    /// Pairs a key with anything that converts into a [`Value`].
    pub fn new(key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Converts a captured value into an attribute [`Value`].
///
/// Implemented for integers, floats, `bool`, strings, `Option<T>` (where `None` records
/// nothing), references, and slices, arrays and `Vec`s of those. Other types can be recorded
/// with `%value` (Display) or `?value` (Debug) in `#[traced(attrs(..))]`, or derive
/// `SpanAttributes`.
///
/// # Examples
/// ```
/// use trace_core::{ToValue, Value};
/// assert_eq!(42_u8.to_value(), Value::I64(42));
/// assert_eq!(None::<u8>.to_optional_value(), None);
/// assert_eq!(vec!["a", "b"].to_value().to_string(), "[a, b]");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded as a span attribute",
    label = "this value is not a `ToValue`",
    note = "record it with `%value` (Display) or `?value` (Debug), or `#[derive(SpanAttributes)]` on the type"
)]
pub trait ToValue {
    /// The value to record.
    fn to_value(&self) -> Value;

    /// The value to record, or `None` to record nothing (what `Option::None` does).
    #[allow(clippy::inline_always)] // one line: its result is written in place by the caller
    #[inline(always)]
    fn to_optional_value(&self) -> Option<Value> {
        Some(self.to_value())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    #[inline]
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
    #[inline]
    fn to_optional_value(&self) -> Option<Value> {
        (**self).to_optional_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for &mut T {
    #[inline]
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
    #[inline]
    fn to_optional_value(&self) -> Option<Value> {
        (**self).to_optional_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for Box<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
    fn to_optional_value(&self) -> Option<Value> {
        (**self).to_optional_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for Arc<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
    fn to_optional_value(&self) -> Option<Value> {
        (**self).to_optional_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    /// `None` has no attribute value; this returns an empty string. Sinks call
    /// [`to_optional_value`](ToValue::to_optional_value), which records nothing for `None`.
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Str(StringValue::from_static("")),
        }
    }
    fn to_optional_value(&self) -> Option<Value> {
        self.as_ref().and_then(ToValue::to_optional_value)
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            #[inline]
            fn to_value(&self) -> Value { Value::I64(i64::from(*self)) }
        }
        impl From<$t> for Value {
            #[inline]
            fn from(v: $t) -> Value { Value::I64(i64::from(v)) }
        }
    )*};
}
int_to_value!(i8, i16, i32, i64, u8, u16, u32);

/// An integer beyond `i64`, recorded as its decimal string. Out of line: inlined, its
/// `String` shared the value's stack slot with the integer case, and the common integer was
/// then copied out of memory instead of being written where it goes.
#[cold]
#[inline(never)]
fn wide_int_value(v: &dyn fmt::Display) -> Value {
    Value::Str(StringValue::from(v.to_string()))
}

macro_rules! wide_int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            #[inline]
            fn to_value(&self) -> Value {
                match i64::try_from(*self) {
                    Ok(v) => Value::I64(v),
                    Err(_) => wide_int_value(self),
                }
            }
        }
        impl From<$t> for Value {
            #[inline]
            fn from(v: $t) -> Value { v.to_value() }
        }
    )*};
}
wide_int_to_value!(u64, usize, isize, i128, u128);

impl ToValue for f64 {
    #[inline]
    fn to_value(&self) -> Value {
        Value::F64(*self)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::F64(v)
    }
}
impl ToValue for f32 {
    #[inline]
    fn to_value(&self) -> Value {
        Value::F64(f64::from(*self))
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::F64(f64::from(v))
    }
}
impl ToValue for bool {
    #[inline]
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl ToValue for str {
    #[allow(clippy::inline_always)] // measured: see `inline_bytes`
    #[inline(always)]
    fn to_value(&self) -> Value {
        Value::Str(StringValue::copy_from(self))
    }
}
impl ToValue for String {
    #[inline]
    fn to_value(&self) -> Value {
        Value::Str(StringValue::copy_from(self))
    }
}
impl ToValue for Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::Str(StringValue::copy_from(self))
    }
}
impl ToValue for StringValue {
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for char {
    fn to_value(&self) -> Value {
        let mut b = [0u8; 4];
        Value::Str(StringValue::copy_from(self.encode_utf8(&mut b)))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(StringValue::copy_from(v))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(StringValue::from(v))
    }
}
impl From<Cow<'static, str>> for Value {
    fn from(v: Cow<'static, str>) -> Value {
        Value::Str(StringValue::from(v))
    }
}
impl From<StringValue> for Value {
    fn from(v: StringValue) -> Value {
        Value::Str(v)
    }
}
impl From<Array> for Value {
    fn from(v: Array) -> Value {
        Value::Array(v)
    }
}

impl<T: ToValue> ToValue for [T] {
    fn to_value(&self) -> Value {
        let values: Vec<Value> = self.iter().filter_map(ToValue::to_optional_value).collect();
        array_from(values)
    }
}
impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}
impl<T: ToValue, const N: usize> ToValue for [T; N] {
    fn to_value(&self) -> Value {
        self.as_slice().to_value()
    }
}

/// Values recorded as their `Display` text: addresses.
macro_rules! display_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Str(StringValue::from(self.to_string()))
            }
        }
    )*};
}

display_to_value!(
    std::net::IpAddr,
    std::net::Ipv4Addr,
    std::net::Ipv6Addr,
    std::net::SocketAddr
);

/// A duration in seconds, as a double: the unit the semantic conventions measure in.
impl ToValue for std::time::Duration {
    fn to_value(&self) -> Value {
        Value::F64(self.as_secs_f64())
    }
}

/// A path as text (lossy for paths that are not UTF-8).
impl ToValue for std::path::Path {
    fn to_value(&self) -> Value {
        Value::Str(StringValue::from(self.to_string_lossy().into_owned()))
    }
}

impl ToValue for std::path::PathBuf {
    fn to_value(&self) -> Value {
        self.as_path().to_value()
    }
}

/// The method's name, as `http.request.method` records it.
#[cfg(feature = "http")]
impl ToValue for http::Method {
    fn to_value(&self) -> Value {
        Value::Str(StringValue::from(self.as_str()))
    }
}

/// The status code as an integer, as `http.response.status_code` records it.
#[cfg(feature = "http")]
impl ToValue for http::StatusCode {
    fn to_value(&self) -> Value {
        Value::I64(i64::from(self.as_u16()))
    }
}

#[cfg(feature = "http")]
impl ToValue for http::Uri {
    fn to_value(&self) -> Value {
        Value::Str(StringValue::from(self.to_string()))
    }
}

/// The hyphenated lowercase form.
#[cfg(feature = "uuid")]
impl ToValue for uuid::Uuid {
    fn to_value(&self) -> Value {
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        Value::Str(StringValue::copy_from(
            self.hyphenated().encode_lower(&mut buf),
        ))
    }
}

#[cfg(feature = "url")]
impl ToValue for url::Url {
    fn to_value(&self) -> Value {
        Value::Str(StringValue::from(self.as_str()))
    }
}

/// Builds a homogeneous array; a mixed array is recorded as strings.
fn array_from(values: Vec<Value>) -> Value {
    let first = values.first().map(std::mem::discriminant);
    let same = values
        .iter()
        .all(|v| Some(std::mem::discriminant(v)) == first);
    if same {
        match values.first() {
            Some(Value::Bool(_)) => {
                return Value::Array(Array::Bool(
                    values.iter().filter_map(Value::as_bool).collect(),
                ))
            }
            Some(Value::I64(_)) => {
                return Value::Array(Array::I64(
                    values.iter().filter_map(Value::as_i64).collect(),
                ))
            }
            Some(Value::F64(_)) => {
                return Value::Array(Array::F64(
                    values.iter().filter_map(Value::as_f64).collect(),
                ))
            }
            None => return Value::Array(Array::Str(Vec::new())),
            _ => {}
        }
    }
    Value::Array(Array::Str(
        values
            .into_iter()
            .map(|v| match v {
                Value::Str(s) => s,
                other => StringValue::from(other.to_string()),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_values_keep_every_length_exactly() {
        let text = "0123456789abcdefghijklmnopqrstuvwxyz-ünï";
        for n in 0..=text.len() {
            if !text.is_char_boundary(n) {
                continue;
            }
            let v = StringValue::copy_from(&text[..n]);
            assert_eq!(v.as_str(), &text[..n], "length {n}");
            assert_eq!(v.len(), n);
            if let Repr::Inline { buf, .. } = &v.0 {
                // Nothing of the source past `n` is picked up: the rest is zero.
                assert!(buf[n..].iter().all(|&b| b == 0), "padding at length {n}");
            }
        }
    }

    #[test]
    fn integers_stay_integers() {
        assert_eq!(7_u32.to_value(), Value::I64(7));
        assert_eq!((-7_i8).to_value(), Value::I64(-7));
        assert_eq!(u64::MAX.to_value(), Value::Str(u64::MAX.to_string().into()));
        assert_eq!(5_usize.to_value(), Value::I64(5));
    }

    #[test]
    fn strings_inline_and_shared() {
        let short = StringValue::copy_from("hello");
        assert!(matches!(short.0, Repr::Inline { .. }));
        let long = StringValue::copy_from(&"x".repeat(100));
        assert!(matches!(long.0, Repr::Shared(_)));
        assert_eq!(long.len(), 100);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        let mut v = Value::from("héllo wörld");
        v.truncate(2);
        assert_eq!(v.as_str(), Some("h"));
        let mut v = Value::from("abc");
        v.truncate(10);
        assert_eq!(v.as_str(), Some("abc"));
    }

    #[test]
    fn option_none_records_nothing() {
        assert_eq!(None::<i32>.to_optional_value(), None);
        assert_eq!(Some(3).to_optional_value(), Some(Value::I64(3)));
        assert_eq!(Some(None::<i32>).to_optional_value(), None);
    }

    #[test]
    fn std_values_people_capture() {
        use std::net::{IpAddr, Ipv4Addr, SocketAddr};
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_eq!(ip.to_value(), Value::from("127.0.0.1"));
        assert_eq!(
            SocketAddr::new(ip, 80).to_value(),
            Value::from("127.0.0.1:80")
        );
        assert_eq!(
            std::time::Duration::from_millis(1500).to_value(),
            Value::F64(1.5)
        );
        assert_eq!(
            std::path::Path::new("/tmp/x").to_value(),
            Value::from("/tmp/x")
        );
        assert_eq!(
            std::path::PathBuf::from("a/b").to_value(),
            Value::from("a/b")
        );
    }

    #[test]
    fn arrays() {
        assert_eq!([1, 2].to_value(), Value::Array(Array::I64(vec![1, 2])));
        assert_eq!(vec![true].to_value(), Value::Array(Array::Bool(vec![true])));
        assert_eq!(
            vec![Some(1), None].to_value(),
            Value::Array(Array::I64(vec![1]))
        );
    }
}
