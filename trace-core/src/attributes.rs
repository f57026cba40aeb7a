//! The attribute sink spans are recorded through, and the [`SpanAttributes`] trait.

use std::borrow::Cow;

use crate::limits::SpanLimits;
use crate::value::{KeyValue, ToValue, Value};

pub(crate) type AttrVec = smallvec::SmallVec<[KeyValue; 4]>;

/// Where attributes are written: the attributes of a recording span, with the span limits
/// applied (count, value length) and overflow counted.
///
/// The derive `SpanAttributes` and `#[traced(attrs(..))]` write through it; it is only handed
/// out for spans that are sampled, so nothing is evaluated for the rest.
///
/// # Examples
/// ```
/// use trace_core::{span, Tracer};
/// # let exporter = trace_exporters::InMemoryExporter::new();
/// # let _g = Tracer::builder().simple_exporter(exporter.clone()).install_global();
/// let guard = span("load").start_with(|sink| {
///     sink.set("user.id", &42_u64);
///     sink.nested("db", |db| db.set("table", "users"));
/// });
/// drop(guard);
/// # let s = exporter.find("load").unwrap();
/// # assert_eq!(s.attribute("db.table").and_then(|v| v.as_str()), Some("users"));
/// ```
#[derive(Debug)]
pub struct AttributeSink<'a> {
    attrs: &'a mut AttrVec,
    dropped: &'a mut u32,
    limits: &'a SpanLimits,
    prefix: Option<String>,
}

impl<'a> AttributeSink<'a> {
    pub(crate) fn new(
        attrs: &'a mut AttrVec,
        dropped: &'a mut u32,
        limits: &'a SpanLimits,
    ) -> Self {
        AttributeSink {
            attrs,
            dropped,
            limits,
            prefix: None,
        }
    }

    /// Records `value` under `key` (prefixed when inside [`nested`](Self::nested)); a value
    /// whose [`ToValue::to_optional_value`] is `None` records nothing.
    #[inline]
    pub fn set<V: ToValue + ?Sized>(&mut self, key: impl Into<Cow<'static, str>>, value: &V) {
        if self.prefix.is_none() && self.limits.max_attribute_value_length.is_none() {
            // The common case: the value is made only once its place is known, and written
            // there (see `insert_with`).
            let max = self.limits.max_attributes_per_span;
            insert_with(self.attrs, self.dropped, max, key.into(), || {
                value.to_optional_value()
            });
            return;
        }
        if let Some(v) = value.to_optional_value() {
            self.set_value(key, v);
        }
    }

    /// Records an already converted value under `key`.
    // Measured with callgrind: not inlining this costs ~70 instructions per attribute.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn set_value(&mut self, key: impl Into<Cow<'static, str>>, mut value: Value) {
        if self.prefix.is_none() && self.limits.max_attribute_value_length.is_none() {
            // The common case: a plain key, no truncation.
            let max = self.limits.max_attributes_per_span;
            insert(self.attrs, self.dropped, max, key.into(), value);
            return;
        }
        let key = match &self.prefix {
            None => key.into(),
            Some(p) => {
                let key = key.into();
                Cow::Owned(format!("{p}.{key}"))
            }
        };
        if let Some(max) = self.limits.max_attribute_value_length {
            value.truncate(max);
        }
        insert(
            self.attrs,
            self.dropped,
            self.limits.max_attributes_per_span,
            key,
            value,
        );
    }

    /// Runs `f` with keys prefixed by `prefix.` (nesting composes: `a.b.key`).
    pub fn nested(&mut self, prefix: &str, f: impl FnOnce(&mut AttributeSink<'_>)) {
        let prefix = match &self.prefix {
            None => prefix.to_owned(),
            Some(p) => format!("{p}.{prefix}"),
        };
        let mut inner = AttributeSink {
            attrs: self.attrs,
            dropped: self.dropped,
            limits: self.limits,
            prefix: Some(prefix),
        };
        f(&mut inner);
    }

    /// Records every attribute of `value` (its `SpanAttributes` implementation).
    pub fn set_all<T: SpanAttributes + ?Sized>(&mut self, value: &T) {
        value.record_attributes(self);
    }
}

