//! The server side: a tower layer that continues the caller's trace.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{header, Request, Response};
use tower_layer::Layer;
use tower_service::Service;
use trace_core::propagation::extract_context;
use trace_core::{span, Instrument, Instrumented, SpanKind};

use crate::semconv::{self, RecordOutcome};

/// The route template of a request (`/users/{id}`), for the span name and `http.route`.
///
/// Insert it into the request's extensions before [`ServerLayer`] sees the request when the
/// framework does not provide one; with the `axum` feature, axum's `MatchedPath` is read
/// directly.
///
/// # Examples
/// ```
/// use trace_http::HttpRoute;
/// let mut req = http::Request::new(());
/// req.extensions_mut().insert(HttpRoute::new("/users/{id}"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRoute(Cow<'static, str>);

impl HttpRoute {
    /// A route template.
    pub fn new(route: impl Into<Cow<'static, str>>) -> Self {
        HttpRoute(route.into())
    }

    /// The template.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tower [`Layer`] for HTTP servers (axum, hyper, tonic-style stacks): for each request
/// it extracts the caller's W3C trace context and baggage, opens a `Server` span named
/// `{method} {route}` as a child of the caller's span (a new trace when the headers are
/// missing or invalid), and keeps the span and the baggage current while the handler runs,
/// across `.await` and threads.
///
/// Attributes follow the HTTP semantic conventions: `http.request.method`, `url.path`,
/// `url.query`, `url.scheme`, `http.route`, `server.address`, `server.port`,
/// `user_agent.original`, `network.protocol.version`, and `http.response.status_code` when
/// the response is ready. A 5xx response sets status `Error` with `error.type` = the code.
///
/// # Examples
/// ```
/// use axum::{routing::get, Router};
/// use trace_http::ServerLayer;
///
/// let app: Router = Router::new()
///     .route("/users/{id}", get(|| async { "alice" }))
///     .layer(ServerLayer::new());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ServerLayer {
    scheme: Option<&'static str>,
}

impl ServerLayer {
    /// A layer with the default settings (`url.scheme` taken from the request URI, else
    /// `http`).
    pub fn new() -> Self {
        ServerLayer::default()
    }

    /// Sets `url.scheme` for requests whose URI does not say it (e.g. `"https"` behind TLS
    /// termination in the same process).
    #[must_use]
    pub fn scheme(mut self, scheme: &'static str) -> Self {
        self.scheme = Some(scheme);
        self
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerService {
            inner,
            scheme: self.scheme,
        }
    }
}

/// The service made by [`ServerLayer`].
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
    scheme: Option<&'static str>,
}

impl<S, B, RB> Service<Request<B>> for ServerService<S>
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

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let context = extract_context(req.headers());
        let parent = context.span_context().cloned();
        let route = route_of(&req);
        let mut builder =
            span(semconv::span_name(req.method(), route.as_deref())).kind(SpanKind::Server);
        builder = match parent {
            Some(parent) => builder.parent(parent),
            None => builder.no_parent(),
        };
        builder = semconv::method_attributes(builder, req.method());
        builder = semconv::version_attribute(builder, &req);
        let uri = req.uri();
        builder = builder
            .attribute("url.path", uri.path().to_owned())
            .attribute(
                "url.scheme",
                uri.scheme_str()
                    .unwrap_or(self.scheme.unwrap_or("http"))
                    .to_owned(),
            );
        if let Some(query) = uri.query() {
            builder = builder.attribute("url.query", query.to_owned());
        }
        if let Some(route) = route {
            builder = builder.attribute("http.route", route);
        }
        let authority = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(http::uri::Authority::as_str));
        if let Some(authority) = authority {
            let (host, port) = semconv::split_host(authority);
            builder = builder.attribute("server.address", host.to_owned());
            if let Some(port) = port {
                builder = builder.attribute("server.port", i64::from(port));
            }
        }
        if let Some(agent) = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
        {
            builder = builder.attribute("user_agent.original", agent.to_owned());
        }
        let span = builder.start_detached();

        // `call` itself may run handler code (routing, extractors): run it in the span too.
        let inner = {
            let _attached = context.clone().attach();
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(
            RecordOutcome {
                inner,
                kind: SpanKind::Server,
            }
            .in_span(span)
            .in_context(context),
        )
    }
}

/// The route template: [`HttpRoute`] from the extensions, or axum's `MatchedPath`.
fn route_of<B>(req: &Request<B>) -> Option<String> {
    if let Some(route) = req.extensions().get::<HttpRoute>() {
        return Some(route.as_str().to_owned());
    }
    #[cfg(feature = "axum")]
    if let Some(path) = req.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str().to_owned());
    }
    None
}

pin_project_lite::pin_project! {
    /// The response future of [`ServerService`] and [`ClientService`](crate::ClientService):
    /// the inner future run inside the span and the propagated context.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Instrumented<Instrumented<RecordOutcome<F>>>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: Instrumented<Instrumented<RecordOutcome<F>>>) -> Self {
        ResponseFuture { inner }
    }
}

impl<F, RB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
    E: fmt::Display + fmt::Debug,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
