//! Under a trace that is not sampled, a `#[traced]` async fn called from another one is a
//! span that records nothing but has a context, kept boxed in its future: once the thread
//! has warmed up, such calls allocate nothing (the boxes are reused).

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use trace_core::{current_span_id, traced, SpanId};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; it only counts allocations made by the
// current thread, in a const-initialized thread-local without a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Polls `f` to completion on this thread, without a runtime (which would allocate).
fn poll_here<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Yields once, so the future is polled (and its span entered) twice.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

#[traced(attrs(n))]
async fn child(n: u64) -> Option<SpanId> {
    yield_once().await;
    let _ = n;
    current_span_id()
}

#[traced]
async fn parent(n: u64) -> (Option<SpanId>, Option<SpanId>) {
    let inner = child(n).await;
    (current_span_id(), inner)
}

#[test]
fn unsampled_child_spans_reuse_their_context_boxes() {
    let guard = trace_core::Tracer::builder()
        .sampler(trace_core::AlwaysOff)
        .simple_exporter(trace_exporters::InMemoryExporter::new())
        .install_global();
    // Warm up: the thread's state, its stack, the spare boxes.
    for n in 0..4 {
        let _ = poll_here(parent(n));
    }
    let before = allocations();
    for n in 0..100 {
        let (outer, inner) = poll_here(parent(std::hint::black_box(n)));
        // Both have ids (the child asked for them), and they differ: the child is a span.
        assert!(outer.is_some() && inner.is_some());
        assert_ne!(outer, inner);
    }
    assert_eq!(
        allocations() - before,
        0,
        "unsampled #[traced] async calls allocated"
    );
    guard.shutdown().unwrap();
}
