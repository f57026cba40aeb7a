//! Setup from the standard `OTEL_*` environment variables.
//!
//! Parsing is pure (a lookup function in, an [`EnvConfig`] out) so every
//! variable is unit-tested without touching the process environment;
//! [`init_from_env`] applies the result to a [`Tracer`] builder.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use trace_core::propagation::Propagators;
use trace_core::{
    AlwaysOff, AlwaysOn, BatchConfig, KeyValue, ParentBased, RateLimited, SpanExporter, SpanLimits,
    TraceIdRatio, Tracer, TracerBuilder, TracerGuard,
};

use crate::otlp::{Compression, OtlpExporter, Protocol, TlsSettings, DEFAULT_TIMEOUT};
use crate::{FileExporter, MultiExporter, StdoutExporter};

/// Installs the global tracer as the standard `OTEL_*` environment
/// variables say, and returns its guard (keep it alive; dropping it flushes
/// and shuts down).
///
/// | variable | accepted values (default) |
/// | --- | --- |
/// | `OTEL_SDK_DISABLED` | `true`, `false` (`false`); `true` installs a tracer that records and exports nothing |
/// | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `none` (`tracecontext,baggage`); set process-wide by `init_from_env` only |
/// | `OTEL_SERVICE_NAME` | the `service.name` resource attribute (`unknown_service:<executable name>`) |
/// | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,key2=value2`, percent-encoded; `OTEL_SERVICE_NAME` wins over a `service.name` here |
/// | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`, `ratelimited` (`parentbased_always_on`) |
/// | `OTEL_TRACES_SAMPLER_ARG` | the ratio from 0 to 1 for the `*traceidratio` samplers (1.0); spans per second for `ratelimited` (100) |
/// | `OTEL_TRACES_EXPORTER` | a comma-separated list of `otlp`, `console`, `file`, or `none` (`otlp`) |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL, `/v1/traces` is appended (`http://localhost:4318`) |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | the full URL, used as is; wins over the base URL |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` | `http/protobuf`, `http/json` (`http/protobuf`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` | `name=value,name2=value2`, percent-encoded |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` | milliseconds per export, retries included (`10000`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` | `gzip`, `none` (`none`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE` | a PEM file of trusted roots for `https://` (the bundled web roots); `tls` feature |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`, `_CLIENT_KEY` | PEM files for mutual TLS, set together; `tls` feature |
/// | `OTEL_BSP_SCHEDULE_DELAY` | milliseconds between exports (`5000`) |
/// | `OTEL_BSP_EXPORT_TIMEOUT` | milliseconds an export (and shutdown) may take (`30000`) |
/// | `OTEL_BSP_MAX_QUEUE_SIZE` | spans queued before new ones are dropped (`2048`) |
/// | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | spans per export, at most the queue size (`512`) |
/// | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (or `OTEL_ATTRIBUTE_COUNT_LIMIT`) | attributes per span (`128`) |
/// | `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT` | events, links per span (`128`) |
/// | `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` | attributes per event, per link (`128`) |
/// | `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (or `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) | longest string value kept (no limit) |
/// | `TRACED_EXPORTER_FILE_PATH` | the `file` exporter's JSON-lines file (`traces.jsonl`) |
/// | `TRACED_EXPORTER_FILE_MAX_BYTES`, `TRACED_EXPORTER_FILE_MAX_FILES` | rotation of that file (none; 5 files) |
/// | `TRACED_EXPORTER_CONSOLE_FORMAT` | `pretty`, `json` (`pretty`) |
///
/// The `TRACES_` variant of a variable wins over the general one. Empty
/// values count as unset; names of samplers, exporters, protocols and
/// compressions are case-insensitive.
///
/// # Errors
///
/// A [`ConfigError`] naming the first variable whose value is not
/// accepted, the value and what is accepted; nothing is installed then.
///
/// # Examples
///
/// ```no_run
/// // With no OTEL_* variables set this exports to http://localhost:4318.
/// match trace_exporters::init_from_env() {
///     Ok(guard) => {
///         trace_core::span("work").start();
///         drop(guard);
///     }
///     Err(e) => eprintln!("tracing not set up: {e}"),
/// }
/// ```
pub fn init_from_env() -> Result<TracerGuard, ConfigError> {
    let config = EnvConfig::from_lookup(|name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    })?;
    let propagators = config.propagators;
    let builder = config.builder()?;
    if let Some(p) = propagators {
        trace_core::propagation::set_propagators(p);
    }
    Ok(builder.install_global())
}

/// The [`Tracer`] builder that [`init_from_env`] installs, to adjust before
/// installing it (for example to add resource attributes).
///
/// # Errors
///
/// As [`init_from_env`].
///
/// # Examples
///
/// ```
/// let builder = trace_exporters::builder_from_env()?
///     .resource(trace_core::KeyValue::new("deployment.environment", "test"));
/// let guard = builder.install_global();
/// drop(guard);
/// # Ok::<(), trace_exporters::ConfigError>(())
/// ```
pub fn builder_from_env() -> Result<TracerBuilder, ConfigError> {
    EnvConfig::from_lookup(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))?
        .builder()
}

/// A setting that could not be used: which variable (or builder method),
/// the value it had, and what is accepted.
///
/// # Examples
///
/// ```
/// let err = trace_exporters::ConfigError::new(
///     "OTEL_TRACES_SAMPLER",
///     "sometimes",
///     "one of always_on, always_off",
/// );
/// assert_eq!(err.variable(), "OTEL_TRACES_SAMPLER");
/// assert_eq!(
///     err.to_string(),
///     "invalid value \"sometimes\" for OTEL_TRACES_SAMPLER: expected one of always_on, always_off"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    variable: Cow<'static, str>,
    value: String,
    expected: Cow<'static, str>,
}

