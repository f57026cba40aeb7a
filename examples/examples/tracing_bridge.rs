//! traced beside the `tracing` and `log` ecosystems: one exported tree from tower-http's
//! request span through a `#[traced]` handler, a `#[tracing::instrument]` function and a
//! `#[traced]` function, with their `tracing` and `log` events, and log lines on stderr that
//! carry the request's trace id.
//!
//! Self-contained: it serves on a free port of 127.0.0.1, calls itself once and exits.
//! Spans are exported as `init_from_env()` sets up (`OTEL_*`); to see the tree on stdout:
//!
//! ```text
//! OTEL_TRACES_EXPORTER=console cargo run -p examples --example tracing_bridge
//! ```

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use trace_bridge::WithTraceIds;
use trace_core::traced;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The cache: a `#[traced]` function logging through `tracing`.
#[traced(attrs(id))]
fn cache_get(id: u64) -> Option<String> {
    tracing::info!(id, "cache miss");
    None
}

/// Older code, instrumented with `tracing`, logging through `log`.
#[tracing::instrument]
fn legacy_lookup(id: u64) -> String {
    log::warn!("slow lookup");
    std::thread::sleep(Duration::from_millis(2));
    cache_get(id).unwrap_or_else(|| format!("order {id}: 2 items"))
}

/// The handler: a `#[traced]` async fn under tower-http's request span.
#[traced]
async fn handle_order() -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    legacy_lookup(42)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The tracer, from OTEL_* (traced's own setup).
    let guard = trace_exporters::init_from_env()?;

    // 2. `tracing`: the bridge layer, and `fmt` lines on stderr with the trace id.
    tracing_subscriber::registry()
        .with(trace_bridge::tracing_layer())
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .event_format(WithTraceIds::new(tracing_subscriber::fmt::format()))
                .with_filter(LevelFilter::INFO),
        )
        .init();

    // 3. `log`: env_logger, with the trace id on each line and records as span events.
    let logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).build();
    let max = logger.filter();
    trace_bridge::Logger::new(logger)
        .with_span_events(true)
        .install(max)?;

    // The service, behind tower-http's TraceLayer (a `tracing` span per request).
    let app = Router::new().route("/orders/42", get(handle_order)).layer(
        TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let body = reqwest::get(format!("http://{addr}/orders/42"))
        .await?
        .text()
        .await?;
    println!("GET /orders/42 -> {body}");

    // The request span ends once the response body is sent: give it a moment, then flush.
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.abort();
    guard.shutdown()?;
    Ok(())
}
