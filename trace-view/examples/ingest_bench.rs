//! Ingest rate of trace-view over OTLP/HTTP protobuf (BENCHMARKS.md).
//!
//! Starts a viewer in this process (store in memory, or a file with `--store PATH`), encodes
//! batches of 512 spans with the project's OTLP exporter (5 attributes each, 10-span traces),
//! all distinct and encoded before the clock starts, and posts each once from two client
//! threads; prints spans per second (stored, not just accepted: the answer comes after the
//! write).
//!
//! ```text
//! cargo run --release -p trace-view --example ingest_bench [-- --store /tmp/bench.db]
//! BENCH_MAX_SPANS=300000 cargo run --release -p trace-view --example ingest_bench  # evicting
//! ```
//!
//! `BENCH_MAX_SPANS` sets the store's bound (default 10,000,000: nothing is evicted); below
//! 819,200 the writes evict the oldest traces as they go, as a viewer at its bound does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use trace_core::{
    InstrumentationScope, KeyValue, Resource, SpanContext, SpanData, SpanExporter as _, SpanId,
    SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use trace_exporters::{OtlpExporter, Protocol};

const BATCH: usize = 512;
/// Distinct batches, each posted once (about 800,000 spans).
const BATCHES: usize = 1600;

fn batch(n: u64) -> Vec<SpanData> {
    let now = SystemTime::now();
    let mut trace_id = TraceId::random();
    let mut root = SpanId::random();
    (0..BATCH)
        .map(|i| {
            if i % 10 == 0 {
                trace_id = TraceId::random();
                root = SpanId::random();
            }
            let id = if i % 10 == 0 { root } else { SpanId::random() };
            SpanData {
                name: if i % 10 == 0 {
                    "GET /orders/{id}"
                } else {
                    "db.query"
                }
                .into(),
                kind: SpanKind::Server,
                span_context: SpanContext::new(
                    trace_id,
                    id,
                    TraceFlags::SAMPLED,
                    false,
                    TraceState::default(),
                ),
                parent_span_id: (i % 10 != 0).then_some(root),
                parent_is_remote: false,
                start_time: now,
                end_time: now + Duration::from_micros(100 + i as u64),
                attributes: vec![
                    KeyValue::new("http.route", "/orders/{id}"),
                    KeyValue::new("http.response.status_code", 200_i64),
                    KeyValue::new("db.system", "postgresql"),
                    KeyValue::new("batch", i64::try_from(n).unwrap_or(0)),
                    KeyValue::new("ok", true),
                ],
                events: Vec::new(),
                links: Vec::new(),
                status: Status::Unset,
                dropped_attributes_count: 0,
                dropped_events_count: 0,
                dropped_links_count: 0,
                scope: InstrumentationScope::default(),
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = std::env::args()
        .skip_while(|a| a != "--store")
        .nth(1)
        .map(std::path::PathBuf::from);
    if let Some(path) = &store {
        let _ = std::fs::remove_file(path);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let options = trace_view::Options {
        otlp_http: Some("127.0.0.1:0".parse()?),
        otlp_grpc: None,
        otlp_grpc_required: false,
        ui: "127.0.0.1:0".parse()?,
        store: store.clone(),
        max_spans: std::env::var("BENCH_MAX_SPANS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000_000),
    };
    let server = runtime.block_on(trace_view::start(&options))?;
    let endpoint = format!(
        "http://{}/v1/traces",
        server.otlp_http_addr().ok_or("no receiver")?
    );

    // Bodies encoded once, as the exporter sends them.
    let mut encoder = OtlpExporter::builder()
        .endpoint(endpoint.clone())
        .protocol(Protocol::HttpProtobuf)
        .build()?;
    encoder.set_resource(&Resource::new("bench", []));
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..BATCHES as u64)
            .map(|n| encoder.encode(&batch(n)))
            .collect(),
    );

    let next = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (bodies, sent, next, endpoint) = (
                Arc::clone(&bodies),
                Arc::clone(&sent),
                Arc::clone(&next),
                endpoint.clone(),
            );
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                loop {
                    let i =
                        usize::try_from(next.fetch_add(1, Ordering::Relaxed)).unwrap_or(usize::MAX);
                    let Some(body) = bodies.get(i) else { break };
                    let response = agent
                        .post(&endpoint)
                        .header("content-type", "application/x-protobuf")
                        .send(&body[..]);
                    assert!(response.is_ok(), "{response:?}");
                    sent.fetch_add(BATCH as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().map_err(|_| "client thread panicked")?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let stored = server.store().span_count();
    let posted = sent.load(Ordering::Relaxed);
    println!(
        "store {}: posted {posted} spans in {elapsed:.2} s = {:.0} spans/s ({} distinct spans stored)",
        store.map_or_else(|| "in memory".to_owned(), |p| p.display().to_string()),
        f64::from(u32::try_from(posted).unwrap_or(u32::MAX)) / elapsed,
        stored
    );
    runtime.block_on(server.shutdown());
    Ok(())
}
