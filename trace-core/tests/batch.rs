//! The batch pipeline: bounded queues, drops counted, nothing lost on shutdown, bounded
//! shutdown with a hung exporter.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use trace_core::{span, BatchConfig, ExportError, SpanData, SpanExporter, Tracer};
use trace_exporters::InMemoryExporter;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An exporter that blocks every export until released, counting what it saw.
#[derive(Clone, Default)]
struct Gate {
    open: Arc<AtomicBool>,
    exported: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl SpanExporter for Gate {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        while !self.open.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.exported.fetch_add(batch.len(), Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn shutdown_exports_every_finished_span() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    // A long delay: only shutdown can deliver the spans. The queue bound (shared by the
    // threads) is above the 2,400 spans, so none is dropped whatever the worker does.
    let guard = Tracer::builder()
        .exporter(exp.clone())
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_secs(3600))
                .with_max_queue_size(4096),
        )
        .install_global();
    for i in 0..1500 {
        let _g = span("s").start_with(|a| a.set("i", &i));
    }
    let threads: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(|| (0..300).for_each(|_| drop(span("t").start()))))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    guard.shutdown().unwrap();
    assert_eq!(exp.find_all("s").len(), 1500);
    assert_eq!(exp.find_all("t").len(), 900);
    assert!(exp.is_shut_down());
}

#[test]
fn force_flush_delivers_without_waiting_for_the_delay() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    let guard = Tracer::builder()
        .exporter(exp.clone())
        .batch_config(BatchConfig::default().with_scheduled_delay(Duration::from_secs(3600)))
        .install_global();
    drop(span("one").start());
    assert!(exp.is_empty());
    guard.force_flush().unwrap();
    assert_eq!(exp.len(), 1);
    guard.shutdown().unwrap();
}

#[test]
fn full_batches_export_without_a_flush() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    let guard = Tracer::builder()
        .exporter(exp.clone())
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_secs(3600))
                .with_max_export_batch_size(64),
        )
        .install_global();
    for _ in 0..640 {
        drop(span("s").start());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while exp.len() < 640 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(exp.len(), 640);
    guard.shutdown().unwrap();
}

#[test]
fn stalled_exporter_drops_and_counts_without_blocking() {
    let _s = serial();
    let gate = Gate::default();
    let guard = Tracer::builder()
        .exporter(gate.clone())
        .batch_config(
            BatchConfig::default()
                .with_max_queue_size(256)
                .with_max_export_batch_size(32)
                .with_scheduled_delay(Duration::from_millis(1))
                .with_export_timeout(Duration::from_secs(10)),
        )
        .install_global();
    // Fill the pipeline until the worker is stuck inside export.
    drop(span("first").start());
    while gate.calls.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let n = 100_000;
    for _ in 0..n {
        drop(span("flood").start());
    }
    // The worker holds at most one batch: everything past the queue bound was dropped.
    let dropped = guard.dropped_spans();
    assert!(dropped >= n - 256 - 32, "dropped {dropped}");
    gate.open.store(true, Ordering::SeqCst);
    guard.shutdown().unwrap();
    let exported = gate.exported.load(Ordering::SeqCst) as u64;
    assert_eq!(
        exported + dropped,
        n + 1,
        "every span is exported or counted"
    );
}

#[test]
fn shutdown_with_a_hung_exporter_returns_within_the_timeout() {
    let _s = serial();
    let gate = Gate::default();
    let guard = Tracer::builder()
        .exporter(gate.clone())
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_millis(1))
                .with_export_timeout(Duration::from_millis(300)),
        )
        .install_global();
    drop(span("stuck").start());
    while gate.calls.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert_eq!(result, Err(ExportError::Timeout));
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    // Spans after shutdown are not recorded at all (no tracer).
    assert!(!span("after").start().is_recording());
    gate.open.store(true, Ordering::SeqCst);
}

