//! Property tests: every value the formatters write parses back to the same thing, and the
//! parsers never panic on arbitrary input and keep their limits.

use proptest::prelude::*;
use trace_core::propagation::{
    format_traceparent, parse_traceparent, Baggage, BaggageProperty, MAX_BAGGAGE_BYTES,
    MAX_BAGGAGE_ENTRIES,
};
use trace_core::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

fn span_context() -> impl Strategy<Value = SpanContext> {
    (any::<[u8; 16]>(), any::<[u8; 8]>(), any::<u8>())
        .prop_filter("ids must be non-zero", |(t, s, _)| {
            t != &[0; 16] && s != &[0; 8]
        })
        .prop_map(|(t, s, f)| {
            SpanContext::new(
                TraceId::from_bytes(t),
                SpanId::from_bytes(s),
                TraceFlags::from_bits(f),
                false,
                TraceState::default(),
            )
        })
}

/// Keys of the tracestate grammar (Trace Context, 2026 revision).
fn tracestate_key() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_*/@-]{0,255}"
}

/// Values of the tracestate grammar: printable ASCII without `,` and `=`, not ending in a
/// space.
fn tracestate_value() -> impl Strategy<Value = String> {
    "[ -+\\--<>-~]{0,255}[!-+\\--<>-~]"
}

fn trace_state() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((tracestate_key(), tracestate_value()), 0..=32).prop_map(|members| {
        let mut seen = std::collections::HashSet::new();
        members
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect()
    })
}

/// RFC 7230 tokens.
fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}"
}

proptest! {
    #[test]
    fn traceparent_round_trips(cx in span_context()) {
        let header = format_traceparent(&cx).unwrap();
        prop_assert_eq!(header.len(), 55);
        let (t, s, f) = parse_traceparent(&header).unwrap();
        prop_assert_eq!(t, cx.trace_id);
        prop_assert_eq!(s, cx.span_id);
        // Sampled and random are kept; reserved bits are zeroed.
        prop_assert_eq!(f.bits(), cx.trace_flags.bits() & 0x03);
    }

    #[test]
    fn traceparent_parser_never_panics(s in "\\PC{0,80}") {
        if let Some((t, span, f)) = parse_traceparent(&s) {
            prop_assert!(t.is_valid() && span.is_valid());
            let cx = SpanContext::new(t, span, f, true, TraceState::default());
            let again = parse_traceparent(&format_traceparent(&cx).unwrap()).unwrap();
            prop_assert_eq!(again, (t, span, f));
        }
    }

    #[test]
    fn traceparent_near_misses_never_panic(
        version in "[0-9a-fA-F.]{1,3}",
        trace in "[0-9a-fA-F.]{30,34}",
        span in "[0-9a-fA-F.]{14,18}",
        flags in "[0-9a-fA-F.]{1,3}",
        tail in "(-[a-z-]{0,10})?",
    ) {
        let header = format!("{version}-{trace}-{span}-{flags}{tail}");
        if let Some((t, s, _)) = parse_traceparent(&header) {
            prop_assert_eq!(t.to_string(), trace);
            prop_assert_eq!(s.to_string(), span);
            prop_assert!(version != "ff");
        }
    }

    #[test]
    fn tracestate_round_trips(members in trace_state()) {
        let ts = TraceState::from_members(members.clone());
        let parsed = TraceState::from_header(&ts.header()).unwrap();
        prop_assert_eq!(parsed.members(), members.as_slice());
    }

    #[test]
    fn tracestate_parser_never_panics(s in "[ -~\\t]{0,300}") {
        if let Ok(ts) = TraceState::from_header(&s) {
            prop_assert!(ts.members().len() <= 32);
            let again = TraceState::from_header(&ts.header()).unwrap();
            prop_assert_eq!(again, ts);
        }
    }

    #[test]
    fn tracestate_insert_moves_to_front(members in trace_state(), key in tracestate_key(), value in tracestate_value()) {
        let ts = TraceState::from_members(members.clone()).insert(&key, &value).unwrap();
        prop_assert_eq!(&ts.members()[0], &(key.clone(), value));
        prop_assert!(ts.members().len() <= 32);
        let rest: Vec<_> = members.into_iter().filter(|(k, _)| *k != key).take(31).collect();
        prop_assert_eq!(&ts.members()[1..], rest.as_slice());
    }

    #[test]
    fn baggage_round_trips(
        entries in prop::collection::vec((token(), "\\PC{0,30}", prop::option::of(token())), 0..20)
    ) {
        let mut b = Baggage::new();
        for (k, v, prop) in &entries {
            let props = prop.iter().map(|p| BaggageProperty::new(p, Some(v)).unwrap()).collect();
            // Entries past the byte limit are refused; the rest must round-trip.
            let _ = b.insert_with_properties(k, v, props);
        }
        let header = b.to_header();
        prop_assert!(header.is_ascii());
        prop_assert_eq!(Baggage::from_header(&header), b);
    }

    #[test]
    fn baggage_parser_keeps_its_limits(s in "\\PC{0,2000}", repeat in 1usize..12) {
        let header = s.repeat(repeat);
        let b = Baggage::from_header(&header);
        prop_assert!(b.len() <= MAX_BAGGAGE_ENTRIES);
        let out = b.to_header();
        prop_assert!(out.len() <= MAX_BAGGAGE_BYTES);
        prop_assert_eq!(Baggage::from_header(&out), b);
    }

    #[test]
    fn baggage_entry_limits_hold(n in 0usize..100, len in 0usize..400) {
        let mut b = Baggage::new();
        let value = "v".repeat(len);
        for i in 0..n {
            let _ = b.insert(&format!("k{i}"), &value);
        }
        prop_assert!(b.len() <= MAX_BAGGAGE_ENTRIES);
        prop_assert!(b.to_header().len() <= MAX_BAGGAGE_BYTES);
    }
}
