//! OTLP/gRPC export (feature `grpc`) against a scripted tonic collector on 127.0.0.1: the
//! payload decoded with the official `opentelemetry-proto` messages and compared field by
//! field, metadata, gzip, `grpc-timeout`, partial success, and every retry and timeout case
//! of the OTLP specification's gRPC rules. Timing bounds are generous on purpose: they
//! tell "returned at the deadline" from "retried for the whole timeout", nothing finer.
#![cfg(feature = "grpc")]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use support::dead_addr;
use support::spans::{assert_request, resource, sample_spans};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};
use trace_core::{span, BatchConfig, ExportError, SpanData, SpanExporter, Tracer};
use trace_exporters::{Compression, OtlpExporter, OtlpExporterBuilder, Protocol, RetryConfig};

/// Held by the tests that install the global tracer (one at a time in a process).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One request as the collector received it.
#[derive(Clone, Debug)]
struct Received {
    metadata: tonic::metadata::MetadataMap,
    request: ExportTraceServiceRequest,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.metadata.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the collector does with request number `n` (0 for the first).
#[derive(Clone, Debug)]
enum Step {
    Answer(ExportTraceServiceResponse),
    Fail(Status),
    /// Never answers.
    Hang,
}

fn ok() -> Step {
    Step::Answer(ExportTraceServiceResponse::default())
}

type Script = Arc<dyn Fn(usize) -> Step + Send + Sync>;

#[derive(Clone)]
struct Service {
    script: Script,
    received: Arc<Mutex<Vec<Received>>>,
}

#[tonic::async_trait]
impl TraceService for Service {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let n = {
            let mut received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
            received.push(Received {
                metadata: request.metadata().clone(),
                request: request.get_ref().clone(),
                at: Instant::now(),
            });
            received.len() - 1
        };
        match (self.script)(n) {
            Step::Answer(response) => Ok(tonic::Response::new(response)),
            Step::Fail(status) => Err(status),
            Step::Hang => std::future::pending().await,
        }
    }
}

/// A tonic collector on 127.0.0.1 running `script`, on a runtime of its own; stops when
/// dropped.
struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Collector {
    fn start(script: impl Fn(usize) -> Step + Send + Sync + 'static) -> Self {
        Self::start_with(script, None)
    }

    fn start_with(
        script: impl Fn(usize) -> Step + Send + Sync + 'static,
        tls: Option<tonic::transport::ServerTlsConfig>,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let received = Arc::new(Mutex::new(Vec::new()));
        let service = Service {
            script: Arc::new(script),
            received: Arc::clone(&received),
        };
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let server = TraceServiceServer::new(service)
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip);
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).expect("server TLS settings");
        }
        let router = builder.add_service(server);
        runtime.spawn(
            router.serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        Self {
            addr,
            received,
            runtime: Some(runtime),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn builder(url: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .protocol(Protocol::Grpc)
        .endpoint(url)
        .timeout(Duration::from_secs(10))
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

fn n(batch: &[SpanData]) -> u64 {
    batch.len() as u64
}

/// `google.rpc.Status` with a `RetryInfo` detail, as `grpc-status-details-bin` carries it.
fn retry_info(code: Code, delay: Duration) -> Status {
    #[derive(Clone, PartialEq, Message)]
    struct ProtoDuration {
        #[prost(int64, tag = "1")]
        seconds: i64,
        #[prost(int32, tag = "2")]
        nanos: i32,
    }
    #[derive(Clone, PartialEq, Message)]
    struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        retry_delay: Option<ProtoDuration>,
    }
    #[derive(Clone, PartialEq, Message)]
    struct Any {
        #[prost(string, tag = "1")]
        type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        value: Vec<u8>,
    }
    #[derive(Clone, PartialEq, Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
        #[prost(message, repeated, tag = "3")]
        details: Vec<Any>,
    }
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: i64::try_from(delay.as_secs()).expect("seconds"),
            nanos: i32::try_from(delay.subsec_nanos()).expect("nanos"),
        }),
    };
    let status = RpcStatus {
        code: code as i32,
        message: "slow down".into(),
        details: vec![Any {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: info.encode_to_vec(),
        }],
    };
    Status::with_details(code, "slow down", status.encode_to_vec().into())
}

