//! JSON lines to any `io::Write`.

use std::fmt;
use std::io::Write;
use std::sync::{Mutex, PoisonError};

use trace_core::{ExportError, Resource, SpanData, SpanExporter};

use crate::json_lines::LineEncoder;

/// Writes each span as one line of OTLP/JSON to a writer (a socket, a pipe,
/// a buffer in a test).
///
/// # The line format
///
/// Each line is a complete OTLP/JSON `ExportTraceServiceRequest` holding one
/// span with its resource and instrumentation scope (shown wrapped here; each
/// object is on one line):
///
/// ```text
/// {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
///  "scopeSpans":[{"scope":{"name":"trace-core","version":"0.1.0"},
///   "spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
///             "parentSpanId":"eee19b7ec3c1b173","flags":257,"name":"GET /users","kind":2,
///             "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
///             "attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}}],
///             "events":[{"timeUnixNano":"1544712660500000000","name":"cache.miss"}],
///             "links":[{"traceId":"..","spanId":"..","flags":768}],
///             "status":{"message":"upstream timed out","code":2}}]}]}]}
/// ```
///
/// The names and encodings are those of OTLP/JSON, so any tool that reads
/// OTLP reads a line (for example an OpenTelemetry collector's
/// `otlpjsonfile` receiver, or `jq '.resourceSpans[0].scopeSpans[0].spans[0]'`):
///
/// - ids are lowercase hex (`traceId` 32 digits, `spanId` / `parentSpanId` 16);
/// - `kind` is an integer: 1 internal, 2 server, 3 client, 4 producer, 5 consumer;
/// - `status.code` is an integer: 0 unset, 1 ok, 2 error (with `message`);
/// - `startTimeUnixNano`, `endTimeUnixNano`, `timeUnixNano` and `intValue` are
///   decimal strings (64-bit integers); `doubleValue` is a number, or
///   `"NaN"` / `"Infinity"` / `"-Infinity"`;
/// - values are `{"stringValue":..}`, `{"boolValue":..}`, `{"intValue":..}`,
///   `{"doubleValue":..}` or `{"arrayValue":{"values":[..]}}`;
/// - `flags` holds the W3C trace flags (bit 0: sampled) plus 0x100, and 0x200
///   when the parent (or linked) context was remote;
/// - fields holding their default (no parent, no attributes, unset status,
///   zero dropped counts) are left out.
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
