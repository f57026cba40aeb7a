#![allow(missing_docs)] // criterion_group! generates an undocumented fn
//! Cost of getting spans out of the process over OTLP, ours against the OpenTelemetry SDK.
//!
//! - `encode/*`: one batch of 512 typical spans encoded as an OTLP `ExportTraceServiceRequest`,
//!   protobuf and JSON. Ours is `OtlpExporter::encode` (hand-written encoders straight from
//!   `SpanData`); the peer is what `opentelemetry-otlp`'s HTTP exporter runs for a batch:
//!   `opentelemetry-proto`'s `group_spans_by_resource_and_scope` (SDK `SpanData` to the
//!   generated messages) followed by prost `encode_to_vec` or `serde_json::to_vec`.
//! - `end_to_end`: spans/s through the whole pipeline (spans created and ended, batched,
//!   encoded, sent) into minimal receivers on 127.0.0.1, gzip off and on: OTLP/HTTP
//!   protobuf (a hand-written HTTP/1.1 server) and OTLP/gRPC (a tonic server that takes the
//!   message as bytes, undecoded, as the HTTP one does), the same spans in one run; and the
//!   same spans through the OpenTelemetry SDK (`SdkTracerProvider`, its `BatchSpanProcessor`
//!   with the same queue of 32 768 and batches of 512) and `opentelemetry-otlp`'s tonic
//!   `SpanExporter` into the same gRPC receiver. Both receivers count the spans that arrive
//!   (walking the protobuf message), and the `end_to_end` table is spans arrived per second.
//!
//! `cargo bench -p benches --bench export` prints criterion's figures and two summary tables
//! (end to end: spans/s; encoding: ns per span) for BENCHMARKS.md.

use benches::count_spans;
use std::borrow::Cow;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use opentelemetry::trace::{
    Event as OEvent, SpanContext as OSpanContext, SpanId as OSpanId, SpanKind as OSpanKind,
    Status as OStatus, TraceFlags as OTraceFlags, TraceId as OTraceId, TraceState as OTraceState,
};
use opentelemetry::{InstrumentationScope as OScope, KeyValue as OKeyValue};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::trace::{SpanData as OSpanData, SpanEvents, SpanLinks};
use prost::Message as _;
use trace_core::{
    BatchConfig, Event, InstrumentationScope, KeyValue, Resource, SpanContext, SpanData, SpanId,
    SpanKind, Status, TraceFlags, TraceId, TraceState, Tracer,
};
use trace_exporters::{Compression, OtlpExporter, Protocol};

const BATCH: usize = 512;
const SERVICE: &str = "bench-service";

// ------------------------------------------------------------------ the same spans, twice

/// One "typical" span: server or client, six attributes, every other span an event.
struct Shape {
    trace: [u8; 16],
    span: [u8; 8],
    parent: Option<[u8; 8]>,
    name: &'static str,
    server: bool,
    start: SystemTime,
    end: SystemTime,
    event: bool,
    error: bool,
}

fn shapes() -> Vec<Shape> {
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    (0..BATCH)
        .map(|i| {
            let n = u64::try_from(i).unwrap_or(0);
            let mut trace = [0u8; 16];
            trace[..8].copy_from_slice(&(n / 8 + 1).to_be_bytes());
            trace[8..].copy_from_slice(&0x5b8e_fff7_9803_8103u64.to_be_bytes());
            let span = (n + 1).to_be_bytes();
            let parent = (i % 8 != 0).then(|| (n - n % 8 + 1).to_be_bytes());
            Shape {
                trace,
                span,
                parent,
                name: if i % 8 == 0 {
                    "GET /api/users/{id}"
                } else {
                    "SELECT users"
                },
                server: i % 8 == 0,
                start: base + Duration::from_micros(n * 10),
                end: base + Duration::from_micros(n * 10 + 7),
                event: i % 2 == 0,
                error: i % 16 == 5,
            }
        })
        .collect()
}

