//! The batch processor: lock-free per-thread queues drained by one worker thread.
//!
//! Each producing thread gets its own bounded single-producer ring (registered once, under
//! a lock, the first time the thread ends a span); ending a span is one wait-free push of
//! the finished span, by value: the ring's memory is the only thing the two threads share,
//! written by one and read by the other, and nothing is allocated or handed back. The
//! worker drains the rings into batches of `max_export_batch_size`, exports when a batch is
//! full or `scheduled_delay` has passed, and answers flush and shutdown requests. A full
//! ring drops the new span and counts it: the caller never blocks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use std::mem::ManuallyDrop;

use crate::clock::Epoch;
use crate::data::{InstrumentationScope, SpanData};
use crate::export::{ExportError, SpanExporter};
use crate::record::Finished;

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
    /// Spans buffered per producing thread before new ones are dropped (default 2048).
    ///
    /// Each thread that ends spans gets a ring of this many finished spans, reserved (not
    /// touched) when it ends its first span: about 370 bytes a span, so 740 KiB of address
    /// space per thread at the default, resident as the ring is used.
    pub max_queue_size: usize,
    /// Spans per export call (default 512; at most `max_queue_size`).
    pub max_export_batch_size: usize,
    /// Longest wait before a partial batch is exported (default 5 s).
    pub scheduled_delay: Duration,
    /// Bound on one export, and on how long flush and shutdown wait (default 30 s).
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

    /// Values made usable: sizes at least 1, the batch no larger than the queue.
    fn normalized(mut self) -> Self {
        self.max_queue_size = self.max_queue_size.max(1);
        self.max_export_batch_size = self.max_export_batch_size.clamp(1, self.max_queue_size);
        self
    }
}

type Reply = mpsc::SyncSender<Result<(), ExportError>>;

enum Control {
    Flush(Reply),
    Shutdown(Reply),
}

/// The worker's end of one producing thread's ring.
struct Ring {
    spans: rtrb::Consumer<Queued>,
}

/// A span in a ring. The worker moves its data out in place (`Finished::write_into`, which
/// leaves it owning nothing) and frees the slot without a drop; [`Ring`]'s `Drop` drops
/// what was never read.
type Queued = ManuallyDrop<Finished>;

impl Drop for Ring {
    fn drop(&mut self) {
        let n = self.spans.slots();
        if let Ok(mut chunk) = self.spans.read_chunk(n) {
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
        }
    }
}

struct Shared {
    rings: Mutex<Vec<Ring>>,
    control: Mutex<Vec<Control>>,
    counters: Arc<Counters>,
    /// Set before every unpark: the worker does not rely on the thread's unpark token alone,
    /// which exporter code that parks (an HTTP client waiting on a channel) can consume.
    notified: AtomicBool,
}

/// A thread's producer end, kept in the thread-local state.
pub(crate) struct ProducerSlot {
    generation: u64,
    producer: rtrb::Producer<Queued>,
    since_notify: usize,
}

pub(crate) struct BatchProcessor {
    shared: Arc<Shared>,
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
    ) -> Self {
        let config = config.normalized();
        let shared = Arc::new(Shared {
            rings: Mutex::new(Vec::new()),
            control: Mutex::new(Vec::new()),
            counters,
            notified: AtomicBool::new(false),
        });
        let worker_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("traced-batch".into())
            .spawn(move || Worker::new(worker_shared, exporter, config, epoch, scope).run());
        let (worker, handle) = match spawned {
            Ok(h) => (h.thread().clone(), Some(h)),
            // No thread could be started: spans queue up to the bound and are then counted
            // as dropped; flush and shutdown report a timeout.
            Err(_) => (thread::current(), None),
        };
        BatchProcessor {
            shared,
            config,
            worker,
            handle: Mutex::new(handle),
        }
    }

    /// Queues an ended span into the ring of the thread whose producer slot is `producer`
    /// (registering one on the thread's first span of tracer `generation`), wait-free;
    /// `false` when the ring is full and the span is dropped.
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
        slot.since_notify += 1;
        if slot.since_notify >= self.config.max_export_batch_size {
            slot.since_notify = 0;
            self.wake();
        }
        true
    }

    fn wake(&self) {
        self.shared.notified.store(true, Ordering::Release);
        self.worker.unpark();
    }

    #[cold]
    fn register(&self, generation: u64) -> ProducerSlot {
        let (producer, spans) = rtrb::RingBuffer::new(self.config.max_queue_size);
        lock(&self.shared.rings).push(Ring { spans });
        ProducerSlot {
            generation,
            producer,
            since_notify: 0,
        }
    }

    fn request(&self, make: impl FnOnce(Reply) -> Control) -> Result<(), ExportError> {
        let (tx, rx) = mpsc::sync_channel(1);
        lock(&self.shared.control).push(make(tx));
        self.wake();
        match rx.recv_timeout(self.config.export_timeout) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ExportError::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ExportError::ShutDown),
        }
    }

    pub(crate) fn force_flush(&self) -> Result<(), ExportError> {
        self.request(Control::Flush)
    }

    pub(crate) fn shutdown(&self) -> Result<(), ExportError> {
        let result = self.request(Control::Shutdown);
        if result != Err(ExportError::Timeout) {
            if let Some(h) = lock(&self.handle).take() {
                let _ = h.join();
            }
        }
        result
    }
}

