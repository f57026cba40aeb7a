//! `tracing` spans and `#[traced]` spans in one tree, in both directions; fields, the
//! `otel.*` fields, events, filters.

mod support;

use std::error::Error;
use std::fmt;

use support::{assert_child, exporter, only, runtime, subscriber};
use trace_core::{traced, SpanKind, Status, Value};
use tracing::instrument::WithSubscriber;
use tracing::Instrument as _;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

#[traced]
fn traced_outer_sync() {
    let _inner = tracing::info_span!("tracing_inner_sync").entered();
    tracing::info!(n = 1_u64, "inside tracing_inner_sync");
}

#[test]
fn a_tracing_span_inside_a_traced_fn_is_its_child() {
    exporter();
    tracing::subscriber::with_default(subscriber(), traced_outer_sync);
    let outer = only("traced_outer_sync");
    let inner = only("tracing_inner_sync");
    assert_child(&inner, &outer);
    assert_eq!(inner.events.len(), 1);
    assert_eq!(inner.events[0].name, "inside tracing_inner_sync");
}

#[traced]
fn traced_inner_sync() {
    tracing::warn!("inside traced_inner_sync");
}

#[test]
fn a_traced_fn_inside_a_tracing_span_is_its_child() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let _outer = tracing::info_span!("tracing_outer_sync").entered();
        traced_inner_sync();
    });
    let outer = only("tracing_outer_sync");
    let inner = only("traced_inner_sync");
    assert_child(&inner, &outer);
    let event = &inner.events[0];
    assert_eq!(event.name, "inside traced_inner_sync");
    assert!(event
        .attributes
        .iter()
        .any(|kv| kv.key == "level" && kv.value == Value::from("WARN")));
}

#[traced]
async fn traced_inner_async() {
    tokio::task::yield_now().await;
    let _leaf = tracing::info_span!("tracing_leaf_async").entered();
}

#[test]
fn an_async_traced_fn_under_tracing_instrument_is_its_child() {
    exporter();
    runtime().block_on(
        async {
            tokio::spawn(
                async {
                    traced_inner_async().await;
                    tokio::task::yield_now().await;
                    traced_inner_async().await;
                }
                .instrument(tracing::info_span!("tracing_outer_async"))
                .with_current_subscriber(),
            )
            .await
            .unwrap();
        }
        .with_subscriber(subscriber()),
    );
    let outer = only("tracing_outer_async");
    let inners = exporter().find_all("traced_inner_async");
    assert_eq!(inners.len(), 2);
    for inner in &inners {
        assert_child(inner, &outer);
    }
    let leaves = exporter().find_all("tracing_leaf_async");
    assert_eq!(leaves.len(), 2);
    for leaf in &leaves {
        assert!(inners
            .iter()
            .any(|i| leaf.parent_span_id == Some(i.span_context.span_id)));
    }
}

#[derive(Debug)]
struct Oops;

impl fmt::Display for Oops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("it broke")
    }
}

impl Error for Oops {}

#[test]
fn fields_become_typed_attributes() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let span = tracing::info_span!(
            "typed_fields",
            unsigned = 7_u64,
            big = u64::MAX,
            signed = -3_i64,
            float = 1.5_f64,
            flag = true,
            text = "hi",
            debug = ?vec![1, 2],
            later = tracing::field::Empty,
        );
        let _e = span.enter();
        span.record("later", 9_u64);
    });
    let span = only("typed_fields");
    assert_eq!(span.attribute("unsigned"), Some(&Value::I64(7)));
    assert_eq!(
        span.attribute("big"),
        Some(&Value::from(u64::MAX.to_string()))
    );
    assert_eq!(span.attribute("signed"), Some(&Value::I64(-3)));
    assert_eq!(span.attribute("float"), Some(&Value::F64(1.5)));
    assert_eq!(span.attribute("flag"), Some(&Value::Bool(true)));
    assert_eq!(span.attribute("text"), Some(&Value::from("hi")));
    assert_eq!(span.attribute("debug"), Some(&Value::from("[1, 2]")));
    assert_eq!(span.attribute("later"), Some(&Value::I64(9)));
}

#[test]
fn otel_fields_mean_what_tracing_opentelemetry_users_know() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let span = tracing::info_span!(
            "otel_fields",
            otel.name = "GET /orders/{id}",
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            otel.status_description = tracing::field::Empty,
        );
        span.record("otel.status_description", "upstream down");
        span.record("otel.status_code", "ERROR");
        tracing::info_span!("error_field", error = &Oops as &dyn Error).in_scope(|| {});
        tracing::info_span!("status_ok", otel.status_code = "ok").in_scope(|| {});
    });
    let span = only("GET /orders/{id}");
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(
        span.status,
        Status::Error {
            description: "upstream down".into()
        }
    );
    assert!(span.attribute("otel.kind").is_none());
    let failed = only("error_field");
    assert_eq!(
        failed.status,
        Status::Error {
            description: "it broke".into()
        }
    );
    assert_eq!(failed.attribute("error.type"), Some(&Value::from("_OTHER")));
    assert_eq!(only("status_ok").status, Status::Ok);
}

