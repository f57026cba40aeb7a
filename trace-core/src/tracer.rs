//! The public face of the pipeline: configure and install a tracer ([`Tracer::builder`]),
//! flush it, shut it down ([`TracerGuard`]).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::clock::Epoch;
use crate::data::{InstrumentationScope, Resource};
use crate::export::{ExportError, ExportFailure, SpanExporter};
use crate::level::Level;
use crate::limits::SpanLimits;
use crate::pipeline::{self, TracerInner};
use crate::processor::{BatchConfig, Counters, ErrorHook, Processor, Reporter};
use crate::sampler::{AlwaysOn, ParentBased, Sampler};
use crate::value::KeyValue;

/// A handle to an installed tracer.
#[derive(Clone, Copy)]
pub struct Tracer {
    inner: &'static TracerInner,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("sampler", &self.inner.sampler.description())
            .field("resource", &self.inner.resource)
            .field("dropped_spans", &self.dropped_spans())
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// Configures a tracer; finish with [`TracerBuilder::install_global`].
    ///
    /// # Examples
    /// ```
    /// use trace_core::{AlwaysOn, Tracer};
    /// let guard = Tracer::builder()
    ///     .service_name("checkout")
    ///     .sampler(AlwaysOn)
    ///     .exporter(trace_exporters::NoopExporter)
    ///     .install_global();
    /// // ... spans are exported until `guard` drops, which flushes them
    /// drop(guard);
    /// ```
    pub fn builder() -> TracerBuilder {
        TracerBuilder::default()
    }

    /// The installed tracer.
    pub fn global() -> Option<Tracer> {
        pipeline::global().map(|inner| Tracer { inner })
    }

    /// The resource spans are reported with.
    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }

    /// Spans dropped so far: never handed to the exporter (the queue was full, they ended
    /// after shutdown, or a shutdown ran out of time before sending them).
    pub fn dropped_spans(&self) -> u64 {
        self.inner.processor.settle();
        self.inner.counters.dropped()
    }

    /// Spans the exporter failed to deliver so far (it returned an error, or panicked).
    pub fn failed_spans(&self) -> u64 {
        self.inner.processor.settle();
        self.inner.counters.failed()
    }

    /// Spans the exporter took so far (it reported success).
    ///
    /// Every ended span is counted once: `exported_spans() + dropped_spans() +
    /// failed_spans()` is the number of spans ended, once the queue is empty (after
    /// [`force_flush`](Self::force_flush) or shutdown).
    pub fn exported_spans(&self) -> u64 {
        self.inner.processor.settle();
        self.inner.counters.exported()
    }

    /// Spans ended and queued for the exporter now (a gauge: at most
    /// `BatchConfig::max_queue_size`).
    pub fn queued_spans(&self) -> u64 {
        self.inner.processor.queued()
    }

    /// Exports every span ended so far and waits for it (bounded by the export timeout).
    ///
    /// # Errors
    /// [`ExportError::Timeout`] when the exporter did not finish in time, or the exporter's
    /// own flush error.
    pub fn force_flush(&self) -> Result<(), ExportError> {
        self.inner.processor.force_flush()
    }
}

/// Flushes the installed tracer: see [`Tracer::force_flush`]. `Ok` when none is installed.
///
/// # Errors
/// As [`Tracer::force_flush`].
pub fn force_flush() -> Result<(), ExportError> {
    Tracer::global().map_or(Ok(()), |t| t.force_flush())
}

enum ExporterChoice {
    None,
    Batch(Box<dyn SpanExporter>),
    Simple(Box<dyn SpanExporter>),
}

/// Configures and installs the global tracer; see [`Tracer::builder`].
#[must_use = "nothing is installed until `install_global` is called"]
pub struct TracerBuilder {
    service_name: Option<Cow<'static, str>>,
    resource: Vec<KeyValue>,
    sampler: Box<dyn Sampler>,
    exporter: ExporterChoice,
    batch: BatchConfig,
    limits: SpanLimits,
    scope: InstrumentationScope,
    on_error: Option<ErrorHook>,
    max_level: Level,
}

impl fmt::Debug for TracerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracerBuilder")
            .field("service_name", &self.service_name)
            .field("sampler", &self.sampler.description())
            .field("batch", &self.batch)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for TracerBuilder {
    fn default() -> Self {
        TracerBuilder {
            service_name: None,
            resource: Vec::new(),
            sampler: Box::new(ParentBased::new(AlwaysOn)),
            exporter: ExporterChoice::None,
            batch: BatchConfig::default(),
            limits: SpanLimits::default(),
            scope: InstrumentationScope::default(),
            on_error: None,
            max_level: Level::Trace,
        }
    }
}

impl TracerBuilder {
    /// Sets `service.name` (default `unknown_service`).
    pub fn service_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a resource attribute.
    pub fn resource(mut self, kv: KeyValue) -> Self {
        self.resource.push(kv);
        self
    }

    /// Sets the sampler (default `ParentBased::new(AlwaysOn)`).
    pub fn sampler(mut self, sampler: impl Sampler) -> Self {
        self.sampler = Box::new(sampler);
        self
    }

    /// Sets a boxed sampler (for samplers chosen at run time).
    pub fn boxed_sampler(mut self, sampler: Box<dyn Sampler>) -> Self {
        self.sampler = sampler;
        self
    }

    /// Exports through the batch processor: spans are queued without blocking and exported
    /// on a background thread.
    pub fn exporter(mut self, exporter: impl SpanExporter) -> Self {
        self.exporter = ExporterChoice::Batch(Box::new(exporter));
        self
    }

