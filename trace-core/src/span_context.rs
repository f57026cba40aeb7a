//! The identity of a span as it travels: [`TraceFlags`], [`TraceState`], [`SpanContext`].

use std::sync::Arc;

use crate::id::{SpanId, TraceId};

/// W3C trace flags. Bit 0 is `sampled`; bit 1 is the level-2 `random` flag. Extraction
/// zeroes the reserved bits, as the specification requires.
///
/// # Examples
/// ```
/// use trace_core::TraceFlags;
/// assert!(TraceFlags::SAMPLED.is_sampled());
/// assert!(!TraceFlags::default().is_sampled());
/// assert_eq!(TraceFlags::from_bits(0x03).with_sampled(false).bits(), 0x02);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// Only the sampled bit set.
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// The W3C level 2 `random` bit: the trace id's right 7 bytes are random.
    pub const RANDOM: TraceFlags = TraceFlags(0x02);

    /// Wraps a flags byte as received.
    pub const fn from_bits(bits: u8) -> Self {
        TraceFlags(bits)
    }

    /// The flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether the sampled bit is set.
    pub const fn is_sampled(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the level 2 random bit is set.
    pub const fn is_random(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// The same flags with the sampled bit set or cleared.
    #[must_use]
    pub const fn with_sampled(self, sampled: bool) -> Self {
        if sampled {
            TraceFlags(self.0 | 0x01)
        } else {
            TraceFlags(self.0 & !0x01)
        }
    }
}

/// The W3C `tracestate`: an ordered list of vendor entries, carried with the span context.
///
/// Cloning is cheap (one shared allocation, none when empty). Parsing, validation and
/// formatting of the header live in [`propagation`](crate::propagation).
///
/// # Examples
/// ```
/// use trace_core::TraceState;
/// let ts = TraceState::from_members(vec![("congo".into(), "t61rcWkgMzE".into())]);
/// assert_eq!(ts.get("congo"), Some("t61rcWkgMzE"));
/// assert!(TraceState::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TraceState(Option<Arc<[(String, String)]>>);

impl TraceState {
    /// Wraps members as given, in order (no validation: use the propagation parser for input
    /// from the wire).
    pub fn from_members(members: Vec<(String, String)>) -> Self {
        if members.is_empty() {
            TraceState(None)
        } else {
            TraceState(Some(members.into()))
        }
    }

    /// How many values share these members (0 when empty): tests check ownership moves.
    #[cfg(test)]
    pub(crate) fn holders(&self) -> usize {
        self.0.as_ref().map_or(0, Arc::strong_count)
    }

    /// The members, leftmost (most recent) first.
    pub fn members(&self) -> &[(String, String)] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `true` when there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

/// The identity of a span as it travels: ids, flags, trace state, and whether it came from
/// another process.
///
/// # Examples
/// ```
/// use trace_core::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// let cx = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
///     SpanId::from_hex("00f067aa0ba902b7").unwrap(),
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::default(),
/// );
/// assert!(cx.is_valid() && cx.is_sampled() && cx.is_remote);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpanContext {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// The span's own id.
    pub span_id: SpanId,
    /// W3C flags (sampled, random).
    pub trace_flags: TraceFlags,
    /// W3C `tracestate`.
    pub trace_state: TraceState,
    /// `true` when the context was extracted from another process.
    pub is_remote: bool,
}

impl SpanContext {
    /// Builds a span context.
    pub fn new(
        trace_id: TraceId,
        span_id: SpanId,
        trace_flags: TraceFlags,
        is_remote: bool,
        trace_state: TraceState,
    ) -> Self {
        SpanContext {
            trace_id,
            span_id,
            trace_flags,
            trace_state,
            is_remote,
        }
    }

    /// The invalid, empty context.
    pub fn empty() -> Self {
        SpanContext::new(
            TraceId::INVALID,
            SpanId::INVALID,
            TraceFlags::default(),
            false,
            TraceState::default(),
        )
    }

    /// Both ids are non-zero.
    pub fn is_valid(&self) -> bool {
        self.trace_id.is_valid() && self.span_id.is_valid()
    }

    /// The sampled flag.
    pub fn is_sampled(&self) -> bool {
        self.trace_flags.is_sampled()
    }
}