/// `now + d`, saturating at a year away (any configured duration is safe).
fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

struct Worker {
    shared: Arc<Shared>,
    exporter: Box<dyn SpanExporter>,
    config: BatchConfig,
    epoch: Epoch,
    scope: InstrumentationScope,
    /// Spans of the batch being built are `batch[..len]`; entries past `len` are kept from
    /// earlier batches to be overwritten.
    batch: Vec<SpanData>,
    len: usize,
}

impl Worker {
    fn new(
        shared: Arc<Shared>,
        exporter: Box<dyn SpanExporter>,
        config: BatchConfig,
        epoch: Epoch,
        scope: InstrumentationScope,
    ) -> Self {
        Worker {
            shared,
            exporter,
            batch: Vec::with_capacity(config.max_export_batch_size),
            len: 0,
            config,
            epoch,
            scope,
        }
    }

    fn run(mut self) {
        let mut deadline = after(Instant::now(), self.config.scheduled_delay);
        loop {
            let controls = std::mem::take(&mut *lock(&self.shared.control));
            for control in controls {
                match control {
                    Control::Flush(reply) => {
                        let r = self.export_all().and(self.exporter.force_flush());
                        let _ = reply.send(r);
                    }
                    Control::Shutdown(reply) => {
                        let r = self.export_all().and(self.exporter.shutdown());
                        let _ = reply.send(r);
                        return;
                    }
                }
            }
            // Export full batches while the rings hold them.
            while self.fill() {
                let _ = self.export();
            }
            let now = Instant::now();
            if now >= deadline {
                if self.len > 0 {
                    let _ = self.export();
                }
                deadline = after(now, self.config.scheduled_delay);
            }
            let idle = !self.shared.notified.swap(false, Ordering::AcqRel)
                && lock(&self.shared.control).is_empty();
            if idle {
                thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            }
        }
    }

    /// Moves spans from the rings into the batch; `true` when the batch is full.
    fn fill(&mut self) -> bool {
        let max = self.config.max_export_batch_size;
        let mut rings = lock(&self.shared.rings);
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
            }
        }
        // A ring whose thread has exited is removed once empty.
        rings.retain(|r| !(r.spans.is_abandoned() && r.spans.is_empty()));
        self.len >= max
    }

    fn export(&mut self) -> Result<(), ExportError> {
        let batch = &self.batch[..self.len];
        let result = self.exporter.export(batch);
        let sent = batch.len() as u64;
        let failed = match &result {
            Ok(()) => 0,
            // A partial success: the rest of the batch was accepted.
            Err(ExportError::Rejected { rejected, .. }) => (*rejected).min(sent),
            Err(_) => sent,
        };
        self.shared.counters.add_failed(failed);
        self.shared.counters.add_exported(sent - failed);
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

    /// Exports everything queued, in full batches and then the rest.
    fn export_all(&mut self) -> Result<(), ExportError> {
        let mut result = Ok(());
        loop {
            self.fill();
            if self.len == 0 {
                return result;
            }
            if let Err(e) = self.export() {
                result = Err(e);
            }
        }
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
        drop(Ring { spans: consumer });
        drop(producer);
        assert_eq!(ts.holders(), 1);
    }
}
