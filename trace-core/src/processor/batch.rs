//! The batch processor: lock-free per-thread queues drained by one worker thread.
//!
//! Each producing thread gets its own single-producer ring (registered once, under a lock,
//! the first time the thread ends a span); ending a span is one wait-free push of the
//! finished span, by value: the ring's memory is the only thing the two threads share,
//! written by one and read by the other, and nothing is allocated or handed back. The
//! worker drains the rings into batches of `max_export_batch_size`, exports when a batch is
//! full or `scheduled_delay` has passed, and answers flush and shutdown requests.
//!
//! The queue is bounded as a whole: `max_queue_size` is shared among the rings by
//! [`rebalance`] (each thread may push up to its limit, read on every push), so thread
//! churn or many producers cannot grow it. A thread over its share drops the new span and
//! counts it: the caller never blocks. The rings of exited threads go once drained.
//!
//! The worker outlives its exporter's failures: a panic in the exporter fails its batch
//! (counted, reported) and the next batch is exported. Flush and shutdown have a deadline
//! (the export timeout) passed to the exporter (`export_until`); a shutdown that runs out
//! of time counts what it could not send. Every ended span ends up in exactly one of the
//! exported, failed and dropped counters.

use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::clock::Epoch;
use crate::data::{InstrumentationScope, SpanData};
use crate::export::{ExportError, ExportFailure, FailureStage, SpanExporter};
use crate::record::Finished;

use super::report::{self, Reporter};
use super::Counters;

/// Batch processor settings; the defaults are the OpenTelemetry specification's.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use trace_core::BatchConfig;
/// let c = BatchConfig::default().with_scheduled_delay(Duration::from_millis(200));
/// assert_eq!(c.max_queue_size, 2048);
/// assert_eq!(c.max_export_batch_size, 512);
/// assert_eq!(c.export_timeout, Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    /// Spans queued (ended, not yet handed to the exporter) before new ones are dropped,
    /// all threads together (default 2048; at most [`MAX_QUEUE_SIZE`](Self::MAX_QUEUE_SIZE)).
    ///
    /// The bound is shared among the producing threads: a thread that ends spans gets a
    /// share, threads that keep producing share what idle ones do not use, and exited
    /// threads give theirs back. Beside the queue, the worker holds the batch it is
    /// exporting (`max_export_batch_size`). Each producing thread's ring reserves address
    /// space for `min(max_queue_size, 16384)` spans (about 370 bytes each, 740 KiB at the
    /// default) when it ends its first span, resident only as far as the thread used it: one
    /// thread alone queues at most 16,384 spans, whatever the bound (a burst longer than
    /// that, faster than the exporter, drops and counts the rest).
    pub max_queue_size: usize,
    /// Spans per export call (default 512; at most `max_queue_size`).
    pub max_export_batch_size: usize,
    /// Longest wait before a partial batch is exported (default 5 s; at least
    /// [`MIN_SCHEDULED_DELAY`](Self::MIN_SCHEDULED_DELAY)).
    pub scheduled_delay: Duration,
    /// How long flush and shutdown may take, the exporter's work included (default 30 s):
    /// the exporter gets this deadline (`SpanExporter::export_until`), and a shutdown that
    /// runs out of time counts what it could not send and returns `ExportError::Timeout`.
    pub export_timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_queue_size: 2048,
            max_export_batch_size: 512,
            scheduled_delay: Duration::from_secs(5),
            export_timeout: Duration::from_secs(30),
        }
    }
}

impl BatchConfig {
    /// The largest `max_queue_size`: larger values are lowered to it (with a warning on
    /// stderr when the tracer is installed). At about 370 bytes a span, 65,536 queued spans
    /// are ~24 MiB before their attributes.
    pub const MAX_QUEUE_SIZE: usize = 65_536;

    /// The shortest `scheduled_delay`: shorter values are raised to it, so that an idle
    /// worker does not spin.
    pub const MIN_SCHEDULED_DELAY: Duration = Duration::from_millis(1);

    /// Sets `max_queue_size`.
    #[must_use]
    pub fn with_max_queue_size(mut self, n: usize) -> Self {
        self.max_queue_size = n;
        self
    }
    /// Sets `max_export_batch_size`.
    #[must_use]
    pub fn with_max_export_batch_size(mut self, n: usize) -> Self {
        self.max_export_batch_size = n;
        self
    }
    /// Sets `scheduled_delay`.
    #[must_use]
    pub fn with_scheduled_delay(mut self, d: Duration) -> Self {
        self.scheduled_delay = d;
        self
    }
    /// Sets `export_timeout`.
    #[must_use]
    pub fn with_export_timeout(mut self, d: Duration) -> Self {
        self.export_timeout = d;
        self
    }

