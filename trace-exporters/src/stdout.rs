//! The stdout exporter: a readable tree per trace.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use trace_core::{ExportError, Resource, SpanData, SpanExporter, SpanId, Status, TraceId};

use crate::json_lines::LineEncoder;

/// Most spans buffered while waiting for their trace's root; beyond it, the oldest trace
/// is printed as it stands.
const MAX_BUFFERED_SPANS: usize = 8192;

/// Prints spans to standard output (or any writer).
///
/// [`json`](Self::json) prints one OTLP/JSON object per span per line (the format of
/// [`WriterExporter`](crate::WriterExporter)). [`pretty`](Self::pretty) prints one indented tree per trace when its local root span
/// ends, with durations, kind, status, attributes and events:
///
/// ```text
/// trace 4bf92f3577b34da6a3ce929d0e0e4736 (service quickstart)
/// handle_request [server] 2.41ms  http.route=/users
///   load_user [internal] 1.02ms  user.id=42
///   render [internal] 0.33ms  ERROR template missing  error.type=app::RenderError
/// ```
///
/// # Examples
/// ```
/// use trace_core::{span, Tracer};
/// use trace_exporters::StdoutExporter;
/// let out = trace_exporters::SharedBuffer::default();
/// let guard = Tracer::builder()
///     .simple_exporter(StdoutExporter::pretty_to(out.clone()))
///     .install_global();
/// {
///     let _root = span("root").start();
///     let _child = span("child").start_with(|a| a.set("n", &1));
/// }
/// guard.shutdown().unwrap();
/// let text = out.contents();
/// assert!(text.contains("\nroot [internal]"));
/// assert!(text.contains("\n  child [internal]"));
/// assert!(text.contains("n=1"));
/// ```
pub struct StdoutExporter {
    pub(crate) out: Mutex<Box<dyn Write + Send>>,
    pub(crate) mode: Mode,
}

impl std::fmt::Debug for StdoutExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdoutExporter").finish_non_exhaustive()
    }
}

pub(crate) enum Mode {
    Pretty {
        pending: Mutex<Pending>,
        service: Mutex<String>,
    },
    Json {
        lines: LineEncoder,
    },
}

#[derive(Default)]
pub(crate) struct Pending {
    traces: HashMap<TraceId, Vec<SpanData>>,
    order: Vec<TraceId>,
    count: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StdoutExporter {
    /// Prints an indented tree per trace on standard output.
    pub fn pretty() -> Self {
        Self::pretty_to(io::stdout())
    }

    /// Prints an indented tree per trace into `out`.
    pub fn pretty_to(out: impl Write + Send + 'static) -> Self {
        StdoutExporter {
            out: Mutex::new(Box::new(out)),
            mode: Mode::Pretty {
                pending: Mutex::new(Pending::default()),
                service: Mutex::new(String::new()),
            },
        }
    }

    /// Prints one JSON object per span per line on standard output, in the format of
    /// [`WriterExporter`](crate::WriterExporter) (OTLP/JSON field names).
    pub fn json() -> Self {
        Self::json_to(io::stdout())
    }

    /// Writes one JSON object per span per line into `out`.
    pub fn json_to(out: impl Write + Send + 'static) -> Self {
        StdoutExporter {
            out: Mutex::new(Box::new(out)),
            mode: Mode::Json {
                lines: LineEncoder::default(),
            },
        }
    }

    fn write(&self, bytes: &[u8]) -> Result<(), ExportError> {
        let mut out = lock(&self.out);
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| ExportError::new(format!("stdout exporter: {e}")))
    }

    fn print_traces(&self, traces: Vec<Vec<SpanData>>, service: &str) -> Result<(), ExportError> {
        if traces.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for spans in traces {
            render_trace(&mut text, &spans, service);
        }
        self.write(text.as_bytes())
    }
}

impl Pending {
    fn add(&mut self, span: SpanData) {
        let id = span.span_context.trace_id;
        let list = self.traces.entry(id).or_insert_with(|| {
            self.order.push(id);
            Vec::new()
        });
        list.push(span);
        self.count += 1;
    }

    fn take(&mut self, id: TraceId) -> Option<Vec<SpanData>> {
        let spans = self.traces.remove(&id)?;
        self.order.retain(|t| *t != id);
        self.count -= spans.len();
        Some(spans)
    }

    fn take_all(&mut self) -> Vec<Vec<SpanData>> {
        let order = std::mem::take(&mut self.order);
        let out = order
            .into_iter()
            .filter_map(|id| self.traces.remove(&id))
            .collect();
        self.count = 0;
        out
    }
}

