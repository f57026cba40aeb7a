//! What must never panic or leak: a layer with no tracer, a tracer installed after the
//! subscriber, spans closed or exited on another thread, spans entered twice, events with
//! no span. One test (the tracer is global), under a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use trace_core::{traced, Tracer};
use trace_exporters::{InMemoryExporter, NoopExporter};
use tracing_subscriber::layer::SubscriberExt;

/// Counts the bytes live on the heap.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

/// Bytes live now.
fn live() -> usize {
    ALLOCATED.load(Ordering::SeqCst) - FREED.load(Ordering::SeqCst)
}

#[allow(unsafe_code)]
// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::SeqCst);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREED.fetch_add(layout.size(), Ordering::SeqCst);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        FREED.fetch_add(layout.size(), Ordering::SeqCst);
        ALLOCATED.fetch_add(new_size, Ordering::SeqCst);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[traced]
fn traced_work(n: u64) -> u64 {
    tracing::info!(n, "traced work");
    n + 1
}

/// Everything the layer is given that is odd, once.
fn odd_inputs(dispatch: &tracing::Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        // Events with no span, an ERROR with an error field and no span.
        tracing::info!("no span");
        tracing::error!(error = "boom", "no span either");
        // Entered twice, left out of order.
        let span = tracing::info_span!("twice", k = 1_u64);
        let a = span.enter();
        let b = span.enter();
        traced_work(1);
        drop(a);
        drop(b);
        // A #[traced] fn inside, a tracing span inside that.
        tracing::info_span!("outer").in_scope(|| {
            traced_work(2);
        });
        // Entered here, closed on another thread.
        let moved = tracing::info_span!("moved");
        moved.in_scope(|| tracing::info!("before the move"));
        let d = dispatch.clone();
        std::thread::spawn(move || {
            tracing::dispatcher::with_default(&d, || {
                moved.in_scope(|| tracing::info!("after the move"));
            });
        })
        .join()
        .unwrap();
    });
    // Entered on one thread and exited on another, by hand (no guard): nothing panics.
    let id = tracing::dispatcher::with_default(dispatch, || {
        let span = tracing::info_span!("exited_elsewhere");
        let id = span.id().unwrap();
        dispatch.enter(&id);
        std::mem::forget(span);
        id
    });
    let d = dispatch.clone();
    let id2 = id.clone();
    // Refused on the other thread; the exit on the entering thread then leaves it.
    std::thread::spawn(move || d.exit(&id2)).join().unwrap();
    dispatch.exit(&id);
    dispatch.try_close(id);
}

#[test]
fn odd_inputs_never_panic_leak_or_lose_spans() {
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(trace_bridge::tracing_layer()));

    // A layer with no tracer: nothing recorded, nothing panics.
    odd_inputs(&dispatch);

    // A tracer installed after the subscriber: spans from now on are recorded.
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .simple_exporter(exporter.clone())
        .install_global();
    let early = tracing::dispatcher::with_default(&dispatch, || tracing::info_span!("early"));
    odd_inputs(&dispatch);
    tracing::dispatcher::with_default(&dispatch, || early.in_scope(|| traced_work(3)));
    drop(early);
    for name in ["twice", "outer", "moved", "traced_work"] {
        assert!(exporter.find(name).is_some(), "{name} was not exported");
    }
    let moved = exporter.find("moved").unwrap();
    assert_eq!(moved.events.len(), 2, "{moved:#?}");
    let twice = exporter.find("twice").unwrap();
    assert!(exporter
        .find_all("traced_work")
        .iter()
        .any(|w| w.parent_span_id == Some(twice.span_context.span_id)));
    guard.shutdown().unwrap();

    // No leak: after a warm-up, rounds of the same inputs leave the heap as it was.
    let guard = Tracer::builder()
        .simple_exporter(NoopExporter)
        .install_global();
    for _ in 0..50 {
        odd_inputs(&dispatch);
    }
    let before = live();
    for _ in 0..200 {
        odd_inputs(&dispatch);
    }
    let after = live();
    eprintln!("live bytes: {before} -> {after}");
    assert!(
        after.saturating_sub(before) < 8 * 1024,
        "{} bytes more live after 200 rounds",
        after.saturating_sub(before)
    );
    guard.shutdown().unwrap();
}