impl ConfigError {
    /// Creates an error for `variable` holding `value`, saying what is `expected`.
    pub fn new(
        variable: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            variable: variable.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    /// The environment variable (or builder method) that held the value.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// The value that was rejected.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the setting accepts.
    pub fn expected(&self) -> &str {
        &self.expected
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?} for {}: expected {}",
            self.value, self.variable, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// The sampler named by `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SamplerConfig {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio(f64),
    RateLimited(f64),
}

/// One entry of `OTEL_TRACES_EXPORTER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExporterKind {
    Otlp,
    Console,
    File,
}

/// How `console` prints (`TRACED_EXPORTER_CONSOLE_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConsoleFormat {
    Pretty,
    Json,
}

/// The OTLP exporter's settings from `OTEL_EXPORTER_OTLP_*`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OtlpSettings {
    pub(crate) endpoint: String,
    /// The variable the endpoint came from (for error messages).
    pub(crate) endpoint_variable: &'static str,
    /// The variable the headers came from (for error messages).
    pub(crate) headers_variable: &'static str,
    pub(crate) protocol: Protocol,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Duration,
    pub(crate) compression: Option<Compression>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`: (variable, PEM file).
    pub(crate) certificate: Option<(&'static str, PathBuf)>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`: (variable, PEM file).
    pub(crate) client_certificate: Option<(&'static str, PathBuf)>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY`: (variable, PEM file).
    pub(crate) client_key: Option<(&'static str, PathBuf)>,
}

/// The file exporter's settings from `TRACED_EXPORTER_FILE_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileSettings {
    pub(crate) path: PathBuf,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) max_files: Option<usize>,
}

/// `OTEL_BSP_*`; `None` keeps trace-core's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BatchSettings {
    pub(crate) schedule_delay: Option<Duration>,
    pub(crate) export_timeout: Option<Duration>,
    pub(crate) max_queue_size: Option<usize>,
    pub(crate) max_export_batch_size: Option<usize>,
}

/// `OTEL_*_LIMIT`; `None` keeps trace-core's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LimitSettings {
    pub(crate) attribute_count: Option<u32>,
    pub(crate) event_count: Option<u32>,
    pub(crate) link_count: Option<u32>,
    pub(crate) event_attribute_count: Option<u32>,
    pub(crate) link_attribute_count: Option<u32>,
    pub(crate) attribute_value_length: Option<usize>,
}

/// Everything the environment asks for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EnvConfig {
    pub(crate) disabled: bool,
    pub(crate) service_name: Option<String>,
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) sampler: SamplerConfig,
    pub(crate) exporters: Vec<ExporterKind>,
    pub(crate) console_format: ConsoleFormat,
    pub(crate) otlp: OtlpSettings,
    pub(crate) file: FileSettings,
    pub(crate) batch: BatchSettings,
    pub(crate) limits: LimitSettings,
    /// `OTEL_PROPAGATORS`, when set.
    pub(crate) propagators: Option<Propagators>,
}

/// The default base URL of `OTEL_EXPORTER_OTLP_ENDPOINT` for OTLP/HTTP.
const DEFAULT_BASE_ENDPOINT: &str = "http://localhost:4318";
/// The largest `OTEL_BSP_MAX_QUEUE_SIZE` accepted (spans per producing thread).
const MAX_QUEUE_SIZE: usize = 1 << 24;
/// The default `TRACED_EXPORTER_FILE_PATH`.
pub(crate) const DEFAULT_FILE_PATH: &str = "traces.jsonl";
/// The default `OTEL_TRACES_SAMPLER_ARG` of `ratelimited` (spans per second).
const DEFAULT_RATE_LIMIT: f64 = 100.0;

const SAMPLERS: &str = "one of always_on, always_off, traceidratio, parentbased_always_on, \
                        parentbased_always_off, parentbased_traceidratio, ratelimited";
const EXPORTERS: &str = "a comma-separated list of otlp, console, file, or none";
const BOOLEAN: &str = "true or false";
const PROPAGATORS: &str = "a comma-separated list of tracecontext, baggage, or none alone";
const MILLIS: &str = "a whole number of milliseconds, at most 4294967295 (about 49 days)";
const COUNT: &str = "a whole number (0 or more)";

/// Reads variables through a lookup function; empty or blank values count
/// as unset, as the specification asks.
struct Vars<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The signal-specific variable when set, else the general one; returns
    /// the name that was used along with the value.
    fn get_either(
        &self,
        specific: &'static str,
        general: &'static str,
    ) -> Option<(&'static str, String)> {
        self.get(specific)
            .map(|v| (specific, v))
            .or_else(|| self.get(general).map(|v| (general, v)))
    }

    fn bool(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConfigError::new(name, v, BOOLEAN)),
        }
    }

    fn count(&self, name: &'static str) -> Result<Option<usize>, ConfigError> {
        self.get(name).map(|v| parse_count(name, &v)).transpose()
    }

    fn count_u32(&self, name: &'static str) -> Result<Option<u32>, ConfigError> {
        self.count(name)?
            .map(|n| {
                u32::try_from(n).map_err(|_| {
                    ConfigError::new(name, n.to_string(), "a whole number from 0 to 4294967295")
                })
            })
            .transpose()
    }

    fn positive(&self, name: &'static str) -> Result<Option<usize>, ConfigError> {
        match self.count(name)? {
            Some(0) => Err(ConfigError::new(name, "0", "a whole number greater than 0")),
            other => Ok(other),
        }
    }

    fn millis(&self, name: &'static str) -> Result<Option<Duration>, ConfigError> {
        self.get(name).map(|v| parse_millis(name, &v)).transpose()
    }
}

fn parse_count(name: &'static str, value: &str) -> Result<usize, ConfigError> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        value.parse().map_err(|_| {
            ConfigError::new(name, value, "a whole number small enough for this machine")
        })
    } else {
        Err(ConfigError::new(name, value, COUNT))
    }
}

fn parse_millis(name: &'static str, value: &str) -> Result<Duration, ConfigError> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Bounded so that no clock reading plus the duration can overflow.
        value
            .parse::<u32>()
            .map(|ms| Duration::from_millis(u64::from(ms)))
            .map_err(|_| ConfigError::new(name, value, MILLIS))
    } else {
        Err(ConfigError::new(name, value, MILLIS))
    }
}

