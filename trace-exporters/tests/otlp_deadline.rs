//! `SpanExporter::export_until` on the OTLP exporter, against real sockets on
//! 127.0.0.1: a collector that is not there is reported at once, a hanging
//! one is given up at the deadline, one answering 503 is retried within it.
//! Timing bounds are generous on purpose: they tell "returned at the
//! deadline" from "retried for the whole 10 s timeout", nothing finer.

mod support;

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message as _;
use support::spans::{resource, sample_spans};
use support::{dead_addr, Reply, Server};
use trace_core::{ExportError, SpanData, SpanExporter};
use trace_exporters::{MultiExporter, OtlpExporter, OtlpExporterBuilder, RetryConfig};

/// The exporter's own timeout in these tests: far above every bound asserted,
/// so a test that passes did not wait for it.
const OWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Default retries (500 ms first wait), a 10 s timeout: what a user gets.
fn builder(url: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .endpoint(url)
        .timeout(OWN_TIMEOUT)
        .retry(RetryConfig::default())
}

fn build(b: OtlpExporterBuilder) -> OtlpExporter {
    let mut exporter = b.build().expect("valid exporter settings");
    exporter.set_resource(&resource());
    exporter
}

fn ok() -> Reply {
    Reply::ok().body(ExportTraceServiceResponse::default().encode_to_vec())
}

fn n(batch: &[SpanData]) -> u64 {
    batch.len() as u64
}

