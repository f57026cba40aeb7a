//! The exporter that discards everything.

use trace_core::{ExportError, SpanData, SpanExporter};

/// Discards every span. Useful to measure the cost of instrumentation, or to keep spans
/// (and context propagation) running with no backend.
///
/// # Examples
/// ```
/// use trace_core::Tracer;
/// let _guard = Tracer::builder().exporter(trace_exporters::NoopExporter).install_global();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopExporter;

impl SpanExporter for NoopExporter {
    fn export(&self, _batch: &[SpanData]) -> Result<(), ExportError> {
        Ok(())
    }
}
