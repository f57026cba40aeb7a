//! The client side: a tower layer for tonic channels that carries the current trace into
//! the call's metadata.

use std::borrow::Cow;
use std::fmt;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;
use trace_core::propagation::{inject, inject_baggage};
use trace_core::{span, Context, Span, SpanKind, Tracer};

use crate::method::{method_of, split_host, target_address};
use crate::tracked::{Call, ResponseFuture, TracedBody};

/// A tower [`Layer`] for gRPC clients: wrap a `tonic::transport::Channel` (or any
/// `Service<http::Request<B>>` speaking gRPC) and hand the result to a generated client.
/// Each call gets a `Client` span named after the method (`helloworld.Greeter/SayHello`), a
/// child of the current span, and carries that span's context and the current baggage in
/// its metadata (W3C Trace Context, plus B3 when configured), so the server's span becomes
/// its child. The span ends when the status arrives (trailers, or a trailers-only
/// response), or with `span.cancelled = true` when the caller drops the call or the
/// response stream before that.
///
/// Attributes follow the RPC semantic conventions (`span.rpc.grpc.call.client`):
/// `rpc.system.name = "grpc"`, `rpc.method`, `rpc.status_code`, `server.address` and
/// `server.port` (from the request URI when it has an authority, else from
/// [`target`](Self::target)), and on any status but OK the span's status `Error` with the
/// `grpc-message` and `error.type` = the code; a transport failure sets `error.type` to the
/// error's type.
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tower::ServiceBuilder;
///
/// let target = "http://127.0.0.1:50051";
/// let channel = tonic::transport::Channel::from_static(target).connect().await?;
/// let channel = ServiceBuilder::new()
///     .layer(trace_grpc::ClientLayer::new().target(target))
///     .service(channel);
/// // e.g. `GreeterClient::new(channel)`: every call is traced.
/// # let _ = channel;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientLayer {
    server: Option<(String, Option<u16>)>,
}

impl ClientLayer {
    /// The layer, with `server.address` taken from each request's URI.
    pub fn new() -> Self {
        ClientLayer::default()
    }

    /// Sets `server.address` and `server.port` from the channel's target
    /// (`http://host:port`, `dns:///host:port`, `host:port`), for requests whose URI has no
    /// authority (a tonic `Channel` adds it below this layer).
    #[must_use]
    pub fn target(mut self, target: &str) -> Self {
        self.server = Some(target_address(target));
        self
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientService {
            inner,
            server: self.server.clone(),
        }
    }
}

/// The service made by [`ClientLayer`].
#[derive(Clone, Debug)]
pub struct ClientService<S> {
    inner: S,
    server: Option<(String, Option<u16>)>,
}

impl<S, B, RB> Service<Request<B>> for ClientService<S>
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

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let context = Context::current();
        let span = if Tracer::global().is_some() {
            client_span(&req, self.server.as_ref())
        } else {
            Span::noop()
        };
        let span_context = span.span_context();
        let headers = req.headers_mut();
        if span_context.is_valid() {
            inject(&span_context, headers);
        } else if let Some(current) = context.span_context() {
            // Not recording: the caller's trace still passes through.
            inject(current, headers);
        }
        if let Some(baggage) = context.baggage() {
            inject_baggage(baggage, headers);
        }
        let call = Call::new(span, context, SpanKind::Client, method_of(req.uri().path()));
        let inner = call.enter(|| self.inner.call(req));
        ResponseFuture::new(inner, call)
    }
}

/// The `Client` span of `req`, a child of the current span; its attributes are recorded
/// only if it is sampled. `server` is the layer's target, used when the URI has no
/// authority.
fn client_span<B>(req: &Request<B>, server: Option<&(String, Option<u16>)>) -> Span {
    let method = method_of(req.uri().path());
    let builder = span(method.map_or(Cow::Borrowed("grpc"), |m| Cow::Owned(m.to_owned())))
        .kind(SpanKind::Client);
    let authority = req.uri().authority().map(http::uri::Authority::as_str);
    builder.start_detached_with(|a| {
        a.set("rpc.system.name", "grpc");
        a.set("rpc.method", method.unwrap_or("_OTHER"));
        let (host, port) = match (authority, server) {
            (Some(authority), _) => split_host(authority),
            (None, Some((host, port))) => (host.as_str(), *port),
            (None, None) => return,
        };
        a.set("server.address", host);
        if let Some(port) = port {
            a.set("server.port", &i64::from(port));
        }
    })
}
