//! `#[traced(level = "..")]` under the tracer's maximum level.

use trace_core::{traced, Level, Tracer};
use trace_exporters::InMemoryExporter;

#[traced]
fn at_info() {}

#[traced(level = "debug")]
fn at_debug() {}

#[traced(level = "error")]
fn at_error() {}

#[traced(level = "trace")]
async fn at_trace_async() {}

#[traced(level = "warn")]
async fn at_warn_async() {}

struct Service(u8);

#[traced(level = "debug")]
impl Service {
    fn debug_method(&self) -> u8 {
        self.0
    }
    #[traced(level = "info")]
    fn info_method(&self) -> u8 {
        self.0
    }
}

#[test]
fn spans_above_the_maximum_level_are_not_recorded() {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .max_level(Level::Info)
        .simple_exporter(exporter.clone())
        .install_global();
    at_info();
    at_debug();
    at_error();
    Service(1).debug_method();
    Service(1).info_method();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        at_trace_async().await;
        at_warn_async().await;
    });
    let mut names: Vec<String> = exporter
        .spans()
        .into_iter()
        .map(|s| s.name.into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Service::info_method",
            "at_error",
            "at_info",
            "at_warn_async"
        ]
    );
    guard.shutdown().unwrap();

    // No tracer: nothing at any level; a tracer with the default maximum: everything.
    at_debug();
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .simple_exporter(exporter.clone())
        .install_global();
    at_debug();
    rt.block_on(at_trace_async());
    assert_eq!(exporter.len(), 2);
    guard.shutdown().unwrap();
}
