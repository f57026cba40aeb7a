//! [`ConfigError`] and the typed [`Setting`] it names: which environment variable
//! ([`EnvVar`]) or builder option ([`BuilderOption`]) held a value that could not be used.
//!
//! Every other module reports configuration errors through this one; it depends on none
//! of them.

use std::borrow::Cow;
use std::fmt;

macro_rules! env_vars {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// An environment variable read by [`init_from_env`](crate::init_from_env) (the
        /// table of accepted values is in its docs).
        ///
        /// # Examples
        ///
        /// ```
        /// use trace_exporters::EnvVar;
        ///
        /// assert_eq!(EnvVar::OtlpEndpoint.name(), "OTEL_EXPORTER_OTLP_ENDPOINT");
        /// assert_eq!(EnvVar::from_name("OTEL_SDK_DISABLED"), Some(EnvVar::SdkDisabled));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EnvVar {
            $($(#[$doc])* #[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl EnvVar {
            /// Every variable, in the order of the table in
            /// [`init_from_env`](crate::init_from_env)'s docs.
            pub const ALL: &'static [EnvVar] = &[$(EnvVar::$variant,)*];

            /// The variable's name, e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(EnvVar::$variant => $name,)*
                }
            }
        }
    };
}

env_vars! {
    SdkDisabled => "OTEL_SDK_DISABLED",
    Propagators => "OTEL_PROPAGATORS",
    ServiceName => "OTEL_SERVICE_NAME",
    ResourceAttributes => "OTEL_RESOURCE_ATTRIBUTES",
    TracesSampler => "OTEL_TRACES_SAMPLER",
    TracesSamplerArg => "OTEL_TRACES_SAMPLER_ARG",
    TracesExporter => "OTEL_TRACES_EXPORTER",
    OtlpEndpoint => "OTEL_EXPORTER_OTLP_ENDPOINT",
    OtlpTracesEndpoint => "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    OtlpProtocol => "OTEL_EXPORTER_OTLP_PROTOCOL",
    OtlpTracesProtocol => "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    OtlpHeaders => "OTEL_EXPORTER_OTLP_HEADERS",
    OtlpTracesHeaders => "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    OtlpTimeout => "OTEL_EXPORTER_OTLP_TIMEOUT",
    OtlpTracesTimeout => "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    OtlpCompression => "OTEL_EXPORTER_OTLP_COMPRESSION",
    OtlpTracesCompression => "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    OtlpCertificate => "OTEL_EXPORTER_OTLP_CERTIFICATE",
    OtlpTracesCertificate => "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    OtlpClientCertificate => "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    OtlpTracesClientCertificate => "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
    OtlpClientKey => "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    OtlpTracesClientKey => "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
    BspScheduleDelay => "OTEL_BSP_SCHEDULE_DELAY",
    BspExportTimeout => "OTEL_BSP_EXPORT_TIMEOUT",
    BspMaxQueueSize => "OTEL_BSP_MAX_QUEUE_SIZE",
    BspMaxExportBatchSize => "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    SpanAttributeCountLimit => "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
    AttributeCountLimit => "OTEL_ATTRIBUTE_COUNT_LIMIT",
    SpanEventCountLimit => "OTEL_SPAN_EVENT_COUNT_LIMIT",
    SpanLinkCountLimit => "OTEL_SPAN_LINK_COUNT_LIMIT",
    EventAttributeCountLimit => "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
    LinkAttributeCountLimit => "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
    SpanAttributeValueLengthLimit => "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    AttributeValueLengthLimit => "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    FilePath => "TRACED_EXPORTER_FILE_PATH",
    FileMaxBytes => "TRACED_EXPORTER_FILE_MAX_BYTES",
    FileMaxFiles => "TRACED_EXPORTER_FILE_MAX_FILES",
    ConsoleFormat => "TRACED_EXPORTER_CONSOLE_FORMAT",
    MaxLevel => "TRACED_MAX_LEVEL",
}

impl EnvVar {
    /// The variable called `name` (exact, case-sensitive, as environment names are).
    pub fn from_name(name: &str) -> Option<EnvVar> {
        EnvVar::ALL.iter().copied().find(|v| v.name() == name)
    }
}

impl fmt::Display for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A method of [`OtlpExporterBuilder`](crate::OtlpExporterBuilder) whose value
/// [`build`](crate::OtlpExporterBuilder::build) refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuilderOption {
    /// `OtlpExporterBuilder::endpoint`.
    Endpoint,
    /// `OtlpExporterBuilder::header` / `headers`.
    Header,
    /// `OtlpExporterBuilder::protocol`.
    Protocol,
    /// TLS material given to a build without the `tls` feature.
    Tls,
    /// `OtlpExporterBuilder::root_certificates_pem`.
    RootCertificatesPem,
    /// `OtlpExporterBuilder::client_identity_pem`.
    ClientIdentityPem,
}

