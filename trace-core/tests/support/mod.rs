//! Shared by the `macro_*` tests: one in-memory exporter behind a tracer installed for the
//! whole test binary.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::sync::OnceLock;

use trace_core::{SpanData, Tracer};
use trace_exporters::InMemoryExporter;

/// The exporter of the tracer installed (once) for this test binary.
pub(crate) fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let guard = Tracer::builder()
            .simple_exporter(exporter.clone())
            .install_global();
        // The tracer lives for the whole test binary.
        std::mem::forget(guard);
        exporter
    })
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

/// A two-worker tokio runtime, so tasks can move between threads.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}
