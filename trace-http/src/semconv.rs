//! HTTP semantic conventions shared by the server and client sides: method names, span
//! names, attributes, and how a response status maps to the span status.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{Method, Request, Response, Version};
use trace_core::semconv::HTTP_RESPONSE_STATUS_CODE;
use trace_core::{current_span, SpanBuilder, SpanError, SpanKind};

/// The `http.request.method` value: the method when it is one the conventions know, else
/// `_OTHER` (with the original in `http.request.method_original`).
pub(crate) fn known_method(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => return None,
    })
}

/// The span name: `{method} {target}`, `{method}` without a target, or `HTTP` for an
/// unknown method.
pub(crate) fn span_name(method: &Method, target: Option<&str>) -> String {
    match (known_method(method), target) {
        (Some(m), Some(t)) => format!("{m} {t}"),
        (Some(m), None) => m.to_owned(),
        (None, _) => "HTTP".to_owned(),
    }
}

/// `network.protocol.version`.
pub(crate) fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

/// Splits a `Host` value (or URI authority) into host and port.
pub(crate) fn split_host(authority: &str) -> (&str, Option<u16>) {
    // Bracketed IPv6 literal: `[::1]:8080`.
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host, port);
        }
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (authority, None),
    }
}

/// Attributes common to both sides: method (and original), protocol version.
pub(crate) fn method_attributes(mut builder: SpanBuilder, method: &Method) -> SpanBuilder {
    match known_method(method) {
        Some(m) => builder = builder.attribute("http.request.method", m),
        None => {
            builder = builder
                .attribute("http.request.method", "_OTHER")
                .attribute("http.request.method_original", method.as_str().to_owned());
        }
    }
    builder
}

/// Adds `network.protocol.version` for `req`.
pub(crate) fn version_attribute<B>(builder: SpanBuilder, req: &Request<B>) -> SpanBuilder {
    match protocol_version(req.version()) {
        Some(v) => builder.attribute("network.protocol.version", v),
        None => builder,
    }
}

/// Records the outcome of a call on the current span: `http.response.status_code`, and
/// status `Error` (with `error.type` = the status code) when the status fails a span of
/// `kind` ([`SpanError`] on `StatusCode`, the rule `#[traced]` follows too: 5xx always, 4xx
/// on a client span); `error.type` = [`trace_core::error_type_of`] the error when the call
/// failed.
pub(crate) fn record_outcome<B, E: std::fmt::Display + std::fmt::Debug>(
    kind: SpanKind,
    result: &Result<Response<B>, E>,
) {
    let span = current_span();
    match result {
        Ok(response) => {
            let status = response.status();
            span.set(HTTP_RESPONSE_STATUS_CODE, status);
            if status.is_failure(kind) {
                // The conventions ask for no description when the status code says it all.
                span.record_error_parts("", &status.error_type());
            }
        }
        Err(error) => span.record_error_parts(error, &trace_core::error_type_of(error)),
    }
}

pin_project_lite::pin_project! {
    /// Polls the inner future and records its outcome on the span current during the poll
    /// that completes it.
    #[derive(Debug)]
    pub(crate) struct RecordOutcome<F> {
        #[pin]
        pub(crate) inner: F,
        pub(crate) kind: SpanKind,
    }
}

impl<F, B, E> Future for RecordOutcome<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::fmt::Display + std::fmt::Debug,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        record_outcome(*this.kind, &result);
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_names_follow_the_conventions() {
        assert_eq!(
            span_name(&Method::GET, Some("/users/{id}")),
            "GET /users/{id}"
        );
        assert_eq!(span_name(&Method::POST, None), "POST");
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(span_name(&custom, Some("/x")), "HTTP");
        assert_eq!(known_method(&custom), None);
    }

    #[test]
    fn host_splitting() {
        assert_eq!(split_host("example.com:8080"), ("example.com", Some(8080)));
        assert_eq!(split_host("example.com"), ("example.com", None));
        assert_eq!(split_host("[::1]:3000"), ("::1", Some(3000)));
        assert_eq!(split_host("[::1]"), ("::1", None));
        assert_eq!(split_host("127.0.0.1:x"), ("127.0.0.1", None));
    }

    #[test]
    fn protocol_versions() {
        assert_eq!(protocol_version(Version::HTTP_11), Some("1.1"));
        assert_eq!(protocol_version(Version::HTTP_2), Some("2"));
    }
}
