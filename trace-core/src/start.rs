//! Starting a span: every start path, from the inlined one every `#[traced]` function takes
//! (a literal name, the current parent, the sampler's fixed answer in a table) to the
//! general one (explicit parent, sampler attributes, links). Each returns what the thread's
//! stack or a detached handle holds: a token, or a [`Slot`].

use std::borrow::Cow;

use crate::attributes::{AttrVec, AttributeSink};
use crate::context::{self, Slot};
use crate::id::{SpanId, TraceId};
use crate::model::{Link, SpanKind, Status};
use crate::pipeline::{self, SpanRecord, TracerInner};
use crate::record::Finished;
use crate::sampler::{ParentState, QuickStart, SamplingDecision};
use crate::span_context::{SpanContext, TraceFlags, TraceState};
use crate::value::KeyValue;

/// What a span is started from: the public builder's parts.
#[derive(Debug)]
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// What few spans set: boxed so the common builder is three words.
    pub(crate) extras: Option<Box<Extras>>,
}

/// Where a new span's parent comes from.
#[derive(Debug)]
pub(crate) enum ParentChoice {
    Current,
    Explicit(SpanContext),
    Root,
}

/// The rarely set parts of a span start.
#[derive(Debug)]
pub(crate) struct Extras {
    pub(crate) parent: ParentChoice,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) links: Vec<Link>,
}

