//! Helpers shared by the integration tests: a serial lock (the tracer is global), a
//! tracer exporting into memory, and a real HTTP server on 127.0.0.1.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use trace_core::{SpanData, SpanId, Tracer, TracerGuard};
use trace_exporters::InMemoryExporter;

/// Runs `test` on a fresh multi-threaded runtime with a fresh in-memory tracer, one test at
/// a time (the tracer is process-wide).
pub(crate) fn run<F, Fut>(test: F)
where
    F: FnOnce(InMemoryExporter) -> Fut,
    Fut: Future<Output = ()>,
{
    static LOCK: Mutex<()> = Mutex::new(());
    let _serial = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let exporter = InMemoryExporter::new();
    let guard: TracerGuard = Tracer::builder()
        .service_name("trace-http-tests")
        .simple_exporter(exporter.clone())
        .install_global();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(test(exporter));
    drop(runtime);
    guard.shutdown().unwrap();
}

/// Serves `router` on an ephemeral port of 127.0.0.1; returns its address.
pub(crate) async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

/// The one span named `name`, failing with the names present otherwise.
pub(crate) fn span_named(exporter: &InMemoryExporter, name: &str) -> SpanData {
    let all = exporter.find_all(name);
    assert_eq!(
        all.len(),
        1,
        "expected one span {name:?}, have {:?}",
        exporter
            .spans()
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    );
    all.into_iter().next().unwrap()
}

/// The value of attribute `key`, displayed.
pub(crate) fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.to_string())
}

/// `span`'s parent id.
pub(crate) fn parent(span: &SpanData) -> Option<SpanId> {
    span.parent_span_id
}
