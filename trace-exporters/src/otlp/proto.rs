//! Hand-written protobuf encoding of `ExportTraceServiceRequest`
//! (`opentelemetry/proto/collector/trace/v1/trace_service.proto`).
//!
//! Field numbers and wire types follow the official `.proto` files; the
//! integration tests decode every payload with the `opentelemetry-proto`
//! crate and compare it field by field.

use trace_core::{Array, Event, KeyValue, Link, Resource, SpanData, Status, Value};

use super::model::{self, ScopeGroups};

const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;

/// A protobuf writer over a `Vec<u8>`. Nested messages are written in place:
/// a one-byte length is reserved and widened afterwards when the message
/// turned out to be 128 bytes or longer, so nothing is measured twice.
pub(crate) struct ProtoWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> ProtoWriter<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            // Truncation is the point: the low 7 bits plus the continuation bit.
            #[allow(clippy::cast_possible_truncation)]
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        #[allow(clippy::cast_possible_truncation)]
        self.buf.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u8) {
        self.varint(u64::from(field << 3 | u32::from(wire)));
    }

    /// Writes a length-delimited field even when it is empty.
    fn bytes_always(&mut self, field: u32, bytes: &[u8]) {
        self.tag(field, WIRE_LEN);
        self.varint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    /// Writes a string or bytes field, omitted when empty (proto3 default).
    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.bytes_always(field, bytes);
        }
    }

    fn string(&mut self, field: u32, s: &str) {
        self.bytes(field, s.as_bytes());
    }

    fn uint32(&mut self, field: u32, v: u32) {
        if v != 0 {
            self.tag(field, WIRE_VARINT);
            self.varint(u64::from(v));
        }
    }

    fn fixed64(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.tag(field, WIRE_FIXED64);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn fixed32(&mut self, field: u32, v: u32) {
        if v != 0 {
            self.tag(field, WIRE_FIXED32);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// Starts a nested message; returns the mark to hand to [`Self::end`].
    fn begin(&mut self, field: u32) -> usize {
        self.tag(field, WIRE_LEN);
        self.buf.push(0);
        self.buf.len()
    }

    /// Ends a nested message started at `mark`, writing its length.
    fn end(&mut self, mark: usize) {
        let len = self.buf.len() - mark;
        if len < 0x80 {
            #[allow(clippy::cast_possible_truncation)]
            {
                self.buf[mark - 1] = len as u8;
            }
            return;
        }
        let mut tmp = [0u8; 10];
        let mut n = 0;
        let mut v = len as u64;
        while v >= 0x80 {
            #[allow(clippy::cast_possible_truncation)]
            {
                tmp[n] = (v as u8) | 0x80;
            }
            v >>= 7;
            n += 1;
        }
        #[allow(clippy::cast_possible_truncation)]
        {
            tmp[n] = v as u8;
        }
        n += 1;
        // One byte is already reserved; make room for the other n - 1.
        let old_end = self.buf.len();
        self.buf.resize(old_end + n - 1, 0);
        self.buf.copy_within(mark..old_end, mark + n - 1);
        self.buf[mark - 1..mark - 1 + n].copy_from_slice(&tmp[..n]);
    }

    /// `AnyValue` oneof members are written even when they hold the default.
    fn any_value(&mut self, field: u32, value: &Value) {
        let m = self.begin(field);
        match value {
            Value::Str(s) => self.bytes_always(1, s.as_str().as_bytes()),
            Value::Bool(b) => {
                self.tag(2, WIRE_VARINT);
                self.varint(u64::from(*b));
            }
            Value::I64(i) => self.int_value(*i),
            Value::F64(f) => self.double_value(*f),
            Value::Array(array) => {
                let a = self.begin(5);
                match array {
                    Array::Bool(items) => {
                        for b in items {
                            let v = self.begin(1);
                            self.tag(2, WIRE_VARINT);
                            self.varint(u64::from(*b));
                            self.end(v);
                        }
                    }
                    Array::I64(items) => {
                        for i in items {
                            let v = self.begin(1);
                            self.int_value(*i);
                            self.end(v);
                        }
                    }
                    Array::F64(items) => {
                        for f in items {
                            let v = self.begin(1);
                            self.double_value(*f);
                            self.end(v);
                        }
                    }
                    Array::Str(items) => {
                        for s in items {
                            let v = self.begin(1);
                            self.bytes_always(1, s.as_str().as_bytes());
                            self.end(v);
                        }
                    }
                }
                self.end(a);
            }
        }
        self.end(m);
    }

    fn int_value(&mut self, i: i64) {
        self.tag(3, WIRE_VARINT);
        // int64 is encoded as the two's complement bit pattern.
        #[allow(clippy::cast_sign_loss)]
        self.varint(i as u64);
    }

    fn double_value(&mut self, f: f64) {
        self.tag(4, WIRE_FIXED64);
        self.buf.extend_from_slice(&f.to_le_bytes());
    }

    fn key_values(&mut self, field: u32, attributes: &[KeyValue]) {
        for kv in attributes {
            let m = self.begin(field);
            self.string(1, &kv.key);
            self.any_value(2, &kv.value);
            self.end(m);
        }
    }
}

/// Encodes the body of a `Resource` message (without tag and length).
pub(crate) fn encode_resource(resource: &Resource, out: &mut Vec<u8>) {
    let mut w = ProtoWriter::new(out);
    w.key_values(1, &resource.attributes);
}

/// Encodes a whole `ExportTraceServiceRequest` for `spans`, appending to `out`.
/// `resource` is the body of the `Resource` message, as [`encode_resource`]
/// wrote it (exporters encode it once).
pub(crate) fn encode_request(resource: &[u8], spans: &[SpanData], out: &mut Vec<u8>) {
    let mut w = ProtoWriter::new(out);
    // ExportTraceServiceRequest.resource_spans = 1
    let rs = w.begin(1);
    // ResourceSpans.resource = 1
    w.bytes_always(1, resource);
    for group in ScopeGroups::new(spans) {
        // ResourceSpans.scope_spans = 2
        let ss = w.begin(2);
        // ScopeSpans.scope = 1: InstrumentationScope { name = 1, version = 2 }
        let scope = w.begin(1);
        w.string(1, &group.scope.name);
        if let Some(version) = &group.scope.version {
            w.string(2, version);
        }
        w.end(scope);
        for span in group.spans() {
            // ScopeSpans.spans = 2
            encode_span(&mut w, 2, span);
        }
        w.end(ss);
    }
    w.end(rs);
}

fn encode_span(w: &mut ProtoWriter<'_>, field: u32, span: &SpanData) {
    let m = w.begin(field);
    let ctx = &span.span_context;
    w.bytes_always(1, &ctx.trace_id.to_bytes());
    w.bytes_always(2, &ctx.span_id.to_bytes());
    model::with_trace_state(&ctx.trace_state, |ts| w.string(3, ts));
    if let Some(parent) = span.parent_span_id {
        w.bytes_always(4, &parent.to_bytes());
    }
    w.string(5, &span.name);
    w.uint32(6, model::kind_code(span.kind));
    w.fixed64(7, model::unix_nanos(span.start_time));
    w.fixed64(8, model::unix_nanos(span.end_time));
    w.key_values(9, &span.attributes);
    w.uint32(10, span.dropped_attributes_count);
    for event in &span.events {
        encode_event(w, 11, event);
    }
    w.uint32(12, span.dropped_events_count);
    for link in &span.links {
        encode_link(w, 13, link);
    }
    w.uint32(14, span.dropped_links_count);
    match &span.status {
        Status::Unset => {}
        Status::Ok => {
            let s = w.begin(15);
            w.uint32(3, model::STATUS_OK);
            w.end(s);
        }
        Status::Error { description } => {
            let s = w.begin(15);
            w.string(2, description);
            w.uint32(3, model::STATUS_ERROR);
            w.end(s);
        }
    }
    w.fixed32(
        16,
        model::span_flags(ctx.trace_flags, span.parent_is_remote),
    );
    w.end(m);
}

fn encode_event(w: &mut ProtoWriter<'_>, field: u32, event: &Event) {
    let m = w.begin(field);
    w.fixed64(1, model::unix_nanos(event.time));
    w.string(2, &event.name);
    w.key_values(3, &event.attributes);
    w.uint32(4, event.dropped_attributes_count);
    w.end(m);
}

fn encode_link(w: &mut ProtoWriter<'_>, field: u32, link: &Link) {
    let m = w.begin(field);
    let ctx = &link.span_context;
    w.bytes_always(1, &ctx.trace_id.to_bytes());
    w.bytes_always(2, &ctx.span_id.to_bytes());
    model::with_trace_state(&ctx.trace_state, |ts| w.string(3, ts));
    w.key_values(4, &link.attributes);
    w.uint32(5, link.dropped_attributes_count);
    w.fixed32(6, model::span_flags(ctx.trace_flags, ctx.is_remote));
    w.end(m);
}

/// What a collector said in an `ExportTraceServiceResponse`: the
/// `partial_success` fields (`rejected_spans`, `error_message`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    pub(crate) rejected_spans: u64,
    pub(crate) error_message: String,
}

/// A minimal reader for the two small messages a collector answers with.
struct ProtoReader<'a> {
    buf: &'a [u8],
}

