//! The layers over plain tower services (no network): malformed and oversized metadata,
//! B3, trailers-only and non-gRPC answers, a body without trailers, a dropped body.

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use common::{attr, run};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::BodyExt as _;
use tower::{service_fn, ServiceBuilder, ServiceExt as _};
use trace_core::propagation::{propagators, set_propagators, Propagators};
use trace_core::{span, Instrument, SpanKind, Status};
use trace_grpc::{ClientLayer, ServerLayer};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// A body: one data frame, then `trailers` if any.
struct TestBody {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl TestBody {
    fn new(trailers: Option<HeaderMap>) -> Self {
        TestBody {
            data: Some(Bytes::from_static(b"\0\0\0\0\0")),
            trailers,
        }
    }
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }
}

fn status_headers(code: &str, message: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("grpc-status", HeaderValue::from_str(code).unwrap());
    if let Some(m) = message {
        headers.insert("grpc-message", HeaderValue::from_str(m).unwrap());
    }
    headers
}

fn grpc_request(headers: &[(&'static str, HeaderValue)]) -> Request<()> {
    let mut req = Request::builder()
        .uri("http://svc.internal:50051/helloworld.Greeter/SayHello")
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    for (name, value) in headers {
        req.headers_mut().append(*name, value.clone());
    }
    req
}

/// Sends `req` through a server layer whose handler answers OK in trailers; returns the
/// server span.
async fn serve_one(
    exporter: &trace_exporters::InMemoryExporter,
    req: Request<()>,
) -> trace_core::SpanData {
    exporter.clear();
    let svc = ServiceBuilder::new()
        .layer(ServerLayer::new())
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(TestBody::new(Some(status_headers(
                "0", None,
            )))))
        }));
    let response = svc.oneshot(req).await.unwrap();
    response.into_body().collect().await.unwrap();
    exporter.find("helloworld.Greeter/SayHello").unwrap()
}

