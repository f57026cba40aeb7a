//! # trace-grpc
//!
//! gRPC integration for **traced**: one call that crosses services is one trace.
//!
//! - [`ServerLayer`]: a tower layer for tonic servers. It extracts the caller's context from
//!   the call's metadata, opens a `Server` span named `{package.Service}/{Method}` as a child
//!   of the caller's span, keeps it current while the handler (and a streaming response)
//!   runs, and ends it when the status is sent.
//! - [`ClientLayer`]: a tower layer for `tonic::transport::Channel`: a `Client` span per
//!   call, its context injected into the metadata.
//!
//! Both record the RPC semantic conventions (`rpc.system.name`, `rpc.method`,
//! `rpc.status_code`, `server.address`, `server.port`, `network.peer.*`, `error.type`) and
//! read the status where gRPC puts it: the trailers, or the headers of a trailers-only
//! response. They work on `http` requests and responses, so they need no particular tonic
//! version; the `tonic` feature (default) only adds the server's peer address from tonic's
//! `TcpConnectInfo` (and needs Rust 1.88, tonic 0.14's minimum; without it the crate builds
//! with the workspace's 1.85).
//!
//! # Examples
//! ```no_run
//! use tower::ServiceBuilder;
//!
//! # async fn run(routes: tonic::service::Routes) -> Result<(), Box<dyn std::error::Error>> {
//! // Server: every call gets a span, child of the caller's.
//! let server = tonic::transport::Server::builder()
//!     .layer(trace_grpc::ServerLayer::new())
//!     .add_routes(routes)
//!     .serve("127.0.0.1:50051".parse()?);
//!
//! // Client: every call gets a span and carries its context.
//! let channel = tonic::transport::Channel::from_static("http://127.0.0.1:50051").connect_lazy();
//! let channel = ServiceBuilder::new()
//!     .layer(trace_grpc::ClientLayer::new().target("http://127.0.0.1:50051"))
//!     .service(channel);
//! // GreeterClient::new(channel).say_hello(..).await
//! # let _ = (server, channel);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod code;
mod method;
mod server;
mod tracked;

pub use client::{ClientLayer, ClientService};
pub use server::{ServerLayer, ServerService};
pub use tracked::{ResponseFuture, TracedBody};
