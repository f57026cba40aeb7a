//! `#[traced]` async fns and functions returning futures in each state a span can be in
//! between polls: not recording but with a context (a future made under an unsampled remote
//! parent), not made at all (an `async fn` under that parent, like a sync function), an
//! unsampled root whose ids are made during a poll, and the size those states cost the
//! future.
//!
//! One tracer (`AlwaysOff`) for the whole binary: the tests share it and run in any order.

use std::sync::OnceLock;
use std::time::Duration;

use trace_core::{
    current_span_id, current_trace_id, traced, AlwaysOff, Context, SpanContext, SpanId, TraceFlags,
    TraceId, TraceState, Tracer,
};
use trace_exporters::InMemoryExporter;

mod support;
use support::runtime;

fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let guard = Tracer::builder()
            .sampler(AlwaysOff)
            .simple_exporter(exporter.clone())
            .install_global();
        // The tracer lives for the whole test binary.
        std::mem::forget(guard);
        exporter
    })
}

fn remote_parent() -> SpanContext {
    SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::default(),
        true,
        TraceState::default(),
    )
}

type Ids = (Option<TraceId>, Option<SpanId>);

fn ids() -> Ids {
    (current_trace_id(), current_span_id())
}

/// What a body sees on three polls (the first, after a yield, after a timer).
async fn polled_three_times() -> [Ids; 3] {
    let first = ids();
    tokio::task::yield_now().await;
    let second = ids();
    tokio::time::sleep(Duration::from_millis(2)).await;
    [first, second, ids()]
}

#[traced]
async fn three_polls() -> [Ids; 3] {
    polled_three_times().await
}

#[traced]
async fn outer_then_inner() -> (Ids, [Ids; 3], Ids) {
    let before = ids();
    let inner = three_polls().await;
    (before, inner, ids())
}

/// The same three polls in a future made by a (traced) function: the span starts when the
/// function is called, and its future may be polled anywhere.
#[traced]
fn three_polls_later() -> impl std::future::Future<Output = [Ids; 3]> {
    polled_three_times()
}

/// Runs `f`'s future in a task spawned under an attached unsampled remote parent (so its
/// polls may run on any worker thread); returns what it saw and what the caller sees
/// before and after.
fn under_remote_parent<T: Send + 'static, F: std::future::Future<Output = T> + Send + 'static>(
    f: fn() -> F,
) -> (Ids, T, Ids) {
    let remote = remote_parent();
    runtime().block_on(async {
        let _attached = Context::new()
            .with_remote_span_context(remote.clone())
            .attach();
        let outside_before = ids();
        let seen = tokio::spawn(trace_core::Instrument::in_current_context(f()))
            .await
            .unwrap();
        (outside_before, seen, ids())
    })
}

/// Under an unsampled remote parent an `async fn`'s span is dropped by the sampler's fixed
/// answer and, like a sync function's, not made: the parent's context stays current on
/// every poll, on whichever worker thread, through nested calls.
#[test]
fn unsampled_async_fns_leave_the_parent_current_on_every_poll() {
    exporter();
    let remote = remote_parent();
    let remote_ids = (Some(remote.trace_id), Some(remote.span_id));
    let (outside_before, (before, inner, after), outside_after) =
        under_remote_parent(outer_then_inner);
    assert_eq!(outside_before, remote_ids);
    assert_eq!(outside_after, remote_ids, "the stack is back as it was");
    assert_eq!(before, remote_ids);
    assert_eq!(after, remote_ids);
    assert_eq!(inner, [remote_ids; 3]);
    assert!(exporter().is_empty(), "nothing is sampled");
}

/// A future made under an unsampled remote parent keeps its own (non-recording) context:
/// the same on every poll, on whichever worker thread, a child of the remote trace, and
/// left when the future yields or completes.
#[test]
fn unsampled_futures_keep_their_context_on_every_poll() {
    exporter();
    let remote = remote_parent();
    let (outside_before, seen, outside_after) = under_remote_parent(three_polls_later);
    let remote_ids = (Some(remote.trace_id), Some(remote.span_id));
    assert_eq!(outside_before, remote_ids);
    assert_eq!(outside_after, remote_ids, "the stack is back as it was");
    assert_eq!(seen[0].0, Some(remote.trace_id));
    assert!(seen[0].1.is_some());
    assert_ne!(seen[0].1, Some(remote.span_id));
    assert_eq!(seen, [seen[0]; 3]);
    assert!(exporter().is_empty(), "nothing is sampled");
}

/// An unsampled root makes its ids when the body first asks (on the first poll) and keeps
/// them on the later polls, once they live in the future rather than in the fast path.
#[test]
fn lazy_roots_keep_ids_made_during_a_poll() {
    exporter();
    let seen = runtime().block_on(async { tokio::spawn(three_polls()).await.unwrap() });
    assert!(seen[0].0.is_some() && seen[0].1.is_some());
    assert_eq!(seen[1], seen[0]);
    assert_eq!(seen[2], seen[0]);
    assert!(exporter().is_empty(), "nothing is sampled");
}

async fn park() {
    let _ = ids();
    std::future::pending::<()>().await;
}

#[traced]
async fn parks_forever() {
    park().await;
}

#[traced]
fn parks_forever_later() -> impl std::future::Future<Output = ()> {
    park()
}

/// A future dropped while it holds a non-recording context (or a lazy root, or nothing)
/// leaves the thread's stack as it was.
#[test]
fn dropped_unsampled_futures_leave_the_stack_clean() {
    exporter();
    let remote = remote_parent();
    runtime().block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(2), parks_forever()).await;
        let _attached = Context::new()
            .with_remote_span_context(remote.clone())
            .attach();
        let _ = tokio::time::timeout(Duration::from_millis(2), parks_forever()).await;
        assert_eq!(ids(), (Some(remote.trace_id), Some(remote.span_id)));
        // A future made under that parent holds a context of its own while it waits.
        let _ = tokio::time::timeout(Duration::from_millis(2), parks_forever_later()).await;
        assert_eq!(ids(), (Some(remote.trace_id), Some(remote.span_id)));
    });
    assert_eq!(ids(), (None, None));
    assert!(exporter().is_empty(), "nothing is sampled");
}

#[allow(clippy::unused_async)] // the bare baseline of the traced fn below
async fn bare(x: u64, s: &str) -> u64 {
    x.wrapping_add(s.len() as u64)
}

#[traced]
async fn traced_no_captures(x: u64, s: &str) -> u64 {
    x.wrapping_add(s.len() as u64)
}

/// The span costs an instrumented future two words, whatever state it is in: futures are
/// moved whole (spawned, pinned), so their size is part of every call's cost.
#[test]
fn the_span_costs_a_future_two_words() {
    assert_eq!(
        std::mem::size_of::<trace_core::__private::SpanState>(),
        2 * std::mem::size_of::<usize>()
    );
    let bare = std::mem::size_of_val(&bare(1, "a"));
    let traced = std::mem::size_of_val(&traced_no_captures(1, "a"));
    // The body's own future (the arguments and its state) plus the outer fn's copy of
    // the arguments and the span state.
    assert!(
        traced <= 2 * bare + 2 * std::mem::size_of::<usize>(),
        "bare {bare} bytes, #[traced] {traced} bytes"
    );
}
