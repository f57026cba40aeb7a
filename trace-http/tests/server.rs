//! `ServerLayer` behind a real axum server on 127.0.0.1, driven by raw HTTP requests whose
//! trace headers the tests write by hand (including every malformed case of the spec).

mod common;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use common::{attr, parent, run, serve, span_named};
use trace_core::propagation::current_baggage;
use trace_core::{current_span_id, current_trace_id, span, Instrument, SpanKind, Status};
use trace_http::ServerLayer;

/// Extra headers, and the expected tracestate: its header, `"32"` for the 32 members, or
/// `None` when it must be dropped.
type Case<'a> = (Vec<(&'a str, &'a str)>, Option<&'a str>);

const TRACE: &str = "12345678901234567890123456789012";
const PARENT: &str = "1234567890123456";

/// What the handler saw: current trace id, current span id, and the baggage header.
async fn whoami() -> String {
    format!(
        "{}|{}|{}",
        current_trace_id()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        current_span_id().map(|s| s.to_string()).unwrap_or_default(),
        current_baggage().to_header()
    )
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(whoami))
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/work",
            get(|| async {
                {
                    let _db = span("db.query").start();
                }
                let task = tokio::spawn(
                    async {
                        tokio::task::yield_now().await;
                        let _bg = span("background").start();
                    }
                    .in_current_context(),
                );
                let _ = task.await;
                "done"
            }),
        )
        .layer(ServerLayer::new())
}

/// Sends GET `path` with `headers` (appended in order, so names may repeat).
async fn get_with(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> String {
    let mut req = reqwest::Client::new().get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().text().await.unwrap()
}

#[test]
fn valid_traceparent_continues_the_callers_trace() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        let tp = format!("00-{TRACE}-{PARENT}-01");
        let body = get_with(
            addr,
            "/users/7?x=1",
            &[
                ("traceparent", tp.as_str()),
                ("tracestate", "congo=t61rcWkgMzE"),
                ("user-agent", "tests/1.0"),
            ],
        )
        .await;
        let server = span_named(&exporter, "GET /users/{id}");
        assert_eq!(server.kind, SpanKind::Server);
        assert_eq!(server.span_context.trace_id.to_string(), TRACE);
        assert_eq!(
            parent(&server).map(|p| p.to_string()).as_deref(),
            Some(PARENT)
        );
        assert!(server.parent_is_remote);
        assert_eq!(
            server.span_context.trace_state.get("congo"),
            Some("t61rcWkgMzE")
        );
        // The handler ran inside the server span.
        let seen: Vec<&str> = body.split('|').collect();
        assert_eq!(seen[0], TRACE);
        assert_eq!(seen[1], server.span_context.span_id.to_string());
        for (key, value) in [
            ("http.request.method", "GET"),
            ("url.path", "/users/7"),
            ("url.query", "x=1"),
            ("url.scheme", "http"),
            ("http.route", "/users/{id}"),
            ("http.response.status_code", "200"),
            ("server.address", "127.0.0.1"),
            ("user_agent.original", "tests/1.0"),
            ("network.protocol.version", "1.1"),
        ] {
            assert_eq!(attr(&server, key).as_deref(), Some(value), "{key}");
        }
        assert_eq!(attr(&server, "server.port"), Some(addr.port().to_string()));
        assert_eq!(server.status, Status::Unset);
    });
}

#[test]
fn unsampled_caller_is_honoured() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        let tp = format!("00-{TRACE}-{PARENT}-00");
        let body = get_with(addr, "/users/1", &[("traceparent", tp.as_str())]).await;
        // Same trace, but the default parent-based sampler records nothing.
        assert!(body.starts_with(TRACE), "{body}");
        assert!(exporter.is_empty(), "{:?}", exporter.spans());
    });
}

