//! The span as the viewer keeps it: what both OTLP encodings decode into, what the store
//! writes as one JSON document per span, and what `GET /api/traces/{trace_id}` returns.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

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
    pub(crate) attributes: Vec<Attribute>,
    /// `service.name`, or `unknown_service` as the specification says when it is missing.
    pub(crate) service: String,
}

impl Resource {
    pub(crate) fn new(attributes: Vec<Attribute>) -> Self {
        let service = attributes
            .iter()
            .find(|a| a.key == "service.name")
            .and_then(|a| match &a.value {
                AnyValue::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "unknown_service".to_owned());
        Self {
            attributes,
            service,
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
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
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

fn value_json(value: &AnyValue) -> Json {
    let (kind, v) = match value {
        AnyValue::Str(s) => ("string", Json::from(s.as_str())),
        AnyValue::Bool(b) => ("bool", Json::from(*b)),
        AnyValue::Int(i) => ("int", Json::from(*i)),
        AnyValue::Double(f) => (
            "double",
            serde_json::Number::from_f64(*f)
                .map_or_else(|| Json::from(f.to_string()), Json::Number),
        ),
        AnyValue::Bytes(b) => ("bytes", Json::from(hex(b))),
        AnyValue::Array(items) => ("array", Json::Array(items.iter().map(value_json).collect())),
        AnyValue::KvList(kvs) => ("kvlist", attributes_json(kvs)),
        AnyValue::Empty => ("empty", Json::Null),
    };
    json!({ "type": kind, "value": v })
}

fn attributes_json(attributes: &[Attribute]) -> Json {
    Json::Array(
        attributes
            .iter()
            .map(|a| {
                let mut v = value_json(&a.value);
                if let Json::Object(map) = &mut v {
                    map.insert("key".to_owned(), Json::from(a.key.as_str()));
                }
                v
            })
            .collect(),
    )
}

/// `key=value` of a plain value, as the attribute filter matches it.
pub(crate) fn filter_text(value: &AnyValue) -> Option<String> {
    Some(match value {
        AnyValue::Str(s) => s.clone(),
        AnyValue::Bool(b) => b.to_string(),
        AnyValue::Int(i) => i.to_string(),
        AnyValue::Double(f) => f.to_string(),
        _ => return None,
    })
}

impl Span {
    pub(crate) fn service(&self) -> &str {
        &self.resource.service
    }

    pub(crate) fn is_error(&self) -> bool {
        self.status_code == StatusCode::Error
    }

    pub(crate) fn duration_ns(&self) -> u64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano)
    }

    /// Whether the parent is in another process: `None` when the sender did not say.
    fn parent_is_remote(&self) -> Option<bool> {
        (self.flags & HAS_IS_REMOTE != 0).then_some(self.flags & IS_REMOTE != 0)
    }

    /// The span as the API returns it (and the store keeps it).
    pub(crate) fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("trace_id".into(), hex(&self.trace_id).into());
        m.insert("span_id".into(), hex(&self.span_id).into());
        m.insert(
            "parent_span_id".into(),
            self.parent_span_id.map(|p| hex(&p)).into(),
        );
        m.insert("parent_is_remote".into(), self.parent_is_remote().into());
        m.insert("name".into(), self.name.as_str().into());
        m.insert("kind".into(), kind_name(self.kind).into());
        m.insert("service".into(), self.service().into());
        m.insert("start_unix_nano".into(), self.start_unix_nano.into());
        m.insert("end_unix_nano".into(), self.end_unix_nano.into());
        m.insert("duration_ns".into(), self.duration_ns().into());
        m.insert(
            "status".into(),
            json!({ "code": self.status_code.as_str(), "message": self.status_message }),
        );
        m.insert("trace_state".into(), self.trace_state.as_str().into());
        m.insert("attributes".into(), attributes_json(&self.attributes));
        m.insert(
            "dropped_attributes_count".into(),
            self.dropped_attributes_count.into(),
        );
        m.insert(
            "events".into(),
            Json::Array(
                self.events
                    .iter()
                    .map(|e| {
                        json!({
                            "name": e.name,
                            "time_unix_nano": e.time_unix_nano,
                            "attributes": attributes_json(&e.attributes),
                        })
                    })
                    .collect(),
            ),
        );
        m.insert(
            "dropped_events_count".into(),
            self.dropped_events_count.into(),
        );
        m.insert(
            "links".into(),
            Json::Array(
                self.links
                    .iter()
                    .map(|l| {
                        json!({
                            "trace_id": hex(&l.trace_id),
                            "span_id": hex(&l.span_id),
                            "trace_state": l.trace_state,
                            "attributes": attributes_json(&l.attributes),
                        })
                    })
                    .collect(),
            ),
        );
        m.insert(
            "dropped_links_count".into(),
            self.dropped_links_count.into(),
        );
        m.insert(
            "resource".into(),
            json!({ "attributes": attributes_json(&self.resource.attributes) }),
        );
        m.insert(
            "scope".into(),
            json!({
                "name": self.scope.name,
                "version": self.scope.version,
                "attributes": attributes_json(&self.scope.attributes),
            }),
        );
        Json::Object(m)
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
        assert_eq!(Resource::new(Vec::new()).service, "unknown_service");
    }
}
