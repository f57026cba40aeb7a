//! B3 propagation, single and multi-header, through `inject` / `extract` and
//! `OTEL_PROPAGATORS`-style settings (its own test binary: the setting is process-wide).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use trace_core::propagation::{self, set_propagators, Propagators};
use trace_core::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

fn serial(p: Propagators) -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    set_propagators(p);
    guard
}

fn context(sampled: bool) -> SpanContext {
    SpanContext::new(
        TraceId::from_hex("80f198ee56343ba864fe8b2a57d3eff7").unwrap(),
        SpanId::from_hex("e457b5a2e4d86bd1").unwrap(),
        TraceFlags::default().with_sampled(sampled),
        false,
        TraceState::from_header("congo=t61rcWkgMzE").unwrap(),
    )
}

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn b3_single_round_trips() {
    let _s = serial(Propagators::B3);
    let mut h = HashMap::new();
    propagation::inject(&context(true), &mut h);
    assert_eq!(
        h,
        headers(&[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")])
    );
    let back = propagation::extract(&h).unwrap();
    assert!(back.is_remote && back.is_sampled());
    assert_eq!(back.trace_id, context(true).trace_id);
    assert_eq!(back.span_id, context(true).span_id);
    // B3 carries no tracestate.
    assert!(back.trace_state.is_empty());
}

#[test]
fn b3_multi_round_trips_and_reads_what_zipkin_sends() {
    let _s = serial(Propagators::B3_MULTI);
    let mut h = HashMap::new();
    propagation::inject(&context(false), &mut h);
    assert_eq!(
        h,
        headers(&[
            ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"),
            ("x-b3-spanid", "e457b5a2e4d86bd1"),
            ("x-b3-sampled", "0"),
        ])
    );
    assert!(!propagation::extract(&h).unwrap().is_sampled());
    // Mixed-case names, a 64-bit trace id, a parent and the debug flag.
    let zipkin = headers(&[
        ("X-B3-TraceId", "64fe8b2a57d3eff7"),
        ("X-B3-SpanId", "e457b5a2e4d86bd1"),
        ("X-B3-ParentSpanId", "05e3ac9a4f6e3b90"),
        ("X-B3-Flags", "1"),
    ]);
    let cx = propagation::extract(&zipkin).unwrap();
    assert_eq!(cx.trace_id.to_string(), "000000000000000064fe8b2a57d3eff7");
    assert!(cx.is_sampled());
}

#[test]
fn either_b3_propagator_reads_both_forms_single_first() {
    let _s = serial(Propagators::B3);
    let both = headers(&[
        ("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),
        ("x-b3-traceid", "11111111111111111111111111111111"),
        ("x-b3-spanid", "2222222222222222"),
    ]);
    let cx = propagation::extract(&both).unwrap();
    assert_eq!(cx.span_id.to_string(), "e457b5a2e4d86bd1");
    let multi_only = headers(&[
        ("x-b3-traceid", "11111111111111111111111111111111"),
        ("x-b3-spanid", "2222222222222222"),
        ("x-b3-sampled", "1"),
    ]);
    assert_eq!(
        propagation::extract(&multi_only)
            .unwrap()
            .span_id
            .to_string(),
        "2222222222222222"
    );
}

#[test]
fn w3c_wins_over_b3_and_b3_fills_in() {
    let _s = serial(Propagators::ALL.with(Propagators::B3));
    let mut h = HashMap::new();
    propagation::inject(&context(true), &mut h);
    assert!(h.contains_key("traceparent") && h.contains_key("tracestate") && h.contains_key("b3"));
    h.insert(
        "b3".into(),
        "11111111111111111111111111111111-2222222222222222-0".into(),
    );
    let cx = propagation::extract(&h).unwrap();
    assert_eq!(
        cx.span_id.to_string(),
        "e457b5a2e4d86bd1",
        "traceparent first"
    );
    assert_eq!(cx.trace_state.get("congo"), Some("t61rcWkgMzE"));
    // A broken traceparent: B3 is used.
    h.insert("traceparent".into(), "garbage".into());
    let cx = propagation::extract(&h).unwrap();
    assert_eq!(cx.span_id.to_string(), "2222222222222222");
    assert!(!cx.is_sampled());
}

#[test]
fn garbage_and_oversized_b3_extract_nothing() {
    let _s = serial(Propagators::B3.with(Propagators::B3_MULTI));
    let long = "a".repeat(1 << 20);
    for h in [
        headers(&[("b3", "not-b3")]),
        headers(&[("b3", &long)]),
        headers(&[("b3", "0")]),
        headers(&[("x-b3-traceid", &long), ("x-b3-spanid", "e457b5a2e4d86bd1")]),
        headers(&[("x-b3-spanid", "e457b5a2e4d86bd1")]),
    ] {
        assert!(propagation::extract(&h).is_none(), "{h:.60?}");
    }
}
