//! The whole pipeline (tracer, batch worker, OTLP exporter) against a
//! collector that hangs, is not there, or comes back: the application never
//! blocks, memory stays at the queue bound, drops and failures are counted,
//! shutdown is bounded, export resumes.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use support::{dead_addr, Reply, Request, Server};
use trace_core::{span, BatchConfig, Tracer};
use trace_exporters::OtlpExporter;

/// The tracer is global: these tests take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn ok() -> Reply {
    Reply::ok().body(ExportTraceServiceResponse::default().encode_to_vec())
}

fn spans_received(requests: &[Request]) -> usize {
    requests
        .iter()
        .map(|r| {
            let req = ExportTraceServiceRequest::decode(&r.decoded_body()[..]).expect("protobuf");
            req.resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .map(|ss| ss.spans.len())
                .sum::<usize>()
        })
        .sum()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_hanging_collector_never_blocks_the_application_and_memory_stays_bounded() {
    const PRODUCED: u64 = 20_000;
    const QUEUE: usize = 256;
    const BATCH: usize = 64;
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let release = Arc::new(AtomicBool::new(false));
    let server = Server::start({
        let release = Arc::clone(&release);
        move |_, _| {
            // Hang until the test lets go (at most a minute).
            let until = Instant::now() + Duration::from_secs(60);
            while !release.load(Ordering::SeqCst) && Instant::now() < until {
                thread::sleep(Duration::from_millis(5));
            }
            ok()
        }
    });
    let exporter = OtlpExporter::builder()
        .endpoint(server.url())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("exporter");
    let stats = exporter.stats_handle();
    let guard = Tracer::builder()
        .service_name("faults")
        .exporter(exporter)
        .batch_config(
            BatchConfig::default()
                .with_max_queue_size(QUEUE)
                .with_max_export_batch_size(BATCH)
                .with_scheduled_delay(Duration::from_millis(10))
                .with_export_timeout(Duration::from_secs(60)),
        )
        .install_global();

    // Produce on another thread, watched: if ending a span ever waited for
    // the exporter, this would not finish while the collector hangs.
    let (tx, rx) = mpsc::channel();
    let producer = thread::spawn(move || {
        for i in 0..PRODUCED {
            let _span = span("work")
                .attribute("i", i64::try_from(i).unwrap_or(0))
                .start();
        }
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("producing spans never blocks while the collector hangs");
    producer.join().expect("producer");
    wait_for("the first request to reach the collector", || {
        !server.requests().is_empty()
    });

    // One batch is stuck in the exporter and the queue is full: everything
    // else was dropped and counted, nothing piled up in memory.
    let dropped = guard.dropped_spans();
    assert!(
        (PRODUCED - QUEUE as u64 - BATCH as u64..=PRODUCED - QUEUE as u64).contains(&dropped),
        "dropped {dropped} of {PRODUCED} with a queue of {QUEUE}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the worker waits on the hung request"
    );

    // The collector recovers: every span that was not dropped arrives.
    release.store(true, Ordering::SeqCst);
    guard
        .shutdown()
        .expect("shutdown flushes once the collector answers");
    let received = spans_received(&server.requests());
    assert_eq!(received as u64 + dropped, PRODUCED);
    assert_eq!(stats.stats().exported_spans, received as u64);
    assert_eq!(stats.stats().failed_spans, 0);
}

#[test]
fn shutdown_with_a_dead_collector_returns_within_the_export_timeout() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let export_timeout = Duration::from_secs(2);
    let dead = dead_addr();
    let exporter = OtlpExporter::builder()
        .endpoint(dead.url())
        .timeout(Duration::from_millis(400))
        .build()
        .expect("exporter");
    let stats = exporter.stats_handle();
    let guard = Tracer::builder()
        .exporter(exporter)
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_secs(60))
                .with_export_timeout(export_timeout),
        )
        .install_global();
    let tracer = guard.tracer();
    // Two batches (512 + 88): each export gives up after its own 400 ms,
    // so both fail before the 2 s shutdown deadline.
    for _ in 0..600 {
        let _span = span("work").start();
    }
    let start = Instant::now();
    let result = guard.shutdown();
    let took = start.elapsed();
    assert!(
        took < export_timeout + Duration::from_secs(1),
        "shutdown took {took:?} ({result:?})"
    );
    assert!(result.is_err(), "a failed export is reported");
    assert_eq!(tracer.dropped_spans(), 0);
    assert_eq!(tracer.failed_spans(), 600, "{result:?} after {took:?}");
    assert_eq!(stats.stats().failed_spans, tracer.failed_spans());
}

#[test]
fn shutdown_is_bounded_even_when_the_queue_cannot_drain() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let export_timeout = Duration::from_secs(1);
    let dead = dead_addr();
    let exporter = OtlpExporter::builder()
        .endpoint(dead.url())
        .timeout(Duration::from_millis(800))
        .build()
        .expect("exporter");
    let guard = Tracer::builder()
        .exporter(exporter)
        .batch_config(BatchConfig::default().with_export_timeout(export_timeout))
        .install_global();
    for _ in 0..5000 {
        let _span = span("work").start();
    }
    let dropped = guard.dropped_spans();
    assert!(
        dropped >= 5000 - 2048 - 512,
        "the queue holds at most 2048 (+1 batch): {dropped} dropped"
    );
    let start = Instant::now();
    let result = guard.shutdown();
    let took = start.elapsed();
    assert!(
        took < export_timeout + Duration::from_secs(1),
        "shutdown took {took:?}"
    );
    assert!(result.is_err());
}

#[test]
fn export_resumes_when_the_collector_comes_back() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let dead = dead_addr();
    let exporter = OtlpExporter::builder()
        .endpoint(dead.url())
        .timeout(Duration::from_millis(300))
        .build()
        .expect("exporter");
    let stats = exporter.stats_handle();
    let guard = Tracer::builder()
        .exporter(exporter)
        .batch_config(BatchConfig::default().with_scheduled_delay(Duration::from_millis(50)))
        .install_global();
    for _ in 0..10 {
        let _span = span("while-down").start();
    }
    assert!(guard.force_flush().is_err(), "the collector is down");
    assert_eq!(guard.tracer().failed_spans(), 10);

    let server = dead.revive(|_, _| ok());
    for _ in 0..7 {
        let _span = span("after").start();
    }
    guard.force_flush().expect("the collector is back");
    assert_eq!(spans_received(&server.requests()), 7);
    let s = stats.stats();
    assert_eq!((s.failed_spans, s.exported_spans), (10, 7));
    guard.shutdown().expect("shutdown");
}

#[test]
fn no_deadlock_inside_a_current_thread_tokio_runtime() {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let server = Server::start(|_, _| ok());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = server.url();
    let exported = runtime.block_on(async move {
        // The simple exporter sends on the runtime's only thread.
        let exporter = OtlpExporter::builder()
            .endpoint(url)
            .build()
            .expect("exporter");
        let stats = exporter.stats_handle();
        let guard = Tracer::builder().simple_exporter(exporter).install_global();
        for _ in 0..3 {
            let _span = span("in-runtime").start();
            tokio::task::yield_now().await;
        }
        guard.shutdown().expect("shutdown");
        stats.stats().exported_spans
    });
    assert_eq!(exported, 3);
    assert_eq!(spans_received(&server.requests()), 3);
}
