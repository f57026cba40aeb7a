//! The exporter contract.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::data::{Resource, SpanData};

/// Sends finished spans somewhere: stdout, a file, a collector.
///
/// The contract:
/// - `export` is never called concurrently on one exporter, and receives batches in the
///   order spans ended (per thread).
/// - It runs on the batch worker's thread (or, for a simple exporter, on the thread that
///   ended the span). It must not block indefinitely: bound every network call by a timeout.
/// - `shutdown` is called once, after the last `export`; it flushes buffers.
/// - `set_resource` is called once, before the first `export`, when the tracer is installed.
pub trait SpanExporter: Send + Sync + 'static {
    /// Exports one batch.
    ///
    /// # Errors
    /// When the batch could not be delivered; it is counted and not retried by the
    /// processor (exporters retry internally where the protocol allows).
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError>;

    /// Exports one batch that must be done by `deadline`: what the batch processor calls
    /// while flushing and shutting down, so that the whole flush or shutdown fits its grace
    /// period. An exporter that retries stops at the deadline, and does not retry a failure
    /// that will not clear in time (a collector refusing connections). The default calls
    /// [`export`](Self::export).
    ///
    /// # Errors
    /// As [`export`](Self::export); [`ExportError::Timeout`] when the deadline passed first.
    fn export_until(&self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        let _ = deadline;
        self.export(batch)
    }

    /// Called once, from the thread that shuts the pipeline down, while the worker may be
    /// inside [`export`](Self::export): everything must be done by `deadline` (the
    /// remaining exports come through [`export_until`](Self::export_until)). An exporter
    /// waiting to retry should stop waiting when the retry would pass the deadline, and
    /// not retry a collector that is not there. The default does nothing.
    fn begin_shutdown(&self, deadline: Instant) {
        let _ = deadline;
    }

    /// Flushes anything the exporter buffers.
    ///
    /// # Errors
    /// When buffered data could not be written.
    fn force_flush(&self) -> Result<(), ExportError> {
        Ok(())
    }

    /// Flushes and releases resources. Called once.
    ///
    /// # Errors
    /// When buffered data could not be written.
    fn shutdown(&self) -> Result<(), ExportError> {
        Ok(())
    }

    /// Receives the tracer's resource (service name, SDK attributes).
    fn set_resource(&mut self, _resource: &Resource) {}
}

impl SpanExporter for Box<dyn SpanExporter> {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        (**self).export(batch)
    }
    fn export_until(&self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        (**self).export_until(batch, deadline)
    }
    fn begin_shutdown(&self, deadline: Instant) {
        (**self).begin_shutdown(deadline);
    }
    fn force_flush(&self) -> Result<(), ExportError> {
        (**self).force_flush()
    }
    fn shutdown(&self) -> Result<(), ExportError> {
        (**self).shutdown()
    }
    fn set_resource(&mut self, resource: &Resource) {
        (**self).set_resource(resource);
    }
}

impl<T: SpanExporter> SpanExporter for Arc<T> {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        (**self).export(batch)
    }
    fn export_until(&self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        (**self).export_until(batch, deadline)
    }
    fn begin_shutdown(&self, deadline: Instant) {
        (**self).begin_shutdown(deadline);
    }
    fn force_flush(&self) -> Result<(), ExportError> {
        (**self).force_flush()
    }
    fn shutdown(&self) -> Result<(), ExportError> {
        (**self).shutdown()
    }
    fn set_resource(&mut self, resource: &Resource) {
        if let Some(inner) = Arc::get_mut(self) {
            inner.set_resource(resource);
        }
    }
}

/// Why an export, flush or shutdown failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// It did not finish within the export timeout.
    Timeout,
    /// The tracer was already shut down.
    ShutDown,
    /// The receiver rejected `rejected` spans (OTLP partial success) with `message`.
    Rejected {
        /// Spans rejected.
        rejected: u64,
        /// The receiver's message.
        message: String,
    },
    /// Any other failure, described.
    Other(String),
}

impl ExportError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        ExportError::Other(message.into())
    }

    /// A timeout.
    pub fn timeout() -> Self {
        ExportError::Timeout
    }
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Timeout => f.write_str("export timed out"),
            ExportError::ShutDown => f.write_str("the tracer is shut down"),
            ExportError::Rejected { rejected, message } => {
                write!(f, "the receiver rejected {rejected} spans: {message}")
            }
            ExportError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ExportError {}

/// Where in the pipeline an export failure happened; see [`ExportFailure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureStage {
    /// Exporting a batch (the exporter returned an error or panicked).
    Export,
    /// A flush (`force_flush`): exporting what was queued, or the exporter's own flush.
    Flush,
    /// Shutting down: exporting what was queued, or the exporter's own shutdown; or spans
    /// left queued when the grace period ran out.
    Shutdown,
}

/// A failure of the export pipeline, as the error hook receives it
/// ([`TracerBuilder::on_error`](crate::TracerBuilder::on_error)); by default a summary goes
/// to stderr.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ExportFailure {
    /// What went wrong. An exporter that panicked is reported as
    /// `ExportError::Other("the exporter panicked: ..")`.
    pub error: ExportError,
    /// How many spans were lost with it (each counted in `failed_spans()` or, for spans
    /// never handed to the exporter, `dropped_spans()`).
    pub spans: u64,
    /// Where it happened.
    pub stage: FailureStage,
}

impl ExportFailure {
    /// A failure of `stage` that lost `spans` spans.
    pub fn new(error: ExportError, spans: u64, stage: FailureStage) -> Self {
        ExportFailure {
            error,
            spans,
            stage,
        }
    }
}

impl fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            FailureStage::Export => "export",
            FailureStage::Flush => "flush",
            FailureStage::Shutdown => "shutdown",
        };
        write!(f, "{stage} failed")?;
        if self.spans > 0 {
            write!(f, " ({} spans lost)", self.spans)?;
        }
        write!(f, ": {}", self.error)
    }
}