enum Field<'a> {
    Varint(u64),
    Len(&'a [u8]),
    Other,
}

impl<'a> ProtoReader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.buf.split_first()?;
            self.buf = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// The next (field number, value); `None` at the end or on malformed input.
    fn next_field(&mut self) -> Option<(u64, Field<'a>)> {
        if self.buf.is_empty() {
            return None;
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.buf = self.buf.get(8..)?;
                Field::Other
            }
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                let bytes = self.buf.get(..len)?;
                self.buf = &self.buf[len..];
                Field::Len(bytes)
            }
            5 => {
                self.buf = self.buf.get(4..)?;
                Field::Other
            }
            _ => return None,
        };
        Some((field, value))
    }
}

/// Reads `ExportTraceServiceResponse.partial_success` (field 1:
/// `rejected_spans` = 1, `error_message` = 2). Unknown fields are skipped;
/// an unreadable body yields `None`.
pub(crate) fn decode_partial_success(body: &[u8]) -> Option<PartialSuccess> {
    let mut reader = ProtoReader { buf: body };
    let mut result = None;
    while let Some((field, value)) = reader.next_field() {
        if let (1, Field::Len(inner)) = (field, value) {
            let mut partial = PartialSuccess::default();
            let mut inner = ProtoReader { buf: inner };
            while let Some((f, v)) = inner.next_field() {
                match (f, v) {
                    (1, Field::Varint(n)) => partial.rejected_spans = n,
                    (2, Field::Len(s)) => {
                        partial.error_message = String::from_utf8_lossy(s).into_owned();
                    }
                    _ => {}
                }
            }
            result = Some(partial);
        }
    }
    if reader.buf.is_empty() {
        result.or_else(|| Some(PartialSuccess::default()))
    } else {
        None
    }
}

