//! OTLP exporter: `http/protobuf` (default), `http/json` and, with the `grpc` feature,
//! `grpc`; optional gzip, retries with backoff, partial-success responses.

pub(crate) mod endpoint;
pub(crate) mod json_encoding;
pub(crate) mod model;
pub(crate) mod proto;

#[cfg(feature = "grpc")]
mod grpc;
mod http;
mod retry;

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use trace_core::{ExportError, Resource, SpanData, SpanExporter};

use crate::config_error::ConfigError;

pub use retry::RetryConfig;

/// The default time allowed for one export, retries included (10 s, as
/// `OTEL_EXPORTER_OTLP_TIMEOUT`).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the OTLP exporter encodes its requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `http/protobuf`: binary protobuf, `Content-Type: application/x-protobuf`.
    #[default]
    HttpProtobuf,
    /// `http/json`: OTLP/JSON, `Content-Type: application/json`.
    HttpJson,
    /// `grpc`: OTLP/gRPC, `TraceService/Export` over HTTP/2 (default endpoint
    /// `http://localhost:4317`). Needs the `grpc` feature to build an exporter.
    Grpc,
}

impl Protocol {
    /// The `OTEL_EXPORTER_OTLP_PROTOCOL` spelling: `http/protobuf`, `http/json` or `grpc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
            Protocol::Grpc => "grpc",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
            Protocol::Grpc => "application/grpc",
        }
    }

    /// Whether the body is OTLP protobuf (`http/protobuf` and `grpc`).
    fn is_protobuf(self) -> bool {
        matches!(self, Protocol::HttpProtobuf | Protocol::Grpc)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compression of the request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// gzip at level 1 (fast), once per export: `Content-Encoding: gzip` over HTTP,
    /// `grpc-encoding: gzip` and a compressed message frame over gRPC.
    Gzip,
}

/// Counters of what an [`OtlpExporter`] has done since it was built.
///
/// Spans are counted per export call: a batch the collector took counts
/// in `exported_spans` (minus the spans it reported as rejected, which
/// count in `rejected_spans`); a batch that could not be delivered, after
/// any retries, counts in `failed_spans`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpStats {
    /// Spans the collector accepted.
    pub exported_spans: u64,
    /// Spans in exports that failed (collector unreachable, error answer,
    /// timeout, exporter shut down).
    pub failed_spans: u64,
    /// Spans the collector reported as rejected in a partial-success answer.
    pub rejected_spans: u64,
    /// HTTP requests sent again after a retryable failure.
    pub retries: u64,
}

/// A handle on an [`OtlpExporter`]'s counters that stays usable after the
/// exporter was handed to the tracer; see [`OtlpExporter::stats_handle`].
#[derive(Clone, Debug)]
pub struct OtlpStatsHandle(Arc<Counters>);

impl OtlpStatsHandle {
    /// The counters now.
    pub fn stats(&self) -> OtlpStats {
        self.0.snapshot()
    }
}

#[derive(Debug, Default)]
struct Counters {
    exported_spans: AtomicU64,
    failed_spans: AtomicU64,
    rejected_spans: AtomicU64,
    retries: AtomicU64,
}

/// Exports spans to an OpenTelemetry collector over OTLP/HTTP or, with the
/// `grpc` feature, OTLP/gRPC.
///
/// OTLP/HTTP uses a blocking HTTP client on the calling thread (the batch
/// worker's), so it needs no async runtime and cannot deadlock one. OTLP/gRPC
/// runs tonic on a small current-thread tokio runtime of the exporter's own,
/// driven by the calling thread only while an export runs: it works the same
/// whether or not the application runs tokio. See [`OtlpExporterBuilder`] for
/// the settings and [`RetryConfig`] for retries.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use trace_exporters::{Compression, OtlpExporter, Protocol};
///
/// let exporter = OtlpExporter::builder()
///     .endpoint("http://collector.internal:4318/v1/traces")
///     .protocol(Protocol::HttpJson)
///     .compression(Compression::Gzip)
///     .header("x-api-key", "secret")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// let _guard = trace_core::Tracer::builder()
///     .service_name("checkout")
///     .exporter(exporter)
///     .install_global();
/// # Ok::<(), trace_exporters::ConfigError>(())
/// ```
///
/// Over gRPC (feature `grpc`), to a collector's port 4317:
///
/// ```no_run
/// # #[cfg(feature = "grpc")] {
/// use trace_exporters::{Compression, OtlpExporter, Protocol};
///
/// let exporter = OtlpExporter::builder()
///     .protocol(Protocol::Grpc) // endpoint http://localhost:4317 unless set
///     .compression(Compression::Gzip)
///     .header("x-api-key", "secret") // sent as gRPC metadata
///     .build()?;
/// assert_eq!(exporter.endpoint(), "http://localhost:4317");
/// # }
/// # Ok::<(), trace_exporters::ConfigError>(())
/// ```
pub struct OtlpExporter {
    config: Transport,
    resource_proto: Vec<u8>,
    resource_json: Vec<u8>,
    buffers: Mutex<Buffers>,
    counters: Arc<Counters>,
    shutdown: Arc<ShutdownSignal>,
}