fn ours(shapes: &[Shape]) -> Vec<SpanData> {
    shapes
        .iter()
        .map(|s| SpanData {
            name: Cow::Borrowed(s.name),
            kind: if s.server {
                SpanKind::Server
            } else {
                SpanKind::Client
            },
            span_context: SpanContext {
                trace_id: TraceId::from_bytes(s.trace),
                span_id: SpanId::from_bytes(s.span),
                trace_flags: TraceFlags::SAMPLED,
                trace_state: TraceState::default(),
                is_remote: false,
            },
            parent_span_id: s.parent.map(SpanId::from_bytes),
            parent_is_remote: false,
            start_time: s.start,
            end_time: s.end,
            attributes: vec![
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("url.path", "/api/users/42"),
                KeyValue::new("http.response.status_code", 200i64),
                KeyValue::new("user.id", 42i64),
                KeyValue::new("cache.hit", false),
                KeyValue::new("db.rows", 3.0f64),
            ],
            events: if s.event {
                vec![Event {
                    name: Cow::Borrowed("cache.miss"),
                    time: s.start + Duration::from_micros(2),
                    attributes: vec![KeyValue::new("cache.key", "user:42")],
                    dropped_attributes_count: 0,
                }]
            } else {
                Vec::new()
            },
            links: Vec::new(),
            status: if s.error {
                Status::Error {
                    description: Cow::Borrowed("connection reset by peer"),
                }
            } else {
                Status::Unset
            },
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
            scope: InstrumentationScope {
                name: Cow::Borrowed("bench"),
                version: Some(Cow::Borrowed("1.0.0")),
            },
        })
        .collect()
}

fn peers(shapes: &[Shape]) -> Vec<OSpanData> {
    let scope = OScope::builder("bench").with_version("1.0.0").build();
    shapes
        .iter()
        .map(|s| {
            let mut events = SpanEvents::default();
            if s.event {
                events.events.push(OEvent::new(
                    "cache.miss",
                    s.start + Duration::from_micros(2),
                    vec![OKeyValue::new("cache.key", "user:42")],
                    0,
                ));
            }
            OSpanData {
                span_context: OSpanContext::new(
                    OTraceId::from_bytes(s.trace),
                    OSpanId::from_bytes(s.span),
                    OTraceFlags::SAMPLED,
                    false,
                    OTraceState::default(),
                ),
                parent_span_id: s.parent.map_or(OSpanId::INVALID, OSpanId::from_bytes),
                parent_span_is_remote: false,
                span_kind: if s.server {
                    OSpanKind::Server
                } else {
                    OSpanKind::Client
                },
                name: Cow::Borrowed(s.name),
                start_time: s.start,
                end_time: s.end,
                attributes: vec![
                    OKeyValue::new("http.request.method", "GET"),
                    OKeyValue::new("url.path", "/api/users/42"),
                    OKeyValue::new("http.response.status_code", 200i64),
                    OKeyValue::new("user.id", 42i64),
                    OKeyValue::new("cache.hit", false),
                    OKeyValue::new("db.rows", 3.0f64),
                ],
                dropped_attributes_count: 0,
                events,
                links: SpanLinks::default(),
                status: if s.error {
                    OStatus::error("connection reset by peer")
                } else {
                    OStatus::Unset
                },
                instrumentation_scope: scope.clone(),
            }
        })
        .collect()
}

fn our_resource() -> Resource {
    Resource::new(SERVICE, [KeyValue::new("deployment.environment", "bench")])
}

fn peer_resource() -> ResourceAttributesWithSchema {
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_service_name(SERVICE)
        .with_attributes([
            OKeyValue::new("telemetry.sdk.name", "traced"),
            OKeyValue::new("telemetry.sdk.language", "rust"),
            OKeyValue::new("telemetry.sdk.version", "0.1.0"),
            OKeyValue::new("deployment.environment", "bench"),
        ])
        .build();
    ResourceAttributesWithSchema::from(&resource)
}

fn exporter(protocol: Protocol) -> OtlpExporter {
    use trace_core::SpanExporter as _;
    let mut exporter = OtlpExporter::builder()
        .protocol(protocol)
        .build()
        .expect("default settings are valid");
    exporter.set_resource(&our_resource());
    exporter
}

fn peer_request(
    spans: Vec<OSpanData>,
    resource: &ResourceAttributesWithSchema,
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(spans, resource),
    }
}

// ------------------------------------------------------------------------- encoding

