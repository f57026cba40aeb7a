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

// The modules, in layers: each imports only from the layers above it in this list (CI
// checks it: `scripts/check_layers.py`). ARCHITECTURE.md walks the life of a span through them.
//
// 0. vocabulary: ids, values, limits, levels, the clock, the span context,
//    kinds/status/events/links, the panic hook, the error rules
mod clock;
mod errors;
mod id;
mod level;
mod limits;
mod model;
mod panic;
mod span_context;
mod typed;
mod value;
// 1. attributes, the exporter's view and contract, samplers
mod attributes;
mod data;
mod export;
mod sampler;
// 2. the span record and its moves
mod record;
// 3. processors: where an ended record goes
mod processor;
// 4. the installed pipeline and its public face
mod pipeline;
mod tracer;
// 5. what is current on a thread
mod context;
// 6. starting, ending and holding spans; futures
mod end;
#[macro_use]
mod handles;
mod instrument;
mod shared;
mod start;
// 7. the public builder, what macro expansions call, propagation
mod builder;
mod private;
pub mod propagation;
pub mod semconv;

pub use crate::attributes::{AttributeSink, SpanAttributes};
pub use crate::builder::{span, with_span, SpanBuilder};
pub use crate::context::{current_span_id, current_trace_id, Context, ContextGuard};
pub use crate::data::{InstrumentationScope, Resource, SpanData};
pub use crate::errors::{chain, dyn_error_type, error_type, error_type_of, SpanError};
pub use crate::export::{ExportError, ExportFailure, FailureStage, SpanExporter};
pub use crate::handles::{current_span, EnteredSpan, Span, SpanGuard, SpanRef};
pub use crate::id::{SpanId, TraceId};
pub use crate::instrument::{Instrument, Instrumented};
pub use crate::level::{Level, ParseLevelError};
pub use crate::limits::SpanLimits;
pub use crate::model::{Event, Link, SpanKind, Status};
pub use crate::pipeline::is_enabled;
pub use crate::processor::BatchConfig;
pub use crate::sampler::{
    AlwaysOff, AlwaysOn, ParentBased, ParentState, RateLimited, Sampler, SamplingDecision,
    TraceIdRatio,
};
pub use crate::shared::{
    enter_not_sampled, leave_not_sampled, subtree_dropped_here, LocalToken, SharedSpan,
};
pub use crate::span_context::{SpanContext, TraceFlags, TraceState};
pub use crate::tracer::{force_flush, Tracer, TracerBuilder, TracerGuard};
pub use crate::typed::ValueFor;
pub use crate::value::{Array, KeyValue, StringValue, ToValue, Value};

#[cfg(feature = "macros")]
pub use trace_macros::{traced, SpanAttributes};

/// Not public API: what `trace-macros` expansions call. It may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
