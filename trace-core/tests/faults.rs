//! The pipeline under faults: an exporter that panics, hangs or fails; shutdown against
//! the clock; producers racing shutdown; many threads against a stalled exporter. In every
//! case every ended span is accounted for: exported + dropped + failed = ended.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use trace_core::{
    span, BatchConfig, ExportError, ExportFailure, FailureStage, SpanData, SpanExporter, Tracer,
    TracerGuard,
};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a scripted export call does, by call number (0-based).
type Behaviour = Arc<dyn Fn(usize, &[SpanData]) -> Result<(), ExportError> + Send + Sync>;

/// An exporter that does what its script says with each export call.
#[derive(Clone)]
struct Scripted {
    calls: Arc<AtomicUsize>,
    exported: Arc<AtomicU64>,
    behaviour: Behaviour,
}

impl Scripted {
    fn new(
        f: impl Fn(usize, &[SpanData]) -> Result<(), ExportError> + Send + Sync + 'static,
    ) -> Self {
        Scripted {
            calls: Arc::default(),
            exported: Arc::default(),
            behaviour: Arc::new(f),
        }
    }
}

impl SpanExporter for Scripted {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        (self.behaviour)(n, batch)?;
        self.exported
            .fetch_add(batch.len() as u64, Ordering::SeqCst);
        Ok(())
    }
}

/// Collects what the error hook receives.
#[derive(Clone, Default)]
struct Failures(Arc<Mutex<Vec<ExportFailure>>>);

impl Failures {
    fn hook(&self) -> impl Fn(&ExportFailure) + Send + Sync + 'static {
        let seen = Arc::clone(&self.0);
        move |f| seen.lock().unwrap().push(f.clone())
    }
    fn all(&self) -> Vec<ExportFailure> {
        self.0.lock().unwrap().clone()
    }
}

fn ended(n: u64) {
    for _ in 0..n {
        drop(span("s").start());
    }
}

fn accounted(tracer: Tracer) -> u64 {
    tracer.exported_spans() + tracer.dropped_spans() + tracer.failed_spans()
}

fn install(exporter: impl SpanExporter, config: BatchConfig, failures: &Failures) -> TracerGuard {
    Tracer::builder()
        .exporter(exporter)
        .batch_config(config)
        .on_error(failures.hook())
        .install_global()
}

/// Issue 13, failure 1: an exporter that panics once used to kill the worker (export never
/// resumed, flush and shutdown waited for their timeout and failed).
#[test]
fn a_panicking_exporter_fails_its_batch_and_the_worker_goes_on() {
    let _s = serial();
    let exporter = Scripted::new(|call, _| {
        assert!(call != 0, "the exporter broke");
        Ok(())
    });
    let failures = Failures::default();
    let config = BatchConfig::default()
        .with_scheduled_delay(Duration::from_secs(3600))
        .with_export_timeout(Duration::from_secs(5));
    let guard = install(exporter.clone(), config, &failures);
    let tracer = guard.tracer();
    ended(10);
    let first = guard.force_flush();
    assert!(
        matches!(&first, Err(ExportError::Other(m)) if m.contains("the exporter panicked: the exporter broke")),
        "{first:?}"
    );
    assert_eq!(tracer.failed_spans(), 10);
    // The worker is alive: the next spans are exported, and flush answers at once.
    ended(7);
    assert_eq!(guard.force_flush(), Ok(()));
    assert_eq!(exporter.exported.load(Ordering::SeqCst), 7);
    assert_eq!(tracer.exported_spans(), 7);
    guard.shutdown().unwrap();
    assert_eq!(accounted(tracer), 17);
    let seen = failures.all();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].spans, seen[0].stage), (10, FailureStage::Flush));
}

/// A tracer whose simple exporter panics on every span, and what its error hook saw.
fn with_panicking_simple_exporter() -> (TracerGuard, Failures) {
    let exporter = Scripted::new(|_, _| panic!("simple exporter broke"));
    let failures = Failures::default();
    let guard = Tracer::builder()
        .simple_exporter(exporter)
        .on_error(failures.hook())
        .install_global();
    (guard, failures)
}

