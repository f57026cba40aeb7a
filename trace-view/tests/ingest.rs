//! OTLP in: HTTP (protobuf and JSON) and gRPC, gzip or not, from the project's own exporter;
//! malformed requests get the specification's answers and never stop the receiver.

mod common;

use std::io::Write as _;

use common::{hex_trace, rich_span, span, Viewer};
use serde_json::Value as Json;
use trace_exporters::Protocol;

#[test]
fn protobuf_and_json_with_and_without_gzip_store_everything() {
    let viewer = Viewer::start(None, 1000);
    let cases = [
        (1, Protocol::HttpProtobuf, false),
        (2, Protocol::HttpProtobuf, true),
        (3, Protocol::HttpJson, false),
        (4, Protocol::HttpJson, true),
        (5, Protocol::Grpc, false),
        (6, Protocol::Grpc, true),
    ];
    for (t, protocol, gzip) in cases {
        let spans = [
            span(t, 1, None, "checkout", 0, 50),
            rich_span(t, 2, Some(1)),
            span(t, 3, Some(2), "db.query", 12, 30),
        ];
        viewer.send(&format!("svc-{t}"), protocol, gzip, &spans);
        let got = viewer.get_json(&format!("/api/traces/{}", hex_trace(t)));
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), 3, "{protocol:?} gzip={gzip}");
        let rich = got
            .iter()
            .find(|s| s["span_id"] == "0202020202020202")
            .unwrap();
        assert_eq!(rich["name"], "GET /orders/{id}");
        assert_eq!(rich["kind"], "server");
        assert_eq!(rich["service"], format!("svc-{t}"));
        assert_eq!(rich["parent_span_id"], "0101010101010101");
        assert_eq!(rich["parent_is_remote"], true);
        assert_eq!(rich["duration_ns"], 30_000_000);
        assert_eq!(rich["status"]["code"], "error");
        assert_eq!(rich["status"]["message"], "backend unavailable");
        let attr = |k: &str| {
            rich["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == k)
                .cloned()
                .unwrap()
        };
        assert_eq!(attr("http.response.status_code")["type"], "int");
        assert_eq!(attr("http.response.status_code")["value"], 503);
        assert_eq!(attr("retry")["type"], "bool");
        assert_eq!(attr("ratio")["value"], 0.25);
        assert_eq!(attr("tags")["type"], "array");
        assert_eq!(rich["events"][0]["name"], "cache miss");
        assert_eq!(rich["events"][0]["attributes"][0]["value"], "order:42");
        assert_eq!(rich["links"][0]["trace_id"], hex_trace(99));
        assert_eq!(rich["links"][0]["stored"], false);
        assert_eq!(rich["scope"]["name"], "trace-core");
        assert!(rich["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "service.name" && a["value"] == format!("svc-{t}")));
    }
    let list = viewer.get_json("/api/traces");
    assert_eq!(list.as_array().unwrap().len(), 6);
    assert_eq!(list[0]["root_name"], "checkout");
    assert_eq!(list[0]["span_count"], 3);
    assert_eq!(list[0]["error"], true);
    viewer.stop();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn malformed_requests_get_the_spec_answers_and_the_receiver_keeps_going() {
    let viewer = Viewer::start(None, 1000);
    let json = [("content-type", "application/json")];
    let proto = [("content-type", "application/x-protobuf")];

    // Not protobuf: 400 with a google.rpc.Status in protobuf (field 1 code = 3).
    let (status, ct, body) = viewer.post(&proto, b"\xff\xff\xff\xff");
    assert_eq!((status, ct.as_str()), (400, "application/x-protobuf"));
    assert_eq!(&body[..2], &[0x08, 3]);

    // Not JSON, or JSON of the wrong shape: 400 with {"code": 3, "message": ..}.
    for bad in [&b"{"[..], b"[]", br#"{"resourceSpans":{}}"#] {
        let (status, ct, body) = viewer.post(&json, bad);
        assert_eq!((status, ct.as_str()), (400, "application/json"));
        let body: Json = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], 3);
        assert!(body["message"].as_str().unwrap().len() > 3);
    }

    // An id of the wrong length does not decode (as in the collector).
    let short_id = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"0102030405060708"}]}]}]}"#;
    assert_eq!(viewer.post(&json, short_id).0, 400);

    // A missing id decodes, the span is rejected: partial success.
    let missing = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"","spanId":"0102030405060708","name":"no trace id"},
        {"traceId":"0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a","spanId":"0102030405060708","name":"fine"}]}]}]}"#;
    let (status, _, body) = viewer.post(&json, missing);
    assert_eq!(status, 200);
    let body: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1");
    assert_eq!(viewer.get_json("/api/traces").as_array().unwrap().len(), 1);

    // Content type and encoding that are not OTLP's: 415.
    assert_eq!(viewer.post(&[("content-type", "text/plain")], b"x").0, 415);
    assert_eq!(
        viewer
            .post(
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "br")
                ],
                b"{}"
            )
            .0,
        415
    );
    // Broken gzip: 400; a gzip bomb: 413 (bounded inflation); too long a body: 413.
    assert_eq!(
        viewer
            .post(
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip")
                ],
                b"not gzip"
            )
            .0,
        400
    );
    let bomb = gzip(&vec![b' '; trace_view::MAX_INFLATED_BYTES + 10]);
    assert_eq!(
        viewer
            .post(
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip")
                ],
                &bomb
            )
            .0,
        413
    );
    // Too long a body is refused from its Content-Length, before it is read.
    let mut stream = std::net::TcpStream::connect(viewer.otlp).unwrap();
    write!(
        stream,
        "POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        trace_view::MAX_BODY_BYTES + 1
    )
    .unwrap();
    let mut answer = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");

    // Gzip of good JSON is fine; an empty request is a success with nothing in it.
    let good = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b","spanId":"0102030405060708","name":"zipped"}]}]}]}"#;
    let (status, _, body) = viewer.post(
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("content-encoding", "gzip"),
        ],
        &gzip(good),
    );
    assert_eq!((status, body.as_slice()), (200, &b"{}"[..]));
    assert_eq!(viewer.post(&proto, b"").0, 200);
    assert_eq!(viewer.get_json("/api/traces").as_array().unwrap().len(), 2);
    viewer.stop();
}

