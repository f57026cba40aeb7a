//! `init_from_env()` with real process environment variables: the OTLP
//! exporter against a scripted server, the file exporter, disabled SDK and
//! bad values. One test, since the environment and the tracer are global.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as PValue;
use opentelemetry_proto::tonic::common::v1::KeyValue as PKeyValue;
use prost::Message as _;
use support::{Reply, Server};
use trace_exporters::init_from_env;

const ALL: &[&str] = &[
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    "TRACED_EXPORTER_FILE_PATH",
];

fn set_env(vars: &[(&str, &str)]) {
    for name in ALL {
        std::env::remove_var(name);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

fn attributes(kvs: &[PKeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| {
            let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(PValue::StringValue(s)) => s.clone(),
                Some(PValue::IntValue(i)) => i.to_string(),
                Some(PValue::BoolValue(b)) => b.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), v)
        })
        .collect()
}

/// Threads of this process named `traced-batch` (Linux; 0 elsewhere).
fn batch_workers() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim() == "traced-batch")
        })
        .count()
}

#[test]
#[allow(clippy::too_many_lines, reason = "one test: the environment is global")]
fn init_from_env_honours_the_variables() {
    // --- OTLP: base endpoint, JSON, gzip, headers, resource, limits.
    let server = Server::start(|_, _| {
        Reply::status(200)
            .header("content-type", "application/json")
            .body("{}")
    });
    set_env(&[
        ("OTEL_SERVICE_NAME", "env-test"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=ci,team=a%2Cb",
        ),
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_TRACES_EXPORTER", "otlp"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://{}", server.addr()),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "1"),
    ]);
    let guard = init_from_env().expect("valid configuration");
    {
        let _span = trace_core::span("from-env")
            .attribute("a", 1i64)
            .attribute("b", 2i64)
            .start();
    }
    guard.shutdown().expect("shutdown");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v1/traces");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("x-api-key"), Some("s=cret"));
    let req: ExportTraceServiceRequest =
        serde_json::from_slice(&r.decoded_body()).expect("OTLP/JSON");
    let rs = &req.resource_spans[0];
    let res = attributes(&rs.resource.clone().unwrap_or_default().attributes);
    assert_eq!(res["service.name"], "env-test");
    assert_eq!(res["deployment.environment"], "ci");
    assert_eq!(res["team"], "a,b");
    assert_eq!(res["telemetry.sdk.language"], "rust");
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(span.name, "from-env");
    assert_eq!(
        span.attributes.len(),
        1,
        "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=1"
    );
    assert_eq!(span.dropped_attributes_count, 1);

    // --- The traces endpoint is used as is; protobuf by default.
    let server = Server::start(|_, _| {
        Reply::ok().body(ExportTraceServiceResponse::default().encode_to_vec())
    });
    set_env(&[(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        &format!("http://{}/custom/path", server.addr()),
    )]);
    let guard = init_from_env().expect("valid configuration");
    drop(trace_core::span("custom").start());
    guard.shutdown().expect("shutdown");
    let requests = server.requests();
    assert_eq!(requests[0].path, "/custom/path");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-protobuf")
    );
    let req = ExportTraceServiceRequest::decode(&requests[0].body[..]).expect("protobuf");
    assert_eq!(req.resource_spans[0].scope_spans[0].spans[0].name, "custom");
    // No OTEL_SERVICE_NAME: the specification's default names the executable.
    let res = attributes(
        &req.resource_spans[0]
            .resource
            .clone()
            .unwrap_or_default()
            .attributes,
    );
    assert!(
        res["service.name"].starts_with("unknown_service:init_from_env"),
        "{res:?}"
    );

    // --- The file exporter.
    let dir = std::env::temp_dir().join(format!("traced-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("spans.jsonl");
    set_env(&[
        ("OTEL_TRACES_EXPORTER", "file"),
        (
            "TRACED_EXPORTER_FILE_PATH",
            path.to_str().expect("utf-8 path"),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY", "10"),
    ]);
    let guard = init_from_env().expect("valid configuration");
    drop(trace_core::span("to-file").start());
    guard.shutdown().expect("shutdown");
    let text = std::fs::read_to_string(&path).expect("file written");
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains("\"name\":\"to-file\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);

    // --- Sampler from the environment: always_off records nothing.
    let server = Server::start(|_, _| Reply::ok());
    set_env(&[
        ("OTEL_TRACES_SAMPLER", "always_off"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://{}", server.addr()),
        ),
    ]);
    let guard = init_from_env().expect("valid configuration");
    drop(trace_core::span("unsampled").start());
    guard.shutdown().expect("shutdown");
    assert!(server.requests().is_empty());

    // --- OTEL_SDK_DISABLED: nothing is recorded or sent.
    set_env(&[
        ("OTEL_SDK_DISABLED", "true"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://{}", server.addr()),
        ),
    ]);
    let guard = init_from_env().expect("valid configuration");
    let span = trace_core::span("disabled").start();
    assert!(!span.is_recording());
    drop(span);
    guard.shutdown().expect("shutdown");
    std::thread::sleep(Duration::from_millis(50));
    assert!(server.requests().is_empty());

    // --- OTEL_SDK_DISABLED=true is a no-op install: other bad values cannot fail it, and
    // no worker thread starts (on main the bad sampler failed the setup).
    let workers_before = batch_workers();
    set_env(&[
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999"),
        ("OTEL_BSP_SCHEDULE_DELAY", "0"),
    ]);
    let guard = init_from_env().expect("disabled: nothing else is read");
    assert!(batch_workers() <= workers_before, "a worker thread started");
    let span = trace_core::span("disabled").start();
    assert!(!span.is_recording());
    drop(span);
    guard.shutdown().expect("shutdown");

    // --- A bad value is an error naming the variable; nothing is installed.
    set_env(&[("OTEL_TRACES_SAMPLER", "sometimes")]);
    let err = init_from_env().expect_err("bad sampler");
    assert_eq!(err.variable(), "OTEL_TRACES_SAMPLER");
    assert_eq!(err.value(), "sometimes");
    assert!(trace_core::Tracer::global().is_none());
    set_env(&[("OTEL_EXPORTER_OTLP_HEADERS", "bad name=v")]);
    let err = init_from_env().expect_err("bad header name");
    assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_HEADERS");
    set_env(&[]);
}
