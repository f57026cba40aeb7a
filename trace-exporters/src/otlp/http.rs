//! One export over HTTP: the request, the retry loop, reading the answer.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime};

use trace_core::ExportError;
use ureq::http::{HeaderName, HeaderValue};

use super::endpoint::{require_tls_for_https, validate_url};
use super::proto::PartialSuccess;
use super::retry::{self, RetryConfig};
use super::{
    json_encoding, proto, send_with_retries, Attempt, Compression, Protocol, ShutdownSignal,
    TlsSettings,
};
use crate::config_error::{BuilderOption, ConfigError};

/// Largest collector answer read (a partial-success message or an error).
const MAX_RESPONSE: u64 = 1 << 20;

/// Everything needed to send a request, validated once at build time.
#[derive(Debug)]
pub(crate) struct HttpConfig {
    pub(crate) endpoint: String,
    pub(crate) protocol: Protocol,
    pub(crate) compression: Option<Compression>,
    headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryConfig,
    agent: ureq::Agent,
}

impl HttpConfig {
    pub(crate) fn new(
        endpoint: String,
        protocol: Protocol,
        compression: Option<Compression>,
        headers: &[(String, String)],
        timeout: Duration,
        retry: RetryConfig,
        tls: &TlsSettings,
    ) -> Result<Self, ConfigError> {
        validate_endpoint(&endpoint)?;
        let mut parsed = Vec::with_capacity(headers.len());
        for (name, value) in headers {
            let header_name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                ConfigError::for_setting(
                    BuilderOption::Header,
                    name.clone(),
                    "a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)",
                )
            })?;
            let header_value = HeaderValue::from_str(value.trim()).map_err(|_| {
                ConfigError::for_setting(
                    BuilderOption::Header,
                    // The value itself is not repeated: it may be a credential.
                    format!("{name}: ***"),
                    "a header value of visible ASCII characters, spaces and tabs",
                )
            })?;
            parsed.push((header_name, header_value));
        }
        let builder = ureq::Agent::config_builder();
        #[cfg(feature = "tls")]
        let builder = builder.tls_config(tls_config(tls)?);
        #[cfg(not(feature = "tls"))]
        if *tls != TlsSettings::default() {
            return Err(ConfigError::for_setting(
                BuilderOption::Tls,
                "certificates",
                "the `tls` feature of trace-exporters for certificates",
            ));
        }
        let agent = builder
            .http_status_as_error(false)
            .user_agent(concat!(
                "OTel-OTLP-Exporter-Rust-traced/",
                env!("CARGO_PKG_VERSION")
            ))
            .max_idle_connections_per_host(1)
            // A redirect is answered as an error: a POST must not silently turn
            // into a GET, and an OTLP endpoint has no reason to move.
            .max_redirects(0)
            .build()
            .into();
        Ok(Self {
            endpoint,
            protocol,
            compression,
            headers: parsed,
            timeout,
            retry,
            agent,
        })
    }

    pub(crate) fn header_names(&self) -> Vec<&str> {
        self.headers.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// The rustls configuration: the given roots (or the bundled web roots) and
/// an optional client identity.
#[cfg(feature = "tls")]
fn tls_config(tls: &TlsSettings) -> Result<ureq::tls::TlsConfig, ConfigError> {
    use ureq::tls::{parse_pem, ClientCert, PemItem, RootCerts, TlsConfig};

    fn certificates(
        setting: BuilderOption,
        pem: &[u8],
    ) -> Result<Vec<ureq::tls::Certificate<'static>>, ConfigError> {
        let mut certs = Vec::new();
        for item in parse_pem(pem) {
            match item {
                Ok(PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => {
                    return Err(ConfigError::for_setting(
                        setting,
                        format!("({} bytes)", pem.len()),
                        format!("PEM certificates ({e})"),
                    ))
                }
            }
        }
        if certs.is_empty() {
            return Err(ConfigError::for_setting(
                setting,
                format!("({} bytes)", pem.len()),
                "at least one PEM `CERTIFICATE` block",
            ));
        }
        Ok(certs)
    }

    let mut config = TlsConfig::builder();
    if let Some(pem) = &tls.roots_pem {
        config = config.root_certs(RootCerts::new_with_certs(&certificates(
            BuilderOption::RootCertificatesPem,
            pem,
        )?));
    }
    if let Some((chain, key)) = &tls.client_pem {
        let chain = certificates(BuilderOption::ClientIdentityPem, chain)?;
        let key = ureq::tls::PrivateKey::from_pem(key).map_err(|e| {
            ConfigError::for_setting(
                BuilderOption::ClientIdentityPem,
                "(private key)",
                format!("a PEM private key ({e})"),
            )
        })?;
        config = config.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(config.build())
}

/// The one URL rule ([`validate_url`]) plus what this build can send to (`https` needs
/// the `tls` feature).
fn validate_endpoint(endpoint: &str) -> Result<(), ConfigError> {
    validate_url(BuilderOption::Endpoint, endpoint)?;
    require_tls_for_https(BuilderOption::Endpoint, endpoint)
}

/// What one HTTP exchange produced.
struct Reply {
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

/// Sends `body` until the collector takes it, the error is final, the
/// export timeout is spent or shutdown starts.
///
/// With `until` (an export for a flush or a shutdown, see
/// [`SpanExporter::export_until`](trace_core::SpanExporter::export_until)), the
/// attempts also stop at `until`, and a collector that is not there (connection
/// refused, host not found or unreachable) is not tried again: that is known at
/// once and will not change within a grace period. Answers that mean "try again
/// later" (429, 502, 503, 504) are still retried while time remains.
pub(crate) fn send(
    config: &HttpConfig,
    body: &[u8],
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
        |remaining, attempts| match send_once(config, body, remaining) {
            Ok(reply) if (200..300).contains(&reply.status) => {
                Attempt::Done(Ok(read_partial_success(config.protocol, &reply.body)))
            }
            Ok(reply) if retry::is_retryable_status(reply.status) => {
                let hint = reply
                    .retry_after
                    .as_deref()
                    .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
                Attempt::Retry(status_error(config, &reply), hint)
            }
            Ok(reply) => Attempt::Done(Err(status_error(config, &reply))),
            Err(e) if attempts.winding_down() && is_unreachable(&e) => {
                Attempt::Done(Err(ExportError::new(format!(
                    "OTLP export to {} failed: {e} (no retry: the collector is not there)",
                    config.endpoint
                ))))
            }
            Err(e) => {
                let error =
                    ExportError::new(format!("OTLP export to {} failed: {e}", config.endpoint));
                if is_retryable_error(&e) {
                    Attempt::Retry(error, None)
                } else {
                    Attempt::Done(Err(error))
                }
            }
        },
    )
}

fn send_once(config: &HttpConfig, body: &[u8], timeout: Duration) -> Result<Reply, ureq::Error> {
    let mut request = config
        .agent
        .post(&config.endpoint)
        .header("content-type", config.protocol.content_type());
    if config.compression == Some(Compression::Gzip) {
        request = request.header("content-encoding", "gzip");
    }
    for (name, value) in &config.headers {
        request = request.header(name.clone(), value.clone());
    }
    let mut response = request
        .config()
        .timeout_global(Some(timeout))
        .build()
        .send(body)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // The answer matters only for its partial-success or error message: a
    // body that cannot be read does not undo the status.
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_vec()
        .unwrap_or_default();
    Ok(Reply {
        status,
        retry_after,
        content_type,
        body,
    })
}

fn is_retryable_error(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    )
}

/// Whether the connection could not be made at all: refused, no route, or the
/// host name does not resolve. The collector is not there; retrying within a
/// shutdown's grace period would only spend it.
fn is_unreachable(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::HostUnreachable
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::AddrNotAvailable
            )
            // A failed name lookup: the standard library's getaddrinfo error has
            // no `ErrorKind` of its own (it is "uncategorized"), only this text.
            || io.to_string().starts_with("failed to lookup address information")
        }
        _ => false,
    }
}

