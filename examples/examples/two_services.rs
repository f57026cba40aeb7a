//! Two services, one trace: a frontend and a backend, each an axum server with
//! `trace_http::ServerLayer` on its own 127.0.0.1 listener, talking over real HTTP with
//! `reqwest` and `send_traced`. A checkout request enters the frontend, which asks the
//! backend; the W3C `traceparent` and `baggage` headers carry the trace (and a `customer`
//! baggage entry) across, and the whole trace is printed as one tree, with attributes
//! as the HTTP semantic conventions name them.
//!
//! Run it with `cargo run -p examples --example two_services`. It exits with an error if the
//! spans do not form one connected trace.
//!
//! With `OTEL_TRACES_EXPORTER` set, the spans go where the `OTEL_*` variables say instead
//! (`init_from_env()`), for example to trace-view: `OTEL_TRACES_EXPORTER=otlp cargo run -p
//! examples --example two_services -- 3` after `cargo run -p trace-view` (the optional
//! argument is how many checkouts to make, the default 1; item 13 fails the backend).

mod support;

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use trace_core::propagation::{Baggage, current_baggage};
use trace_core::{Context, Instrument, Tracer, span, traced};
use trace_exporters::InMemoryExporter;
use trace_http::{RequestBuilderExt, ServerLayer};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The backend's internal work: a span of its own, under the backend's server span.
#[traced(attrs(item))]
fn count_stock(item: u32) -> u32 {
    item % 7 + 1
}

/// Backend: `GET /inventory/{item}`; item 13 is out of stock (an error on both sides).
async fn inventory(Path(item): Path<u32>) -> Result<String, StatusCode> {
    if item == 13 {
        trace_core::current_span().add_event("stock lookup failed", Vec::new());
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    // The baggage set by the original caller arrived through the frontend.
    let customer = current_baggage()
        .get("customer")
        .unwrap_or("unknown")
        .to_owned();
    Ok(format!("{} in stock for {customer}", count_stock(item)))
}

#[derive(Clone)]
struct Frontend {
    client: reqwest::Client,
    backend: SocketAddr,
}

/// Frontend: `GET /orders/{id}` asks the backend for stock.
async fn order(State(front): State<Frontend>, Path(id): Path<u32>) -> Result<String, StatusCode> {
    let stock = front
        .client
        .get(format!("http://{}/inventory/{id}", front.backend))
        .send_traced()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|_| StatusCode::BAD_GATEWAY)?
        .text()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(format!("order {id}: {stock}"))
}

async fn serve(app: Router) -> Result<SocketAddr, Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("two_services: server stopped: {error}");
        }
    });
    Ok(addr)
}

async fn run() -> Result<(), Error> {
    let checkouts: u32 = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("{n:?} is not a number of checkouts"))?,
        None => 1,
    };
    // With OTEL_TRACES_EXPORTER set, export as the OTEL_* variables say (to trace-view, a
    // collector); otherwise keep the spans here, print them and check them.
    let exporter = InMemoryExporter::new();
    let from_env = std::env::var_os("OTEL_TRACES_EXPORTER").is_some();
    let guard = if from_env {
        trace_exporters::init_from_env()?
    } else {
        Tracer::builder()
            .service_name("two_services")
            .simple_exporter(exporter.clone())
            .install_global()
    };
    let client = reqwest::Client::new();

    let backend = serve(
        Router::new()
            .route("/inventory/{item}", get(inventory))
            .layer(ServerLayer::new()),
    )
    .await?;
    let frontend = serve(
        Router::new()
            .route("/orders/{id}", get(order))
            .with_state(Frontend {
                client: client.clone(),
                backend,
            })
            .layer(ServerLayer::new()),
    )
    .await?;

    for n in 0..checkouts {
        let item = [42, 13, 7][n as usize % 3];
        // The user's side: a root span and a baggage entry for everything downstream.
        let context = Context::current().with_baggage(Baggage::new().with("customer", "acme"));
        let reply = async {
            client
                .get(format!("http://{frontend}/orders/{item}"))
                .send_traced()
                .await?
                .text()
                .await
        }
        .in_span(span("checkout").start_detached())
        .in_context(context)
        .await?;
        println!("reply: {reply}");
    }

    guard.force_flush()?;
    if from_env {
        println!("{checkouts} checkouts across {frontend} and {backend}, exported as OTEL_* says");
        guard.shutdown()?;
        return Ok(());
    }
    let spans = exporter.spans();
    support::print_tree(
        &spans,
        &[
            "url.full",
            "http.route",
            "http.response.status_code",
            "item",
        ],
        "  <- over HTTP",
    );
    if checkouts == 1 {
        support::check_one_trace(&spans)?;
        println!(
            "one trace, {} spans, across {frontend} and {backend}",
            spans.len()
        );
    } else {
        println!(
            "{checkouts} traces, {} spans, across {frontend} and {backend}",
            spans.len()
        );
    }
    guard.shutdown()?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("two_services: {error}");
            ExitCode::FAILURE
        }
    }
}
