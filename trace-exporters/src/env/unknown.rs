//! Variables that look like ours but are not: an `OTEL_*` (or `TRACED_EXPORTER_*`) name
//! that [`init_from_env`](crate::init_from_env) does not read, with the nearest name it
//! does read ("did you mean `OTEL_EXPORTER_OTLP_ENDPOINT`?"). Pure; `env/mod.rs` prints.

use std::fmt;

use crate::config_error::EnvVar;

/// Variables of the OpenTelemetry specification (or of other SDKs sharing the process)
/// that traced does not read and must not warn about.
const FOREIGN: &[&str] = &[
    "OTEL_LOG_LEVEL",
    "OTEL_CONFIG_FILE",
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OTEL_METRIC_EXPORT_INTERVAL",
    "OTEL_METRIC_EXPORT_TIMEOUT",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
    "OTEL_SEMCONV_STABILITY_OPT_IN",
    "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT",
    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT",
];

/// Prefixes of the same: other signals, other exporters, language-specific settings.
const FOREIGN_PREFIXES: &[&str] = &[
    "OTEL_EXPORTER_OTLP_METRICS_",
    "OTEL_EXPORTER_OTLP_LOGS_",
    "OTEL_EXPORTER_ZIPKIN_",
    "OTEL_EXPORTER_JAEGER_",
    "OTEL_EXPORTER_PROMETHEUS_",
    "OTEL_METRICS_",
    "OTEL_BLRP_",
    "OTEL_EXPERIMENTAL_",
    "OTEL_INSTRUMENTATION_",
    "OTEL_DOTNET_",
    "OTEL_GO_",
    "OTEL_JAVA",
    "OTEL_NODE_",
    "OTEL_PHP_",
    "OTEL_PYTHON_",
    "OTEL_RUBY_",
];

/// A suggestion is made at most this many edits away (a transposition is one edit).
const MAX_DISTANCE: usize = 3;

/// A variable that looks like one of ours and is not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnknownVar {
    pub(crate) name: String,
    pub(crate) nearest: Option<EnvVar>,
}

impl fmt::Display for UnknownVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "traced: {} is not a variable traced reads", self.name)?;
        match self.nearest {
            Some(v) => write!(f, "; did you mean {v}?"),
            None => f.write_str(" (ignored)"),
        }
    }
}

/// The names among `names` that look like ours but are not, each with its nearest
/// known variable when one is close.
pub(crate) fn unknown_variables<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<UnknownVar> {
    names
        .into_iter()
        .filter(|name| looks_like_ours(name) && EnvVar::from_name(name).is_none())
        .map(|name| UnknownVar {
            name: name.to_owned(),
            nearest: nearest(name),
        })
        .collect()
}

fn looks_like_ours(name: &str) -> bool {
    (name.starts_with("OTEL_") || name.starts_with("TRACED_EXPORTER_"))
        && !FOREIGN.contains(&name)
        && !FOREIGN_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn nearest(name: &str) -> Option<EnvVar> {
    let upper = name.to_ascii_uppercase();
    EnvVar::ALL
        .iter()
        .map(|v| (distance(&upper, v.name()), *v))
        .filter(|(d, _)| *d <= MAX_DISTANCE)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), on bytes.
/// Names are short (under 64 bytes); a longer one is not a typo of ours.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > MAX_DISTANCE || a.len() > 64 {
        return usize::MAX;
    }
    // Three rows: two back (for transpositions), one back, current.
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelling_gets_the_nearest_name() {
        let unknown = unknown_variables(["OTEL_EXPORTER_OTLP_ENDPIONT"]);
        assert_eq!(
            unknown,
            vec![UnknownVar {
                name: "OTEL_EXPORTER_OTLP_ENDPIONT".to_owned(),
                nearest: Some(EnvVar::OtlpEndpoint),
            }]
        );
        assert_eq!(
            unknown[0].to_string(),
            "traced: OTEL_EXPORTER_OTLP_ENDPIONT is not a variable traced reads; \
             did you mean OTEL_EXPORTER_OTLP_ENDPOINT?"
        );
        assert_eq!(nearest("OTEL_TRACE_SAMPLER"), Some(EnvVar::TracesSampler));
        assert_eq!(nearest("OTEL_BSP_MAX_QUEUE"), None);
        assert_eq!(nearest("otel_service_name"), Some(EnvVar::ServiceName));
    }

    #[test]
    fn known_and_foreign_names_are_quiet() {
        let names = [
            "OTEL_SERVICE_NAME",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "TRACED_EXPORTER_FILE_PATH",
            "OTEL_METRICS_EXPORTER",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "OTEL_BLRP_SCHEDULE_DELAY",
            "OTEL_PYTHON_LOG_CORRELATION",
            "PATH",
            "TRACED_CACHE",
        ];
        assert_eq!(unknown_variables(names), Vec::new());
        let far = unknown_variables(["OTEL_SOMETHING_ELSE_ENTIRELY"]);
        assert_eq!(far.len(), 1);
        assert_eq!(far[0].nearest, None);
        assert!(far[0].to_string().ends_with("(ignored)"));
    }

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(distance("ENDPOINT", "ENDPOINT"), 0);
        assert_eq!(distance("ENDPIONT", "ENDPOINT"), 1);
        assert_eq!(distance("ENDPONT", "ENDPOINT"), 1);
        assert_eq!(distance("ABC", "ABCDEFGH"), usize::MAX);
    }
}
