//! OTLP/JSON into the protobuf messages: the Protocol Buffers JSON mapping with OTLP's
//! exceptions. Ids are hex strings (not base64); 64-bit integers are decimal strings or
//! numbers; enums are integers (their names are accepted too); keys are lowerCamelCase (the
//! original `snake_case` names are accepted, as the JSON mapping asks of parsers); unknown
//! fields are ignored. A known field of the wrong type does not decode.

use serde_json::{Map, Value};

use super::proto;
use super::Malformed;

type Object = Map<String, Value>;

pub(super) fn decode(body: &[u8]) -> Result<proto::ExportTraceServiceRequest, Malformed> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("invalid JSON: {e}")))?;
    let top = object(&value, "request")?;
    Ok(proto::ExportTraceServiceRequest {
        resource_spans: list(top, "resourceSpans", "resource_spans", resource_spans)?,
    })
}

fn bad(what: &str, expected: &str) -> Malformed {
    Malformed(format!("{what}: expected {expected}"))
}

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Object, Malformed> {
    value.as_object().ok_or_else(|| bad(what, "an object"))
}

/// The field `camel` (or `snake`), `None` when absent or null.
fn field<'a>(obj: &'a Object, camel: &str, snake: &str) -> Option<&'a Value> {
    obj.get(camel)
        .or_else(|| obj.get(snake))
        .filter(|v| !v.is_null())
}

fn list<T>(
    obj: &Object,
    camel: &str,
    snake: &str,
    item: impl Fn(&Object) -> Result<T, Malformed>,
) -> Result<Vec<T>, Malformed> {
    match field(obj, camel, snake) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|v| item(object(v, camel)?)).collect(),
        Some(_) => Err(bad(camel, "an array")),
    }
}

fn message<T: Default>(
    obj: &Object,
    camel: &str,
    snake: &str,
    read: impl Fn(&Object) -> Result<T, Malformed>,
) -> Result<Option<T>, Malformed> {
    field(obj, camel, snake)
        .map(|v| read(object(v, camel)?))
        .transpose()
}

fn string(obj: &Object, camel: &str, snake: &str) -> Result<String, Malformed> {
    match field(obj, camel, snake) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(camel, "a string")),
    }
}

/// An unsigned integer: a JSON number or a decimal string.
fn unsigned(obj: &Object, camel: &str, snake: &str) -> Result<u64, Malformed> {
    match field(obj, camel, snake) {
        None => Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| bad(camel, "an unsigned integer")),
        Some(Value::String(s)) => s.parse().map_err(|_| bad(camel, "an unsigned integer")),
        Some(_) => Err(bad(camel, "an unsigned integer")),
    }
}

fn unsigned32(obj: &Object, camel: &str, snake: &str) -> Result<u32, Malformed> {
    u32::try_from(unsigned(obj, camel, snake)?).map_err(|_| bad(camel, "a 32-bit integer"))
}

fn signed(value: &Value, what: &str) -> Result<i64, Malformed> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| bad(what, "an integer")),
        Value::String(s) => s.parse().map_err(|_| bad(what, "an integer")),
        _ => Err(bad(what, "an integer")),
    }
}

/// An enum: its number, or its name from `names` (index = number).
fn enumeration(obj: &Object, camel: &str, names: &[&str]) -> Result<i32, Malformed> {
    match field(obj, camel, camel) {
        None => Ok(0),
        Some(Value::String(s)) if !s.bytes().all(|b| b.is_ascii_digit() || b == b'-') => names
            .iter()
            .position(|n| n == s)
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| bad(camel, "a known enum value")),
        Some(v) => i32::try_from(signed(v, camel)?).map_err(|_| bad(camel, "a 32-bit integer")),
    }
}

/// Hex id bytes (length checked by the caller).
fn id(obj: &Object, camel: &str, snake: &str) -> Result<Vec<u8>, Malformed> {
    let s = string(obj, camel, snake)?;
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return Err(bad(camel, "hex digits"));
    }
    b.chunks_exact(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16);
            let lo = char::from(pair[1]).to_digit(16);
            match (hi, lo) {
                // Two hex digits make a byte.
                #[allow(clippy::cast_possible_truncation)]
                (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
                _ => Err(bad(camel, "hex digits")),
            }
        })
        .collect()
}

fn resource_spans(obj: &Object) -> Result<proto::ResourceSpans, Malformed> {
    Ok(proto::ResourceSpans {
        resource: message(obj, "resource", "resource", |r| {
            Ok(proto::Resource {
                attributes: list(r, "attributes", "attributes", key_value)?,
            })
        })?,
        scope_spans: list(obj, "scopeSpans", "scope_spans", scope_spans)?,
    })
}

fn scope_spans(obj: &Object) -> Result<proto::ScopeSpans, Malformed> {
    Ok(proto::ScopeSpans {
        scope: message(obj, "scope", "scope", |s| {
            Ok(proto::InstrumentationScope {
                name: string(s, "name", "name")?,
                version: string(s, "version", "version")?,
                attributes: list(s, "attributes", "attributes", key_value)?,
            })
        })?,
        spans: list(obj, "spans", "spans", span)?,
    })
}

