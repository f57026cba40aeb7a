//! A service for the W3C Trace Context test harness.
//!
//! `POST /test` takes a JSON array of `{"url": ..., "arguments": ...}`. For each element, in
//! order and before replying, it POSTs `arguments` as JSON to `url` with `traceparent` and
//! `tracestate` injected from a new `Client` span, a child of the request's `Server` span,
//! itself a child of the caller's context (a new trace when that context is missing or
//! invalid). Then it replies `200`.
//!
//! ```text
//! cargo run -p examples --example propagation_service -- --port 5000
//! # in a checkout of w3c/trace-context:
//! python test/test.py http://127.0.0.1:5000/test
//! ```
//!
//! Listens on 127.0.0.1 only; the port comes from `--port`, else `PORT`, else any free port
//! (printed at start). Spans are exported as `init_from_env()` sets up (`OTEL_*`).

use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing::post;
use serde_json::Value;
use trace_http::{RequestBuilderExt, ServerLayer};

/// Handles one harness request: calls every `url` in order, then answers.
async fn test(State(client): State<reqwest::Client>, body: Bytes) -> StatusCode {
    let Ok(Value::Array(cases)) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    for case in cases {
        let Some(url) = case.get("url").and_then(Value::as_str) else {
            continue;
        };
        let arguments = case.get("arguments").cloned().unwrap_or(Value::Null);
        let payload = arguments.to_string();
        let sent = client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send_traced()
            .await;
        if let Err(error) = sent {
            eprintln!("propagation_service: POST {url}: {error}");
        }
    }
    StatusCode::OK
}

/// The port from `--port N` / `--port=N`, else `PORT`, else 0 (any free port).
fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut value = None;
    while let Some(arg) = args.next() {
        if arg == "--port" {
            value = Some(args.next().ok_or("--port needs a value")?);
        } else if let Some(v) = arg.strip_prefix("--port=") {
            value = Some(v.to_owned());
        } else {
            return Err(format!("unknown argument {arg:?} (usage: [--port N])"));
        }
    }
    let value = value.or_else(|| std::env::var("PORT").ok());
    match value {
        None => Ok(0),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("invalid port {v:?}: expected 0-65535")),
    }
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    let guard = trace_exporters::init_from_env()?;
    let app = Router::new()
        .route("/test", post(test))
        .with_state(reqwest::Client::new())
        .layer(ServerLayer::new());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}/test", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    // A collector that is down is reported, not turned into this service's exit code.
    if let Err(e) = guard.shutdown() {
        eprintln!("propagation_service: traced: {e}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("propagation_service: {error}");
            ExitCode::FAILURE
        }
    }
}