/// Decodes `%XX` escapes (as in W3C Baggage); the result must be UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_digit(*bytes.get(i + 1)?)?;
            let lo = hex_digit(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `key1=value1,key2=value2` with percent-encoded keys and values
/// (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`). Blank
/// entries are skipped; a later key replaces an earlier one.
pub(crate) fn parse_key_values(
    name: &'static str,
    value: &str,
) -> Result<Vec<(String, String)>, ConfigError> {
    let expected = "comma-separated key=value pairs, keys not empty, \
                    special characters percent-encoded (%2C for a comma)";
    let mut pairs: Vec<(String, String)> = Vec::new();
    for entry in value.split(',') {
        if entry.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = entry.split_once('=') else {
            return Err(ConfigError::new(name, value, expected));
        };
        let key = percent_decode(k.trim()).filter(|k| !k.is_empty());
        let val = percent_decode(v.trim());
        let (Some(key), Some(val)) = (key, val) else {
            return Err(ConfigError::new(name, value, expected));
        };
        if let Some(existing) = pairs.iter_mut().find(|(k, _)| *k == key) {
            existing.1 = val;
        } else {
            pairs.push((key, val));
        }
    }
    Ok(pairs)
}

/// `unknown_service:<executable name>`, the specification's default
/// `service.name`, or `unknown_service` when the name cannot be found.
fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.is_empty())
        .map_or_else(
            || "unknown_service".to_owned(),
            |exe| format!("unknown_service:{exe}"),
        )
}

/// `k1=v1,k2=v2` with every value (and any entry without `=`) replaced by
/// `***`, for error messages about headers.
fn redact_values(value: &str) -> String {
    value
        .split(',')
        .map(|entry| match entry.split_once('=') {
            Some((k, _)) => format!("{}=***", k.trim()),
            None if entry.trim().is_empty() => String::new(),
            None => "***".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_ratio(name: &'static str, value: Option<&str>) -> Result<f64, ConfigError> {
    let Some(value) = value else { return Ok(1.0) };
    match value.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(ConfigError::new(
            name,
            value,
            "a probability from 0 to 1, such as 0.25",
        )),
    }
}

fn parse_rate(name: &'static str, value: Option<&str>) -> Result<f64, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_RATE_LIMIT);
    };
    match value.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(ConfigError::new(
            name,
            value,
            "a number of spans per second greater than 0, such as 100",
        )),
    }
}

fn parse_sampler(name: Option<&str>, arg: Option<&str>) -> Result<SamplerConfig, ConfigError> {
    const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    let Some(name) = name else {
        return Ok(SamplerConfig::ParentBasedAlwaysOn);
    };
    Ok(match name.to_ascii_lowercase().as_str() {
        "always_on" => SamplerConfig::AlwaysOn,
        "always_off" => SamplerConfig::AlwaysOff,
        "traceidratio" => SamplerConfig::TraceIdRatio(parse_ratio(ARG, arg)?),
        "parentbased_always_on" => SamplerConfig::ParentBasedAlwaysOn,
        "parentbased_always_off" => SamplerConfig::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => {
            SamplerConfig::ParentBasedTraceIdRatio(parse_ratio(ARG, arg)?)
        }
        "ratelimited" => SamplerConfig::RateLimited(parse_rate(ARG, arg)?),
        _ => return Err(ConfigError::new("OTEL_TRACES_SAMPLER", name, SAMPLERS)),
    })
}

fn parse_exporters(value: Option<&str>) -> Result<Vec<ExporterKind>, ConfigError> {
    const NAME: &str = "OTEL_TRACES_EXPORTER";
    let Some(value) = value else {
        return Ok(vec![ExporterKind::Otlp]);
    };
    let mut kinds = Vec::new();
    let mut none = false;
    for entry in value.split(',') {
        let kind = match entry.trim().to_ascii_lowercase().as_str() {
            "otlp" => ExporterKind::Otlp,
            "console" => ExporterKind::Console,
            "file" => ExporterKind::File,
            "none" => {
                none = true;
                continue;
            }
            _ => return Err(ConfigError::new(NAME, value, EXPORTERS)),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if none && !kinds.is_empty() {
        return Err(ConfigError::new(
            NAME,
            value,
            "`none` alone, or a list of otlp, console, file",
        ));
    }
    Ok(kinds)
}

fn parse_protocol(name: &'static str, value: &str) -> Result<Protocol, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        _ => Err(ConfigError::new(
            name,
            value,
            "http/protobuf or http/json (grpc is not supported)",
        )),
    }
}

fn parse_compression(name: &'static str, value: &str) -> Result<Option<Compression>, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "gzip" => Ok(Some(Compression::Gzip)),
        "none" => Ok(None),
        _ => Err(ConfigError::new(name, value, "gzip or none")),
    }
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: `/v1/traces` is appended.
fn traces_url_from_base(base: &str) -> String {
    if base.ends_with('/') {
        format!("{base}v1/traces")
    } else {
        format!("{base}/v1/traces")
    }
}

fn check_url(name: &'static str, url: &str) -> Result<(), ConfigError> {
    let ok = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match ok {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(ConfigError::new(
            name,
            url,
            "an http:// or https:// URL, such as http://localhost:4318",
        )),
    }
}

