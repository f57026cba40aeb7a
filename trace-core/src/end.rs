//! Ending a span: the one path from a span's end to its pipeline. The end time (and a
//! panic) is stamped, the record moves into the thread's queue through its producer slot,
//! and the emptied box is kept for the thread's next span; a processor that calls the
//! exporter on the spot gets the span outside the thread's state.

use crate::context::{self, Local};
use crate::pipeline::SpanRecord;

/// Leaves and ends the entered span `token`. A lazy root nothing looked at is left with two
/// thread-local stores; the rest goes to [`end_recording`].
#[inline]
pub(crate) fn end_entered(token: u64) {
    if !context::leave_lazy_root(token) {
        end_recording(token);
    }
}

/// Leaves and ends the entered span `token`: taking it off the stack, queueing it and
/// reusing its record is one visit to the thread's state.
#[inline(never)]
fn end_recording(token: u64) {
    let rest = context::with_local(|l| {
        let mut rec = l.end(token)?;
        rec.stamp_end();
        queue(l, rec)
    })
    .flatten();
    deliver(rest);
}

/// Ends a span that is not on the thread's stack (a detached span, an instrumented
/// future's), keeping its box for reuse when the thread can take it.
pub(crate) fn end_detached(mut rec: Box<SpanRecord>) {
    rec.stamp_end();
    let mut rec = Some(rec);
    let rest = context::with_local(|l| queue(l, rec.take()?)).flatten();
    deliver(rest.or(rec));
}

/// Queues the ended record through this thread's producer slot and keeps its emptied box;
/// the record back when its processor must run outside the thread's state.
#[inline]
fn queue(l: &mut Local, mut rec: Box<SpanRecord>) -> Option<Box<SpanRecord>> {
    if rec.tracer.queue_local(&mut l.producer, &mut rec.f) {
        l.recycle(rec);
        None
    } else {
        Some(rec)
    }
}

/// Hands a record the thread's queue did not take to its tracer (the simple processor, or a
/// thread whose state is gone: then it is counted as dropped). Only the test is inline: on
/// the batch path there is nothing to hand over (measured: an out-of-line call here cost
/// every sampled span 17 instructions).
#[allow(clippy::inline_always)]
#[inline(always)]
fn deliver(rest: Option<Box<SpanRecord>>) {
    if let Some(rec) = rest {
        hand_over(rec);
    }
}

#[cold]
#[inline(never)]
fn hand_over(mut rec: Box<SpanRecord>) {
    let finished = rec.f.take();
    rec.tracer.on_end(finished);
}