#[test]
fn the_payload_decodes_field_by_field_with_the_official_messages() {
    for compression in [None, Some(Compression::Gzip)] {
        let collector = Collector::start(|_| ok());
        let exporter = build(
            builder(&collector.url())
                .compression_option(compression)
                .header("x-api-key", "secret")
                .header("X-Tenant", "acme"),
        );
        let spans = sample_spans();
        exporter.export(&spans).expect("export");
        let received = collector.received();
        assert_eq!(received.len(), 1);
        let got = &received[0];
        assert_request(&got.request, &resource(), &spans);
        assert_eq!(got.header("x-api-key"), Some("secret"));
        assert_eq!(got.header("x-tenant"), Some("acme"));
        assert_eq!(
            got.header("grpc-encoding"),
            compression.map(|_| "gzip"),
            "{compression:?}"
        );
        let timeout = got.header("grpc-timeout").expect("grpc-timeout is sent");
        assert!(timeout.len() >= 2, "{timeout}");
        assert!(
            got.header("user-agent")
                .is_some_and(|ua| ua.starts_with("OTel-OTLP-Exporter-Rust-traced/")),
            "{:?}",
            got.header("user-agent")
        );
        let stats = exporter.stats();
        assert_eq!(
            (stats.exported_spans, stats.failed_spans, stats.retries),
            (n(&spans), 0, 0)
        );
        // The same bytes as OTLP/HTTP protobuf would send.
        let decoded =
            ExportTraceServiceRequest::decode(&exporter.encode(&spans)[..]).expect("protobuf body");
        assert_eq!(decoded, got.request);
    }
}

#[test]
fn the_default_endpoint_is_port_4317_without_a_path() {
    let exporter = OtlpExporter::builder()
        .protocol(Protocol::Grpc)
        .build()
        .expect("exporter");
    assert_eq!(exporter.endpoint(), "http://localhost:4317");
    assert_eq!(exporter.protocol(), Protocol::Grpc);
    assert_eq!(Protocol::Grpc.to_string(), "grpc");
}

#[test]
fn metadata_that_grpc_cannot_carry_is_a_config_error() {
    for (name, value) in [("bad key", "v"), ("x-bin", "v"), ("x-key", "line\nbreak")] {
        let e = builder("http://127.0.0.1:4317")
            .header(name, value)
            .build()
            .expect_err(name);
        assert_eq!(e.variable(), "OtlpExporterBuilder::header", "{e}");
        assert!(!e.to_string().contains("break"), "values stay out: {e}");
    }
    let e = builder("grpc://127.0.0.1:4317")
        .build()
        .expect_err("scheme");
    assert_eq!(e.variable(), "OtlpExporterBuilder::endpoint");
}

#[test]
fn unavailable_then_ok_is_retried() {
    let collector = Collector::start(|n| {
        if n == 0 {
            Step::Fail(Status::unavailable("warming up"))
        } else {
            ok()
        }
    });
    let exporter = build(builder(&collector.url()));
    let spans = sample_spans();
    exporter.export(&spans).expect("second attempt succeeds");
    let received = collector.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].request, received[1].request, "the same payload");
    let stats = exporter.stats();
    assert_eq!(
        (stats.exported_spans, stats.failed_spans, stats.retries),
        (n(&spans), 0, 1)
    );
}

#[test]
fn every_retryable_code_of_the_specification_is_retried() {
    for code in [
        Code::Cancelled,
        Code::DeadlineExceeded,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unavailable,
        Code::DataLoss,
    ] {
        let collector = Collector::start(move |n| {
            if n == 0 {
                Step::Fail(Status::new(code, "again"))
            } else {
                ok()
            }
        });
        let exporter = build(builder(&collector.url()));
        exporter.export(&sample_spans()).expect("retried");
        assert_eq!(collector.received().len(), 2, "{code:?}");
        assert_eq!(exporter.stats().retries, 1, "{code:?}");
    }
}

#[test]
fn resource_exhausted_with_retry_info_waits_the_delay_it_gives() {
    let collector = Collector::start(|n| {
        if n == 0 {
            Step::Fail(retry_info(
                Code::ResourceExhausted,
                Duration::from_millis(400),
            ))
        } else {
            ok()
        }
    });
    // The backoff alone would retry after 10-20 ms.
    let exporter = build(builder(&collector.url()));
    exporter
        .export(&sample_spans())
        .expect("retried after the delay");
    let received = collector.received();
    assert_eq!(received.len(), 2);
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(exporter.stats().retries, 1);
}

