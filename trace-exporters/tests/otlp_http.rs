//! The OTLP exporter against a scripted HTTP server on 127.0.0.1: what goes
//! on the wire, retries, Retry-After, errors, partial success, timeouts.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use support::spans::{assert_request, resource, sample_spans};
use support::{dead_addr, Reply, Server};
use trace_core::{ExportError, SpanExporter};
use trace_exporters::{Compression, OtlpExporter, OtlpExporterBuilder, Protocol, RetryConfig};

fn builder(url: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .endpoint(url)
        .timeout(Duration::from_secs(5))
        .retry(
            RetryConfig::default()
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(100)),
        )
}

fn build(b: OtlpExporterBuilder) -> OtlpExporter {
    let mut exporter = b.build().expect("valid exporter settings");
    exporter.set_resource(&resource());
    exporter
}

fn protobuf_ok() -> Reply {
    Reply::ok().body(ExportTraceServiceResponse::default().encode_to_vec())
}

#[test]
fn protobuf_request_on_the_wire() {
    let server = Server::start(|_, _| protobuf_ok());
    let exporter = build(
        builder(&server.url())
            .header("x-api-key", "secret")
            .header("X-Tenant", "a b"),
    );
    let spans = sample_spans();
    exporter.export(&spans).expect("export succeeds");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/traces");
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("x-api-key"), Some("secret"));
    assert_eq!(r.header("x-tenant"), Some("a b"));
    assert!(r
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("OTel-OTLP-Exporter-Rust")));
    let req = ExportTraceServiceRequest::decode(&r.body[..]).expect("protobuf body");
    assert_request(&req, &resource(), &spans);
    let stats = exporter.stats();
    assert_eq!(stats.exported_spans, spans.len() as u64);
    assert_eq!(
        (stats.failed_spans, stats.retries, stats.rejected_spans),
        (0, 0, 0)
    );
}

#[test]
fn json_and_gzip_on_the_wire() {
    let server = Server::start(|_, _| {
        Reply::status(200)
            .header("content-type", "application/json")
            .body("{}")
    });
    let exporter = build(
        builder(&server.url())
            .protocol(Protocol::HttpJson)
            .compression(Compression::Gzip),
    );
    let spans = sample_spans();
    exporter.export(&spans).expect("export succeeds");
    let requests = server.requests();
    let r = &requests[0];
    // Exactly this: some collectors reject a charset parameter.
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let body = r.decoded_body();
    assert!(body.len() > r.body.len(), "gzip made the body smaller");
    let req: ExportTraceServiceRequest = serde_json::from_slice(&body).expect("OTLP/JSON body");
    assert_request(&req, &resource(), &spans);
}

#[test]
fn gzip_protobuf_decodes() {
    let server = Server::start(|_, _| protobuf_ok());
    let exporter = build(builder(&server.url()).compression(Compression::Gzip));
    let spans = sample_spans();
    exporter.export(&spans).expect("export succeeds");
    let r = &server.requests()[0];
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let req = ExportTraceServiceRequest::decode(&r.decoded_body()[..]).expect("protobuf body");
    assert_request(&req, &resource(), &spans);
}

#[test]
fn retries_503_honouring_retry_after() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::status(503).header("retry-after", "1")
        } else {
            protobuf_ok()
        }
    });
    let exporter = build(builder(&server.url()));
    exporter
        .export(&sample_spans())
        .expect("second attempt succeeds");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The collector asked for a second; the backoff alone would be 20-100 ms.
    let gap = requests[1].received - requests[0].received;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(
        requests[0].body, requests[1].body,
        "the same payload is sent again"
    );
    assert_eq!(exporter.stats().retries, 1);
    assert_eq!(exporter.stats().exported_spans, 5);
}

#[test]
fn retries_429_502_504_with_backoff() {
    let server = Server::start(|n, _| match n {
        0 => Reply::status(429),
        1 => Reply::status(502),
        2 => Reply::status(504),
        _ => protobuf_ok(),
    });
    let exporter = build(builder(&server.url()));
    exporter
        .export(&sample_spans())
        .expect("fourth attempt succeeds");
    assert_eq!(server.requests().len(), 4);
    assert_eq!(exporter.stats().retries, 3);
}