    /// Exports each span synchronously as it ends, on the thread that ended it (for tests
    /// and debugging).
    pub fn simple_exporter(mut self, exporter: impl SpanExporter) -> Self {
        self.exporter = ExporterChoice::Simple(Box::new(exporter));
        self
    }

    /// Sets the batch processor's configuration.
    pub fn batch_config(mut self, config: BatchConfig) -> Self {
        self.batch = config;
        self
    }

    /// Records `#[traced]` spans up to `level` only (default [`Level::Trace`]: all of
    /// them). A span above it costs what a span with no tracer costs; `init_from_env` reads
    /// it from `TRACED_MAX_LEVEL`. Spans started by hand (`span(..)`) have no level.
    ///
    /// # Examples
    /// ```
    /// use trace_core::{Level, Tracer};
    /// let guard = Tracer::builder().max_level(Level::Info).install_global();
    /// # drop(guard);
    /// ```
    pub fn max_level(mut self, level: Level) -> Self {
        self.max_level = level;
        self
    }

    /// Sets the span limits.
    pub fn limits(mut self, limits: SpanLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the instrumentation scope reported with every span.
    pub fn scope(
        mut self,
        name: impl Into<Cow<'static, str>>,
        version: Option<Cow<'static, str>>,
    ) -> Self {
        self.scope = InstrumentationScope {
            name: name.into(),
            version,
        };
        self
    }

    /// Routes export failures to `hook` instead of stderr: it is called on the thread that
    /// saw the failure (the batch worker, or the thread that ended the span for a simple
    /// exporter), once per failure: an export that failed or panicked, a flush or shutdown
    /// that failed, spans a shutdown could not send. It must be quick and must not block;
    /// a panic in it is contained. By default the first failure goes to stderr at once, and
    /// then a summary at most every 10 seconds.
    ///
    /// # Examples
    /// ```
    /// use trace_core::Tracer;
    /// let guard = Tracer::builder()
    ///     .exporter(trace_exporters::NoopExporter)
    ///     .on_error(|failure| eprintln!("tracing export: {failure}"))
    ///     .install_global();
    /// drop(guard);
    /// ```
    pub fn on_error(mut self, hook: impl Fn(&ExportFailure) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// Installs the tracer globally (replacing any previous one) and returns the guard that
    /// flushes and shuts it down when dropped.
    pub fn install_global(self) -> TracerGuard {
        let resource = Resource::new(
            self.service_name
                .unwrap_or(Cow::Borrowed("unknown_service")),
            self.resource,
        );
        let epoch = Epoch::new();
        let counters = Arc::new(Counters::default());
        let reporter = Reporter::new(self.on_error);
        if let Some(warning) = self.batch.warnings() {
            eprintln!("{warning}");
        }
        let processor = match self.exporter {
            ExporterChoice::None => Processor::Discard,
            ExporterChoice::Batch(mut e) => {
                e.set_resource(&resource);
                Processor::batch(
                    e,
                    self.batch,
                    epoch.clone(),
                    self.scope.clone(),
                    Arc::clone(&counters),
                    reporter,
                )
            }
            ExporterChoice::Simple(mut e) => {
                e.set_resource(&resource);
                Processor::simple(e, Arc::clone(&counters), reporter)
            }
        };
        let mut inner = TracerInner::new(
            self.sampler,
            self.limits,
            epoch,
            processor,
            resource,
            self.scope,
            counters,
        );
        inner.max_level = self.max_level;
        let inner = inner.install();
        TracerGuard {
            tracer: Tracer { inner },
            done: false,
        }
    }
}

/// Keeps the global tracer installed. Dropping it (or calling [`shutdown`](Self::shutdown))
/// uninstalls the tracer, exports every finished span and stops the worker, waiting at most
/// the export timeout.
#[must_use = "the tracer shuts down when the guard is dropped"]
#[derive(Debug)]
pub struct TracerGuard {
    tracer: Tracer,
    done: bool,
}

impl TracerGuard {
    /// The installed tracer.
    pub fn tracer(&self) -> Tracer {
        self.tracer
    }

    /// Spans dropped so far (queue full or ended after shutdown).
    pub fn dropped_spans(&self) -> u64 {
        self.tracer.dropped_spans()
    }

    /// See [`Tracer::failed_spans`].
    pub fn failed_spans(&self) -> u64 {
        self.tracer.failed_spans()
    }

    /// See [`Tracer::exported_spans`].
    pub fn exported_spans(&self) -> u64 {
        self.tracer.exported_spans()
    }

    /// See [`Tracer::force_flush`].
    ///
    /// # Errors
    /// As [`Tracer::force_flush`].
    pub fn force_flush(&self) -> Result<(), ExportError> {
        self.tracer.force_flush()
    }

    /// Uninstalls the tracer, exports every finished span and stops the worker.
    ///
    /// # Errors
    /// [`ExportError::Timeout`] when the exporter did not finish within the export timeout
    /// (the worker is then abandoned), or the exporter's shutdown error.
    pub fn shutdown(mut self) -> Result<(), ExportError> {
        self.shutdown_inner()
    }

    fn shutdown_inner(&mut self) -> Result<(), ExportError> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        let inner = self.tracer.inner;
        inner.uninstall();
        let result = inner.processor.shutdown();
        inner.mark_shut_down();
        result
    }
}

impl Drop for TracerGuard {
    fn drop(&mut self) {
        let _ = self.shutdown_inner();
    }
}
