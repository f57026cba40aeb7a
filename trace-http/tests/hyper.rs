//! `ServerLayer` on a plain hyper server (no framework): the route comes from an
//! [`HttpRoute`] extension a layer inserts, or the span is named after the method alone.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use common::{attr, parent, run, span_named};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use trace_core::{current_trace_id, SpanKind};
use trace_http::{HttpRoute, ServerLayer};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

async fn handler(_req: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let trace = current_trace_id()
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok(http::Response::new(Full::new(Bytes::from(trace))))
}

/// Serves connections with hyper directly; `with_route` adds an `HttpRoute` for `/items/*`.
async fn serve_hyper(with_route: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = ServiceBuilder::new()
                .map_request(move |mut req: http::Request<Incoming>| {
                    if with_route && req.uri().path().starts_with("/items/") {
                        req.extensions_mut().insert(HttpRoute::new("/items/{id}"));
                    }
                    req
                })
                .layer(ServerLayer::new())
                .service_fn(handler);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    addr
}

async fn get(addr: SocketAddr, path: &str) -> String {
    reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[test]
fn plain_hyper_server_with_a_route_extension() {
    run(|exporter| async move {
        let addr = serve_hyper(true).await;
        assert_eq!(get(addr, "/items/9").await, TRACE);
        let server = span_named(&exporter, "GET /items/{id}");
        assert_eq!(server.kind, SpanKind::Server);
        assert_eq!(server.span_context.trace_id.to_string(), TRACE);
        assert_eq!(
            parent(&server).map(|p| p.to_string()).as_deref(),
            Some(PARENT)
        );
        assert_eq!(attr(&server, "http.route").as_deref(), Some("/items/{id}"));
        assert_eq!(attr(&server, "url.path").as_deref(), Some("/items/9"));
    });
}

#[test]
fn without_a_route_the_span_is_named_after_the_method() {
    run(|exporter| async move {
        let addr = serve_hyper(false).await;
        assert_eq!(get(addr, "/items/9").await, TRACE);
        let server = span_named(&exporter, "GET");
        assert_eq!(attr(&server, "http.route"), None);
        assert_eq!(
            attr(&server, "http.response.status_code").as_deref(),
            Some("200")
        );
    });
}