    /// Values made usable: the queue between 1 and [`MAX_QUEUE_SIZE`](Self::MAX_QUEUE_SIZE),
    /// the batch no larger than the queue, the delay at least
    /// [`MIN_SCHEDULED_DELAY`](Self::MIN_SCHEDULED_DELAY).
    pub(crate) fn normalized(mut self) -> Self {
        self.max_queue_size = self.max_queue_size.clamp(1, Self::MAX_QUEUE_SIZE);
        self.max_export_batch_size = self.max_export_batch_size.clamp(1, self.max_queue_size);
        self.scheduled_delay = self.scheduled_delay.max(Self::MIN_SCHEDULED_DELAY);
        self
    }

    /// What [`normalized`](Self::normalized) changes that a user should hear about.
    pub(crate) fn warnings(&self) -> Option<String> {
        (self.max_queue_size > Self::MAX_QUEUE_SIZE).then(|| {
            format!(
                "traced: BatchConfig::max_queue_size {} is above the maximum {}; using {}",
                self.max_queue_size,
                Self::MAX_QUEUE_SIZE,
                Self::MAX_QUEUE_SIZE
            )
        })
    }
}

type Reply = mpsc::SyncSender<Result<(), ExportError>>;

enum Control {
    /// Export what is queued by `deadline`, then flush the exporter.
    Flush { reply: Reply, deadline: Instant },
    /// Export what is queued by `deadline` (what is left then is dropped and counted), shut
    /// the exporter down, stop.
    Shutdown { reply: Reply, deadline: Instant },
}

/// The most spans one thread's ring holds, whatever `max_queue_size` is: a ring's memory is
/// reserved (not touched) when its thread ends its first span, about 370 bytes a span.
const RING_CAPACITY_MAX: usize = 16_384;

/// The most headroom an idle ring keeps between two passes of the worker.
const IDLE_HEADROOM_MAX: u64 = 16;

/// An export that fails after this long while a shutdown runs ends the shutdown's tries:
/// the collector hangs or times out. A quick failure (a refused connection, an error
/// answer) costs nothing to try again with the next batch.
const SLOW_FAILURE: Duration = Duration::from_secs(1);

/// A ring whose thread pushed nothing, and asked for nothing, for this long is idle: its
/// room goes to the busy ones.
const IDLE_AFTER: Duration = Duration::from_millis(50);

/// What a producing thread and the worker share about one ring, beside the ring itself.
struct RingShare {
    /// The thread may push its `n`-th span (counting from 0) while `n < limit`. Set by
    /// [`rebalance`], read by the producer on every push (a read-mostly line).
    limit: AtomicU64,
    /// Set by the producer when it reached its limit; cleared by a rebalance that gave it
    /// room.
    hungry: AtomicBool,
}

/// The worker's end of one producing thread's ring.
struct Ring {
    spans: rtrb::Consumer<Queued>,
    share: Arc<RingShare>,
    /// Spans read out of the ring so far.
    consumed: u64,
    /// The ring's tail (spans pushed) at the last rebalance.
    last_tail: u64,
    /// Spans in the ring, as the current rebalance saw them.
    seen: u64,
    /// The last rebalance that saw the thread push or ask for room.
    active_at: Instant,
}

/// A span in a ring. The worker moves its data out in place (`Finished::write_into`, which
/// leaves it owning nothing) and frees the slot without a drop; [`Ring::discard`] drops what
/// was never read.
type Queued = ManuallyDrop<Finished>;

impl Ring {
    /// Drops every span still in the ring; how many.
    fn discard(&mut self) -> u64 {
        let n = self.spans.slots();
        let Ok(mut chunk) = self.spans.read_chunk(n) else {
            return 0;
        };
        let (first, second) = chunk.as_mut_slices();
        for q in first.iter_mut().chain(second.iter_mut()) {
            #[allow(unsafe_code)]
            // SAFETY: each slot of the chunk holds a span the worker has not read (it
            // frees the slots it reads), dropped once here; the slots are then freed
            // without another drop (`ManuallyDrop`).
            unsafe {
                ManuallyDrop::drop(q);
            }
        }
        chunk.commit_all();
        self.consumed += n as u64;
        n as u64
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        self.discard();
    }
}