impl SpanExporter for StdoutExporter {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        match &self.mode {
            Mode::Pretty { pending, service } => {
                let mut ready = Vec::new();
                {
                    let mut p = lock(pending);
                    for span in batch {
                        let root = span.parent_span_id.is_none() || span.parent_is_remote;
                        let id = span.span_context.trace_id;
                        p.add(span.clone());
                        if root {
                            ready.extend(p.take(id));
                        }
                    }
                    while p.count > MAX_BUFFERED_SPANS {
                        let Some(oldest) = p.order.first().copied() else {
                            break;
                        };
                        ready.extend(p.take(oldest));
                    }
                }
                let service = lock(service).clone();
                self.print_traces(ready, &service)
            }
            Mode::Json { lines } => {
                let mut buf = Vec::with_capacity(512 * batch.len());
                for span in batch {
                    lines.line(span, &mut buf);
                }
                self.write(&buf)
            }
        }
    }

    fn force_flush(&self) -> Result<(), ExportError> {
        match &self.mode {
            Mode::Pretty { pending, service } => {
                let all = lock(pending).take_all();
                let service = lock(service).clone();
                self.print_traces(all, &service)
            }
            Mode::Json { .. } => self.write(&[]),
        }
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        match &mut self.mode {
            Mode::Pretty { service, .. } => resource.service_name().clone_into(&mut lock(service)),
            Mode::Json { lines } => *lines = LineEncoder::new(resource),
        }
    }
}

/// Appends one trace as an indented tree: children under their parent, in start order;
/// spans whose parent is not in the batch are printed at the top level.
fn render_trace(out: &mut String, spans: &[SpanData], service: &str) {
    let Some(first) = spans.first() else { return };
    let _ = write!(out, "trace {}", first.span_context.trace_id);
    if service.is_empty() {
        out.push('\n');
    } else {
        let _ = writeln!(out, " (service {service})");
    }
    let ids: HashMap<SpanId, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_context.span_id, i))
        .collect();
    let mut children: HashMap<Option<SpanId>, Vec<usize>> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        let parent = s.parent_span_id.filter(|p| ids.contains_key(p));
        children.entry(parent).or_default().push(i);
    }
    for list in children.values_mut() {
        list.sort_by_key(|i| spans[*i].start_time);
    }
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|i| (*i, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        render_span(out, &spans[i], depth);
        if let Some(kids) = children.get(&Some(spans[i].span_context.span_id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
}

fn render_span(out: &mut String, s: &SpanData, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = write!(
        out,
        "{indent}{} [{}] {}",
        s.name,
        s.kind.as_str(),
        format_duration(s.duration())
    );
    match &s.status {
        Status::Unset => {}
        Status::Ok => out.push_str("  OK"),
        Status::Error { description } => {
            let _ = write!(out, "  ERROR {description}");
        }
    }
    for kv in &s.attributes {
        let _ = write!(out, "  {}={}", kv.key, kv.value);
    }
    if s.parent_is_remote {
        if let Some(p) = s.parent_span_id {
            let _ = write!(out, "  (remote parent {p})");
        }
    }
    out.push('\n');
    for e in &s.events {
        let offset = e.time.duration_since(s.start_time).unwrap_or_default();
        let _ = write!(
            out,
            "{indent}  · {} at +{}",
            e.name,
            format_duration(offset)
        );
        for kv in &e.attributes {
            let _ = write!(out, "  {}={}", kv.key, kv.value);
        }
        out.push('\n');
    }
    for l in &s.links {
        let _ = writeln!(
            out,
            "{indent}  ↪ link {}/{}",
            l.span_context.trace_id, l.span_context.span_id
        );
    }
}

fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.2}µs", d.as_secs_f64() * 1e6)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// A cloneable in-memory writer, for capturing what a writer-based exporter prints (in tests
/// and doc examples).
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer(std::sync::Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_one_per_span() {
        use trace_core::{span, Tracer};
        let out = SharedBuffer::default();
        let guard = Tracer::builder()
            .service_name("json-test")
            .simple_exporter(StdoutExporter::json_to(out.clone()))
            .install_global();
        {
            let _a = span("a").start_with(|s| s.set("n", &1));
            let _b = span("b").start();
        }
        guard.shutdown().unwrap();
        let text = out.contents();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let rs = &v["resourceSpans"][0];
            assert!(rs["resource"].to_string().contains("json-test"), "{line}");
            assert!(rs["scopeSpans"][0]["spans"][0]["traceId"].is_string());
        }
        assert!(lines[0].contains("\"name\":\"b\""));
        assert!(lines[1].contains("\"name\":\"a\""));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_nanos(999)), "999ns");
        assert_eq!(format_duration(Duration::from_micros(15)), "15.00µs");
        assert_eq!(format_duration(Duration::from_millis(2)), "2.00ms");
        assert_eq!(format_duration(Duration::from_secs(3)), "3.00s");
    }
}
