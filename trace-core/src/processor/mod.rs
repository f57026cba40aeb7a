//! Span processors: where an ended span goes (queued for the batch worker, exported on the
//! spot, or discarded). They know neither the tracer nor the thread-local state: the
//! pipeline hands them the span and the thread's producer slot.

mod batch;
mod report;
mod simple;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use batch::BatchConfig;
pub(crate) use batch::ProducerSlot;
pub(crate) use report::{ErrorHook, Reporter};

use crate::clock::Epoch;
use crate::data::InstrumentationScope;
use crate::export::{ExportError, SpanExporter};
use crate::record::Finished;

/// What became of the spans that ended: every ended span is counted in exactly one of these
/// (or is still queued). Shared by the tracer, its processor and the batch worker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Delivered to the exporter, which reported success.
    exported: AtomicU64,
    /// Never handed to the exporter: queue full, ended after shutdown, or left queued when
    /// a shutdown gave up.
    dropped: AtomicU64,
    /// Handed to the exporter, which failed (or panicked) with them.
    failed: AtomicU64,
}

impl Counters {
    pub(crate) fn add_exported(&self, n: u64) {
        self.exported.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_failed(&self, n: u64) {
        self.failed.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    pub(crate) fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

#[allow(clippy::large_enum_variant)] // one per tracer
pub(crate) enum Processor {
    /// No exporter configured: spans are recorded and discarded.
    Discard,
    Batch(batch::BatchProcessor),
    Simple(simple::SimpleProcessor),
}

impl Processor {
    pub(crate) fn batch(
        exporter: Box<dyn SpanExporter>,
        config: BatchConfig,
        epoch: Epoch,
        scope: InstrumentationScope,
        counters: Arc<Counters>,
        reporter: Reporter,
    ) -> Self {
        Processor::Batch(batch::BatchProcessor::new(
            exporter, config, epoch, scope, counters, reporter,
        ))
    }

    pub(crate) fn simple(
        exporter: Box<dyn SpanExporter>,
        counters: Arc<Counters>,
        reporter: Reporter,
    ) -> Self {
        Processor::Simple(simple::SimpleProcessor::new(exporter, counters, reporter))
    }

    /// Takes an ended span that did not go through a thread's producer slot; `false` when
    /// it had to be dropped. The batch processor only takes spans through a producer slot
    /// (`BatchProcessor::push`): here, the thread's state was out of reach (the thread is
    /// exiting), so the span is dropped.
    pub(crate) fn on_end(
        &self,
        finished: Finished,
        epoch: &Epoch,
        scope: &InstrumentationScope,
    ) -> bool {
        match self {
            Processor::Discard => true,
            Processor::Batch(_) => false,
            Processor::Simple(s) => s.on_end(finished, epoch, scope),
        }
    }

    pub(crate) fn force_flush(&self) -> Result<(), ExportError> {
        match self {
            Processor::Discard => Ok(()),
            Processor::Batch(b) => b.force_flush(),
            Processor::Simple(s) => s.force_flush(),
        }
    }

    pub(crate) fn shutdown(&self) -> Result<(), ExportError> {
        match self {
            Processor::Discard => Ok(()),
            Processor::Batch(b) => b.shutdown(),
            Processor::Simple(s) => s.shutdown(),
        }
    }

    /// After shutdown, counts as dropped what is still queued (spans that ended while the
    /// pipeline was shutting down), so that the counters add up; a no-op before.
    pub(crate) fn settle(&self) {
        if let Processor::Batch(b) = self {
            b.settle();
        }
    }

    /// Spans queued now, not yet handed to the exporter.
    pub(crate) fn queued(&self) -> u64 {
        match self {
            Processor::Batch(b) => b.queued(),
            Processor::Discard | Processor::Simple(_) => 0,
        }
    }
}
