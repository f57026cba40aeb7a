//! The span record and its moves: what a span holds while open, how it is filled, how it
//! moves by value into a queue's slot, and how it becomes the exporter's [`SpanData`].

use std::borrow::Cow;
use std::time::SystemTime;

use crate::attributes::{self, AttrVec, AttributeSink};
use crate::clock::Epoch;
use crate::data::{InstrumentationScope, SpanData};
use crate::errors;
use crate::id::{SpanId, TraceId};
use crate::limits::SpanLimits;
use crate::model::{Event, Link, SpanKind, Status};
use crate::panic;
use crate::span_context::{SpanContext, TraceFlags, TraceState};
use crate::value::{KeyValue, Value};

/// What a span recorded. When the span ends it moves, by value, into the thread's queue to
/// the batch worker (no allocation, no pointer shared between threads).
pub(crate) struct Finished {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent_is_remote: bool,
    pub(crate) ctx: SpanContext,
    pub(crate) parent_span_id: Option<SpanId>,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) attributes: AttrVec,
    pub(crate) status: Status,
    pub(crate) dropped_attributes: u32,
    /// Events and links: few spans have them, so they cost one word until used.
    pub(crate) rare: Option<Box<Rare>>,
}

#[derive(Default)]
pub(crate) struct Rare {
    pub(crate) events: Vec<Event>,
    pub(crate) links: Vec<Link>,
    pub(crate) dropped_events: u32,
    pub(crate) dropped_links: u32,
}

impl Finished {
    /// Moves the data out, leaving the record empty for reuse: only the fields that own
    /// something are reset, so the move is one copy (into the queue's slot when inlined).
    #[allow(clippy::inline_always)] // measured: a call here costs a second copy of the record
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Finished {
        Finished {
            name: std::mem::replace(&mut self.name, Cow::Borrowed("")),
            kind: self.kind,
            parent_is_remote: self.parent_is_remote,
            ctx: SpanContext {
                trace_id: self.ctx.trace_id,
                span_id: self.ctx.span_id,
                trace_flags: self.ctx.trace_flags,
                trace_state: std::mem::take(&mut self.ctx.trace_state),
                is_remote: self.ctx.is_remote,
            },
            parent_span_id: self.parent_span_id,
            start: self.start,
            end: self.end,
            attributes: std::mem::take(&mut self.attributes),
            status: std::mem::take(&mut self.status),
            dropped_attributes: std::mem::take(&mut self.dropped_attributes),
            rare: self.rare.take(),
        }
    }

    /// Gives a new sampled span its ids: a new span id, and the trace id, flags and trace
    /// state of `parent` (a new trace when `None`). Field by field (see `start::fill`).
    #[inline]
    pub(crate) fn adopt(&mut self, parent: Option<&SpanContext>) {
        if let Some(p) = parent {
            self.ctx.trace_id = p.trace_id;
            self.ctx.trace_flags = p.trace_flags.with_sampled(true);
            self.ctx.trace_state = p.trace_state.clone();
            self.parent_span_id = Some(p.span_id);
            self.parent_is_remote = p.is_remote;
        } else {
            self.ctx.trace_id = TraceId::random();
            self.ctx.trace_flags = TraceFlags::RANDOM.with_sampled(true);
            self.ctx.trace_state = TraceState::default();
            self.parent_span_id = None;
            self.parent_is_remote = false;
        }
        self.ctx.span_id = SpanId::random();
        self.ctx.is_remote = false;
    }

