//! Reading: the variables (a map, no process environment) to a typed [`EnvConfig`].
//!
//! Everything here is pure, so every variable is unit-tested without touching the process
//! environment; [`super::build`] turns the result into a tracer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use trace_core::propagation::{percent_decode, InvalidPercentEncoding, Propagators};

use super::unknown::{unknown_variables, UnknownVar};
use crate::config_error::{ConfigError, EnvVar, EnvVar as V};
use crate::otlp::endpoint::{
    default_traces_endpoint, traces_url_from_base, validate_url, DEFAULT_GRPC_ENDPOINT,
};
use crate::otlp::{Compression, Protocol, DEFAULT_TIMEOUT};

/// The variables of a process (or of a test): name to value.
pub(crate) type EnvMap = BTreeMap<String, String>;

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
    pub(crate) endpoint_variable: EnvVar,
    /// The variable the headers came from (for error messages).
    pub(crate) headers_variable: EnvVar,
    pub(crate) protocol: Protocol,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Duration,
    pub(crate) compression: Option<Compression>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`: (variable, PEM file).
    pub(crate) certificate: Option<(EnvVar, PathBuf)>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`: (variable, PEM file).
    pub(crate) client_certificate: Option<(EnvVar, PathBuf)>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY`: (variable, PEM file).
    pub(crate) client_key: Option<(EnvVar, PathBuf)>,
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
    /// `TRACED_MAX_LEVEL`, when set: the most verbose `#[traced]` level recorded.
    pub(crate) max_level: Option<trace_core::Level>,
    /// `OTEL_*` names that are not read (misspellings), to be named on stderr.
    pub(crate) unknown: Vec<UnknownVar>,
}

/// The largest `OTEL_BSP_MAX_QUEUE_SIZE` accepted: `BatchConfig::MAX_QUEUE_SIZE` (65,536
/// spans, 32 times the default; about 24 MiB queued before attributes). The bound holds
/// for all threads together; 1 << 24 (the old limit) reserved ~6 GiB per producing thread,
/// enough to take a container down for one misplaced digit.
pub(crate) const MAX_QUEUE_SIZE: usize = trace_core::BatchConfig::MAX_QUEUE_SIZE;
/// The shortest `OTEL_BSP_SCHEDULE_DELAY` accepted. The batch worker wakes once per delay
/// even when idle: 0 made it spin (7 % of a core doing nothing); 10 ms is at most 100
/// idle wake-ups a second.
pub(crate) const MIN_SCHEDULE_DELAY_MS: u32 = 10;
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

/// Reads variables from a map; empty or blank values count as unset, as the
/// specification asks.
struct Vars<'a> {
    map: &'a EnvMap,
}

impl Vars<'_> {
    fn get(&self, var: EnvVar) -> Option<String> {
        self.map
            .get(var.name())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The signal-specific variable when set, else the general one; returns
    /// the name that was used along with the value.
    fn get_either(&self, specific: EnvVar, general: EnvVar) -> Option<(EnvVar, String)> {
        self.get(specific)
            .map(|v| (specific, v))
            .or_else(|| self.get(general).map(|v| (general, v)))
    }

    fn bool(&self, name: EnvVar) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConfigError::for_setting(name, v, BOOLEAN)),
        }
    }

    fn count(&self, name: EnvVar) -> Result<Option<usize>, ConfigError> {
        self.get(name).map(|v| parse_count(name, &v)).transpose()
    }

    fn count_u32(&self, name: EnvVar) -> Result<Option<u32>, ConfigError> {
        self.count(name)?
            .map(|n| {
                u32::try_from(n).map_err(|_| {
                    ConfigError::for_setting(
                        name,
                        n.to_string(),
                        "a whole number from 0 to 4294967295",
                    )
                })
            })
            .transpose()
    }

    fn positive(&self, name: EnvVar) -> Result<Option<usize>, ConfigError> {
        match self.count(name)? {
            Some(0) => Err(ConfigError::for_setting(
                name,
                "0",
                "a whole number greater than 0",
            )),
            other => Ok(other),
        }
    }

    fn millis(&self, name: EnvVar) -> Result<Option<Duration>, ConfigError> {
        self.get(name).map(|v| parse_millis(name, &v)).transpose()
    }
}

