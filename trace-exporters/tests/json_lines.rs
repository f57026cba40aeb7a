//! JSON lines: `WriterExporter` and `FileExporter` (rotation, whole lines,
//! flushing), and `MultiExporter` fan-out. Every line is decoded with the
//! official `opentelemetry-proto` messages.

mod support;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use support::spans::{assert_request, resource, sample_spans};
use trace_core::{ExportError, Resource, SpanData, SpanExporter, Tracer};
use trace_exporters::{FileExporter, InMemoryExporter, MultiExporter, WriterExporter};

/// A writer the test keeps a handle on.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
        .expect("utf-8 output")
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A unique scratch directory under the target dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "traced-json-lines-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Decodes each line as a one-span OTLP/JSON request and checks it.
fn assert_lines(text: &str, resource: &Resource, spans: &[SpanData]) {
    assert!(
        text.ends_with('\n') || text.is_empty(),
        "the last line is whole"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), spans.len(), "one line per span");
    for (line, span) in lines.iter().zip(spans) {
        let req: ExportTraceServiceRequest =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line is OTLP/JSON: {e}\n{line}"));
        assert_request(&req, resource, std::slice::from_ref(span));
    }
}

#[test]
fn writer_writes_one_otlp_json_object_per_span_per_line() {
    let out = Shared::default();
    let mut exporter = WriterExporter::new(out.clone());
    exporter.set_resource(&resource());
    let spans = sample_spans();
    exporter.export(&spans).expect("export");
    assert_lines(&out.text(), &resource(), &spans);
}

#[test]
fn writer_reports_write_errors() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let exporter = WriterExporter::new(Broken);
    let err = exporter.export(&sample_spans()).expect_err("write fails");
    assert!(err.to_string().contains("disk on fire"), "{err}");
}

#[test]
fn writer_through_the_tracer() {
    let out = Shared::default();
    let guard = Tracer::builder()
        .service_name("lines")
        .simple_exporter(WriterExporter::new(out.clone()))
        .install_global();
    {
        let _root = trace_core::span("root").start();
        let _child = trace_core::span("child").attribute("n", 3i64).start();
    }
    guard.shutdown().expect("shutdown");
    let text = out.text();
    let lines: Vec<ExportTraceServiceRequest> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("OTLP/JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    let span =
        |req: &ExportTraceServiceRequest| req.resource_spans[0].scope_spans[0].spans[0].clone();
    let (child, root) = (span(&lines[0]), span(&lines[1]));
    assert_eq!((child.name.as_str(), root.name.as_str()), ("child", "root"));
    assert_eq!(child.parent_span_id, root.span_id);
    assert_eq!(child.trace_id, root.trace_id);
    let res = lines[0].resource_spans[0]
        .resource
        .clone()
        .unwrap_or_default();
    let service = res
        .attributes
        .iter()
        .find(|kv| kv.key == "service.name")
        .and_then(|kv| kv.value.clone())
        .and_then(|v| v.value);
    assert_eq!(
        service,
        Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue("lines".into()))
    );
}

#[test]
fn file_is_buffered_and_flushed() {
    let dir = TempDir::new("flush");
    let path = dir.path("spans.jsonl");
    let mut exporter = FileExporter::create(&path).expect("create");
    exporter.set_resource(&resource());
    let spans = sample_spans();
    exporter.export(&spans).expect("export");
    // Buffered: a small batch is not written at once.
    assert_eq!(fs::read_to_string(&path).expect("read"), "");
    exporter.force_flush().expect("flush");
    assert_lines(
        &fs::read_to_string(&path).expect("read"),
        &resource(),
        &spans,
    );
    exporter.export(&spans).expect("export");
    exporter.shutdown().expect("shutdown");
    let both: Vec<SpanData> = spans.iter().chain(&spans).cloned().collect();
    assert_lines(
        &fs::read_to_string(&path).expect("read"),
        &resource(),
        &both,
    );
}

#[test]
fn file_is_flushed_when_dropped() {
    let dir = TempDir::new("drop");
    let path = dir.path("spans.jsonl");
    let spans = sample_spans();
    {
        let exporter = FileExporter::create(&path).expect("create");
        exporter.export(&spans).expect("export");
    }
    assert_lines(
        &fs::read_to_string(&path).expect("read"),
        &Resource::default(),
        &spans,
    );
}