    /// Moves the data into `dst` (uninitialized: a queue's slot) with one bitwise copy, and
    /// leaves the record empty for reuse, like [`take`](Self::take) without its second copy
    /// through a temporary (measured: ~60 instructions fewer per sampled span).
    #[allow(clippy::inline_always)] // the copy must be inlined into the queue's write
    #[inline(always)]
    pub(crate) fn move_into(
        &mut self,
        dst: &mut std::mem::MaybeUninit<std::mem::ManuallyDrop<Finished>>,
    ) {
        // Every field, so that adding one is a compile error here until it is handled below:
        // a new field that owns something must be reset without drop like these.
        let Finished {
            name: _,
            kind: _,
            parent_is_remote: _,
            ctx: _,
            parent_span_id: _,
            start: _,
            end: _,
            attributes: _,
            status: _,
            dropped_attributes: _,
            rare: _,
        } = self;
        #[allow(unsafe_code)]
        // SAFETY: `dst` is uninitialized memory for one `Finished` (`ManuallyDrop` is
        // `repr(transparent)`), not overlapping `self`.
        // After the bitwise copy `dst` owns what `self` owned; each field of `self` that owns
        // something (name, trace state, attributes, status, rare) is then overwritten with an
        // empty value by `ptr::write`, which does not drop the old (now `dst`'s) value, so
        // nothing is owned twice and nothing is freed. The other fields are plain data.
        unsafe {
            std::ptr::copy_nonoverlapping(std::ptr::from_ref(self), dst.as_mut_ptr().cast(), 1);
            std::ptr::write(&raw mut self.name, Cow::Borrowed(""));
            std::ptr::write(&raw mut self.ctx.trace_state, TraceState::default());
            std::ptr::write(&raw mut self.attributes, AttrVec::new());
            std::ptr::write(&raw mut self.status, Status::Unset);
            std::ptr::write(&raw mut self.rare, None);
        }
        self.dropped_attributes = 0;
    }

    /// Writes the exporter's view of the span over `d` (a span of an earlier batch from the
    /// same tracer, so the scope is already right), reusing its attribute vector. Leaves
    /// `self` owning nothing, so the batch worker frees its ring slot without a drop.
    pub(crate) fn write_into(&mut self, d: &mut SpanData, epoch: &Epoch) {
        d.start_time = epoch.to_system_time(self.start);
        d.end_time = epoch.to_system_time(self.end.max(self.start));
        d.name = std::mem::replace(&mut self.name, Cow::Borrowed(""));
        d.kind = self.kind;
        d.span_context.trace_id = self.ctx.trace_id;
        d.span_context.span_id = self.ctx.span_id;
        d.span_context.trace_flags = self.ctx.trace_flags;
        d.span_context.is_remote = self.ctx.is_remote;
        d.span_context.trace_state = std::mem::take(&mut self.ctx.trace_state);
        d.parent_span_id = self.parent_span_id;
        d.parent_is_remote = self.parent_is_remote;
        d.attributes.clear();
        let n = self.attributes.len();
        d.attributes.reserve(n);
        // One bulk move: element by element (`drain`, `extend`) each attribute went through
        // the stack and was read back across narrower stores, a store-forwarding stall per
        // attribute (~30% of this function's time under perf).
        #[allow(unsafe_code)]
        // SAFETY: `d.attributes` is empty with room for `n` (reserved above); the `n`
        // initialized attributes are copied bit for bit, then the source forgets them
        // (`set_len(0)`) and the destination counts them (`set_len(n)`): each is owned once.
        unsafe {
            std::ptr::copy_nonoverlapping(self.attributes.as_ptr(), d.attributes.as_mut_ptr(), n);
            self.attributes.set_len(0);
            d.attributes.set_len(n);
        }
        if self.attributes.spilled() {
            // More attributes than fit inline: the (now empty) heap buffer is freed here.
            self.attributes = AttrVec::new();
        }
        match self.rare.take() {
            None => {
                d.events.clear();
                d.links.clear();
                d.dropped_events_count = 0;
                d.dropped_links_count = 0;
            }
            Some(r) => {
                d.events = r.events;
                d.links = r.links;
                d.dropped_events_count = r.dropped_events;
                d.dropped_links_count = r.dropped_links;
            }
        }
        d.status = std::mem::take(&mut self.status);
        d.dropped_attributes_count = self.dropped_attributes;
    }

    /// The exporter's view of the span (the mapping is [`write_into`](Self::write_into)'s).
    pub(crate) fn into_data(mut self, epoch: &Epoch, scope: &InstrumentationScope) -> SpanData {
        let mut d = Finished::empty_data(scope);
        self.write_into(&mut d, epoch);
        d
    }

    /// A `SpanData` with nothing in it yet but the scope, to [`write_into`](Self::write_into).
    pub(crate) fn empty_data(scope: &InstrumentationScope) -> SpanData {
        SpanData {
            name: Cow::Borrowed(""),
            kind: SpanKind::Internal,
            span_context: SpanContext::empty(),
            parent_span_id: None,
            parent_is_remote: false,
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::Unset,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
            scope: scope.clone(),
        }
    }
}

