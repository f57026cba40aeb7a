//! Span processors: what happens to a span when it ends.

mod batch;
mod simple;

pub use batch::BatchConfig;
pub(crate) use batch::ProducerSlot;

use crate::data::InstrumentationScope;
use crate::export::{ExportError, SpanExporter};
use crate::span::Finished;
use crate::tracer::{Epoch, TracerInner};

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

    /// Takes an ended span; `false` when it had to be dropped.
    pub(crate) fn on_end(&self, tracer: &'static TracerInner, finished: Finished) -> bool {
        match self {
            Processor::Discard => true,
            Processor::Batch(b) => b.on_end(tracer, finished),
            Processor::Simple(s) => s.on_end(tracer, finished),
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
