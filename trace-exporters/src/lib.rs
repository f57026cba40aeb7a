//! # trace-exporters
//!
//! Where spans leave the process:
//!
//! - [`init_from_env`]: the one-line setup from the standard `OTEL_*` variables (the table is
//!   in its docs); [`builder_from_env`] to adjust before installing.
//! - [`OtlpExporter`]: OTLP/HTTP, protobuf or JSON, gzip, retries with backoff and
//!   `Retry-After`, partial success reported; `https` with the `tls` feature; OTLP/gRPC
//!   ([`Protocol::Grpc`], `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`) with the `grpc` feature, on
//!   tonic with a small runtime of the exporter's own (no tokio needed in the application).
//! - [`StdoutExporter`]: [`pretty`](StdoutExporter::pretty) (a readable tree per trace) or
//!   [`json`](StdoutExporter::json) lines.
//! - [`WriterExporter`] and [`FileExporter`]: one OTLP/JSON object per span per line (the
//!   format is documented on [`WriterExporter`]); the file exporter rotates by size.
//! - [`MultiExporter`]: fan-out; [`NoopExporter`]: discard; [`InMemoryExporter`]: keep
//!   spans in memory and inspect them in tests.
//!
//! ```
//! use trace_core::{span, Tracer};
//! use trace_exporters::StdoutExporter;
//!
//! let guard = Tracer::builder()
//!     .service_name("docs")
//!     .exporter(StdoutExporter::pretty())
//!     .install_global();
//! {
//!     let _span = span("work").start();
//! }
//! guard.shutdown().unwrap(); // flushes: the tree is printed
//! ```
//!
//! Features: `tls` (`https://` endpoints, rustls with ring), `grpc` (OTLP/gRPC on tonic;
//! it needs Rust 1.88, tonic's minimum).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config_error;
mod env;
mod file;
mod in_memory;
mod json_lines;
mod multi;
mod noop;
mod otlp;
mod stdout;
mod writer;

pub use crate::config_error::{BuilderOption, ConfigError, EnvVar, Setting};
pub use crate::env::{builder_from_env, init_from_env};
pub use crate::file::FileExporter;
pub use crate::in_memory::InMemoryExporter;
pub use crate::multi::MultiExporter;
pub use crate::noop::NoopExporter;
pub use crate::otlp::{
    Compression, OtlpExporter, OtlpExporterBuilder, OtlpStats, OtlpStatsHandle, Protocol,
    RetryConfig,
};
pub use crate::stdout::{SharedBuffer, StdoutExporter};
pub use crate::writer::WriterExporter;
