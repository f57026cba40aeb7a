//! Export failures made visible as they happen: to the application's hook
//! (`TracerBuilder::on_error`), or by default to stderr, the first failure at once and then
//! a summary at most every [`SUMMARY_INTERVAL`].

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::export::{ExportError, ExportFailure};
use crate::panic::message;

/// The application's error hook.
pub(crate) type ErrorHook = Arc<dyn Fn(&ExportFailure) + Send + Sync>;

/// The longest time between two stderr lines about failures while they keep happening.
pub(crate) const SUMMARY_INTERVAL: Duration = Duration::from_secs(10);

/// Where a processor reports failures.
pub(crate) struct Reporter {
    hook: Option<ErrorHook>,
    summary: Mutex<Summary>,
}

/// The default reporter's state: what happened since the last line it printed.
#[derive(Default)]
struct Summary {
    last_line: Option<Instant>,
    failures: u64,
    spans: u64,
    last: Option<ExportFailure>,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl Reporter {
    pub(crate) fn new(hook: Option<ErrorHook>) -> Self {
        Reporter {
            hook,
            summary: Mutex::new(Summary::default()),
        }
    }

    /// Reports one failure. A hook that panics is contained (the pipeline goes on).
    pub(crate) fn report(&self, failure: ExportFailure) {
        match &self.hook {
            Some(hook) => {
                let _ = panic::catch_unwind(AssertUnwindSafe(|| hook(&failure)));
            }
            None => {
                if let Some(line) = self.summarize(failure, Instant::now()) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// The stderr line for `failure` at `now`, if one is due: the first failure, then a
    /// summary of those since the last line once `SUMMARY_INTERVAL` has passed.
    fn summarize(&self, failure: ExportFailure, now: Instant) -> Option<String> {
        let mut s = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(last_line) = s.last_line else {
            s.last_line = Some(now);
            return Some(format!(
                "traced: {failure} (further failures are summarized at most every {}s)",
                SUMMARY_INTERVAL.as_secs()
            ));
        };
        s.failures += 1;
        s.spans += failure.spans;
        s.last = Some(failure);
        if now.saturating_duration_since(last_line) < SUMMARY_INTERVAL {
            return None;
        }
        s.last_line = Some(now);
        Some(take_summary(
            &mut s,
            now.saturating_duration_since(last_line),
        ))
    }

    /// Prints what the default reporter still holds (at shutdown).
    pub(crate) fn flush(&self) {
        if self.hook.is_some() {
            return;
        }
        let mut s = self.summary.lock().unwrap_or_else(PoisonError::into_inner);
        if s.failures > 0 {
            let since = s.last_line.map_or(Duration::ZERO, |t| t.elapsed());
            eprintln!("{}", take_summary(&mut s, since));
        }
    }
}

fn take_summary(s: &mut Summary, since: Duration) -> String {
    let line = format!(
        "traced: {} more export failures in the last {}s ({} spans lost); the last: {}",
        s.failures,
        since.as_secs(),
        s.spans,
        s.last
            .as_ref()
            .map_or_else(String::new, ToString::to_string),
    );
    s.failures = 0;
    s.spans = 0;
    s.last = None;
    line
}

/// The error an exporter's panic becomes.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> ExportError {
    let message = message(payload).unwrap_or_else(|| "a non-string payload".to_owned());
    ExportError::Other(format!("the exporter panicked: {message}"))
}

/// Runs an exporter call, turning a panic into an error.
pub(crate) fn contained<R>(f: impl FnOnce() -> Result<R, ExportError>) -> Result<R, ExportError> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panicked(&*payload)))
}

#[cfg(test)]
mod tests {
    use super::{Reporter, SUMMARY_INTERVAL};
    use crate::export::{ExportError, ExportFailure, FailureStage};
    use std::time::{Duration, Instant};

    fn failure(n: u64) -> ExportFailure {
        ExportFailure::new(ExportError::new("refused"), n, FailureStage::Export)
    }

    #[test]
    fn the_first_failure_is_printed_then_summaries_at_most_every_interval() {
        let r = Reporter::new(None);
        let t0 = Instant::now();
        let first = r.summarize(failure(3), t0).expect("the first is printed");
        assert!(
            first.contains("export failed (3 spans lost): refused"),
            "{first}"
        );
        assert_eq!(r.summarize(failure(5), t0 + Duration::from_secs(1)), None);
        assert_eq!(r.summarize(failure(7), t0 + Duration::from_secs(2)), None);
        let summary = r
            .summarize(failure(11), t0 + SUMMARY_INTERVAL)
            .expect("a summary after the interval");
        assert!(summary.contains("3 more export failures"), "{summary}");
        assert!(summary.contains("(23 spans lost)"), "{summary}");
        assert_eq!(
            r.summarize(failure(1), t0 + SUMMARY_INTERVAL + Duration::from_secs(1)),
            None
        );
    }
}