/// How an exporter sends: the settings of its transport, validated once.
#[derive(Debug)]
enum Transport {
    Http(http::HttpConfig),
    #[cfg(feature = "grpc")]
    Grpc(grpc::GrpcConfig),
}

impl Transport {
    fn endpoint(&self) -> &str {
        match self {
            Transport::Http(c) => &c.endpoint,
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => &c.endpoint,
        }
    }

    fn protocol(&self) -> Protocol {
        match self {
            Transport::Http(c) => c.protocol,
            #[cfg(feature = "grpc")]
            Transport::Grpc(_) => Protocol::Grpc,
        }
    }

    fn compression(&self) -> Option<Compression> {
        match self {
            Transport::Http(c) => c.compression,
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.compression,
        }
    }

    fn header_names(&self) -> Vec<&str> {
        match self {
            Transport::Http(c) => c.header_names(),
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.header_names(),
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            Transport::Http(c) => c.timeout,
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.timeout,
        }
    }

    fn retry(&self) -> &RetryConfig {
        match self {
            Transport::Http(c) => &c.retry,
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => &c.retry,
        }
    }
}

impl Counters {
    fn snapshot(&self) -> OtlpStats {
        OtlpStats {
            exported_spans: self.exported_spans.load(Ordering::Relaxed),
            failed_spans: self.failed_spans.load(Ordering::Relaxed),
            rejected_spans: self.rejected_spans.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

#[derive(Default)]
struct Buffers {
    encoded: Vec<u8>,
    compressed: Vec<u8>,
}

/// The time budget of one export's attempts, the same for both transports: the exporter's
/// own timeout, a flush or shutdown deadline (`export_until`), and the deadline of a
/// shutdown that begins meanwhile (`begin_shutdown`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempts {
    /// Retries are on.
    enabled: bool,
    /// The exporter's timeout setting (for the message).
    timeout: Duration,
    /// Its own timeout, as an instant.
    own: Instant,
    /// The flush or shutdown deadline it was given.
    until: Option<Instant>,
    /// When the export must be done: the earliest of the above (and of a wind-down).
    deadline: Instant,
}

/// A timeout too large to add to a clock reading (say `Duration::MAX`) is the same as one
/// that never ends.
const FOREVER: Duration = Duration::from_secs(1 << 30);

impl Attempts {
    /// The budget of an export starting now.
    pub(crate) fn start(timeout: Duration, retries: bool, until: Option<Instant>) -> Self {
        let now = Instant::now();
        let own = now.checked_add(timeout).unwrap_or_else(|| now + FOREVER);
        Attempts {
            enabled: retries,
            timeout,
            own,
            until,
            deadline: until.map_or(own, |u| u.min(own)),
        }
    }

    /// The time left for the next attempt (`None`: none is left), with the deadline of a
    /// shutdown that began meanwhile brought in.
    pub(crate) fn remaining(&mut self, shutdown: &ShutdownSignal) -> Option<Duration> {
        if let Some(wind_down) = shutdown.wind_down() {
            self.until = Some(self.until.map_or(wind_down, |u| u.min(wind_down)));
            self.deadline = self.deadline.min(wind_down);
        }
        Some(self.deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
    }

    /// Flushing or shutting down: a collector that is not there is not tried again.
    pub(crate) fn winding_down(&self) -> bool {
        self.until.is_some()
    }
}

/// What one attempt of an export leaves to do (see [`send_with_retries`]).
pub(crate) enum Attempt {
    /// Finished: the collector took the request, or the failure is final.
    Done(Result<proto::PartialSuccess, ExportError>),
    /// Failed in a way worth another try: after the backoff (`None`), or after the wait the
    /// collector asked for (`Retry-After`, `RetryInfo`).
    Retry(ExportError, Option<Duration>),
}

/// The shortest wait after a collector's "retry after" (so one answering "now" in a loop is
/// not hammered), unless the initial backoff is shorter.
const MIN_RETRY_HINT: Duration = Duration::from_millis(100);

/// Sends with `attempt` (given the time left, and the budget for `winding_down`) until the
/// collector takes the request, the error is final, the export timeout (or the flush or
/// shutdown deadline `until`) is spent or shutdown starts, counting retries: the one retry
/// loop of both transports.
pub(crate) fn send_with_retries(
    retry: &retry::RetryConfig,
    timeout: Duration,
    until: Option<Instant>,
    shutdown: &ShutdownSignal,
    retries: &AtomicU64,
    mut attempt: impl FnMut(Duration, &Attempts) -> Attempt,
) -> Result<proto::PartialSuccess, ExportError> {
    let mut attempts = Attempts::start(timeout, retry.is_enabled(), until);
    let mut jitter = retry::Jitter::new();
    let mut retry_number = 0u32;
    loop {
        let Some(remaining) = attempts.remaining(shutdown) else {
            return Err(ExportError::Timeout);
        };
        let (error, hint) = match attempt(remaining, &attempts) {
            Attempt::Done(result) => return result,
            Attempt::Retry(error, hint) => (error, hint),
        };
        let wait = match hint {
            Some(hint) => hint.max(retry.initial_backoff_value().min(MIN_RETRY_HINT)),
            None => retry.backoff(retry_number, &mut jitter),
        };
        shutdown.wait_to_retry(error, wait, &attempts)?;
        retries.fetch_add(1, Ordering::Relaxed);
        retry_number = retry_number.saturating_add(1);
    }
}

/// Lets a retry wait be cut short: by `shutdown`, or by `begin_shutdown`'s deadline.
#[derive(Debug, Default)]
pub(crate) struct ShutdownSignal {
    flag: AtomicBool,
    /// The deadline `begin_shutdown` gave, if it was called.
    wind_down: Mutex<Option<Instant>>,
    cond: Condvar,
}

impl ShutdownSignal {
    pub(crate) fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.flag.store(true, Ordering::Release);
        let _guard = self
            .wind_down
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.cond.notify_all();
    }

    /// The pipeline is shutting down: everything must be done by `deadline`.
    fn begin(&self, deadline: Instant) {
        let mut wind_down = self
            .wind_down
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *wind_down = Some(wind_down.map_or(deadline, |d| d.min(deadline)));
        self.cond.notify_all();
    }

    /// The deadline of a shutdown that has begun.
    pub(crate) fn wind_down(&self) -> Option<Instant> {
        *self
            .wind_down
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// After a failed attempt: waits `wait` and returns to try again, or gives up with
    /// `error` (retries off, shutting down, or the next attempt would pass the deadline).
    /// The one retry rule of both transports.
    pub(crate) fn wait_to_retry(
        &self,
        error: ExportError,
        wait: Duration,
        attempts: &Attempts,
    ) -> Result<(), ExportError> {
        if !attempts.enabled || self.is_set() {
            return Err(error);
        }
        if Instant::now()
            .checked_add(wait)
            .is_none_or(|at| at >= attempts.deadline)
        {
            let limit = if attempts.deadline < attempts.own {
                "the flush or shutdown deadline".to_owned()
            } else {
                format!("the export timeout of {:?}", attempts.timeout)
            };
            return Err(ExportError::new(format!(
                "{error} (no retry: the next attempt, in {wait:?}, would pass {limit})"
            )));
        }
        if !self.sleep(wait) {
            return Err(ExportError::new(format!(
                "{error} (no retry: shutting down)"
            )));
        }
        Ok(())
    }

    /// Sleeps for `wait`; `false` (sooner) when shutdown starts, or when a shutdown that
    /// began meanwhile has a deadline the wait would pass.
    pub(crate) fn sleep(&self, wait: Duration) -> bool {
        let Some(end) = Instant::now().checked_add(wait) else {
            return false;
        };
        let guard = self
            .wind_down
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let stop = |wind_down: &Option<Instant>| {
            self.is_set() || wind_down.is_some_and(|deadline| end >= deadline)
        };
        let (guard, _) = self
            .cond
            .wait_timeout_while(guard, wait, |wind_down| !stop(wind_down))
            .unwrap_or_else(PoisonError::into_inner);
        !stop(&guard)
    }
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("endpoint", &self.config.endpoint())
            .field("protocol", &self.config.protocol())
            .field("compression", &self.config.compression())
            .field("headers", &self.config.header_names())
            .field("timeout", &self.config.timeout())
            .field("retry", self.config.retry())
            .finish_non_exhaustive()
    }
}

impl OtlpExporter {
    /// Starts building an exporter (defaults: `http://localhost:4318/v1/traces`,
    /// `http/protobuf`, no compression, a 10 s timeout, retries on; with
    /// [`Protocol::Grpc`] the default endpoint is `http://localhost:4317`).
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    /// The URL spans are sent to.
    pub fn endpoint(&self) -> &str {
        self.config.endpoint()
    }

    /// The encoding of the requests.
    pub fn protocol(&self) -> Protocol {
        self.config.protocol()
    }

    /// What this exporter has sent, failed to send and seen rejected.
    pub fn stats(&self) -> OtlpStats {
        self.counters.snapshot()
    }

    /// A handle on this exporter's counters, to keep after the exporter
    /// was moved into the tracer.
    ///
    /// # Examples
    ///
    /// ```
    /// use trace_exporters::OtlpExporter;
    ///
    /// let exporter = OtlpExporter::builder().build()?;
    /// let stats = exporter.stats_handle();
    /// let guard = trace_core::Tracer::builder().exporter(exporter).install_global();
    /// drop(guard);
    /// assert_eq!(stats.stats().exported_spans, 0);
    /// # Ok::<(), trace_exporters::ConfigError>(())
    /// ```
    pub fn stats_handle(&self) -> OtlpStatsHandle {
        OtlpStatsHandle(Arc::clone(&self.counters))
    }

    /// Encodes `spans` as one request body in the exporter's protocol
    /// (before compression), as it would be sent.
    pub fn encode(&self, spans: &[SpanData]) -> Vec<u8> {
        // A typical span takes ~250 bytes in protobuf, ~650 in JSON.
        let per_span = if self.config.protocol().is_protobuf() {
            320
        } else {
            768
        };
        let mut out = Vec::with_capacity(256 + spans.len() * per_span);
        self.encode_into(spans, &mut out);
        out
    }

    fn encode_into(&self, spans: &[SpanData], out: &mut Vec<u8>) {
        if self.config.protocol().is_protobuf() {
            proto::encode_request(&self.resource_proto, spans, out);
        } else {
            json_encoding::encode_request(&self.resource_json, spans, out);
        }
    }

    fn count(counter: &AtomicU64, n: usize) {
        counter.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

impl OtlpExporter {
    /// One export: [`SpanExporter::export`] with `until` = `None`,
    /// [`SpanExporter::export_until`] with the caller's deadline.
    fn export_within(&self, batch: &[SpanData], until: Option<Instant>) -> Result<(), ExportError> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.shutdown.is_set() {
            Self::count(&self.counters.failed_spans, batch.len());
            return Err(ExportError::ShutDown);
        }
        let mut guard = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
        let buffers = &mut *guard;
        buffers.encoded.clear();
        self.encode_into(batch, &mut buffers.encoded);
        if self.compression() == Some(Compression::Gzip) {
            if let Err(e) = Self::gzip(buffers) {
                Self::count(&self.counters.failed_spans, batch.len());
                return Err(ExportError::new(format!("gzip compression failed: {e}")));
            }
        }
        let body: &[u8] = match self.compression() {
            None => &buffers.encoded,
            Some(Compression::Gzip) => &buffers.compressed,
        };
        #[allow(clippy::infallible_destructuring_match)] // one arm without the `grpc` feature
        let config = match &self.config {
            Transport::Http(config) => config,
            #[cfg(feature = "grpc")]
            Transport::Grpc(config) => {
                // tonic frames the message (gzipped here, at the same level as over HTTP,
                // since tonic's own gzip is fixed at level 6) and sends it.
                let body = bytes::Bytes::copy_from_slice(body);
                Self::trim(buffers);
                drop(guard);
                let outcome =
                    grpc::send(config, &body, &self.shutdown, &self.counters.retries, until);
                return self.count_outcome(batch, outcome);
            }
        };
        let outcome = http::send(config, body, &self.shutdown, &self.counters.retries, until);
        Self::trim(buffers);
        drop(guard);
        self.count_outcome(batch, outcome)
    }

    /// The transport's compression setting.
    fn compression(&self) -> Option<Compression> {
        match &self.config {
            Transport::Http(config) => config.compression,
            #[cfg(feature = "grpc")]
            Transport::Grpc(config) => config.compression,
        }
    }

    /// Gzips `buffers.encoded` into `buffers.compressed` at level 1 (`Compression::fast`):
    /// a batch is compressed once per export, whatever the transport, and a retry resends it.
    fn gzip(buffers: &mut Buffers) -> std::io::Result<()> {
        buffers.compressed.clear();
        let mut gz = flate2::write::GzEncoder::new(
            std::mem::take(&mut buffers.compressed),
            flate2::Compression::fast(),
        );
        gz.write_all(&buffers.encoded)?;
        buffers.compressed = gz.finish()?;
        Ok(())
    }

    /// Does not keep a buffer of an unusually large batch forever.
    fn trim(buffers: &mut Buffers) {
        for buf in [&mut buffers.encoded, &mut buffers.compressed] {
            if buf.capacity() > 8 << 20 {
                *buf = Vec::new();
            }
        }
    }

    /// Counts what an export's outcome says about its spans, and turns a partial success
    /// into [`ExportError::Rejected`].
    fn count_outcome(
        &self,
        batch: &[SpanData],
        outcome: Result<proto::PartialSuccess, ExportError>,
    ) -> Result<(), ExportError> {
        match outcome {
            Ok(partial) => {
                let rejected = usize::try_from(partial.rejected_spans)
                    .unwrap_or(usize::MAX)
                    .min(batch.len());
                Self::count(&self.counters.exported_spans, batch.len() - rejected);
                if rejected > 0 {
                    Self::count(&self.counters.rejected_spans, rejected);
                    return Err(ExportError::Rejected {
                        rejected: partial.rejected_spans,
                        message: partial.error_message,
                    });
                }
                Ok(())
            }
            Err(e) => {
                Self::count(&self.counters.failed_spans, batch.len());
                Err(e)
            }
        }
    }
}

impl SpanExporter for OtlpExporter {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.export_within(batch, None)
    }

    /// Exports as [`export`](SpanExporter::export) does, but stops at
    /// `deadline` when it comes before the exporter's own timeout (each
    /// attempt's request is cut to the time left), and does not retry a
    /// connection that cannot be made (refused, host not found or
    /// unreachable): that error is returned at once. Retryable answers (429,
    /// 502, 503, 504) are retried while time remains. Failed spans count in
    /// [`OtlpStats::failed_spans`] as for `export`.
    fn export_until(&self, batch: &[SpanData], deadline: Instant) -> Result<(), ExportError> {
        self.export_within(batch, Some(deadline))
    }

    /// An export in progress stops retrying when the next attempt would pass `deadline`,
    /// and does not retry a collector that is not there.
    fn begin_shutdown(&self, deadline: Instant) {
        self.shutdown.begin(deadline);
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.shutdown.set();
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource_proto.clear();
        proto::encode_resource(resource, &mut self.resource_proto);
        self.resource_json.clear();
        json_encoding::encode_resource(resource, &mut self.resource_json);
    }
}

/// PEM material for `https://` endpoints (used with the `tls` feature).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    /// Trusted roots replacing the bundled web roots.
    pub(crate) roots_pem: Option<Vec<u8>>,
    /// Client certificate chain and private key (mutual TLS).
    pub(crate) client_pem: Option<(Vec<u8>, Vec<u8>)>,
}

/// Settings of an [`OtlpExporter`]; see [`OtlpExporter::builder`].
///
/// Its `Debug` output shows header names only: header values often hold
/// credentials.
#[derive(Clone)]
#[must_use]
pub struct OtlpExporterBuilder {
    /// `None`: the protocol's default.
    endpoint: Option<String>,
    protocol: Protocol,
    compression: Option<Compression>,
    headers: Vec<(String, String)>,
    timeout: Duration,
    retry: RetryConfig,
    tls: TlsSettings,
}

impl fmt::Debug for OtlpExporterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OtlpExporterBuilder")
            .field("endpoint", &self.resolved_endpoint())
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("headers", &names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("custom_roots", &self.tls.roots_pem.is_some())
            .field("client_certificate", &self.tls.client_pem.is_some())
            .finish()
    }
}

