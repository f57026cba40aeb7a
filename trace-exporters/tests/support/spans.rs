//! Span data with every field the OTLP mapping has to carry, and a
//! field-by-field comparison against the official `opentelemetry-proto`
//! messages.

#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue as PKeyValue};
use opentelemetry_proto::tonic::trace::v1::Span as PSpan;
use trace_core::{
    Array, Event, InstrumentationScope, KeyValue, Link, Resource, SpanContext, SpanData, SpanId,
    SpanKind, Status, TraceFlags, TraceId, TraceState, Value,
};

pub fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

pub fn trace_id(n: u8) -> TraceId {
    let mut b = [0u8; 16];
    b[0] = 0x4b;
    b[15] = n;
    TraceId::from_bytes(b)
}

pub fn span_id(n: u8) -> SpanId {
    let mut b = [0u8; 8];
    b[0] = 0xa1;
    b[7] = n;
    SpanId::from_bytes(b)
}

pub fn context(trace: u8, span: u8, remote: bool) -> SpanContext {
    SpanContext {
        trace_id: trace_id(trace),
        span_id: span_id(span),
        trace_flags: TraceFlags::SAMPLED,
        trace_state: TraceState::default(),
        is_remote: remote,
    }
}

pub fn resource() -> Resource {
    Resource {
        attributes: vec![
            KeyValue::new("service.name", "checkout"),
            KeyValue::new("telemetry.sdk.name", "traced"),
            KeyValue::new("telemetry.sdk.language", "rust"),
            KeyValue::new("host.cores", 2i64),
        ],
    }
}

fn scope(name: &'static str, version: Option<&'static str>) -> InstrumentationScope {
    InstrumentationScope {
        name: Cow::Borrowed(name),
        version: version.map(Cow::Borrowed),
    }
}

/// Every value type, empty and extreme values, strings needing escapes.
pub fn all_values() -> Vec<KeyValue> {
    vec![
        KeyValue::new("bool.true", true),
        KeyValue::new("bool.false", false),
        KeyValue::new("int.zero", 0i64),
        KeyValue::new("int.neg", -42i64),
        KeyValue::new("int.min", i64::MIN),
        KeyValue::new("int.max", i64::MAX),
        KeyValue::new("double", 3.25f64),
        KeyValue::new("double.zero", 0.0f64),
        KeyValue::new("double.tiny", -1.5e-300f64),
        KeyValue::new("str", "plain"),
        KeyValue::new("str.empty", ""),
        KeyValue::new(
            "str.escapes",
            "quote\" backslash\\ newline\n tab\t nul\u{0} bell\u{7}",
        ),
        KeyValue::new("str.unicode", "café ✓ 🦀"),
        KeyValue {
            key: Cow::Borrowed("array.bool"),
            value: Value::Array(Array::Bool(vec![true, false])),
        },
        KeyValue {
            key: Cow::Borrowed("array.int"),
            value: Value::Array(Array::I64(vec![1, -1, i64::MAX])),
        },
        KeyValue {
            key: Cow::Borrowed("array.double"),
            value: Value::Array(Array::F64(vec![0.5, -2.0])),
        },
        KeyValue {
            key: Cow::Borrowed("array.str"),
            value: Value::Array(Array::Str(vec![
                "a".into(),
                String::new().into(),
                "ü".into(),
            ])),
        },
        KeyValue {
            key: Cow::Borrowed("array.empty"),
            value: Value::Array(Array::Str(Vec::new())),
        },
    ]
}

