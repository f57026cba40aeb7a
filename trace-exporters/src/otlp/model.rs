//! The mapping from trace-core's data model to OTLP's, shared by the
//! protobuf and JSON encoders (and the JSON-lines exporters).

use std::time::{SystemTime, UNIX_EPOCH};

use trace_core::{InstrumentationScope, SpanData, SpanKind, TraceFlags, TraceState};

/// `Status.code` values (`opentelemetry.proto.trace.v1.Status.StatusCode`).
pub(crate) const STATUS_OK: u32 = 1;
pub(crate) const STATUS_ERROR: u32 = 2;

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK` and `SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`.
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

/// `Span.SpanKind` values: unspecified is 0, so internal is 1.
pub(crate) fn kind_code(kind: SpanKind) -> u32 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

/// Nanoseconds since the Unix epoch; 0 for a time before it, saturating far
/// in the future.
pub(crate) fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The `flags` field of a span or link: the W3C trace flags in bits 0-7,
/// plus whether the parent (or linked) context was remote.
pub(crate) fn span_flags(flags: TraceFlags, is_remote: bool) -> u32 {
    u32::from(flags.bits()) | HAS_IS_REMOTE | if is_remote { IS_REMOTE } else { 0 }
}

/// Calls `f` with the W3C `tracestate` header form of `state`
/// (`k1=v1,k2=v2`), or not at all when it is empty.
pub(crate) fn with_trace_state(state: &TraceState, f: impl FnOnce(&str)) {
    let members = state.members();
    match members {
        [] => {}
        [(k, v)] => {
            let mut s = String::with_capacity(k.len() + v.len() + 1);
            s.push_str(k);
            s.push('=');
            s.push_str(v);
            f(&s);
        }
        _ => {
            let mut s = String::new();
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(k);
                s.push('=');
                s.push_str(v);
            }
            f(&s);
        }
    }
}

/// The distinct instrumentation scopes of a batch, in order of first
/// appearance; each group then walks the spans of its scope.
pub(crate) struct ScopeGroups<'a> {
    spans: &'a [SpanData],
    next: usize,
}

/// The spans of one scope within a batch.
pub(crate) struct ScopeGroup<'a> {
    pub(crate) scope: &'a InstrumentationScope,
    spans: &'a [SpanData],
}

impl<'a> ScopeGroups<'a> {
    pub(crate) fn new(spans: &'a [SpanData]) -> Self {
        Self { spans, next: 0 }
    }
}

impl<'a> Iterator for ScopeGroups<'a> {
    type Item = ScopeGroup<'a>;

    fn next(&mut self) -> Option<ScopeGroup<'a>> {
        while self.next < self.spans.len() {
            let i = self.next;
            self.next += 1;
            let scope = &self.spans[i].scope;
            if !self.spans[..i].iter().any(|s| s.scope == *scope) {
                if i == 0 && self.spans.iter().all(|s| s.scope == *scope) {
                    // The common case: one scope for the whole batch.
                    self.next = self.spans.len();
                }
                return Some(ScopeGroup {
                    scope,
                    spans: &self.spans[i..],
                });
            }
        }
        None
    }
}

impl<'a> ScopeGroup<'a> {
    /// The spans of this group's scope, in batch order.
    pub(crate) fn spans(&self) -> impl Iterator<Item = &'a SpanData> + '_ {
        let scope = self.scope;
        self.spans.iter().filter(move |s| s.scope == *scope)
    }
}