impl OtlpSettings {
    /// Reads the certificate and key files named by the environment.
    fn tls_settings(&self) -> Result<TlsSettings, ConfigError> {
        let read = |(name, path): &(&'static str, PathBuf)| {
            if !cfg!(feature = "tls") {
                return Err(ConfigError::new(
                    *name,
                    path.display().to_string(),
                    "unset: certificates need the `tls` feature of trace-exporters",
                ));
            }
            std::fs::read(path).map_err(|e| {
                ConfigError::new(
                    *name,
                    path.display().to_string(),
                    format!("a readable PEM file ({e})"),
                )
            })
        };
        let roots_pem = self.certificate.as_ref().map(read).transpose()?;
        let client_pem = match (&self.client_certificate, &self.client_key) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            _ => None,
        };
        Ok(TlsSettings {
            roots_pem,
            client_pem,
        })
    }

    fn from_vars<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Self, ConfigError> {
        let (endpoint, endpoint_variable) =
            if let Some(url) = vars.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
                check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &url)?;
                (url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            } else if let Some(base) = vars.get("OTEL_EXPORTER_OTLP_ENDPOINT") {
                check_url("OTEL_EXPORTER_OTLP_ENDPOINT", &base)?;
                (traces_url_from_base(&base), "OTEL_EXPORTER_OTLP_ENDPOINT")
            } else {
                (
                    traces_url_from_base(DEFAULT_BASE_ENDPOINT),
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                )
            };
        let protocol = match vars.get_either(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ) {
            Some((name, v)) => parse_protocol(name, &v)?,
            None => Protocol::HttpProtobuf,
        };
        let (headers, headers_variable) = match vars.get_either(
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
            "OTEL_EXPORTER_OTLP_HEADERS",
        ) {
            Some((name, v)) => (
                parse_key_values(name, &v).map_err(|e| {
                    // Header values are often credentials: keep them out of the error.
                    ConfigError::new(name, redact_values(&v), e.expected().to_owned())
                })?,
                name,
            ),
            None => (Vec::new(), "OTEL_EXPORTER_OTLP_HEADERS"),
        };
        let timeout = match vars.get_either(
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ) {
            Some((name, v)) => match parse_millis(name, &v)? {
                d if d.is_zero() => {
                    return Err(ConfigError::new(
                        name,
                        v,
                        "a whole number of milliseconds greater than 0, at most 4294967295",
                    ))
                }
                d => d,
            },
            None => DEFAULT_TIMEOUT,
        };
        let compression = match vars.get_either(
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ) {
            Some((name, v)) => parse_compression(name, &v)?,
            None => None,
        };

        let file = |specific, general| {
            vars.get_either(specific, general)
                .map(|(name, v)| (name, PathBuf::from(v)))
        };
        let certificate = file(
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
        );
        let client_certificate = file(
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        );
        let client_key = file(
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        );
        match (&client_certificate, &client_key) {
            (Some((name, path)), None) | (None, Some((name, path))) => {
                return Err(ConfigError::new(
                    *name,
                    path.display().to_string(),
                    "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE and _CLIENT_KEY set together",
                ))
            }
            _ => {}
        }

        Ok(Self {
            endpoint,
            endpoint_variable,
            headers_variable,
            protocol,
            headers,
            timeout,
            compression,
            certificate,
            client_certificate,
            client_key,
        })
    }
}

impl BatchSettings {
    fn from_vars<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Self, ConfigError> {
        let batch = BatchSettings {
            schedule_delay: vars.millis("OTEL_BSP_SCHEDULE_DELAY")?,
            export_timeout: vars.millis("OTEL_BSP_EXPORT_TIMEOUT")?,
            max_queue_size: match vars.positive("OTEL_BSP_MAX_QUEUE_SIZE")? {
                // Each producing thread's queue is allocated up front.
                Some(n) if n > MAX_QUEUE_SIZE => {
                    return Err(ConfigError::new(
                        "OTEL_BSP_MAX_QUEUE_SIZE",
                        n.to_string(),
                        format!("a whole number from 1 to {MAX_QUEUE_SIZE}"),
                    ))
                }
                other => other,
            },
            max_export_batch_size: vars.positive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")?,
        };
        let queue = batch.max_queue_size.unwrap_or(2048);
        if let Some(size) = batch.max_export_batch_size {
            if size > queue {
                return Err(ConfigError::new(
                    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                    size.to_string(),
                    format!("a number from 1 to the queue size, OTEL_BSP_MAX_QUEUE_SIZE ({queue})"),
                ));
            }
        }

        Ok(batch)
    }
}

impl LimitSettings {
    fn from_vars<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<Self, ConfigError> {
        let general_count = vars.count_u32("OTEL_ATTRIBUTE_COUNT_LIMIT")?;
        let general_length = vars.count("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")?;
        Ok(Self {
            attribute_count: vars
                .count_u32("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT")?
                .or(general_count),
            event_count: vars.count_u32("OTEL_SPAN_EVENT_COUNT_LIMIT")?,
            link_count: vars.count_u32("OTEL_SPAN_LINK_COUNT_LIMIT")?,
            event_attribute_count: vars.count_u32("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT")?,
            link_attribute_count: vars.count_u32("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT")?,
            attribute_value_length: vars
                .count("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT")?
                .or(general_length),
        })
    }
}

impl EnvConfig {
    /// Reads every variable through `lookup` (`None` = unset).
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let vars = Vars { lookup };
        let disabled = vars.bool("OTEL_SDK_DISABLED")?;

        let mut resource = match vars.get("OTEL_RESOURCE_ATTRIBUTES") {
            Some(v) => parse_key_values("OTEL_RESOURCE_ATTRIBUTES", &v)?,
            None => Vec::new(),
        };
        let service_name = vars.get("OTEL_SERVICE_NAME").or_else(|| {
            resource
                .iter()
                .find(|(k, _)| k == "service.name")
                .map(|(_, v)| v.clone())
        });
        resource.retain(|(k, _)| k != "service.name");

        let sampler_arg = vars.get("OTEL_TRACES_SAMPLER_ARG");
        let sampler = parse_sampler(
            vars.get("OTEL_TRACES_SAMPLER").as_deref(),
            sampler_arg.as_deref(),
        )?;
        let exporters = parse_exporters(vars.get("OTEL_TRACES_EXPORTER").as_deref())?;
        let console_format = match vars.get("TRACED_EXPORTER_CONSOLE_FORMAT") {
            None => ConsoleFormat::Pretty,
            Some(v) if v.eq_ignore_ascii_case("pretty") => ConsoleFormat::Pretty,
            Some(v) if v.eq_ignore_ascii_case("json") => ConsoleFormat::Json,
            Some(v) => {
                return Err(ConfigError::new(
                    "TRACED_EXPORTER_CONSOLE_FORMAT",
                    v,
                    "pretty or json",
                ))
            }
        };