/// Shares the queue bound among the rings: each ring keeps what it holds, plus headroom
/// (how many more spans its thread may push before the next rebalance). Rings whose thread
/// pushed or asked for room in the last [`IDLE_AFTER`] share what is free equally, and get
/// half of their share now: a thread that uses it asks for more (a rebalance, and the
/// worker is woken) while the other half is still free, so a burst is drained before the
/// queue is full. Idle rings keep a little; rings of exited threads none. The headrooms add
/// up to at most `bound` minus what the rings hold minus one span per ring (a push that
/// read the limit just before it moved down): queued spans stay under `bound` whatever the
/// threads do.
fn rebalance(rings: &mut [Ring], bound: u64, capacity: u64) {
    let now = Instant::now();
    let mut held = 0u64;
    let mut live = 0u64;
    let mut busy = 0u64;
    for r in rings.iter_mut() {
        r.seen = r.spans.slots() as u64;
        held += r.seen;
        if r.spans.is_abandoned() {
            continue;
        }
        live += 1;
        if r.share.hungry.load(Ordering::Relaxed) || r.consumed + r.seen > r.last_tail {
            r.active_at = now;
        }
        if now.saturating_duration_since(r.active_at) < IDLE_AFTER {
            busy += 1;
        }
    }
    let free = bound.saturating_sub(held + rings.len() as u64);
    let idle = live - busy;
    let base = IDLE_HEADROOM_MAX.min(free / (2 * live.max(1)));
    let share = (free - base * idle) / busy.max(1);
    for r in rings.iter_mut() {
        let tail = r.consumed + r.seen;
        let headroom = if r.spans.is_abandoned() {
            0
        } else if now.saturating_duration_since(r.active_at) < IDLE_AFTER {
            share.div_ceil(2)
        } else {
            base
        }
        .min(capacity.saturating_sub(r.seen));
        r.share.limit.store(tail + headroom, Ordering::Relaxed);
        if headroom > 0 {
            // A ring left without room stays hungry: its thread's next refusals cost a load,
            // not another rebalance.
            r.share.hungry.store(false, Ordering::Relaxed);
        }
        r.last_tail = tail;
    }
}

struct Shared {
    rings: Mutex<Vec<Ring>>,
    control: Mutex<Vec<Control>>,
    counters: Arc<Counters>,
    reporter: Reporter,
    /// The most spans queued in all rings together (`max_queue_size`).
    bound: u64,
    /// Each ring's capacity (`min(max_queue_size, RING_CAPACITY_MAX)`).
    capacity: usize,
    /// Set before every unpark: the worker does not rely on the thread's unpark token alone,
    /// which exporter code that parks (an HTTP client waiting on a channel) can consume.
    notified: AtomicBool,
    /// The worker thread runs.
    alive: AtomicBool,
    /// A shutdown stopped waiting for the worker (stuck in the exporter): it stops at its
    /// next step, and what it was exporting has been counted as failed.
    abandoned: AtomicBool,
    /// Spans in the worker's batch (moved out of the rings, not yet counted); whoever takes
    /// them (the worker when their export returns, or a shutdown that gives up) counts
    /// them.
    batch_spans: AtomicU64,
    /// The worker is inside the exporter.
    exporting: AtomicBool,
    /// Shut down: spans still in the rings are dropped and counted when swept.
    closed: AtomicBool,
    /// A shutdown has begun (its grace period runs).
    winding_down: AtomicBool,
}

/// A thread's producer end, kept in the thread-local state.
pub(crate) struct ProducerSlot {
    generation: u64,
    producer: rtrb::Producer<Queued>,
    share: Arc<RingShare>,
    /// Spans pushed into the ring so far.
    pushed: u64,
    since_notify: usize,
}