/// Issue 13, failure 1: a simple exporter that panics made every span end panic in user
/// code.
#[test]
fn a_panicking_simple_exporter_never_panics_in_user_code() {
    let _s = serial();
    let (guard, failures) = with_panicking_simple_exporter();
    let tracer = guard.tracer();
    ended(3);
    assert_eq!(tracer.failed_spans(), 3);
    assert_eq!(failures.all().len(), 3);
    guard.shutdown().unwrap();
    assert_eq!(accounted(tracer), 3);
}

/// Issue 13, failure 1: a user panic inside a span, with a simple exporter that panics,
/// aborted the process ("panic in a destructor during cleanup"). This test binary would
/// die here.
#[test]
fn a_user_panic_in_a_span_with_a_panicking_simple_exporter_does_not_abort() {
    let _s = serial();
    let (guard, failures) = with_panicking_simple_exporter();
    let tracer = guard.tracer();
    let user = std::thread::spawn(|| {
        let _span = span("request").start();
        panic!("the user's own panic");
    })
    .join();
    assert!(user.is_err(), "the user's panic propagates as usual");
    assert_eq!(tracer.failed_spans(), 1);
    let seen = failures.all();
    assert!(
        matches!(&seen[0].error, ExportError::Other(m) if m.contains("simple exporter broke")),
        "{seen:?}"
    );
    guard.shutdown().unwrap();
}

