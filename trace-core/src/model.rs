//! The span vocabulary: [`SpanKind`], [`Status`], [`Event`], [`Link`].

use std::borrow::Cow;
use std::time::SystemTime;

use crate::span_context::SpanContext;
use crate::value::KeyValue;

/// The role of a span in a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// An internal operation (the default).
    #[default]
    Internal,
    /// The server side of a synchronous remote call.
    Server,
    /// The client side of a synchronous remote call.
    Client,
    /// The sender of an asynchronous message.
    Producer,
    /// The receiver of an asynchronous message.
    Consumer,
}

impl SpanKind {
    /// The lowercase name (`"internal"`, `"server"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// The outcome of a span. Instrumentation sets only `Error`; `Ok` is for the application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Status {
    /// Nothing said (the default).
    #[default]
    Unset,
    /// The application marked the operation successful.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong (the error's `Display`).
        description: Cow<'static, str>,
    },
}

impl Status {
    /// An error status with `description`.
    pub fn error(description: impl Into<Cow<'static, str>>) -> Self {
        Status::Error {
            description: description.into(),
        }
    }
}

/// Something that happened at a point in time during a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Event name.
    pub name: Cow<'static, str>,
    /// When it happened.
    pub time: SystemTime,
    /// Attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the limits.
    pub dropped_attributes_count: u32,
}

/// A link from a span to another span (in this or another trace).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The linked span.
    pub span_context: SpanContext,
    /// Attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the limits.
    pub dropped_attributes_count: u32,
}

impl Link {
    /// A link with no attributes.
    pub fn new(span_context: SpanContext) -> Self {
        Link {
            span_context,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
        }
    }
}
