//! The gRPC project's hello-world service, `helloworld.Greeter`, written by hand on tonic
//! (no `protoc` at build time): the two messages with prost's derive, a server and a client
//! as `tonic-build` would generate them, in a few lines each.
//!
//! ```proto
//! package helloworld;
//! service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::{Request, Response, Status};

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The path of `SayHello`.
pub const SAY_HELLO: &str = "/helloworld.Greeter/SayHello";

/// What a Greeter does.
pub trait Greeter: Send + Sync + 'static {
    /// `rpc SayHello (HelloRequest) returns (HelloReply);`
    fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> impl Future<Output = Result<Response<HelloReply>, Status>> + Send;
}

/// A tonic service serving a [`Greeter`]: add it with `Server::builder().add_service(..)`.
#[derive(Debug)]
pub struct GreeterServer<T>(Arc<T>);

impl<T> GreeterServer<T> {
    /// Serves `greeter`.
    pub fn new(greeter: T) -> Self {
        GreeterServer(Arc::new(greeter))
    }
}

impl<T> Clone for GreeterServer<T> {
    fn clone(&self) -> Self {
        GreeterServer(Arc::clone(&self.0))
    }
}

impl<T> tonic::server::NamedService for GreeterServer<T> {
    const NAME: &'static str = "helloworld.Greeter";
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<T: Greeter> tower::Service<http::Request<Body>> for GreeterServer<T> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        struct SayHello<T>(Arc<T>);
        impl<T: Greeter> tonic::server::UnaryService<HelloRequest> for SayHello<T> {
            type Response = HelloReply;
            type Future = BoxFuture<Result<Response<HelloReply>, Status>>;
            fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
                let greeter = Arc::clone(&self.0);
                Box::pin(async move { greeter.say_hello(request).await })
            }
        }
        if req.uri().path() == SAY_HELLO {
            let greeter = Arc::clone(&self.0);
            Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(SayHello(greeter), req).await)
            })
        } else {
            Box::pin(async { Ok(Status::unimplemented("").into_http()) })
        }
    }
}

/// A client of `helloworld.Greeter` over any gRPC service `T` (a `Channel`, or one wrapped
/// in `trace_grpc::ClientLayer`).
#[derive(Clone, Debug)]
pub struct GreeterClient<T> {
    inner: tonic::client::Grpc<T>,
}

impl<T> GreeterClient<T>
where
    T: tonic::client::GrpcService<Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: http_body::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    /// A client sending over `inner`.
    pub fn new(inner: T) -> Self {
        GreeterClient {
            inner: tonic::client::Grpc::new(inner),
        }
    }

    /// Calls `SayHello`.
    ///
    /// # Errors
    ///
    /// The status the server answered, or `UNKNOWN` when the channel failed.
    pub async fn say_hello(
        &mut self,
        request: impl tonic::IntoRequest<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unknown(format!("the channel is not ready: {}", e.into())))?;
        self.inner
            .unary(
                request.into_request(),
                http::uri::PathAndQuery::from_static(SAY_HELLO),
                tonic_prost::ProstCodec::default(),
            )
            .await
    }
}
