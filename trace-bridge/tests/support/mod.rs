//! Shared by the tests: one in-memory exporter behind a tracer installed for the whole test
//! binary, and a subscriber with the bridge layer.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::sync::OnceLock;

use trace_core::{SpanData, Tracer};
use trace_exporters::InMemoryExporter;
use tracing_subscriber::layer::SubscriberExt;

/// The exporter of the tracer installed (once) for this test binary, with the default
/// sampler.
pub(crate) fn exporter() -> &'static InMemoryExporter {
    exporter_sampled_by(trace_core::ParentBased::new(trace_core::AlwaysOn))
}

/// The exporter of a tracer with `sampler`, installed (once) for this test binary: the
/// first call's sampler is the binary's.
pub(crate) fn exporter_sampled_by(sampler: impl trace_core::Sampler) -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let guard = Tracer::builder()
            .sampler(sampler)
            .simple_exporter(exporter.clone())
            .install_global();
        // The tracer lives for the whole test binary.
        std::mem::forget(guard);
        exporter
    })
}

/// A dispatcher with the bridge layer only.
pub(crate) fn dispatch() -> tracing::Dispatch {
    tracing::Dispatch::new(subscriber())
}

/// The one exported span named `name` (fails the test if there are none or several).
pub(crate) fn only(name: &str) -> SpanData {
    let all = exporter().find_all(name);
    assert_eq!(
        all.len(),
        1,
        "expected one span named {name:?}, got {all:#?}"
    );
    all.into_iter().next().unwrap()
}

/// `child`'s parent is `parent`, in the same trace.
pub(crate) fn assert_child(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.parent_span_id,
        Some(parent.span_context.span_id),
        "{} is not a child of {}",
        child.name,
        parent.name
    );
    assert_eq!(child.span_context.trace_id, parent.span_context.trace_id);
}

/// The registry with the bridge layer only.
pub(crate) fn subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(trace_bridge::tracing_layer())
}

/// A two-worker tokio runtime, so tasks can move between threads.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