/// A collector that accepts connections and never answers; stops when dropped.
struct Hanging {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Hanging {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let thread = thread::spawn({
            let stop = Arc::clone(&stop);
            let accepted = Arc::clone(&accepted);
            move || {
                while !stop.load(Ordering::Acquire) {
                    match listener.accept() {
                        // Held open, never read from, never answered.
                        Ok((stream, _)) => accepted
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(stream),
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            }
        });
        Self {
            addr,
            stop,
            accepted,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    fn connections(&self) -> usize {
        self.accepted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for Hanging {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_refused_connection_is_reported_at_once_not_retried_until_the_deadline() {
    let dead = dead_addr();
    let exporter = build(builder(&dead.url()));
    let batch = sample_spans();
    let start = Instant::now();
    let result = exporter.export_until(&batch, start + Duration::from_secs(30));
    let took = start.elapsed();
    let Err(ExportError::Other(message)) = &result else {
        panic!("expected a connection error, got {result:?}");
    };
    assert!(message.contains("not there"), "{message}");
    assert!(
        took < Duration::from_secs(2),
        "took {took:?} with a {OWN_TIMEOUT:?} timeout and retries on"
    );
    let stats = exporter.stats();
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.failed_spans, n(&batch));
    assert_eq!(stats.exported_spans, 0);
}

#[test]
fn plain_export_still_retries_a_refused_connection_within_its_timeout() {
    // `export` is what the worker calls between flushes: a collector that is
    // restarting is worth the retries there.
    let dead = dead_addr();
    let exporter = build(
        builder(&dead.url())
            .timeout(Duration::from_secs(1))
            .retry(RetryConfig::default().initial_backoff(Duration::from_millis(50))),
    );
    let batch = sample_spans();
    assert!(exporter.export(&batch).is_err());
    let stats = exporter.stats();
    assert!(stats.retries > 0, "{stats:?}");
    assert_eq!(stats.failed_spans, n(&batch));
}

#[test]
fn a_hanging_collector_is_given_up_at_the_deadline() {
    let hanging = Hanging::start();
    let exporter = build(builder(&hanging.url()));
    let batch = sample_spans();
    let start = Instant::now();
    let result = exporter.export_until(&batch, start + Duration::from_secs(1));
    let took = start.elapsed();
    assert!(result.is_err(), "{result:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {result:?}");
    assert!(
        hanging.connections() >= 1,
        "the request reached the collector"
    );
    let stats = exporter.stats();
    assert_eq!(stats.failed_spans, n(&batch));
    assert_eq!(stats.exported_spans, 0);
}

#[test]
fn the_exporter_timeout_still_bounds_a_later_deadline() {
    let hanging = Hanging::start();
    let exporter = build(builder(&hanging.url()).timeout(Duration::from_secs(1)));
    let batch = sample_spans();
    let start = Instant::now();
    let result = exporter.export_until(&batch, start + Duration::from_secs(60));
    let took = start.elapsed();
    assert!(result.is_err(), "{result:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {result:?}");
    assert_eq!(exporter.stats().failed_spans, n(&batch));
}

#[test]
fn unavailable_then_ok_is_retried_within_the_deadline() {
    let server = Server::start(|n, _| if n == 0 { Reply::status(503) } else { ok() });
    let exporter = build(builder(&server.url()));
    let batch = sample_spans();
    exporter
        .export_until(&batch, Instant::now() + Duration::from_secs(5))
        .expect("the second attempt succeeds");
    assert_eq!(server.requests().len(), 2);
    let stats = exporter.stats();
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.exported_spans, n(&batch));
    assert_eq!(stats.failed_spans, 0);
}

#[test]
fn a_collector_that_stays_unavailable_is_given_up_at_the_deadline() {
    let server = Server::start(|_, _| Reply::status(503));
    let exporter = build(
        builder(&server.url())
            .retry(RetryConfig::default().initial_backoff(Duration::from_millis(50))),
    );
    let batch = sample_spans();
    let start = Instant::now();
    let result = exporter.export_until(&batch, start + Duration::from_secs(1));
    let took = start.elapsed();
    let Err(ExportError::Other(message)) = &result else {
        panic!("expected the 503, got {result:?}");
    };
    assert!(message.contains("503"), "{message}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(server.requests().len() >= 2, "503 is retried");
    assert_eq!(exporter.stats().failed_spans, n(&batch));
}

#[test]
fn a_deadline_already_past_fails_without_a_request() {
    let server = Server::start(|_, _| ok());
    let exporter = build(builder(&server.url()));
    let batch = sample_spans();
    let result = exporter.export_until(&batch, Instant::now());
    assert_eq!(result, Err(ExportError::Timeout));
    assert!(server.requests().is_empty());
    assert_eq!(exporter.stats().failed_spans, n(&batch));
}

/// Records the deadline each `export_until` received.
#[derive(Clone, Default)]
struct Deadlines(Arc<Mutex<Vec<Option<Instant>>>>);

impl SpanExporter for Deadlines {
    fn export(&self, _: &[SpanData]) -> Result<(), ExportError> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(None);
        Ok(())
    }

    fn export_until(&self, _: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Some(deadline));
        Ok(())
    }
}

#[test]
fn multi_exporter_gives_each_child_the_same_deadline() {
    let (a, b) = (Deadlines::default(), Deadlines::default());
    let multi = MultiExporter::new().with(a.clone()).with(b.clone());
    let deadline = Instant::now() + Duration::from_secs(3);
    multi
        .export_until(&sample_spans(), deadline)
        .expect("both succeed");
    multi.export(&sample_spans()).expect("both succeed");
    for child in [a, b] {
        let seen = child.0.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(*seen, [Some(deadline), None]);
    }
}

#[test]
fn multi_exporter_with_a_dead_collector_returns_at_once() {
    let dead = dead_addr();
    let otlp = build(builder(&dead.url()));
    let stats = otlp.stats_handle();
    let seen = Deadlines::default();
    let multi = MultiExporter::new().with(otlp).with(seen.clone());
    let batch = sample_spans();
    let start = Instant::now();
    let result = multi.export_until(&batch, start + Duration::from_secs(30));
    assert!(start.elapsed() < Duration::from_secs(2));
    let Err(e) = result else {
        panic!("the OTLP child failed")
    };
    assert!(e.to_string().contains("1 of 2 exporters"), "{e}");
    assert_eq!(stats.stats().failed_spans, n(&batch));
    assert_eq!(
        seen.0.lock().unwrap_or_else(PoisonError::into_inner).len(),
        1,
        "the other child still got the batch"
    );
}

/// An export in progress, retrying a collector that refuses connections, stops when the
/// pipeline begins to shut down: the shutdown does not wait out the retries (issue 13,
/// failure 2: 29.7-30.0 s before).
#[test]
fn a_shutdown_cuts_short_the_retries_of_an_export_in_progress() {
    let dead = dead_addr();
    let exporter = build(builder(&dead.url()));
    let guard = trace_core::Tracer::builder()
        .exporter(exporter)
        .batch_config(
            trace_core::BatchConfig::default()
                .with_max_export_batch_size(8)
                .with_scheduled_delay(Duration::from_millis(1)),
        )
        .install_global();
    let tracer = guard.tracer();
    for _ in 0..100 {
        drop(trace_core::span("refused").start());
    }
    // The worker is now retrying its first batch (500 ms, 1 s, 2 s ... of backoff).
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert!(result.is_err(), "the collector is not there: {result:?}");
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    assert_eq!(
        tracer.exported_spans() + tracer.failed_spans() + tracer.dropped_spans(),
        100
    );
}
