//! The in-memory exporter: what tests are written with.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use trace_core::{ExportError, Resource, SpanData, SpanExporter, SpanId, TraceId};

/// Keeps every exported span in memory. Clones share the same storage, so install one
/// clone and inspect another.
///
/// # Examples
/// ```
/// use trace_core::{span, Tracer};
/// use trace_exporters::InMemoryExporter;
///
/// let exporter = InMemoryExporter::new();
/// let guard = Tracer::builder().simple_exporter(exporter.clone()).install_global();
/// {
///     let _outer = span("outer").start();
///     let _inner = span("inner").start();
/// }
/// let inner = exporter.find("inner").unwrap();
/// assert_eq!(exporter.parent_of(&inner).unwrap().name, "outer");
/// assert_eq!(exporter.ancestors(&inner).len(), 1);
/// guard.shutdown().unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct InMemoryExporter {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    spans: Mutex<Vec<SpanData>>,
    resource: Mutex<Option<Resource>>,
    shut_down: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl InMemoryExporter {
    /// An empty exporter.
    pub fn new() -> Self {
        InMemoryExporter::default()
    }

    /// Every span exported so far, in export order.
    pub fn spans(&self) -> Vec<SpanData> {
        lock(&self.inner.spans).clone()
    }

    /// How many spans were exported.
    pub fn len(&self) -> usize {
        lock(&self.inner.spans).len()
    }

    /// `true` when nothing was exported.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every span.
    pub fn clear(&self) {
        lock(&self.inner.spans).clear();
    }

    /// The first span named `name`.
    pub fn find(&self, name: &str) -> Option<SpanData> {
        lock(&self.inner.spans)
            .iter()
            .find(|s| s.name == name)
            .cloned()
    }

    /// Every span named `name`.
    pub fn find_all(&self, name: &str) -> Vec<SpanData> {
        lock(&self.inner.spans)
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    /// The span with this id in this trace.
    pub fn get(&self, trace_id: TraceId, span_id: SpanId) -> Option<SpanData> {
        lock(&self.inner.spans)
            .iter()
            .find(|s| s.span_context.trace_id == trace_id && s.span_context.span_id == span_id)
            .cloned()
    }

    /// The exported parent of `span`.
    pub fn parent_of(&self, span: &SpanData) -> Option<SpanData> {
        self.get(span.span_context.trace_id, span.parent_span_id?)
    }

    /// The exported children of `span`, in export order.
    pub fn children_of(&self, span: &SpanData) -> Vec<SpanData> {
        lock(&self.inner.spans)
            .iter()
            .filter(|s| {
                s.span_context.trace_id == span.span_context.trace_id
                    && s.parent_span_id == Some(span.span_context.span_id)
            })
            .cloned()
            .collect()
    }

    /// The chain of exported parents of `span`, nearest first.
    pub fn ancestors(&self, span: &SpanData) -> Vec<SpanData> {
        let mut out = Vec::new();
        let mut cur = self.parent_of(span);
        while let Some(p) = cur {
            cur = self.parent_of(&p);
            out.push(p);
            if out.len() > 10_000 {
                break;
            }
        }
        out
    }

    /// Every span of one trace.
    pub fn trace(&self, trace_id: TraceId) -> Vec<SpanData> {
        lock(&self.inner.spans)
            .iter()
            .filter(|s| s.span_context.trace_id == trace_id)
            .cloned()
            .collect()
    }

    /// The resource the tracer reported, once installed.
    pub fn resource(&self) -> Option<Resource> {
        lock(&self.inner.resource).clone()
    }

    /// Whether the tracer shut this exporter down.
    pub fn is_shut_down(&self) -> bool {
        self.inner
            .shut_down
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl SpanExporter for InMemoryExporter {
    fn export(&self, batch: &[SpanData]) -> Result<(), ExportError> {
        lock(&self.inner.spans).extend_from_slice(batch);
        Ok(())
    }

    fn shutdown(&self) -> Result<(), ExportError> {
        self.inner
            .shut_down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        *lock(&self.inner.resource) = Some(resource.clone());
    }
}
