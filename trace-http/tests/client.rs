//! The client side against a real server built from `ServerLayer` on 127.0.0.1: the
//! `ClientLayer` around hyper-util's client, `reqwest` with `send_traced`, and baggage over
//! two hops.

mod common;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::{attr, parent, run, serve, span_named};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{ServiceBuilder, ServiceExt};
use trace_core::propagation::{current_baggage, Baggage};
use trace_core::{span, Context, Instrument, SpanKind, Status};
use trace_http::{inject_request, ClientLayer, RequestBuilderExt, ServerLayer};

/// A backend that answers with the `traceparent` and `baggage` headers it received.
fn echo() -> Router {
    Router::new()
        .route(
            "/echo",
            get(|headers: axum::http::HeaderMap| async move {
                let h = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                format!("{}|{}", h("traceparent"), h("baggage"))
            }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .layer(ServerLayer::new())
}

#[test]
fn client_layer_injects_a_context_the_server_layer_continues() {
    run(|exporter| async move {
        let addr = serve(echo()).await;
        let client = ServiceBuilder::new()
            .layer(ClientLayer::new())
            .service(Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>());
        let uri = format!("http://{addr}/echo");
        let body = async move {
            let req = http::Request::get(uri).body(Empty::new()).unwrap();
            let response = client.oneshot(req).await.unwrap();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        }
        .in_span(span("caller").start_detached())
        .await;

        let caller = span_named(&exporter, "caller");
        let client_span = span_named(&exporter, "GET");
        let server = span_named(&exporter, "GET /echo");
        assert_eq!(client_span.kind, SpanKind::Client);
        assert_eq!(parent(&client_span), Some(caller.span_context.span_id));
        assert_eq!(parent(&server), Some(client_span.span_context.span_id));
        assert!(server.parent_is_remote);
        let trace = caller.span_context.trace_id;
        assert_eq!(client_span.span_context.trace_id, trace);
        assert_eq!(server.span_context.trace_id, trace);
        // The header the server received is the client span's.
        assert_eq!(
            body.split('|').next(),
            Some(
                format!(
                    "00-{trace}-{}-{:02x}",
                    client_span.span_context.span_id,
                    client_span.span_context.trace_flags.bits()
                )
                .as_str()
            )
        );
        assert_eq!(
            attr(&client_span, "url.full"),
            Some(format!("http://{addr}/echo"))
        );
        assert_eq!(
            attr(&client_span, "server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            attr(&client_span, "server.port"),
            Some(addr.port().to_string())
        );
        assert_eq!(
            attr(&client_span, "http.response.status_code").as_deref(),
            Some("200")
        );
        assert_eq!(client_span.status, Status::Unset);
    });
}

#[test]
fn reqwest_send_traced_opens_a_client_span() {
    run(|exporter| async move {
        let addr = serve(echo()).await;
        let http = reqwest::Client::new();
        let url = format!("http://{addr}/echo");
        let missing = format!("http://{addr}/missing");
        async move {
            let response = http.get(&url).send_traced().await.unwrap();
            assert_eq!(response.status(), 200);
            let response = http.get(&missing).send_traced().await.unwrap();
            assert_eq!(response.status(), 404);
        }
        .in_span(span("caller").start_detached())
        .await;

        let caller = span_named(&exporter, "caller");
        let clients = exporter.find_all("GET");
        assert_eq!(clients.len(), 2);
        for client in &clients {
            assert_eq!(client.kind, SpanKind::Client);
            assert_eq!(parent(client), Some(caller.span_context.span_id));
        }
        let server = span_named(&exporter, "GET /echo");
        let ok = clients
            .iter()
            .find(|c| attr(c, "http.response.status_code").as_deref() == Some("200"))
            .unwrap();
        assert_eq!(parent(&server), Some(ok.span_context.span_id));
        assert_eq!(attr(ok, "url.full"), Some(format!("http://{addr}/echo")));
        let not_found = clients
            .iter()
            .find(|c| attr(c, "http.response.status_code").as_deref() == Some("404"))
            .unwrap();
        // 4xx is an error on the client side.
        assert!(matches!(not_found.status, Status::Error { .. }));
        assert_eq!(attr(not_found, "error.type").as_deref(), Some("404"));
    });
}

#[test]
fn a_failed_call_records_the_error_type() {
    run(|exporter| async move {
        // Bind then drop a listener: nothing accepts on that port.
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let result = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .send_traced()
            .await;
        assert!(result.is_err());
        let client = span_named(&exporter, "GET");
        assert!(matches!(client.status, Status::Error { .. }));
        assert_eq!(
            attr(&client, "error.type").as_deref(),
            Some("reqwest::error::Error")
        );
    });
}

/// A front service that forwards to the backend with `send_traced` and answers with what
/// the backend saw.
fn frontend(backend: std::net::SocketAddr) -> Router {
    Router::new()
        .route(
            "/front",
            get(|State(backend): State<std::net::SocketAddr>| async move {
                // The baggage received from the caller is current here.
                assert_eq!(current_baggage().get("tenant"), Some("acme"));
                reqwest::Client::new()
                    .get(format!("http://{backend}/echo"))
                    .send_traced()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }),
        )
        .with_state(backend)
        .layer(ServerLayer::new())
}

#[test]
fn baggage_and_the_trace_survive_two_hops() {
    run(|exporter| async move {
        let backend = serve(echo()).await;
        let front = serve(frontend(backend)).await;
        let baggage = Baggage::new()
            .with("tenant", "acme")
            .with("user", "alice smith");
        let cx = Context::current().with_baggage(baggage);
        let body = async move {
            reqwest::Client::new()
                .get(format!("http://{front}/front"))
                .send_traced()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
        .in_span(span("caller").start_detached())
        .in_context(cx)
        .await;
        // The backend received the baggage, re-encoded, through the frontend.
        assert_eq!(
            body.split('|').nth(1),
            Some("tenant=acme,user=alice%20smith")
        );

        let caller = span_named(&exporter, "caller");
        let front_server = span_named(&exporter, "GET /front");
        let back_server = span_named(&exporter, "GET /echo");
        let clients = exporter.find_all("GET");
        assert_eq!(clients.len(), 2);
        let first = clients
            .iter()
            .find(|c| parent(c) == Some(caller.span_context.span_id))
            .unwrap();
        let second = clients
            .iter()
            .find(|c| parent(c) == Some(front_server.span_context.span_id))
            .unwrap();
        assert_eq!(parent(&front_server), Some(first.span_context.span_id));
        assert_eq!(parent(&back_server), Some(second.span_context.span_id));
        let trace = caller.span_context.trace_id;
        for s in [&front_server, &back_server, first, second] {
            assert_eq!(s.span_context.trace_id, trace);
        }
    });
}

#[test]
fn inject_request_uses_the_current_span() {
    run(|_exporter| async move {
        let guard = span("outgoing").start();
        let mut req = http::Request::new(());
        inject_request(&mut req);
        let cx = guard.span_context();
        assert_eq!(
            req.headers()["traceparent"],
            // Sampled, and random: the trace id was generated here (W3C level 2).
            format!("00-{}-{}-03", cx.trace_id, cx.span_id)
        );
        drop(guard);
        let mut req = http::Request::new(());
        inject_request(&mut req);
        assert!(req.headers().get("traceparent").is_none());
    });
}