        let otlp = OtlpSettings::from_vars(&vars)?;

        let file = FileSettings {
            path: vars
                .get("TRACED_EXPORTER_FILE_PATH")
                .map_or_else(|| PathBuf::from(DEFAULT_FILE_PATH), PathBuf::from),
            max_bytes: vars
                .positive("TRACED_EXPORTER_FILE_MAX_BYTES")?
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
            max_files: vars.positive("TRACED_EXPORTER_FILE_MAX_FILES")?,
        };

        let batch = BatchSettings::from_vars(&vars)?;
        let limits = LimitSettings::from_vars(&vars)?;
        let propagators = match vars.get("OTEL_PROPAGATORS") {
            Some(v) => Some(
                Propagators::from_env_value(&v)
                    .map_err(|_| ConfigError::new("OTEL_PROPAGATORS", v, PROPAGATORS))?,
            ),
            None => None,
        };

        Ok(Self {
            disabled,
            service_name,
            resource,
            sampler,
            exporters,
            console_format,
            otlp,
            file,
            batch,
            limits,
            propagators,
        })
    }
}

impl EnvConfig {
    /// The tracer builder this configuration asks for.
    pub(crate) fn builder(&self) -> Result<TracerBuilder, ConfigError> {
        let mut builder = Tracer::builder().service_name(
            self.service_name
                .clone()
                .unwrap_or_else(default_service_name),
        );
        for (key, value) in &self.resource {
            builder = builder.resource(KeyValue::new(key.clone(), value.clone()));
        }
        if self.disabled {
            // Nothing is sampled and nothing is exported.
            return Ok(builder.sampler(AlwaysOff));
        }
        builder = match self.sampler {
            SamplerConfig::AlwaysOn => builder.sampler(AlwaysOn),
            SamplerConfig::AlwaysOff => builder.sampler(AlwaysOff),
            SamplerConfig::TraceIdRatio(r) => builder.sampler(TraceIdRatio::new(r)),
            SamplerConfig::ParentBasedAlwaysOn => builder.sampler(ParentBased::new(AlwaysOn)),
            SamplerConfig::ParentBasedAlwaysOff => builder.sampler(ParentBased::new(AlwaysOff)),
            SamplerConfig::ParentBasedTraceIdRatio(r) => {
                builder.sampler(ParentBased::new(TraceIdRatio::new(r)))
            }
            SamplerConfig::RateLimited(n) => builder.sampler(RateLimited::per_second(n)),
        };
        builder = builder
            .batch_config(self.batch_config())
            .limits(self.span_limits());
        let mut exporters = Vec::with_capacity(self.exporters.len());
        for kind in &self.exporters {
            exporters.push(self.exporter(*kind)?);
        }
        Ok(match exporters.len() {
            0 => builder,
            1 => builder.exporter(exporters.remove(0)),
            _ => builder.exporter(
                exporters
                    .into_iter()
                    .fold(MultiExporter::new(), MultiExporter::with_boxed),
            ),
        })
    }

    fn batch_config(&self) -> BatchConfig {
        let mut config = BatchConfig::default();
        let b = &self.batch;
        if let Some(d) = b.schedule_delay {
            config.scheduled_delay = d;
        }
        if let Some(d) = b.export_timeout {
            config.export_timeout = d;
        }
        if let Some(n) = b.max_queue_size {
            config.max_queue_size = n;
        }
        if let Some(n) = b.max_export_batch_size {
            config.max_export_batch_size = n;
        } else {
            config.max_export_batch_size = config.max_export_batch_size.min(config.max_queue_size);
        }
        config
    }

    fn span_limits(&self) -> SpanLimits {
        let mut limits = SpanLimits::default();
        let l = &self.limits;
        if let Some(n) = l.attribute_count {
            limits.max_attributes_per_span = n;
        }
        if let Some(n) = l.event_count {
            limits.max_events_per_span = n;
        }
        if let Some(n) = l.link_count {
            limits.max_links_per_span = n;
        }
        if let Some(n) = l.event_attribute_count {
            limits.max_attributes_per_event = n;
        }
        if let Some(n) = l.link_attribute_count {
            limits.max_attributes_per_link = n;
        }
        if let Some(n) = l.attribute_value_length {
            limits.max_attribute_value_length = Some(n);
        }
        limits
    }

