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

mod in_memory;
mod noop;
mod stdout;

pub use crate::in_memory::InMemoryExporter;
pub use crate::noop::NoopExporter;
pub use crate::stdout::{SharedBuffer, StdoutExporter};