const KINDS: &[&str] = &[
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS_CODES: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

fn span(obj: &Object) -> Result<proto::Span, Malformed> {
    Ok(proto::Span {
        trace_id: id(obj, "traceId", "trace_id")?,
        span_id: id(obj, "spanId", "span_id")?,
        trace_state: string(obj, "traceState", "trace_state")?,
        parent_span_id: id(obj, "parentSpanId", "parent_span_id")?,
        flags: unsigned32(obj, "flags", "flags")?,
        name: string(obj, "name", "name")?,
        kind: enumeration(obj, "kind", KINDS)?,
        start_time_unix_nano: unsigned(obj, "startTimeUnixNano", "start_time_unix_nano")?,
        end_time_unix_nano: unsigned(obj, "endTimeUnixNano", "end_time_unix_nano")?,
        attributes: list(obj, "attributes", "attributes", key_value)?,
        dropped_attributes_count: unsigned32(
            obj,
            "droppedAttributesCount",
            "dropped_attributes_count",
        )?,
        events: list(obj, "events", "events", |e| {
            Ok(proto::Event {
                time_unix_nano: unsigned(e, "timeUnixNano", "time_unix_nano")?,
                name: string(e, "name", "name")?,
                attributes: list(e, "attributes", "attributes", key_value)?,
            })
        })?,
        dropped_events_count: unsigned32(obj, "droppedEventsCount", "dropped_events_count")?,
        links: list(obj, "links", "links", |l| {
            Ok(proto::Link {
                trace_id: id(l, "traceId", "trace_id")?,
                span_id: id(l, "spanId", "span_id")?,
                trace_state: string(l, "traceState", "trace_state")?,
                attributes: list(l, "attributes", "attributes", key_value)?,
            })
        })?,
        dropped_links_count: unsigned32(obj, "droppedLinksCount", "dropped_links_count")?,
        status: message(obj, "status", "status", |s| {
            Ok(proto::Status {
                message: string(s, "message", "message")?,
                code: enumeration(s, "code", STATUS_CODES)?,
            })
        })?,
    })
}

fn key_value(obj: &Object) -> Result<proto::KeyValue, Malformed> {
    Ok(proto::KeyValue {
        key: string(obj, "key", "key")?,
        value: field(obj, "value", "value").map(any_value).transpose()?,
    })
}

fn any_value(value: &Value) -> Result<proto::AnyValue, Malformed> {
    use proto::any_value::Value as V;
    let obj = object(value, "value")?;
    let v = if let Some(s) = field(obj, "stringValue", "string_value") {
        V::StringValue(
            s.as_str()
                .ok_or_else(|| bad("stringValue", "a string"))?
                .to_owned(),
        )
    } else if let Some(b) = field(obj, "boolValue", "bool_value") {
        V::BoolValue(b.as_bool().ok_or_else(|| bad("boolValue", "a boolean"))?)
    } else if let Some(i) = field(obj, "intValue", "int_value") {
        V::IntValue(signed(i, "intValue")?)
    } else if let Some(d) = field(obj, "doubleValue", "double_value") {
        V::DoubleValue(match d {
            Value::Number(n) => n.as_f64().ok_or_else(|| bad("doubleValue", "a number"))?,
            Value::String(s) => s.parse().map_err(|_| bad("doubleValue", "a number"))?,
            _ => return Err(bad("doubleValue", "a number")),
        })
    } else if let Some(a) = field(obj, "arrayValue", "array_value") {
        V::ArrayValue(proto::ArrayValue {
            values: match field(object(a, "arrayValue")?, "values", "values") {
                None => Vec::new(),
                Some(Value::Array(items)) => {
                    items.iter().map(any_value).collect::<Result<_, _>>()?
                }
                Some(_) => return Err(bad("arrayValue.values", "an array")),
            },
        })
    } else if let Some(l) = field(obj, "kvlistValue", "kvlist_value") {
        V::KvlistValue(proto::KeyValueList {
            values: list(object(l, "kvlistValue")?, "values", "values", key_value)?,
        })
    } else if let Some(b) = field(obj, "bytesValue", "bytes_value") {
        let s = b
            .as_str()
            .ok_or_else(|| bad("bytesValue", "a base64 string"))?;
        V::BytesValue(base64(s).ok_or_else(|| bad("bytesValue", "a base64 string"))?)
    } else {
        return Ok(proto::AnyValue { value: None });
    };
    Ok(proto::AnyValue { value: Some(v) })
}

/// Standard or URL-safe base64, padded or not (the JSON mapping accepts both).
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // The low 8 bits after the shift: one decoded byte.
            #[allow(clippy::cast_possible_truncation)]
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_both_alphabets() {
        assert_eq!(base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("-_8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(base64("a b"), None);
    }

    #[test]
    fn integers_as_numbers_or_strings_and_enums_by_name() {
        let body = br#"{"resource_spans":[{"scopeSpans":[{"spans":[{
            "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",
            "kind":"SPAN_KIND_SERVER","startTimeUnixNano":"10","endTimeUnixNano":25,
            "status":{"code":2},
            "attributes":[{"key":"n","value":{"intValue":"-3"}},{"key":"m","value":{"intValue":4}}]
        }]}]}]}"#;
        let request = decode(body).unwrap();
        let span = &request.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(span.kind, 2);
        assert_eq!(
            (span.start_time_unix_nano, span.end_time_unix_nano),
            (10, 25)
        );
        assert_eq!(span.status.as_ref().unwrap().code, 2);
        assert_eq!(span.attributes.len(), 2);
    }

    #[test]
    fn wrong_types_do_not_decode() {
        for body in [
            &b"[]"[..],
            br#"{"resourceSpans":{}}"#,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}"#,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}"#,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SERVER"}]}]}]}"#,
            br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":-1}]}]}]}"#,
        ] {
            assert!(decode(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }
}