/// Every malformed `traceparent` case of the specification and its test suite: the server
/// starts a new trace (a root span with a fresh trace id).
#[test]
fn malformed_traceparent_starts_a_new_trace() {
    let cases: Vec<String> = vec![
        // version
        format!("ff-{TRACE}-{PARENT}-01"),
        format!(".0-{TRACE}-{PARENT}-01"),
        format!("0.-{TRACE}-{PARENT}-01"),
        format!("000-{TRACE}-{PARENT}-01"),
        format!("0000-{TRACE}-{PARENT}-01"),
        format!("0-{TRACE}-{PARENT}-01"),
        format!("0A-{TRACE}-{PARENT}-01"),
        // version 00 with trailing data
        format!("00-{TRACE}-{PARENT}-01."),
        format!("00-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
        // future version without the dash after the flags
        format!("cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like"),
        // trace id
        format!("00-{}-{PARENT}-01", "0".repeat(32)),
        format!("00-.2345678901234567890123456789012-{PARENT}-01"),
        format!("00-1234567890123456789012345678901.-{PARENT}-01"),
        format!("00-{}-{PARENT}-01", "ABCDEF0123456789ABCDEF0123456789"),
        format!("00-{TRACE}3-{PARENT}-01"),
        format!("00-{}-{PARENT}-01", &TRACE[1..]),
        // parent id
        format!("00-{TRACE}-{}-01", "0".repeat(16)),
        format!("00-{TRACE}-.234567890123456-01"),
        format!("00-{TRACE}-123456789012345.-01"),
        format!("00-{TRACE}-ABCDEF0123456789-01"),
        format!("00-{TRACE}-{PARENT}7-01"),
        format!("00-{TRACE}-{}-01", &PARENT[1..]),
        // flags
        format!("00-{TRACE}-{PARENT}-.0"),
        format!("00-{TRACE}-{PARENT}-0."),
        format!("00-{TRACE}-{PARENT}-001"),
        format!("00-{TRACE}-{PARENT}-1"),
        format!("00-{TRACE}-{PARENT}-0F"),
        // garbage
        String::new(),
        "not a traceparent".to_owned(),
    ];
    run(|exporter| async move {
        let addr = serve(app()).await;
        for (i, tp) in cases.iter().enumerate() {
            exporter.clear();
            let path = format!("/users/{i}");
            let body = get_with(
                addr,
                &path,
                &[("traceparent", tp.as_str()), ("tracestate", "foo=1")],
            )
            .await;
            let server = span_named(&exporter, "GET /users/{id}");
            assert_ne!(server.span_context.trace_id.to_string(), TRACE, "{tp:?}");
            assert!(!body.contains("12345678901234567890123456789"), "{tp:?}");
            assert_eq!(parent(&server), None, "{tp:?}");
            assert!(!server.parent_is_remote, "{tp:?}");
            // A tracestate is never read without a valid traceparent.
            assert!(server.span_context.trace_state.is_empty(), "{tp:?}");
            assert_eq!(
                body.split('|').next(),
                Some(server.span_context.trace_id.to_string().as_str())
            );
        }
    });
}

#[test]
fn future_versions_and_whitespace_are_accepted() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        for tp in [
            format!("cc-{TRACE}-{PARENT}-01"),
            format!("cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
            format!("00-{TRACE}-{PARENT}-01 \t"),
            format!("00-{TRACE}-{PARENT}-ff"),
        ] {
            exporter.clear();
            get_with(addr, "/users/1", &[("TraceParent", tp.as_str())]).await;
            let server = span_named(&exporter, "GET /users/{id}");
            assert_eq!(server.span_context.trace_id.to_string(), TRACE, "{tp:?}");
            assert_eq!(
                parent(&server).map(|p| p.to_string()).as_deref(),
                Some(PARENT)
            );
            assert!(server.span_context.trace_flags.is_sampled());
        }
    });
}

#[test]
fn repeated_traceparent_starts_a_new_trace() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        let a = format!("00-{TRACE}-{PARENT}-01");
        let b = format!("00-{}-{PARENT}-01", "a".repeat(32));
        get_with(
            addr,
            "/users/1",
            &[("traceparent", &a), ("traceparent", &b)],
        )
        .await;
        let server = span_named(&exporter, "GET /users/{id}");
        assert_ne!(server.span_context.trace_id.to_string(), TRACE);
        assert_ne!(server.span_context.trace_id.to_string(), "a".repeat(32));
        assert_eq!(parent(&server), None);
    });
}

