//! trace-bridge beside its peers, in one run: a `tracing` span with two fields through
//! `trace_bridge::tracing_layer()` (sampled, and dropped by the sampler), through
//! `tracing-opentelemetry` (sampled, batch exporter that discards), and through the
//! registry with a no-op layer; and a `#[traced]` span with and without the layer.
//!
//!     cargo bench -p benches --bench bridge
//!
//! Group `bridge-two-threads`: the no-op layer, the bridge (sampled) and tracing-opentelemetry
//! with two threads making spans at once.
//!
//! `profile-<case>` runs one case 200 000 times, alone, for callgrind
//! (`benches/scripts/instructions.sh` counts them).

mod support;

use std::hint::black_box;

use criterion::Criterion;
use trace_core::{AlwaysOff, AlwaysOn, ParentBased, TraceIdRatio, Tracer, TracerGuard};
use trace_exporters::NoopExporter;
use tracing_subscriber::layer::SubscriberExt;

/// The measured `tracing` span: two fields, entered, one unit of work.
#[inline(never)]
fn tracing_span(x: u64, s: &str) -> u64 {
    let span = tracing::info_span!("work", x, s);
    let _e = span.enter();
    black_box(x).wrapping_add(s.len() as u64)
}

/// The measured `#[traced]` span: two attributes.
#[trace_core::traced(attrs(x, s))]
#[inline(never)]
fn traced_span(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

/// A tracer sampling everything.
fn sampled() -> TracerGuard {
    Tracer::builder()
        .exporter(NoopExporter)
        .sampler(ParentBased::new(AlwaysOn))
        .install_global()
}

/// A tracer sampling nothing (the sampler's fixed answer).
fn dropped() -> TracerGuard {
    Tracer::builder()
        .exporter(NoopExporter)
        .sampler(AlwaysOff)
        .install_global()
}

/// A tracer sampling one trace in a billion: roots are asked each time (no fixed answer).
fn ratio() -> TracerGuard {
    Tracer::builder()
        .exporter(NoopExporter)
        .sampler(ParentBased::new(TraceIdRatio::new(1e-9)))
        .install_global()
}

fn noop_layer() -> tracing::Dispatch {
    struct NoopLayer;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for NoopLayer {}
    tracing::Dispatch::new(tracing_subscriber::registry().with(NoopLayer))
}

/// The least a layer that keeps something per span pays: one word in each span's
/// extensions (what "as little as the registry allows" is measured against).
fn word_layer() -> tracing::Dispatch {
    struct WordLayer;
    impl<S> tracing_subscriber::Layer<S> for WordLayer
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        fn on_new_span(
            &self,
            _: &tracing::span::Attributes<'_>,
            id: &tracing::span::Id,
            ctx: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(black_box(id.into_u64()));
            }
        }
    }
    tracing::Dispatch::new(tracing_subscriber::registry().with(WordLayer))
}

fn bridge() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing_subscriber::registry().with(trace_bridge::tracing_layer()))
}

/// `tracing-opentelemetry` over the OpenTelemetry SDK (sampled, batched, discarded).
fn tracing_opentelemetry() -> (
    opentelemetry_sdk::trace::SdkTracerProvider,
    tracing::Dispatch,
) {
    use opentelemetry::trace::TracerProvider as _;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_sampler(opentelemetry_sdk::trace::Sampler::AlwaysOn)
        .with_batch_exporter(support::DiscardOtel)
        .build();
    let tracer = provider.tracer("bench");
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)),
    );
    (provider, dispatch)
}