#[test]
fn file_appends_and_repairs_a_torn_last_line() {
    let dir = TempDir::new("torn");
    let path = dir.path("spans.jsonl");
    let spans = sample_spans();
    {
        let exporter = FileExporter::create(&path).expect("create");
        exporter.export(&spans[..2]).expect("export");
        exporter.shutdown().expect("shutdown");
    }
    // A crash in the middle of a write leaves half a line at the end.
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.write_all(b"{\"resourceSpans\":[{\"resou")
        .expect("write");
    drop(file);

    let exporter = FileExporter::create(&path).expect("reopen");
    exporter.export(&spans[2..]).expect("export");
    exporter.shutdown().expect("shutdown");
    assert_lines(
        &fs::read_to_string(&path).expect("read"),
        &Resource::default(),
        &spans,
    );
}

fn files(dir: &TempDir) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(&dir.0)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn line_count(path: &Path) -> usize {
    fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn file_rotates_by_size_and_keeps_max_files() {
    let dir = TempDir::new("rotate");
    let path = dir.path("spans.jsonl");
    let spans = sample_spans();
    let one_line = Shared::default();
    WriterExporter::new(one_line.clone())
        .export(&spans[4..5])
        .expect("measure a line");
    let line_len = one_line.text().len() as u64;
    // Room for exactly three of the small lines per file.
    let exporter = FileExporter::create(&path)
        .expect("create")
        .max_bytes(line_len * 3)
        .max_files(2);
    for _ in 0..10 {
        exporter.export(&spans[4..5]).expect("export");
    }
    exporter.shutdown().expect("shutdown");
    assert_eq!(
        files(&dir),
        ["spans.jsonl", "spans.jsonl.1", "spans.jsonl.2"]
    );
    // 10 lines: 3 + 3 (rotated, kept) + 3 + 1; the oldest 3 were removed.
    assert_eq!(line_count(&path), 1);
    assert_eq!(line_count(&dir.path("spans.jsonl.1")), 3);
    assert_eq!(line_count(&dir.path("spans.jsonl.2")), 3);
    for name in files(&dir) {
        let text = fs::read_to_string(dir.path(&name)).expect("read");
        assert!(
            text.len() as u64 <= line_len * 3,
            "{name} is over the limit"
        );
        let n = text.lines().count();
        assert_lines(&text, &Resource::default(), &vec![spans[4].clone(); n]);
    }
}

#[test]
fn file_rotation_with_no_old_files_kept() {
    let dir = TempDir::new("rotate0");
    let path = dir.path("spans.jsonl");
    let spans = sample_spans();
    let exporter = FileExporter::create(&path)
        .expect("create")
        .max_bytes(1)
        .max_files(0);
    exporter.export(&spans).expect("export");
    exporter.shutdown().expect("shutdown");
    // A line longer than the limit gets a file of its own; none are kept.
    assert_eq!(files(&dir), ["spans.jsonl"]);
    assert_eq!(line_count(&path), 1);
}

#[test]
fn file_in_a_missing_directory_is_an_error() {
    let dir = TempDir::new("missing");
    let err = FileExporter::create(dir.path("no/such/dir/spans.jsonl")).expect_err("no directory");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

/// An exporter that always fails, counting calls.
#[derive(Default)]
struct Failing(AtomicUsize);

impl SpanExporter for Failing {
    fn export(&self, _: &[SpanData]) -> Result<(), ExportError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(ExportError::new("collector down"))
    }
    fn shutdown(&self) -> Result<(), ExportError> {
        Err(ExportError::new("cannot close"))
    }
}

#[test]
fn multi_exporter_fans_out_and_one_failure_does_not_stop_the_others() {
    let first = Arc::new(InMemoryExporter::new());
    let failing = Arc::new(Failing::default());
    let out = Shared::default();
    let mut multi = MultiExporter::new()
        .with(Arc::clone(&first))
        .with(Arc::clone(&failing))
        .with(WriterExporter::new(out.clone()));
    assert_eq!(multi.len(), 3);
    multi.set_resource(&resource());
    let spans = sample_spans();
    let err = multi.export(&spans).expect_err("one exporter failed");
    let text = err.to_string();
    assert!(
        text.contains("1 of 3") && text.contains("collector down"),
        "{text}"
    );
    assert_eq!(
        first.spans().len(),
        spans.len(),
        "the exporter before the failing one got it"
    );
    assert_lines(&out.text(), &resource(), &spans);
    assert_eq!(failing.0.load(Ordering::SeqCst), 1);
    assert!(multi
        .shutdown()
        .expect_err("one shutdown failed")
        .to_string()
        .contains("cannot close"));
    assert!(MultiExporter::new().is_empty());
    MultiExporter::new()
        .export(&spans)
        .expect("no exporters is fine");
}