/// A small trace: a server root with everything, a failing client child
/// under it, a span with a remote parent in another scope, a bare span.
#[allow(clippy::too_many_lines)]
pub fn sample_spans() -> Vec<SpanData> {
    let mut linked = context(9, 99, true);
    linked.trace_state = TraceState::from_members(vec![
        ("vendor".to_owned(), "opaque".to_owned()),
        ("other".to_owned(), "x".to_owned()),
    ]);
    let mut root_ctx = context(1, 1, false);
    root_ctx.trace_state =
        TraceState::from_members(vec![("congo".to_owned(), "t61rcWkgMzE".to_owned())]);
    let root = SpanData {
        name: Cow::Borrowed("GET /checkout"),
        kind: SpanKind::Server,
        span_context: root_ctx,
        parent_span_id: None,
        parent_is_remote: false,
        start_time: at(1_700_000_000_000_000_001),
        end_time: at(1_700_000_000_250_000_000),
        attributes: all_values(),
        events: vec![
            Event {
                name: Cow::Borrowed("cache.miss"),
                time: at(1_700_000_000_100_000_000),
                attributes: vec![
                    KeyValue::new("cache.key", "user:7"),
                    KeyValue::new("attempt", 2i64),
                ],
                dropped_attributes_count: 1,
            },
            Event {
                name: Cow::Borrowed("bare"),
                time: at(1_700_000_000_200_000_000),
                attributes: Vec::new(),
                dropped_attributes_count: 0,
            },
        ],
        links: vec![Link {
            span_context: linked,
            attributes: vec![KeyValue::new("link.reason", "batch")],
            dropped_attributes_count: 3,
        }],
        status: Status::Unset,
        dropped_attributes_count: 4,
        dropped_events_count: 5,
        dropped_links_count: 6,
        scope: scope("checkout-service", Some("1.2.3")),
    };
    let child = SpanData {
        name: Cow::Borrowed("db.query"),
        kind: SpanKind::Client,
        span_context: context(1, 2, false),
        parent_span_id: Some(span_id(1)),
        parent_is_remote: false,
        start_time: at(1_700_000_000_010_000_000),
        end_time: at(1_700_000_000_020_000_000),
        attributes: vec![
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("error.type", "Timeout"),
        ],
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Error {
            description: Cow::Borrowed("connection timed out after 5s"),
        },
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
        scope: scope("checkout-service", Some("1.2.3")),
    };
    let remote_child = SpanData {
        name: Cow::Borrowed("consume"),
        kind: SpanKind::Consumer,
        span_context: SpanContext {
            trace_flags: TraceFlags::SAMPLED,
            ..context(2, 3, false)
        },
        parent_span_id: Some(span_id(77)),
        parent_is_remote: true,
        start_time: at(1_700_000_001_000_000_000),
        end_time: at(1_700_000_001_000_000_000),
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Ok,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
        scope: scope("queue-worker", None),
    };
    let producer = SpanData {
        name: Cow::Borrowed("publish"),
        kind: SpanKind::Producer,
        span_context: context(2, 4, false),
        parent_span_id: None,
        parent_is_remote: false,
        start_time: at(1_700_000_002_000_000_000),
        end_time: at(1_700_000_002_000_000_500),
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Error {
            description: Cow::Borrowed(""),
        },
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
        scope: scope("checkout-service", Some("1.2.3")),
    };
    let internal = SpanData {
        name: Cow::Borrowed("compute"),
        kind: SpanKind::Internal,
        span_context: context(3, 5, false),
        parent_span_id: None,
        parent_is_remote: false,
        start_time: at(1),
        end_time: at(2),
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
        scope: scope("", None),
    };
    vec![root, child, remote_child, producer, internal]
}

fn nanos(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())).unwrap_or(u64::MAX)
}

