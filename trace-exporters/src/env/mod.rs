//! Setup from the standard `OTEL_*` environment variables, in two steps:
//! [`read`] (pure: a map of variables to a typed [`EnvConfig`], unit-tested
//! without touching the process environment) and [`build`] (I/O: files,
//! exporters, the tracer builder). This file holds the public entry points.

mod build;
mod read;
mod unknown;

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use trace_core::{TracerBuilder, TracerGuard};

use self::read::{EnvConfig, EnvMap};
use crate::config_error::ConfigError;

/// Installs the global tracer as the standard `OTEL_*` environment
/// variables say, and returns its guard (keep it alive; dropping it flushes
/// and shuts down).
///
/// | variable | accepted values (default) |
/// | --- | --- |
/// | `OTEL_SDK_DISABLED` | `true`, `false` (`false`); `true` installs a tracer that records and exports nothing |
/// | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `b3`, `b3multi`, `none` (`tracecontext,baggage`); set process-wide by `init_from_env` only |
/// | `OTEL_SERVICE_NAME` | the `service.name` resource attribute (`unknown_service:<executable name>`) |
/// | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,key2=value2`, percent-encoded; `OTEL_SERVICE_NAME` wins over a `service.name` here |
/// | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`, `ratelimited` (`parentbased_always_on`) |
/// | `OTEL_TRACES_SAMPLER_ARG` | the ratio from 0 to 1 for the `*traceidratio` samplers (1.0); spans per second for `ratelimited` (100) |
/// | `OTEL_TRACES_EXPORTER` | a comma-separated list of `otlp`, `console`, `file`, or `none` (`otlp`) |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL, `/v1/traces` is appended (`http://localhost:4318`); for `grpc` used as is (`http://localhost:4317`) |
/// | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | the full URL, used as is; wins over the base URL |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` | `http/protobuf`, `http/json`, `grpc` with the `grpc` feature (`http/protobuf`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` | `name=value,name2=value2`, percent-encoded |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` | milliseconds per export, retries included (`10000`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` | `gzip`, `none` (`none`) |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE` | a PEM file of trusted roots for `https://` (the bundled web roots); `tls` feature |
/// | `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`, `_CLIENT_KEY` | PEM files for mutual TLS, set together; `tls` feature |
/// | `OTEL_BSP_SCHEDULE_DELAY` | milliseconds between exports, at least 10 (`5000`) |
/// | `OTEL_BSP_EXPORT_TIMEOUT` | milliseconds an export (and shutdown) may take (`30000`) |
/// | `OTEL_BSP_MAX_QUEUE_SIZE` | spans queued (all threads together) before new ones are dropped, at most 65536 (`2048`) |
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
/// compressions are case-insensitive. With `OTEL_SDK_DISABLED=true` no other
/// variable is read (none can fail) and no exporter or worker thread is started.
/// An `OTEL_*` variable that is not in this table (nor one of the specification's
/// variables for other signals) is named once on stderr with the nearest name in
/// the table, as a likely misspelling; it is not an error.
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
    let config = read_process_env()?;
    let propagators = config.propagators;
    let builder = config.builder()?;
    if let Some(p) = propagators {
        trace_core::propagation::set_propagators(p);
    }
    Ok(builder.install_global())
}

/// The [`Tracer`](trace_core::Tracer) builder that [`init_from_env`] installs, to adjust before
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
    read_process_env()?.builder()
}

/// Reads the process environment and names each unknown `OTEL_*` variable on stderr, once
/// per process.
fn read_process_env() -> Result<EnvConfig, ConfigError> {
    static NAMED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let config = EnvConfig::read(&process_env())?;
    let mut named = NAMED.lock().unwrap_or_else(PoisonError::into_inner);
    for unknown in &config.unknown {
        if named.insert(unknown.name.clone()) {
            eprintln!("{unknown}");
        }
    }
    Ok(config)
}

/// The variables [`read`] looks at, from the process environment: those named
/// `OTEL_*` or `TRACED_*` (a value that is not UTF-8 is read lossily).
fn process_env() -> EnvMap {
    std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            (name.starts_with("OTEL_") || name.starts_with("TRACED_"))
                .then(|| (name, value.to_string_lossy().into_owned()))
        })
        .collect()
}
