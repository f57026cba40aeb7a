//! The span clock: raw time-stamp readings on the hot path, wall-clock time for exporters.

use std::time::{Duration, SystemTime};

/// The span clock (the CPU's time-stamp counter where there is one) and the wall-clock
/// time it is anchored to, taken when the tracer is installed.
#[derive(Clone, Debug)]
pub(crate) struct Epoch {
    pub(crate) clock: quanta::Clock,
    anchor_system: SystemTime,
    anchor_raw: u64,
}

impl Epoch {
    pub(crate) fn new() -> Self {
        let clock = quanta::Clock::new();
        let anchor_raw = clock.raw();
        Epoch {
            clock,
            anchor_system: SystemTime::now(),
            anchor_raw,
        }
    }

    /// An epoch on quanta's mock clock (no CPU clock read: usable under Miri).
    #[cfg(test)]
    pub(crate) fn mock() -> Self {
        let (clock, _) = quanta::Clock::mock();
        Epoch {
            clock,
            anchor_system: SystemTime::UNIX_EPOCH,
            anchor_raw: 0,
        }
    }

    /// Converts a raw clock reading to wall-clock time, against the anchor.
    pub(crate) fn to_system_time(&self, raw: u64) -> SystemTime {
        if raw >= self.anchor_raw {
            self.anchor_system
                + Duration::from_nanos(self.clock.delta_as_nanos(self.anchor_raw, raw))
        } else {
            self.anchor_system
                - Duration::from_nanos(self.clock.delta_as_nanos(raw, self.anchor_raw))
        }
    }
}
