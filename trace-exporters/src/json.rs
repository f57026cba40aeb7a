//! JSON lines: one OTLP/JSON object per span per line.
//!
//! Each line is a complete OTLP/JSON `ExportTraceServiceRequest` holding
//! one span, with its resource and instrumentation scope:
//!
//! ```text
//! {"resourceSpans":[{"resource":{"attributes":[...]},
//!   "scopeSpans":[{"scope":{"name":"app","version":"1.0"},
//!     "spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!               "parentSpanId":"eee19b7ec3c1b173","flags":257,"name":"GET /users","kind":2,
//!               "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
//!               "attributes":[{"key":"http.status","value":{"intValue":"200"}}],
//!               "events":[...],"links":[...],"status":{"message":"..","code":2}}]}]}]}
//! ```
//!
//! (shown wrapped; each object is on one line). The field names, hex ids,
//! integer `kind` (1 internal, 2 server, 3 client, 4 producer, 5 consumer)
//! and `status.code` (0 unset, 1 ok, 2 error), and `*UnixNano` times as
//! decimal strings are those of OTLP/JSON, so a line can be read by anything
//! that reads OTLP (for example an OpenTelemetry collector's `otlpjsonfile`
//! receiver, or `jq '.resourceSpans[0].scopeSpans[0].spans[0].name'`).
//! Fields holding their default value (no parent, no attributes, unset
//! status, zero counts) are left out.

use std::io::{self, Write};

use trace_core::{Resource, SpanData};

use crate::otlp::json;

/// Encodes lines for one resource (encoded once).
#[derive(Debug, Clone)]
pub(crate) struct LineEncoder {
    resource: Vec<u8>,
}

impl Default for LineEncoder {
    fn default() -> Self {
        Self::new(&Resource::default())
    }
}

impl LineEncoder {
    pub(crate) fn new(resource: &Resource) -> Self {
        let mut encoded = Vec::new();
        json::encode_resource(resource, &mut encoded);
        Self { resource: encoded }
    }

    /// Appends the line of `span`, newline included.
    pub(crate) fn line(&self, span: &SpanData, out: &mut Vec<u8>) {
        json::encode_request(&self.resource, std::slice::from_ref(span), out);
        out.push(b'\n');
    }
}

/// Writes the JSON line of `span` (see the module docs), newline included,
/// with one `write_all`.
///
/// # Errors
///
/// The writer's error.
#[allow(
    dead_code,
    reason = "the line writer behind `StdoutExporter::json` (stdout.rs)"
)]
pub(crate) fn write_json_line(
    span: &SpanData,
    resource: &Resource,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut line = Vec::with_capacity(512);
    LineEncoder::new(resource).line(span, &mut line);
    out.write_all(&line)
}
