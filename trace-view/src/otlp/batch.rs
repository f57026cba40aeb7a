//! A request's spans made ready for the store: grouped by trace, resource and scope, each
//! kept in its protobuf encoding with what the trace summaries and the filters need.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use prost::Message as _;

use super::{proto, write_filter_text, SpanIds};
use crate::span::Resource;

/// Spans ready to be written, grouped by trace, resource and scope, their encoding and filter
/// text made outside the store's lock.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Each resource and scope (its protobuf encoding) of the request.
    pub(crate) groups: Vec<(Arc<Resource>, Vec<u8>)>,
    pub(crate) chunks: Vec<Chunk>,
    /// The chunk of each trace and group.
    index: HashMap<([u8; 16], usize), usize>,
}

/// The spans of one trace, resource and scope in a batch: one row of `spans`.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) trace_id: [u8; 16],
    pub(crate) group: usize,
    pub(crate) spans: Vec<SpanMeta>,
    /// The distinct span names, which `SpanMeta::name` indexes.
    pub(crate) names: Vec<String>,
    /// Each span's id, 8 bytes apiece, in order.
    pub(crate) ids: Vec<u8>,
    /// The spans, length-delimited protobuf.
    pub(crate) encoded: Vec<u8>,
    /// `"\n"`, then `key=value\n` per plain attribute of each span.
    pub(crate) attrs: String,
}

/// What the summaries need of a span, and where its bytes end in its chunk.
#[derive(Debug)]
pub(crate) struct SpanMeta {
    pub(crate) name: usize,
    pub(crate) is_root: bool,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) error: bool,
    pub(crate) has_links: bool,
    pub(crate) encoded_end: usize,
    pub(crate) attrs_end: usize,
}

impl Batch {
    /// A new group of spans: one resource and scope.
    pub(crate) fn group(&mut self, resource: &Arc<Resource>, scope: Vec<u8>) -> usize {
        self.groups.push((Arc::clone(resource), scope));
        self.groups.len() - 1
    }

    /// Adds a span of `group` (its ids checked).
    pub(crate) fn push(
        &mut self,
        group: usize,
        trace_id: [u8; 16],
        span_id: [u8; 8],
        ids: &SpanIds,
        span: &proto::Span,
    ) {
        let chunks = &mut self.chunks;
        let i = *self.index.entry((trace_id, group)).or_insert_with(|| {
            chunks.push(Chunk {
                trace_id,
                group,
                spans: Vec::new(),
                names: Vec::new(),
                ids: Vec::new(),
                encoded: Vec::new(),
                attrs: String::from("\n"),
            });
            chunks.len() - 1
        });
        let chunk = &mut self.chunks[i];
        let name = chunk
            .names
            .iter()
            .position(|n| *n == span.name)
            .unwrap_or_else(|| {
                chunk.names.push(span.name.clone());
                chunk.names.len() - 1
            });
        chunk.ids.extend_from_slice(&span_id);
        // Writing into a Vec cannot run out of room.
        let _ = span.encode_length_delimited(&mut chunk.encoded);
        for a in &span.attributes {
            if write_filter_text(&mut chunk.attrs, a) {
                chunk.attrs.push('\n');
            }
        }
        let (start, end) = (span.start_time_unix_nano, span.end_time_unix_nano);
        chunk.spans.push(SpanMeta {
            name,
            is_root: ids.parent_span_id.is_none(),
            start: clamp(start),
            end: clamp(end.max(start)),
            error: span.status.as_ref().is_some_and(|s| s.code == 2),
            has_links: ids.has_links,
            encoded_end: chunk.encoded.len(),
            attrs_end: chunk.attrs.len(),
        });
    }

    /// Moves `other`'s spans into this batch.
    pub(crate) fn append(&mut self, other: Self) {
        let offset = self.groups.len();
        self.groups.extend(other.groups);
        for mut chunk in other.chunks {
            chunk.group += offset;
            self.index
                .insert((chunk.trace_id, chunk.group), self.chunks.len());
            self.chunks.push(chunk);
        }
    }

    /// How many spans the batch holds.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.spans.len()).sum()
    }
}

impl Chunk {
    pub(crate) fn span_id(&self, i: usize) -> [u8; 8] {
        let mut id = [0; 8];
        id.copy_from_slice(&self.ids[i * 8..i * 8 + 8]);
        id
    }

    /// The row's ids, spans and attribute text, with only the spans `keep` says.
    pub(crate) fn kept(&self, keep: &[bool]) -> (Cow<'_, [u8]>, Cow<'_, [u8]>, Cow<'_, str>) {
        if keep.iter().all(|k| *k) {
            return (
                Cow::Borrowed(&self.ids),
                Cow::Borrowed(&self.encoded),
                Cow::Borrowed(&self.attrs),
            );
        }
        let (mut ids, mut encoded, mut attrs) = (Vec::new(), Vec::new(), String::from("\n"));
        let (mut encoded_start, mut attrs_start) = (0, 1);
        for (i, (span, keep)) in self.spans.iter().zip(keep).enumerate() {
            if *keep {
                ids.extend_from_slice(&self.ids[i * 8..i * 8 + 8]);
                encoded.extend_from_slice(&self.encoded[encoded_start..span.encoded_end]);
                attrs.push_str(&self.attrs[attrs_start..span.attrs_end]);
            }
            encoded_start = span.encoded_end;
            attrs_start = span.attrs_end;
        }
        (Cow::Owned(ids), Cow::Owned(encoded), Cow::Owned(attrs))
    }
}

/// Unix nanoseconds as `SQLite`'s signed 64-bit integers (until the year 2262).
fn clamp(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}
