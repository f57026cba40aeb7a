//! # trace-core
//!
//! The runtime of **traced**: spans with timing, attributes, errors and parent/child links
//! across threads and `.await`, sampled and batched on a background thread, exported by any
//! [`SpanExporter`] (see the `trace-exporters` crate), and propagated between processes with
//! W3C Trace Context ([`propagation`]).
//!
//! Most code uses the `#[traced]` attribute (re-exported here with the default `macros`
//! feature); the same spans can be written by hand:
//!
//! ```
//! use trace_core::{current_span, span, SpanKind, Tracer};
//! use trace_exporters::InMemoryExporter;
//!
//! let exporter = InMemoryExporter::new();
//! let guard = Tracer::builder()
//!     .service_name("docs")
//!     .simple_exporter(exporter.clone())
//!     .install_global();
//!
//! {
//!     let _request = span("GET /users").kind(SpanKind::Server).start();
//!     let _query = span("db.query").start_with(|attrs| attrs.set("db.rows", &3));
//!     current_span().set_attribute("cache.hit", &false);
//! }
//!
//! let query = exporter.find("db.query").unwrap();
//! let request = exporter.find("GET /users").unwrap();
//! assert_eq!(query.parent_span_id, Some(request.span_context.span_id));
//! guard.shutdown().unwrap();
//! ```
//!
//! When no tracer is installed, starting a span costs one atomic load and records nothing.

mod attributes;
mod context;
mod data;
mod export;
mod id;
mod instrument;
mod limits;
mod private;
mod processor;
mod sampler;
mod span;
mod tracer;
mod value;

pub mod propagation;

pub use crate::attributes::{AttributeSink, SpanAttributes};
pub use crate::context::{
    current_span_id, current_trace_id, Context, ContextGuard, SpanContext, TraceFlags, TraceState,
};
pub use crate::data::{InstrumentationScope, Resource, SpanData};
pub use crate::export::{ExportError, SpanExporter};
pub use crate::id::{SpanId, TraceId};
pub use crate::instrument::{Instrument, Instrumented};
pub use crate::limits::SpanLimits;
pub use crate::processor::BatchConfig;
pub use crate::sampler::{
    AlwaysOff, AlwaysOn, ParentBased, ParentState, RateLimited, Sampler, SamplingDecision,
    TraceIdRatio,
};
pub use crate::span::{
    current_span, span, with_span, EnteredSpan, Event, Link, Span, SpanBuilder, SpanGuard,
    SpanKind, SpanRef, Status,
};
pub use crate::tracer::{force_flush, is_enabled, Tracer, TracerBuilder, TracerGuard};
pub use crate::value::{Array, KeyValue, StringValue, ToValue, Value};

#[cfg(feature = "macros")]
pub use trace_macros::{traced, SpanAttributes};

/// Not public API: what `trace-macros` expansions call. It may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