#[test]
fn eight_threads_lose_nothing_below_the_bound() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    let guard = Tracer::builder()
        .exporter(exp.clone())
        .batch_config(
            BatchConfig::default()
                .with_scheduled_delay(Duration::from_millis(10))
                .with_max_queue_size(16 * 1024),
        )
        .install_global();
    // 8 x 2 x 1000 spans: below the queue bound of 16,384 (shared by the threads) even if
    // the worker never ran before the end.
    let per_thread = 1000;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let _outer = span("outer").start_with(|a| a.set("t", &t));
                    let _inner = span("inner").start_with(|a| a.set("i", &i));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(guard.dropped_spans(), 0);
    guard.shutdown().unwrap();
    assert_eq!(exp.find_all("outer").len(), 8 * per_thread);
    assert_eq!(exp.find_all("inner").len(), 8 * per_thread);
    let spans = exp.spans();
    let mut ids: Vec<_> = spans.iter().map(|s| s.span_context.span_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), spans.len(), "span ids are unique");
}

/// Rejects a fixed number of spans per batch, as an OTLP partial success does.
struct PartialReject(u64);

impl SpanExporter for PartialReject {
    fn export(&self, _batch: &[SpanData]) -> Result<(), ExportError> {
        Err(ExportError::Rejected {
            rejected: self.0,
            message: "2 spans had no name".into(),
        })
    }
}

#[test]
fn partial_success_counts_only_the_rejected_spans() {
    let _s = serial();
    let guard = Tracer::builder()
        .exporter(PartialReject(2))
        .batch_config(BatchConfig::default().with_scheduled_delay(Duration::MAX))
        .install_global();
    for _ in 0..10 {
        drop(span("s").start());
    }
    let tracer = guard.tracer();
    let _ = guard.force_flush();
    assert_eq!(tracer.failed_spans(), 2);
    let _ = guard.shutdown();
}

/// The worker reuses the storage of spans it exported before: every span of every batch
/// must still arrive exactly as recorded, with nothing left over from the span that used
/// the same entry in an earlier batch (attributes, events, status, trace state, name).
#[test]
fn reused_batch_entries_carry_nothing_over() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    let guard = Tracer::builder()
        .exporter(exp.clone())
        .batch_config(
            BatchConfig::default()
                .with_max_export_batch_size(3)
                .with_scheduled_delay(Duration::from_secs(3600)),
        )
        .install_global();
    let rounds = 40_u64;
    for i in 0..rounds {
        let g = span(format!("span-{i}")).start();
        match i % 4 {
            0 => {
                g.set_attribute("a", &i);
                g.set_attribute("b", "a value long enough to be shared, not inline");
                g.set_attribute("c", &true);
                g.add_event("event", vec![trace_core::KeyValue::new("n", i.to_string())]);
                g.record_error_parts("failed", "Boom");
            }
            1 => g.set_attribute("only", &i),
            2 => {}
            _ => {
                let other = span("linked").start().span_context();
                g.add_link(other, Vec::new());
            }
        }
        drop(g);
        if i % 7 == 0 {
            guard.force_flush().unwrap();
        }
    }
    guard.shutdown().unwrap();
    for i in 0..rounds {
        let s = exp
            .find(&format!("span-{i}"))
            .unwrap_or_else(|| panic!("span-{i} missing"));
        let keys: Vec<&str> = s.attributes.iter().map(|kv| &*kv.key).collect();
        match i % 4 {
            0 => {
                assert_eq!(keys, ["a", "b", "c", "error.type"], "span-{i}");
                assert_eq!(s.events.len(), 1);
                assert_eq!(s.status, trace_core::Status::error("failed"));
            }
            1 => {
                assert_eq!(keys, ["only"], "span-{i}");
                assert!(s.events.is_empty() && s.links.is_empty());
                assert_eq!(s.status, trace_core::Status::Unset);
            }
            2 => {
                assert!(keys.is_empty(), "span-{i}: {keys:?}");
                assert!(s.events.is_empty() && s.links.is_empty());
                assert_eq!(s.status, trace_core::Status::Unset);
            }
            _ => {
                assert!(keys.is_empty(), "span-{i}: {keys:?}");
                assert_eq!(s.links.len(), 1);
                assert!(s.events.is_empty());
            }
        }
    }
}