#[test]
fn malformed_or_oversized_metadata_starts_a_new_trace_and_never_panics() {
    run(|exporter| async move {
        let valid = HeaderValue::from_str(&format!("00-{TRACE}-{PARENT}-01")).unwrap();
        let garbage: Vec<Vec<(&'static str, HeaderValue)>> = vec![
            vec![("traceparent", HeaderValue::from_static("garbage"))],
            vec![(
                "traceparent",
                HeaderValue::from_static("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            )],
            vec![(
                "traceparent",
                HeaderValue::from_bytes(b"00-\xff\xfe-\x80-01").unwrap(),
            )],
            vec![(
                "traceparent",
                HeaderValue::from_str(&"0".repeat(10_000)).unwrap(),
            )],
            // Binary metadata is not trace context.
            vec![("traceparent-bin", HeaderValue::from_static("AAECAw=="))],
            vec![(
                "grpc-trace-bin",
                HeaderValue::from_static("AABL+S81d7NNpqPOkp0ODkc2AQDwZ6oLqQK3AgE"),
            )],
        ];
        for headers in garbage {
            let s = serve_one(&exporter, grpc_request(&headers)).await;
            assert_eq!(s.parent_span_id, None, "{headers:?}");
            assert_ne!(s.span_context.trace_id.to_string(), TRACE);
        }
        // A valid parent with a 10 kB tracestate and binary keys: the parent is kept, the
        // oversized tracestate is not carried whole.
        let huge = (0..1000)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",");
        let s = serve_one(
            &exporter,
            grpc_request(&[
                ("traceparent", valid.clone()),
                ("tracestate", HeaderValue::from_str(&huge).unwrap()),
                ("x-custom-bin", HeaderValue::from_static("AAEC")),
                ("baggage", HeaderValue::from_bytes(b"k=\xff").unwrap()),
            ]),
        )
        .await;
        assert_eq!(s.span_context.trace_id.to_string(), TRACE);
        assert_eq!(
            s.parent_span_id.map(|p| p.to_string()).as_deref(),
            Some(PARENT)
        );
        assert!(s.span_context.trace_state.members().len() <= 32);
    });
}

#[test]
fn b3_is_read_and_written_when_configured() {
    run(|exporter| async move {
        let before = propagators();
        set_propagators(Propagators::TRACE_CONTEXT.with(Propagators::B3_MULTI));
        let s = serve_one(
            &exporter,
            grpc_request(&[
                ("x-b3-traceid", HeaderValue::from_static(TRACE)),
                ("x-b3-spanid", HeaderValue::from_static(PARENT)),
                ("x-b3-sampled", HeaderValue::from_static("1")),
            ]),
        )
        .await;
        assert_eq!(s.span_context.trace_id.to_string(), TRACE);
        assert_eq!(
            s.parent_span_id.map(|p| p.to_string()).as_deref(),
            Some(PARENT)
        );

        let seen = std::sync::Arc::new(std::sync::Mutex::new(HeaderMap::new()));
        let client = ServiceBuilder::new()
            .layer(ClientLayer::new())
            .service(service_fn({
                let seen = std::sync::Arc::clone(&seen);
                move |req: Request<()>| {
                    *seen.lock().unwrap() = req.headers().clone();
                    async {
                        let mut response = Response::new(TestBody::new(None));
                        *response.headers_mut() = status_headers("0", None);
                        Ok::<_, Infallible>(response)
                    }
                }
            }));
        client
            .oneshot(grpc_request(&[]))
            .in_span(span("caller").start_detached())
            .await
            .unwrap();
        set_propagators(before);
        let headers = seen.lock().unwrap().clone();
        let caller = exporter.find("caller").unwrap();
        assert_eq!(
            headers.get("x-b3-traceid").unwrap().to_str().unwrap(),
            caller.span_context.trace_id.to_string()
        );
        assert!(headers.get("traceparent").is_some());
    });
}

#[test]
fn trailers_only_and_non_grpc_answers_end_the_client_span_at_the_headers() {
    run(|exporter| async move {
        for (status, headers, code, description) in [
            (
                StatusCode::OK,
                status_headers("16", Some("who%20are%20you")),
                "UNAUTHENTICATED",
                "who are you",
            ),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                HeaderMap::new(),
                "UNAVAILABLE",
                "503",
            ),
            (
                StatusCode::NOT_FOUND,
                HeaderMap::new(),
                "UNIMPLEMENTED",
                "404",
            ),
            (
                StatusCode::OK,
                status_headers("not-a-number", None),
                "UNKNOWN",
                "",
            ),
        ] {
            exporter.clear();
            let client = ServiceBuilder::new()
                .layer(ClientLayer::new().target("dns:///svc.internal:50051"))
                .service(service_fn(move |_req: Request<()>| {
                    let headers = headers.clone();
                    async move {
                        let mut response = Response::new(TestBody::new(None));
                        *response.status_mut() = status;
                        *response.headers_mut() = headers;
                        Ok::<_, Infallible>(response)
                    }
                }));
            let mut req = grpc_request(&[]);
            *req.uri_mut() = "/helloworld.Greeter/SayHello".parse().unwrap();
            let response = client.oneshot(req).await.unwrap();
            // Ended before the body is read.
            let spans = exporter.spans();
            assert_eq!(spans.len(), 1, "{code}");
            let s = &spans[0];
            assert_eq!(s.kind, SpanKind::Client);
            assert_eq!(attr(s, "server.address").as_deref(), Some("svc.internal"));
            assert_eq!(attr(s, "server.port").as_deref(), Some("50051"));
            assert_eq!(attr(s, "error.type").as_deref(), Some(code));
            assert_eq!(
                s.status,
                Status::Error {
                    description: description.into()
                }
            );
            drop(response);
            assert_eq!(attr(&exporter.spans()[0], "span.cancelled"), None);
        }
    });
}

#[test]
fn a_body_without_trailers_or_dropped_early_is_recorded_as_such() {
    run(|exporter| async move {
        let client = || {
            ServiceBuilder::new()
                .layer(ClientLayer::new())
                .service(service_fn(|_req: Request<()>| async {
                    Ok::<_, Infallible>(Response::new(TestBody::new(None)))
                }))
        };
        // The stream ends with no status.
        let response = client().oneshot(grpc_request(&[])).await.unwrap();
        assert!(exporter.is_empty(), "open until the body ends");
        response.into_body().collect().await.unwrap();
        let s = exporter.find("helloworld.Greeter/SayHello").unwrap();
        assert!(matches!(s.status, Status::Error { .. }));
        assert_eq!(attr(&s, "error.type").as_deref(), Some("_OTHER"));

        // The caller drops the response stream midway.
        exporter.clear();
        let response = client().oneshot(grpc_request(&[])).await.unwrap();
        let mut body = response.into_body();
        let _first = body.frame().await;
        drop(body);
        let s = exporter.find("helloworld.Greeter/SayHello").unwrap();
        assert_eq!(attr(&s, "span.cancelled").as_deref(), Some("true"));
        assert_eq!(s.status, Status::Unset);
    });
}
