//! OTLP/JSON encoding of `ExportTraceServiceRequest`, written by hand.
//!
//! Follows the OTLP/HTTP JSON rules: lowerCamelCase keys, trace and span ids
//! as lowercase hex (not base64), enums as integers, 64-bit integers
//! (`*UnixNano`, `intValue`) as decimal strings, non-finite doubles as
//! `"NaN"` / `"Infinity"` / `"-Infinity"`, fields holding their default
//! value left out.

use std::io::Write as _;

use trace_core::{Array, Event, KeyValue, Link, Resource, SpanContext, SpanData, Status, Value};

use super::model::{self, ScopeGroups};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes that cannot appear raw in a JSON string: controls, `"` and `\`
/// (and DEL, escaped for the terminal's sake).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table
};

/// Appends `s` as a JSON string literal.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0xf)]);
    }
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, n: impl itoa_like::Integer) {
    n.append(out);
}

/// Integer formatting into a byte buffer without going through `fmt`.
mod itoa_like {
    pub(crate) trait Integer {
        fn append(self, out: &mut Vec<u8>);
    }

    /// "00" to "99", two digits per division.
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
                                2021222324252627282930313233343536373839\
                                4041424344454647484950515253545556575859\
                                6061626364656667686970717273747576777879\
                                8081828384858687888990919293949596979899";

    impl Integer for u64 {
        fn append(self, out: &mut Vec<u8>) {
            let mut tmp = [0u8; 20];
            let mut i = tmp.len();
            let mut v = self;
            while v >= 100 {
                // v % 100 < 100: an index into PAIRS.
                #[allow(clippy::cast_possible_truncation)]
                let pair = (v % 100) as usize * 2;
                v /= 100;
                i -= 2;
                tmp[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
            }
            #[allow(clippy::cast_possible_truncation)]
            let last = v as usize;
            if last >= 10 {
                i -= 2;
                tmp[i..i + 2].copy_from_slice(&PAIRS[last * 2..last * 2 + 2]);
            } else {
                i -= 1;
                #[allow(clippy::cast_possible_truncation)]
                {
                    tmp[i] = b'0' + last as u8;
                }
            }
            out.extend_from_slice(&tmp[i..]);
        }
    }

    impl Integer for u32 {
        fn append(self, out: &mut Vec<u8>) {
            u64::from(self).append(out);
        }
    }

    impl Integer for i64 {
        fn append(self, out: &mut Vec<u8>) {
            if self < 0 {
                out.push(b'-');
            }
            self.unsigned_abs().append(out);
        }
    }
}

fn quoted_u64(out: &mut Vec<u8>, v: u64) {
    out.push(b'"');
    number(out, v);
    out.push(b'"');
}

fn double(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        // `{:?}` is the shortest form that reads back to the same f64, and is
        // always a valid JSON number for finite values ("1.0", "1e-7").
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{f:?}");
    }
}

/// A comma-separated sequence of object members or array items.
struct Seq {
    first: bool,
}

impl Seq {
    fn new() -> Self {
        Self { first: true }
    }

    fn sep(&mut self, out: &mut Vec<u8>) {
        if self.first {
            self.first = false;
        } else {
            out.push(b',');
        }
    }

    /// Starts member `"key":`.
    fn key(&mut self, out: &mut Vec<u8>, key: &str) {
        self.sep(out);
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
    }
}

fn any_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(s) => {
            out.extend_from_slice(b"{\"stringValue\":");
            string(out, s.as_str());
        }
        Value::Bool(b) => {
            out.extend_from_slice(if *b {
                b"{\"boolValue\":true"
            } else {
                b"{\"boolValue\":false"
            });
        }
        Value::I64(i) => int_value(out, *i),
        Value::F64(f) => {
            out.extend_from_slice(b"{\"doubleValue\":");
            double(out, *f);
        }
        Value::Array(array) => {
            out.extend_from_slice(b"{\"arrayValue\":{\"values\":");
            match array {
                Array::Bool(items) => list(out, items, |out, b| any_value(out, &Value::Bool(*b))),
                Array::I64(items) => list(out, items, |out, i| {
                    int_value(out, *i);
                    out.push(b'}');
                }),
                Array::F64(items) => list(out, items, |out, f| {
                    out.extend_from_slice(b"{\"doubleValue\":");
                    double(out, *f);
                    out.push(b'}');
                }),
                Array::Str(items) => list(out, items, |out, s| {
                    out.extend_from_slice(b"{\"stringValue\":");
                    string(out, s.as_str());
                    out.push(b'}');
                }),
            }
            out.push(b'}');
        }
    }
    out.push(b'}');
}

/// Opens `{"intValue":"<i>"` (the caller closes the object).
fn int_value(out: &mut Vec<u8>, i: i64) {
    out.extend_from_slice(b"{\"intValue\":\"");
    number(out, i);
    out.push(b'"');
}

fn key_values(out: &mut Vec<u8>, attributes: &[KeyValue]) {
    list(out, attributes, |out, kv| {
        out.extend_from_slice(b"{\"key\":");
        string(out, &kv.key);
        out.extend_from_slice(b",\"value\":");
        any_value(out, &kv.value);
        out.push(b'}');
    });
}

/// Writes `[a,b,..]`, each item by `each`.
fn list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    let mut seq = Seq::new();
    for item in items {
        seq.sep(out);
        each(out, item);
    }
    out.push(b']');
}

/// Appends the JSON object of a `Resource`.
pub(crate) fn encode_resource(resource: &Resource, out: &mut Vec<u8>) {
    out.push(b'{');
    if !resource.attributes.is_empty() {
        out.extend_from_slice(b"\"attributes\":");
        key_values(out, &resource.attributes);
    }
    out.push(b'}');
}

/// Appends a whole `ExportTraceServiceRequest` object for `spans`.
/// `resource` is the JSON object [`encode_resource`] wrote.
pub(crate) fn encode_request(resource: &[u8], spans: &[SpanData], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"resourceSpans\":[{\"resource\":");
    out.extend_from_slice(resource);
    out.extend_from_slice(b",\"scopeSpans\":[");
    let mut groups = Seq::new();
    for group in ScopeGroups::new(spans) {
        groups.sep(out);
        out.extend_from_slice(b"{\"scope\":{");
        let mut scope = Seq::new();
        if !group.scope.name.is_empty() {
            scope.key(out, "name");
            string(out, &group.scope.name);
        }
        if let Some(version) = group.scope.version.as_deref().filter(|v| !v.is_empty()) {
            scope.key(out, "version");
            string(out, version);
        }
        out.extend_from_slice(b"},\"spans\":");
        list(out, group.spans(), encode_span);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}]}");
}

/// Opens the object of a span or a link: `{"traceId":..,"spanId":..` and its `traceState`.
fn open_with_ids(out: &mut Vec<u8>, ctx: &SpanContext) {
    out.extend_from_slice(b"{\"traceId\":");
    hex(out, &ctx.trace_id.to_bytes());
    out.extend_from_slice(b",\"spanId\":");
    hex(out, &ctx.span_id.to_bytes());
    model::with_trace_state(&ctx.trace_state, |ts| {
        out.extend_from_slice(b",\"traceState\":");
        string(out, ts);
    });
}

fn encode_span(out: &mut Vec<u8>, span: &SpanData) {
    open_with_ids(out, &span.span_context);
    if let Some(parent) = span.parent_span_id {
        out.extend_from_slice(b",\"parentSpanId\":");
        hex(out, &parent.to_bytes());
    }
    out.extend_from_slice(b",\"flags\":");
    number(
        out,
        model::span_flags(span.span_context.trace_flags, span.parent_is_remote),
    );
    out.extend_from_slice(b",\"name\":");
    string(out, &span.name);
    out.extend_from_slice(b",\"kind\":");
    number(out, model::kind_code(span.kind));
    out.extend_from_slice(b",\"startTimeUnixNano\":");
    quoted_u64(out, model::unix_nanos(span.start_time));
    out.extend_from_slice(b",\"endTimeUnixNano\":");
    quoted_u64(out, model::unix_nanos(span.end_time));
    if !span.attributes.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        key_values(out, &span.attributes);
    }
    if span.dropped_attributes_count != 0 {
        out.extend_from_slice(b",\"droppedAttributesCount\":");
        number(out, span.dropped_attributes_count);
    }
    if !span.events.is_empty() {
        out.extend_from_slice(b",\"events\":");
        list(out, &span.events, encode_event);
    }
    if span.dropped_events_count != 0 {
        out.extend_from_slice(b",\"droppedEventsCount\":");
        number(out, span.dropped_events_count);
    }
    if !span.links.is_empty() {
        out.extend_from_slice(b",\"links\":");
        list(out, &span.links, encode_link);
    }
    if span.dropped_links_count != 0 {
        out.extend_from_slice(b",\"droppedLinksCount\":");
        number(out, span.dropped_links_count);
    }
    match &span.status {
        Status::Unset => {}
        Status::Ok => {
            out.extend_from_slice(b",\"status\":{\"code\":");
            number(out, model::STATUS_OK);
            out.push(b'}');
        }
        Status::Error { description } => {
            out.extend_from_slice(b",\"status\":{");
            if !description.is_empty() {
                out.extend_from_slice(b"\"message\":");
                string(out, description);
                out.push(b',');
            }
            out.extend_from_slice(b"\"code\":");
            number(out, model::STATUS_ERROR);
            out.push(b'}');
        }
    }
    out.push(b'}');
}

fn encode_event(out: &mut Vec<u8>, event: &Event) {
    out.extend_from_slice(b"{\"timeUnixNano\":");
    quoted_u64(out, model::unix_nanos(event.time));
    out.extend_from_slice(b",\"name\":");
    string(out, &event.name);
    if !event.attributes.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        key_values(out, &event.attributes);
    }
    if event.dropped_attributes_count != 0 {
        out.extend_from_slice(b",\"droppedAttributesCount\":");
        number(out, event.dropped_attributes_count);
    }
    out.push(b'}');
}

fn encode_link(out: &mut Vec<u8>, link: &Link) {
    open_with_ids(out, &link.span_context);
    if !link.attributes.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        key_values(out, &link.attributes);
    }
    if link.dropped_attributes_count != 0 {
        out.extend_from_slice(b",\"droppedAttributesCount\":");
        number(out, link.dropped_attributes_count);
    }
    out.extend_from_slice(b",\"flags\":");
    number(
        out,
        model::span_flags(link.span_context.trace_flags, link.span_context.is_remote),
    );
    out.push(b'}');
}

/// Reads `partialSuccess` from an OTLP/JSON `ExportTraceServiceResponse`.
/// `rejectedSpans` may be a number or a decimal string (int64 in proto3
/// JSON). An empty body means full success.
pub(crate) fn decode_partial_success(body: &[u8]) -> Option<super::proto::PartialSuccess> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(super::proto::PartialSuccess::default());
    }
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut result = super::proto::PartialSuccess::default();
    if let Some(partial) = doc.get("partialSuccess") {
        result.rejected_spans = match partial.get("rejectedSpans") {
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        if let Some(msg) = partial
            .get("errorMessage")
            .and_then(serde_json::Value::as_str)
        {
            msg.clone_into(&mut result.error_message);
        }
    }
    Some(result)
}

/// Reads `message` from a JSON `google.rpc.Status` error body.
pub(crate) fn decode_status_message(body: &[u8]) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    doc.get("message")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(input: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, input);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(s("plain"), "\"plain\"");
        assert_eq!(s("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(s("\n\r\t\u{1}\u{7f}"), "\"\\n\\r\\t\\u0001\\u007f\"");
        assert_eq!(s("é✓"), "\"é✓\"");
        for input in ["", "x\u{0}y", "\"\"", "tab\tend", "emoji 🦀"] {
            let back: String = serde_json::from_str(&s(input)).unwrap_or_default();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn every_character_round_trips() {
        let all: String = (0u32..0x3000)
            .chain(0x1_f980..0x1_f9a0)
            .filter_map(char::from_u32)
            .collect();
        let back: String = serde_json::from_str(&s(&all)).unwrap_or_default();
        assert_eq!(back, all);
    }

    #[test]
    fn numbers_are_formatted() {
        let f = |v: f64| {
            let mut out = Vec::new();
            double(&mut out, v);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(-0.5), "-0.5");
        assert_eq!(f(1e300), "1e300");
        assert_eq!(f(f64::NAN), "\"NaN\"");
        assert_eq!(f(f64::INFINITY), "\"Infinity\"");
        assert_eq!(f(f64::NEG_INFINITY), "\"-Infinity\"");
        let i = |v: i64| {
            let mut out = Vec::new();
            number(&mut out, v);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(i(0), "0");
        assert_eq!(i(-42), "-42");
        assert_eq!(i(i64::MIN), "-9223372036854775808");
        assert_eq!(i(i64::MAX), "9223372036854775807");
        let mut v: u64 = 1;
        while let Some(next) = v.checked_mul(3) {
            for x in [v - 1, v, v + 1] {
                let mut out = Vec::new();
                number(&mut out, x);
                assert_eq!(String::from_utf8(out).unwrap_or_default(), x.to_string());
            }
            v = next;
        }
        for x in [9u64, 10, 99, 100, 101, 999, 1000, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, x);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), x.to_string());
        }
    }

    #[test]
    fn partial_success_is_read() {
        let p = decode_partial_success(
            br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}"#,
        );
        assert_eq!(
            p.map(|p| (p.rejected_spans, p.error_message)),
            Some((2, "x".into()))
        );
        let p = decode_partial_success(br#"{"partialSuccess":{"rejectedSpans":5}}"#);
        assert_eq!(p.map(|p| p.rejected_spans), Some(5));
        assert_eq!(
            decode_partial_success(b"{}").map(|p| p.rejected_spans),
            Some(0)
        );
        assert_eq!(
            decode_partial_success(b"").map(|p| p.rejected_spans),
            Some(0)
        );
        assert!(decode_partial_success(b"<html>").is_none());
    }
}
