//! One export over OTLP/gRPC: tonic on a small runtime owned by the exporter, a codec that
//! sends the body [`proto::encode_request`](super::proto::encode_request) already wrote, the
//! retry loop of the OTLP specification's gRPC codes.
//!
//! With gzip the body arrives already compressed (by the exporter, at level 1 as over HTTP;
//! tonic's own gzip is fixed at level 6): tonic frames it as it is, and [`PreCompressed`]
//! sets the frame's compressed flag and the `grpc-encoding: gzip` header on the way to the
//! channel. Answers are decoded by tonic, gzipped or not.
//!
//! The runtime is a current-thread tokio runtime: it runs only while an export drives it
//! (`block_on` on the calling thread, the batch worker's), so it costs no thread and cannot
//! deadlock with an application's runtime. Called from inside a tokio runtime (a simple
//! exporter in async code), the export runs on a scoped helper thread instead, since
//! `block_on` must not nest.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tower_service::Service;
use trace_core::ExportError;
use ureq::http::{HeaderValue, Request as HttpRequest};

use super::proto::{self, PartialSuccess};
use super::retry::RetryConfig;
use super::{send_with_retries, Attempt, Compression, ShutdownSignal, TlsSettings};
use crate::config_error::{BuilderOption, ConfigError};

/// The gRPC method of `TraceService.Export`.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// How often an attempt in flight looks whether a shutdown began with a deadline it passed.
const WIND_DOWN_POLL: Duration = Duration::from_millis(20);

/// Largest answer read (an `ExportTraceServiceResponse`).
const MAX_RESPONSE: usize = 1 << 20;

/// Everything needed to send, set up once at build time: the validated metadata, the
/// runtime and the (lazily connecting) channel.
pub(crate) struct GrpcConfig {
    pub(crate) endpoint: String,
    pub(crate) compression: Option<Compression>,
    headers: MetadataMap,
    header_names: Vec<String>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryConfig,
    channel: Channel,
    /// `Some` until dropped: taken by `Drop` to shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for GrpcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcConfig")
            .field("endpoint", &self.endpoint)
            .field("compression", &self.compression)
            .field("headers", &self.header_names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Drop for GrpcConfig {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its tasks stop, which panics inside another
        // runtime (the exporter may be dropped in async code): let it go in the background.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl GrpcConfig {
    pub(crate) fn new(
        endpoint: String,
        compression: Option<Compression>,
        headers: &[(String, String)],
        timeout: Duration,
        retry: RetryConfig,
        tls: &TlsSettings,
    ) -> Result<Self, ConfigError> {
        super::endpoint::validate_url(BuilderOption::Endpoint, &endpoint)?;
        super::endpoint::require_tls_for_https(BuilderOption::Endpoint, &endpoint)?;
        let mut metadata = MetadataMap::with_capacity(headers.len());
        let mut header_names = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let key = AsciiMetadataKey::from_bytes(name.trim().as_bytes()).map_err(|_| {
                ConfigError::for_setting(
                    BuilderOption::Header,
                    name.clone(),
                    "a valid gRPC metadata key (letters, digits and -_., not ending in -bin)",
                )
            })?;
            let value = AsciiMetadataValue::try_from(value.trim()).map_err(|_| {
                ConfigError::for_setting(
                    BuilderOption::Header,
                    // The value itself is not repeated: it may be a credential.
                    format!("{name}: ***"),
                    "a metadata value of visible ASCII characters and spaces",
                )
            })?;
            header_names.push(key.as_str().to_owned());
            metadata.append(key, value);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ConfigError::for_setting(
                    BuilderOption::Protocol,
                    "grpc",
                    format!("a tokio runtime for the gRPC client ({e})"),
                )
            })?;
        let invalid = |e: &dyn std::fmt::Display| {
            ConfigError::for_setting(
                BuilderOption::Endpoint,
                endpoint.clone(),
                format!("a URL tonic accepts ({e})"),
            )
        };
        let channel_endpoint = Endpoint::from_shared(endpoint.clone())
            .map_err(|e| invalid(&e))?
            .user_agent(concat!(
                "OTel-OTLP-Exporter-Rust-traced/",
                env!("CARGO_PKG_VERSION")
            ))
            .map_err(|e| invalid(&e))?;
        let channel_endpoint = with_tls(channel_endpoint, &endpoint, tls)?;
        let channel = {
            // The channel's connection task lives on the exporter's runtime.
            let _entered = runtime.enter();
            channel_endpoint.connect_lazy()
        };
        Ok(Self {
            endpoint,
            compression,
            headers: metadata,
            header_names,
            timeout,
            retry,
            channel,
            runtime: Some(runtime),
        })
    }