fn encode(c: &mut Criterion) {
    let shapes = shapes();
    let spans = ours(&shapes);
    let peer_spans = peers(&shapes);
    let resource = peer_resource();
    let proto = exporter(Protocol::HttpProtobuf);
    let json = exporter(Protocol::HttpJson);

    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(BATCH as u64));
    // Both sides consume the batch (an exporter drops it after sending), so dropping the
    // 512 spans is inside the timing for both.
    g.bench_function("protobuf/traced", |b| {
        b.iter_batched(
            || spans.clone(),
            |batch| black_box(proto.encode(&batch)),
            BatchSize::LargeInput,
        );
    });
    g.bench_function("protobuf/opentelemetry-otlp", |b| {
        b.iter_batched(
            || peer_spans.clone(),
            |batch| black_box(peer_request(batch, &resource).encode_to_vec()),
            BatchSize::LargeInput,
        );
    });
    g.bench_function("json/traced", |b| {
        b.iter_batched(
            || spans.clone(),
            |batch| black_box(json.encode(&batch)),
            BatchSize::LargeInput,
        );
    });
    g.bench_function("json/opentelemetry-otlp", |b| {
        b.iter_batched(
            || peer_spans.clone(),
            |batch| {
                black_box(
                    serde_json::to_vec(&peer_request(batch, &resource)).expect("serializable"),
                )
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

// ----------------------------------------------------------------------- end to end

/// Spans that reached a receiver (either one), counted from the messages themselves, so a
/// pipeline that drops spans is measured by what arrived, not by what was produced.
static RECEIVED: AtomicU64 = AtomicU64::new(0);

/// A minimal OTLP/HTTP receiver: reads each request (gunzipping a gzip body, as the gRPC
/// receiver must), counts its spans and answers 200 with an empty body.
fn receiver() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

fn serve(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut body = Vec::new();
    let mut plain = Vec::new();
    loop {
        let mut len = 0usize;
        let mut gzip = false;
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("content-encoding") && v.trim() == "gzip" {
                    gzip = true;
                }
            }
        }
        body.resize(len, 0);
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let message = if gzip {
            plain.clear();
            if flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .is_err()
            {
                return;
            }
            &plain
        } else {
            &body
        };
        RECEIVED.fetch_add(count_spans(message).unwrap_or(0), Ordering::Relaxed);
        let reply =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(reply).is_err() {
            return;
        }
    }
}

/// The bytes of a gRPC message, undecoded: what the gRPC receiver takes and answers.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = bytes::Bytes;
    type Decode = bytes::Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = bytes::Bytes;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: bytes::Bytes,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put(dst, item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = bytes::Bytes;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<bytes::Bytes>, tonic::Status> {
        let n = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, n)))
    }
}

/// A minimal OTLP/gRPC receiver: `TraceService/Export` taking the request as bytes (tonic
/// gunzips a compressed one), counting its spans and answering an empty
/// `ExportTraceServiceResponse`, on a one-worker runtime of its own.
fn grpc_receiver() -> SocketAddr {
    use std::convert::Infallible;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    #[derive(Clone)]
    struct Export;
    impl tonic::server::NamedService for Export {
        const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    }
    struct Unary;
    impl tonic::server::UnaryService<bytes::Bytes> for Unary {
        type Response = bytes::Bytes;
        type Future = std::future::Ready<Result<tonic::Response<bytes::Bytes>, tonic::Status>>;
        fn call(&mut self, request: tonic::Request<bytes::Bytes>) -> Self::Future {
            RECEIVED.fetch_add(
                count_spans(request.get_ref()).unwrap_or(0),
                Ordering::Relaxed,
            );
            std::future::ready(Ok(tonic::Response::new(bytes::Bytes::new())))
        }
    }
    impl tower::Service<http::Request<tonic::body::Body>> for Export {
        type Response = http::Response<tonic::body::Body>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
            Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(RawCodec)
                    .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
                Ok(grpc.unary(Unary, req).await)
            })
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        runtime.block_on(
            tonic::transport::Server::builder()
                .add_service(Export)
                .serve_with_incoming(
                    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
                ),
        )
    });
    addr
}

/// The spans every pipeline produces: a server span with two attributes, created and ended
/// on the calling thread.
const SPAN_NAME: &str = "GET /api/users/{id}";
/// Spans per run: under the 16 384 spans one producer thread's ring holds in trace-core
/// (`RING_CAPACITY_MAX`, whatever `max_queue_size` is), so a run fills neither pipeline's
/// queue; at 20 000 ours dropped about a tenth of each run. The table counts arrivals anyway.
const SPANS: u64 = 16_000;
const QUEUE: usize = 32_768;

/// `n` spans created and ended on this thread, then a flush that returns once the receiver
/// has answered for all of them.
fn run_pipeline(n: u64) {
    for i in 0..n {
        let _span = trace_core::span(SPAN_NAME)
            .kind(SpanKind::Server)
            .start_with(|a| {
                a.set("http.request.method", "GET");
                a.set("user.id", &i);
            });
    }
    trace_core::force_flush().expect("the receiver answers");
}

