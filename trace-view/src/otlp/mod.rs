//! OTLP trace requests in, spans out: the protobuf and JSON encodings, checked as a collector
//! checks them.
//!
//! A request that does not decode (bad protobuf, bad JSON, an id of the wrong length, a hex id
//! that is not hex) is [`Malformed`]: the receiver answers `400 Bad Request`. A request that
//! decodes but holds spans that cannot be shown (an all-zero or missing trace or span id) keeps
//! the others and counts these as rejected: the answer is a partial success.

mod batch;
mod json;
pub(crate) mod proto;

use std::sync::Arc;

use prost::Message as _;

pub(crate) use batch::{Batch, Chunk, SpanMeta};

use crate::span::{AnyValue, Attribute, Event, Link, Resource, Scope, Span, StatusCode};

/// The two OTLP/HTTP encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Protobuf,
    Json,
}

/// A request that is not OTLP: why, for the error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) String);

/// What a request held.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// The spans to store.
    pub(crate) batch: Batch,
    /// Spans left out, and why the first one was.
    pub(crate) rejected: u64,
    pub(crate) problem: Option<String>,
}

impl Decoded {
    fn reject(&mut self, why: impl FnOnce() -> String) {
        self.rejected += 1;
        if self.problem.is_none() {
            self.problem = Some(why());
        }
    }
}

/// Decodes one `ExportTraceServiceRequest`.
pub(crate) fn decode(format: Format, body: &[u8]) -> Result<Decoded, Malformed> {
    let request = match format {
        Format::Protobuf => proto::ExportTraceServiceRequest::decode(body)
            .map_err(|e| Malformed(format!("invalid protobuf: {e}")))?,
        Format::Json => json::decode(body)?,
    };
    batch(request)
}

/// Checks a request's spans and groups them for the store, each kept in its protobuf
/// encoding (what the store writes; the JSON documents are made when a trace is read).
pub(crate) fn batch(request: proto::ExportTraceServiceRequest) -> Result<Decoded, Malformed> {
    let mut out = Decoded::default();
    for resource_spans in request.resource_spans {
        let resource = Arc::new(Resource::new(&attributes(
            resource_spans
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        )));
        for scope_spans in resource_spans.scope_spans {
            let scope = scope_spans.scope.unwrap_or_default().encode_to_vec();
            let group = out.batch.group(&resource, scope);
            for span in scope_spans.spans {
                let ids = SpanIds::of(&span)?;
                let (Some(trace_id), Some(span_id)) = (ids.trace_id, ids.span_id) else {
                    let name = span.name;
                    out.reject(|| format!("span {name:?} has no valid trace id or span id"));
                    continue;
                };
                out.batch.push(group, trace_id, span_id, &ids, &span);
            }
        }
    }
    Ok(out)
}

/// A span's ids, checked.
pub(crate) struct SpanIds {
    pub(crate) trace_id: Option<[u8; 16]>,
    pub(crate) span_id: Option<[u8; 8]>,
    pub(crate) parent_span_id: Option<[u8; 8]>,
    /// Whether some link has both its ids (the others are not shown).
    pub(crate) has_links: bool,
}

impl SpanIds {
    fn of(span: &proto::Span) -> Result<Self, Malformed> {
        let trace_id = id::<16>(&span.trace_id, "traceId")?;
        let span_id = id::<8>(&span.span_id, "spanId")?;
        let parent_span_id = id::<8>(&span.parent_span_id, "parentSpanId")?;
        let mut has_links = false;
        for link in &span.links {
            let trace = id::<16>(&link.trace_id, "links.traceId")?;
            let span = id::<8>(&link.span_id, "links.spanId")?;
            has_links |= trace.is_some() && span.is_some();
        }
        Ok(Self {
            trace_id,
            span_id,
            parent_span_id,
            has_links,
        })
    }
}

/// An id field: empty or all zero is `None` (no id), the right length is the id, any other
/// length does not decode (the collector fails the request the same way).
fn id<const N: usize>(bytes: &[u8], what: &str) -> Result<Option<[u8; N]>, Malformed> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let id: [u8; N] = bytes.try_into().map_err(|_| {
        Malformed(format!(
            "{what} must be {N} bytes, found {} bytes",
            bytes.len()
        ))
    })?;
    Ok((id != [0; N]).then_some(id))
}

/// The scope of a stored group of spans, from its protobuf encoding.
pub(crate) fn stored_scope(bytes: &[u8]) -> Scope {
    proto::InstrumentationScope::decode(bytes).map_or_else(
        |_| Scope::default(),
        |s| Scope {
            name: s.name,
            version: s.version,
            attributes: attributes(s.attributes),
        },
    )
}

/// The next stored span of `buf` (length-delimited protobuf, as [`batch()`] checked it);
/// `None` at the end.
pub(crate) fn stored_span(
    buf: &mut &[u8],
    resource: &Arc<Resource>,
    scope: &Arc<Scope>,
) -> Option<Span> {
    while !buf.is_empty() {
        let Ok(span) = proto::Span::decode_length_delimited(&mut *buf) else {
            *buf = &[];
            return None;
        };
        if let Some(span) = convert_span(span, resource, scope) {
            return Some(span);
        }
    }
    None
}