pub(crate) struct BatchProcessor {
    shared: Arc<Shared>,
    /// Shared with the worker: shutdown tells it that time is running out
    /// (`begin_shutdown`) while the worker may be inside `export`.
    exporter: Arc<dyn SpanExporter>,
    config: BatchConfig,
    worker: Thread,
    handle: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl BatchProcessor {
    pub(crate) fn new(
        exporter: Box<dyn SpanExporter>,
        config: BatchConfig,
        epoch: Epoch,
        scope: InstrumentationScope,
        counters: Arc<Counters>,
        reporter: Reporter,
    ) -> Self {
        let config = config.normalized();
        let shared = Arc::new(Shared {
            rings: Mutex::new(Vec::new()),
            control: Mutex::new(Vec::new()),
            counters,
            reporter,
            bound: config.max_queue_size as u64,
            capacity: config.max_queue_size.min(RING_CAPACITY_MAX),
            notified: AtomicBool::new(false),
            alive: AtomicBool::new(true),
            abandoned: AtomicBool::new(false),
            batch_spans: AtomicU64::new(0),
            exporting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            winding_down: AtomicBool::new(false),
        });
        let exporter: Arc<dyn SpanExporter> = Arc::from(exporter);
        let worker_shared = Arc::clone(&shared);
        let worker_exporter = Arc::clone(&exporter);
        let spawned = thread::Builder::new()
            .name("traced-batch".into())
            .spawn(move || {
                Worker::new(worker_shared, worker_exporter, config, epoch, scope).run();
            });
        let (worker, handle) = if let Ok(h) = spawned {
            (h.thread().clone(), Some(h))
        } else {
            // No thread could be started: spans queue up to the bound and are then counted
            // as dropped; flush and shutdown say so at once.
            shared.alive.store(false, Ordering::Release);
            (thread::current(), None)
        };
        BatchProcessor {
            shared,
            exporter,
            config,
            worker,
            handle: Mutex::new(handle),
        }
    }

    /// Queues an ended span into the ring of the thread whose producer slot is `producer`
    /// (registering one on the thread's first span of tracer `generation`), wait-free;
    /// `false` when the thread's share of the queue is full and the span is dropped.
    #[inline]
    pub(crate) fn push(
        &self,
        producer: &mut Option<ProducerSlot>,
        generation: u64,
        finished: &mut Finished,
    ) -> bool {
        let slot = match producer {
            Some(p) if p.generation == generation => p,
            other => other.insert(self.register(generation)),
        };
        if slot.pushed >= slot.share.limit.load(Ordering::Relaxed) && !self.more_room(slot) {
            return false;
        }
        // Written straight into the ring's slot: the record is copied once.
        let Ok(mut chunk) = slot.producer.write_chunk_uninit(1) else {
            return false;
        };
        let (first, _) = chunk.as_mut_slices();
        let Some(cell) = first.first_mut() else {
            return false;
        };
        finished.move_into(cell);
        // SAFETY: the chunk's one slot was initialized just above.
        #[allow(unsafe_code)]
        unsafe {
            chunk.commit_all();
        }
        slot.pushed += 1;
        slot.since_notify += 1;
        if slot.since_notify >= self.config.max_export_batch_size {
            slot.since_notify = 0;
            self.wake();
        }
        true
    }

    /// The thread reached its share of the queue: asks for more. The rebalance runs here,
    /// and the worker is woken to drain the rings. Taking the rings' lock may wait for the
    /// worker converting one batch (microseconds: the lock is never held across an export)
    /// or another thread's rebalance. When a rebalance found no room (the queue is full:
    /// the exporter is behind), the thread's next refusals cost one atomic swap until the
    /// worker has drained enough to give it room. `true` when there is room now.
    #[cold]
    #[inline(never)]
    fn more_room(&self, slot: &ProducerSlot) -> bool {
        if slot.share.hungry.swap(true, Ordering::Relaxed) {
            return false;
        }
        self.shared.rebalance(&mut lock(&self.shared.rings));
        self.wake();
        slot.pushed < slot.share.limit.load(Ordering::Relaxed)
    }

    fn wake(&self) {
        self.shared.notified.store(true, Ordering::Release);
        self.worker.unpark();
    }

    #[cold]
    fn register(&self, generation: u64) -> ProducerSlot {
        let (producer, spans) = rtrb::RingBuffer::new(self.shared.capacity);
        let share = Arc::new(RingShare {
            limit: AtomicU64::new(0),
            hungry: AtomicBool::new(true),
        });
        let mut rings = lock(&self.shared.rings);
        rings.push(Ring {
            spans,
            share: Arc::clone(&share),
            consumed: 0,
            last_tail: 0,
            seen: 0,
            active_at: Instant::now(),
        });
        self.shared.rebalance(&mut rings);
        ProducerSlot {
            generation,
            producer,
            share,
            pushed: 0,
            since_notify: 0,
        }
    }

    /// Asks the worker to flush or shut down and waits for its answer until the export
    /// timeout; the worker's own deadline is a little earlier, so that an exporter that
    /// keeps to it lets the worker answer in time.
    fn request(
        &self,
        make: impl FnOnce(Reply, Instant) -> Control,
        shutdown: bool,
    ) -> Result<(), ExportError> {
        let timeout = self.config.export_timeout;
        let start = Instant::now();
        let margin = (timeout / 10).min(Duration::from_millis(100));
        let deadline = after(start, timeout.saturating_sub(margin));
        let (tx, rx) = mpsc::sync_channel(1);
        lock(&self.shared.control).push(make(tx, deadline));
        if !self.shared.alive.load(Ordering::Acquire) {
            lock(&self.shared.control).clear();
            return Err(worker_gone());
        }
        if shutdown {
            // An export in progress (retrying a collector that is down, say) must not
            // eat the grace period.
            self.shared.winding_down.store(true, Ordering::Release);
            self.exporter.begin_shutdown(deadline);
        }
        self.wake();
        let wait = after(start, timeout).saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ExportError::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(worker_gone()),
        }
    }

