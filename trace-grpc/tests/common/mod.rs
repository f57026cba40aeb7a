//! Helpers shared by the integration tests: a serial lock (the tracer is global), a tracer
//! exporting into memory, and a hand-written `helloworld.Greeter` (the gRPC project's
//! hello-world proto, messages by prost derive) served by tonic on 127.0.0.1.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::{Request, Response, Status};
use trace_core::{span, SpanData, Tracer, TracerGuard};
use trace_exporters::InMemoryExporter;

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs `test` on a fresh multi-threaded runtime with a fresh in-memory tracer, one test at
/// a time (the tracer is process-wide).
pub fn run<F, Fut>(test: F)
where
    F: FnOnce(InMemoryExporter) -> Fut,
    Fut: Future<Output = ()>,
{
    static LOCK: Mutex<()> = Mutex::new(());
    let _serial = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let exporter = InMemoryExporter::new();
    let guard: TracerGuard = Tracer::builder()
        .service_name("trace-grpc-tests")
        .simple_exporter(exporter.clone())
        .install_global();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(test(exporter));
    drop(runtime);
    guard.shutdown().unwrap();
}

/// What the Greeter does, by the name it is asked to greet:
/// `unavailable`, `not-found`, `internal` answer that status; `slow` answers after 10 s;
/// anything else is greeted, with a child span `greet` inside the handler.
async fn say_hello(name: &str) -> Result<HelloReply, Status> {
    match name {
        "unavailable" => Err(Status::unavailable("try later")),
        "not-found" => Err(Status::not_found("no such person")),
        "internal" => Err(Status::internal("it broke")),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(HelloReply::default())
        }
        _ => {
            let _child = span("greet").start();
            Ok(HelloReply {
                message: format!("Hello {name}!"),
            })
        }
    }
}

/// The Greeter: `SayHello` (unary) and `SayHellos` (server streaming: three replies, each
/// made in a span `stream.item` as the response body is polled).
#[derive(Clone, Debug, Default)]
pub struct Greeter;

impl tonic::server::NamedService for Greeter {
    const NAME: &'static str = "helloworld.Greeter";
}

impl tower::Service<http::Request<Body>> for Greeter {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        struct Unary;
        impl tonic::server::UnaryService<HelloRequest> for Unary {
            type Response = HelloReply;
            type Future = BoxFuture<Result<Response<HelloReply>, Status>>;
            fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
                Box::pin(async move {
                    say_hello(&request.into_inner().name)
                        .await
                        .map(Response::new)
                })
            }
        }
        struct Streaming;
        impl tonic::server::ServerStreamingService<HelloRequest> for Streaming {
            type Response = HelloReply;
            type ResponseStream =
                Pin<Box<dyn tokio_stream::Stream<Item = Result<HelloReply, Status>> + Send>>;
            type Future = BoxFuture<Result<Response<Self::ResponseStream>, Status>>;
            fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
                let name = request.into_inner().name;
                Box::pin(async move {
                    let items = (0..3).map(move |i| {
                        let _item = span("stream.item").start();
                        Ok(HelloReply {
                            message: format!("Hello {name} #{i}"),
                        })
                    });
                    let stream: Self::ResponseStream = Box::pin(tokio_stream::iter(items));
                    Ok(Response::new(stream))
                })
            }
        }
        match req.uri().path() {
            "/helloworld.Greeter/SayHello" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(Unary, req).await)
            }),
            "/helloworld.Greeter/SayHellos" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(Streaming, req).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("").into_http()) }),
        }
    }
}

/// Serves the Greeter behind [`trace_grpc::ServerLayer`] on an ephemeral port of
/// 127.0.0.1; returns its address.
pub async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .layer(trace_grpc::ServerLayer::new())
        .add_service(Greeter)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    addr
}

/// A tonic client over a channel to `addr` wrapped in [`trace_grpc::ClientLayer`].
pub type TracedChannel = trace_grpc::ClientService<tonic::transport::Channel>;

pub fn client(addr: SocketAddr) -> tonic::client::Grpc<TracedChannel> {
    let target = format!("http://{addr}");
    let channel = tonic::transport::Endpoint::from_shared(target.clone())
        .unwrap()
        .connect_lazy();
    let layered = tower::ServiceBuilder::new()
        .layer(trace_grpc::ClientLayer::new().target(&target))
        .service(channel);
    tonic::client::Grpc::new(layered)
}

/// Calls `path` (`/helloworld.Greeter/SayHello`) with `name`.
pub async fn call(
    client: &mut tonic::client::Grpc<TracedChannel>,
    path: &'static str,
    name: &str,
) -> Result<HelloReply, Status> {
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    client
        .unary(
            Request::new(HelloRequest { name: name.into() }),
            http::uri::PathAndQuery::from_static(path),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .map(Response::into_inner)
}

/// Waits until `exporter` holds a span named `name` (server spans end after the client
/// sees the response), at most 2 s.
pub async fn wait_for(exporter: &InMemoryExporter, name: &str, count: usize) {
    for _ in 0..200 {
        if exporter.find_all(name).len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "no {count} spans {name:?}: {:?}",
        exporter
            .spans()
            .iter()
            .map(|s| (s.name.clone(), s.kind))
            .collect::<Vec<_>>()
    );
}

/// The value of attribute `key`, displayed.
pub fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.to_string())
}