impl Default for Extras {
    fn default() -> Self {
        Extras {
            parent: ParentChoice::Current,
            attributes: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// What a start makes of a span it does not enter: a slot for the thread's stack or a
/// detached handle, or a [`SharedSpan`](crate::SharedSpan) for a bridge. They differ for a
/// span that records nothing: a slot boxes its context, a shared span holds it.
pub(crate) trait Started: Sized {
    /// A recording span.
    fn record(rec: Box<SpanRecord>) -> Self;
    /// A span that records nothing, standing for `context`.
    fn not_recording(context: SpanContext) -> Self;
    /// A root nobody samples, whose ids are made when something asks.
    fn lazy() -> Self;
}

impl Started for Slot {
    #[inline]
    fn record(rec: Box<SpanRecord>) -> Self {
        Slot::Span(rec)
    }

    #[inline]
    fn not_recording(context: SpanContext) -> Self {
        Slot::of_context(context)
    }

    #[inline]
    fn lazy() -> Self {
        Slot::Lazy
    }
}

/// A span that records nothing: a context of its own (`span_id`, new) in the trace it
/// belongs to, not sampled.
#[inline]
fn non_recording<O: Started>(
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    trace_state: TraceState,
) -> O {
    O::not_recording(SpanContext::new(
        trace_id,
        span_id,
        flags.with_sampled(false),
        false,
        trace_state,
    ))
}

/// A new span's identity and its parent's, as [`fill`] stores them.
struct Ids {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
    trace_state: TraceState,
    parent_span_id: Option<SpanId>,
    parent_is_remote: bool,
}

/// The record of a span starting now: `spare` (an emptied record, see `Finished::take`) filled in
/// place, or a new one. Field by field: a whole `SpanContext` built first and then moved in
/// was read back across the narrower stores that built it, a store-forwarding stall that
/// took ~10% of a sampled span's time (perf, `cargo bench -p benches --bench span -- attrs`).
#[allow(clippy::inline_always)]
#[inline(always)]
fn fill(
    tracer: &'static TracerInner,
    spare: Option<Box<SpanRecord>>,
    name: Cow<'static, str>,
    kind: SpanKind,
    ids: Ids,
) -> Box<SpanRecord> {
    let start = tracer.epoch.clock.raw();
    let Ids {
        trace_id,
        span_id,
        flags,
        trace_state,
        parent_span_id,
        parent_is_remote,
    } = ids;
    match spare {
        Some(mut rec) => {
            rec.tracer = tracer;
            rec.f.name = name;
            rec.f.kind = kind;
            rec.f.ctx.trace_id = trace_id;
            rec.f.ctx.span_id = span_id;
            rec.f.ctx.trace_flags = flags;
            rec.f.ctx.is_remote = false;
            rec.f.ctx.trace_state = trace_state;
            rec.f.parent_span_id = parent_span_id;
            rec.f.parent_is_remote = parent_is_remote;
            rec.f.start = start;
            rec
        }
        None => Box::new(SpanRecord {
            tracer,
            f: Finished {
                name,
                kind,
                parent_is_remote,
                ctx: SpanContext::new(trace_id, span_id, flags, false, trace_state),
                parent_span_id,
                start,
                end: 0,
                attributes: AttrVec::new(),
                status: Status::Unset,
                dropped_attributes: 0,
                rare: None,
            },
        }),
    }
}

/// Starts and enters a span with a literal name and no extras: the call every `#[traced]`
/// function makes. Inline: spans the sampler's fixed answer drops are settled here, in the
/// caller, from one thread-local byte; the rest goes out of line.
#[inline]
pub(crate) fn start_entered(
    tracer: &'static TracerInner,
    name: &'static str,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    // The common case (current parent, nothing but attributes): what to do is one table
    // entry, by the parent's state (one thread-local byte).
    match tracer.quick[context::top_state().index()] {
        QuickStart::Nothing => 0,
        // A root nobody samples: its ids are made only if something asks.
        QuickStart::LazyRoot => context::enter_lazy_root(),
        // One call for both: the closure's captures are then stored only on this path.
        q => start_recorded(tracer, name, kind, q == QuickStart::Sampled, record),
    }
}

/// The entered span's out-of-line part: sampled (`sampled`), or to be decided.
#[inline(never)]
fn start_recorded(
    tracer: &'static TracerInner,
    name: &'static str,
    kind: SpanKind,
    sampled: bool,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    if sampled {
        start_sampled(tracer, Cow::Borrowed(name), kind, record)
    } else {
        let start = SpanStart {
            name: Cow::Borrowed(name),
            kind,
            extras: None,
        };
        start_general(tracer, start, record)
    }
}

/// `true` when a tracer is installed and a span started now on this thread (current parent,
/// no extras) would not be dropped under a parent that is not sampled by the sampler's fixed
/// answer ([`QuickStart::Nothing`]): one atomic load and, with a tracer, one thread-local
/// load.
#[inline]
pub(crate) fn async_span_needed() -> bool {
    pipeline::global().is_some_and(|t| t.quick[context::top_state().index()] != QuickStart::Nothing)
}

/// Starts and enters a sampled span under the current parent (no extras).
#[inline]
fn start_sampled(
    tracer: &'static TracerInner,
    name: Cow<'static, str>,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    match sampled_record(tracer, name, kind, record) {
        Some(rec) => context::push_recording(rec),
        // The thread is exiting: nothing can be entered.
        None => 0,
    }
}

/// The record of a sampled span starting now under the current parent (none, or one that
/// is not valid: a root), for an entered or a detached span. It is filled in place, its ids
/// copied field by field from the parent's (see [`fill`] for why not through a
/// `SpanContext` value). `None` when the thread is exiting.
#[allow(clippy::inline_always)] // measured: `#[inline]` costs the detached paths 4-34 instructions
#[inline(always)]
fn sampled_record(
    tracer: &'static TracerInner,
    name: Cow<'static, str>,
    kind: SpanKind,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> Option<Box<SpanRecord>> {
    let mut rec = context::with_local_read(|l| {
        let mut rec = l.spare.pop().unwrap_or_else(|| SpanRecord::empty(tracer));
        rec.f.adopt(l.valid_parent());
        rec
    })?;
    rec.tracer = tracer;
    rec.f.name = name;
    rec.f.kind = kind;
    rec.f.start = tracer.epoch.clock.raw();
    record(&mut rec.sink());
    Some(rec)
}

/// Starts and enters a span in the general case (extras, or a sampler to ask).
#[inline(never)]
pub(crate) fn start_general(
    tracer: &'static TracerInner,
    start: SpanStart,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> u64 {
    match build(tracer, start, record, true) {
        Ok(slot) => context::push(slot),
        Err(token) => token,
    }
}

/// What one look at the thread's stack settled for a new span.
enum Looked {
    /// Handled on the stack: the token to return (0 when nothing was pushed).
    Settled(u64),
    /// A detached root nobody samples.
    Lazy,
    /// To be decided with the parent's context.
    Parent(Option<SpanContext>),
}

/// Starts a span without entering it (a detached span, a future's span): its slot, `None`
/// when the thread is exiting. Out of line: the caller's disabled path stays small.
#[inline(never)]
pub(crate) fn detached<O: Started>(
    tracer: &'static TracerInner,
    start: SpanStart,
    record: impl FnOnce(&mut AttributeSink<'_>),
) -> Option<O> {
    if start.extras.is_none() {
        match tracer.quick[context::top_state().index()] {
            // A root nobody samples: ids only if something asks (see `Slot::Lazy`).
            QuickStart::LazyRoot => {
                return Some(O::lazy());
            }
            // Dropped under a parent that is not sampled (the sampler's fixed answer):
            // what `build` makes of it, without its general steps.
            QuickStart::Nothing => {
                if let Some(parent) = context::with_local(|l| l.valid_parent().cloned()).flatten() {
                    return Some(non_recording(
                        parent.trace_id,
                        SpanId::random(),
                        parent.trace_flags,
                        parent.trace_state,
                    ));
                }
            }
            // Sampled (the sampler's fixed answer): the record is filled in place, as
            // for an entered span.
            QuickStart::Sampled => {
                return sampled_record(tracer, start.name, start.kind, record).map(O::record);
            }
            QuickStart::General => {}
        }
    }
    build(tracer, start, record, false).ok()
}

/// Decides and opens the span. `Err(token)` when an entered span was already settled on
/// the thread's stack (token 0: nothing pushed, the parent's context stays current).
#[inline]
#[allow(clippy::too_many_lines)] // one straight path; splitting it costs moves of the record
fn build<O: Started>(
    tracer: &'static TracerInner,
    start: SpanStart,
    record: impl FnOnce(&mut AttributeSink<'_>),
    entered: bool,
) -> Result<O, u64> {
    let (choice, extras) = match start.extras {
        None => (ParentChoice::Current, None),
        Some(e) => {
            let Extras {
                parent,
                attributes,
                links,
            } = *e;
            (parent, Some((attributes, links)))
        }
    };
    let from_current = matches!(choice, ParentChoice::Current);
    let mut spare = None;
    let parent = match choice {
        ParentChoice::Current => {
            // One look at the thread's stack: the parent's state is enough to settle a
            // span the sampler's fixed answer drops, before any id is generated.
            let looked = context::with_local(|l| {
                match tracer.quick[l.parent_state().index()] {
                    QuickStart::Nothing if entered => return Looked::Settled(0),
                    // A root nobody samples: its ids are made only if asked for.
                    QuickStart::LazyRoot if entered => {
                        return Looked::Settled(l.push(Slot::Lazy));
                    }
                    QuickStart::LazyRoot => return Looked::Lazy,
                    QuickStart::Sampled => spare = l.spare.pop(),
                    QuickStart::Nothing | QuickStart::General => {}
                }
                Looked::Parent(l.parent())
            });
            match looked {
                Some(Looked::Parent(parent)) => parent,
                Some(Looked::Lazy) => return Ok(O::lazy()),
                Some(Looked::Settled(token)) => return Err(token),
                None => None,
            }
        }
        ParentChoice::Explicit(cx) => Some(cx),
        ParentChoice::Root => None,
    }
    .filter(SpanContext::is_valid);
    let state = ParentState::of(parent.as_ref());
    if tracer.quick[state.index()] == QuickStart::LazyRoot {
        return Ok(O::lazy());
    }
    let fixed = tracer.fixed[state.index()];
    let trace_id = parent.as_ref().map_or_else(TraceId::random, |p| p.trace_id);
    let decision = match fixed {
        Some(d) => d,
        None => tracer.sampler.should_sample(
            parent.as_ref(),
            trace_id,
            &start.name,
            start.kind,
            extras.as_ref().map_or(&[], |(a, _)| a.as_slice()),
        ),
    };
    let sampled = decision == SamplingDecision::RecordAndSample;
    if !sampled && entered && from_current && state.is_not_sampled_parent() {
        // Below a span that is not sampled: nothing to record and nothing new to
        // propagate, so the current context (the parent's) simply stays current.
        return Err(0);
    }
    let span_id = SpanId::random();
    let (flags, trace_state, parent_span_id, parent_is_remote) = match parent {
        Some(p) => (p.trace_flags, p.trace_state, Some(p.span_id), p.is_remote),
        None => (TraceFlags::RANDOM, TraceState::default(), None, false),
    };
    if !sampled {
        return Ok(non_recording(trace_id, span_id, flags, trace_state));
    }
    if spare.is_none() {
        spare = context::with_local(|l| l.spare.pop()).flatten();
    }
    let mut rec = fill(
        tracer,
        spare,
        start.name,
        start.kind,
        Ids {
            trace_id,
            span_id,
            flags: flags.with_sampled(true),
            trace_state,
            parent_span_id,
            parent_is_remote,
        },
    );
    let links = match extras {
        None => {
            record(&mut rec.sink());
            None
        }
        Some((attributes, links)) => {
            let mut sink = rec.sink();
            for kv in attributes {
                sink.set_value(kv.key, kv.value);
            }
            record(&mut sink);
            Some(links)
        }
    };
    if let Some(links) = links {
        for link in links {
            rec.add_link(link);
        }
    }
    Ok(O::record(rec))
}