    pub(crate) fn force_flush(&self) -> Result<(), ExportError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(ExportError::ShutDown);
        }
        self.request(|reply, deadline| Control::Flush { reply, deadline }, false)
    }

    /// Exports what is queued within the export timeout, shuts the exporter down and stops
    /// the worker. Whatever happens, every span is counted once it returns: exported,
    /// failed (the exporter's error, or the batch it was still holding when the timeout
    /// ran out), or dropped (never handed to the exporter).
    pub(crate) fn shutdown(&self) -> Result<(), ExportError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let result = self.request(
            |reply, deadline| Control::Shutdown { reply, deadline },
            true,
        );
        if result == Err(ExportError::Timeout) {
            self.abandon();
        } else if let Some(h) = lock(&self.handle).take() {
            let _ = h.join();
        }
        self.shared.closed.store(true, Ordering::Release);
        let left = self.settle();
        if left > 0 {
            self.shared.reporter.report(ExportFailure::new(
                ExportError::ShutDown,
                left,
                FailureStage::Shutdown,
            ));
        }
        self.shared.reporter.flush();
        result
    }

    /// Gives up on a worker that did not answer in time (stuck in the exporter): its batch
    /// counts as failed (in the exporter's hands) or dropped (not yet), and it stops at its
    /// next step. Taken under the rings' lock, so that no span is between a ring and the
    /// batch meanwhile.
    fn abandon(&self) {
        let rings = lock(&self.shared.rings);
        self.shared.abandoned.store(true, Ordering::Release);
        let n = self.shared.batch_spans.swap(0, Ordering::AcqRel);
        drop(rings);
        if n > 0 {
            if self.shared.exporting.load(Ordering::Acquire) {
                self.shared.counters.add_failed(n);
            } else {
                self.shared.counters.add_dropped(n);
            }
            self.shared.reporter.report(ExportFailure::new(
                ExportError::Timeout,
                n,
                FailureStage::Shutdown,
            ));
        }
    }

    /// After shutdown: drops and counts the spans still in the rings (pushed after the
    /// worker's last look, or never looked at); how many. A no-op before shutdown.
    pub(crate) fn settle(&self) -> u64 {
        if !self.shared.closed.load(Ordering::Acquire) {
            return 0;
        }
        let mut rings = lock(&self.shared.rings);
        let n: u64 = rings.iter_mut().map(Ring::discard).sum();
        rings.retain(|r| !r.spans.is_abandoned());
        self.shared.counters.add_dropped(n);
        n
    }

    /// Spans in the rings now.
    pub(crate) fn queued(&self) -> u64 {
        self.shared.queued()
    }

    /// Rings registered now (one per producing thread, until an exited thread's is drained).
    #[cfg(test)]
    fn rings(&self) -> usize {
        lock(&self.shared.rings).len()
    }
}

fn worker_gone() -> ExportError {
    ExportError::new("the batch worker thread is not running")
}

/// `now + d`, saturating at a year away (any configured duration is safe).
fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

struct Worker {
    shared: Arc<Shared>,
    exporter: Arc<dyn SpanExporter>,
    config: BatchConfig,
    epoch: Epoch,
    scope: InstrumentationScope,
    /// Spans of the batch being built are `batch[..len]`; entries past `len` are kept from
    /// earlier batches to be overwritten.
    batch: Vec<SpanData>,
    len: usize,
    /// Why a shutdown stopped trying the collector: an export failed slowly while it ran
    /// (the collector hangs or times out: each further batch would take as long, so one
    /// such failure is enough within a grace period).
    given_up: Option<ExportError>,
    /// The first export that failed once a shutdown began (the shutdown reports it).
    failed_in_shutdown: Option<ExportError>,
}

/// Marks the worker gone when its thread ends, however it ends: flush and shutdown
/// requests then fail at once instead of waiting for the timeout.
struct Alive(Arc<Shared>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        let n = self.0.batch_spans.swap(0, Ordering::AcqRel);
        self.0.counters.add_failed(n);
        // Dropping the pending requests' reply senders wakes their callers.
        lock(&self.0.control).clear();
    }
}

impl Worker {
    fn new(
        shared: Arc<Shared>,
        exporter: Arc<dyn SpanExporter>,
        config: BatchConfig,
        epoch: Epoch,
        scope: InstrumentationScope,
    ) -> Self {
        Worker {
            shared,
            exporter,
            batch: Vec::with_capacity(config.max_export_batch_size),
            len: 0,
            given_up: None,
            failed_in_shutdown: None,
            config,
            epoch,
            scope,
        }
    }

    fn run(mut self) {
        let _alive = Alive(Arc::clone(&self.shared));
        let mut deadline = after(Instant::now(), self.config.scheduled_delay);
        loop {
            // A panic that escapes the exporter's containment (a bug here) costs the batch
            // being built, counted and reported, not the worker.
            let step = panic::catch_unwind(AssertUnwindSafe(|| self.step(&mut deadline)));
            match step {
                Ok(true) => {}
                Ok(false) => return,
                Err(payload) => {
                    let lost = self.shared.batch_spans.swap(0, Ordering::AcqRel);
                    self.len = 0;
                    self.shared.counters.add_failed(lost);
                    self.shared.reporter.report(ExportFailure::new(
                        report::panicked(&*payload),
                        lost,
                        FailureStage::Export,
                    ));
                }
            }
        }
    }

