//! End-to-end behaviour of shapes that need third-party crates (`#[async_trait]`, `anyhow`),
//! and of sync panics, impl-block option merging and threads, through `InMemoryExporter`.

use std::sync::OnceLock;

use async_trait::async_trait;
use trace_core::{traced, SpanData, SpanKind, Status, Tracer, Value};
use trace_exporters::InMemoryExporter;

fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let guard = Tracer::builder()
            .simple_exporter(exporter.clone())
            .install_global();
        std::mem::forget(guard);
        exporter
    })
}

fn only(name: &str) -> SpanData {
    let all = exporter().find_all(name);
    assert_eq!(
        all.len(),
        1,
        "expected one span named {name:?}, got {all:#?}"
    );
    all.into_iter().next().unwrap()
}

/// Polls a future to completion on this thread (the futures here never wait).
fn run<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[async_trait]
trait Handler {
    async fn handle(&self, req: u32) -> Result<u32, String>;
}

struct Inner;

#[async_trait]
impl Handler for Inner {
    #[traced(name = "Inner::handle", attrs(req))]
    async fn handle(&self, req: u32) -> Result<u32, String> {
        if req == 0 {
            return Err("zero".into());
        }
        Ok(req)
    }
}

struct Outer;

#[traced(kind = "server")]
#[async_trait]
impl Handler for Outer {
    async fn handle(&self, req: u32) -> Result<u32, String> {
        Inner.handle(req).await.map(|r| r + 1)
    }
}

#[test]
fn async_trait_methods_in_either_attribute_order() {
    exporter();
    assert_eq!(run(Outer.handle(0)), Err("zero".into()));
    let outer = only("Outer::handle");
    let inner = only("Inner::handle");
    assert_eq!(outer.kind, SpanKind::Server);
    assert_eq!(inner.parent_span_id, Some(outer.span_context.span_id));
    assert_eq!(inner.attribute("req"), Some(&Value::I64(0)));
    for span in [&outer, &inner] {
        assert_eq!(
            span.status,
            Status::Error {
                description: "zero".into()
            }
        );
        assert_eq!(
            span.attribute("error.type").and_then(Value::as_str),
            Some(std::any::type_name::<String>())
        );
    }
}

#[traced]
fn with_anyhow(fail: bool) -> anyhow::Result<u8> {
    if fail {
        anyhow::bail!("anyhow failure {}", 7);
    }
    Ok(1)
}

#[test]
fn anyhow_results_are_recorded() {
    exporter();
    assert!(with_anyhow(true).is_err());
    let span = only("with_anyhow");
    assert_eq!(
        span.status,
        Status::Error {
            description: "anyhow failure 7".into()
        }
    );
    // `anyhow::Error` (trace-core's `anyhow` feature): a stable `_OTHER`, the cause chain
    // as the description.
    assert_eq!(
        span.attribute("error.type").and_then(Value::as_str),
        Some("_OTHER")
    );
}

#[traced(attrs(n))]
fn panics(n: u8) -> u8 {
    assert!(n < 10, "n too large: {n}");
    n
}

#[test]
fn sync_panics_mark_the_span() {
    exporter();
    let caught = std::panic::catch_unwind(|| panics(42));
    assert!(caught.is_err());
    let span = only("panics");
    assert_eq!(
        span.attribute("error.type").and_then(Value::as_str),
        Some("panic")
    );
    assert!(
        matches!(&span.status, Status::Error { description } if description.contains("n too large: 42")),
        "{:?}",
        span.status
    );
}

struct Shop;

#[traced(kind = "client", err = false)]
#[allow(clippy::unused_self)] // stateless methods keep the case small
impl Shop {
    fn buy(&self) -> Result<(), String> {
        Err("sold out".into())
    }

    #[traced(kind = "producer", err)]
    fn sell(&self) -> Result<(), String> {
        Err("no buyer".into())
    }
}

#[test]
fn method_options_merge_over_the_block() {
    exporter();
    assert!(Shop.buy().is_err());
    assert!(Shop.sell().is_err());
    let buy = only("Shop::buy");
    assert_eq!(buy.kind, SpanKind::Client);
    assert_eq!(buy.status, Status::Unset);
    let sell = only("Shop::sell");
    assert_eq!(sell.kind, SpanKind::Producer);
    assert_eq!(
        sell.status,
        Status::Error {
            description: "no buyer".into()
        }
    );
}

#[traced(attrs(worker))]
fn on_thread(worker: u8) -> u8 {
    child(worker)
}

#[traced]
fn child(worker: u8) -> u8 {
    worker
}

#[test]
fn each_thread_gets_its_own_tree() {
    exporter();
    let handles: Vec<_> = (0..4u8)
        .map(|w| std::thread::spawn(move || on_thread(w)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let parents = exporter().find_all("on_thread");
    let children = exporter().find_all("child");
    assert_eq!(parents.len(), 4);
    assert_eq!(children.len(), 4);
    for c in &children {
        let parent = parents
            .iter()
            .find(|p| Some(p.span_context.span_id) == c.parent_span_id)
            .expect("every child has its thread's parent");
        assert_eq!(parent.span_context.trace_id, c.span_context.trace_id);
    }
}