impl BuilderOption {
    const ALL: &'static [BuilderOption] = &[
        BuilderOption::Endpoint,
        BuilderOption::Header,
        BuilderOption::Protocol,
        BuilderOption::Tls,
        BuilderOption::RootCertificatesPem,
        BuilderOption::ClientIdentityPem,
    ];

    /// The option as written in errors, e.g. `OtlpExporterBuilder::endpoint`.
    pub const fn name(self) -> &'static str {
        match self {
            BuilderOption::Endpoint => "OtlpExporterBuilder::endpoint",
            BuilderOption::Header => "OtlpExporterBuilder::header",
            BuilderOption::Protocol => "OtlpExporterBuilder::protocol",
            BuilderOption::Tls => "OtlpExporterBuilder::tls",
            BuilderOption::RootCertificatesPem => "OtlpExporterBuilder::root_certificates_pem",
            BuilderOption::ClientIdentityPem => "OtlpExporterBuilder::client_identity_pem",
        }
    }
}

/// Where a rejected value came from.
///
/// # Examples
///
/// ```
/// use trace_exporters::{ConfigError, EnvVar, Setting};
///
/// let err = ConfigError::new("OTEL_TRACES_SAMPLER", "sometimes", "always_on or always_off");
/// assert_eq!(err.setting(), &Setting::Env(EnvVar::TracesSampler));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// An environment variable.
    Env(EnvVar),
    /// An option of the OTLP exporter's builder.
    Builder(BuilderOption),
    /// Any other setting, by name (from [`ConfigError::new`] with a name this crate does
    /// not know).
    Other(Cow<'static, str>),
}

impl Setting {
    /// The setting's name: the variable, `OtlpExporterBuilder::<method>`, or the given name.
    pub fn name(&self) -> &str {
        match self {
            Setting::Env(v) => v.name(),
            Setting::Builder(o) => o.name(),
            Setting::Other(name) => name,
        }
    }
}

impl From<EnvVar> for Setting {
    fn from(v: EnvVar) -> Self {
        Setting::Env(v)
    }
}

impl From<BuilderOption> for Setting {
    fn from(o: BuilderOption) -> Self {
        Setting::Builder(o)
    }
}

impl From<Cow<'static, str>> for Setting {
    /// The typed setting of that name, or [`Setting::Other`].
    fn from(name: Cow<'static, str>) -> Self {
        if let Some(v) = EnvVar::from_name(&name) {
            return Setting::Env(v);
        }
        match BuilderOption::ALL.iter().find(|o| o.name() == name) {
            Some(o) => Setting::Builder(*o),
            None => Setting::Other(name),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
    setting: Setting,
    value: String,
    expected: Cow<'static, str>,
}

impl ConfigError {
    /// Creates an error for `variable` holding `value`, saying what is `expected`.
    ///
    /// A name this crate knows (an [`EnvVar`] or a [`BuilderOption`]) becomes that typed
    /// [`Setting`]; see [`for_setting`](Self::for_setting) to pass one directly.
    pub fn new(
        variable: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::for_setting(Setting::from(variable.into()), value, expected)
    }

    /// Creates an error for `setting` holding `value`, saying what is `expected`.
    ///
    /// # Examples
    ///
    /// ```
    /// use trace_exporters::{ConfigError, EnvVar};
    ///
    /// let err = ConfigError::for_setting(EnvVar::OtlpTimeout, "10s", "milliseconds");
    /// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_TIMEOUT");
    /// ```
    pub fn for_setting(
        setting: impl Into<Setting>,
        value: impl Into<String>,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            setting: setting.into(),
            value: value.into(),
            expected: expected.into(),
        }
    }

    /// The same error, said of another setting (the variable a builder value came from).
    #[must_use]
    pub fn with_setting(mut self, setting: impl Into<Setting>) -> Self {
        self.setting = setting.into();
        self
    }

    /// The same error with another value shown (a redacted one).
    #[must_use]
    pub(crate) fn with_value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    /// The setting that held the value.
    pub fn setting(&self) -> &Setting {
        &self.setting
    }

    /// The environment variable (or builder method) that held the value.
    pub fn variable(&self) -> &str {
        self.setting.name()
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
            self.value, self.setting, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_typed_settings() {
        for v in EnvVar::ALL {
            assert_eq!(EnvVar::from_name(v.name()), Some(*v));
            assert_eq!(Setting::from(Cow::Borrowed(v.name())), Setting::Env(*v));
        }
        for o in BuilderOption::ALL {
            assert_eq!(Setting::from(Cow::Borrowed(o.name())), Setting::Builder(*o));
        }
        let e = ConfigError::new("MY_APP_SETTING", "x", "y");
        assert_eq!(e.setting(), &Setting::Other("MY_APP_SETTING".into()));
        assert_eq!(e.variable(), "MY_APP_SETTING");
        assert_eq!(EnvVar::from_name("otel_sdk_disabled"), None);
    }

    #[test]
    fn with_setting_renames_only() {
        let e = ConfigError::for_setting(BuilderOption::Endpoint, "ftp://x", "an http URL")
            .with_setting(EnvVar::OtlpTracesEndpoint);
        assert_eq!(
            (e.variable(), e.value(), e.expected()),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "ftp://x",
                "an http URL"
            )
        );
    }
}