impl Default for OtlpExporterBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            protocol: Protocol::default(),
            compression: None,
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryConfig::default(),
            tls: TlsSettings::default(),
        }
    }
}

impl OtlpExporterBuilder {
    /// Sets the full URL spans are sent to, used as given (as
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), e.g.
    /// `http://localhost:4318/v1/traces`, or for gRPC `http://localhost:4317`
    /// (no path). `https://` URLs need the crate's `tls` feature.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The endpoint set, or the protocol's default.
    fn resolved_endpoint(&self) -> String {
        match (&self.endpoint, self.protocol) {
            (Some(url), _) => url.clone(),
            (None, Protocol::Grpc) => endpoint::DEFAULT_GRPC_ENDPOINT.to_owned(),
            (None, _) => endpoint::default_traces_endpoint(),
        }
    }

    /// Sets the encoding: [`Protocol::HttpProtobuf`] (default), [`Protocol::HttpJson`], or
    /// [`Protocol::Grpc`] (with the `grpc` feature).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Compresses request bodies.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Sets or clears compression.
    pub fn compression_option(mut self, compression: Option<Compression>) -> Self {
        self.compression = compression;
        self
    }

    /// Adds a header to every request (e.g. an API key).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds headers to every request.
    pub fn headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the time one export may take, retries included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the retry policy (default: [`RetryConfig::default`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts the certificates in `pem` (one or more PEM `CERTIFICATE`
    /// blocks, as in `OTEL_EXPORTER_OTLP_CERTIFICATE`) for `https://`
    /// endpoints, instead of the bundled web roots: for a collector with a
    /// private certificate authority. Needs the `tls` feature.
    #[cfg(feature = "tls")]
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.roots_pem = Some(pem.into());
        self
    }

    /// Presents a client certificate to the collector (mutual TLS): the
    /// certificate chain and its private key, both PEM (as
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `_CLIENT_KEY`). Needs the
    /// `tls` feature.
    #[cfg(feature = "tls")]
    pub fn client_identity_pem(
        mut self,
        certificate_chain: impl Into<Vec<u8>>,
        private_key: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.client_pem = Some((certificate_chain.into(), private_key.into()));
        self
    }

    /// Sets the TLS material from the environment (crate-internal: the
    /// public setters exist only with the `tls` feature).
    pub(crate) fn tls_settings(mut self, tls: TlsSettings) -> Self {
        self.tls = tls;
        self
    }

    /// Builds the exporter.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the endpoint is not an `http://` or `https://`
    /// URL (or is `https://` without the `tls` feature), a header name or
    /// value is not valid in HTTP (or gRPC metadata), certificates or keys are
    /// not valid PEM, or the protocol is [`Protocol::Grpc`] without the `grpc`
    /// feature.
    pub fn build(self) -> Result<OtlpExporter, ConfigError> {
        let endpoint = self.resolved_endpoint();
        let config = match self.protocol {
            #[cfg(feature = "grpc")]
            Protocol::Grpc => Transport::Grpc(grpc::GrpcConfig::new(
                endpoint,
                self.compression,
                &self.headers,
                self.timeout,
                self.retry,
                &self.tls,
            )?),
            #[cfg(not(feature = "grpc"))]
            Protocol::Grpc => {
                return Err(ConfigError::for_setting(
                    crate::config_error::BuilderOption::Protocol,
                    "grpc",
                    "http/protobuf or http/json (grpc needs the `grpc` feature of trace-exporters)",
                ))
            }
            Protocol::HttpProtobuf | Protocol::HttpJson => Transport::Http(http::HttpConfig::new(
                endpoint,
                self.protocol,
                self.compression,
                &self.headers,
                self.timeout,
                self.retry,
                &self.tls,
            )?),
        };
        let mut exporter = OtlpExporter {
            config,
            resource_proto: Vec::new(),
            resource_json: Vec::new(),
            buffers: Mutex::new(Buffers::default()),
            counters: Arc::new(Counters::default()),
            shutdown: Arc::new(ShutdownSignal::default()),
        };
        exporter.set_resource(&Resource::default());
        Ok(exporter)
    }
}
