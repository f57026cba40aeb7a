//! When and how long to wait before sending an export again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the OTLP exporter retries an export the collector could not take.
///
/// Retries happen on HTTP 429, 502, 503 and 504 and on connection errors,
/// never on other responses. The wait grows exponentially from
/// `initial_backoff` up to `max_backoff`, each wait randomised into
/// `[d/2, d]` (jitter) so that many processes do not retry in lockstep. A
/// `Retry-After` answer from the collector replaces the computed wait. All
/// attempts of one export share its timeout: when the next attempt could
/// not start before it, the export fails with the last error. An export
/// made while the tracer flushes or shuts down
/// ([`SpanExporter::export_until`](trace_core::SpanExporter::export_until))
/// also stops at that deadline and does not retry a connection that cannot
/// be made (refused, host not found or unreachable).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use trace_exporters::RetryConfig;
///
/// let retry = RetryConfig::default().initial_backoff(Duration::from_millis(100));
/// assert_eq!(retry.max_backoff_value(), Duration::from_secs(5));
/// let none = RetryConfig::disabled();
/// assert!(!none.is_enabled());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    enabled: bool,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryConfig {
    /// Retries on, first wait 500 ms, waits capped at 5 s.
    fn default() -> Self {
        Self {
            enabled: true,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryConfig {
    /// No retries: every export is a single attempt.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Sets the wait before the first retry (doubled for each further one).
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets the longest computed wait between two attempts.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Whether failed exports are retried.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The wait before the first retry.
    pub fn initial_backoff_value(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest computed wait between two attempts.
    pub fn max_backoff_value(&self) -> Duration {
        self.max_backoff
    }

    /// The wait before retry number `retry` (0 for the first), jittered by
    /// `rng` into `[d/2, d]`.
    pub(crate) fn backoff(&self, retry: u32, rng: &mut Jitter) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = full / 2;
        let nanos = u64::try_from(full.saturating_sub(half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(if nanos == 0 {
            0
        } else {
            rng.next() % (nanos + 1)
        })
    }
}

/// Whether an HTTP status means "try again later" for OTLP/HTTP.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// A small xorshift generator for jitter, seeded from the process's hash
/// keys (randomised per process by the standard library).
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Self(hasher.finish() | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Parses a `Retry-After` header: delay-seconds, or an HTTP date
/// (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) relative to `now`. A date
/// in the past means "now". Anything else is `None` (the caller then uses
/// its own backoff).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = parse_imf_fixdate(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the Unix epoch of an IMF-fixdate.
fn parse_imf_fixdate(s: &str) -> Option<u64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let mut parts = s.split(' ');
    let weekday = parts.next()?;
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next()?;
    if parts.next().is_some() || zone != "GMT" || weekday.len() != 4 || !weekday.ends_with(',') {
        return None;
    }
    let day: u64 = two_digits(day)?;
    let month = match month {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: u64 = year.parse().ok()?;
    let mut hms = time.split(':');
    let h = two_digits(hms.next()?)?;
    let m = two_digits(hms.next()?)?;
    let sec = two_digits(hms.next()?)?;
    if hms.next().is_some() || h > 23 || m > 59 || sec > 60 || day == 0 || day > 31 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

fn two_digits(s: &str) -> Option<u64> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    // Shift the year to start in March so the leap day is last.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_http_date() {
        // 1994-11-06T08:49:37Z is 784111777 s after the epoch.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777 - 30);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(30))
        );
        let later = UNIX_EPOCH + Duration::from_secs(784_111_777 + 30);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_imf_fixdate("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", now),
            None
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", now),
            None
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let cfg = RetryConfig::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1));
        let mut rng = Jitter::new();
        for _ in 0..200 {
            let first = cfg.backoff(0, &mut rng);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = cfg.backoff(2, &mut rng);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = cfg.backoff(40, &mut rng);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
        let zero = RetryConfig::default().initial_backoff(Duration::ZERO);
        assert_eq!(zero.backoff(3, &mut rng), Duration::ZERO);
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 400, 401, 403, 404, 413, 415, 500, 501] {
            assert!(!is_retryable_status(s));
        }
    }
}