    /// One round of the worker's loop; `false` when it must stop.
    fn step(&mut self, deadline: &mut Instant) -> bool {
        if self.shared.abandoned.load(Ordering::Acquire) {
            return false;
        }
        let controls = std::mem::take(&mut *lock(&self.shared.control));
        for control in controls {
            match control {
                Control::Flush { reply, deadline } => {
                    let r = self.flush(deadline);
                    let _ = reply.send(r);
                }
                Control::Shutdown { reply, deadline } => {
                    let r = self.finish(deadline);
                    let _ = reply.send(r);
                    return false;
                }
            }
        }
        // Export full batches while the rings hold them, and until a flush or shutdown
        // comes: producers flat out could keep this loop going for ever.
        while !self.shared.control_pending() && self.fill() {
            let _ = self.export(FailureStage::Export, None);
        }
        let now = Instant::now();
        if now >= *deadline {
            if self.len > 0 {
                let _ = self.export(FailureStage::Export, None);
            }
            *deadline = after(now, self.config.scheduled_delay);
        }
        let idle = !self.shared.notified.swap(false, Ordering::AcqRel)
            && lock(&self.shared.control).is_empty();
        if idle {
            thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
        }
        true
    }

    /// Moves spans from the rings into the batch, then shares the queue bound anew; `true`
    /// when the batch is full.
    fn fill(&mut self) -> bool {
        let max = self.config.max_export_batch_size;
        let mut rings = lock(&self.shared.rings);
        if self.shared.abandoned.load(Ordering::Acquire) {
            return false;
        }
        for ring in rings.iter_mut() {
            let want = max - self.len;
            let n = ring.spans.slots().min(want);
            if n == 0 {
                continue;
            }
            if let Ok(mut chunk) = ring.spans.read_chunk(n) {
                let (first, second) = chunk.as_mut_slices();
                for q in first.iter_mut().chain(second.iter_mut()) {
                    // Earlier batches' entries are overwritten: their attribute vectors are
                    // reused, so the worker allocates nothing per span.
                    // `write_into` leaves the span in the slot owning nothing: the slot is
                    // freed below without a drop (`ManuallyDrop`).
                    if let Some(slot) = self.batch.get_mut(self.len) {
                        q.write_into(slot, &self.epoch);
                    } else {
                        let mut d = Finished::empty_data(&self.scope);
                        q.write_into(&mut d, &self.epoch);
                        self.batch.push(d);
                    }
                    self.len += 1;
                }
                // Frees the slots (their spans were moved out above).
                chunk.commit_all();
                ring.consumed += n as u64;
            }
        }
        self.shared
            .batch_spans
            .store(self.len as u64, Ordering::Release);
        // A ring whose thread has exited is removed once empty.
        rings.retain(|r| !(r.spans.is_abandoned() && r.spans.is_empty()));
        self.shared.rebalance(&mut rings);
        self.len >= max
    }

    /// Hands the batch to the exporter (with a deadline while flushing or shutting down),
    /// counts the outcome and reports a failure. A panicking exporter fails the batch.
    fn export(
        &mut self,
        stage: FailureStage,
        deadline: Option<Instant>,
    ) -> Result<(), ExportError> {
        let sent = self.len as u64;
        let batch = &self.batch[..self.len];
        let exporter = &self.exporter;
        let started = Instant::now();
        self.shared.exporting.store(true, Ordering::Release);
        let result = report::contained(|| match deadline {
            Some(d) => exporter.export_until(batch, d),
            None => exporter.export(batch),
        });
        self.shared.exporting.store(false, Ordering::Release);
        // Zero when a shutdown gave up waiting and counted the batch itself.
        if self.shared.batch_spans.swap(0, Ordering::AcqRel) == sent {
            let failed = match &result {
                Ok(()) => 0,
                // A partial success: the rest of the batch was accepted.
                Err(ExportError::Rejected { rejected, .. }) => (*rejected).min(sent),
                Err(_) => sent,
            };
            self.shared.counters.add_failed(failed);
            self.shared.counters.add_exported(sent - failed);
            if let Err(e) = &result {
                self.shared
                    .reporter
                    .report(ExportFailure::new(e.clone(), failed, stage));
                if self.shared.winding_down.load(Ordering::Acquire) {
                    self.failed_in_shutdown.get_or_insert_with(|| e.clone());
                    if !matches!(e, ExportError::Rejected { .. })
                        && started.elapsed() >= SLOW_FAILURE
                    {
                        self.given_up = Some(e.clone());
                    }
                }
            }
        }
        // What the spans own is released now (not kept until the entry is reused), the
        // vectors' capacity stays for the next batch.
        for d in &mut self.batch[..self.len] {
            d.name = std::borrow::Cow::Borrowed("");
            d.span_context.trace_state = crate::span_context::TraceState::default();
            d.attributes.clear();
            d.events.clear();
            d.links.clear();
            d.status = crate::model::Status::Unset;
        }
        self.len = 0;
        result
    }

    /// Exports everything queued, in full batches and then the rest, until `deadline`;
    /// `Err(Timeout)` when spans were left queued then. While shutting down, an export that
    /// fails slowly ends it: the collector hangs, and trying batch after batch would spend
    /// the grace period (the rest is counted by the caller).
    fn export_all(&mut self, stage: FailureStage, deadline: Instant) -> Result<(), ExportError> {
        let mut result = Ok(());
        loop {
            if let Some(e) = &self.given_up {
                return Err(e.clone());
            }
            if Instant::now() >= deadline {
                let left = self.len > 0 || self.shared.queued() > 0;
                return if left {
                    Err(ExportError::Timeout)
                } else {
                    result
                };
            }
            self.fill();
            if self.len == 0 {
                return result;
            }
            if let Err(e) = self.export(stage, Some(deadline)) {
                result = Err(e);
            }
        }
    }