#[test]
fn tracestate_fields_combined_and_invalid_ones_dropped() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        let tp = format!("00-{TRACE}-{PARENT}-01");
        let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
        let first = members[..16].join(",");
        let rest32 = members[16..32].join(",");
        let rest33 = members[16..].join(",");
        let long_key = format!("{}=1", "z".repeat(257));
        let cases: Vec<Case<'_>> = vec![
            (
                vec![
                    ("tracestate", "foo=1,bar=2"),
                    ("tracestate", "rojo=1,congo=2"),
                    ("tracestate", "baz=3"),
                ],
                Some("foo=1,bar=2,rojo=1,congo=2,baz=3"),
            ),
            (
                vec![
                    ("tracestate", first.as_str()),
                    ("tracestate", rest32.as_str()),
                ],
                Some("32"),
            ),
            // Oversize: 33 members.
            (
                vec![
                    ("tracestate", first.as_str()),
                    ("tracestate", rest33.as_str()),
                ],
                None,
            ),
            // Trace Context, 2026 revision: a repeated key keeps its first member, and `@`
            // is a key character.
            (
                vec![("tracestate", "foo=1"), ("tracestate", "foo=2")],
                Some("foo=1"),
            ),
            (vec![("tracestate", "foo=1,FOO=2")], None),
            (vec![("tracestate", "foo@=1,bar=2")], Some("foo@=1,bar=2")),
            (vec![("tracestate", "foo=bar=baz")], None),
            (vec![("tracestate", "foo=,bar=3")], None),
            (
                vec![("tracestate", "foo=1"), ("tracestate", long_key.as_str())],
                None,
            ),
            (vec![("tracestate", "")], Some("")),
        ];
        for (headers, expected) in cases {
            exporter.clear();
            let mut all = vec![("traceparent", tp.as_str())];
            all.extend(headers.iter().copied());
            get_with(addr, "/users/1", &all).await;
            let server = span_named(&exporter, "GET /users/{id}");
            // The traceparent is used whatever happens to the tracestate.
            assert_eq!(server.span_context.trace_id.to_string(), TRACE);
            let state = &server.span_context.trace_state;
            match expected {
                Some("32") => {
                    assert_eq!(state.members().len(), 32);
                    assert_eq!(state.get("bar01"), Some("01"));
                }
                Some(header) => assert_eq!(state.header(), header, "{headers:?}"),
                None => assert!(state.is_empty(), "{headers:?} kept {:?}", state.header()),
            }
        }
    });
}

#[test]
fn baggage_is_current_in_the_handler() {
    run(|_exporter| async move {
        let addr = serve(app()).await;
        let body = get_with(
            addr,
            "/users/1",
            &[
                ("baggage", "tenant=acme, user = alice%20b;ttl=60"),
                ("baggage", "bad key=1,region=eu"),
            ],
        )
        .await;
        assert_eq!(
            body.split('|').nth(2),
            Some("tenant=acme,user=alice%20b;ttl=60,region=eu")
        );
    });
}

#[test]
fn status_codes_set_the_span_status() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        get_with(addr, "/fail", &[]).await;
        let fail = span_named(&exporter, "GET /fail");
        assert_eq!(
            attr(&fail, "http.response.status_code").as_deref(),
            Some("500")
        );
        assert!(matches!(fail.status, Status::Error { .. }));
        assert_eq!(attr(&fail, "error.type").as_deref(), Some("500"));
        get_with(addr, "/missing", &[]).await;
        let missing = span_named(&exporter, "GET /missing");
        assert_eq!(
            attr(&missing, "http.response.status_code").as_deref(),
            Some("404")
        );
        // A 4xx is the client's problem, not the server's.
        assert_eq!(missing.status, Status::Unset);
    });
}

#[test]
fn handler_spans_and_spawned_tasks_stay_in_the_request_trace() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        let tp = format!("00-{TRACE}-{PARENT}-01");
        get_with(addr, "/work", &[("traceparent", tp.as_str())]).await;
        let server = span_named(&exporter, "GET /work");
        let db = span_named(&exporter, "db.query");
        let background = span_named(&exporter, "background");
        for child in [&db, &background] {
            assert_eq!(child.span_context.trace_id.to_string(), TRACE);
            assert_eq!(parent(child), Some(server.span_context.span_id));
            assert!(!child.parent_is_remote);
        }
    });
}
