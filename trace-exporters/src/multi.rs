//! Fan-out to several exporters.

use std::fmt;
use std::time::Instant;

use trace_core::{ExportError, Resource, SpanData, SpanExporter};

/// Sends every batch to each of several exporters, in order.
///
/// One failing exporter does not stop the others: each one gets every
/// batch, and the errors of those that failed are combined into one.
///
/// # Examples
///
/// ```no_run
/// use trace_exporters::{FileExporter, MultiExporter, OtlpExporter};
///
/// let exporter = MultiExporter::new()
///     .with(OtlpExporter::builder().build()?)
///     .with(FileExporter::create("spans.jsonl")?);
/// let _guard = trace_core::Tracer::builder().exporter(exporter).install_global();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct MultiExporter {
    exporters: Vec<Box<dyn SpanExporter>>,
}

impl fmt::Debug for MultiExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiExporter")
            .field("exporters", &self.exporters.len())
            .finish()
    }
}

impl MultiExporter {
    /// An exporter that sends to nothing until [`with`](Self::with) adds some.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an exporter.
    #[must_use]
    pub fn with(mut self, exporter: impl SpanExporter) -> Self {
        self.exporters.push(Box::new(exporter));
        self
    }

    /// Adds an exporter that is already boxed.
    #[must_use]
    pub fn with_boxed(mut self, exporter: Box<dyn SpanExporter>) -> Self {
        self.exporters.push(exporter);
        self
    }

    /// How many exporters receive each batch.
    pub fn len(&self) -> usize {
        self.exporters.len()
    }

    /// Whether no exporter was added.
    pub fn is_empty(&self) -> bool {
        self.exporters.is_empty()
    }

    fn each(
        &self,
        what: &str,
        mut call: impl FnMut(&dyn SpanExporter) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        let mut failures = Vec::new();
        for (i, exporter) in self.exporters.iter().enumerate() {
            if let Err(e) = call(exporter.as_ref()) {
                failures.push(format!("exporter #{i}: {e}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ExportError::new(format!(
                "{what} failed for {} of {} exporters: {}",
                failures.len(),
                self.exporters.len(),
                failures.join("; ")
            )))
        }
    }
}

impl SpanExporter for MultiExporter {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.each("export", |e| e.export(batch))
    }

    /// Gives every exporter the same `deadline`.
    fn export_until(&self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.each("export", |e| e.export_until(batch, deadline))
    }

    fn begin_shutdown(&self, deadline: Instant) {
        for e in &self.exporters {
            e.begin_shutdown(deadline);
        }
    }

    fn force_flush(&self) -> Result<(), ExportError> {
        self.each("flush", SpanExporter::force_flush)
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.each("shutdown", SpanExporter::shutdown)
    }

    fn set_resource(&mut self, resource: &Resource) {
        for exporter in &mut self.exporters {
            exporter.set_resource(resource);
        }
    }
}