fn convert_span(span: proto::Span, resource: &Arc<Resource>, scope: &Arc<Scope>) -> Option<Span> {
    let trace_id = id::<16>(&span.trace_id, "traceId").ok()??;
    let span_id = id::<8>(&span.span_id, "spanId").ok()??;
    let parent_span_id = id::<8>(&span.parent_span_id, "parentSpanId").ok()?;
    let mut links = Vec::with_capacity(span.links.len());
    for link in span.links {
        let trace = id::<16>(&link.trace_id, "links.traceId").ok()?;
        let span = id::<8>(&link.span_id, "links.spanId").ok()?;
        if let (Some(trace_id), Some(span_id)) = (trace, span) {
            links.push(Link {
                trace_id,
                span_id,
                trace_state: link.trace_state,
                attributes: attributes(link.attributes),
            });
        }
    }
    let status = span.status.unwrap_or_default();
    Some(Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: span.trace_state,
        flags: span.flags,
        name: span.name,
        kind: span.kind,
        start_unix_nano: span.start_time_unix_nano,
        end_unix_nano: span.end_time_unix_nano,
        attributes: attributes(span.attributes),
        dropped_attributes_count: span.dropped_attributes_count,
        events: span
            .events
            .into_iter()
            .map(|e| Event {
                name: e.name,
                time_unix_nano: e.time_unix_nano,
                attributes: attributes(e.attributes),
            })
            .collect(),
        dropped_events_count: span.dropped_events_count,
        links,
        dropped_links_count: span.dropped_links_count,
        status_code: StatusCode::from_i32(status.code),
        status_message: status.message,
        resource: Arc::clone(resource),
        scope: Arc::clone(scope),
    })
}

/// Appends `key=value` of a plain attribute, as the attribute filter matches it (a newline
/// becomes a space, so entries stay one per line); `false` for other values.
pub(crate) fn write_filter_text(out: &mut String, attribute: &proto::KeyValue) -> bool {
    use proto::any_value::Value as V;
    use std::fmt::Write as _;
    fn one_line(out: &mut String, s: &str) {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(line);
        }
    }
    let Some(value) = attribute.value.as_ref().and_then(|v| v.value.as_ref()) else {
        return false;
    };
    let start = out.len();
    one_line(out, &attribute.key);
    out.push('=');
    match value {
        V::StringValue(s) => one_line(out, s),
        V::BoolValue(b) => out.push_str(if *b { "true" } else { "false" }),
        V::IntValue(i) => {
            let _ = write!(out, "{i}");
        }
        V::DoubleValue(f) => {
            let _ = write!(out, "{f}");
        }
        _ => {
            out.truncate(start);
            return false;
        }
    }
    true
}

fn attributes(kvs: Vec<proto::KeyValue>) -> Vec<Attribute> {
    kvs.into_iter()
        .map(|kv| Attribute {
            key: kv.key,
            value: value(kv.value),
        })
        .collect()
}

fn value(v: Option<proto::AnyValue>) -> AnyValue {
    use proto::any_value::Value as V;
    match v.and_then(|v| v.value) {
        None => AnyValue::Empty,
        Some(V::StringValue(s)) => AnyValue::Str(s),
        Some(V::BoolValue(b)) => AnyValue::Bool(b),
        Some(V::IntValue(i)) => AnyValue::Int(i),
        Some(V::DoubleValue(f)) => AnyValue::Double(f),
        Some(V::BytesValue(b)) => AnyValue::Bytes(b),
        Some(V::ArrayValue(a)) => {
            AnyValue::Array(a.values.into_iter().map(|v| value(Some(v))).collect())
        }
        Some(V::KvlistValue(l)) => AnyValue::KvList(attributes(l.values)),
    }
}

/// The answer to a request that decoded: a full or partial success.
pub(crate) fn success(decoded: &Decoded) -> proto::ExportTraceServiceResponse {
    proto::ExportTraceServiceResponse {
        partial_success: (decoded.rejected > 0).then(|| proto::ExportTracePartialSuccess {
            rejected_spans: i64::try_from(decoded.rejected).unwrap_or(i64::MAX),
            error_message: decoded.problem.clone().unwrap_or_default(),
        }),
    }
}

/// [`success`] in the request's encoding.
pub(crate) fn success_body(format: Format, decoded: &Decoded) -> Vec<u8> {
    let answer = success(decoded);
    match format {
        Format::Protobuf => answer.encode_to_vec(),
        Format::Json => match answer.partial_success {
            None => b"{}".to_vec(),
            Some(p) => serde_json::json!({
                "partialSuccess": {
                    "rejectedSpans": p.rejected_spans.to_string(),
                    "errorMessage": p.error_message,
                }
            })
            .to_string()
            .into_bytes(),
        },
    }
}

/// The body of an error answer: a `google.rpc.Status` in the request's encoding.
pub(crate) fn status_body(format: Format, code: i32, message: &str) -> Vec<u8> {
    match format {
        Format::Protobuf => proto::RpcStatus {
            code,
            message: message.to_owned(),
        }
        .encode_to_vec(),
        Format::Json => serde_json::json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
    }
}

/// The status code of `google.rpc.Code.INVALID_ARGUMENT`.
pub(crate) const INVALID_ARGUMENT: i32 = 3;