    pub(crate) fn header_names(&self) -> Vec<&str> {
        self.header_names.iter().map(String::as_str).collect()
    }

    /// Runs `future` to completion on the exporter's runtime.
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.runtime.as_ref() else {
            unreachable!("the runtime is taken only by Drop");
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        // Inside another runtime `block_on` would panic ("Cannot start a runtime from
        // within a runtime"): drive ours from a helper thread for this export.
        std::thread::scope(
            |scope| match scope.spawn(|| runtime.block_on(future)).join() {
                Ok(output) => output,
                Err(panic) => std::panic::resume_unwind(panic),
            },
        )
    }
}

/// The TLS settings of an `https://` endpoint: the given roots or the bundled web roots, and
/// the client identity if any.
#[cfg(feature = "tls")]
fn with_tls(endpoint: Endpoint, url: &str, tls: &TlsSettings) -> Result<Endpoint, ConfigError> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};

    let https = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if !https {
        return Ok(endpoint);
    }
    let mut config = ClientTlsConfig::new();
    config = match &tls.roots_pem {
        Some(pem) => {
            check_pem(BuilderOption::RootCertificatesPem, pem, b"CERTIFICATE")?;
            config.ca_certificate(Certificate::from_pem(pem))
        }
        None => config.with_webpki_roots(),
    };
    if let Some((chain, key)) = &tls.client_pem {
        check_pem(BuilderOption::ClientIdentityPem, chain, b"CERTIFICATE")?;
        check_pem(BuilderOption::ClientIdentityPem, key, b"PRIVATE KEY")?;
        config = config.identity(Identity::from_pem(chain, key));
    }
    endpoint.tls_config(config).map_err(|e| {
        ConfigError::for_setting(
            BuilderOption::Tls,
            url.to_owned(),
            format!("TLS settings tonic accepts ({e})"),
        )
    })
}

/// tonic reads PEM only when it connects: refuse at build time what is plainly not PEM.
#[cfg(feature = "tls")]
fn check_pem(setting: BuilderOption, pem: &[u8], label: &[u8]) -> Result<(), ConfigError> {
    let has_block = pem.windows(b"-----BEGIN ".len()).enumerate().any(|(i, w)| {
        w == b"-----BEGIN "
            && pem[i + w.len()..]
                .split(|&b| b == b'-')
                .next()
                .is_some_and(|name| name.ends_with(label))
    });
    if has_block {
        Ok(())
    } else {
        Err(ConfigError::for_setting(
            setting,
            format!("({} bytes)", pem.len()),
            format!(
                "at least one PEM `{}` block",
                String::from_utf8_lossy(label)
            ),
        ))
    }
}

#[cfg(not(feature = "tls"))]
#[allow(clippy::unnecessary_wraps)] // the same shape as with the feature
fn with_tls(endpoint: Endpoint, _url: &str, tls: &TlsSettings) -> Result<Endpoint, ConfigError> {
    if *tls != TlsSettings::default() {
        return Err(ConfigError::for_setting(
            BuilderOption::Tls,
            "certificates",
            "the `tls` feature of trace-exporters for certificates",
        ));
    }
    Ok(endpoint)
}

/// Sends `body` (an encoded `ExportTraceServiceRequest`) until the collector takes it, the
/// error is final, the export timeout is spent or shutdown starts: the rules of
/// [`http::send`](super::http::send), with gRPC status codes. Retried: `UNAVAILABLE`,
/// `CANCELLED`, `DEADLINE_EXCEEDED`, `ABORTED`, `OUT_OF_RANGE`, `DATA_LOSS`, and
/// `RESOURCE_EXHAUSTED` when the server sent a `RetryInfo` (whose delay replaces the
/// backoff), as the OTLP specification lists them; transport failures too, except a
/// collector that is not there during a flush or shutdown.
pub(crate) fn send(
    config: &GrpcConfig,
    body: &Bytes,
    shutdown: &ShutdownSignal,
    retries: &AtomicU64,
    until: Option<Instant>,
) -> Result<PartialSuccess, ExportError> {
    send_with_retries(
        &config.retry,
        config.timeout,
        until,
        shutdown,
        retries,
        |remaining, attempts| {
            let status = match config.block_on(attempt(config, body.clone(), remaining, shutdown)) {
                Ok(response) => {
                    return Attempt::Done(Ok(
                        proto::decode_partial_success(&response).unwrap_or_default()
                    ))
                }
                Err(status) => status,
            };
            let failure = Failure::of(&status);
            let error = failure.error(config, &status);
            match failure {
                Failure::Unreachable if attempts.winding_down() => Attempt::Done(Err(
                    ExportError::new(format!("{error} (no retry: the collector is not there)")),
                )),
                Failure::Unreachable | Failure::Transport | Failure::TimedOut => {
                    Attempt::Retry(error, None)
                }
                Failure::Answer => match retry_delay(&status) {
                    Retry::No => Attempt::Done(Err(error)),
                    Retry::Backoff => Attempt::Retry(error, None),
                    Retry::After(hint) => Attempt::Retry(error, Some(hint)),
                },
                Failure::WoundDown => Attempt::Done(Err(ExportError::new(format!(
                    "{error} (no retry: shutting down)"
                )))),
            }
        },
    )
}