#[test]
fn a_retry_info_delay_past_the_timeout_is_not_waited() {
    let collector =
        Collector::start(|_| Step::Fail(retry_info(Code::Unavailable, Duration::from_secs(60))));
    let exporter = build(builder(&collector.url()).timeout(Duration::from_secs(2)));
    let started = Instant::now();
    let e = exporter.export(&sample_spans()).expect_err("gives up");
    assert!(started.elapsed() < Duration::from_secs(1), "{e}");
    assert!(e.to_string().contains("UNAVAILABLE"), "{e}");
    assert!(e.to_string().contains("would pass"), "{e}");
    assert_eq!(collector.received().len(), 1);
}

#[test]
fn final_codes_are_not_retried() {
    for status in [
        Status::resource_exhausted("quota, and no RetryInfo"),
        Status::unimplemented("no traces here"),
        Status::unauthenticated("who are you"),
        Status::permission_denied("no"),
        Status::invalid_argument("bad spans"),
        Status::internal("oops"),
        Status::unknown("?"),
    ] {
        let code = status.code();
        let collector = Collector::start(move |_| Step::Fail(status.clone()));
        let exporter = build(builder(&collector.url()));
        let spans = sample_spans();
        let e = exporter.export(&spans).expect_err("a final answer");
        assert_eq!(collector.received().len(), 1, "{code:?} was retried");
        let name = format!("{code:?}");
        assert!(
            e.to_string()
                .replace('_', "")
                .to_lowercase()
                .contains(&name.to_lowercase()),
            "{code:?}: {e}"
        );
        let stats = exporter.stats();
        assert_eq!(
            (stats.exported_spans, stats.failed_spans, stats.retries),
            (0, n(&spans), 0),
            "{code:?}"
        );
    }
}

#[test]
fn a_partial_success_is_surfaced_and_counted() {
    let collector = Collector::start(|_| {
        Step::Answer(ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 2,
                error_message: "2 spans too old".into(),
            }),
        })
    });
    let exporter = build(builder(&collector.url()));
    let spans = sample_spans();
    match exporter.export(&spans) {
        Err(ExportError::Rejected { rejected, message }) => {
            assert_eq!((rejected, message.as_str()), (2, "2 spans too old"));
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let stats = exporter.stats();
    assert_eq!(
        (
            stats.exported_spans,
            stats.rejected_spans,
            stats.failed_spans
        ),
        (n(&spans) - 2, 2, 0)
    );
}

#[test]
fn a_collector_that_never_answers_is_bounded_by_the_timeout() {
    let collector = Collector::start(|_| Step::Hang);
    let exporter = build(builder(&collector.url()).timeout(Duration::from_millis(800)));
    let started = Instant::now();
    let e = exporter.export(&sample_spans()).expect_err("no answer");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700), "{took:?}: {e}");
    assert!(took < Duration::from_secs(3), "{took:?}: {e}");
    assert_eq!(exporter.stats().failed_spans, n(&sample_spans()));
}

#[test]
fn a_deadline_is_honoured_with_a_collector_that_never_answers() {
    let collector = Collector::start(|_| Step::Hang);
    let exporter = build(builder(&collector.url()));
    let started = Instant::now();
    let result = exporter.export_until(&sample_spans(), started + Duration::from_millis(300));
    let took = started.elapsed();
    assert!(result.is_err());
    assert!(
        took < Duration::from_secs(2),
        "own 10 s timeout used: {took:?}"
    );
}

#[test]
fn a_socket_that_never_speaks_http2_is_bounded_too() {
    // Accepts connections and never reads or answers: the HTTP/2 handshake itself hangs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held = thread::spawn(move || {
        let mut streams = Vec::new();
        listener.set_nonblocking(true).expect("nonblocking");
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok((s, _)) = listener.accept() {
                streams.push(s);
            }
            thread::sleep(Duration::from_millis(5));
        }
    });
    let exporter = build(builder(&format!("http://{addr}")).timeout(Duration::from_millis(600)));
    let started = Instant::now();
    assert!(exporter.export(&sample_spans()).is_err());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    drop(exporter);
    held.join().expect("listener thread");
}

