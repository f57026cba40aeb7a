//! Fuzzes the W3C parsers: `traceparent`, `tracestate`, `baggage`, and extraction through
//! an `http::HeaderMap` with repeated fields. Checks that nothing panics, that every limit
//! holds, and that what the formatters write parses back to the same value. Memory stays
//! bounded (run with `-rss_limit_mb`): the parsers never keep more than the limits allow.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_core::propagation::{
    extract, extract_baggage, format_traceparent, parse_traceparent, Baggage, MAX_BAGGAGE_BYTES,
    MAX_BAGGAGE_ENTRIES,
};
use trace_core::{SpanContext, TraceState};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Some((trace_id, span_id, flags)) = parse_traceparent(&text) {
        assert!(trace_id.is_valid() && span_id.is_valid());
        let cx = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
        let header = format_traceparent(&cx).expect("a parsed context is valid");
        assert_eq!(parse_traceparent(&header), Some((trace_id, span_id, flags)));
    }

    if let Ok(state) = TraceState::from_header(&text) {
        assert!(state.members().len() <= 32);
        assert_eq!(
            TraceState::from_header(&state.header()).as_ref(),
            Ok(&state)
        );
    }

    let baggage = Baggage::from_header(&text);
    assert!(baggage.len() <= MAX_BAGGAGE_ENTRIES);
    let header = baggage.to_header();
    assert!(header.len() <= MAX_BAGGAGE_BYTES);
    assert_eq!(Baggage::from_header(&header), baggage);

    // The same bytes as repeated header fields, split at newlines.
    let mut headers = http::HeaderMap::new();
    for (i, field) in data.split(|&b| b == b'\n').take(64).enumerate() {
        let Ok(value) = http::HeaderValue::from_bytes(field) else {
            continue;
        };
        let name = ["traceparent", "tracestate", "baggage"][i % 3];
        headers.append(name, value);
    }
    if let Some(cx) = extract(&headers) {
        assert!(cx.is_valid() && cx.is_remote);
        assert!(cx.trace_state.members().len() <= 32);
    }
    if let Some(b) = extract_baggage(&headers) {
        assert!(!b.is_empty() && b.len() <= MAX_BAGGAGE_ENTRIES);
        assert!(b.to_header().len() <= MAX_BAGGAGE_BYTES);
    }
});
