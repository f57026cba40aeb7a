//! The server side: a tower layer for tonic servers that continues the caller's trace.

use std::borrow::Cow;
use std::fmt;
use std::task::{Context as TaskContext, Poll};

use http::{header, Request, Response};
use tower_layer::Layer;
use tower_service::Service;
use trace_core::propagation::extract_context;
use trace_core::{span, Span, SpanContext, SpanKind, Tracer};

use crate::method::{method_of, split_host};
use crate::tracked::{Call, ResponseFuture, TracedBody};

/// A tower [`Layer`] for gRPC servers (`tonic::transport::Server::builder().layer(..)`, or
/// any `Service<http::Request<B>>` serving gRPC): for each call it extracts the caller's
/// context from the metadata (W3C `traceparent`, `tracestate`, `baggage`, and B3 when
/// configured through [`trace_core::propagation::set_propagators`]), opens a `Server` span
/// named after the method (`helloworld.Greeter/SayHello`) as a child of the caller's span,
/// and keeps it current while the handler runs, across `.await`, threads, and the polls of
/// a streaming response. The span ends when the status is sent: with the trailers, or the
/// headers of a trailers-only response. A response dropped before that (the client went
/// away) ends it with `span.cancelled = true`.
///
/// Attributes follow the RPC semantic conventions (`span.rpc.grpc.call.server`):
/// `rpc.system.name = "grpc"`, `rpc.method`, `rpc.status_code` (`"OK"`, `"NOT_FOUND"`, ...),
/// `server.address` and `server.port` from `:authority`, `network.peer.address` and
/// `network.peer.port` (tonic's `TcpConnectInfo`, feature `tonic`), and `error.type` = the
/// code when the status is one the conventions call a server error (`UNKNOWN`,
/// `DEADLINE_EXCEEDED`, `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE`, `DATA_LOSS`), which also sets the
/// span's status to `Error` with the `grpc-message`. A call to a method the server does not
/// know (answered `UNIMPLEMENTED`) is named `grpc` with `rpc.method = "_OTHER"` and the path in
/// `rpc.method_original`. Malformed or oversized metadata is ignored (a new trace starts).
///
/// # Examples
/// ```no_run
/// # async fn run(routes: tonic::service::Routes) -> Result<(), tonic::transport::Error> {
/// tonic::transport::Server::builder()
///     .layer(trace_grpc::ServerLayer::new())
///     .add_routes(routes)
///     .serve("127.0.0.1:50051".parse().unwrap())
///     .await
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ServerLayer {
    _private: (),
}

impl ServerLayer {
    /// The layer.
    pub fn new() -> Self {
        ServerLayer::default()
    }
}

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerService { inner }
    }
}

/// The service made by [`ServerLayer`].
#[derive(Clone, Debug)]
pub struct ServerService<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for ServerService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: fmt::Display,
{
    type Response = Response<TracedBody<RB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The caller's context is kept current even with no tracer installed, so that calls
        // the handler makes carry the trace on.
        let context = extract_context(req.headers());
        let span = if Tracer::global().is_some() {
            server_span(&req, context.span_context())
        } else {
            Span::noop()
        };
        let call = Call::new(span, context, SpanKind::Server, method_of(req.uri().path()));
        // `call` itself may run handler code: in the span too.
        let inner = call.enter(|| self.inner.call(req));
        ResponseFuture::new(inner, call)
    }
}

/// The `Server` span of `req`, a child of `parent` (a root without one); its attributes are
/// recorded only if it is sampled.
fn server_span<B>(req: &Request<B>, parent: Option<&SpanContext>) -> Span {
    let path = req.uri().path();
    let method = method_of(path);
    let mut builder = span(method.map_or(Cow::Borrowed("grpc"), |m| Cow::Owned(m.to_owned())))
        .kind(SpanKind::Server);
    builder = match parent {
        Some(parent) => builder.parent(parent.clone()),
        None => builder.no_parent(),
    };
    let authority = req
        .uri()
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
        });
    #[cfg(feature = "tonic")]
    let peer = req
        .extensions()
        .get::<tonic::transport::server::TcpConnectInfo>()
        .and_then(tonic::transport::server::TcpConnectInfo::remote_addr);
    builder.start_detached_with(|a| {
        a.set("rpc.system.name", "grpc");
        if let Some(method) = method {
            a.set("rpc.method", method);
        } else {
            a.set("rpc.method", "_OTHER");
            a.set(
                "rpc.method_original",
                &path.chars().take(256).collect::<String>(),
            );
        }
        if let Some(authority) = authority {
            let (host, port) = split_host(authority);
            a.set("server.address", host);
            if let Some(port) = port {
                a.set("server.port", &i64::from(port));
            }
        }
        #[cfg(feature = "tonic")]
        if let Some(peer) = peer {
            a.set("network.peer.address", &peer.ip().to_string());
            a.set("network.peer.port", &i64::from(peer.port()));
        }
    })
}