    /// A flush: what is queued now is exported by `deadline` (what is not stays queued),
    /// then the exporter flushes.
    fn flush(&mut self, deadline: Instant) -> Result<(), ExportError> {
        let exported = self.export_all(FailureStage::Flush, deadline);
        let flushed = report::contained(|| self.exporter.force_flush());
        if let Err(e) = &flushed {
            self.shared
                .reporter
                .report(ExportFailure::new(e.clone(), 0, FailureStage::Flush));
        }
        exported.and(flushed)
    }

    /// Shutdown: what is queued is exported by `deadline`; what is left then is dropped and
    /// counted; then the exporter shuts down.
    fn finish(&mut self, deadline: Instant) -> Result<(), ExportError> {
        let exported = self.export_all(FailureStage::Shutdown, deadline);
        self.len = 0;
        let mut left = self.shared.batch_spans.swap(0, Ordering::AcqRel);
        left += lock(&self.shared.rings)
            .iter_mut()
            .map(Ring::discard)
            .sum::<u64>();
        if left > 0 {
            self.shared.counters.add_dropped(left);
            let why = self.given_up.clone().unwrap_or(ExportError::Timeout);
            self.shared
                .reporter
                .report(ExportFailure::new(why, left, FailureStage::Shutdown));
        }
        let shut = report::contained(|| self.exporter.shutdown());
        if let Err(e) = &shut {
            self.shared
                .reporter
                .report(ExportFailure::new(e.clone(), 0, FailureStage::Shutdown));
        }
        // An export already under way when the shutdown began counts too.
        let earlier = self.failed_in_shutdown.take().map_or(Ok(()), Err);
        exported.and(earlier).and(shut)
    }
}

impl Shared {
    /// [`rebalance`] with this processor's bound and ring capacity.
    fn rebalance(&self, rings: &mut [Ring]) {
        rebalance(rings, self.bound, self.capacity as u64);
    }

    fn control_pending(&self) -> bool {
        !lock(&self.control).is_empty()
    }

