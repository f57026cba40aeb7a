//! # trace-bridge
//!
//! traced and the Rust ecosystem. With the default feature `tracing`:
//!
//! - [`tracing_layer()`]: a `tracing_subscriber` layer under which every `tracing` span is
//!   a traced span in the same tree as `#[traced]` spans (in both directions) and every
//!   event an event of the current span: tower-http's request spans, library events and
//!   `#[tracing::instrument]` functions join your traces.
//! - [`WithTraceIds`]: trace and span ids in every line `tracing_subscriber::fmt` writes
//!   inside a span (plain and JSON output), the same hex as the exported spans.
//!
//! With the feature `log`, [`Logger`] wraps any `log::Log` (such as `env_logger`): each
//! record inside a span carries `trace_id` and `span_id` as key-values, and can become an
//! event of that span.
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! let _guard = trace_core::Tracer::builder().service_name("shop").install_global();
//! tracing_subscriber::registry()
//!     .with(trace_bridge::tracing_layer())
//!     .with(tracing_subscriber::fmt::layer().event_format(trace_bridge::WithTraceIds::new(
//!         tracing_subscriber::fmt::format(),
//!     )))
//!     .init();
//!
//! let _span = tracing::info_span!("checkout").entered();
//! tracing::info!("logged with the trace id of `checkout`");
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tracing")]
mod fields;
#[cfg(feature = "tracing")]
mod fmt;
#[cfg(feature = "tracing")]
mod layer;
#[cfg(feature = "log")]
mod log;

#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use crate::fmt::WithTraceIds;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub use crate::layer::{tracing_layer, TracingLayer};
#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub use crate::log::Logger;