#[test]
fn an_error_event_with_an_error_field_records_the_error() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let _s = tracing::info_span!("error_event_span").entered();
        tracing::error!(error = &Oops as &dyn Error, "lookup failed");
        tracing::warn!(error = "not an error event", "just a warning");
    });
    let span = only("error_event_span");
    assert_eq!(
        span.status,
        Status::Error {
            description: "it broke".into()
        }
    );
    assert_eq!(span.events.len(), 2);
    assert_eq!(span.events[0].name, "lookup failed");
}

#[test]
fn explicit_parents_and_roots() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let a = tracing::info_span!("explicit_a");
        let _b = tracing::info_span!("explicit_b").entered();
        tracing::info_span!(parent: &a, "explicit_child").in_scope(|| {});
        tracing::info_span!(parent: None, "explicit_root").in_scope(|| {});
        tracing::info!(parent: &a, "event on a");
    });
    let a = only("explicit_a");
    assert_child(&only("explicit_child"), &a);
    assert_eq!(a.events[0].name, "event on a");
    let root = only("explicit_root");
    assert_eq!(root.parent_span_id, None);
    assert_ne!(
        root.span_context.trace_id,
        only("explicit_b").span_context.trace_id
    );
}

#[test]
fn follows_from_is_a_link() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let cause = tracing::info_span!("follows_cause");
        let effect = tracing::info_span!(parent: None, "follows_effect");
        effect.follows_from(&cause);
    });
    let cause = only("follows_cause");
    let effect = only("follows_effect");
    assert_eq!(effect.links.len(), 1);
    assert_eq!(
        effect.links[0].span_context.span_id,
        cause.span_context.span_id
    );
}

#[test]
fn per_layer_filters_apply() {
    exporter();
    let subscriber = tracing_subscriber::registry().with(
        trace_bridge::tracing_layer()
            .with_filter(Targets::new().with_target("tree", tracing::Level::INFO)),
    );
    tracing::subscriber::with_default(subscriber, || {
        let _kept = tracing::info_span!("filter_kept").entered();
        let _debug = tracing::debug_span!("filter_debug_dropped").entered();
        let _other = tracing::info_span!(target: "elsewhere", "filter_other_dropped").entered();
        let _child = tracing::info_span!("filter_child").entered();
        tracing::debug!("dropped debug event");
        tracing::info!("kept info event");
    });
    assert!(exporter().find("filter_debug_dropped").is_none());
    assert!(exporter().find("filter_other_dropped").is_none());
    let kept = only("filter_kept");
    let child = only("filter_child");
    assert_child(&child, &kept);
    assert_eq!(child.events.len(), 1);
    assert_eq!(child.events[0].name, "kept info event");

    let subscriber = tracing_subscriber::registry()
        .with(trace_bridge::tracing_layer().with_filter(EnvFilter::new("tree=warn")));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("env_filter_dropped").in_scope(|| {});
        tracing::warn_span!("env_filter_kept").in_scope(|| {});
    });
    assert!(exporter().find("env_filter_dropped").is_none());
    only("env_filter_kept");
}

#[test]
fn a_span_entered_twice_is_left_once_both_exit() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        let span = tracing::info_span!("entered_twice");
        let first = span.enter();
        let second = span.enter();
        drop(first); // out of order
        tracing::info_span!("after_first_exit").in_scope(|| {});
        drop(second);
        tracing::info_span!("after_both_exits").in_scope(|| {});
    });
    let twice = only("entered_twice");
    assert_child(&only("after_first_exit"), &twice);
    assert_eq!(only("after_both_exits").parent_span_id, None);
}

#[test]
fn spans_closed_on_another_thread_end() {
    exporter();
    let dispatch = tracing::Dispatch::new(subscriber());
    let span = tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("closed_elsewhere");
        span.in_scope(|| tracing::info!("first"));
        span
    });
    std::thread::spawn(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            span.in_scope(|| tracing::info!("second"));
            drop(span);
        });
    })
    .join()
    .unwrap();
    let span = only("closed_elsewhere");
    assert_eq!(span.events.len(), 2);
}

#[test]
fn events_with_no_span_are_ignored() {
    exporter();
    tracing::subscriber::with_default(subscriber(), || {
        tracing::info!("no span here");
        tracing::error!(error = "x", "nor here");
    });
}