/// Reads the `message` (field 2) of a `google.rpc.Status` error body.
pub(crate) fn decode_status_message(body: &[u8]) -> Option<String> {
    let mut reader = ProtoReader { buf: body };
    let mut message = None;
    while let Some((field, value)) = reader.next_field() {
        if let (2, Field::Len(s)) = (field, value) {
            message = Some(String::from_utf8_lossy(s).into_owned());
        }
    }
    if reader.buf.is_empty() {
        message
    } else {
        None
    }
}

/// The `type_url` of `google.rpc.RetryInfo` in a `google.rpc.Status`'s details.
#[cfg(feature = "grpc")]
const RETRY_INFO_TYPE: &[u8] = b"type.googleapis.com/google.rpc.RetryInfo";

/// Reads the delay of a `google.rpc.RetryInfo` among the `details` (field 3, each a
/// `google.protobuf.Any`: `type_url` = 1, `value` = 2) of a `google.rpc.Status`, as a gRPC
/// server sends it in `grpc-status-details-bin`. `RetryInfo.retry_delay` (1) is a
/// `google.protobuf.Duration` (`seconds` = 1, `nanos` = 2). `None` when there is no
/// `RetryInfo`, or the bytes are not such a message; a negative delay reads as zero.
#[cfg(feature = "grpc")]
pub(crate) fn decode_retry_delay(status: &[u8]) -> Option<std::time::Duration> {
    let mut reader = ProtoReader { buf: status };
    let mut delay = None;
    while let Some((field, value)) = reader.next_field() {
        let (3, Field::Len(any)) = (field, value) else {
            continue;
        };
        let mut any = ProtoReader { buf: any };
        let (mut type_url, mut value) = (None, None);
        while let Some((f, v)) = any.next_field() {
            match (f, v) {
                (1, Field::Len(s)) => type_url = Some(s),
                (2, Field::Len(b)) => value = Some(b),
                _ => {}
            }
        }
        if type_url != Some(RETRY_INFO_TYPE) {
            continue;
        }
        let mut info = ProtoReader {
            buf: value.unwrap_or_default(),
        };
        let mut found = std::time::Duration::ZERO;
        while let Some((f, v)) = info.next_field() {
            if let (1, Field::Len(d)) = (f, v) {
                let mut d = ProtoReader { buf: d };
                let (mut seconds, mut nanos) = (0i64, 0i64);
                while let Some((f, v)) = d.next_field() {
                    match (f, v) {
                        // int64 and int32 travel as two's complement varints.
                        #[allow(clippy::cast_possible_wrap)]
                        (1, Field::Varint(n)) => seconds = n as i64,
                        #[allow(clippy::cast_possible_wrap)]
                        (2, Field::Varint(n)) => nanos = n as i64,
                        _ => {}
                    }
                }
                let seconds = u64::try_from(seconds).unwrap_or(0);
                let nanos = u32::try_from(nanos.clamp(0, 999_999_999)).unwrap_or(0);
                found = std::time::Duration::new(seconds, nanos);
            }
        }
        delay = Some(found);
    }
    delay
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded_len_prefix(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = ProtoWriter::new(&mut out);
        let m = w.begin(1);
        w.buf.extend(std::iter::repeat_n(7u8, len));
        w.end(m);
        out
    }

    #[test]
    fn nested_length_is_widened_when_needed() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let out = encoded_len_prefix(len);
            let mut r = ProtoReader { buf: &out };
            match r.next_field() {
                Some((1, Field::Len(body))) => {
                    assert_eq!(body.len(), len);
                    assert!(body.iter().all(|&b| b == 7));
                }
                _ => panic!("length {len} did not round-trip"),
            }
            assert!(r.buf.is_empty());
        }
    }

    #[test]
    fn negative_int64_uses_ten_bytes() {
        let mut out = Vec::new();
        ProtoWriter::new(&mut out).int_value(-1);
        assert_eq!(out.len(), 1 + 10);
    }

    #[test]
    fn partial_success_is_read() {
        // partial_success { rejected_spans: 3, error_message: "bad" }
        let body = [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, b'b', b'a', b'd'];
        assert_eq!(
            decode_partial_success(&body),
            Some(PartialSuccess {
                rejected_spans: 3,
                error_message: "bad".into()
            })
        );
        assert_eq!(decode_partial_success(&[]), Some(PartialSuccess::default()));
        assert_eq!(decode_partial_success(&[0x0a, 0x09, 0x08]), None);
    }

    #[test]
    fn status_message_is_read() {
        // google.rpc.Status { code: 3, message: "no" }
        let body = [0x08, 0x03, 0x12, 0x02, b'n', b'o'];
        assert_eq!(decode_status_message(&body).as_deref(), Some("no"));
        assert_eq!(decode_status_message(b"<html>"), None);
    }

    #[cfg(feature = "grpc")]
    #[test]
    fn retry_info_is_read() {
        // google.rpc.Status { code: 8, details: [Any { type_url: RetryInfo,
        //   value: RetryInfo { retry_delay: Duration { seconds: 2, nanos: 500_000_000 } } }] }
        let duration = [0x08, 0x02, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01];
        let mut info = vec![0x0a, u8::try_from(duration.len()).unwrap()];
        info.extend_from_slice(&duration);
        let mut any = vec![0x0a, u8::try_from(RETRY_INFO_TYPE.len()).unwrap()];
        any.extend_from_slice(RETRY_INFO_TYPE);
        any.extend_from_slice(&[0x12, u8::try_from(info.len()).unwrap()]);
        any.extend_from_slice(&info);
        let mut status = vec![0x08, 0x08, 0x1a, u8::try_from(any.len()).unwrap()];
        status.extend_from_slice(&any);
        assert_eq!(
            decode_retry_delay(&status),
            Some(std::time::Duration::from_millis(2500))
        );
        // Another detail type, or none: no RetryInfo.
        assert_eq!(decode_retry_delay(&[0x08, 0x08]), None);
        let mut other = status.clone();
        let at = other.iter().position(|&b| b == b'R').unwrap();
        other[at] = b'X';
        assert_eq!(decode_retry_delay(&other), None);
        assert_eq!(decode_retry_delay(b"garbage that is not protobuf"), None);
    }
}