#[test]
fn other_errors_are_not_retried() {
    for status in [301u16, 400, 401, 404, 413, 500] {
        let server = Server::start(move |_, _| {
            // google.rpc.Status { code: 3, message: "bad span" }
            let body = [
                0x08, 0x03, 0x12, 0x08, b'b', b'a', b'd', b' ', b's', b'p', b'a', b'n',
            ];
            Reply::status(status)
                .header("content-type", "application/x-protobuf")
                .body(body.to_vec())
        });
        let exporter = build(builder(&server.url()));
        let err = exporter.export(&sample_spans()).expect_err("error status");
        let text = err.to_string();
        assert!(text.contains(&status.to_string()), "{text}");
        assert!(
            text.contains("bad span"),
            "the collector's message is kept: {text}"
        );
        assert_eq!(server.requests().len(), 1, "status {status} was retried");
        assert_eq!(exporter.stats().failed_spans, 5);
        assert_eq!(exporter.stats().retries, 0);
    }
}

#[test]
fn partial_success_surfaces_the_rejected_count() {
    let server = Server::start(|_, _| {
        let response = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 2,
                error_message: "2 spans had empty names".to_owned(),
            }),
        };
        Reply::ok().body(response.encode_to_vec())
    });
    let exporter = build(builder(&server.url()));
    let err = exporter
        .export(&sample_spans())
        .expect_err("partial success is reported");
    assert_eq!(
        err,
        ExportError::Rejected {
            rejected: 2,
            message: "2 spans had empty names".to_owned()
        }
    );
    assert_eq!(server.requests().len(), 1, "partial success is not retried");
    let stats = exporter.stats();
    assert_eq!(
        (
            stats.exported_spans,
            stats.rejected_spans,
            stats.failed_spans
        ),
        (3, 2, 0)
    );
}

#[test]
fn partial_success_in_json() {
    let server = Server::start(|_, _| {
        Reply::status(200)
            .header("content-type", "application/json")
            .body(r#"{"partialSuccess":{"rejectedSpans":"1","errorMessage":"too old"}}"#)
    });
    let exporter = build(builder(&server.url()).protocol(Protocol::HttpJson));
    let err = exporter
        .export(&sample_spans())
        .expect_err("partial success");
    assert_eq!(
        err,
        ExportError::Rejected {
            rejected: 1,
            message: "too old".to_owned()
        }
    );
    assert_eq!(exporter.stats().rejected_spans, 1);
}

#[test]
fn collector_not_listening_fails_within_the_timeout() {
    let dead = dead_addr();
    let url = dead.url();
    let exporter = build(builder(&url).timeout(Duration::from_millis(700)));
    let start = Instant::now();
    let err = exporter
        .export(&sample_spans())
        .expect_err("nobody listens");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!err.to_string().is_empty());
    let stats = exporter.stats();
    assert!(
        stats.retries >= 1,
        "connection errors are retried: {stats:?}"
    );
    assert_eq!(stats.failed_spans, 5);
}

#[test]
fn slow_collector_is_cut_off_at_the_timeout() {
    let server = Server::start(|_, _| protobuf_ok().delay(Duration::from_secs(5)));
    let exporter = build(builder(&server.url()).timeout(Duration::from_millis(500)));
    let start = Instant::now();
    exporter.export(&sample_spans()).expect_err("too slow");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(exporter.stats().failed_spans, 5);
}

