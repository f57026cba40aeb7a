//! The synchronous processor: each span is exported as it ends (tests, debugging).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::clock::Epoch;
use crate::data::InstrumentationScope;
use crate::export::{ExportError, SpanExporter};
use crate::record::Finished;

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
    shut_down: AtomicBool,
}

impl SimpleProcessor {
    pub(crate) fn new(exporter: Box<dyn SpanExporter>, counters: Arc<Counters>) -> Self {
        SimpleProcessor {
            exporter: Mutex::new(exporter),
            counters,
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
        let _exporting = Exporting::enter();
        let result = self.with_exporter(|e| e.export(std::slice::from_ref(&data)));
        if result.is_err() {
            self.counters.add_failed(1);
        } else {
            self.counters.add_exported(1);
        }
        true
    }

    fn with_exporter<R>(&self, f: impl FnOnce(&dyn SpanExporter) -> R) -> R {
        match self.exporter.lock() {
            Ok(e) => f(&**e),
            Err(poisoned) => f(&**poisoned.into_inner()),
        }
    }

    pub(crate) fn force_flush(&self) -> Result<(), ExportError> {
        self.with_exporter(SpanExporter::force_flush)
    }

    pub(crate) fn shutdown(&self) -> Result<(), ExportError> {
        if self.shut_down.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        self.with_exporter(SpanExporter::shutdown)
    }
}
