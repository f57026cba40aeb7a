//! JSON lines to any `io::Write`.

use std::fmt;
use std::io::Write;
use std::sync::{Mutex, PoisonError};

use trace_core::{ExportError, Resource, SpanData, SpanExporter};

use crate::json::LineEncoder;

/// Writes each span as one line of OTLP/JSON to a writer (a socket, a pipe,
/// a buffer in a test). The line format is described in the crate docs.
///
/// Each batch is encoded first and written with one `write_all`, then the
/// writer is flushed, so lines from one batch are never interleaved with
/// other output of this exporter.
///
/// # Examples
///
/// ```
/// use trace_exporters::WriterExporter;
///
/// let exporter = WriterExporter::new(std::io::stderr());
/// let guard = trace_core::Tracer::builder()
///     .simple_exporter(exporter)
///     .install_global();
/// trace_core::span("job").start();
/// guard.shutdown().ok();
/// ```
pub struct WriterExporter<W> {
    writer: Mutex<W>,
    lines: LineEncoder,
    buffer: Mutex<Vec<u8>>,
}

impl<W> fmt::Debug for WriterExporter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterExporter").finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> WriterExporter<W> {
    /// Exports to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer: Mutex::new(writer),
            lines: LineEncoder::default(),
            buffer: Mutex::new(Vec::new()),
        }
    }
}

impl<W: Write + Send + 'static> SpanExporter for WriterExporter<W> {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        buffer.clear();
        for span in batch {
            self.lines.line(span, &mut buffer);
        }
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let result = writer.write_all(&buffer).and_then(|()| writer.flush());
        if buffer.capacity() > 1 << 20 {
            *buffer = Vec::new();
        }
        result.map_err(|e| ExportError::new(format!("writing spans failed: {e}")))
    }

    fn force_flush(&self) -> Result<(), ExportError> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer
            .flush()
            .map_err(|e| ExportError::new(format!("flushing spans failed: {e}")))
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.lines = LineEncoder::new(resource);
    }
}