fn parse_count(name: EnvVar, value: &str) -> Result<usize, ConfigError> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        value.parse().map_err(|_| {
            ConfigError::for_setting(name, value, "a whole number small enough for this machine")
        })
    } else {
        Err(ConfigError::for_setting(name, value, COUNT))
    }
}

fn parse_millis(name: EnvVar, value: &str) -> Result<Duration, ConfigError> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Bounded so that no clock reading plus the duration can overflow.
        value
            .parse::<u32>()
            .map(|ms| Duration::from_millis(u64::from(ms)))
            .map_err(|_| ConfigError::for_setting(name, value, MILLIS))
    } else {
        Err(ConfigError::for_setting(name, value, MILLIS))
    }
}

/// Parses `key1=value1,key2=value2` with percent-encoded keys and values
/// (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`). Blank
/// entries are skipped; a later key replaces an earlier one.
pub(crate) fn parse_key_values(
    name: EnvVar,
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
            return Err(ConfigError::for_setting(name, value, expected));
        };
        // A bad escape is a typo to report, not to guess at (the OpenTelemetry
        // specification: an invalid value is an error naming the variable).
        let decode = |s: &str| {
            percent_decode(s.trim())
                .map(std::borrow::Cow::into_owned)
                .map_err(|e| {
                    let found = match e {
                        InvalidPercentEncoding::BadEscape { .. } => {
                            "a `%` not followed by two hex digits"
                        }
                        _ => "percent-encoded bytes that are not UTF-8",
                    };
                    ConfigError::for_setting(name, value, format!("{expected}; found {found}"))
                })
        };
        let key = decode(k)?;
        let val = decode(v)?;
        if key.is_empty() {
            return Err(ConfigError::for_setting(name, value, expected));
        }
        if let Some(existing) = pairs.iter_mut().find(|(k, _)| *k == key) {
            existing.1 = val;
        } else {
            pairs.push((key, val));
        }
    }
    Ok(pairs)
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

fn parse_ratio(name: EnvVar, value: Option<&str>) -> Result<f64, ConfigError> {
    let Some(value) = value else { return Ok(1.0) };
    match value.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(ConfigError::for_setting(
            name,
            value,
            "a probability from 0 to 1, such as 0.25",
        )),
    }
}

fn parse_rate(name: EnvVar, value: Option<&str>) -> Result<f64, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_RATE_LIMIT);
    };
    match value.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(ConfigError::for_setting(
            name,
            value,
            "a number of spans per second greater than 0, such as 100",
        )),
    }
}

fn parse_sampler(name: Option<&str>, arg: Option<&str>) -> Result<SamplerConfig, ConfigError> {
    const ARG: EnvVar = V::TracesSamplerArg;
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
        _ => return Err(ConfigError::for_setting(V::TracesSampler, name, SAMPLERS)),
    })
}

fn parse_exporters(value: Option<&str>) -> Result<Vec<ExporterKind>, ConfigError> {
    const NAME: EnvVar = V::TracesExporter;
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
            _ => return Err(ConfigError::for_setting(NAME, value, EXPORTERS)),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if none && !kinds.is_empty() {
        return Err(ConfigError::for_setting(
            NAME,
            value,
            "`none` alone, or a list of otlp, console, file",
        ));
    }
    Ok(kinds)
}

fn parse_protocol(name: EnvVar, value: &str) -> Result<Protocol, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        "grpc" if cfg!(feature = "grpc") => Ok(Protocol::Grpc),
        "grpc" => Err(ConfigError::for_setting(
            name,
            value,
            "http/protobuf or http/json (grpc needs the `grpc` feature of trace-exporters)",
        )),
        _ => Err(ConfigError::for_setting(
            name,
            value,
            if cfg!(feature = "grpc") {
                "grpc, http/protobuf or http/json"
            } else {
                "http/protobuf or http/json"
            },
        )),
    }
}

