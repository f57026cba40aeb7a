//! JSON lines: one OTLP/JSON object per span per line. The format is documented on
//! [`WriterExporter`](crate::WriterExporter), the public face of this module.

use trace_core::{Resource, SpanData};

use crate::otlp::json_encoding;

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
        json_encoding::encode_resource(resource, &mut encoded);
        Self { resource: encoded }
    }

    /// Appends the line of `span`, newline included.
    pub(crate) fn line(&self, span: &SpanData, out: &mut Vec<u8>) {
        json_encoding::encode_request(&self.resource, std::slice::from_ref(span), out);
        out.push(b'\n');
    }
}
