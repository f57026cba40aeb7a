//! With a sampler whose fixed answer drops everything, the layer leaves `tracing` spans out
//! (nothing is started or kept for them), yet a span keeps one trace id across its enters
//! and threads once something asked for it (a log line's trace id, a `traceparent`).

use trace_core::AlwaysOff;
mod support;

use trace_exporters::InMemoryExporter;

fn exporter() -> &'static InMemoryExporter {
    support::exporter_sampled_by(AlwaysOff)
}

#[test]
fn a_left_out_span_keeps_the_trace_id_it_was_asked_for() {
    exporter();
    let dispatch = support::dispatch();
    let root = tracing::dispatcher::with_default(&dispatch, || {
        let root = tracing::info_span!("request");
        let first = root.in_scope(trace_core::current_trace_id);
        let second = root.in_scope(trace_core::current_trace_id);
        assert!(first.is_some(), "an unsampled root has ids when asked");
        assert_eq!(first, second, "one span, one trace id");
        let (child, in_child) = root.in_scope(|| {
            let child = tracing::info_span!("step");
            let id = child.in_scope(|| {
                assert!(!trace_core::span("traced").start().is_recording());
                trace_core::current_trace_id()
            });
            (child, id)
        });
        assert_eq!(in_child, first, "a child is in its parent's trace");
        drop(child);
        root
    });
    let expected = tracing::dispatcher::with_default(&dispatch, || {
        root.in_scope(trace_core::current_trace_id)
    });
    let elsewhere = std::thread::scope(|s| {
        s.spawn(|| {
            tracing::dispatcher::with_default(&dispatch, || {
                root.in_scope(trace_core::current_trace_id)
            })
        })
        .join()
        .unwrap()
    });
    assert_eq!(elsewhere, expected, "the same trace on another thread");
    drop(root);
    assert!(exporter().find("request").is_none());
    assert!(exporter().find("traced").is_none());
}

#[test]
fn spans_nobody_asks_about_leave_nothing_behind() {
    exporter();
    let dispatch = support::dispatch();
    tracing::dispatcher::with_default(&dispatch, || {
        for i in 0..1000_u64 {
            let span = tracing::info_span!("quiet", i);
            span.in_scope(|| tracing::info!("an event of a span that records nothing"));
        }
        // Nothing entered is left on this thread: a new root is still a root.
        assert_eq!(trace_core::current_trace_id(), None);
    });
    assert!(exporter().find("quiet").is_none());
}
