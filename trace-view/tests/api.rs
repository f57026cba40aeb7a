//! The JSON API's filters, and the pages: user data is never HTML.

mod common;

use common::{hex_trace, rich_span, span, Viewer};
use trace_core::KeyValue;
use trace_exporters::Protocol;

fn ids(viewer: &Viewer, query: &str) -> Vec<String> {
    ids_of(viewer, query)
}

fn ids_of(viewer: &Viewer, query: &str) -> Vec<String> {
    viewer
        .get_json(&format!("/api/traces?{query}"))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap().to_owned())
        .collect()
}

fn v(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

#[test]
fn filters() {
    let viewer = Viewer::start(None, 1000);
    // 1: frontend, 10 ms, ok. 2: frontend + backend, 30 ms, an error. 3: backend, 100 ms.
    let mut a = span(1, 1, None, "GET /", 0, 10);
    a.attributes = vec![
        KeyValue::new("http.route", "/"),
        KeyValue::new("user.id", 7_i64),
    ];
    viewer.send("frontend", Protocol::HttpProtobuf, false, &[a]);
    viewer.send(
        "frontend",
        Protocol::HttpProtobuf,
        false,
        &[span(2, 1, None, "checkout", 1000, 1030)],
    );
    let mut b = rich_span(2, 2, Some(1));
    (b.start_time, b.end_time) = (common::at(1005), common::at(1025));
    b.events[0].time = common::at(1010);
    viewer.send("backend", Protocol::HttpJson, false, &[b]);
    viewer.send(
        "backend",
        Protocol::HttpProtobuf,
        false,
        &[span(3, 1, None, "batch job", 2000, 2100)],
    );
    let (t1, t2, t3) = (hex_trace(1), hex_trace(2), hex_trace(3));

    assert_eq!(ids(&viewer, ""), v(&[&t3, &t2, &t1]), "newest first");
    assert_eq!(ids(&viewer, "service=frontend"), v(&[&t2, &t1]));
    assert_eq!(ids(&viewer, "service=backend"), v(&[&t3, &t2]));
    assert_eq!(ids(&viewer, "name=GET+%2Forders%2F%7Bid%7D"), v(&[&t2]));
    assert_eq!(ids(&viewer, "name=checkout"), v(&[&t2]));
    assert_eq!(ids(&viewer, "error=true"), v(&[&t2]));
    assert_eq!(ids(&viewer, "error=false"), v(&[&t3, &t1]));
    assert_eq!(ids(&viewer, "min_duration_ms=30"), v(&[&t3, &t2]));
    assert_eq!(ids(&viewer, "min_duration_ms=30.5"), v(&[&t3]));
    assert_eq!(ids(&viewer, "attr=http.route%3D%2F"), v(&[&t1]));
    assert_eq!(ids(&viewer, "attr=user.id%3D7"), v(&[&t1]));
    assert_eq!(
        ids(&viewer, "attr=http.route%3D%2Forders%2F%7Bid%7D"),
        v(&[&t2])
    );
    assert!(
        ids(&viewer, "attr=http.route%3D%2Forders").is_empty(),
        "whole values only"
    );
    assert_eq!(ids(&viewer, "service=backend&error=false"), v(&[&t3]));
    assert_eq!(ids(&viewer, "limit=1"), v(&[&t3]));
    let base_ms = 1_700_000_000_000_u64;
    assert_eq!(
        ids(
            &viewer,
            &format!("from={}&to={}", base_ms + 500, base_ms + 1500)
        ),
        v(&[&t2])
    );
    let summary = &viewer.get_json("/api/traces?service=backend&error=true")[0];
    assert_eq!(
        summary["services"],
        serde_json::json!(["backend", "frontend"])
    );
    assert_eq!(summary["root_name"], "checkout");
    assert_eq!(summary["span_count"], 2);
    assert_eq!(summary["duration_ns"], 30_000_000);
    assert_eq!(summary["error"], true);

    for bad in [
        "limit=0",
        "limit=5000",
        "error=maybe",
        "min_duration_ms=abc",
        "attr=nokey",
    ] {
        assert_eq!(viewer.get(&format!("/api/traces?{bad}")).0, 400, "{bad}");
    }
    assert_eq!(viewer.get("/api/traces/nothex").0, 400);
    assert_eq!(viewer.get(&format!("/api/traces/{}", hex_trace(9))).0, 404);
    assert_eq!(
        viewer.get_json("/api/services"),
        serde_json::json!(["backend", "frontend"])
    );
    viewer.stop();
}

#[test]
fn links_say_whether_their_trace_is_stored() {
    let viewer = Viewer::start(None, 1000);
    let mut linked = rich_span(1, 1, None);
    linked.links[0].span_context = trace_core::SpanContext::new(
        common::trace_id(2),
        common::span_id(1),
        trace_core::TraceFlags::SAMPLED,
        false,
        trace_core::TraceState::default(),
    );
    viewer.send("svc", Protocol::HttpProtobuf, false, &[linked]);
    let spans = viewer.get_json(&format!("/api/traces/{}", hex_trace(1)));
    assert_eq!(spans[0]["links"][0]["stored"], false);
    viewer.send(
        "svc",
        Protocol::HttpProtobuf,
        false,
        &[span(2, 1, None, "other", 0, 1)],
    );
    let spans = viewer.get_json(&format!("/api/traces/{}", hex_trace(1)));
    assert_eq!(spans[0]["links"][0]["stored"], true);
    viewer.stop();
}

const XSS: &str = r#"<script>alert(1)</script><img src=x onerror="alert(2)">"#;

#[test]
fn user_data_is_never_html() {
    let viewer = Viewer::start(None, 1000);
    let mut s = span(1, 1, None, XSS, 0, 10);
    s.attributes = vec![KeyValue::new("note", XSS)];
    viewer.send(XSS, Protocol::HttpProtobuf, false, &[s]);

    // The one server-side insertion, the trace page's title, is escaped.
    let (status, page) = viewer.get(&format!("/trace/{}", hex_trace(1)));
    assert_eq!(status, 200);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(page.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;"
    ));
    assert_eq!(trace_view::escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");

    // The API is JSON (never sniffed as HTML), the pages forbid inline scripts.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .get(&format!("http://{}/api/traces/{}", viewer.ui, hex_trace(1)))
        .call()
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let response = agent.get(&format!("http://{}/", viewer.ui)).call().unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    // Other pages: a bad trace id is a 404, unknown paths too; the assets are served.
    assert_eq!(viewer.get("/trace/%3Cscript%3E").0, 404);
    assert_eq!(viewer.get("/nope").0, 404);
    for asset in ["app.css", "common.js", "list.js", "trace.js", "favicon.svg"] {
        assert_eq!(viewer.get(&format!("/assets/{asset}")).0, 200, "{asset}");
    }
    viewer.stop();
}

/// The scripts build the page with text nodes only: no HTML-parsing sink appears in them.
#[test]
fn the_scripts_use_no_html_sinks() {
    for (name, source) in [
        ("common.js", include_str!("../assets/common.js")),
        ("list.js", include_str!("../assets/list.js")),
        ("trace.js", include_str!("../assets/trace.js")),
    ] {
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!source.contains(sink), "{name} uses {sink}");
        }
    }
}
