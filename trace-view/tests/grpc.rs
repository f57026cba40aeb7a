//! OTLP/gRPC in, byte for byte: a message that is not protobuf gets `INVALID_ARGUMENT` and the
//! receiver keeps serving; a span without ids is a partial success; the default port taken
//! does not stop the viewer, an address asked for does.

mod common;

use bytes::{Buf as _, BufMut as _, Bytes};
use common::{hex_trace, span, Viewer};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};
use trace_core::{SpanContext, SpanId, TraceFlags, TraceState};
use trace_exporters::{OtlpExporter, Protocol};

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Sends and reads messages as they are: the test writes the bytes itself.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// One `Export` call with `message` as its body: the answer's bytes or the status.
fn export(viewer: &Viewer, path: &str, message: Vec<u8>, gzip: bool) -> Result<Bytes, Status> {
    let endpoint = format!("http://{}", viewer.grpc);
    let path = path.to_owned();
    viewer.runtime.block_on(async move {
        let channel = Channel::from_shared(endpoint)
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = tonic::client::Grpc::new(channel);
        if gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        client.ready().await.unwrap();
        client
            .unary(
                tonic::Request::new(Bytes::from(message)),
                path.parse().unwrap(),
                Raw,
            )
            .await
            .map(tonic::Response::into_inner)
    })
}

fn encoder() -> OtlpExporter {
    OtlpExporter::builder()
        .protocol(Protocol::HttpProtobuf)
        .build()
        .unwrap()
}

#[test]
fn malformed_messages_get_invalid_argument_and_the_receiver_keeps_going() {
    let viewer = Viewer::start(None, 1000);
    for gzip in [false, true] {
        // Not protobuf: field 1 as a length-delimited field running past the end.
        let status = export(&viewer, EXPORT, vec![0x0a, 0xff, 0xff, 0x01], gzip).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains("invalid protobuf"), "{status:?}");
    }
    // A trace id of the wrong length does not decode either (as in the collector): resource
    // spans { scope spans { span { trace_id: 2 bytes, span_id: 8 bytes } } }.
    let span = [&[0x0a, 2, 1, 2, 0x12, 8][..], &[7; 8]].concat();
    let scope_spans = [&[0x12, u8::try_from(span.len()).unwrap()][..], &span].concat();
    let resource_spans = [
        &[0x12, u8::try_from(scope_spans.len()).unwrap()][..],
        &scope_spans,
    ]
    .concat();
    let request = [
        &[0x0a, u8::try_from(resource_spans.len()).unwrap()][..],
        &resource_spans,
    ]
    .concat();
    let status = export(&viewer, EXPORT, request, false).unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("traceId"), "{status:?}");
    // Over the HTTP receiver's bound on a body, uncompressed.
    let status = export(
        &viewer,
        EXPORT,
        vec![0; trace_view::MAX_BODY_BYTES + 1],
        false,
    )
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("is over"), "{status:?}");
    // Another method of the service does not exist.
    let status = export(
        &viewer,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Nope",
        Vec::new(),
        false,
    )
    .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    // Nothing was stored, and the receiver still takes spans.
    assert!(viewer
        .get_json("/api/traces")
        .as_array()
        .unwrap()
        .is_empty());
    viewer.send("svc", Protocol::Grpc, false, &[span_of(3, "after", 1)]);
    assert_eq!(viewer.get_json("/api/traces")[0]["trace_id"], hex_trace(3));
    viewer.stop();
}

fn span_of(t: u8, name: &str, s: u8) -> trace_core::SpanData {
    span(t, s, None, name, 0, 10)
}

#[test]
fn a_span_without_an_id_is_a_partial_success() {
    let viewer = Viewer::start(None, 1000);
    let mut no_id = span(4, 1, None, "no span id", 0, 10);
    no_id.span_context = SpanContext::new(
        common::trace_id(4),
        SpanId::INVALID,
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    let spans = [no_id, span(5, 1, None, "fine", 0, 10)];
    let answer = export(&viewer, EXPORT, encoder().encode(&spans), true).unwrap();
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1): 1, .. } }
    assert_eq!(answer[0], 0x0a, "{answer:?}");
    assert_eq!(&answer[2..4], [0x08, 1], "{answer:?}");
    assert!(String::from_utf8_lossy(&answer).contains("no valid trace id or span id"));
    let list = viewer.get_json("/api/traces");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["trace_id"], hex_trace(5));
    viewer.stop();
}

#[test]
fn a_taken_default_port_does_not_stop_the_viewer_but_an_asked_address_does() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = trace_view::Options {
        otlp_http: Some("127.0.0.1:0".parse().unwrap()),
        otlp_grpc: Some(taken.local_addr().unwrap()),
        otlp_grpc_required: false,
        ui: "127.0.0.1:0".parse().unwrap(),
        store: None,
        max_spans: 10,
    };
    let server = runtime.block_on(trace_view::start(&options)).unwrap();
    assert_eq!(server.otlp_grpc_addr(), None);
    assert_eq!(server.warnings().len(), 1);
    assert!(
        server.warnings()[0].contains(&taken.local_addr().unwrap().to_string()),
        "{:?}",
        server.warnings()
    );
    assert!(server.otlp_http_addr().is_some());
    runtime.block_on(server.shutdown());

    options.otlp_grpc_required = true;
    let error = runtime.block_on(trace_view::start(&options)).unwrap_err();
    assert!(
        matches!(error, trace_view::Error::Bind(addr, _) if addr == taken.local_addr().unwrap())
    );
}