/// One `Export` call, given up after `timeout` (with `grpc-timeout` telling the server the
/// same) or as soon as a shutdown that began meanwhile has passed its deadline.
async fn attempt(
    config: &GrpcConfig,
    body: Bytes,
    timeout: Duration,
    shutdown: &ShutdownSignal,
) -> Result<Bytes, Status> {
    let call = async {
        let gzip = config.compression == Some(Compression::Gzip);
        let channel = PreCompressed {
            channel: config.channel.clone(),
            gzip,
        };
        let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_RESPONSE);
        if gzip {
            grpc = grpc.accept_compressed(CompressionEncoding::Gzip);
        }
        grpc.ready().await.map_err(|e| {
            let mut status = Status::unavailable(format!("the channel is not ready: {e}"));
            status.set_source(std::sync::Arc::new(e));
            status
        })?;
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = config.headers.clone();
        request.set_timeout(timeout);
        let path = ureq::http::uri::PathAndQuery::from_static(EXPORT_PATH);
        grpc.unary(request, path, RawCodec)
            .await
            .map(tonic::Response::into_inner)
    };
    let timer = tokio::time::sleep(timeout);
    let watch = async {
        loop {
            tokio::time::sleep(WIND_DOWN_POLL).await;
            let now = Instant::now();
            if shutdown.is_set() || shutdown.wind_down().is_some_and(|d| now >= d) {
                return;
            }
        }
    };
    let (mut call, mut timer, mut watch) = (pin!(call), pin!(timer), pin!(watch));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = call.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Status::new(Code::DeadlineExceeded, TIMED_OUT)));
        }
        if watch.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Status::new(Code::Cancelled, WOUND_DOWN)));
        }
        Poll::Pending
    })
    .await
}

/// The message of the status an attempt ends with when its time is up (made here, not by
/// the server).
const TIMED_OUT: &str = "no answer within the time left for this export";
/// The message of the status an attempt ends with when a shutdown's deadline passed.
const WOUND_DOWN: &str = "the shutdown deadline passed during the call";

/// What kind of failure a status is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// The connection could not be made (refused, no route, no such host).
    Unreachable,
    /// The connection failed midway, or the HTTP/2 exchange did.
    Transport,
    /// The attempt ran out of time here.
    TimedOut,
    /// A shutdown's deadline passed during the attempt.
    WoundDown,
    /// The server answered with this status.
    Answer,
}

impl Failure {
    fn of(status: &Status) -> Self {
        let Some(source) = std::error::Error::source(status) else {
            return match (status.code(), status.message()) {
                (Code::DeadlineExceeded, TIMED_OUT) => Failure::TimedOut,
                (Code::Cancelled, WOUND_DOWN) => Failure::WoundDown,
                _ => Failure::Answer,
            };
        };
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(source);
        let mut transport = false;
        while let Some(error) = next {
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                if is_unreachable(io) {
                    return Failure::Unreachable;
                }
                transport = true;
            }
            // hyper-util names a failed name lookup only in its text ("dns error").
            let text = error.to_string();
            if text.starts_with("dns error") || text.contains("failed to lookup address") {
                return Failure::Unreachable;
            }
            transport |= error.is::<tonic::transport::Error>();
            next = error.source();
        }
        if transport {
            Failure::Transport
        } else {
            Failure::Answer
        }
    }

    fn error(self, config: &GrpcConfig, status: &Status) -> ExportError {
        let code = code_name(status.code());
        let message = status.message().trim();
        let message: String = message.chars().take(200).collect();
        match self {
            Failure::Answer if message.is_empty() => ExportError::new(format!(
                "the collector at {} answered {code}",
                config.endpoint
            )),
            Failure::Answer => ExportError::new(format!(
                "the collector at {} answered {code}: {message}",
                config.endpoint
            )),
            _ => {
                let mut detail = message;
                let mut next = std::error::Error::source(status);
                while let Some(e) = next {
                    detail = format!("{detail}: {e}");
                    next = e.source();
                }
                ExportError::new(format!(
                    "OTLP/gRPC export to {} failed: {detail}",
                    config.endpoint
                ))
            }
        }
    }
}