    /// Spans in the rings now.
    fn queued(&self) -> u64 {
        lock(&self.rings)
            .iter()
            .map(|r| r.spans.slots() as u64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::mem::MaybeUninit;

    use super::{Queued, Ring};
    use crate::clock::Epoch;
    use crate::data::InstrumentationScope;
    use crate::id::{SpanId, TraceId};
    use crate::model::{SpanKind, Status};
    use crate::record::Finished;
    use crate::span_context::{SpanContext, TraceFlags, TraceState};
    use crate::value::KeyValue;

    fn record(ts: &TraceState, attributes: usize) -> Finished {
        Finished {
            name: Cow::Owned("owned name".to_owned()),
            kind: SpanKind::Client,
            parent_is_remote: false,
            ctx: SpanContext::new(
                TraceId::random(),
                SpanId::random(),
                TraceFlags::default(),
                false,
                ts.clone(),
            ),
            parent_span_id: None,
            start: 1,
            end: 2,
            attributes: (0..attributes)
                .map(|i| KeyValue::new(format!("key.{i}"), "a value long enough not to be inline"))
                .collect(),
            status: Status::error("failed"),
            dropped_attributes: 3,
            rare: None,
        }
    }

    /// A span moves into a ring slot and out to the exporter's `SpanData` without being
    /// copied twice or dropped twice: the record left behind and the slot own nothing.
    /// (These two tests exercise the `unsafe` moves; they also run under Miri:
    /// `MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -p trace-core --lib -- processor::batch attributes value`.)
    #[test]
    fn a_span_moves_through_its_slot_whole() {
        let ts = TraceState::from_members(vec![("k".into(), "v".into())]);
        let mut rec = record(&ts, 6); // more attributes than fit inline
        assert_eq!(ts.holders(), 2);
        let mut slot = MaybeUninit::<Queued>::uninit();
        rec.move_into(&mut slot);
        assert_eq!(ts.holders(), 2, "moved, not cloned");
        assert_eq!(rec.name, "");
        assert!(rec.attributes.is_empty() && !rec.attributes.spilled());
        assert_eq!(rec.ctx.trace_state.holders(), 0);
        assert_eq!(rec.status, Status::Unset);
        assert_eq!(rec.dropped_attributes, 0);
        // SAFETY: `move_into` initialized the slot.
        #[allow(unsafe_code)]
        let queued = unsafe { slot.assume_init_mut() };
        let mut d = Finished::empty_data(&InstrumentationScope::default());
        queued.write_into(&mut d, &Epoch::mock());
        assert_eq!(d.name, "owned name");
        assert_eq!(d.kind, SpanKind::Client);
        assert_eq!(d.attributes.len(), 6);
        assert_eq!(d.attributes[5].key, "key.5");
        assert_eq!(d.status, Status::error("failed"));
        assert_eq!(d.dropped_attributes_count, 3);
        assert_eq!(d.span_context.trace_state.holders(), 2);
        // What stays in the slot owns nothing (the worker frees it without a drop).
        assert!(queued.attributes.is_empty() && !queued.attributes.spilled());
        assert_eq!(queued.name, "");
        assert_eq!(queued.ctx.trace_state.holders(), 0);
        drop(d);
        assert_eq!(ts.holders(), 1);
    }

    /// Spans still queued when a ring goes away are dropped, once each.
    #[test]
    fn spans_left_in_a_ring_are_dropped() {
        let ts = TraceState::from_members(vec![("k".into(), "v".into())]);
        let (mut producer, consumer) = rtrb::RingBuffer::<Queued>::new(8);
        for _ in 0..3 {
            let mut rec = record(&ts, 2);
            let mut chunk = producer.write_chunk_uninit(1).expect("room for one");
            let (first, _) = chunk.as_mut_slices();
            rec.move_into(&mut first[0]);
            // SAFETY: the one slot was initialized just above.
            #[allow(unsafe_code)]
            unsafe {
                chunk.commit_all();
            }
        }
        assert_eq!(ts.holders(), 4);
        drop(Ring {
            spans: consumer,
            share: std::sync::Arc::new(super::RingShare {
                limit: std::sync::atomic::AtomicU64::new(0),
                hungry: std::sync::atomic::AtomicBool::new(false),
            }),
            consumed: 0,
            last_tail: 0,
            seen: 0,
            active_at: std::time::Instant::now(),
        });
        drop(producer);
        assert_eq!(ts.holders(), 1);
    }

    fn span() -> Finished {
        record(&TraceState::default(), 1)
    }

    /// An exporter that keeps nothing and can be held shut.
    #[derive(Clone, Default)]
    struct Valve {
        shut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl crate::export::SpanExporter for Valve {
        fn export(&self, _: &[crate::data::SpanData]) -> Result<(), crate::export::ExportError> {
            while self.shut.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Ok(())
        }
    }

    fn processor(exporter: Valve, queue: usize) -> super::BatchProcessor {
        super::BatchProcessor::new(
            Box::new(exporter),
            super::BatchConfig::default()
                .with_max_queue_size(queue)
                .with_max_export_batch_size(16)
                .with_scheduled_delay(std::time::Duration::from_millis(1)),
            Epoch::mock(),
            InstrumentationScope::default(),
            std::sync::Arc::default(),
            super::Reporter::new(None),
        )
    }

    /// Many producers against an exporter that takes nothing: what the rings hold never
    /// passes the bound (plus one span per ring in flight), however the threads come and go.
    #[test]
    fn the_queue_bound_holds_across_threads() {
        let valve = Valve::default();
        valve.shut.store(true, std::sync::atomic::Ordering::SeqCst);
        let p = processor(valve.clone(), 256);
        let pushed = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..32 {
                s.spawn(|| {
                    let mut slot = None;
                    for _ in 0..200 {
                        if p.push(&mut slot, 1, &mut span()) {
                            pushed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let queued = p.queued();
        let rings = p.rings() as u64;
        // The worker may hold one batch (16) in the exporter's hands, out of the rings.
        assert!(queued <= 256, "queued {queued} over the bound");
        let pushed = pushed.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            pushed <= 256 + 16 + rings,
            "pushed {pushed} with {rings} rings"
        );
        assert!(pushed >= 200, "the bound was shared: pushed {pushed}");
        valve.shut.store(false, std::sync::atomic::Ordering::SeqCst);
        p.force_flush().unwrap();
        // Every thread exited and its ring was drained: the rings are gone.
        assert_eq!(p.rings(), 0);
        p.shutdown().unwrap();
    }

    /// One thread alone may use the whole bound; a second one gets a share as soon as it
    /// starts, and the first one's unused room is taken back.
    #[test]
    fn an_idle_threads_share_goes_to_a_busy_one() {
        let valve = Valve::default();
        valve.shut.store(true, std::sync::atomic::Ordering::SeqCst);
        let p = processor(valve.clone(), 1000);
        let mut first = None;
        assert!(p.push(&mut first, 1, &mut span()));
        // The first thread stops; a second thread produces a burst larger than a fair half.
        let accepted = std::thread::scope(|s| {
            s.spawn(|| {
                let mut slot = None;
                (0..900)
                    .filter(|_| p.push(&mut slot, 1, &mut span()))
                    .count()
            })
            .join()
            .unwrap()
        });
        assert!(
            accepted >= 800,
            "accepted {accepted} of 900 with a bound of 1000"
        );
        valve.shut.store(false, std::sync::atomic::Ordering::SeqCst);
        drop(first);
        p.shutdown().unwrap();
    }
}