fn kind(k: SpanKind) -> i32 {
    match k {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn trace_state(state: &TraceState) -> String {
    state
        .members()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn flags(f: TraceFlags, remote: bool) -> u32 {
    u32::from(f.bits()) | 0x100 | if remote { 0x200 } else { 0 }
}

/// Compares one of our values with the decoded `AnyValue`.
pub fn assert_value(ours: &Value, theirs: Option<&AnyValue>, key: &str) {
    use any_value::Value as P;
    let theirs = theirs.and_then(|v| v.value.as_ref());
    let same_double = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    let ok =
        match (ours, theirs) {
            (Value::Bool(a), Some(P::BoolValue(b))) => a == b,
            (Value::I64(a), Some(P::IntValue(b))) => a == b,
            (Value::F64(a), Some(P::DoubleValue(b))) => same_double(*a, *b),
            (Value::Str(a), Some(P::StringValue(b))) => a.as_str() == b,
            (Value::Array(a), Some(P::ArrayValue(b))) => {
                let items: Vec<Option<&P>> = b.values.iter().map(|v| v.value.as_ref()).collect();
                match a {
                    Array::Bool(xs) => {
                        xs.len() == items.len()
                            && xs
                                .iter()
                                .zip(&items)
                                .all(|(x, y)| matches!(y, Some(P::BoolValue(v)) if v == x))
                    }
                    Array::I64(xs) => {
                        xs.len() == items.len()
                            && xs
                                .iter()
                                .zip(&items)
                                .all(|(x, y)| matches!(y, Some(P::IntValue(v)) if v == x))
                    }
                    Array::F64(xs) => xs.len() == items.len()
                        && xs.iter().zip(&items).all(
                            |(x, y)| matches!(y, Some(P::DoubleValue(v)) if same_double(*v, *x)),
                        ),
                    Array::Str(xs) => {
                        xs.len() == items.len()
                            && xs.iter().zip(&items).all(
                                |(x, y)| matches!(y, Some(P::StringValue(v)) if v == x.as_str()),
                            )
                    }
                }
            }
            _ => false,
        };
    assert!(ok, "attribute {key}: ours {ours:?}, decoded {theirs:?}");
}

pub fn assert_attributes(ours: &[KeyValue], theirs: &[PKeyValue], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: attribute count");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!(a.key, b.key, "{what}: attribute key");
        assert_value(&a.value, b.value.as_ref(), &format!("{what}/{}", a.key));
    }
}

#[allow(clippy::too_many_lines)]
pub fn assert_span(ours: &SpanData, theirs: &PSpan) {
    let what = format!("span {}", ours.name);
    let ctx = &ours.span_context;
    assert_eq!(
        theirs.trace_id,
        ctx.trace_id.to_bytes().to_vec(),
        "{what}: trace_id"
    );
    assert_eq!(
        theirs.span_id,
        ctx.span_id.to_bytes().to_vec(),
        "{what}: span_id"
    );
    assert_eq!(
        theirs.trace_state,
        trace_state(&ctx.trace_state),
        "{what}: trace_state"
    );
    assert_eq!(
        theirs.parent_span_id,
        ours.parent_span_id
            .map(|p| p.to_bytes().to_vec())
            .unwrap_or_default(),
        "{what}: parent_span_id"
    );
    assert_eq!(
        theirs.flags,
        flags(ctx.trace_flags, ours.parent_is_remote),
        "{what}: flags"
    );
    assert_eq!(theirs.name, ours.name, "{what}: name");
    assert_eq!(theirs.kind, kind(ours.kind), "{what}: kind");
    assert_eq!(
        theirs.start_time_unix_nano,
        nanos(ours.start_time),
        "{what}: start"
    );
    assert_eq!(
        theirs.end_time_unix_nano,
        nanos(ours.end_time),
        "{what}: end"
    );
    assert_attributes(&ours.attributes, &theirs.attributes, &what);
    assert_eq!(
        theirs.dropped_attributes_count, ours.dropped_attributes_count,
        "{what}: dropped attributes"
    );
    assert_eq!(
        theirs.dropped_events_count, ours.dropped_events_count,
        "{what}: dropped events"
    );
    assert_eq!(
        theirs.dropped_links_count, ours.dropped_links_count,
        "{what}: dropped links"
    );
    assert_eq!(theirs.events.len(), ours.events.len(), "{what}: events");
    for (a, b) in ours.events.iter().zip(&theirs.events) {
        assert_eq!(b.name, a.name, "{what}: event name");
        assert_eq!(b.time_unix_nano, nanos(a.time), "{what}: event time");
        assert_attributes(
            &a.attributes,
            &b.attributes,
            &format!("{what}/event {}", a.name),
        );
        assert_eq!(
            b.dropped_attributes_count, a.dropped_attributes_count,
            "{what}: event dropped"
        );
    }
    assert_eq!(theirs.links.len(), ours.links.len(), "{what}: links");
    for (a, b) in ours.links.iter().zip(&theirs.links) {
        let lc = &a.span_context;
        assert_eq!(
            b.trace_id,
            lc.trace_id.to_bytes().to_vec(),
            "{what}: link trace_id"
        );
        assert_eq!(
            b.span_id,
            lc.span_id.to_bytes().to_vec(),
            "{what}: link span_id"
        );
        assert_eq!(
            b.trace_state,
            trace_state(&lc.trace_state),
            "{what}: link trace_state"
        );
        assert_eq!(
            b.flags,
            flags(lc.trace_flags, lc.is_remote),
            "{what}: link flags"
        );
        assert_attributes(&a.attributes, &b.attributes, &format!("{what}/link"));
        assert_eq!(
            b.dropped_attributes_count, a.dropped_attributes_count,
            "{what}: link dropped"
        );
    }
    let (code, message) = match &ours.status {
        Status::Unset => (0, ""),
        Status::Ok => (1, ""),
        Status::Error { description } => (2, description.as_ref()),
    };
    let status = theirs.status.clone().unwrap_or_default();
    assert_eq!(status.code, code, "{what}: status code");
    assert_eq!(status.message, message, "{what}: status message");
}

/// Checks a decoded request against what was encoded: one resource, the
/// spans grouped by scope in order of first appearance, every field equal.
pub fn assert_request(req: &ExportTraceServiceRequest, resource: &Resource, spans: &[SpanData]) {
    assert_eq!(req.resource_spans.len(), 1, "one ResourceSpans");
    let rs = &req.resource_spans[0];
    let res = rs.resource.clone().unwrap_or_default();
    assert_attributes(&resource.attributes, &res.attributes, "resource");
    assert_eq!(res.dropped_attributes_count, 0);
    let mut scopes: Vec<&InstrumentationScope> = Vec::new();
    for s in spans {
        if !scopes.contains(&&s.scope) {
            scopes.push(&s.scope);
        }
    }
    assert_eq!(
        rs.scope_spans.len(),
        scopes.len(),
        "one ScopeSpans per scope"
    );
    let mut seen = 0;
    for (ss, scope) in rs.scope_spans.iter().zip(&scopes) {
        let decoded_scope = ss.scope.clone().unwrap_or_default();
        assert_eq!(decoded_scope.name, scope.name, "scope name");
        assert_eq!(
            decoded_scope.version,
            scope.version.as_deref().unwrap_or(""),
            "scope version"
        );
        let ours: Vec<&SpanData> = spans.iter().filter(|s| s.scope == **scope).collect();
        assert_eq!(ss.spans.len(), ours.len(), "spans of scope {}", scope.name);
        for (a, b) in ours.iter().zip(&ss.spans) {
            assert_span(a, b);
        }
        seen += ours.len();
    }
    assert_eq!(seen, spans.len());
}
