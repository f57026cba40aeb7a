//! Samplers: which spans are recorded and exported.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::id::TraceId;
use crate::model::SpanKind;
use crate::span_context::SpanContext;
use crate::value::KeyValue;

/// What a sampler decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplingDecision {
    /// Not recorded, not exported; the context still propagates with the sampled flag off.
    Drop,
    /// Recorded and exported.
    RecordAndSample,
}

/// What a sampler can know about a span's parent before any id exists: whether there is
/// one, whether it is sampled, and whether it came from another process. See
/// [`Sampler::fixed_decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParentState {
    /// No (valid) parent: the span is a root.
    None,
    /// A sampled parent in this process.
    LocalSampled,
    /// A parent in this process that is not sampled.
    LocalNotSampled,
    /// A sampled parent from another process.
    RemoteSampled,
    /// A parent from another process that is not sampled.
    RemoteNotSampled,
}

impl ParentState {
    /// Every state, in the order of [`index`](Self::index).
    pub const ALL: [ParentState; 5] = [
        ParentState::None,
        ParentState::LocalSampled,
        ParentState::LocalNotSampled,
        ParentState::RemoteSampled,
        ParentState::RemoteNotSampled,
    ];

    /// The state of `parent` (an invalid context counts as no parent).
    pub fn of(parent: Option<&SpanContext>) -> Self {
        match parent {
            Some(p) if p.is_valid() => ParentState::from_flags(p.is_sampled(), p.is_remote),
            _ => ParentState::None,
        }
    }

    pub(crate) const fn from_flags(sampled: bool, remote: bool) -> Self {
        match (sampled, remote) {
            (true, false) => ParentState::LocalSampled,
            (false, false) => ParentState::LocalNotSampled,
            (true, true) => ParentState::RemoteSampled,
            (false, true) => ParentState::RemoteNotSampled,
        }
    }

    /// A dense index (0..5), for tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// `true` for a parent that exists and is not sampled.
    pub const fn is_not_sampled_parent(self) -> bool {
        matches!(
            self,
            ParentState::LocalNotSampled | ParentState::RemoteNotSampled
        )
    }
}

/// Decides, when a span starts, whether it is recorded.
///
/// Called on the hot path of every span: implementations must be fast and must not block.
/// A sampler whose answer depends only on the parent's state should also say so in
/// [`fixed_decision`](Self::fixed_decision): the tracer then decides without generating ids
/// or calling [`should_sample`](Self::should_sample), which is what makes an unsampled span
/// cost a few nanoseconds. A span so dropped under a parent that is not sampled is not made
/// at all when it is entered (`start`, `#[traced]` functions, sync or `async fn`): the
/// parent's context stays current inside it. A detached span (`start_detached`, a traced
/// function returning a future) still gets a non-recording context of its own.
pub trait Sampler: Send + Sync + 'static {
    /// The decision for a span about to start.
    fn should_sample(
        &self,
        parent: Option<&SpanContext>,
        trace_id: TraceId,
        name: &str,
        kind: SpanKind,
        attributes: &[KeyValue],
    ) -> SamplingDecision;

    /// A short description, e.g. `TraceIdRatioBased{0.25}`.
    fn description(&self) -> String;

    /// The decision for every span whose parent is in `parent` state, when it depends on
    /// nothing else (not the trace id, name, kind, attributes or time); `None` (the default)
    /// when [`should_sample`](Self::should_sample) must be asked each time.
    ///
    /// The tracer asks once per state when it is installed and keeps the answers, so the
    /// answer must not change over the sampler's life, and must agree with `should_sample`.
    fn fixed_decision(&self, parent: ParentState) -> Option<SamplingDecision> {
        let _ = parent;
        None
    }
}

/// Samples every span.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOn;

/// Samples no span.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOn {
    #[inline]
    fn should_sample(
        &self,
        _: Option<&SpanContext>,
        _: TraceId,
        _: &str,
        _: SpanKind,
        _: &[KeyValue],
    ) -> SamplingDecision {
        SamplingDecision::RecordAndSample
    }
    fn description(&self) -> String {
        "AlwaysOnSampler".into()
    }
    fn fixed_decision(&self, _: ParentState) -> Option<SamplingDecision> {
        Some(SamplingDecision::RecordAndSample)
    }
}

impl Sampler for AlwaysOff {
    #[inline]
    fn should_sample(
        &self,
        _: Option<&SpanContext>,
        _: TraceId,
        _: &str,
        _: SpanKind,
        _: &[KeyValue],
    ) -> SamplingDecision {
        SamplingDecision::Drop
    }
    fn description(&self) -> String {
        "AlwaysOffSampler".into()
    }
    fn fixed_decision(&self, _: ParentState) -> Option<SamplingDecision> {
        Some(SamplingDecision::Drop)
    }
}