fn read_partial_success(protocol: Protocol, body: &[u8]) -> PartialSuccess {
    let parsed = if protocol.is_protobuf() {
        proto::decode_partial_success(body)
    } else {
        json_encoding::decode_partial_success(body)
    };
    parsed.unwrap_or_default()
}

fn status_error(config: &HttpConfig, reply: &Reply) -> ExportError {
    let message = if reply.content_type.contains("protobuf") {
        proto::decode_status_message(&reply.body)
    } else if reply.content_type.contains("json") {
        json_encoding::decode_status_message(&reply.body)
    } else {
        None
    }
    .or_else(|| {
        std::str::from_utf8(&reply.body)
            .ok()
            .map(|s| s.trim().chars().take(200).collect::<String>())
    })
    .filter(|m| !m.is_empty());
    let reason = ureq::http::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    ExportError::new(match message {
        Some(m) => format!(
            "the collector at {} answered {} {reason}: {m}",
            config.endpoint, reply.status
        ),
        None => format!(
            "the collector at {} answered {} {reason}",
            config.endpoint, reply.status
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_validated() {
        assert!(validate_endpoint("http://localhost:4318/v1/traces").is_ok());
        assert!(validate_endpoint("http://127.0.0.1:1/x").is_ok());
        for bad in [
            "",
            "localhost:4318",
            "ftp://x/v1/traces",
            "http://",
            "not a url",
        ] {
            let err = validate_endpoint(bad).err();
            assert!(err.is_some(), "{bad:?} was accepted");
        }
        assert_eq!(
            validate_endpoint("https://x:4318/v1/traces").is_ok(),
            cfg!(feature = "tls")
        );
        // The scheme is case-insensitive; the port must fit in 16 bits.
        assert!(validate_endpoint("HTTP://host/v1/traces").is_ok());
        let e = validate_endpoint("http://127.0.0.1:99999").unwrap_err();
        assert_eq!(e.variable(), "OtlpExporterBuilder::endpoint");
        assert!(e.expected().contains("65535"), "{e}");
    }

    #[test]
    fn a_collector_that_is_not_there_is_told_from_one_that_failed_midway() {
        use std::io::{Error, ErrorKind};
        for kind in [
            ErrorKind::ConnectionRefused,
            ErrorKind::HostUnreachable,
            ErrorKind::NetworkUnreachable,
            ErrorKind::AddrNotAvailable,
        ] {
            assert!(
                is_unreachable(&ureq::Error::Io(Error::from(kind))),
                "{kind:?}"
            );
        }
        assert!(is_unreachable(&ureq::Error::HostNotFound));
        assert!(is_unreachable(&ureq::Error::ConnectionFailed));
        assert!(is_unreachable(&ureq::Error::Io(Error::other(
            "failed to lookup address information: Name or service not known"
        ))));
        // The collector was there and went away, or is slow: worth another try.
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::BrokenPipe,
            ErrorKind::UnexpectedEof,
            ErrorKind::TimedOut,
        ] {
            assert!(
                !is_unreachable(&ureq::Error::Io(Error::from(kind))),
                "{kind:?}"
            );
        }
        assert!(!is_unreachable(&ureq::Error::Timeout(
            ureq::Timeout::Global
        )));
    }
}
