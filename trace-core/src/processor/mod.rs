//! Span processors: where an ended span goes (queued for the batch worker, exported on the
//! spot, or discarded). They know neither the tracer nor the thread-local state: the
//! pipeline hands them the span and the thread's producer slot.

mod batch;
mod simple;

pub use batch::BatchConfig;
pub(crate) use batch::ProducerSlot;

use crate::clock::Epoch;
use crate::data::InstrumentationScope;
use crate::export::{ExportError, SpanExporter};
use crate::record::Finished;

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
    ) -> Self {
        Processor::Batch(batch::BatchProcessor::new(exporter, config, epoch, scope))
    }

    pub(crate) fn simple(exporter: Box<dyn SpanExporter>) -> Self {
        Processor::Simple(simple::SimpleProcessor::new(exporter))
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

    pub(crate) fn failed_spans(&self) -> u64 {
        match self {
            Processor::Discard => 0,
            Processor::Batch(b) => b.failed_spans(),
            Processor::Simple(s) => s.failed_spans(),
        }
    }
}