/// Samples a fraction of traces, deciding on the trace id alone so that every process of a
/// trace agrees. Uses the trace id's last 7 bytes (the part W3C level 2 guarantees random).
///
/// # Examples
/// ```
/// use trace_core::{Sampler, SamplingDecision, SpanKind, TraceId, TraceIdRatio};
/// let s = TraceIdRatio::new(0.5);
/// let low = TraceId::from_hex("00000000000000000000000000000001").unwrap();
/// assert_eq!(s.should_sample(None, low, "x", SpanKind::Internal, &[]), SamplingDecision::RecordAndSample);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TraceIdRatio {
    ratio: f64,
    threshold: u64,
}

impl TraceIdRatio {
    /// Samples `ratio` of traces; values are clamped to `0.0..=1.0` (NaN samples nothing).
    pub fn new(ratio: f64) -> Self {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        // 56 random bits; a trace is sampled when its value is below ratio * 2^56.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let threshold = (ratio * (1u64 << 56) as f64) as u64;
        TraceIdRatio { ratio, threshold }
    }

    /// The configured ratio.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

impl Sampler for TraceIdRatio {
    #[inline]
    fn should_sample(
        &self,
        _: Option<&SpanContext>,
        trace_id: TraceId,
        _: &str,
        _: SpanKind,
        _: &[KeyValue],
    ) -> SamplingDecision {
        let b = trace_id.to_bytes();
        let mut low = [0u8; 8];
        low[1..].copy_from_slice(&b[9..]);
        if u64::from_be_bytes(low) < self.threshold || self.ratio >= 1.0 {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        }
    }
    fn description(&self) -> String {
        format!("TraceIdRatioBased{{{}}}", self.ratio)
    }
    fn fixed_decision(&self, _: ParentState) -> Option<SamplingDecision> {
        if self.ratio >= 1.0 {
            Some(SamplingDecision::RecordAndSample)
        } else if self.threshold == 0 {
            Some(SamplingDecision::Drop)
        } else {
            None
        }
    }
}

/// Follows the parent's decision; asks `root` for spans without a parent. The default
/// sampler is `ParentBased::new(AlwaysOn)`.
#[derive(Debug)]
pub struct ParentBased<S> {
    root: S,
}

impl<S: Sampler> ParentBased<S> {
    /// Delegates root spans to `root`.
    pub fn new(root: S) -> Self {
        ParentBased { root }
    }
}

impl<S: Sampler> Sampler for ParentBased<S> {
    #[inline]
    fn should_sample(
        &self,
        parent: Option<&SpanContext>,
        trace_id: TraceId,
        name: &str,
        kind: SpanKind,
        attributes: &[KeyValue],
    ) -> SamplingDecision {
        match parent {
            Some(p) if p.is_valid() => {
                if p.is_sampled() {
                    SamplingDecision::RecordAndSample
                } else {
                    SamplingDecision::Drop
                }
            }
            _ => self
                .root
                .should_sample(parent, trace_id, name, kind, attributes),
        }
    }
    fn description(&self) -> String {
        format!("ParentBased{{root={}}}", self.root.description())
    }
    fn fixed_decision(&self, parent: ParentState) -> Option<SamplingDecision> {
        match parent {
            ParentState::None => self.root.fixed_decision(ParentState::None),
            ParentState::LocalSampled | ParentState::RemoteSampled => {
                Some(SamplingDecision::RecordAndSample)
            }
            ParentState::LocalNotSampled | ParentState::RemoteNotSampled => {
                Some(SamplingDecision::Drop)
            }
        }
    }
}

/// Samples at most `n` root decisions per second (a lock-free token bucket with a burst of
/// one second's worth), so an overloaded service keeps a steady trace volume.
///
/// # Examples
/// ```
/// use trace_core::{RateLimited, Sampler, SamplingDecision, SpanKind, TraceId};
/// let s = RateLimited::per_second(2.0);
/// let d: Vec<_> = (0..5).map(|_| s.should_sample(None, TraceId::random(), "x", SpanKind::Internal, &[])).collect();
/// assert_eq!(d.iter().filter(|d| **d == SamplingDecision::RecordAndSample).count(), 2);
/// ```
#[derive(Debug)]
pub struct RateLimited {
    per_second: f64,
    interval_ns: u64,
    burst_ns: u64,
    origin: Instant,
    /// Generic cell rate algorithm: the theoretical arrival time, in ns since `origin`.
    tat: AtomicU64,
}

impl RateLimited {
    /// At most `n` spans per second; `n <= 0` (or NaN) samples nothing.
    pub fn per_second(n: f64) -> Self {
        let n = if n.is_nan() { 0.0 } else { n.max(0.0) };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let interval_ns = if n > 0.0 {
            (1e9 / n).max(1.0) as u64
        } else {
            u64::MAX
        };
        RateLimited {
            per_second: n,
            interval_ns,
            burst_ns: 1_000_000_000,
            origin: Instant::now(),
            tat: AtomicU64::new(0),
        }
    }
}

impl Sampler for RateLimited {
    fn should_sample(
        &self,
        _: Option<&SpanContext>,
        _: TraceId,
        _: &str,
        _: SpanKind,
        _: &[KeyValue],
    ) -> SamplingDecision {
        self.decide_at(u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }
    fn description(&self) -> String {
        format!("RateLimited{{{}}}", self.per_second)
    }
    fn fixed_decision(&self, _: ParentState) -> Option<SamplingDecision> {
        (self.interval_ns == u64::MAX).then_some(SamplingDecision::Drop)
    }
}

impl RateLimited {
    /// The decision for a span starting `now` ns after the sampler was made.
    fn decide_at(&self, now: u64) -> SamplingDecision {
        if self.interval_ns == u64::MAX {
            return SamplingDecision::Drop;
        }
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            let next = start.saturating_add(self.interval_ns);
            if next - now > self.burst_ns.max(self.interval_ns) {
                return SamplingDecision::Drop;
            }
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return SamplingDecision::RecordAndSample,
                Err(actual) => tat = actual,
            }
        }
    }
}