#[test]
fn a_refused_connection_is_retried_within_the_timeout_but_not_at_a_deadline() {
    let dead = dead_addr();
    let url = format!("http://{}", dead.addr());
    // A plain export retries (the collector may be starting) until its timeout.
    let exporter = build(builder(&url).timeout(Duration::from_millis(600)));
    let started = Instant::now();
    let e = exporter.export(&sample_spans()).expect_err("refused");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(exporter.stats().retries >= 1, "{e}");
    // With a deadline (flush, shutdown) it is reported at once.
    let exporter = build(builder(&url));
    let started = Instant::now();
    let e = exporter
        .export_until(&sample_spans(), started + Duration::from_secs(5))
        .expect_err("refused");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(e.to_string().contains("not there"), "{e}");
    assert_eq!(exporter.stats().retries, 0);
}

/// An export in progress, retrying a collector that answers UNAVAILABLE, stops at the
/// deadline of a shutdown that begins meanwhile (`begin_shutdown`, as OTLP/HTTP): the
/// shutdown does not wait out the exporter's 10 s of retries.
#[test]
fn a_shutdown_cuts_short_the_retries_of_an_export_in_progress() {
    let _serial = serial();
    let collector = Collector::start(|_| Step::Fail(Status::unavailable("down")));
    let exporter = build(
        builder(&collector.url()).retry(
            RetryConfig::default()
                .initial_backoff(Duration::from_millis(500))
                .max_backoff(Duration::from_secs(5)),
        ),
    );
    let stats = exporter.stats_handle();
    let guard = Tracer::builder()
        .exporter(exporter)
        .batch_config(
            BatchConfig::default()
                .with_max_export_batch_size(8)
                .with_scheduled_delay(Duration::from_millis(1))
                .with_export_timeout(Duration::from_secs(1)),
        )
        .install_global();
    let tracer = guard.tracer();
    for _ in 0..100 {
        drop(span("unavailable").start());
    }
    thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert!(result.is_err(), "the collector is down: {result:?}");
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert_eq!(
        tracer.exported_spans() + tracer.failed_spans() + tracer.dropped_spans(),
        100
    );
    assert_eq!(stats.stats().exported_spans, 0);
}

/// A shutdown while an attempt waits on a collector that never answers: the attempt is
/// given up at the shutdown's deadline, not at the exporter's 10 s timeout.
#[test]
fn a_shutdown_cuts_short_an_attempt_in_flight() {
    let _serial = serial();
    let collector = Collector::start(|_| Step::Hang);
    let exporter = build(builder(&collector.url()));
    let guard = Tracer::builder()
        .exporter(exporter)
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_millis(1))
                .with_export_timeout(Duration::from_millis(500)),
        )
        .install_global();
    drop(span("hangs").start());
    thread::sleep(Duration::from_millis(200));
    assert_eq!(collector.received().len(), 1, "the attempt is in flight");
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert!(result.is_err());
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
}

#[test]
fn the_pipeline_exports_with_and_without_an_application_runtime() {
    let _serial = serial();
    let collector = Collector::start(|_| ok());
    let received = || {
        collector
            .received()
            .iter()
            .map(|r| {
                r.request.resource_spans[0].scope_spans[0]
                    .spans
                    .iter()
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .concat()
    };

    // No runtime at all: the batch worker drives the exporter's own.
    let exporter = build(builder(&collector.url()));
    let guard = Tracer::builder().exporter(exporter).install_global();
    drop(span("no-runtime").start());
    guard.shutdown().expect("shutdown");

    // Inside a current-thread runtime, with the simple exporter sending on the runtime's
    // only thread: no "no reactor running", no "runtime within a runtime", no deadlock.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = collector.url();
    let sent = runtime.block_on(async move {
        let exporter = build(builder(&url));
        let stats = exporter.stats_handle();
        let guard = Tracer::builder().simple_exporter(exporter).install_global();
        for _ in 0..3 {
            let _span = span("current-thread").start();
            tokio::task::yield_now().await;
        }
        guard.shutdown().expect("shutdown");
        stats.stats().exported_spans
    });
    assert_eq!(sent, 3);

    // Inside a multi-thread runtime, batched, the exporter built and dropped in async code.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = collector.url();
    runtime.block_on(async move {
        let exporter = build(builder(&url));
        let guard = Tracer::builder().exporter(exporter).install_global();
        let task = tokio::spawn(async {
            let _span = span("multi-thread").start();
        });
        task.await.expect("task");
        guard.force_flush().expect("flush");
        guard.shutdown().expect("shutdown");
    });
    let names = received();
    assert_eq!(
        names.iter().filter(|n| *n == "no-runtime").count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| *n == "current-thread").count(),
        3,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| *n == "multi-thread").count(),
        1,
        "{names:?}"
    );
}