/// An exporter that blocks until released, ignoring deadlines.
fn hanging(release: &Arc<AtomicBool>) -> Scripted {
    let release = Arc::clone(release);
    Scripted::new(move |_, _| {
        while !release.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
}

/// Issue 13, failures 2 and 3: a shutdown that hits its timeout left the queue in no
/// counter. Now the batch the exporter holds is failed, the rest dropped, and shutdown
/// returns within the export timeout.
#[test]
fn a_shutdown_that_times_out_counts_every_span() {
    let _s = serial();
    let release = Arc::new(AtomicBool::new(false));
    let failures = Failures::default();
    let config = BatchConfig::default()
        .with_max_export_batch_size(64)
        .with_scheduled_delay(Duration::from_millis(1))
        .with_export_timeout(Duration::from_millis(300));
    let guard = install(hanging(&release), config, &failures);
    let tracer = guard.tracer();
    drop(span("stuck").start());
    std::thread::sleep(Duration::from_millis(20));
    ended(1000);
    let started = Instant::now();
    assert_eq!(guard.shutdown(), Err(ExportError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(accounted(tracer), 1001);
    assert!(
        tracer.failed_spans() >= 1,
        "the batch in the exporter's hands"
    );
    release.store(true, Ordering::SeqCst);
    // The worker returning from the exporter counts nothing twice.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(accounted(tracer), 1001);
}

/// An exporter that keeps to the deadlines it has: each export fails after 50 ms (its own
/// timeout) and, while flushing and shutting down, at the deadline it is given, as one
/// against a collector that never answers.
struct Punctual;

impl SpanExporter for Punctual {
    fn export(&self, _: &[SpanData]) -> Result<(), ExportError> {
        std::thread::sleep(Duration::from_millis(50));
        Err(ExportError::Timeout)
    }
    fn export_until(&self, _: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        Err(ExportError::Timeout)
    }
}

/// Issue 13, failure 2: shutdown fits the export timeout: the exporter gets the deadline,
/// and what could not be sent by then is counted (not tried batch after batch).
#[test]
fn shutdown_passes_its_deadline_to_the_exporter_and_counts_the_rest() {
    let _s = serial();
    let failures = Failures::default();
    let config = BatchConfig::default()
        .with_max_export_batch_size(10)
        .with_scheduled_delay(Duration::from_secs(3600))
        .with_export_timeout(Duration::from_millis(500));
    let guard = install(Punctual, config, &failures);
    let tracer = guard.tracer();
    ended(100);
    let started = Instant::now();
    let result = guard.shutdown();
    let took = started.elapsed();
    assert_eq!(result, Err(ExportError::Timeout));
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert_eq!(accounted(tracer), 100);
    assert!(
        tracer.dropped_spans() > 0,
        "spans never sent are counted as dropped"
    );
    let reported: u64 = failures.all().iter().map(|f| f.spans).sum();
    assert_eq!(
        reported,
        100,
        "every lost span is reported: {:?}",
        failures.all()
    );
}

/// Issue 13, failure 3: `OTEL_BSP_EXPORT_TIMEOUT=0` lost the queue uncounted.
#[test]
fn a_zero_export_timeout_still_counts_the_queue() {
    let _s = serial();
    let exporter = Scripted::new(|_, _| Ok(()));
    let config = BatchConfig::default()
        .with_scheduled_delay(Duration::from_secs(3600))
        .with_export_timeout(Duration::ZERO);
    let guard = install(exporter, config, &Failures::default());
    let tracer = guard.tracer();
    ended(500);
    let _ = guard.shutdown();
    assert_eq!(accounted(tracer), 500);
}

/// Issue 13, failure 3: a shutdown racing four producers left spans in no counter.
#[test]
fn producers_racing_shutdown_lose_nothing_uncounted() {
    let _s = serial();
    for round in 0..5 {
        let exporter = Scripted::new(|_, _| Ok(()));
        let config = BatchConfig::default()
            .with_max_export_batch_size(64)
            .with_scheduled_delay(Duration::from_millis(1));
        let guard = install(exporter, config, &Failures::default());
        let tracer = guard.tracer();
        let stop = Arc::new(AtomicBool::new(false));
        let producers: Vec<_> = (0..4)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // Spans started once the tracer is uninstalled record nothing.
                        let span = span("racing").start();
                        n += u64::from(span.is_recording());
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30));
        guard.shutdown().unwrap();
        std::thread::sleep(Duration::from_millis(10));
        stop.store(true, Ordering::Relaxed);
        let total: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
        assert_eq!(accounted(tracer), total, "round {round}");
    }
}

/// Issue 13, failure 4: many threads against a stalled exporter. The queue stays at its
/// bound (each thread used to get a ring of its own size: 64 threads, 64 bounds), the
/// excess is dropped and counted, and every span is accounted for once export resumes.
#[test]
fn the_queue_is_bounded_whatever_the_threads_do() {
    let _s = serial();
    let release = Arc::new(AtomicBool::new(false));
    let config = BatchConfig::default()
        .with_max_queue_size(512)
        .with_max_export_batch_size(64)
        .with_scheduled_delay(Duration::from_millis(1));
    let guard = install(hanging(&release), config, &Failures::default());
    let tracer = guard.tracer();
    let max_queued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (max_queued, done) = (Arc::clone(&max_queued), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                max_queued.fetch_max(tracer.queued_spans(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    // 64 producers at once, then 500 short-lived threads: the thread churn of a blocking
    // pool.
    let producers: Vec<_> = (0..64)
        .map(|_| std::thread::spawn(|| ended(2_000)))
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    for _ in 0..5 {
        let churn: Vec<_> = (0..100)
            .map(|_| std::thread::spawn(|| ended(100)))
            .collect();
        for p in churn {
            p.join().unwrap();
        }
    }
    done.store(true, Ordering::SeqCst);
    sampler.join().unwrap();
    let ended_total = 64 * 2_000 + 500 * 100;
    let max = max_queued.load(Ordering::SeqCst);
    assert!(max <= 512, "queued {max} spans, over the bound of 512");
    assert!(tracer.queued_spans() <= 512);
    assert!(tracer.dropped_spans() >= ended_total - 512 - 64 - 564);
    release.store(true, Ordering::SeqCst);
    guard.shutdown().unwrap();
    assert_eq!(accounted(tracer), ended_total);
}

/// Issue 13, failure 5: failures were visible only in counters. The hook hears each one.
#[test]
fn the_error_hook_hears_every_failed_export() {
    let _s = serial();
    let exporter = Scripted::new(|_, _| Err(ExportError::new("collector said no")));
    let failures = Failures::default();
    let config = BatchConfig::default()
        .with_max_export_batch_size(5)
        .with_scheduled_delay(Duration::from_secs(3600));
    let guard = install(exporter, config, &failures);
    ended(12);
    let _ = guard.force_flush();
    let seen = failures.all();
    assert_eq!(
        seen.iter().map(|f| f.spans).collect::<Vec<_>>(),
        [5, 5, 2],
        "{seen:?}"
    );
    assert!(seen
        .iter()
        .all(|f| f.error == ExportError::new("collector said no")));
    guard.shutdown().unwrap();
}
