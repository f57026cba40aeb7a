//! The OTLP/HTTP endpoint: the default, the base-URL rule of `OTEL_EXPORTER_OTLP_ENDPOINT`,
//! and the one URL check used by the builder and by the environment.

use ureq::http::Uri;

use crate::config_error::{ConfigError, Setting};

/// The default base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`) of OTLP/HTTP: a collector on this
/// machine. The only place the default endpoint is written.
pub(crate) const DEFAULT_BASE_ENDPOINT: &str = "http://localhost:4318";

/// The default endpoint of OTLP/gRPC: a collector on this machine, port 4317, no path.
pub(crate) const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// What a valid endpoint looks like, for error messages.
const EXPECTED_URL: &str = "an http:// or https:// URL with a host and a port from 1 to 65535 \
                            if any, such as http://localhost:4318";

/// The traces URL of a base URL: `/v1/traces` appended (`OTEL_EXPORTER_OTLP_ENDPOINT`).
pub(crate) fn traces_url_from_base(base: &str) -> String {
    if base.ends_with('/') {
        format!("{base}v1/traces")
    } else {
        format!("{base}/v1/traces")
    }
}

/// The default traces URL, `http://localhost:4318/v1/traces`.
pub(crate) fn default_traces_endpoint() -> String {
    traces_url_from_base(DEFAULT_BASE_ENDPOINT)
}

/// Whether `url` is an endpoint the exporter can send to: `http` or `https` (any case, as
/// RFC 3986 says schemes are), `://`, a non-empty host, an optional port from 1 to 65535,
/// and nothing the HTTP client's URI parser refuses. The error names `setting` and `url`.
///
/// This is syntax only; whether `https` can be used (the `tls` feature) is the builder's
/// question, see [`require_tls_for_https`].
pub(crate) fn validate_url(setting: impl Into<Setting>, url: &str) -> Result<(), ConfigError> {
    check(url).map_err(|expected| ConfigError::for_setting(setting, url, expected))
}

/// Refuses an `https` URL when the crate was built without the `tls` feature.
pub(crate) fn require_tls_for_https(
    setting: impl Into<Setting>,
    url: &str,
) -> Result<(), ConfigError> {
    let https = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if https && !cfg!(feature = "tls") {
        return Err(ConfigError::for_setting(
            setting,
            url,
            "an http:// URL (https:// needs the `tls` feature of trace-exporters)",
        ));
    }
    Ok(())
}

fn check(url: &str) -> Result<(), &'static str> {
    let (scheme, rest) = url.split_once("://").ok_or(EXPECTED_URL)?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(EXPECTED_URL);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials, if any, come before the last `@`.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:4318`.
        let (host, after) = bracketed.split_once(']').ok_or(EXPECTED_URL)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(EXPECTED_URL)?)),
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(EXPECTED_URL);
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid {
            return Err("a port from 1 to 65535 (the URL's port is not one)");
        }
    }
    // The HTTP client parses the URL again to send; anything it refuses is refused here.
    url.parse::<Uri>().map(drop).map_err(|_| EXPECTED_URL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_error::{BuilderOption, EnvVar};

    #[test]
    fn valid_urls() {
        for url in [
            "http://localhost:4318/v1/traces",
            "http://127.0.0.1:1/x",
            "https://collector/otlp/",
            "HTTP://host",
            "Https://Host:443/v1/traces",
            "http://[::1]:4318/v1/traces",
            "http://[::1]",
            "http://user:pw@host:4318",
            "http://host:65535",
        ] {
            assert_eq!(check(url), Ok(()), "{url:?} was refused");
        }
    }

    #[test]
    fn invalid_urls() {
        for url in [
            "",
            "localhost:4318",
            "collector:4318",
            "grpc://x",
            "ftp://x/v1/traces",
            "http://",
            "http:///path",
            "not a url",
            "http://host:",
            "http://host:0",
            "http://host:port",
            "http://[::1",
            "http://[::1]x",
            "http://host name/",
        ] {
            assert!(check(url).is_err(), "{url:?} was accepted");
        }
    }

    #[test]
    fn port_out_of_range_is_a_clear_error() {
        let e = validate_url(EnvVar::OtlpEndpoint, "http://127.0.0.1:99999").unwrap_err();
        assert_eq!(
            (e.variable(), e.value()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:99999")
        );
        assert!(e.expected().contains("port from 1 to 65535"), "{e}");
    }

    #[test]
    fn https_needs_the_tls_feature() {
        let r = require_tls_for_https(BuilderOption::Endpoint, "HTTPS://x:4318/v1/traces");
        assert_eq!(r.is_ok(), cfg!(feature = "tls"));
        assert!(require_tls_for_https(BuilderOption::Endpoint, "http://x").is_ok());
    }

    #[test]
    fn default_endpoint() {
        assert_eq!(default_traces_endpoint(), "http://localhost:4318/v1/traces");
        assert_eq!(
            traces_url_from_base("https://collector/otlp/"),
            "https://collector/otlp/v1/traces"
        );
    }
}