/// One case: what is installed around the calls, and the call.
struct Case {
    name: &'static str,
    tracer: Option<fn() -> TracerGuard>,
    dispatch: fn() -> Option<tracing::Dispatch>,
    call: fn(u64, &str) -> u64,
    /// Called inside an entered `tracing` span (the measured span is its child).
    under_parent: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "tracing/noop-layer",
        tracer: None,
        dispatch: || Some(noop_layer()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "tracing/word-layer",
        tracer: None,
        dispatch: || Some(word_layer()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "tracing/bridge-sampled",
        tracer: Some(sampled),
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "tracing/bridge-dropped",
        tracer: Some(dropped),
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "tracing/bridge-dropped-by-ratio",
        tracer: Some(ratio),
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "tracing/bridge-dropped-by-ratio-child",
        tracer: Some(ratio),
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: true,
    },
    Case {
        name: "tracing/noop-layer-child",
        tracer: None,
        dispatch: || Some(noop_layer()),
        call: tracing_span,
        under_parent: true,
    },
    Case {
        name: "tracing/bridge-dropped-child",
        tracer: Some(dropped),
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: true,
    },
    Case {
        name: "tracing/bridge-no-tracer",
        tracer: None,
        dispatch: || Some(bridge()),
        call: tracing_span,
        under_parent: false,
    },
    Case {
        name: "traced/without-layer",
        tracer: Some(sampled),
        dispatch: || None,
        call: traced_span,
        under_parent: false,
    },
    Case {
        name: "traced/under-layer",
        tracer: Some(sampled),
        dispatch: || Some(bridge()),
        call: traced_span,
        under_parent: false,
    },
];

/// Runs `f` with `case`'s tracer and subscriber installed.
fn with_case<R>(case: &Case, f: impl FnOnce() -> R) -> R {
    let guard = case.tracer.map(|install| install());
    let r = match (case.dispatch)() {
        Some(d) if case.under_parent => {
            tracing::dispatcher::with_default(&d, || tracing::info_span!("parent").in_scope(f))
        }
        Some(d) => tracing::dispatcher::with_default(&d, f),
        None => f(),
    };
    drop(guard);
    r
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("bridge");
    for case in CASES {
        with_case(case, || {
            g.bench_function(case.name, |b| {
                b.iter(|| (case.call)(black_box(7), black_box("hello")));
            });
        });
    }
    let (provider, dispatch) = tracing_opentelemetry();
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing/tracing-opentelemetry-sampled", |b| {
            b.iter(|| tracing_span(black_box(7), black_box("hello")));
        });
    });
    let _ = provider.shutdown();
    g.finish();

    // The same spans made on two threads at once (this machine's two cores): what sharing
    // per-span state between threads costs each of them.
    let mut g = c.benchmark_group("bridge-two-threads");
    two_threads(&mut g, "tracing/noop-layer", &noop_layer());
    let guard = sampled();
    two_threads(&mut g, "tracing/bridge-sampled", &bridge());
    drop(guard);
    let (provider, dispatch) = tracing_opentelemetry();
    two_threads(&mut g, "tracing/tracing-opentelemetry-sampled", &dispatch);
    let _ = provider.shutdown();
    g.finish();
}

/// The time per span of each of two threads making `tracing_span`s under `dispatch` at once
/// (the slower thread's).
fn two_threads(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    dispatch: &tracing::Dispatch,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let dispatch = dispatch.clone();
                    let barrier = std::sync::Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        tracing::dispatcher::with_default(&dispatch, || {
                            barrier.wait();
                            let start = std::time::Instant::now();
                            for i in 0..iters {
                                black_box(tracing_span(black_box(i), black_box("hello")));
                            }
                            start.elapsed()
                        })
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .max()
                .unwrap_or_default()
        });
    });
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |call: fn(u64, &str) -> u64| {
        for _ in 0..1000 {
            for i in 0..200 {
                black_box(call(black_box(i), black_box("hello")));
            }
            let _ = trace_core::force_flush();
        }
    };
    for case in CASES {
        if filter
            .iter()
            .any(|a| *a == format!("profile-{}", case.name))
        {
            with_case(case, || run(case.call));
            return;
        }
    }
    if filter
        .iter()
        .any(|a| a == "profile-tracing/tracing-opentelemetry-sampled")
    {
        let (provider, dispatch) = tracing_opentelemetry();
        tracing::dispatcher::with_default(&dispatch, || run(tracing_span));
        let _ = provider.shutdown();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