#[test]
fn a_retried_batch_is_stored_once_and_a_late_root_names_the_trace() {
    let viewer = Viewer::start(None, 1000);
    // The child arrives first (another process's batch was earlier).
    viewer.send(
        "backend",
        Protocol::HttpProtobuf,
        false,
        &[span(7, 2, Some(1), "inventory", 5, 8)],
    );
    let list = viewer.get_json("/api/traces");
    assert_eq!(list[0]["has_root"], false);
    assert_eq!(list[0]["root_name"], "inventory");
    let root = [span(7, 1, None, "checkout", 0, 10)];
    viewer.send("frontend", Protocol::HttpProtobuf, false, &root);
    viewer.send("frontend", Protocol::HttpProtobuf, false, &root);
    let list = viewer.get_json("/api/traces");
    assert_eq!(list[0]["has_root"], true);
    assert_eq!(list[0]["root_name"], "checkout");
    assert_eq!(list[0]["span_count"], 2);
    assert_eq!(
        list[0]["services"],
        serde_json::json!(["backend", "frontend"])
    );
    assert_eq!(list[0]["duration_ns"], 10_000_000);
    viewer.stop();
}

#[test]
fn open_loads_what_the_file_exporter_wrote() {
    use trace_core::SpanExporter as _;
    let path = common::temp_store("jsonl").with_file_name("spans.jsonl");
    let mut exporter = trace_exporters::FileExporter::create(&path).unwrap();
    exporter.set_resource(&trace_core::Resource::new("from-file", []));
    exporter
        .export(&[span(5, 1, None, "root", 0, 10), rich_span(5, 2, Some(1))])
        .unwrap();
    exporter.shutdown().unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"not json\n\n").unwrap();
    let store = trace_view::Store::open(None, 100).unwrap();
    let loaded = trace_view::load_json_lines(&store, &path).unwrap();
    assert_eq!(
        (loaded.lines, loaded.spans, loaded.bad_line_count),
        (3, 2, 1)
    );
    assert_eq!(loaded.bad_lines[0].0, 3);
    assert_eq!(store.span_count(), 2);
}