/// The same through the OpenTelemetry SDK: the spans are started with their kind and
/// attributes (as its docs recommend, so a sampler sees them) and ended; `force_flush` makes
/// the `BatchSpanProcessor` export what is queued and returns when the exporter has.
fn run_peer_pipeline(
    provider: &opentelemetry_sdk::trace::SdkTracerProvider,
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    n: u64,
) {
    use opentelemetry::trace::{Span as _, Tracer as _};
    for i in 0..n {
        let mut span = tracer
            .span_builder(SPAN_NAME)
            .with_kind(OSpanKind::Server)
            .with_attributes([
                OKeyValue::new("http.request.method", "GET"),
                OKeyValue::new("user.id", i64::try_from(i).unwrap_or(i64::MAX)),
            ])
            .start(tracer);
        span.end();
    }
    provider.force_flush().expect("the receiver answers");
}

/// `opentelemetry-otlp`'s tonic exporter behind the SDK's `BatchSpanProcessor`, set up as the
/// crate's docs say for a program without `#[tokio::main]`: the exporter and the provider are
/// built inside `runtime.block_on` (tonic's channel lives on that runtime); the processor
/// exports from its own thread. The batch settings are set in code (`BatchConfigBuilder`),
/// which overrides any `OTEL_BSP_*` variable.
fn peer_provider(
    runtime: &tokio::runtime::Runtime,
    endpoint: String,
    gzip: bool,
) -> opentelemetry_sdk::trace::SdkTracerProvider {
    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
    use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
    runtime.block_on(async {
        let mut builder = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint);
        if gzip {
            builder = builder.with_compression(opentelemetry_otlp::Compression::Gzip);
        }
        let exporter = builder.build().expect("exporter");
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_queue_size(QUEUE)
                    .with_max_export_batch_size(BATCH)
                    .build(),
            )
            .build();
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name(SERVICE)
                    .build(),
            )
            .build()
    })
}

/// One `end_to_end` row: the time of every run criterion made (warm-up included) and the
/// spans produced and arrived in them.
struct Row {
    label: &'static str,
    time: Duration,
    produced: u64,
    arrived: u64,
}

impl Row {
    fn new(label: &'static str) -> Self {
        Row {
            label,
            time: Duration::ZERO,
            produced: 0,
            arrived: 0,
        }
    }

    /// Runs `run` (which produces `SPANS` spans and flushes) `iters` times, adding up the
    /// time and the spans the receivers counted meanwhile.
    fn measure(&mut self, iters: u64, mut run: impl FnMut()) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let before = RECEIVED.load(Ordering::Relaxed);
            let start = Instant::now();
            run();
            total += start.elapsed();
            self.arrived += RECEIVED.load(Ordering::Relaxed) - before;
            self.produced += SPANS;
        }
        self.time += total;
        total
    }

    #[allow(clippy::cast_precision_loss)]
    fn per_second(&self) -> f64 {
        self.arrived as f64 / self.time.as_secs_f64()
    }
}

fn end_to_end(c: &mut Criterion) {
    let addr = receiver();
    let grpc_addr = grpc_receiver();
    let mut rows = Vec::new();
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(SPANS));
    g.sample_size(10);
    for (label, protocol, compression) in [
        ("protobuf", Protocol::HttpProtobuf, None),
        (
            "protobuf+gzip",
            Protocol::HttpProtobuf,
            Some(Compression::Gzip),
        ),
        ("grpc", Protocol::Grpc, None),
        ("grpc+gzip", Protocol::Grpc, Some(Compression::Gzip)),
    ] {
        let endpoint = match protocol {
            Protocol::Grpc => format!("http://{grpc_addr}"),
            _ => format!("http://{addr}/v1/traces"),
        };
        let exporter = OtlpExporter::builder()
            .endpoint(endpoint)
            .protocol(protocol)
            .compression_option(compression)
            .build()
            .expect("exporter");
        let stats = exporter.stats_handle();
        let guard = Tracer::builder()
            .service_name(SERVICE)
            .exporter(exporter)
            .batch_config(BatchConfig::default().with_max_queue_size(QUEUE))
            .install_global();
        let mut row = Row::new(label);
        g.bench_function(label, |b| {
            b.iter_custom(|iters| row.measure(iters, || run_pipeline(SPANS)));
        });
        guard.shutdown().expect("shutdown");
        assert_eq!(stats.stats().failed_spans, 0, "every export was accepted");
        rows.push(row);
    }

    // The peer's tonic channel runs on this runtime (a multi-thread one, as `Runtime::new()`
    // in opentelemetry-otlp's docs); its exports are driven by the processor's thread.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (label, gzip) in [
        ("opentelemetry-otlp/grpc", false),
        ("opentelemetry-otlp/grpc+gzip", true),
    ] {
        use opentelemetry::trace::TracerProvider as _;
        let provider = peer_provider(&runtime, format!("http://{grpc_addr}"), gzip);
        let tracer = provider.tracer("bench");
        let mut row = Row::new(label);
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                row.measure(iters, || run_peer_pipeline(&provider, &tracer, SPANS))
            });
        });
        provider.shutdown().expect("shutdown");
        rows.push(row);
    }
    g.finish();
    drop(runtime);
    print_end_to_end(&rows);
}

