//! The synchronous processor: each span is exported as it ends (tests, debugging).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::clock::Epoch;
use crate::data::{InstrumentationScope, SpanData};
use crate::export::{ExportError, ExportFailure, FailureStage, SpanExporter};
use crate::record::Finished;

use super::report::{self, Reporter};
use super::Counters;

thread_local! {
    /// Set while this thread runs the exporter: spans the exporter itself makes are dropped
    /// rather than exported re-entrantly (which would deadlock on the exporter's lock).
    static IN_EXPORT: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as running the exporter until dropped (also when the exporter panics).
struct Exporting;

impl Exporting {
    fn enter() -> Self {
        let _ = IN_EXPORT.try_with(|f| f.set(true));
        Exporting
    }
}

impl Drop for Exporting {
    fn drop(&mut self) {
        let _ = IN_EXPORT.try_with(|f| f.set(false));
    }
}

pub(crate) struct SimpleProcessor {
    exporter: Mutex<Box<dyn SpanExporter>>,
    counters: Arc<Counters>,
    reporter: Reporter,
    shut_down: AtomicBool,
}

impl SimpleProcessor {
    pub(crate) fn new(
        exporter: Box<dyn SpanExporter>,
        counters: Arc<Counters>,
        reporter: Reporter,
    ) -> Self {
        SimpleProcessor {
            exporter: Mutex::new(exporter),
            counters,
            reporter,
            shut_down: AtomicBool::new(false),
        }
    }

    pub(crate) fn on_end(
        &self,
        finished: Finished,
        epoch: &Epoch,
        scope: &InstrumentationScope,
    ) -> bool {
        let busy = IN_EXPORT.try_with(Cell::get).unwrap_or(true);
        if self.shut_down.load(Ordering::Relaxed) || busy {
            return false;
        }
        let data = finished.into_data(epoch, scope);
        let result = if thread::panicking() {
            // This thread is unwinding (a panic ended the span): a panic in the exporter now
            // would abort the process. The export runs on a helper thread instead, where a
            // panic is contained like anywhere else.
            thread::scope(|s| {
                thread::Builder::new()
                    .name("traced-export".into())
                    .spawn_scoped(s, || self.export_one(&data))
                    .map_err(|e| ExportError::new(format!("no thread to export on: {e}")))?
                    .join()
                    .unwrap_or_else(|payload| Err(report::panicked(&*payload)))
            })
        } else {
            self.export_one(&data)
        };
        match result {
            Ok(()) => self.counters.add_exported(1),
            Err(e) => {
                self.counters.add_failed(1);
                self.reporter
                    .report(ExportFailure::new(e, 1, FailureStage::Export));
            }
        }
        true
    }

    /// Exports one span, a panic in the exporter turned into an error.
    fn export_one(&self, data: &SpanData) -> Result<(), ExportError> {
        let _exporting = Exporting::enter();
        report::contained(|| self.with_exporter(|e| e.export(std::slice::from_ref(data))))
    }

    fn with_exporter<R>(&self, f: impl FnOnce(&dyn SpanExporter) -> R) -> R {
        match self.exporter.lock() {
            Ok(e) => f(&**e),
            Err(poisoned) => f(&**poisoned.into_inner()),
        }
    }

    pub(crate) fn force_flush(&self) -> Result<(), ExportError> {
        let result = report::contained(|| self.with_exporter(SpanExporter::force_flush));
        if let Err(e) = &result {
            self.reporter
                .report(ExportFailure::new(e.clone(), 0, FailureStage::Flush));
        }
        result
    }

    pub(crate) fn shutdown(&self) -> Result<(), ExportError> {
        if self.shut_down.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let result = report::contained(|| self.with_exporter(SpanExporter::shutdown));
        if let Err(e) = &result {
            self.reporter
                .report(ExportFailure::new(e.clone(), 0, FailureStage::Shutdown));
        }
        self.reporter.flush();
        result
    }
}
