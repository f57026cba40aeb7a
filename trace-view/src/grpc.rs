//! The OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on
//! tonic, answered as the OTLP/gRPC specification says.
//!
//! - `OK` with an `ExportTraceServiceResponse` (a partial success names the spans left out);
//! - `INVALID_ARGUMENT` when the message does not decode, or is over [`MAX_BODY_BYTES`]
//!   uncompressed (the HTTP receiver's bound on a body);
//! - `RESOURCE_EXHAUSTED` (from tonic, without retry information, so not retried) when a gzip
//!   message inflates to more than [`MAX_INFLATED_BYTES`];
//! - `UNAVAILABLE` (retryable) when the store fails;
//! - `UNIMPLEMENTED` for another method.
//!
//! gzip is accepted (`grpc-encoding: gzip`), and answers are gzip when the client accepts it.
//! The message is read whole by the codec and decoded by [`otlp::decode`], not by tonic, so a
//! body that is not protobuf gets `INVALID_ARGUMENT`, not tonic's `INTERNAL`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use prost::Message as _;
use tonic::body::Body;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Response, Status};

use crate::otlp::{self, proto, Format};
use crate::receiver::{MAX_BODY_BYTES, MAX_INFLATED_BYTES};
use crate::store::Store;

/// The service's name, as the method path spells it.
const SERVICE: &str = "opentelemetry.proto.collector.trace.v1.TraceService";
/// The one method.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// `TraceService` over a store: add it with `Server::builder().add_service(..)`.
#[derive(Debug, Clone)]
pub(crate) struct TraceService(Arc<Store>);

impl TraceService {
    pub(crate) fn new(store: Arc<Store>) -> Self {
        Self(store)
    }
}

impl tonic::server::NamedService for TraceService {
    const NAME: &'static str = SERVICE;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower_service::Service<http::Request<Body>> for TraceService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != EXPORT {
            let method = request.uri().path().to_owned();
            return Box::pin(async move {
                Ok(Status::unimplemented(format!("no method {method}")).into_http())
            });
        }
        let store = Arc::clone(&self.0);
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(MessageCodec)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(MAX_INFLATED_BYTES)
                .max_encoding_message_size(MAX_BODY_BYTES);
            Ok(grpc.unary(Export(store), request).await)
        })
    }
}

/// One call of `Export`.
struct Export(Arc<Store>);

impl tonic::server::UnaryService<Bytes> for Export {
    type Response = proto::ExportTraceServiceResponse;
    type Future = BoxFuture<Result<Response<Self::Response>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let store = Arc::clone(&self.0);
        let compressed = request
            .metadata()
            .get("grpc-encoding")
            .is_some_and(|e| e.as_bytes() != b"identity");
        let body = request.into_inner();
        Box::pin(async move {
            // tonic bounds what a gzip message inflates to; an uncompressed one is held to the
            // HTTP receiver's bound on a body.
            if !compressed && body.len() > MAX_BODY_BYTES {
                return Err(Status::invalid_argument(format!(
                    "the message is over {MAX_BODY_BYTES} bytes"
                )));
            }
            // Decoding and the write take CPU and the store's lock: off the async workers.
            let stored = tokio::task::spawn_blocking(move || {
                let decoded = otlp::decode(Format::Protobuf, &body)?;
                Ok::<_, otlp::Malformed>((store.insert(&decoded.batch), decoded))
            })
            .await;
            match stored {
                Ok(Ok((Ok(_), decoded))) => Ok(Response::new(otlp::success(&decoded))),
                Ok(Err(malformed)) => Err(Status::invalid_argument(malformed.0)),
                Ok(Ok((Err(e), _))) => Err(Status::unavailable(e.to_string())),
                Err(_) => Err(Status::unavailable("the receiver failed on this request")),
            }
        })
    }
}

/// Reads a request message as its bytes (decoded by the service) and writes the answer.
#[derive(Debug, Clone, Copy)]
struct MessageCodec;

impl Codec for MessageCodec {
    type Encode = proto::ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = MessageCodec;
    type Decoder = MessageCodec;

    fn encoder(&mut self) -> Self::Encoder {
        Self
    }

    fn decoder(&mut self) -> Self::Decoder {
        Self
    }
}

impl Encoder for MessageCodec {
    type Item = proto::ExportTraceServiceResponse;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("cannot encode the answer: {e}")))
    }
}

impl Decoder for MessageCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
