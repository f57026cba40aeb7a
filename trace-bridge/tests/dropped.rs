//! Spans the sampler drops, on every thread: a root it drops keeps one trace id everywhere
//! (what a request propagates with `sampled=0`), and nothing below it records, wherever the
//! `tracing` span is entered; spans dropped with their whole subtree are left out without
//! losing that.

use std::sync::Mutex;

use trace_core::{KeyValue, ParentBased, SamplingDecision, SpanContext, SpanKind, TraceId};
mod support;

use trace_exporters::InMemoryExporter;

/// Drops the roots whose name starts with `drop`, samples the others (asked each time:
/// no fixed answer for roots).
struct DropNamed;

impl trace_core::Sampler for DropNamed {
    fn should_sample(
        &self,
        _: Option<&SpanContext>,
        _: TraceId,
        name: &str,
        _: SpanKind,
        _: &[KeyValue],
    ) -> SamplingDecision {
        if name.starts_with("drop") {
            SamplingDecision::Drop
        } else {
            SamplingDecision::RecordAndSample
        }
    }

    fn description(&self) -> String {
        "DropNamed".into()
    }
}

fn exporter() -> &'static InMemoryExporter {
    support::exporter_sampled_by(ParentBased::new(DropNamed))
}

/// What a thread sees inside a span: the current trace id and whether a span started there
/// records.
fn look() -> (Option<TraceId>, bool) {
    let probe = trace_core::span("probe").start();
    (trace_core::current_trace_id(), probe.is_recording())
}

#[test]
fn a_dropped_root_is_one_unsampled_trace_on_every_thread() {
    exporter();
    let dispatch = support::dispatch();
    let seen = Mutex::new(Vec::new());
    let (root, child, grandchild) = tracing::dispatcher::with_default(&dispatch, || {
        let root = tracing::info_span!("drop_me");
        let in_root = root.enter();
        seen.lock().unwrap().push(look());
        // Dropped under a dropped parent, and all below: left out by the layer.
        let child = tracing::info_span!("drop_child");
        let grandchild = child.in_scope(|| {
            seen.lock().unwrap().push(look());
            tracing::info_span!("drop_grandchild")
        });
        drop(in_root);
        (root.clone(), child, grandchild)
    });
    // Entered on other threads, where the spans were not started.
    std::thread::scope(|s| {
        for span in [&root, &child, &grandchild] {
            let dispatch = &dispatch;
            let seen = &seen;
            s.spawn(move || {
                tracing::dispatcher::with_default(dispatch, || {
                    span.in_scope(|| seen.lock().unwrap().push(look()));
                    // Entered twice on one thread, left in order.
                    let _a = span.enter();
                    let _b = span.enter();
                    seen.lock().unwrap().push(look());
                });
            });
        }
    });
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 8);
    let trace_id = seen[0].0.expect("a dropped root still has a trace id");
    for (i, (id, recording)) in seen.iter().enumerate() {
        assert_eq!(*id, Some(trace_id), "look {i}: another trace");
        assert!(!recording, "look {i}: a span under a dropped root records");
    }
    drop((root, child, grandchild));
    assert!(exporter().find("drop_me").is_none());
    assert!(exporter().find("probe").is_none());
}

#[test]
fn sampled_spans_entered_on_another_thread_are_parents_there() {
    exporter();
    let dispatch = support::dispatch();
    let span = tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("kept_root", n = 1_u64);
        span.in_scope(|| tracing::info!("on the first thread"));
        span
    });
    std::thread::scope(|s| {
        s.spawn(|| {
            tracing::dispatcher::with_default(&dispatch, || {
                span.in_scope(|| {
                    tracing::info!("on the second thread");
                    let _child = trace_core::span("kept_child").start();
                });
            });
        });
    });
    drop(span);
    let root = exporter().find("kept_root").expect("exported");
    let child = exporter().find("kept_child").expect("exported");
    assert_eq!(child.parent_span_id, Some(root.span_context.span_id));
    assert_eq!(child.span_context.trace_id, root.span_context.trace_id);
    let events: Vec<_> = root.events.iter().map(|e| e.name.as_ref()).collect();
    assert_eq!(events, ["on the first thread", "on the second thread"]);
}

#[test]
fn a_sampled_child_of_a_dropped_parent_is_not_a_root() {
    // A `tracing` span with an explicit dropped parent is dropped with it; a traced span
    // under it too.
    exporter();
    let dispatch = support::dispatch();
    tracing::dispatcher::with_default(&dispatch, || {
        let root = tracing::info_span!("drop_parent");
        let left_out = root.in_scope(|| tracing::info_span!("drop_left_out"));
        let explicit = tracing::info_span!(parent: &left_out, "explicit_child");
        explicit.in_scope(|| assert!(!look().1));
    });
    assert!(exporter().find("explicit_child").is_none());
}