fn parse_compression(name: EnvVar, value: &str) -> Result<Option<Compression>, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "gzip" => Ok(Some(Compression::Gzip)),
        "none" => Ok(None),
        _ => Err(ConfigError::for_setting(name, value, "gzip or none")),
    }
}

impl OtlpSettings {
    fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let protocol = match vars.get_either(V::OtlpTracesProtocol, V::OtlpProtocol) {
            Some((name, v)) => parse_protocol(name, &v)?,
            None => Protocol::HttpProtobuf,
        };
        // gRPC has no per-signal path: the base endpoint is used as it is.
        let grpc = protocol == Protocol::Grpc;
        let (endpoint, endpoint_variable) = if let Some(url) = vars.get(V::OtlpTracesEndpoint) {
            validate_url(V::OtlpTracesEndpoint, &url)?;
            (url, V::OtlpTracesEndpoint)
        } else if let Some(base) = vars.get(V::OtlpEndpoint) {
            validate_url(V::OtlpEndpoint, &base)?;
            let url = if grpc {
                base
            } else {
                traces_url_from_base(&base)
            };
            (url, V::OtlpEndpoint)
        } else if grpc {
            (DEFAULT_GRPC_ENDPOINT.to_owned(), V::OtlpEndpoint)
        } else {
            (default_traces_endpoint(), V::OtlpEndpoint)
        };
        let (headers, headers_variable) =
            match vars.get_either(V::OtlpTracesHeaders, V::OtlpHeaders) {
                Some((name, v)) => (
                    // Header values are often credentials: keep them out of the error.
                    parse_key_values(name, &v).map_err(|e| e.with_value(redact_values(&v)))?,
                    name,
                ),
                None => (Vec::new(), V::OtlpHeaders),
            };
        let timeout = match vars.get_either(V::OtlpTracesTimeout, V::OtlpTimeout) {
            Some((name, v)) => match parse_millis(name, &v)? {
                d if d.is_zero() => {
                    return Err(ConfigError::for_setting(
                        name,
                        v,
                        "a whole number of milliseconds greater than 0, at most 4294967295",
                    ))
                }
                d => d,
            },
            None => DEFAULT_TIMEOUT,
        };
        let compression = match vars.get_either(V::OtlpTracesCompression, V::OtlpCompression) {
            Some((name, v)) => parse_compression(name, &v)?,
            None => None,
        };