/// What starting an entered span (current parent, no extras) takes, by the parent's state:
/// the sampler's fixed decisions turned into actions when the tracer is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuickStart {
    /// Dropped under a parent that is not sampled: nothing to push, the parent stays current.
    Nothing,
    /// A dropped root: entered lazily (ids only if asked for).
    LazyRoot,
    /// Sampled.
    Sampled,
    /// Ask the sampler (or a dropped child of a sampled parent, which needs its own id).
    General,
}

impl QuickStart {
    pub(crate) fn table(fixed: [Option<SamplingDecision>; 5]) -> [QuickStart; 5] {
        ParentState::ALL.map(|state| match fixed[state.index()] {
            Some(SamplingDecision::Drop) if state.is_not_sampled_parent() => QuickStart::Nothing,
            Some(SamplingDecision::Drop) if state == ParentState::None => QuickStart::LazyRoot,
            Some(SamplingDecision::RecordAndSample) => QuickStart::Sampled,
            _ => QuickStart::General,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SpanId;
    use crate::span_context::{TraceFlags, TraceState};

    fn decide(s: &dyn Sampler, parent: Option<&SpanContext>) -> SamplingDecision {
        s.should_sample(parent, TraceId::random(), "n", SpanKind::Internal, &[])
    }

    #[test]
    fn ratio_is_deterministic_and_close() {
        let s = TraceIdRatio::new(0.25);
        let ids: Vec<_> = (0..20_000).map(|_| TraceId::random()).collect();
        let first: Vec<_> = ids
            .iter()
            .map(|t| s.should_sample(None, *t, "", SpanKind::Internal, &[]))
            .collect();
        let second: Vec<_> = ids
            .iter()
            .map(|t| s.should_sample(None, *t, "", SpanKind::Internal, &[]))
            .collect();
        assert_eq!(first, second);
        let n = first
            .iter()
            .filter(|d| **d == SamplingDecision::RecordAndSample)
            .count();
        assert!((4_000..6_000).contains(&n), "{n}");
        assert_eq!(
            decide(&TraceIdRatio::new(0.0), None),
            SamplingDecision::Drop
        );
        assert_eq!(
            decide(&TraceIdRatio::new(1.0), None),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&TraceIdRatio::new(f64::NAN), None),
            SamplingDecision::Drop
        );
    }

    /// Every sampler's fixed decision, where it gives one, is what `should_sample` says for
    /// any trace id under a parent in that state.
    #[test]
    fn fixed_decisions_agree_with_should_sample() {
        let samplers: Vec<Box<dyn Sampler>> = vec![
            Box::new(AlwaysOn),
            Box::new(AlwaysOff),
            Box::new(TraceIdRatio::new(0.0)),
            Box::new(TraceIdRatio::new(1.0)),
            Box::new(TraceIdRatio::new(0.5)),
            Box::new(ParentBased::new(AlwaysOn)),
            Box::new(ParentBased::new(AlwaysOff)),
            Box::new(ParentBased::new(TraceIdRatio::new(0.5))),
            Box::new(RateLimited::per_second(0.0)),
        ];
        let parent = |sampled: bool, remote: bool| {
            SpanContext::new(
                TraceId::random(),
                SpanId::random(),
                TraceFlags::default().with_sampled(sampled),
                remote,
                TraceState::default(),
            )
        };
        let mut fixed_count = 0;
        for s in &samplers {
            for state in ParentState::ALL {
                let Some(fixed) = s.fixed_decision(state) else {
                    continue;
                };
                fixed_count += 1;
                let p = match state {
                    ParentState::None => None,
                    ParentState::LocalSampled => Some(parent(true, false)),
                    ParentState::LocalNotSampled => Some(parent(false, false)),
                    ParentState::RemoteSampled => Some(parent(true, true)),
                    ParentState::RemoteNotSampled => Some(parent(false, true)),
                };
                assert_eq!(ParentState::of(p.as_ref()), state);
                for _ in 0..200 {
                    assert_eq!(decide(s.as_ref(), p.as_ref()), fixed, "{}", s.description());
                }
            }
        }
        // TraceIdRatio(0.5) has no fixed root decision; ParentBased of it only for parents.
        assert_eq!(
            TraceIdRatio::new(0.5).fixed_decision(ParentState::None),
            None
        );
        assert_eq!(
            ParentBased::new(TraceIdRatio::new(0.5)).fixed_decision(ParentState::None),
            None
        );
        assert_eq!(fixed_count, 5 * 7 + 4);
    }

    #[test]
    fn parent_based_follows_parent() {
        let s = ParentBased::new(AlwaysOff);
        let mk = |flags| {
            SpanContext::new(
                TraceId::random(),
                SpanId::random(),
                flags,
                true,
                TraceState::default(),
            )
        };
        assert_eq!(
            decide(&s, Some(&mk(TraceFlags::SAMPLED))),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&s, Some(&mk(TraceFlags::default()))),
            SamplingDecision::Drop
        );
        assert_eq!(decide(&s, None), SamplingDecision::Drop);
        assert_eq!(
            decide(&ParentBased::new(AlwaysOn), None),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(s.description(), "ParentBased{root=AlwaysOffSampler}");
    }

    /// At fixed instants (no wall clock): a burst of one second's worth, then one span per
    /// interval, and a full burst again after a quiet second.
    #[test]
    fn rate_limited_caps_burst() {
        let s = RateLimited::per_second(10.0);
        let sampled_at = |now: u64| {
            (0..100)
                .filter(|_| s.decide_at(now) == SamplingDecision::RecordAndSample)
                .count()
        };
        assert_eq!(sampled_at(0), 10, "the burst");
        assert_eq!(sampled_at(50_000_000), 0, "half an interval later");
        assert_eq!(sampled_at(100_000_000), 1, "one interval later");
        assert_eq!(
            sampled_at(5_000_000_000),
            10,
            "a full burst after a quiet time"
        );
        assert_eq!(
            decide(&RateLimited::per_second(0.0), None),
            SamplingDecision::Drop
        );
        // Through the sampler interface, at whatever time it is: time passing only adds
        // room, so at least the burst is sampled (how many more depends on the clock).
        let s = RateLimited::per_second(10.0);
        let n = (0..100)
            .filter(|_| decide(&s, None) == SamplingDecision::RecordAndSample)
            .count();
        assert!(n >= 10, "{n}");
    }

    /// The entered-span actions follow the sampler's fixed decisions.
    #[test]
    fn quick_start_tables_follow_the_fixed_decisions() {
        use crate::sampler::QuickStart::{General, LazyRoot, Nothing, Sampled};
        use crate::sampler::{
            AlwaysOff, AlwaysOn, ParentBased, ParentState, Sampler, TraceIdRatio,
        };
        let table = |s: &dyn Sampler| {
            crate::sampler::QuickStart::table(ParentState::ALL.map(|p| s.fixed_decision(p)))
        };
        // Order: none, local sampled, local not sampled, remote sampled, remote not sampled.
        assert_eq!(
            table(&ParentBased::new(AlwaysOff)),
            [LazyRoot, Sampled, Nothing, Sampled, Nothing]
        );
        // A dropped child of a sampled parent needs its own span id: the general path.
        assert_eq!(
            table(&AlwaysOff),
            [LazyRoot, General, Nothing, General, Nothing]
        );
        assert_eq!(table(&AlwaysOn), [Sampled; 5]);
        assert_eq!(
            table(&ParentBased::new(TraceIdRatio::new(0.5))),
            [General, Sampled, Nothing, Sampled, Nothing]
        );
        assert_eq!(table(&TraceIdRatio::new(0.5)), [General; 5]);
    }
}