/// The table for BENCHMARKS.md: spans arrived per second over every run criterion made, and
/// each of ours against the peer's gRPC row with the same compression.
fn print_end_to_end(rows: &[Row]) {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.produced > 0).collect();
    if rows.is_empty() {
        return;
    }
    let peer = |gzip: bool| {
        rows.iter()
            .find(|r| {
                r.label.starts_with("opentelemetry-otlp") && r.label.ends_with("gzip") == gzip
            })
            .map(|r| r.per_second())
    };
    println!();
    println!("OTLP end to end, {SPANS} spans per run, spans arrived at the receiver per second");
    println!("| exporter | spans/s | produced | arrived | / opentelemetry-otlp grpc (same gzip) |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for r in &rows {
        let ratio = peer(r.label.ends_with("gzip"))
            .map_or_else(|| "-".to_owned(), |p| format!("{:.2}", r.per_second() / p));
        println!(
            "| {} | {:.0} | {} | {} | {ratio} |",
            r.label,
            r.per_second(),
            r.produced,
            r.arrived
        );
    }
}

// -------------------------------------------------------------------------- summary

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ns_per_span(runs: usize, mut f: impl FnMut() -> Duration, spans: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    median(
        (0..runs)
            .map(|_| f().as_nanos() as f64 / spans as f64)
            .collect(),
    )
}

fn summary() {
    let shapes = shapes();
    let spans = ours(&shapes);
    let peer_spans = peers(&shapes);
    let resource = peer_resource();
    let proto = exporter(Protocol::HttpProtobuf);
    let json = exporter(Protocol::HttpJson);
    let timed = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..20 {
            f();
        }
        t.elapsed() / 20
    };
    let ours_pb = ns_per_span(
        15,
        || timed(&mut || drop(black_box(proto.encode(&spans)))),
        BATCH,
    );
    let ours_js = ns_per_span(
        15,
        || timed(&mut || drop(black_box(json.encode(&spans)))),
        BATCH,
    );
    let peer_pb = ns_per_span(
        15,
        || {
            let batches: Vec<_> = (0..20).map(|_| peer_spans.clone()).collect();
            let t = Instant::now();
            for b in batches {
                drop(black_box(peer_request(b, &resource).encode_to_vec()));
            }
            t.elapsed() / 20
        },
        BATCH,
    );
    let peer_js = ns_per_span(
        15,
        || {
            let batches: Vec<_> = (0..20).map(|_| peer_spans.clone()).collect();
            let t = Instant::now();
            for b in batches {
                drop(black_box(serde_json::to_vec(&peer_request(b, &resource))));
            }
            t.elapsed() / 20
        },
        BATCH,
    );
    let size_pb = proto.encode(&spans).len() / BATCH;
    let size_js = json.encode(&spans).len() / BATCH;
    println!();
    println!("OTLP encoding, batch of {BATCH} spans (median ns per span)");
    println!(
        "| encoding | traced | opentelemetry-otlp | opentelemetry-otlp / traced | bytes/span |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| protobuf | {ours_pb:.0} | {peer_pb:.0} | {:.2} | {size_pb} |",
        peer_pb / ours_pb
    );
    println!(
        "| JSON | {ours_js:.0} | {peer_js:.0} | {:.2} | {size_js} |",
        peer_js / ours_js
    );
}

criterion_group!(benches, encode, end_to_end);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
