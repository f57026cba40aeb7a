//! Shared by the tests: a viewer on ephemeral loopback ports, spans made by hand, and the
//! exporters of trace-exporters to send them over real OTLP/HTTP and OTLP/gRPC.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;
use trace_core::{
    Event, InstrumentationScope, KeyValue, Link, Resource, SpanContext, SpanData, SpanExporter,
    SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use trace_exporters::{Compression, OtlpExporter, Protocol};

/// A viewer running on its own runtime.
pub struct Viewer {
    pub runtime: tokio::runtime::Runtime,
    pub server: Option<trace_view::Server>,
    pub ui: SocketAddr,
    pub otlp: SocketAddr,
    pub grpc: SocketAddr,
}

impl Viewer {
    pub fn start(store: Option<PathBuf>, max_spans: u64) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let options = trace_view::Options {
            otlp_http: Some("127.0.0.1:0".parse().unwrap()),
            otlp_grpc: Some("127.0.0.1:0".parse().unwrap()),
            otlp_grpc_required: true,
            ui: "127.0.0.1:0".parse().unwrap(),
            store,
            max_spans,
        };
        let server = runtime.block_on(trace_view::start(&options)).unwrap();
        Self {
            ui: server.ui_addr(),
            otlp: server.otlp_http_addr().unwrap(),
            grpc: server.otlp_grpc_addr().unwrap(),
            server: Some(server),
            runtime,
        }
    }

    pub fn stop(mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.otlp)
    }

    /// `GET` on the UI: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .get(&format!("http://{}{path}", self.ui))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    }

    pub fn get_json(&self, path: &str) -> Json {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// `POST /v1/traces` with these headers: status, content type and body.
    pub fn post(&self, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent.post(&self.endpoint());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut response = request.send(body).unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.body_mut().read_to_vec().unwrap();
        (status, content_type, body)
    }

    /// Sends `spans` from `service` with the project's OTLP exporter (to the gRPC receiver
    /// for `Protocol::Grpc`).
    pub fn send(&self, service: &str, protocol: Protocol, gzip: bool, spans: &[SpanData]) {
        let endpoint = if protocol == Protocol::Grpc {
            format!("http://{}", self.grpc)
        } else {
            self.endpoint()
        };
        let mut exporter = OtlpExporter::builder()
            .endpoint(endpoint)
            .protocol(protocol)
            .compression_option(gzip.then_some(Compression::Gzip))
            .build()
            .unwrap();
        exporter.set_resource(&Resource::new(service.to_owned(), []));
        exporter.export(spans).unwrap();
    }
}

pub fn trace_id(n: u8) -> TraceId {
    TraceId::from_bytes([n; 16])
}

pub fn span_id(n: u8) -> SpanId {
    SpanId::from_bytes([n; 8])
}

/// A fixed base time, so tests can order traces.
pub fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

/// A span of trace `t`, id `s`, under `parent`, from `start_ms` to `end_ms` (from `at`).
pub fn span(t: u8, s: u8, parent: Option<u8>, name: &str, start_ms: u64, end_ms: u64) -> SpanData {
    SpanData {
        name: name.to_owned().into(),
        kind: SpanKind::Internal,
        span_context: SpanContext::new(
            trace_id(t),
            span_id(s),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: parent.map(span_id),
        parent_is_remote: false,
        start_time: at(start_ms),
        end_time: at(end_ms),
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        status: Status::Unset,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
        scope: InstrumentationScope::default(),
    }
}

/// A span with one of everything: typed attributes, an event, a link, an error status.
pub fn rich_span(t: u8, s: u8, parent: Option<u8>) -> SpanData {
    let mut d = span(t, s, parent, "GET /orders/{id}", 10, 40);
    d.kind = SpanKind::Server;
    d.parent_is_remote = parent.is_some();
    d.attributes = vec![
        KeyValue::new("http.route", "/orders/{id}"),
        KeyValue::new("http.response.status_code", 503_i64),
        KeyValue::new("retry", true),
        KeyValue::new("ratio", 0.25),
        KeyValue::new("tags", trace_core::Array::Str(vec!["a".into(), "b".into()])),
    ];
    d.events = vec![Event {
        name: "cache miss".into(),
        time: at(20),
        attributes: vec![KeyValue::new("key", "order:42")],
        dropped_attributes_count: 0,
    }];
    d.links = vec![Link {
        span_context: SpanContext::new(
            trace_id(99),
            span_id(99),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        attributes: vec![KeyValue::new("why", "batch")],
        dropped_attributes_count: 0,
    }];
    d.status = Status::Error {
        description: "backend unavailable".into(),
    };
    d
}

/// A fresh path for a store file.
pub fn temp_store(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trace-view-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("spans.db")
}

pub fn hex_trace(n: u8) -> String {
    trace_id(n).to_string()
}
