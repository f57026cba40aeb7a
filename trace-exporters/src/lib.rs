//! # trace-exporters
//!
//! Where spans leave the process: [`NoopExporter`], [`InMemoryExporter`] (for tests),
//! [`StdoutExporter`] (a readable tree per trace).
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

mod env;
mod file;
mod in_memory;
mod json;
mod multi;
mod noop;
mod otlp;
mod stdout;
mod writer;

pub use crate::env::{builder_from_env, init_from_env, ConfigError};
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
