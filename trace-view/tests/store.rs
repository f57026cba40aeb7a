//! The store: a file survives a restart; `--max-spans` evicts the oldest traces first.

mod common;

use common::{hex_trace, span, temp_store, Viewer};
use trace_exporters::Protocol;

#[test]
fn a_store_file_survives_a_restart() {
    let path = temp_store("restart");
    let viewer = Viewer::start(Some(path.clone()), 1000);
    viewer.send(
        "svc",
        Protocol::HttpProtobuf,
        false,
        &[
            span(1, 1, None, "first", 0, 10),
            span(1, 2, Some(1), "child", 1, 2),
        ],
    );
    let before = viewer.get_json("/api/traces");
    viewer.stop();

    let viewer = Viewer::start(Some(path.clone()), 1000);
    assert_eq!(viewer.get_json("/api/traces"), before);
    assert_eq!(
        viewer
            .get_json(&format!("/api/traces/{}", hex_trace(1)))
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // New spans go on counting from what was stored.
    viewer.send(
        "svc",
        Protocol::HttpProtobuf,
        false,
        &[span(1, 3, Some(1), "late", 3, 4)],
    );
    assert_eq!(viewer.get_json("/api/traces")[0]["span_count"], 3);
    viewer.stop();
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn the_oldest_traces_are_evicted_first() {
    let viewer = Viewer::start(None, 10);
    // Four traces of three spans, each starting later than the one before.
    for t in 1..=4u8 {
        let start = u64::from(t) * 100;
        viewer.send(
            "svc",
            Protocol::HttpProtobuf,
            false,
            &[
                span(t, 1, None, "root", start, start + 10),
                span(t, 2, Some(1), "a", start + 1, start + 2),
                span(t, 3, Some(1), "b", start + 3, start + 4),
            ],
        );
    }
    let list = viewer.get_json("/api/traces");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [hex_trace(4), hex_trace(3), hex_trace(2)]);
    assert_eq!(viewer.server.as_ref().unwrap().store().span_count(), 9);
    let (status, _) = viewer.get(&format!("/api/traces/{}", hex_trace(1)));
    assert_eq!(status, 404);
    viewer.stop();
}

#[test]
fn a_smaller_bound_applies_when_the_store_is_reopened() {
    let path = temp_store("shrink");
    let viewer = Viewer::start(Some(path.clone()), 100);
    for t in 1..=3u8 {
        let start = u64::from(t) * 100;
        viewer.send(
            "svc",
            Protocol::HttpJson,
            false,
            &[span(t, 1, None, "root", start, start + 1)],
        );
    }
    viewer.stop();
    let viewer = Viewer::start(Some(path.clone()), 1);
    assert_eq!(viewer.get_json("/api/traces")[0]["trace_id"], hex_trace(3));
    assert_eq!(viewer.get_json("/api/traces").as_array().unwrap().len(), 1);
    viewer.stop();
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_span_sent_again_is_stored_once() {
    let viewer = Viewer::start(None, 1000);
    let spans = [
        span(7, 1, None, "root", 0, 10),
        span(7, 2, Some(1), "child", 1, 2),
    ];
    viewer.send("svc", Protocol::HttpProtobuf, false, &spans);
    // A retry of the same batch, then one old span with a new one, in another encoding.
    viewer.send("svc", Protocol::HttpProtobuf, false, &spans);
    viewer.send(
        "svc",
        Protocol::HttpJson,
        false,
        &[spans[1].clone(), span(7, 3, Some(1), "late", 3, 4)],
    );
    let trace = viewer.get_json(&format!("/api/traces/{}", hex_trace(7)));
    let names: Vec<&str> = trace
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "child", "late"]);
    assert_eq!(viewer.get_json("/api/traces")[0]["span_count"], 3);
    assert_eq!(viewer.server.as_ref().unwrap().store().span_count(), 3);
    // The span names of every write are listed and filter the trace.
    let late = viewer.get_json("/api/traces?name=late");
    assert_eq!(late[0]["trace_id"], hex_trace(7));
    viewer.stop();
}
