//! Cost of the W3C propagation steps a traced HTTP call adds: parsing and formatting the
//! headers, and extract/inject on an `http::HeaderMap`.
//!
//! `cargo bench -p trace-http --bench propagation` prints nanoseconds per operation (the
//! median of 7 timed runs).

use std::hint::black_box;
use std::time::Instant;

use http::HeaderMap;
use trace_core::propagation::{
    extract, extract_context, format_traceparent, inject, parse_traceparent, Baggage,
};
use trace_core::{SpanContext, TraceState};

fn bench(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let mut runs: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(iterations)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    println!("{name:48} {:8.1} ns", runs[3]);
}

fn main() {
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    let baggage = "userId=alice,serverNode=DF%2028,isProduction=false";
    let Some((trace_id, span_id, flags)) = parse_traceparent(traceparent) else {
        return;
    };
    let Ok(state) = TraceState::from_header(tracestate) else {
        return;
    };
    let cx = SpanContext::new(trace_id, span_id, flags, false, state);
    let mut headers = HeaderMap::new();
    inject(&cx, &mut headers);
    if let Ok(value) = baggage.parse() {
        headers.insert("baggage", value);
    }

    bench("parse_traceparent", 2_000_000, || {
        black_box(parse_traceparent(black_box(traceparent)));
    });
    bench("format_traceparent", 2_000_000, || {
        black_box(format_traceparent(black_box(&cx)));
    });
    bench("TraceState::from_header (2 members)", 1_000_000, || {
        black_box(TraceState::from_header(black_box(tracestate)).ok());
    });
    bench("Baggage::from_header (3 entries)", 1_000_000, || {
        black_box(Baggage::from_header(black_box(baggage)));
    });
    bench(
        "extract (HeaderMap: traceparent, tracestate)",
        1_000_000,
        || {
            black_box(extract(black_box(&headers)));
        },
    );
    bench("extract_context (HeaderMap: + baggage)", 1_000_000, || {
        black_box(extract_context(black_box(&headers)));
    });
    bench(
        "inject (new HeaderMap: traceparent, tracestate)",
        1_000_000,
        || {
            let mut out = HeaderMap::new();
            inject(black_box(&cx), &mut out);
            black_box(out);
        },
    );
}