fn is_unreachable(io: &std::io::Error) -> bool {
    matches!(
        io.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::HostUnreachable
            | std::io::ErrorKind::NetworkUnreachable
            | std::io::ErrorKind::AddrNotAvailable
    ) || io
        .to_string()
        .starts_with("failed to lookup address information")
}

/// Whether and when to retry a status the server answered.
#[derive(Debug, PartialEq, Eq)]
enum Retry {
    No,
    Backoff,
    After(Duration),
}

/// The OTLP specification's retryable gRPC codes; `RESOURCE_EXHAUSTED` only with a
/// `RetryInfo`, whose delay is used for any code that carries one.
fn retry_delay(status: &Status) -> Retry {
    let hint = proto::decode_retry_delay(status.details());
    match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => hint.map_or(Retry::Backoff, Retry::After),
        Code::ResourceExhausted => hint.map_or(Retry::No, Retry::After),
        _ => Retry::No,
    }
}

/// The canonical name of a gRPC status code (`UNAVAILABLE`).
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The channel, marking a request whose message the exporter gzipped: tonic frames the
/// message it is given as uncompressed, so this sets the frame's compressed flag and the
/// `grpc-encoding` header tonic would have set had it compressed the message itself.
#[derive(Clone, Debug)]
struct PreCompressed {
    channel: Channel,
    gzip: bool,
}

impl Service<HttpRequest<tonic::body::Body>> for PreCompressed {
    type Response = <Channel as Service<HttpRequest<tonic::body::Body>>>::Response;
    type Error = <Channel as Service<HttpRequest<tonic::body::Body>>>::Error;
    type Future = <Channel as Service<HttpRequest<tonic::body::Body>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<HttpRequest<tonic::body::Body>>::poll_ready(&mut self.channel, cx)
    }

    fn call(&mut self, mut request: HttpRequest<tonic::body::Body>) -> Self::Future {
        if self.gzip {
            request
                .headers_mut()
                .insert("grpc-encoding", HeaderValue::from_static("gzip"));
            request = request.map(|body| {
                tonic::body::Body::new(FlagCompressed {
                    body,
                    flagged: false,
                })
            });
        }
        self.channel.call(request)
    }
}

/// A request body of one gRPC message whose first byte, the compressed flag of the message's
/// 5-byte prefix, is set to 1. tonic writes the prefix and the start of the message in one
/// data frame, so the flag is the first byte of the first non-empty frame.
struct FlagCompressed {
    body: tonic::body::Body,
    flagged: bool,
}

impl http_body::Body for FlagCompressed {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        let this = &mut *self;
        let frame = match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) if !this.flagged => frame,
            other => return other,
        };
        Poll::Ready(Some(Ok(match frame.into_data() {
            Ok(data) if !data.is_empty() => {
                this.flagged = true;
                // The frame is usually the only handle to its bytes: flagged in place.
                let mut flagged = data
                    .try_into_mut()
                    .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
                flagged[0] = 1;
                http_body::Frame::data(flagged.freeze())
            }
            Ok(data) => http_body::Frame::data(data),
            Err(frame) => frame,
        })))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A codec that sends bytes already encoded as protobuf and reads the answer as bytes.
#[derive(Clone, Copy, Debug, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(item.len());
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_codes_follow_the_otlp_specification() {
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert_eq!(
                retry_delay(&Status::new(code, "")),
                Retry::Backoff,
                "{code:?}"
            );
        }
        for code in [
            Code::Unknown,
            Code::InvalidArgument,
            Code::NotFound,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::ResourceExhausted,
            Code::FailedPrecondition,
            Code::Unimplemented,
            Code::Internal,
            Code::Unauthenticated,
        ] {
            assert_eq!(retry_delay(&Status::new(code, "")), Retry::No, "{code:?}");
        }
    }

    #[test]
    fn failures_made_here_are_told_from_answers() {
        let timed_out = Status::new(Code::DeadlineExceeded, TIMED_OUT);
        assert_eq!(Failure::of(&timed_out), Failure::TimedOut);
        let answered = Status::new(Code::DeadlineExceeded, "server gave up");
        assert_eq!(Failure::of(&answered), Failure::Answer);
        let mut refused = Status::unknown("transport error");
        refused.set_source(std::sync::Arc::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(Failure::of(&refused), Failure::Unreachable);
        let mut reset = Status::unknown("transport error");
        reset.set_source(std::sync::Arc::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(Failure::of(&reset), Failure::Transport);
    }

    #[test]
    fn code_names() {
        assert_eq!(code_name(Code::Unavailable), "UNAVAILABLE");
        assert_eq!(code_name(Code::from_i32(8)), "RESOURCE_EXHAUSTED");
    }
}