/// Sets `key`, replacing an existing value; beyond `max` distinct keys, counts a drop.
#[allow(clippy::inline_always)] // see `set_value`
#[inline(always)]
pub(crate) fn insert(
    attrs: &mut impl AttrStore,
    dropped: &mut u32,
    max: u32,
    key: Cow<'static, str>,
    value: Value,
) {
    let k: &str = &key;
    if let Some(existing) = attrs
        .as_mut_slice()
        .iter_mut()
        .find(|kv| same_key(&kv.key, k))
    {
        existing.value = value;
    } else if attrs.len_u32() < max {
        attrs.push_kv(KeyValue { key, value });
    } else {
        *dropped = dropped.saturating_add(1);
    }
}

/// [`insert`] for a value made by `make` (`None`: record nothing) once its place is known,
/// and written straight into it. Made first and then moved in (the `push` may call out to
/// grow), the value was read back across the narrower stores that built it: a
/// store-forwarding stall per attribute (perf, `cargo bench -p benches --bench span -- attrs`).
#[allow(clippy::inline_always)] // see `set_value`
#[inline(always)]
fn insert_with(
    attrs: &mut AttrVec,
    dropped: &mut u32,
    max: u32,
    key: Cow<'static, str>,
    make: impl FnOnce() -> Option<Value>,
) {
    let k: &str = &key;
    let existing = attrs.iter().position(|kv| same_key(&kv.key, k));
    if existing.is_none() && attrs.len_u32() < max {
        // The common case, where `make` is called (and inlined) only here.
        attrs.reserve(1);
        if let Some(value) = make() {
            let len = attrs.len();
            #[allow(unsafe_code)]
            // SAFETY: `reserve(1)` above made room for one more element at `len`; it is
            // written (not read or dropped: it is uninitialized) and then counted.
            unsafe {
                attrs.as_mut_ptr().add(len).write(KeyValue { key, value });
                attrs.set_len(len + 1);
            }
        }
        return;
    }
    replace_or_count(attrs, dropped, existing, make);
}

/// [`insert_with`] for a key already set (replaced) or one past the limit (counted).
#[inline(never)]
fn replace_or_count(
    attrs: &mut AttrVec,
    dropped: &mut u32,
    existing: Option<usize>,
    make: impl FnOnce() -> Option<Value>,
) {
    let Some(value) = make() else {
        return;
    };
    match existing.and_then(|i| attrs.get_mut(i)) {
        Some(kv) => kv.value = value,
        None => *dropped = dropped.saturating_add(1),
    }
}

/// Key equality, cheapest checks first: keys are usually distinct literals, which differ
/// in length or first byte, or the very same literal.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && (std::ptr::eq(a.as_ptr(), b.as_ptr())
            || (a.as_bytes().first() == b.as_bytes().first() && a == b))
}

/// The two attribute containers: span attributes inline, event/link attributes in a `Vec`.
pub(crate) trait AttrStore {
    fn as_mut_slice(&mut self) -> &mut [KeyValue];
    fn len_u32(&self) -> u32;
    fn push_kv(&mut self, kv: KeyValue);
}

impl AttrStore for AttrVec {
    #[inline]
    fn as_mut_slice(&mut self) -> &mut [KeyValue] {
        self
    }
    #[inline]
    fn len_u32(&self) -> u32 {
        u32::try_from(self.len()).unwrap_or(u32::MAX)
    }
    #[inline]
    fn push_kv(&mut self, kv: KeyValue) {
        self.push(kv);
    }
}

impl AttrStore for Vec<KeyValue> {
    #[inline]
    fn as_mut_slice(&mut self) -> &mut [KeyValue] {
        self
    }
    #[inline]
    fn len_u32(&self) -> u32 {
        u32::try_from(self.len()).unwrap_or(u32::MAX)
    }
    #[inline]
    fn push_kv(&mut self, kv: KeyValue) {
        self.push(kv);
    }
}

/// Applies the per-event/per-link limits to a list of attributes; returns how many were
/// dropped.
pub(crate) fn limit_list(
    attrs: Vec<KeyValue>,
    max: u32,
    max_len: Option<usize>,
) -> (Vec<KeyValue>, u32) {
    let mut out = Vec::with_capacity(attrs.len().min(max as usize));
    let mut dropped = 0;
    for mut kv in attrs {
        if let Some(m) = max_len {
            kv.value.truncate(m);
        }
        insert(&mut out, &mut dropped, max, kv.key, kv.value);
    }
    (out, dropped)
}

