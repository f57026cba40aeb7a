//! The error rules of `#[traced]` over real axum handlers behind `ServerLayer`: an error type
//! chooses its `error.type` and description (`SpanError`), a 4xx answer is not a failure of
//! the server (nor of the handler), a 5xx is, type-erased errors keep their cause chain.

mod common;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use common::{attr, run, serve, span_named};
use trace_core::{traced, Status};
use trace_http::ServerLayer;

#[traced]
async fn validate(
    axum::extract::Path(n): axum::extract::Path<i64>,
) -> Result<String, (StatusCode, String)> {
    if n < 0 {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, format!("{n} is negative")));
    }
    if n == 0 {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "the counter is being rebuilt".to_owned(),
        ));
    }
    Ok((n * 2).to_string())
}

#[derive(Debug)]
struct ConfigError(std::io::Error);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("loading the config")
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[traced]
fn load_config() -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "/etc/app.toml");
    Err(Box::new(ConfigError(missing)))
}

#[traced]
async fn config() -> Result<String, StatusCode> {
    load_config().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

#[traced(err(type = "quota_exceeded"))]
async fn quota() -> Result<&'static str, (StatusCode, &'static str)> {
    Err((StatusCode::SERVICE_UNAVAILABLE, "try again in a minute"))
}

fn app() -> Router {
    Router::new()
        .route("/double/{n}", get(validate))
        .route("/config", get(config))
        .route("/quota", get(quota))
        .layer(ServerLayer::new())
}

async fn status_of(addr: std::net::SocketAddr, path: &str) -> u16 {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn a_4xx_from_a_handler_is_not_a_failure() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        assert_eq!(status_of(addr, "/double/-1").await, 422);
        let handler = span_named(&exporter, "validate");
        assert_eq!(handler.status, Status::Unset);
        assert_eq!(attr(&handler, "error.type"), None);
        let server = span_named(&exporter, "GET /double/{n}");
        assert_eq!(server.status, Status::Unset);
        assert_eq!(
            attr(&server, "http.response.status_code").as_deref(),
            Some("422")
        );
    });
}

#[test]
fn a_5xx_from_a_handler_records_the_code_and_the_message() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        assert_eq!(status_of(addr, "/double/0").await, 503);
        let handler = span_named(&exporter, "validate");
        assert_eq!(
            handler.status,
            Status::Error {
                description: "the counter is being rebuilt".into()
            }
        );
        assert_eq!(attr(&handler, "error.type").as_deref(), Some("503"));
        let server = span_named(&exporter, "GET /double/{n}");
        assert_eq!(attr(&server, "error.type").as_deref(), Some("503"));
    });
}

#[test]
fn type_erased_errors_keep_their_cause_chain() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        assert_eq!(status_of(addr, "/config").await, 500);
        let inner = span_named(&exporter, "load_config");
        assert_eq!(
            inner.status,
            Status::Error {
                description: "loading the config: /etc/app.toml".into()
            }
        );
        // The io error in the chain names the kind: stable, low-cardinality.
        assert_eq!(attr(&inner, "error.type").as_deref(), Some("NotFound"));
        let handler = span_named(&exporter, "config");
        assert_eq!(attr(&handler, "error.type").as_deref(), Some("500"));
        assert_eq!(
            handler.status,
            Status::Error {
                description: "Internal Server Error".into()
            }
        );
    });
}

#[test]
fn err_type_overrides_the_error_type() {
    run(|exporter| async move {
        let addr = serve(app()).await;
        assert_eq!(status_of(addr, "/quota").await, 503);
        let handler = span_named(&exporter, "quota");
        assert_eq!(
            attr(&handler, "error.type").as_deref(),
            Some("quota_exceeded")
        );
        assert_eq!(
            handler.status,
            Status::Error {
                description: "try again in a minute".into()
            }
        );
    });
}
