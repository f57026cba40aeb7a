//! The client side: a tower layer and helpers that carry the current trace into outgoing
//! requests.

use std::fmt;
use std::task::{Context as TaskContext, Poll};

use http::{HeaderMap, Method, Request, Response, Uri};
use tower_layer::Layer;
use tower_service::Service;
use trace_core::propagation::{inject, inject_baggage};
use trace_core::{span, Context, Instrument, SpanBuilder, SpanContext, SpanKind};

use crate::semconv::{self, RecordOutcome};
use crate::server::ResponseFuture;

/// Injects the current span context and baggage into `req`'s headers (`traceparent`,
/// `tracestate`, `baggage`), without opening a span: for clients that are not tower
/// services.
///
/// # Examples
/// ```
/// let mut req = http::Request::new(());
/// trace_http::inject_request(&mut req);
/// // Outside any span nothing is added.
/// assert!(req.headers().get("traceparent").is_none());
/// ```
pub fn inject_request<B>(req: &mut Request<B>) {
    trace_core::propagation::inject_current(req.headers_mut());
}

/// A tower [`Layer`] for HTTP clients (hyper-util's client, or any
/// `Service<http::Request<B>>`): each request gets a `Client` span named after the method,
/// a child of the current span, and carries that span's context (and the current baggage)
/// in its headers, so the server's span becomes its child.
///
/// Attributes follow the HTTP semantic conventions: `http.request.method`, `url.full`
/// (credentials redacted), `server.address`, `server.port`, `network.protocol.version`, and
/// `http.response.status_code`. A 4xx or 5xx response sets status `Error` with `error.type`
/// = the code; a failed call sets it to the error's type.
///
/// # Examples
/// ```
/// use tower::ServiceBuilder;
/// use trace_http::ClientLayer;
///
/// let client = ServiceBuilder::new()
///     .layer(ClientLayer::new())
///     .service_fn(|_req: http::Request<String>| async move {
///         // send the request; it carries `traceparent` from the client span
///         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
///     });
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientLayer {
    _private: (),
}

impl ClientLayer {
    /// The layer.
    pub fn new() -> Self {
        ClientLayer::default()
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientService { inner }
    }
}

/// The service made by [`ClientLayer`].
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for ClientService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: fmt::Display + fmt::Debug,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let context = Context::current();
        let uri = req.uri();
        let host_header = req
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok());
        let (host, port) = match uri.host() {
            Some(host) => (Some(host.to_owned()), uri.port_u16()),
            None => host_header.map_or((None, None), |h| {
                let (host, port) = semconv::split_host(h);
                (Some(host.to_owned()), port)
            }),
        };
        let builder = client_span(req.method(), full_url(uri), host, port, uri.scheme_str());
        let builder = semconv::version_attribute(builder, &req);
        let span = builder.start_detached();
        inject_span(&span.span_context(), &context, req.headers_mut());
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(
            RecordOutcome {
                inner,
                kind: SpanKind::Client,
            }
            .in_span(span)
            .in_context(context),
        )
    }
}

/// A `Client` span builder with the conventions' attributes.
pub(crate) fn client_span(
    method: &Method,
    url_full: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    scheme: Option<&str>,
) -> SpanBuilder {
    let mut builder = span(semconv::span_name(method, None)).kind(SpanKind::Client);
    builder = semconv::method_attributes(builder, method);
    if let Some(url) = url_full {
        builder = builder.attribute("url.full", url);
    }
    if let Some(host) = host {
        builder = builder.attribute("server.address", host);
    }
    let port = port.or(match scheme {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    });
    if let Some(port) = port {
        builder = builder.attribute("server.port", i64::from(port));
    }
    builder
}

/// `url.full` for an absolute URI, with any user information replaced by `REDACTED`.
fn full_url(uri: &Uri) -> Option<String> {
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?.as_str();
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("REDACTED:REDACTED@{host}"),
        None => authority.to_owned(),
    };
    let path = uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    Some(format!("{scheme}://{authority}{path}"))
}

/// Injects `span_context` (the client span), or the current context's span when no span is
/// recording (no tracer: the trace still passes through), and the baggage of `context`.
pub(crate) fn inject_span(span_context: &SpanContext, context: &Context, headers: &mut HeaderMap) {
    if span_context.is_valid() {
        inject(span_context, headers);
    } else if let Some(current) = context.span_context() {
        inject(current, headers);
    }
    if let Some(baggage) = context.baggage() {
        inject_baggage(baggage, headers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url_redacts_credentials() {
        let uri: Uri = "http://user:secret@example.com:8080/a?b=c".parse().unwrap();
        assert_eq!(
            full_url(&uri).as_deref(),
            Some("http://REDACTED:REDACTED@example.com:8080/a?b=c")
        );
        let uri: Uri = "https://example.com".parse().unwrap();
        assert_eq!(full_url(&uri).as_deref(), Some("https://example.com/"));
        let uri: Uri = "/relative".parse().unwrap();
        assert_eq!(full_url(&uri), None);
    }
}
