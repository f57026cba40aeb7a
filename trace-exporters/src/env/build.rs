//! Building: a read [`EnvConfig`] to a [`TracerBuilder`], with the I/O that takes
//! (certificate files, the file exporter's file, the executable's name).

use std::path::PathBuf;

use trace_core::{
    AlwaysOff, AlwaysOn, BatchConfig, KeyValue, ParentBased, RateLimited, SpanExporter, SpanLimits,
    TraceIdRatio, Tracer, TracerBuilder,
};

use super::read::{ConsoleFormat, EnvConfig, ExporterKind, OtlpSettings, SamplerConfig};
use crate::config_error::{BuilderOption, ConfigError, EnvVar, Setting};
use crate::otlp::{OtlpExporter, TlsSettings};
use crate::{FileExporter, MultiExporter, StdoutExporter};

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

impl OtlpSettings {
    /// Reads the certificate and key files named by the environment.
    fn tls_settings(&self) -> Result<TlsSettings, ConfigError> {
        let read = |(name, path): &(EnvVar, PathBuf)| {
            if !cfg!(feature = "tls") {
                return Err(ConfigError::for_setting(
                    *name,
                    path.display().to_string(),
                    "unset: certificates need the `tls` feature of trace-exporters",
                ));
            }
            std::fs::read(path).map_err(|e| {
                ConfigError::for_setting(
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

    /// The variable a builder option's value came from, to name it in errors.
    fn variable_of(&self, setting: &Setting) -> EnvVar {
        let file_of = |files: &[&Option<(EnvVar, PathBuf)>]| {
            files
                .iter()
                .find_map(|f| f.as_ref().map(|(var, _)| *var))
                .unwrap_or(self.endpoint_variable)
        };
        match setting {
            Setting::Builder(BuilderOption::RootCertificatesPem | BuilderOption::Tls) => {
                file_of(&[&self.certificate, &self.client_certificate])
            }
            Setting::Builder(BuilderOption::ClientIdentityPem) => {
                file_of(&[&self.client_certificate])
            }
            Setting::Builder(BuilderOption::Header) => self.headers_variable,
            // The endpoint, or anything else the builder may refuse in the future.
            _ => self.endpoint_variable,
        }
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
        if let Some(level) = self.max_level {
            builder = builder.max_level(level);
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
                        let variable = o.variable_of(e.setting());
                        e.with_setting(variable)
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
                    ConfigError::for_setting(
                        EnvVar::FilePath,
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
    use std::collections::BTreeMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> EnvConfig {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        match EnvConfig::read(&map) {
            Ok(c) => c,
            Err(e) => panic!("{vars:?} rejected: {e}"),
        }
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
    fn unreadable_certificate_names_its_variable() {
        // A file that cannot be read is an error naming the variable.
        let c = read(&[(
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
    fn builder_errors_name_the_variable_they_came_from() {
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "bad name=v"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318"),
        ]);
        let e = c.builder().err();
        assert_eq!(
            e.as_ref().map(ConfigError::variable),
            Some("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
        );
        let o = &c.otlp;
        assert_eq!(
            o.variable_of(&Setting::Builder(BuilderOption::Endpoint)),
            EnvVar::OtlpEndpoint
        );
        assert_eq!(
            o.variable_of(&Setting::Builder(BuilderOption::Tls)),
            EnvVar::OtlpEndpoint
        );
        let c = read(&[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem")]);
        assert_eq!(
            c.otlp
                .variable_of(&Setting::Builder(BuilderOption::RootCertificatesPem)),
            EnvVar::OtlpCertificate
        );
    }
}
