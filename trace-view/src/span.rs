//! The span as the viewer keeps it: what both OTLP encodings decode into, what the store
//! writes as one JSON document per span, and what `GET /api/traces/{trace_id}` returns.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;

/// A typed attribute value (OTLP `AnyValue`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnyValue {
    Str(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<AnyValue>),
    KvList(Vec<Attribute>),
    /// A value with none of the fields set.
    Empty,
}

/// A key and its typed value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attribute {
    pub(crate) key: String,
    pub(crate) value: AnyValue,
}

/// What produced a span: the instrumentation scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Scope {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) attributes: Vec<Attribute>,
}

/// The resource a span came from, shared by the spans of one `ResourceSpans`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Resource {
    /// `service.name`, or `unknown_service` as the specification says when it is missing.
    pub(crate) service: String,
    /// `{"attributes":[..]}`: the span document's `resource` member, stored once.
    pub(crate) json: String,
    /// A hash of `json`, the key it is stored under.
    pub(crate) key: i64,
}

impl Resource {
    pub(crate) fn new(attributes: &[Attribute]) -> Self {
        let service = attributes
            .iter()
            .find(|a| a.key == "service.name")
            .and_then(|a| match &a.value {
                AnyValue::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "unknown_service".to_owned());
        let mut json = b"{\"attributes\":".to_vec();
        attributes_json(&mut json, attributes);
        json.push(b'}');
        let json = String::from_utf8(json).unwrap_or_default();
        // FNV-1a, 64 bits: the same resource gets the same key in every process.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in json.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self {
            service,
            json,
            key: i64::from_ne_bytes(h.to_ne_bytes()),
        }
    }
}

/// A span event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) time_unix_nano: u64,
    pub(crate) attributes: Vec<Attribute>,
}

/// A link to another span (maybe of another trace).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) trace_state: String,
    pub(crate) attributes: Vec<Attribute>,
}

/// A span status code, as OTLP numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    pub(crate) fn from_i32(code: i32) -> Self {
        match code {
            1 => Self::Ok,
            2 => Self::Error,
            _ => Self::Unset,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// One received span.
#[allow(clippy::struct_field_names)] // the specification's names
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) parent_span_id: Option<[u8; 8]>,
    pub(crate) trace_state: String,
    /// OTLP span flags: bit 8 says whether bit 9 (the parent is remote) is known.
    pub(crate) flags: u32,
    pub(crate) name: String,
    pub(crate) kind: i32,
    pub(crate) start_unix_nano: u64,
    pub(crate) end_unix_nano: u64,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) dropped_attributes_count: u32,
    pub(crate) events: Vec<Event>,
    pub(crate) dropped_events_count: u32,
    pub(crate) links: Vec<Link>,
    pub(crate) dropped_links_count: u32,
    pub(crate) status_code: StatusCode,
    pub(crate) status_message: String,
    pub(crate) resource: Arc<Resource>,
    pub(crate) scope: Arc<Scope>,
}

const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

fn kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Parses exactly `N` bytes of hex (either case).
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.as_bytes();
    if s.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        // Two hex digits make a byte.
        #[allow(clippy::cast_possible_truncation)]
        {
            out[i] = (hi * 16 + lo) as u8;
        }
    }
    Some(out)
}

/// Appends `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    // Serializing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn number(out: &mut Vec<u8>, n: impl fmt::Display) {
    let _ = write!(out, "{n}");
}

fn value_json(out: &mut Vec<u8>, value: &AnyValue) {
    let kind = match value {
        AnyValue::Str(_) => "string",
        AnyValue::Bool(_) => "bool",
        AnyValue::Int(_) => "int",
        AnyValue::Double(_) => "double",
        AnyValue::Bytes(_) => "bytes",
        AnyValue::Array(_) => "array",
        AnyValue::KvList(_) => "kvlist",
        AnyValue::Empty => "empty",
    };
    out.extend_from_slice(b"\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"value\":");
    match value {
        AnyValue::Str(s) => string(out, s),
        AnyValue::Bool(b) => number(out, b),
        AnyValue::Int(i) => number(out, i),
        AnyValue::Double(f) if f.is_finite() => {
            let _ = serde_json::to_writer(&mut *out, f);
        }
        AnyValue::Double(f) => string(out, &f.to_string()),
        AnyValue::Bytes(b) => string(out, &hex(b)),
        AnyValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'{');
                value_json(out, item);
                out.push(b'}');
            }
            out.push(b']');
        }
        AnyValue::KvList(kvs) => attributes_json(out, kvs),
        AnyValue::Empty => out.extend_from_slice(b"null"),
    }
}

