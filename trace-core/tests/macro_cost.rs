//! With no tracer installed, and then with a tracer whose sampler drops everything, a
//! `#[traced]` call evaluates no capture, formats nothing and allocates nothing.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

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

static EVALUATED: AtomicUsize = AtomicUsize::new(0);
static FORMATTED: AtomicUsize = AtomicUsize::new(0);

fn expensive() -> u64 {
    EVALUATED.fetch_add(1, Ordering::Relaxed);
    42
}

struct Loud;

impl fmt::Display for Loud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FORMATTED.fetch_add(1, Ordering::Relaxed);
        f.write_str("loud")
    }
}

impl fmt::Debug for Loud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FORMATTED.fetch_add(1, Ordering::Relaxed);
        f.write_str("Loud")
    }
}

#[traced(name = "work", kind = "server", attrs(n, e = expensive(), d = %loud, g = ?loud), ret)]
fn work(n: u64, loud: &Loud) -> Result<u64, Loud> {
    if n == 0 {
        return Err(Loud);
    }
    Ok(n)
}

#[traced(attrs(e = expensive()), err(event))]
async fn work_async(n: u64) -> Result<u64, Loud> {
    if n == 0 {
        return Err(Loud);
    }
    Ok(n)
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

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(f)
}

/// Calls the instrumented functions and checks that nothing was evaluated, formatted or
/// allocated; `what` names the state in the failure messages.
fn check_free(what: &str) {
    // Warm up whatever the first call initializes lazily.
    let _ = work(1, &Loud);
    let before = allocations();
    for n in 0..100 {
        let _ = std::hint::black_box(work(std::hint::black_box(n), &Loud));
    }
    assert_eq!(
        allocations() - before,
        0,
        "a {what} #[traced] call allocated"
    );
    let _ = poll_here(work_async(1));
    let before = allocations();
    for n in 0..100 {
        let _ = std::hint::black_box(poll_here(work_async(std::hint::black_box(n))));
    }
    assert_eq!(
        allocations() - before,
        0,
        "a {what} #[traced] async call allocated"
    );
    assert_eq!(block_on(work_async(3)).ok(), Some(3));
    assert!(block_on(work_async(0)).is_err());
    assert_eq!(
        EVALUATED.load(Ordering::Relaxed),
        0,
        "{what}: a capture was evaluated"
    );
    assert_eq!(
        FORMATTED.load(Ordering::Relaxed),
        0,
        "{what}: something was formatted"
    );
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

/// The span id seen after one yield.
async fn span_id_after_a_yield(n: u64) -> Option<SpanId> {
    yield_once().await;
    let _ = n;
    current_span_id()
}

#[traced(attrs(n))]
async fn child(n: u64) -> Option<SpanId> {
    span_id_after_a_yield(n).await
}

/// The same child as a function returning a future: its span is made when it is called.
#[traced(attrs(n))]
fn child_later(n: u64) -> impl std::future::Future<Output = Option<SpanId>> {
    span_id_after_a_yield(n)
}

#[traced]
async fn parent(n: u64) -> (Option<SpanId>, Option<SpanId>, Option<SpanId>) {
    let inner = child(n).await;
    let later = child_later(n).await;
    (current_span_id(), inner, later)
}

/// Under a trace that is not sampled, a `#[traced]` async fn called from another one is not
/// made (the parent's context stays current), and a traced function's future is a span that
/// records nothing but has a context, kept boxed in the future: once the thread has warmed
/// up, such calls allocate nothing (the boxes are reused).
fn check_unsampled_children_allocate_nothing() {
    // Warm up: the thread's state, its stack, the spare boxes.
    for n in 0..4 {
        let _ = poll_here(parent(n));
    }
    let before = allocations();
    for n in 0..100 {
        let (outer, inner, later) = poll_here(parent(std::hint::black_box(n)));
        // The root has ids (a child asked for them); the async fn saw them; the future's
        // span has its own.
        assert!(outer.is_some());
        assert_eq!(inner, outer);
        assert!(later.is_some());
        assert_ne!(later, outer);
    }
    assert_eq!(
        allocations() - before,
        0,
        "unsampled #[traced] async calls allocated"
    );
}

// One test, in order: the tracer is process-wide.
#[test]
fn disabled_and_unsampled_calls_evaluate_and_allocate_nothing() {
    assert!(!trace_core::is_enabled());
    check_free("disabled");
    let guard = trace_core::Tracer::builder()
        .sampler(trace_core::AlwaysOff)
        .simple_exporter(trace_exporters::InMemoryExporter::new())
        .install_global();
    assert!(trace_core::is_enabled());
    check_free("unsampled");
    check_unsampled_children_allocate_nothing();
    guard.shutdown().unwrap();
}