#[test]
fn retry_after_beyond_the_timeout_gives_up_at_once() {
    let server = Server::start(|_, _| Reply::status(503).header("retry-after", "60"));
    let exporter = build(builder(&server.url()).timeout(Duration::from_secs(2)));
    let start = Instant::now();
    let err = exporter
        .export(&sample_spans())
        .expect_err("cannot wait 60 s");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn absurd_retry_after_and_timeout_do_not_overflow() {
    let server =
        Server::start(|_, _| Reply::status(503).header("retry-after", "18446744073709551615"));
    let exporter = build(builder(&server.url()).timeout(Duration::MAX));
    let err = exporter
        .export(&sample_spans())
        .expect_err("cannot wait that long");
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn retry_after_as_http_date() {
    let server = Server::start(|n, _| {
        if n == 0 {
            // A date in the past: retry now.
            Reply::status(429).header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")
        } else {
            protobuf_ok()
        }
    });
    let exporter = build(builder(&server.url()));
    exporter.export(&sample_spans()).expect("retried");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn disabled_retries_make_one_attempt() {
    let server = Server::start(|_, _| Reply::status(503));
    let exporter = build(builder(&server.url()).retry(RetryConfig::disabled()));
    exporter.export(&sample_spans()).expect_err("503");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn shutdown_cuts_a_retry_wait_short() {
    let server = Server::start(|_, _| Reply::status(503).header("retry-after", "20"));
    let exporter = Arc::new(build(
        builder(&server.url()).timeout(Duration::from_secs(30)),
    ));
    let done = Arc::new(AtomicBool::new(false));
    let worker = {
        let exporter = Arc::clone(&exporter);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let result = exporter.export(&sample_spans());
            done.store(true, Ordering::SeqCst);
            result
        })
    };
    // Wait until the first attempt was answered, then shut down.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert!(!done.load(Ordering::SeqCst));
    let start = Instant::now();
    exporter.shutdown().expect("shutdown");
    let result = worker.join().expect("export thread");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(result.is_err());
    assert_eq!(server.requests().len(), 1);
    // After shutdown nothing is sent.
    assert_eq!(exporter.export(&sample_spans()), Err(ExportError::ShutDown));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn collector_coming_back_is_used_again() {
    let dead = dead_addr();
    let url = dead.url();
    let exporter = build(builder(&url).timeout(Duration::from_millis(300)));
    exporter
        .export(&sample_spans())
        .expect_err("collector down");
    let server = dead.revive(|_, _| protobuf_ok());
    exporter.export(&sample_spans()).expect("collector back");
    assert_eq!(server.requests().len(), 1);
    let stats = exporter.stats();
    assert_eq!((stats.failed_spans, stats.exported_spans), (5, 5));
}

#[test]
fn keeps_the_connection_alive_between_exports() {
    let server = Server::start(|_, _| protobuf_ok());
    let exporter = build(builder(&server.url()));
    for _ in 0..5 {
        exporter.export(&sample_spans()).expect("export");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert!(
        requests.iter().all(|r| r.connection == 0),
        "one connection for all exports"
    );
    assert_eq!(exporter.stats().exported_spans, 25);
}

#[test]
fn invalid_settings_are_config_errors() {
    let e = OtlpExporter::builder()
        .endpoint("localhost:4318")
        .build()
        .expect_err("no scheme");
    assert_eq!(e.variable(), "OtlpExporterBuilder::endpoint");
    assert_eq!(e.value(), "localhost:4318");
    let e = OtlpExporter::builder()
        .header("bad name", "v")
        .build()
        .expect_err("space in a header name");
    assert_eq!(e.variable(), "OtlpExporterBuilder::header");
    let e = OtlpExporter::builder()
        .header("x", "line\nbreak")
        .build()
        .expect_err("newline in a header value");
    assert_eq!(e.variable(), "OtlpExporterBuilder::header");
}

#[test]
fn debug_output_hides_header_values() {
    let builder = OtlpExporter::builder().header("x-api-key", "hunter2");
    let exporter = builder.clone().build().expect("valid");
    for text in [format!("{builder:?}"), format!("{exporter:?}")] {
        assert!(text.contains("x-api-key"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[test]
fn retry_after_zero_does_not_hammer_the_collector() {
    let server = Server::start(|_, _| Reply::status(503).header("retry-after", "0"));
    let exporter = build(
        builder(&server.url())
            .timeout(Duration::from_millis(600))
            .retry(RetryConfig::default().initial_backoff(Duration::from_millis(200))),
    );
    exporter.export(&sample_spans()).expect_err("always 503");
    // At least 100 ms between attempts: at most 6 attempts in 600 ms.
    let n = server.requests().len();
    assert!((1..=7).contains(&n), "{n} requests");
}
