//! Spans that cross threads: every thread finds a span started on another, a span closed on
//! one thread while entered on another ends at that exit, and many threads starting,
//! moving, entering and closing spans at once lose none and mix up no parents.

mod support;

use std::sync::mpsc;

use support::{assert_child, dispatch, exporter, only};

#[test]
fn a_span_closed_elsewhere_while_entered_here_ends_at_its_exit() {
    exporter();
    let dispatch = dispatch();
    let (span, id) = tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("closed_while_entered");
        let id = span.id().unwrap();
        (span, id)
    });
    // Entered here by hand (no guard holds the handle), closed on another thread.
    dispatch.enter(&id);
    let d = dispatch.clone();
    std::thread::spawn(move || tracing::dispatcher::with_default(&d, || drop(span)))
        .join()
        .unwrap();
    assert!(
        exporter().find("closed_while_entered").is_none(),
        "ended while still entered here"
    );
    // Still current here: a span started now is its child.
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::info_span!("under_closed").in_scope(|| {});
    });
    dispatch.exit(&id);
    let closed = only("closed_while_entered");
    assert_child(&only("under_closed"), &closed);
}

/// One request's spans: a root started on a producer thread, entered on a consumer thread
/// with a child there, and closed on the consumer.
const THREADS: usize = 4;
const PER_THREAD: usize = 250;

#[test]
fn many_threads_moving_spans_lose_none_and_mix_no_parents() {
    exporter();
    let dispatch = dispatch();
    let (tx, rx) = mpsc::channel::<(usize, tracing::Span)>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let consumers: Vec<_> = (0..THREADS)
        .map(|_| {
            let rx = std::sync::Arc::clone(&rx);
            let d = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&d, || loop {
                    let next = rx.lock().unwrap().recv();
                    let Ok((n, span)) = next else { break };
                    span.in_scope(|| {
                        tracing::info_span!("moved_child", n = n as u64).in_scope(|| {
                            tracing::info!("in the child");
                        });
                    });
                    drop(span);
                });
            })
        })
        .collect();
    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            let d = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&d, || {
                    for i in 0..PER_THREAD {
                        let n = t * PER_THREAD + i;
                        let span = tracing::info_span!("moved_root", n = n as u64);
                        span.in_scope(|| tracing::info!("on the producer"));
                        tx.send((n, span)).unwrap();
                    }
                });
            })
        })
        .collect();
    drop(tx);
    for p in producers {
        p.join().unwrap();
    }
    for c in consumers {
        c.join().unwrap();
    }
    let n_of = |s: &trace_core::SpanData| {
        s.attributes
            .iter()
            .find(|kv| kv.key == "n")
            .map(|kv| format!("{:?}", kv.value))
            .unwrap()
    };
    let roots = exporter().find_all("moved_root");
    let children = exporter().find_all("moved_child");
    assert_eq!(roots.len(), THREADS * PER_THREAD);
    assert_eq!(children.len(), THREADS * PER_THREAD);
    let by_id: std::collections::HashMap<_, _> =
        roots.iter().map(|r| (r.span_context.span_id, r)).collect();
    for child in &children {
        let root = by_id[&child.parent_span_id.expect("a child with no parent")];
        assert_eq!(
            n_of(child),
            n_of(root),
            "a child under another request's root"
        );
        assert_eq!(child.span_context.trace_id, root.span_context.trace_id);
        assert_eq!(child.events.len(), 1);
    }
    for root in &roots {
        assert_eq!(root.events.len(), 1, "{root:#?}");
        assert!(root.end_time >= root.start_time);
    }
}