/// A type whose fields can be recorded as span attributes. Derive it with
/// `#[derive(SpanAttributes)]`; implement it by hand for full control.
///
/// # Examples
/// ```
/// use trace_core::{AttributeSink, SpanAttributes};
/// struct Peer { host: String, port: u16 }
/// impl SpanAttributes for Peer {
///     fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
///         sink.set("server.address", self.host.as_str());
///         sink.set("server.port", &self.port);
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `SpanAttributes`",
    note = "add `#[derive(SpanAttributes)]` to the type, or record single fields with `attrs(key = expr)`"
)]
pub trait SpanAttributes {
    /// Writes this value's attributes into `sink`.
    fn record_attributes(&self, sink: &mut AttributeSink<'_>);
}

impl<T: SpanAttributes + ?Sized> SpanAttributes for &T {
    fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
        (**self).record_attributes(sink);
    }
}

impl<T: SpanAttributes> SpanAttributes for Option<T> {
    fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
        if let Some(v) = self {
            v.record_attributes(sink);
        }
    }
}

impl SpanAttributes for [KeyValue] {
    fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
        for kv in self {
            sink.set_value(kv.key.clone(), kv.value.clone());
        }
    }
}

impl SpanAttributes for Vec<KeyValue> {
    fn record_attributes(&self, sink: &mut AttributeSink<'_>) {
        self.as_slice().record_attributes(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_and_truncate() {
        let limits = SpanLimits {
            max_attributes_per_span: 2,
            max_attribute_value_length: Some(3),
            ..SpanLimits::default()
        };
        let mut attrs = AttrVec::new();
        let mut dropped = 0;
        let mut sink = AttributeSink::new(&mut attrs, &mut dropped, &limits);
        sink.set("a", "abcdef");
        sink.set("b", &1);
        sink.set("c", &2);
        sink.set("a", "xy");
        sink.set("d", &None::<i32>);
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].value.as_str(), Some("xy"));
        assert_eq!(dropped, 1);
    }

    /// The common path (no prefix, no value length limit) writes values in place: a key set
    /// again is replaced, `None` records nothing (and is not counted), keys past the limit
    /// are counted, and the inline storage grows onto the heap beyond four.
    #[test]
    fn the_common_path_replaces_counts_and_grows() {
        let limits = SpanLimits {
            max_attributes_per_span: 6,
            ..SpanLimits::default()
        };
        assert_eq!(limits.max_attribute_value_length, None);
        let mut attrs = AttrVec::new();
        let mut dropped = 0;
        let mut sink = AttributeSink::new(&mut attrs, &mut dropped, &limits);
        for i in 0..8_i64 {
            sink.set(format!("k{i}"), &i);
        }
        sink.set("k1", "one, long enough to be stored on the heap");
        sink.set("k2", &None::<i32>);
        sink.set("k9", &None::<i32>);
        let keys: Vec<_> = attrs.iter().map(|kv| kv.key.as_ref()).collect();
        assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4", "k5"]);
        assert!(attrs.spilled());
        assert_eq!(attrs[0].value, Value::I64(0));
        assert_eq!(
            attrs[1].value.as_str(),
            Some("one, long enough to be stored on the heap")
        );
        assert_eq!(attrs[2].value, Value::I64(2));
        assert_eq!(attrs[5].value, Value::I64(5));
        assert_eq!(dropped, 2);
    }

    #[test]
    fn nested_prefixes() {
        let limits = SpanLimits::default();
        let mut attrs = AttrVec::new();
        let mut dropped = 0;
        let mut sink = AttributeSink::new(&mut attrs, &mut dropped, &limits);
        sink.nested("http", |s| {
            s.set("method", "GET");
            s.nested("request", |r| r.set("size", &10));
        });
        let keys: Vec<_> = attrs.iter().map(|kv| kv.key.as_ref()).collect();
        assert_eq!(keys, ["http.method", "http.request.size"]);
    }
}
