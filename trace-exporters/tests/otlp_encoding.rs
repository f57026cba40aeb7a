//! Our hand-written OTLP encoders, checked against the official
//! `opentelemetry-proto` messages: every payload is decoded with them (prost
//! for protobuf, serde for OTLP/JSON) and compared field by field.

mod support;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message as _;
use support::spans::{all_values, assert_request, resource, sample_spans};
use trace_core::{KeyValue, Resource, SpanExporter as _, Value};
use trace_exporters::{OtlpExporter, Protocol};

fn exporter(protocol: Protocol, resource: &Resource) -> OtlpExporter {
    let mut exporter = OtlpExporter::builder()
        .protocol(protocol)
        .build()
        .expect("default endpoint is valid");
    exporter.set_resource(resource);
    exporter
}

fn decode_protobuf(bytes: &[u8]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(bytes).expect("protobuf decodes with opentelemetry-proto")
}

fn decode_json(bytes: &[u8]) -> ExportTraceServiceRequest {
    serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "OTLP/JSON decodes with opentelemetry-proto: {e}\n{}",
            String::from_utf8_lossy(bytes)
        )
    })
}

#[test]
fn protobuf_matches_the_official_messages_field_by_field() {
    let spans = sample_spans();
    let bytes = exporter(Protocol::HttpProtobuf, &resource()).encode(&spans);
    let req = decode_protobuf(&bytes);
    assert_request(&req, &resource(), &spans);
}

#[test]
fn protobuf_is_byte_for_byte_what_prost_writes() {
    // Same field order, defaults omitted, shortest lengths: re-encoding
    // the decoded message with prost gives back exactly our bytes.
    let spans = sample_spans();
    let bytes = exporter(Protocol::HttpProtobuf, &resource()).encode(&spans);
    assert_eq!(decode_protobuf(&bytes).encode_to_vec(), bytes);
}

#[test]
fn json_matches_the_official_messages_field_by_field() {
    let spans = sample_spans();
    let bytes = exporter(Protocol::HttpJson, &resource()).encode(&spans);
    let req = decode_json(&bytes);
    assert_request(&req, &resource(), &spans);
}

#[test]
fn json_and_protobuf_decode_to_the_same_request() {
    let spans = sample_spans();
    let pb = decode_protobuf(&exporter(Protocol::HttpProtobuf, &resource()).encode(&spans));
    let js = decode_json(&exporter(Protocol::HttpJson, &resource()).encode(&spans));
    assert_eq!(pb, js);
}

fn keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[test]
fn json_uses_the_otlp_json_conventions() {
    let spans = sample_spans();
    let bytes = exporter(Protocol::HttpJson, &resource()).encode(&spans);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
    let span = &doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    // Hex ids, not base64.
    assert_eq!(
        span["traceId"],
        "4b00000000000000000000000000000".to_owned() + "1"
    );
    assert_eq!(span["spanId"], "a100000000000001");
    // Integer enums, 64-bit integers as strings.
    assert_eq!(span["kind"], 2);
    assert_eq!(span["startTimeUnixNano"], "1700000000000000001");
    assert_eq!(span["flags"], 0x101);
    let attrs = span["attributes"].as_array().expect("attributes array");
    let int_min = attrs
        .iter()
        .find(|a| a["key"] == "int.min")
        .expect("int.min");
    assert_eq!(int_min["value"]["intValue"], "-9223372036854775808");
    // No snake_case keys anywhere (OTLP/JSON forbids the proto field names).
    let mut all = Vec::new();
    keys(&doc, &mut all);
    assert!(
        all.iter().all(|k| !k.contains('_')),
        "snake_case key in {all:?}"
    );
    let child = &doc["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
    assert_eq!(child["status"]["code"], 2);
    assert_eq!(child["parentSpanId"], "a100000000000001");
}

#[test]
fn non_finite_doubles() {
    let mut spans = sample_spans();
    spans.truncate(1);
    spans[0].attributes = vec![
        KeyValue::new("nan", f64::NAN),
        KeyValue::new("inf", f64::INFINITY),
        KeyValue::new("neg.inf", f64::NEG_INFINITY),
    ];
    let req =
        decode_protobuf(&exporter(Protocol::HttpProtobuf, &Resource::default()).encode(&spans));
    let values: Vec<f64> = req.resource_spans[0].scope_spans[0].spans[0]
        .attributes
        .iter()
        .map(
            |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::DoubleValue(d)) => *d,
                other => panic!("not a double: {other:?}"),
            },
        )
        .collect();
    assert!(values[0].is_nan());
    assert_eq!(values[1..], [f64::INFINITY, f64::NEG_INFINITY]);
    // proto3 JSON spells them as strings (JSON has no NaN or Infinity).
    let json = String::from_utf8(exporter(Protocol::HttpJson, &Resource::default()).encode(&spans))
        .expect("utf-8");
    assert!(
        json.contains(r#"{"key":"nan","value":{"doubleValue":"NaN"}}"#),
        "{json}"
    );
    assert!(
        json.contains(r#"{"key":"inf","value":{"doubleValue":"Infinity"}}"#),
        "{json}"
    );
    assert!(
        json.contains(r#"{"key":"neg.inf","value":{"doubleValue":"-Infinity"}}"#),
        "{json}"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
}

#[test]
fn large_batches_and_long_values_round_trip() {
    // Nested lengths above 127 and 16383 bytes need 2- and 3-byte varints.
    let mut spans = Vec::new();
    for (i, mut span) in (0..300).zip(sample_spans().into_iter().cycle()) {
        span.attributes
            .push(KeyValue::new("long", "x".repeat(i * 70)));
        spans.push(span);
    }
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let bytes = exporter(protocol, &resource()).encode(&spans);
        let req = match protocol {
            Protocol::HttpProtobuf => decode_protobuf(&bytes),
            _ => decode_json(&bytes),
        };
        assert_request(&req, &resource(), &spans);
    }
}

#[test]
fn default_resource_and_empty_batch() {
    let spans = sample_spans();
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let e = exporter(protocol, &Resource::default());
        let bytes = e.encode(&spans);
        let req = match protocol {
            Protocol::HttpProtobuf => decode_protobuf(&bytes),
            _ => decode_json(&bytes),
        };
        assert_request(&req, &Resource::default(), &spans);
        let empty = e.encode(&[]);
        let req = match protocol {
            Protocol::HttpProtobuf => decode_protobuf(&empty),
            _ => decode_json(&empty),
        };
        assert_eq!(req.resource_spans.len(), 1);
        assert!(req.resource_spans[0].scope_spans.is_empty());
    }
}

#[test]
fn every_value_type_is_covered() {
    // Guards the sample data itself: each variant of Value appears.
    let values = all_values();
    assert!(values.iter().any(|kv| matches!(kv.value, Value::Bool(_))));
    assert!(values.iter().any(|kv| matches!(kv.value, Value::I64(_))));
    assert!(values.iter().any(|kv| matches!(kv.value, Value::F64(_))));
    assert!(values.iter().any(|kv| matches!(kv.value, Value::Str(_))));
    assert!(values.iter().any(|kv| matches!(kv.value, Value::Array(_))));
}

/// A small deterministic generator for the randomised round trip below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "0", " ", "\"", "\\", "\n", "\u{0}", "\u{1f}", "é", "✓", "🦀", "\u{7f}", "/",
        ];
        let len = self.below(12);
        (0..len)
            .map(|_| PIECES[usize::try_from(self.below(PIECES.len() as u64)).unwrap_or(0)])
            .collect()
    }
    fn value(&mut self) -> Value {
        use trace_core::Array;
        #[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
        match self.below(9) {
            0 => Value::Bool(self.next() % 2 == 0),
            1 => Value::I64(self.next() as i64),
            2 => Value::F64((self.next() as i64) as f64 / 7.0),
            3 => Value::Str(self.string().into()),
            4 => Value::Array(Array::Bool(
                (0..self.below(4)).map(|_| self.next() % 2 == 0).collect(),
            )),
            5 => Value::Array(Array::I64(
                (0..self.below(4)).map(|_| self.next() as i64).collect(),
            )),
            6 => Value::Array(Array::F64(
                (0..self.below(4))
                    .map(|_| self.next() as f64 / 3.0)
                    .collect(),
            )),
            7 => Value::Array(Array::Str(
                (0..self.below(4)).map(|_| self.string().into()).collect(),
            )),
            _ => Value::I64(-(self.below(1000) as i64)),
        }
    }
    fn attributes(&mut self) -> Vec<KeyValue> {
        (0..self.below(6))
            .map(|_| KeyValue::new(self.string(), self.value()))
            .collect()
    }
}

