//! Span levels: `#[traced(level = "debug")]`, the tracer's runtime maximum
//! (`TracerBuilder::max_level`), and the static maximum set by cargo features.

use std::fmt;
use std::str::FromStr;

/// How verbose a span is, as `tracing` and `log` levels: a span is recorded when its level is
/// at most the tracer's maximum ([`TracerBuilder::max_level`](crate::TracerBuilder::max_level),
/// default [`Level::Trace`]: everything) and the static maximum of the cargo features
/// (`max_level_*`, `release_max_level_*`). `#[traced]` spans are [`Level::Info`] unless
/// they say `#[traced(level = "debug")]`.
///
/// # Examples
/// ```
/// use trace_core::Level;
/// assert!(Level::Error < Level::Debug);
/// assert_eq!("debug".parse::<Level>(), Ok(Level::Debug));
/// assert_eq!(Level::Warn.to_string(), "warn");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Failures only.
    Error = 1,
    /// Problems that did not fail the operation.
    Warn = 2,
    /// The default: the operations a service is made of.
    Info = 3,
    /// Details for debugging.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl Level {
    /// Every level, from the least verbose.
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The lowercase name (`"info"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not one of `error`, `warn`, `info`, `debug`, `trace`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLevelError(());

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected one of `error`, `warn`, `info`, `debug`, `trace`")
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses a level name, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| s.trim().eq_ignore_ascii_case(l.as_str()))
            .ok_or(ParseLevelError(()))
    }
}

/// The most verbose level compiled in (0: none), from the cargo features: in a release
/// build (no `debug_assertions`) a `release_max_level_*` feature wins, then `max_level_*`.
/// With several, the most verbose applies (features are additive: a crate that asks for
/// `debug` spans keeps them when another asks for `info`, and `--all-features` compiles
/// everything in). A span above it is compiled out: its test is a constant `false`.
pub(crate) const STATIC_MAX: u8 = {
    let release = !cfg!(debug_assertions);
    let any_release = cfg!(feature = "release_max_level_off")
        || cfg!(feature = "release_max_level_error")
        || cfg!(feature = "release_max_level_warn")
        || cfg!(feature = "release_max_level_info")
        || cfg!(feature = "release_max_level_debug")
        || cfg!(feature = "release_max_level_trace");
    if release && any_release {
        if cfg!(feature = "release_max_level_trace") {
            5
        } else if cfg!(feature = "release_max_level_debug") {
            4
        } else if cfg!(feature = "release_max_level_info") {
            3
        } else if cfg!(feature = "release_max_level_warn") {
            2
        } else if cfg!(feature = "release_max_level_error") {
            1
        } else {
            0
        }
    } else if cfg!(feature = "max_level_trace") {
        5
    } else if cfg!(feature = "max_level_debug") {
        4
    } else if cfg!(feature = "max_level_info") {
        3
    } else if cfg!(feature = "max_level_warn") {
        2
    } else if cfg!(feature = "max_level_error") {
        1
    } else if cfg!(feature = "max_level_off") {
        0
    } else {
        5
    }
};