    fn exporter(&self, kind: ExporterKind) -> Result<Box<dyn SpanExporter>, ConfigError> {
        Ok(match kind {
            ExporterKind::Otlp => {
                let o = &self.otlp;
                let tls = o.tls_settings()?;
                let exporter = OtlpExporter::builder()
                    .tls_settings(tls)
                    .endpoint(o.endpoint.clone())
                    .protocol(o.protocol)
                    .headers(o.headers.iter().cloned())
                    .timeout(o.timeout)
                    .compression_option(o.compression)
                    .build()
                    .map_err(|e| {
                        // Name the variable the bad value came from.
                        let variable = match e.variable() {
                            v if v.ends_with("endpoint") => o.endpoint_variable,
                            v if v.ends_with("root_certificates_pem") || v.ends_with("tls") => o
                                .certificate
                                .as_ref()
                                .or(o.client_certificate.as_ref())
                                .map_or(o.endpoint_variable, |(name, _)| *name),
                            v if v.ends_with("client_identity_pem") => o
                                .client_certificate
                                .as_ref()
                                .map_or(o.endpoint_variable, |(name, _)| *name),
                            _ => o.headers_variable,
                        };
                        ConfigError::new(variable, e.value().to_owned(), e.expected().to_owned())
                    })?;
                Box::new(exporter)
            }
            ExporterKind::Console => match self.console_format {
                ConsoleFormat::Pretty => Box::new(StdoutExporter::pretty()),
                ConsoleFormat::Json => Box::new(StdoutExporter::json()),
            },
            ExporterKind::File => {
                let f = &self.file;
                let mut exporter = FileExporter::create(&f.path).map_err(|e| {
                    ConfigError::new(
                        "TRACED_EXPORTER_FILE_PATH",
                        f.path.display().to_string(),
                        format!("a file that can be opened for appending (opening failed: {e})"),
                    )
                })?;
                if let Some(n) = f.max_bytes {
                    exporter = exporter.max_bytes(n);
                }
                if let Some(n) = f.max_files {
                    exporter = exporter.max_files(n);
                }
                Box::new(exporter)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<EnvConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EnvConfig::from_lookup(|k| map.get(k).cloned())
    }

    fn ok(vars: &[(&str, &str)]) -> EnvConfig {
        match parse(vars) {
            Ok(c) => c,
            Err(e) => panic!("{vars:?} rejected: {e}"),
        }
    }

    fn err(vars: &[(&str, &str)]) -> ConfigError {
        match parse(vars) {
            Ok(c) => panic!("{vars:?} accepted: {c:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults() {
        let c = ok(&[]);
        assert!(!c.disabled);
        assert_eq!(c.service_name, None);
        assert!(c.resource.is_empty());
        assert_eq!(c.sampler, SamplerConfig::ParentBasedAlwaysOn);
        assert_eq!(c.exporters, vec![ExporterKind::Otlp]);
        assert_eq!(c.console_format, ConsoleFormat::Pretty);
        assert_eq!(c.otlp.endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(c.otlp.protocol, Protocol::HttpProtobuf);
        assert!(c.otlp.headers.is_empty());
        assert_eq!(c.otlp.timeout, Duration::from_secs(10));
        assert_eq!(c.otlp.compression, None);
        assert_eq!(c.file.path, PathBuf::from("traces.jsonl"));
        assert_eq!(c.batch, BatchSettings::default());
        assert_eq!(c.limits, LimitSettings::default());
    }

    #[test]
    fn empty_and_blank_values_are_unset() {
        let c = ok(&[
            ("OTEL_TRACES_SAMPLER", ""),
            ("OTEL_SERVICE_NAME", "  "),
            ("OTEL_BSP_MAX_QUEUE_SIZE", ""),
        ]);
        assert_eq!(c.sampler, SamplerConfig::ParentBasedAlwaysOn);
        assert_eq!(c.service_name, None);
        assert_eq!(c.batch.max_queue_size, None);
    }

    #[test]
    fn sdk_disabled() {
        assert!(ok(&[("OTEL_SDK_DISABLED", "true")]).disabled);
        assert_eq!(ok(&[]).propagators, None);
        let p = ok(&[("OTEL_PROPAGATORS", "baggage")]).propagators.unwrap();
        assert!(p.baggage() && !p.trace_context());
        let p = ok(&[("OTEL_PROPAGATORS", "none")]).propagators.unwrap();
        assert!(!p.baggage() && !p.trace_context());
        let e = err(&[("OTEL_PROPAGATORS", "tracecontext,xray")]);
        assert_eq!(
            (e.variable(), e.value(), e.expected()),
            ("OTEL_PROPAGATORS", "tracecontext,xray", PROPAGATORS)
        );
        assert!(ok(&[("OTEL_SDK_DISABLED", "TRUE")]).disabled);
        assert!(!ok(&[("OTEL_SDK_DISABLED", "false")]).disabled);
        let e = err(&[("OTEL_SDK_DISABLED", "yes")]);
        assert_eq!(
            (e.variable(), e.value(), e.expected()),
            ("OTEL_SDK_DISABLED", "yes", BOOLEAN)
        );
        assert_eq!(
            e.to_string(),
            "invalid value \"yes\" for OTEL_SDK_DISABLED: expected true or false"
        );
    }

    #[test]
    fn service_name_and_resource_attributes() {
        let c = ok(&[("OTEL_SERVICE_NAME", "checkout")]);
        assert_eq!(c.service_name.as_deref(), Some("checkout"));

        let c = ok(&[(
            "OTEL_RESOURCE_ATTRIBUTES",
            "service.name=from-attrs, deployment.environment = prod,team=a%2Cb%3Dc,note=caf%C3%A9",
        )]);
        assert_eq!(c.service_name.as_deref(), Some("from-attrs"));
        assert_eq!(
            c.resource,
            vec![
                ("deployment.environment".to_owned(), "prod".to_owned()),
                ("team".to_owned(), "a,b=c".to_owned()),
                ("note".to_owned(), "café".to_owned()),
            ]
        );

        // OTEL_SERVICE_NAME wins over service.name in the attributes.
        let c = ok(&[
            ("OTEL_SERVICE_NAME", "explicit"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=other,k=v"),
        ]);
        assert_eq!(c.service_name.as_deref(), Some("explicit"));
        assert_eq!(c.resource, vec![("k".to_owned(), "v".to_owned())]);

        for bad in ["novalue", "=v", "k=%zz", "k=%C3", "a=b,c"] {
            let e = err(&[("OTEL_RESOURCE_ATTRIBUTES", bad)]);
            assert_eq!(e.variable(), "OTEL_RESOURCE_ATTRIBUTES");
            assert_eq!(e.value(), bad);
        }
    }

    #[test]
    fn key_values_keep_last_duplicate_and_skip_blank_entries() {
        let kv = parse_key_values("X", "a=1,,b=2, ,a=3").unwrap_or_default();
        assert_eq!(
            kv,
            vec![
                ("a".to_owned(), "3".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        let kv = parse_key_values("X", "k=a=b").unwrap_or_default();
        assert_eq!(kv, vec![("k".to_owned(), "a=b".to_owned())]);
        let kv = parse_key_values("X", "empty=").unwrap_or_default();
        assert_eq!(kv, vec![("empty".to_owned(), String::new())]);
    }

    #[test]
    fn samplers() {
        let s = |name: &str| ok(&[("OTEL_TRACES_SAMPLER", name)]).sampler;
        let sa = |name: &str, arg: &str| {
            ok(&[
                ("OTEL_TRACES_SAMPLER", name),
                ("OTEL_TRACES_SAMPLER_ARG", arg),
            ])
            .sampler
        };
        assert_eq!(s("always_on"), SamplerConfig::AlwaysOn);
        assert_eq!(s("ALWAYS_OFF"), SamplerConfig::AlwaysOff);
        assert_eq!(s("traceidratio"), SamplerConfig::TraceIdRatio(1.0));
        assert_eq!(
            sa("traceidratio", "0.25"),
            SamplerConfig::TraceIdRatio(0.25)
        );
        assert_eq!(sa("traceidratio", "0"), SamplerConfig::TraceIdRatio(0.0));
        assert_eq!(
            s("parentbased_always_on"),
            SamplerConfig::ParentBasedAlwaysOn
        );
        assert_eq!(
            s("parentbased_always_off"),
            SamplerConfig::ParentBasedAlwaysOff
        );
        assert_eq!(
            s("parentbased_traceidratio"),
            SamplerConfig::ParentBasedTraceIdRatio(1.0)
        );
        assert_eq!(
            sa("parentbased_traceidratio", "0.5"),
            SamplerConfig::ParentBasedTraceIdRatio(0.5)
        );
        assert_eq!(s("ratelimited"), SamplerConfig::RateLimited(100.0));
        assert_eq!(sa("ratelimited", "2.5"), SamplerConfig::RateLimited(2.5));
        // An argument a sampler does not take is ignored.
        assert_eq!(sa("always_on", "whatever"), SamplerConfig::AlwaysOn);

        let e = err(&[("OTEL_TRACES_SAMPLER", "sometimes")]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_TRACES_SAMPLER", "sometimes")
        );
        assert!(
            e.expected().contains("parentbased_traceidratio")
                && e.expected().contains("ratelimited")
        );
        for (name, arg) in [
            ("traceidratio", "1.5"),
            ("traceidratio", "-0.1"),
            ("traceidratio", "half"),
            ("parentbased_traceidratio", "NaN"),
            ("ratelimited", "0"),
            ("ratelimited", "-3"),
            ("ratelimited", "inf"),
        ] {
            let e = err(&[
                ("OTEL_TRACES_SAMPLER", name),
                ("OTEL_TRACES_SAMPLER_ARG", arg),
            ]);
            assert_eq!((e.variable(), e.value()), ("OTEL_TRACES_SAMPLER_ARG", arg));
        }
    }

    #[test]
    fn exporters() {
        let x = |v: &str| ok(&[("OTEL_TRACES_EXPORTER", v)]).exporters;
        assert_eq!(x("otlp"), vec![ExporterKind::Otlp]);
        assert_eq!(x("console"), vec![ExporterKind::Console]);
        assert_eq!(x("file"), vec![ExporterKind::File]);
        assert_eq!(x("none"), Vec::<ExporterKind>::new());
        assert_eq!(
            x("OTLP, console,otlp"),
            vec![ExporterKind::Otlp, ExporterKind::Console]
        );
        for bad in ["zipkin", "otlp,jaeger", "none,otlp", "otlp,"] {
            let e = err(&[("OTEL_TRACES_EXPORTER", bad)]);
            assert_eq!((e.variable(), e.value()), ("OTEL_TRACES_EXPORTER", bad));
        }
        let c = ok(&[("TRACED_EXPORTER_CONSOLE_FORMAT", "json")]);
        assert_eq!(c.console_format, ConsoleFormat::Json);
        let e = err(&[("TRACED_EXPORTER_CONSOLE_FORMAT", "xml")]);
        assert_eq!(e.variable(), "TRACED_EXPORTER_CONSOLE_FORMAT");
    }

    #[test]
    fn endpoints() {
        let e = |vars: &[(&str, &str)]| ok(vars).otlp.endpoint;
        assert_eq!(
            e(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            e(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector/otlp/")]),
            "https://collector/otlp/v1/traces"
        );
        // The traces endpoint is used as is, and wins over the base one.
        assert_eq!(
            e(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
                (
                    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                    "http://traces:9999/custom/path"
                ),
            ]),
            "http://traces:9999/custom/path"
        );
        for (name, bad) in [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://x"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://"),
        ] {
            let e = err(&[(name, bad)]);
            assert_eq!((e.variable(), e.value()), (name, bad));
        }
    }

    #[test]
    fn protocol() {
        let p = |vars: &[(&str, &str)]| ok(vars).otlp.protocol;
        assert_eq!(
            p(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]),
            Protocol::HttpJson
        );
        assert_eq!(
            p(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]),
            Protocol::HttpProtobuf
        );
        assert_eq!(
            p(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
            ]),
            Protocol::HttpJson
        );
        let e = err(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        );
        assert!(e.expected().contains("http/protobuf"));
        let e = err(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift")]);
        assert_eq!(e.variable(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    }

    #[test]
    fn headers() {
        let c = ok(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s%3Dcret,x-tenant=a b",
        )]);
        assert_eq!(
            c.otlp.headers,
            vec![
                ("api-key".to_owned(), "s=cret".to_owned()),
                ("x-tenant".to_owned(), "a b".to_owned())
            ]
        );
        let c = ok(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "a=1"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2"),
        ]);
        assert_eq!(c.otlp.headers, vec![("b".to_owned(), "2".to_owned())]);
        let e = err(&[("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "justakey")]);
        assert_eq!(e.variable(), "OTEL_EXPORTER_OTLP_TRACES_HEADERS");
        // Values (often credentials) are not repeated in the error.
        let e = err(&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret,Bearer t0ken")]);
        assert_eq!(e.value(), "api-key=***,***");
        assert!(!e.to_string().contains("s3cret") && !e.to_string().contains("t0ken"));
    }

    #[test]
    fn timeout() {
        let t = |vars: &[(&str, &str)]| ok(vars).otlp.timeout;
        assert_eq!(
            t(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")]),
            Duration::from_millis(2500)
        );
        assert_eq!(
            t(&[
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
                ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "100")
            ]),
            Duration::from_millis(100)
        );
        for bad in ["10s", "-1", "1.5", "4294967296", "99999999999999999999999"] {
            let e = err(&[("OTEL_EXPORTER_OTLP_TIMEOUT", bad)]);
            assert_eq!(
                (e.variable(), e.value(), e.expected()),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", bad, MILLIS)
            );
        }
        // No time at all would fail every export.
        let e = err(&[("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0")]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0")
        );
    }

    #[test]
    fn compression() {
        let c = |vars: &[(&str, &str)]| ok(vars).otlp.compression;
        assert_eq!(
            c(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]),
            Some(Compression::Gzip)
        );
        assert_eq!(c(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "none")]), None);
        assert_eq!(
            c(&[
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none")
            ]),
            None
        );
        let e = err(&[("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd")]);
        assert_eq!(
            (e.variable(), e.value(), e.expected()),
            (
                "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                "zstd",
                "gzip or none"
            )
        );
    }

    #[test]
    fn certificates() {
        let c = ok(&[
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                "/etc/client.pem",
            ),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/client.key"),
        ]);
        assert_eq!(
            c.otlp.certificate,
            Some((
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                PathBuf::from("/etc/ca.pem")
            ))
        );
        assert_eq!(
            c.otlp.client_certificate,
            Some((
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                PathBuf::from("/etc/client.pem")
            ))
        );
        assert_eq!(
            c.otlp.client_key,
            Some((
                "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                PathBuf::from("/etc/client.key")
            ))
        );
        let e = err(&[("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/client.key")]);
        assert_eq!(e.variable(), "OTEL_EXPORTER_OTLP_CLIENT_KEY");
        // A file that cannot be read is an error naming the variable.
        let c = ok(&[(
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
            "/nonexistent/ca.pem",
        )]);
        let e = c.otlp.tls_settings().err();
        assert_eq!(
            e.as_ref().map(ConfigError::variable),
            Some("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE")
        );
    }

    #[test]
    fn batch_processor() {
        let c = ok(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "250"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "1000"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"),
        ]);
        assert_eq!(
            c.batch,
            BatchSettings {
                schedule_delay: Some(Duration::from_millis(250)),
                export_timeout: Some(Duration::from_secs(1)),
                max_queue_size: Some(100),
                max_export_batch_size: Some(10),
            }
        );
        let e = err(&[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "101"),
        ]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "101")
        );
        let e = err(&[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096")]);
        assert!(e.expected().contains("2048"));
        let e = err(&[("OTEL_BSP_MAX_QUEUE_SIZE", "1000000000000")]);
        assert_eq!(e.variable(), "OTEL_BSP_MAX_QUEUE_SIZE");
        assert!(e.expected().contains("16777216"));
        for name in ["OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"] {
            assert_eq!(err(&[(name, "0")]).variable(), name);
            assert_eq!(err(&[(name, "many")]).variable(), name);
        }
        for name in ["OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT"] {
            let e = err(&[(name, "5s")]);
            assert_eq!((e.variable(), e.expected()), (name, MILLIS));
        }
    }

    #[test]
    fn limits() {
        let c = ok(&[
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "10"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "11"),
            ("OTEL_SPAN_LINK_COUNT_LIMIT", "12"),
            ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "13"),
            ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "14"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "15"),
        ]);
        assert_eq!(
            c.limits,
            LimitSettings {
                attribute_count: Some(10),
                event_count: Some(11),
                link_count: Some(12),
                event_attribute_count: Some(13),
                link_attribute_count: Some(14),
                attribute_value_length: Some(15),
            }
        );
        // The general limits apply when the span ones are unset; the span ones win.
        let c = ok(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6"),
        ]);
        assert_eq!(
            (c.limits.attribute_count, c.limits.attribute_value_length),
            (Some(5), Some(6))
        );
        let c = ok(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "5"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6"),
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "8"),
        ]);
        assert_eq!(
            (c.limits.attribute_count, c.limits.attribute_value_length),
            (Some(7), Some(8))
        );
        // Zero is a valid limit (drop everything).
        assert_eq!(
            ok(&[("OTEL_SPAN_EVENT_COUNT_LIMIT", "0")])
                .limits
                .event_count,
            Some(0)
        );
        for name in [
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_SPAN_EVENT_COUNT_LIMIT",
            "OTEL_SPAN_LINK_COUNT_LIMIT",
            "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "OTEL_ATTRIBUTE_COUNT_LIMIT",
        ] {
            let e = err(&[(name, "-1")]);
            assert_eq!((e.variable(), e.value(), e.expected()), (name, "-1", COUNT));
        }
    }

    #[test]
    fn file_exporter_settings() {
        let c = ok(&[
            ("TRACED_EXPORTER_FILE_PATH", "/tmp/spans.jsonl"),
            ("TRACED_EXPORTER_FILE_MAX_BYTES", "1048576"),
            ("TRACED_EXPORTER_FILE_MAX_FILES", "3"),
        ]);
        assert_eq!(
            c.file,
            FileSettings {
                path: PathBuf::from("/tmp/spans.jsonl"),
                max_bytes: Some(1_048_576),
                max_files: Some(3),
            }
        );
        assert_eq!(
            err(&[("TRACED_EXPORTER_FILE_MAX_BYTES", "1MB")]).variable(),
            "TRACED_EXPORTER_FILE_MAX_BYTES"
        );
        assert_eq!(
            err(&[("TRACED_EXPORTER_FILE_MAX_FILES", "0")]).variable(),
            "TRACED_EXPORTER_FILE_MAX_FILES"
        );
    }

    #[test]
    fn default_service_name_names_the_executable() {
        let name = default_service_name();
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        assert_eq!(name, format!("unknown_service:{exe}"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%e2%9c%93").as_deref(), Some("✓"));
        assert_eq!(percent_decode("100%"), None);
        assert_eq!(percent_decode("%g0"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
