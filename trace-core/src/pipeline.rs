//! The installed pipeline: the global tracer (one atomic pointer), what a span needs from it
//! while open ([`SpanRecord`]), and where an ended span goes ([`TracerInner::queue_local`],
//! [`TracerInner::on_end`]).
//!
//! Knows neither the thread-local context stack nor the span handles: callers pass the
//! thread's producer slot (see `context::Local`), and get back whether the span was taken.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use crate::attributes::AttributeSink;
use crate::clock::Epoch;
use crate::data::{InstrumentationScope, Resource};
use crate::level::{Level, STATIC_MAX};
use crate::limits::SpanLimits;
use crate::model::Link;
use crate::panic;
use crate::processor::{Counters, Processor, ProducerSlot};
use crate::record::Finished;
use crate::sampler::{ParentState, QuickStart, Sampler, SamplingDecision};
use crate::value::{KeyValue, Value};

/// Everything a span needs from its tracer. Installed tracers are leaked (a few hundred
/// bytes each) so that spans can hold a `&'static` to the tracer that started them, with no
/// reference counting on the hot path.
pub(crate) struct TracerInner {
    pub(crate) sampler: Box<dyn Sampler>,
    /// The sampler's fixed decisions, by [`ParentState::index`] (asked once at install).
    pub(crate) fixed: [Option<SamplingDecision>; 5],
    /// The same, as what an entered span with a literal name does (see `QuickStart`).
    pub(crate) quick: [QuickStart; 5],
    /// By parent state: a span started under it is dropped by the fixed answer, and so is
    /// everything below it (see `subtree_dropped_here`).
    pub(crate) drops_subtree: [bool; 5],
    pub(crate) limits: SpanLimits,
    pub(crate) epoch: Epoch,
    pub(crate) processor: Processor,
    pub(crate) resource: Resource,
    pub(crate) scope: InstrumentationScope,
    pub(crate) generation: u64,
    pub(crate) counters: Arc<Counters>,
    /// The most verbose level recorded (`TracerBuilder::max_level`).
    pub(crate) max_level: Level,
    shut_down: AtomicBool,
}

static GLOBAL: AtomicPtr<TracerInner> = AtomicPtr::new(std::ptr::null_mut());
static GENERATION: AtomicU64 = AtomicU64::new(1);
/// The installed tracer's maximum level as a number (`Level as u8`), 0 when none is
/// installed: testing a level is one load and a compare, what testing `GLOBAL` costs.
static LEVEL_GATE: AtomicU8 = AtomicU8::new(0);

impl TracerInner {
    /// A tracer ready to install: the sampler's fixed decisions are asked once, here.
    pub(crate) fn new(
        sampler: Box<dyn Sampler>,
        limits: SpanLimits,
        epoch: Epoch,
        processor: Processor,
        resource: Resource,
        scope: InstrumentationScope,
        counters: Arc<Counters>,
    ) -> Self {
        let fixed = ParentState::ALL.map(|state| sampler.fixed_decision(state));
        let quick = QuickStart::table(fixed);
        let below = quick[ParentState::LocalNotSampled.index()] == QuickStart::Nothing;
        TracerInner {
            sampler,
            fixed,
            quick,
            drops_subtree: quick
                .map(|q| below && matches!(q, QuickStart::Nothing | QuickStart::LazyRoot)),
            limits,
            epoch,
            processor,
            resource,
            scope,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
            counters,
            max_level: Level::Trace,
            shut_down: AtomicBool::new(false),
        }
    }

    /// Leaks the tracer and makes it the global one (replacing any previous one).
    pub(crate) fn install(self) -> &'static TracerInner {
        let inner: &'static TracerInner = Box::leak(Box::new(self));
        panic::install_panic_hook();
        GLOBAL.store(std::ptr::from_ref(inner).cast_mut(), Ordering::Release);
        LEVEL_GATE.store(inner.max_level as u8, Ordering::Release);
        inner
    }

    /// Stops being the global tracer (if it still is): spans started from now on record
    /// nothing.
    pub(crate) fn uninstall(&'static self) {
        let ptr = std::ptr::from_ref(self).cast_mut();
        if GLOBAL
            .compare_exchange(
                ptr,
                std::ptr::null_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            LEVEL_GATE.store(0, Ordering::Release);
        }
    }

    /// After shutdown: spans that end from now on are dropped and counted.
    pub(crate) fn mark_shut_down(&self) {
        self.shut_down.store(true, Ordering::Relaxed);
    }

    /// Hands an ended span to the processor when the thread's producer slot is out of reach
    /// (the simple processor, or a thread whose state is gone); dropped and counted when the
    /// processor cannot take it.
    pub(crate) fn on_end(&'static self, finished: Finished) {
        if self.shut_down.load(Ordering::Relaxed)
            || !self.processor.on_end(finished, &self.epoch, &self.scope)
        {
            self.count_dropped(1);
        }
    }

    /// Queues the ended span `finished` through this thread's producer slot, taking it out
    /// of the record; `false` (record untouched) when the processor must run outside the
    /// thread's state because it calls the exporter.
    #[inline]
    pub(crate) fn queue_local(
        &'static self,
        producer: &mut Option<ProducerSlot>,
        finished: &mut Finished,
    ) -> bool {
        if self.shut_down.load(Ordering::Relaxed) {
            self.count_dropped(1);
            drop(finished.take());
            return true;
        }
        match &self.processor {
            Processor::Discard => {
                drop(finished.take());
                true
            }
            Processor::Batch(b) => {
                if !b.push(producer, self.generation, finished) {
                    self.count_dropped(1);
                }
                true
            }
            Processor::Simple(_) => false,
        }
    }

    pub(crate) fn count_dropped(&self, n: u64) {
        self.counters.add_dropped(n);
    }
}