/// `[{"key":..,"type":..,"value":..},..]`
fn attributes_json(out: &mut Vec<u8>, attributes: &[Attribute]) {
    out.push(b'[');
    for (i, a) in attributes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"key\":");
        string(out, &a.key);
        out.push(b',');
        value_json(out, &a.value);
        out.push(b'}');
    }
    out.push(b']');
}

/// A span's JSON document is made of `"name":value` members.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    fn num(&mut self, key: &str, value: impl fmt::Display) {
        number(self.key(key), value);
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

impl Span {
    pub(crate) fn service(&self) -> &str {
        &self.resource.service
    }

    pub(crate) fn duration_ns(&self) -> u64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano)
    }

    /// Whether the parent is in another process: `None` when the sender did not say.
    fn parent_is_remote(&self) -> Option<bool> {
        (self.flags & HAS_IS_REMOTE != 0).then_some(self.flags & IS_REMOTE != 0)
    }

    /// The span's JSON document as the API returns it, without `resource` (stored once per
    /// resource: [`Resource::json`]).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        let mut m = Members::open(out);
        m.str("trace_id", &hex(&self.trace_id));
        m.str("span_id", &hex(&self.span_id));
        match self.parent_span_id {
            Some(p) => m.str("parent_span_id", &hex(&p)),
            None => m.key("parent_span_id").extend_from_slice(b"null"),
        }
        match self.parent_is_remote() {
            Some(r) => m.num("parent_is_remote", r),
            None => m.key("parent_is_remote").extend_from_slice(b"null"),
        }
        m.str("name", &self.name);
        m.str("kind", kind_name(self.kind));
        m.str("service", self.service());
        m.num("start_unix_nano", self.start_unix_nano);
        m.num("end_unix_nano", self.end_unix_nano);
        m.num("duration_ns", self.duration_ns());
        let status = m.key("status");
        status.extend_from_slice(b"{\"code\":\"");
        status.extend_from_slice(self.status_code.as_str().as_bytes());
        status.extend_from_slice(b"\",\"message\":");
        string(status, &self.status_message);
        status.push(b'}');
        m.str("trace_state", &self.trace_state);
        attributes_json(m.key("attributes"), &self.attributes);
        m.num("dropped_attributes_count", self.dropped_attributes_count);
        let events = m.key("events");
        events.push(b'[');
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                events.push(b',');
            }
            let mut em = Members::open(events);
            em.str("name", &e.name);
            em.num("time_unix_nano", e.time_unix_nano);
            attributes_json(em.key("attributes"), &e.attributes);
            em.close();
        }
        events.push(b']');
        m.num("dropped_events_count", self.dropped_events_count);
        let links = m.key("links");
        links.push(b'[');
        for (i, l) in self.links.iter().enumerate() {
            if i > 0 {
                links.push(b',');
            }
            let mut lm = Members::open(links);
            lm.str("trace_id", &hex(&l.trace_id));
            lm.str("span_id", &hex(&l.span_id));
            lm.str("trace_state", &l.trace_state);
            attributes_json(lm.key("attributes"), &l.attributes);
            lm.close();
        }
        links.push(b']');
        m.num("dropped_links_count", self.dropped_links_count);
        let scope = m.key("scope");
        let mut sm = Members::open(scope);
        sm.str("name", &self.scope.name);
        sm.str("version", &self.scope.version);
        attributes_json(sm.key("attributes"), &self.scope.attributes);
        sm.close();
        m.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let id = [0xab, 0x01, 0, 0xff, 1, 2, 3, 4];
        assert_eq!(hex(&id), "ab0100ff01020304");
        assert_eq!(parse_hex::<8>("ab0100ff01020304"), Some(id));
        assert_eq!(parse_hex::<8>("AB0100FF01020304"), Some(id));
        assert_eq!(parse_hex::<8>("ab0100ff0102030"), None);
        assert_eq!(parse_hex::<8>("zz0100ff01020304"), None);
        assert_eq!(parse_hex::<2>("é1"), None);
    }

    #[test]
    fn resource_without_service_name_is_unknown_service() {
        assert_eq!(Resource::new(&[]).service, "unknown_service");
    }
}
