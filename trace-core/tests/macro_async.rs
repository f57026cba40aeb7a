//! `#[traced]` on `async fn` and future-returning functions, end to end.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use trace_core::{traced, Status, Value};

mod support;
use support::{exporter, only, runtime};

#[traced(attrs(id))]
async fn leaf(id: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(2)).await;
    id * 2
}

#[traced]
async fn parent_task() -> u64 {
    let a = leaf(1).await;
    // Moves to another task (and possibly another worker thread) and back.
    let b = tokio::spawn(async {
        tokio::task::yield_now().await;
        20
    })
    .await
    .unwrap();
    a + b + leaf(3).await
}

#[test]
fn async_spans_nest_across_awaits_and_threads() {
    exporter();
    assert_eq!(runtime().block_on(parent_task()), 2 + 20 + 6);
    let parent = only("parent_task");
    let leaves = exporter().find_all("leaf");
    assert_eq!(leaves.len(), 2);
    for leaf in &leaves {
        assert_eq!(leaf.parent_span_id, Some(parent.span_context.span_id));
        assert_eq!(leaf.span_context.trace_id, parent.span_context.trace_id);
    }
    let ids: Vec<_> = leaves
        .iter()
        .filter_map(|l| l.attribute("id").and_then(Value::as_i64))
        .collect();
    assert_eq!(ids, [1, 3]);
    // The span covers the work: at least the two sleeps.
    let elapsed = parent.end_time.duration_since(parent.start_time).unwrap();
    assert!(elapsed >= Duration::from_millis(4), "{elapsed:?}");
}

#[derive(Debug)]
struct Oops;

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("oops")
    }
}

impl std::error::Error for Oops {}

#[traced]
async fn async_fails() -> Result<u8, Oops> {
    tokio::task::yield_now().await;
    let value: Result<u8, Oops> = Err(Oops);
    let v = value?;
    Ok(v)
}

#[test]
fn async_errors_are_recorded() {
    exporter();
    assert!(runtime().block_on(async_fails()).is_err());
    let span = only("async_fails");
    assert_eq!(
        span.status,
        Status::Error {
            description: "oops".into()
        }
    );
    assert_eq!(
        span.attribute("error.type").and_then(Value::as_str),
        Some(std::any::type_name::<Oops>())
    );
}

#[traced(attrs(n))]
fn returns_impl_future(n: u32) -> impl Future<Output = Result<u32, Oops>> {
    async move {
        tokio::time::sleep(Duration::from_millis(3)).await;
        if n == 0 {
            return Err(Oops);
        }
        Ok(n)
    }
}

#[test]
fn trailing_async_block_is_instrumented_around_the_work() {
    exporter();
    let fut = returns_impl_future(0);
    // Creating the future does not end the span: nothing is exported yet.
    assert!(exporter().find("returns_impl_future").is_none());
    assert!(runtime().block_on(fut).is_err());
    let span = only("returns_impl_future");
    assert_eq!(span.attribute("n").and_then(Value::as_i64), Some(0));
    assert_eq!(
        span.status,
        Status::Error {
            description: "oops".into()
        }
    );
    let elapsed = span.end_time.duration_since(span.start_time).unwrap();
    assert!(elapsed >= Duration::from_millis(3), "{elapsed:?}");
}

#[allow(clippy::manual_async_fn)] // a plain fn returning a future is the shape under test
fn make_future() -> impl Future<Output = u8> {
    async { 5 }
}

#[traced]
fn forwards_a_future() -> impl Future<Output = u8> + Send {
    make_future()
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Store {
    value: u8,
}

impl Store {
    #[traced(name = "Store::load")]
    fn load<'a>(&'a self, add: u8) -> Pin<Box<dyn Future<Output = u8> + Send + 'a>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.value + add
        })
    }

    #[traced(name = "Store::boxed")]
    fn boxed(&self) -> Pin<Box<dyn Future<Output = u8> + Send + '_>> {
        let fut: BoxFut<'_, u8> = Box::pin(async move { self.value });
        fut
    }
}

#[test]
fn other_future_shapes() {
    exporter();
    let rt = runtime();
    assert_eq!(rt.block_on(forwards_a_future()), 5);
    only("forwards_a_future");
    let store = Store { value: 40 };
    assert_eq!(rt.block_on(store.load(2)), 42);
    only("Store::load");
    assert_eq!(rt.block_on(store.boxed()), 40);
    only("Store::boxed");
}

#[traced]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[test]
fn dropped_futures_end_cancelled() {
    exporter();
    let rt = runtime();
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(5), never_finishes()).await;
    });
    let span = only("never_finishes");
    assert_eq!(span.attribute("span.cancelled"), Some(&Value::Bool(true)));
    assert_eq!(span.status, Status::Unset);
}

#[traced]
async fn panics_inside() -> u8 {
    tokio::task::yield_now().await;
    panic!("boom in async");
}

#[test]
fn panics_in_async_fns_mark_the_span() {
    exporter();
    let rt = runtime();
    let result = rt.block_on(async { tokio::spawn(panics_inside()).await });
    assert!(result.is_err());
    let span = only("panics_inside");
    assert_eq!(
        span.attribute("error.type").and_then(Value::as_str),
        Some("panic")
    );
    assert!(
        matches!(&span.status, Status::Error { description } if description.contains("boom in async")),
        "{:?}",
        span.status
    );
}

trait Repository {
    async fn count(&self) -> usize;
}

struct Memory(Vec<u8>);

#[traced]
impl Repository for Memory {
    async fn count(&self) -> usize {
        tokio::task::yield_now().await;
        self.0.len()
    }
}

#[test]
fn async_fn_in_trait_impls() {
    exporter();
    assert_eq!(runtime().block_on(Memory(vec![1, 2]).count()), 2);
    only("Memory::count");
}