#[test]
fn randomised_spans_round_trip_through_both_encodings() {
    use std::borrow::Cow;
    use std::time::{Duration, UNIX_EPOCH};
    use trace_core::{Event, Link, SpanKind, Status, TraceState};

    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..200 {
        let template = sample_spans();
        let spans: Vec<_> = (0..=rng.below(20))
            .map(|i| {
                let mut s = template[usize::try_from(i % 5).unwrap_or(0)].clone();
                s.name = Cow::Owned(rng.string());
                s.kind = [
                    SpanKind::Internal,
                    SpanKind::Server,
                    SpanKind::Client,
                    SpanKind::Producer,
                    SpanKind::Consumer,
                ][usize::try_from(rng.below(5)).unwrap_or(0)];
                s.start_time = UNIX_EPOCH + Duration::from_nanos(rng.next() >> 1);
                s.end_time = s.start_time + Duration::from_nanos(rng.below(1 << 40));
                s.attributes = rng.attributes();
                s.dropped_attributes_count = u32::try_from(rng.below(3)).unwrap_or(0);
                s.events = (0..rng.below(3))
                    .map(|_| Event {
                        name: Cow::Owned(rng.string()),
                        time: s.start_time,
                        attributes: rng.attributes(),
                        dropped_attributes_count: u32::try_from(rng.below(2)).unwrap_or(0),
                    })
                    .collect();
                s.links = (0..rng.below(3))
                    .map(|_| {
                        let mut ctx = s.span_context.clone();
                        ctx.is_remote = rng.next() % 2 == 0;
                        ctx.trace_state = if rng.next() % 2 == 0 {
                            TraceState::default()
                        } else {
                            TraceState::from_members(vec![(
                                "k".to_owned(),
                                rng.below(99).to_string(),
                            )])
                        };
                        Link {
                            span_context: ctx,
                            attributes: rng.attributes(),
                            dropped_attributes_count: 0,
                        }
                    })
                    .collect();
                s.status = match rng.below(3) {
                    0 => Status::Unset,
                    1 => Status::Ok,
                    _ => Status::Error {
                        description: Cow::Owned(rng.string()),
                    },
                };
                s
            })
            .collect();
        let resource = Resource {
            attributes: rng.attributes(),
        };
        for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
            let bytes = exporter(protocol, &resource).encode(&spans);
            let req = match protocol {
                Protocol::HttpProtobuf => {
                    let req = decode_protobuf(&bytes);
                    assert_eq!(
                        req.encode_to_vec(),
                        bytes,
                        "round {round}: canonical protobuf"
                    );
                    req
                }
                _ => decode_json(&bytes),
            };
            assert_request(&req, &resource, &spans);
        }
    }
}
