//! Shared by the benchmark binaries that compare with the OpenTelemetry SDK.

/// An OpenTelemetry SDK exporter that discards what it is given (the peers' pipeline
/// without an export, as ours runs with `NoopExporter`).
#[derive(Debug)]
pub(crate) struct DiscardOtel;

impl opentelemetry_sdk::trace::SpanExporter for DiscardOtel {
    async fn export(
        &self,
        _batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        Ok(())
    }
}