#[test]
fn exports_after_shutdown_fail_and_count() {
    let collector = Collector::start(|_| ok());
    let exporter = build(builder(&collector.url()));
    exporter.shutdown().expect("shutdown");
    let spans = sample_spans();
    assert!(matches!(
        exporter.export(&spans),
        Err(ExportError::ShutDown)
    ));
    assert_eq!(exporter.stats().failed_spans, n(&spans));
    assert!(collector.received().is_empty());
}

#[test]
fn many_exports_in_a_row() {
    let collector = Collector::start(|_| ok());
    let exporter = build(builder(&collector.url()));
    for _ in 0..20 {
        exporter.export(&sample_spans()).expect("export");
    }
    assert_eq!(collector.received().len(), 20);
    assert_eq!(exporter.stats().exported_spans, 20 * n(&sample_spans()));
}

/// `init_from_env()` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`: the base endpoint used as it
/// is, headers as metadata, gzip.
#[test]
fn init_from_env_exports_over_grpc() {
    let _serial = serial();
    let collector = Collector::start(|_| ok());
    let vars = [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret".to_owned()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
        ("OTEL_SERVICE_NAME", "grpc-env".to_owned()),
    ];
    for (k, v) in &vars {
        std::env::set_var(k, v);
    }
    let guard = trace_exporters::init_from_env();
    for (k, _) in &vars {
        std::env::remove_var(k);
    }
    let guard = guard.expect("valid settings");
    drop(span("from-env").start());
    guard.shutdown().expect("shutdown");
    let received = collector.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("x-api-key"), Some("secret"));
    assert_eq!(received[0].header("grpc-encoding"), Some("gzip"));
    let rs = &received[0].request.resource_spans[0];
    assert_eq!(rs.scope_spans[0].spans[0].name, "from-env");
    let service = rs
        .resource
        .as_ref()
        .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
        .and_then(|kv| kv.value.clone())
        .and_then(|v| v.value);
    assert_eq!(
        service,
        Some(
            opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                "grpc-env".into()
            )
        )
    );
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};

    /// PEM documents of a certificate authority and two leaves it signed.
    #[allow(clippy::struct_field_names)]
    struct Pki {
        ca_pem: String,
        server_pem: String,
        server_key_pem: String,
        client_pem: String,
        client_key_pem: String,
    }

    fn pki() -> Pki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        let client_key = KeyPair::generate().expect("client key");
        let client = CertificateParams::new(vec!["client.test".to_owned()])
            .expect("client params")
            .signed_by(&client_key, &ca, &ca_key)
            .expect("client certificate");
        Pki {
            ca_pem: ca.pem(),
            server_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_pem: client.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    #[test]
    fn https_with_a_private_authority_and_a_client_certificate() {
        let pki = pki();
        let tls = ServerTlsConfig::new()
            .identity(Identity::from_pem(&pki.server_pem, &pki.server_key_pem))
            .client_ca_root(Certificate::from_pem(&pki.ca_pem));
        let collector = Collector::start_with(|_| ok(), Some(tls));
        let url = format!("https://localhost:{}", collector.addr.port());
        let spans = sample_spans();

        // The bundled web roots do not trust the private authority: no retry helps.
        let untrusted = build(builder(&url).timeout(Duration::from_millis(500)));
        assert!(untrusted.export(&spans).is_err());

        let exporter = build(
            builder(&url)
                .root_certificates_pem(pki.ca_pem.clone())
                .client_identity_pem(pki.client_pem.clone(), pki.client_key_pem.clone()),
        );
        exporter.export(&spans).expect("export over TLS");
        let received = collector.received();
        assert_eq!(received.len(), 1);
        assert_request(&received[0].request, &resource(), &spans);
    }

    #[test]
    fn pem_that_is_not_pem_is_a_config_error() {
        let e = builder("https://localhost:4317")
            .root_certificates_pem("not a certificate")
            .build()
            .expect_err("bad PEM");
        assert_eq!(e.variable(), "OtlpExporterBuilder::root_certificates_pem");
    }
}