impl Finished {
    /// A record with nothing in it yet.
    pub(crate) fn empty() -> Finished {
        Finished {
            name: Cow::Borrowed(""),
            kind: SpanKind::Internal,
            parent_is_remote: false,
            ctx: SpanContext::empty(),
            parent_span_id: None,
            start: 0,
            end: 0,
            attributes: AttrVec::new(),
            status: Status::Unset,
            dropped_attributes: 0,
            rare: None,
        }
    }

    /// Where attributes are recorded, under `limits`.
    #[inline]
    pub(crate) fn sink<'a>(&'a mut self, limits: &'a SpanLimits) -> AttributeSink<'a> {
        AttributeSink::new(&mut self.attributes, &mut self.dropped_attributes, limits)
    }

    /// Sets one attribute (replacing an earlier value for the key); `None` records nothing.
    pub(crate) fn set_attribute(
        &mut self,
        limits: &SpanLimits,
        key: Cow<'static, str>,
        value: Option<Value>,
    ) {
        if let Some(v) = value {
            self.sink(limits).set_value(key, v);
        }
    }

    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Adds an event now, within the limits (an event over the limit is counted).
    pub(crate) fn add_event(
        &mut self,
        limits: &SpanLimits,
        epoch: &Epoch,
        name: Cow<'static, str>,
        attrs: Vec<KeyValue>,
    ) {
        let time = epoch.to_system_time(epoch.clock.raw());
        let rare = self.rare();
        if u32::try_from(rare.events.len()).unwrap_or(u32::MAX) >= limits.max_events_per_span {
            rare.dropped_events = rare.dropped_events.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            attrs,
            limits.max_attributes_per_event,
            limits.max_attribute_value_length,
        );
        rare.events.push(Event {
            name,
            time,
            attributes,
            dropped_attributes_count: dropped,
        });
    }

    /// Adds a link, within the limits (a link over the limit is counted).
    pub(crate) fn add_link(&mut self, limits: &SpanLimits, link: Link) {
        let rare = self.rare();
        if u32::try_from(rare.links.len()).unwrap_or(u32::MAX) >= limits.max_links_per_span {
            rare.dropped_links = rare.dropped_links.saturating_add(1);
            return;
        }
        let (attributes, dropped) = attributes::limit_list(
            link.attributes,
            limits.max_attributes_per_link,
            limits.max_attribute_value_length,
        );
        rare.links.push(Link {
            span_context: link.span_context,
            attributes,
            dropped_attributes_count: link.dropped_attributes_count.saturating_add(dropped),
        });
    }

    /// Records a failure as the semantic conventions say: status `Error` with
    /// `description`, and `error.type` (see [`errors::error_type`](crate::errors::error_type)).
    pub(crate) fn record_error(
        &mut self,
        limits: &SpanLimits,
        description: String,
        error_type: &str,
    ) {
        self.status = Status::error(description);
        self.set_attribute(
            limits,
            Cow::Borrowed("error.type"),
            Some(Value::Str(error_type.into())),
        );
    }

    /// Adds the opt-in `exception` event.
    pub(crate) fn add_exception(
        &mut self,
        limits: &SpanLimits,
        epoch: &Epoch,
        error_type: &str,
        message: String,
    ) {
        self.add_event(
            limits,
            epoch,
            errors::EXCEPTION_EVENT,
            errors::exception_attributes(error_type, message),
        );
    }

    /// Stamps the end time, and the panic when the thread is unwinding (status `Error`,
    /// `error.type = "panic"`, the panic's message).
    #[inline]
    pub(crate) fn stamp_end(&mut self, limits: &SpanLimits, epoch: &Epoch) {
        self.end = epoch.clock.raw();
        if std::thread::panicking() {
            self.mark_panic(limits);
        }
    }

    #[cold]
    fn mark_panic(&mut self, limits: &SpanLimits) {
        let message = panic::take_panic_message().unwrap_or_else(|| "panicked".to_owned());
        self.record_error(limits, message, "panic");
    }
}

#[cfg(test)]
mod tests {
    /// What each thread's ring holds per span (documented on `BatchConfig::max_queue_size`)
    /// and what is copied when a span ends: a regression here costs every sampled span.
    #[test]
    fn a_finished_span_stays_small() {
        assert!(std::mem::size_of::<super::Finished>() <= 384);
    }
}