        let file = |specific, general| {
            vars.get_either(specific, general)
                .map(|(name, v)| (name, PathBuf::from(v)))
        };
        let certificate = file(V::OtlpTracesCertificate, V::OtlpCertificate);
        let client_certificate = file(V::OtlpTracesClientCertificate, V::OtlpClientCertificate);
        let client_key = file(V::OtlpTracesClientKey, V::OtlpClientKey);
        match (&client_certificate, &client_key) {
            (Some((name, path)), None) | (None, Some((name, path))) => {
                return Err(ConfigError::for_setting(
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
    fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let batch = BatchSettings {
            schedule_delay: match vars.millis(V::BspScheduleDelay)? {
                Some(d) if d < Duration::from_millis(MIN_SCHEDULE_DELAY_MS.into()) => {
                    return Err(ConfigError::for_setting(
                        V::BspScheduleDelay,
                        d.as_millis().to_string(),
                        format!(
                            "a whole number of milliseconds from {MIN_SCHEDULE_DELAY_MS} \
                             (an idle batch worker wakes once per delay) to 4294967295"
                        ),
                    ))
                }
                other => other,
            },
            export_timeout: vars.millis(V::BspExportTimeout)?,
            max_queue_size: match vars.positive(V::BspMaxQueueSize)? {
                Some(n) if n > MAX_QUEUE_SIZE => {
                    return Err(ConfigError::for_setting(
                        V::BspMaxQueueSize,
                        n.to_string(),
                        format!(
                            "a whole number from 1 to {MAX_QUEUE_SIZE} (spans queued, all \
                             threads together)"
                        ),
                    ))
                }
                other => other,
            },
            max_export_batch_size: vars.positive(V::BspMaxExportBatchSize)?,
        };
        let queue = batch.max_queue_size.unwrap_or(2048);
        if let Some(size) = batch.max_export_batch_size {
            if size > queue {
                return Err(ConfigError::for_setting(
                    V::BspMaxExportBatchSize,
                    size.to_string(),
                    format!("a number from 1 to the queue size, OTEL_BSP_MAX_QUEUE_SIZE ({queue})"),
                ));
            }
        }

        Ok(batch)
    }
}

impl LimitSettings {
    fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let general_count = vars.count_u32(V::AttributeCountLimit)?;
        let general_length = vars.count(V::AttributeValueLengthLimit)?;
        Ok(Self {
            attribute_count: vars
                .count_u32(V::SpanAttributeCountLimit)?
                .or(general_count),
            event_count: vars.count_u32(V::SpanEventCountLimit)?,
            link_count: vars.count_u32(V::SpanLinkCountLimit)?,
            event_attribute_count: vars.count_u32(V::EventAttributeCountLimit)?,
            link_attribute_count: vars.count_u32(V::LinkAttributeCountLimit)?,
            attribute_value_length: vars
                .count(V::SpanAttributeValueLengthLimit)?
                .or(general_length),
        })
    }
}

impl EnvConfig {
    /// Reads every variable of `map` (a missing, empty or blank value is unset).
    ///
    /// `OTEL_SDK_DISABLED=true` reads nothing else: the SDK is off, so no other value can
    /// be wrong (the configuration is the defaults, with no exporter).
    pub(crate) fn read(map: &EnvMap) -> Result<Self, ConfigError> {
        let vars = Vars { map };
        let unknown = unknown_variables(map.keys().map(String::as_str));
        if vars.bool(V::SdkDisabled)? {
            let mut off = Self::read(&EnvMap::new())?;
            off.disabled = true;
            off.exporters.clear();
            off.unknown = unknown;
            return Ok(off);
        }
        let disabled = false;

        let mut resource = match vars.get(V::ResourceAttributes) {
            Some(v) => parse_key_values(V::ResourceAttributes, &v)?,
            None => Vec::new(),
        };
        let service_name = vars.get(V::ServiceName).or_else(|| {
            resource
                .iter()
                .find(|(k, _)| k == "service.name")
                .map(|(_, v)| v.clone())
        });
        resource.retain(|(k, _)| k != "service.name");

        let sampler_arg = vars.get(V::TracesSamplerArg);
        let sampler = parse_sampler(
            vars.get(V::TracesSampler).as_deref(),
            sampler_arg.as_deref(),
        )?;
        let exporters = parse_exporters(vars.get(V::TracesExporter).as_deref())?;
        let console_format = match vars.get(V::ConsoleFormat) {
            None => ConsoleFormat::Pretty,
            Some(v) if v.eq_ignore_ascii_case("pretty") => ConsoleFormat::Pretty,
            Some(v) if v.eq_ignore_ascii_case("json") => ConsoleFormat::Json,
            Some(v) => {
                return Err(ConfigError::for_setting(
                    V::ConsoleFormat,
                    v,
                    "pretty or json",
                ))
            }
        };

        let otlp = OtlpSettings::from_vars(&vars)?;

        let file = FileSettings {
            path: vars
                .get(V::FilePath)
                .map_or_else(|| PathBuf::from(DEFAULT_FILE_PATH), PathBuf::from),
            max_bytes: vars
                .positive(V::FileMaxBytes)?
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
            max_files: vars.positive(V::FileMaxFiles)?,
        };

        let batch = BatchSettings::from_vars(&vars)?;
        let limits = LimitSettings::from_vars(&vars)?;
        let propagators = match vars.get(V::Propagators) {
            Some(v) => Some(
                Propagators::from_env_value(&v)
                    .map_err(|_| ConfigError::for_setting(V::Propagators, v, PROPAGATORS))?,
            ),
            None => None,
        };

        let max_level = match vars.get(V::MaxLevel) {
            Some(v) => Some(v.parse().map_err(|_| {
                ConfigError::for_setting(V::MaxLevel, v, "error, warn, info, debug or trace")
            })?),
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
            max_level,
            unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<EnvConfig, ConfigError> {
        let map: EnvMap = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EnvConfig::read(&map)
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
    fn sdk_disabled_reads_nothing_else() {
        // On main, any other bad value failed the whole setup even with the SDK off.
        let c = ok(&[
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999"),
            ("OTEL_BSP_SCHEDULE_DELAY", "0"),
            ("OTEL_RESOURCE_ATTRIBUTES", "k=%zz"),
            ("OTEL_PROPAGATORS", "xray"),
        ]);
        assert!(c.disabled);
        assert!(c.exporters.is_empty());
        assert_eq!(c.propagators, None);
        // Its own value is still checked.
        assert_eq!(
            err(&[
                ("OTEL_SDK_DISABLED", "yes"),
                ("OTEL_TRACES_SAMPLER", "sometimes")
            ])
            .variable(),
            "OTEL_SDK_DISABLED"
        );
    }

    #[test]
    fn unknown_variables_are_collected_with_the_nearest_name() {
        let c = ok(&[
            ("OTEL_EXPORTER_OTLP_ENDPIONT", "http://x:4318"),
            ("OTEL_SERVICE_NAME", "svc"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ]);
        assert_eq!(c.unknown.len(), 1);
        assert_eq!(c.unknown[0].name, "OTEL_EXPORTER_OTLP_ENDPIONT");
        assert_eq!(c.unknown[0].nearest, Some(V::OtlpEndpoint));
        // Not an error, and the misspelled value is not used.
        assert_eq!(c.otlp.endpoint, "http://localhost:4318/v1/traces");
        let c = ok(&[("OTEL_SDK_DISABLED", "true"), ("OTEL_TRACES_SAMPLR", "x")]);
        assert_eq!(c.unknown[0].nearest, Some(V::TracesSampler));
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
        let kv = parse_key_values(V::ResourceAttributes, "a=1,,b=2, ,a=3").unwrap_or_default();
        assert_eq!(
            kv,
            vec![
                ("a".to_owned(), "3".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        let kv = parse_key_values(V::ResourceAttributes, "k=a=b").unwrap_or_default();
        assert_eq!(kv, vec![("k".to_owned(), "a=b".to_owned())]);
        let kv = parse_key_values(V::ResourceAttributes, "empty=").unwrap_or_default();
        assert_eq!(kv, vec![("empty".to_owned(), String::new())]);
    }

    #[test]
    fn max_level() {
        assert_eq!(ok(&[]).max_level, None);
        assert_eq!(
            ok(&[("TRACED_MAX_LEVEL", "Debug")]).max_level,
            Some(trace_core::Level::Debug)
        );
        let e = err(&[("TRACED_MAX_LEVEL", "verbose")]);
        assert!(e.to_string().contains("TRACED_MAX_LEVEL"), "{e}");
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
        // One URL rule with the builder: schemes are case-insensitive, ports fit 16 bits.
        assert_eq!(
            e(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "HTTP://collector:4318")]),
            "HTTP://collector:4318/v1/traces"
        );
        for (name, bad) in [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://127.0.0.1:99999/v1/traces",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:0"),
        ] {
            let e = err(&[(name, bad)]);
            assert_eq!((e.variable(), e.value()), (name, bad));
            assert!(e.expected().contains("port from 1 to 65535"), "{e}");
        }
    }

    #[cfg(feature = "grpc")]
    #[test]
    fn grpc_endpoints_have_no_signal_path() {
        let e = |vars: &[(&str, &str)]| ok(vars).otlp.endpoint;
        let grpc = ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        assert_eq!(e(&[grpc]), "http://localhost:4317");
        assert_eq!(
            e(&[
                grpc,
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
            ]),
            "http://collector:4317"
        );
        assert_eq!(
            e(&[
                grpc,
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:14317"),
            ]),
            "http://traces:14317"
        );
        // Only the traces protocol is gRPC: the base URL is still used as it is.
        assert_eq!(
            e(&[
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317/"),
            ]),
            "http://collector:4317/"
        );
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
        if cfg!(feature = "grpc") {
            assert_eq!(
                p(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]),
                Protocol::Grpc
            );
            assert_eq!(
                p(&[
                    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                    ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "GRPC"),
                ]),
                Protocol::Grpc
            );
        } else {
            let e = err(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
            assert_eq!(
                (e.variable(), e.value()),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
            );
            assert!(e.expected().contains("`grpc` feature"), "{e}");
        }
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
            Some((V::OtlpCertificate, PathBuf::from("/etc/ca.pem")))
        );
        assert_eq!(
            c.otlp.client_certificate,
            Some((
                V::OtlpTracesClientCertificate,
                PathBuf::from("/etc/client.pem")
            ))
        );
        assert_eq!(
            c.otlp.client_key,
            Some((V::OtlpClientKey, PathBuf::from("/etc/client.key")))
        );
        let e = err(&[("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/client.key")]);
        assert_eq!(e.variable(), "OTEL_EXPORTER_OTLP_CLIENT_KEY");
        // A file that cannot be read: see `build::tests::unreadable_certificate_names_its_variable`.
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
        // The maximum was 16777216 (1 << 24); it is now 65536 (see MAX_QUEUE_SIZE).
        assert!(e.expected().contains(&MAX_QUEUE_SIZE.to_string()));
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
    fn queue_size_has_a_documented_maximum() {
        // 16,777,216 was accepted (about 6 GB reserved per producing thread).
        for bad in ["16777216", "65537", "1048576"] {
            let e = err(&[("OTEL_BSP_MAX_QUEUE_SIZE", bad)]);
            assert_eq!((e.variable(), e.value()), ("OTEL_BSP_MAX_QUEUE_SIZE", bad));
            assert!(e.expected().contains("65536"), "{e}");
        }
        assert_eq!(
            ok(&[("OTEL_BSP_MAX_QUEUE_SIZE", "65536")])
                .batch
                .max_queue_size,
            Some(65536)
        );
    }

    #[test]
    fn schedule_delay_zero_is_refused() {
        // 0 made an idle worker spin (7 % of a core); below 10 ms is refused, clearly.
        for bad in ["0", "9"] {
            let e = err(&[("OTEL_BSP_SCHEDULE_DELAY", bad)]);
            assert_eq!((e.variable(), e.value()), ("OTEL_BSP_SCHEDULE_DELAY", bad));
            assert!(e.expected().contains("from 10"), "{e}");
            assert!(e.expected().contains("idle"), "{e}");
        }
        assert_eq!(
            ok(&[("OTEL_BSP_SCHEDULE_DELAY", "10")])
                .batch
                .schedule_delay,
            Some(Duration::from_millis(10))
        );
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
    fn percent_decoding() {
        // The one decoder (trace-core's), with the policy of configuration: refuse.
        let decode = |s| percent_decode(s).ok().map(std::borrow::Cow::into_owned);
        assert_eq!(decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(decode("%e2%9c%93").as_deref(), Some("✓"));
        assert_eq!(decode("100%"), None);
        assert_eq!(decode("%g0"), None);
        assert_eq!(decode("%ff"), None);
        // In a variable, a bad escape is an error naming the variable and the problem.
        let e = err(&[("OTEL_RESOURCE_ATTRIBUTES", "k=100%")]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_RESOURCE_ATTRIBUTES", "k=100%")
        );
        assert!(e.expected().contains("two hex digits"), "{e}");
        let e = err(&[("OTEL_EXPORTER_OTLP_HEADERS", "k=%C3")]);
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "k=***")
        );
        assert!(e.expected().contains("not UTF-8"), "{e}");
    }
}
