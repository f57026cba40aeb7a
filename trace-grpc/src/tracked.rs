//! What the server and client layers share: the span of one call, entered while the inner
//! service's future and the response body are polled, ended when the call's status is known
//! (trailers, or a trailers-only response), or marked cancelled when dropped before that.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use trace_core::{Context, Span, SpanKind};

use crate::code::{self, Code};

/// The span of one call and the context its code runs in.
pub(crate) struct Call {
    span: Span,
    context: Context,
    kind: SpanKind,
    /// The full method, for `rpc.method_original` if the answer is UNIMPLEMENTED.
    method: Option<String>,
    /// Whether the outcome was recorded: dropped before, the call was cancelled.
    finished: bool,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("span", &self.span)
            .field("kind", &self.kind)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Call {
    pub(crate) fn new(span: Span, context: Context, kind: SpanKind, method: Option<&str>) -> Self {
        // Kept for `rpc.method_original` should the server not know the method.
        let method = method.filter(|_| span.is_recording()).map(str::to_owned);
        Call {
            span,
            context,
            kind,
            method,
            finished: false,
        }
    }

    /// Runs `f` with the call's context attached and its span entered.
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let _attached = self.context.clone().attach();
        let _entered = self.span.enter();
        f()
    }

    /// Records a status the server gave (or the client derived).
    fn status(&mut self, code: Code, message: &str) {
        self.finished = true;
        let span = &self.span;
        if !span.is_recording() {
            return;
        }
        span.set_attribute("rpc.status_code", code.name().as_ref());
        if code == Code::UNIMPLEMENTED {
            // The method is not one the server knows: keep the name's cardinality bounded.
            span.set_attribute("rpc.method", "_OTHER");
            if let Some(method) = &self.method {
                span.set_attribute("rpc.method_original", method.as_str());
            }
            span.update_name("grpc");
        }
        let error = match self.kind {
            SpanKind::Server => code.is_server_error(),
            _ => code.is_client_error(),
        };
        if error {
            span.record_error_parts(message, &code.name());
        }
    }

    /// Records a failure without a gRPC status (a transport or body error).
    fn failure(&mut self, description: &dyn fmt::Display, error_type: &str) {
        self.finished = true;
        self.span.record_error_parts(description, error_type);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.finished {
            self.span.set_attribute("span.cancelled", &true);
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ServerService`](crate::ServerService) and
    /// [`ClientService`](crate::ClientService): the inner future, polled inside the call's
    /// span; the response's body carries the span on until the call's status is known.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, call: Call) -> Self {
        ResponseFuture {
            inner,
            call: Some(call),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<TracedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner;
        let result = match this.call.as_ref() {
            Some(call) => std::task::ready!(call.enter(|| inner.poll(cx))),
            None => std::task::ready!(inner.poll(cx)),
        };
        let mut call = this.call.take();
        Poll::Ready(match result {
            Ok(response) => {
                if let Some(c) = call.as_mut() {
                    if let Some((code, message)) = code::status_of(response.headers()) {
                        // Trailers-only: the status came with the headers; the call is over.
                        c.status(code, &message);
                        call = None;
                    } else if response.status() != StatusCode::OK {
                        // Not a gRPC answer (a proxy's error page, a 404 from a router).
                        let code = code::from_http_status(response.status());
                        c.status(code, response.status().as_str());
                        call = None;
                    }
                }
                Ok(response.map(|inner| TracedBody { inner, call }))
            }
            Err(error) => {
                if let Some(c) = call.as_mut() {
                    c.failure(&error, trace_core::error_type::<E>());
                }
                Err(error)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that ends the call's span when the status arrives in the trailers
    /// (or the stream ends), and marks it cancelled when dropped before that.
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B> fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracedBody")
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl<B> Body for TracedBody<B>
where
    B: Body,
    B::Error: fmt::Display,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let inner = this.inner;
        let Some(call) = this.call.as_mut() else {
            return inner.poll_frame(cx);
        };
        // A streaming handler produces its messages as the body is polled: in the span.
        let frame = std::task::ready!(call.enter(|| inner.poll_frame(cx)));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let (code, message) = code::status_of(trailers).unwrap_or_else(|| {
                        (Code::UNKNOWN, "trailers without grpc-status".to_owned())
                    });
                    call.status(code, &message);
                    *this.call = None;
                }
            }
            Some(Err(error)) => {
                call.failure(error, trace_core::error_type::<B::Error>());
                *this.call = None;
            }
            None => {
                // The stream ended without trailers: no status.
                call.failure(&"the response ended without grpc-status", "_OTHER");
                *this.call = None;
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
