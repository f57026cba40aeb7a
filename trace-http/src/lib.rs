//! # trace-http
//!
//! HTTP integration for **traced**: one request that crosses services is one trace.
//!
//! - [`ServerLayer`]: a tower layer for servers (axum, hyper). It extracts the caller's W3C
//!   Trace Context and Baggage, opens a `Server` span named `{method} {route}` as a child of
//!   the caller's span (a new trace when the headers are missing or invalid), and keeps the
//!   span and baggage current while the handler runs.
//! - [`ClientLayer`]: a tower layer for clients; it opens a `Client` span and injects its
//!   context into the request. [`inject_request`] injects the current context into any
//!   `http::Request`; with the `reqwest` feature, [`RequestBuilderExt`] does both for
//!   `reqwest`.
//!
//! Features: `axum` (route templates from axum's `MatchedPath`), `reqwest`.
//!
//! # Context across `tokio::spawn`
//!
//! The server span is current while the handler's future is polled, on whatever worker
//! thread polls it. A task started with `tokio::spawn` is a separate future: wrap it with
//! [`Instrument::in_current_context`](trace_core::Instrument::in_current_context) so that
//! spans it starts (and outgoing calls it makes) stay in the request's trace:
//!
//! ```
//! use trace_core::Instrument;
//!
//! async fn handler() -> &'static str {
//!     let task = tokio::spawn(
//!         async {
//!             let _span = trace_core::span("background").start();
//!             // a child of the request's server span, on any worker thread
//!         }
//!         .in_current_context(),
//!     );
//!     let _ = task.await;
//!     "ok"
//! }
//! ```
//!
//! # Examples
//! ```
//! use axum::{routing::get, Router};
//! use trace_http::ServerLayer;
//!
//! async fn user() -> String {
//!     // The server span is current here, and so is the caller's baggage.
//!     let baggage = trace_core::propagation::current_baggage();
//!     format!("tenant {}", baggage.get("tenant").unwrap_or("-"))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(user))
//!     .layer(ServerLayer::new());
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
#[cfg(feature = "reqwest")]
mod reqwest;
mod semconv;
mod server;

pub use client::{inject_request, ClientLayer, ClientService};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use reqwest::RequestBuilderExt;
pub use server::{HttpRoute, ResponseFuture, ServerLayer, ServerService};