/// The installed tracer, if any: one atomic load, the whole cost of a disabled span.
#[inline]
pub(crate) fn global() -> Option<&'static TracerInner> {
    let p = GLOBAL.load(Ordering::Acquire);
    if p.is_null() {
        None
    } else {
        // SAFETY: GLOBAL only ever holds null or a pointer from `Box::leak` in
        // `TracerInner::install`, which is never freed, so it is valid for 'static.
        #[allow(unsafe_code)]
        Some(unsafe { &*p })
    }
}

/// `true` when a tracer is installed and records spans of `level`: within the static maximum
/// (a constant: a span above it is compiled out) and the tracer's maximum (one load).
#[inline]
#[allow(clippy::absurd_extreme_comparisons)] // `STATIC_MAX` is 0 under `max_level_off`
pub(crate) fn level_enabled(level: Level) -> bool {
    (level as u8) <= STATIC_MAX && (level as u8) <= LEVEL_GATE.load(Ordering::Relaxed)
}

/// `true` when a tracer is installed (spans may be recorded).
#[inline]
pub fn is_enabled() -> bool {
    !GLOBAL.load(Ordering::Relaxed).is_null()
}

/// A recording span while it is open: owned by the thread's stack while entered, by a
/// `Span` or an instrumented future otherwise, and bound to the tracer that started it. The
/// box stays on the thread that started the span and is reused: what travels to the
/// exporter is the [`Finished`] part, by value.
pub(crate) struct SpanRecord {
    pub(crate) tracer: &'static TracerInner,
    pub(crate) f: Finished,
}

impl fmt::Debug for SpanRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanRecord")
            .field("name", &self.f.name)
            .field("ctx", &self.f.ctx)
            .finish_non_exhaustive()
    }
}

impl SpanRecord {
    /// A record with nothing in it yet, to be filled by a start path.
    #[cold]
    pub(crate) fn empty(tracer: &'static TracerInner) -> Box<SpanRecord> {
        Box::new(SpanRecord {
            tracer,
            f: Finished::empty(),
        })
    }

    /// Where attributes are recorded, under the tracer's limits.
    #[inline]
    pub(crate) fn sink(&mut self) -> AttributeSink<'_> {
        self.f.sink(&self.tracer.limits)
    }

    pub(crate) fn set_attribute(&mut self, key: Cow<'static, str>, value: Option<Value>) {
        self.f.set_attribute(&self.tracer.limits, key, value);
    }

    pub(crate) fn add_event(&mut self, name: Cow<'static, str>, attrs: Vec<KeyValue>) {
        self.f
            .add_event(&self.tracer.limits, &self.tracer.epoch, name, attrs);
    }

    pub(crate) fn add_link(&mut self, link: Link) {
        self.f.add_link(&self.tracer.limits, link);
    }

    /// Status `Error` with `description`, and `error.type`; with `exception_event`, also the
    /// `exception` event.
    pub(crate) fn record_error(
        &mut self,
        description: String,
        error_type: &str,
        exception_event: bool,
    ) {
        if exception_event {
            self.f.add_exception(
                &self.tracer.limits,
                &self.tracer.epoch,
                error_type,
                description.clone(),
            );
        }
        self.f
            .record_error(&self.tracer.limits, description, error_type);
    }

    pub(crate) fn add_exception(&mut self, error_type: &str, message: String) {
        self.f
            .add_exception(&self.tracer.limits, &self.tracer.epoch, error_type, message);
    }

    /// Stamps the end time (and a panic, when the thread is unwinding).
    #[inline]
    pub(crate) fn stamp_end(&mut self) {
        self.f.stamp_end(&self.tracer.limits, &self.tracer.epoch);
    }
}
