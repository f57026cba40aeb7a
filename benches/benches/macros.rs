#![allow(missing_docs)] // criterion_group! generates an undocumented fn
//! `#[traced]` against the same span written by hand with the trace-core API, and against
//! the bare function, with no tracer, with an unsampling tracer and with a sampling one.
//!
//! `cargo bench -p benches --bench macros` runs the criterion groups, then prints a summary
//! (median of several timed runs, ns per call, and the differences that BENCHMARKS.md
//! reports). `cargo bench -p benches --bench macros -- summary` prints only the summary.

use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use trace_core::{span, traced, AlwaysOff, AlwaysOn, Instrument, Tracer, TracerGuard};
use trace_exporters::NoopExporter;

// ------------------------------------------------------------ the measured functions

#[inline(never)]
fn bare(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

#[traced(name = "work", attrs(x, s))]
#[inline(never)]
fn macro_sync(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

#[inline(never)]
fn hand_sync(x: u64, s: &str) -> u64 {
    let _guard = span("work").start_with(|a| {
        a.set("x", &x);
        a.set("s", s);
    });
    black_box(x).wrapping_add(s.len() as u64)
}

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure")
    }
}

#[inline(never)]
fn bare_result(x: u64, s: &str) -> Result<u64, Failure> {
    if x == u64::MAX {
        return Err(Failure);
    }
    Ok(black_box(x).wrapping_add(s.len() as u64))
}

// `Result` return: the macro also checks the outcome for `Err`.
#[traced(name = "work", attrs(x, s))]
#[inline(never)]
fn macro_result(x: u64, s: &str) -> Result<u64, Failure> {
    if x == u64::MAX {
        return Err(Failure);
    }
    Ok(black_box(x).wrapping_add(s.len() as u64))
}

#[inline(never)]
fn hand_result(x: u64, s: &str) -> Result<u64, Failure> {
    let guard = span("work").start_with(|a| {
        a.set("x", &x);
        a.set("s", s);
    });
    let result = if x == u64::MAX {
        Err(Failure)
    } else {
        Ok(black_box(x).wrapping_add(s.len() as u64))
    };
    if let Err(e) = &result {
        guard.record_error_parts(e, std::any::type_name::<Failure>());
    }
    result
}

#[allow(clippy::unused_async)] // the bare baseline of an async fn
async fn bare_async(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

#[traced(name = "work", attrs(x, s))]
async fn macro_async(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

/// A traced `async fn` awaiting a traced child: under an unsampled root the child is a
/// span that records nothing but has a context (profile modes only).
#[traced(name = "parent", attrs(x))]
async fn macro_async_parent(x: u64, s: &str) -> u64 {
    macro_async(x, s).await
}

/// The bare baseline of the pair below.
async fn bare_async_parent(x: u64, s: &str) -> u64 {
    bare_async(x, s).await
}

/// The peers on the same `async fn`, for the disabled rows: `tracing`'s `#[instrument]`
/// with no subscriber, `fastrace`'s `#[trace]` with no reporter and no parent.
#[tracing::instrument(name = "work", skip_all, fields(x = x, s = s))]
async fn tracing_async(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

#[fastrace::trace(name = "work")]
async fn fastrace_async(x: u64, s: &str) -> u64 {
    black_box(x).wrapping_add(s.len() as u64)
}

async fn hand_async(x: u64, s: &str) -> u64 {
    let span = span("work").start_detached_with(|a| {
        a.set("x", &x);
        a.set("s", s);
    });
    async move { black_box(x).wrapping_add(s.len() as u64) }
        .in_span(span)
        .await
}

/// Polls a future that completes without waiting.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Polls a future through a call the optimizer may not inline: the future is handed over
/// in memory, as to an executor (spawned, boxed, or awaited by a caller that is not inlined
/// either). The `async-ool` rows measure what instrumenting costs then, when the bare
/// future cannot be folded into a few registers either.
#[inline(never)]
fn ready_out_of_line<F: Future>(f: F) -> F::Output {
    ready(f)
}

// ------------------------------------------------------------ set-ups

#[derive(Clone, Copy)]
enum State {
    Disabled,
    Unsampled,
    Sampled,
}

impl State {
    const ALL: [State; 3] = [State::Disabled, State::Unsampled, State::Sampled];

    fn name(self) -> &'static str {
        match self {
            State::Disabled => "disabled",
            State::Unsampled => "unsampled",
            State::Sampled => "sampled",
        }
    }

    fn install(self) -> Option<TracerGuard> {
        let builder = Tracer::builder().exporter(NoopExporter);
        match self {
            State::Disabled => None,
            State::Unsampled => Some(builder.sampler(AlwaysOff).install_global()),
            State::Sampled => Some(builder.sampler(AlwaysOn).install_global()),
        }
    }
}

type Case = (&'static str, fn(u64) -> u64);

fn cases() -> [Case; 12] {
    [
        ("sync/bare", |i| bare(black_box(i), black_box("hello"))),
        ("sync/traced", |i| {
            macro_sync(black_box(i), black_box("hello"))
        }),
        ("sync/by-hand", |i| {
            hand_sync(black_box(i), black_box("hello"))
        }),
        ("result/bare", |i| {
            bare_result(black_box(i), black_box("hello")).unwrap_or(0)
        }),
        ("result/traced", |i| {
            macro_result(black_box(i), black_box("hello")).unwrap_or(0)
        }),
        ("result/by-hand", |i| {
            hand_result(black_box(i), black_box("hello")).unwrap_or(0)
        }),
        ("async/bare", |i| {
            ready(bare_async(black_box(i), black_box("hello")))
        }),
        ("async/traced", |i| {
            ready(macro_async(black_box(i), black_box("hello")))
        }),
        ("async/by-hand", |i| {
            ready(hand_async(black_box(i), black_box("hello")))
        }),
        ("async-ool/bare", |i| {
            ready_out_of_line(bare_async(black_box(i), black_box("hello")))
        }),
        ("async-ool/traced", |i| {
            ready_out_of_line(macro_async(black_box(i), black_box("hello")))
        }),
        ("async-ool/by-hand", |i| {
            ready_out_of_line(hand_async(black_box(i), black_box("hello")))
        }),
    ]
}

// ------------------------------------------------------------ criterion groups

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("macros");
    for state in State::ALL {
        let guard = state.install();
        for (name, f) in cases() {
            if name.ends_with("/bare") && !matches!(state, State::Disabled) {
                continue;
            }
            g.bench_function(format!("{name}/{}", state.name()), |b| {
                b.iter(|| f(black_box(7)));
            });
        }
        drop(guard);
    }
    g.finish();
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = benches
}

// ------------------------------------------------------------ summary

/// Median over `runs` of the time per call of `f` over `n` calls, in ns.
fn time_ns(n: u64, runs: usize, f: fn(u64) -> u64) -> f64 {
    let mut per_call: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for i in 0..n {
                black_box(f(i));
            }
            #[allow(clippy::cast_precision_loss)]
            let ns = t.elapsed().as_nanos() as f64 / n as f64;
            ns
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[runs / 2]
}

fn summary() {
    const RUNS: usize = 9;
    println!();
    // Executors move futures (spawning, pinning): their size is part of the cost.
    println!(
        "async fn future size (bytes): bare {}, #[traced] {}, by hand {}",
        std::mem::size_of_val(&bare_async(0, "")),
        std::mem::size_of_val(&macro_async(0, "")),
        std::mem::size_of_val(&hand_async(0, "")),
    );
    println!("#[traced] vs by hand vs bare (median of {RUNS} runs, ns per call)");
    println!(
        "{:<10} {:<10} {:>8} {:>10} {:>9} {:>12} {:>12}",
        "shape", "tracer", "bare", "#[traced]", "by hand", "traced-hand", "traced-bare"
    );
    for state in State::ALL {
        let n: u64 = match state {
            State::Sampled => 300_000,
            _ => 5_000_000,
        };
        let guard = state.install();
        let all = cases();
        for shape in all.chunks(3) {
            let bare = time_ns(n, RUNS, shape[0].1);
            let traced = time_ns(n, RUNS, shape[1].1);
            let hand = time_ns(n, RUNS, shape[2].1);
            let label = shape[0].0.split('/').next().unwrap_or("");
            println!(
                "{label:<10} {:<10} {bare:>8.2} {traced:>10.2} {hand:>9.2} {:>+12.2} {:>+12.2}",
                state.name(),
                traced - hand,
                traced - bare,
            );
        }
        drop(guard);
    }
    // The peers' `async fn` with nothing of theirs installed (our tracer is not installed
    // either): what instrumenting an `async fn` costs when tracing is off, in each library.
    let n = 5_000_000;
    let bare = time_ns(n, RUNS, run_async_bare);
    let ours = time_ns(n, RUNS, run_async_traced);
    let tracing = time_ns(n, RUNS, run_async_tracing);
    let fastrace = time_ns(n, RUNS, run_async_fastrace);
    println!(
        "async fn, nothing installed: bare {bare:.2}, #[traced] {ours:.2} ({:+.2}), tracing #[instrument] {tracing:.2} ({:+.2}), fastrace #[trace] {fastrace:.2} ({:+.2})",
        ours - bare,
        tracing - bare,
        fastrace - bare
    );
    // A traced `async fn` awaiting a traced child, in each state (the span of the child
    // under an unsampled parent is the case a sampled-out request runs through).
    let mut line = format!(
        "traced async fn awaiting a traced child: bare pair {:.2}",
        time_ns(n, RUNS, run_async_nested_bare)
    );
    for state in State::ALL {
        let n: u64 = match state {
            State::Sampled => 300_000,
            _ => 5_000_000,
        };
        let guard = state.install();
        let ns = time_ns(n, RUNS, run_async_nested);
        drop(guard);
        let _ = write!(line, ", {} {ns:.2}", state.name());
    }
    println!("{line} (ns per call)");
}

// ------------------------------------------------------------ instruction counts

// One non-inlined caller per case, so `valgrind --tool=callgrind --toggle-collect=macros::run_<case>`
// counts exactly one call (future creation and polling included), e.g.
// `valgrind --tool=callgrind --toggle-collect=macros::run_async_traced <bench> profile-async-traced-disabled`.

#[inline(never)]
fn run_sync_bare(i: u64) -> u64 {
    bare(black_box(i), black_box("hello"))
}

#[inline(never)]
fn run_sync_traced(i: u64) -> u64 {
    macro_sync(black_box(i), black_box("hello"))
}

#[inline(never)]
fn run_result_bare(i: u64) -> u64 {
    bare_result(black_box(i), black_box("hello")).unwrap_or(0)
}

#[inline(never)]
fn run_result_traced(i: u64) -> u64 {
    macro_result(black_box(i), black_box("hello")).unwrap_or(0)
}

#[inline(never)]
fn run_async_bare(i: u64) -> u64 {
    ready(bare_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_traced(i: u64) -> u64 {
    ready(macro_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_hand(i: u64) -> u64 {
    ready(hand_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_nested(i: u64) -> u64 {
    ready(macro_async_parent(black_box(i), black_box("hello")))
}

/// Timed only: LLVM folds it into `run_async_bare` (the same code once the inner bare
/// `async fn` is inlined), so it has no profile mode of its own.
#[inline(never)]
fn run_async_nested_bare(i: u64) -> u64 {
    ready(bare_async_parent(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_ool_bare(i: u64) -> u64 {
    ready_out_of_line(bare_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_ool_traced(i: u64) -> u64 {
    ready_out_of_line(macro_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_tracing(i: u64) -> u64 {
    ready(tracing_async(black_box(i), black_box("hello")))
}

#[inline(never)]
fn run_async_fastrace(i: u64) -> u64 {
    ready(fastrace_async(black_box(i), black_box("hello")))
}

type Profiled = (&'static str, fn(u64) -> u64);

const PROFILED: [Profiled; 12] = [
    ("sync-bare", run_sync_bare),
    ("sync-traced", run_sync_traced),
    ("result-bare", run_result_bare),
    ("result-traced", run_result_traced),
    ("async-bare", run_async_bare),
    ("async-traced", run_async_traced),
    ("async-hand", run_async_hand),
    ("async-nested", run_async_nested),
    ("async-ool-bare", run_async_ool_bare),
    ("async-ool-traced", run_async_ool_traced),
    // The peers: only the `disabled` state means anything for them (nothing of theirs is
    // ever installed here).
    ("async-tracing", run_async_tracing),
    ("async-fastrace", run_async_fastrace),
];

/// `profile-<case>-<state>` (e.g. `profile-async-traced-disabled`): 200 000 calls of one case.
fn profile(arg: &str) -> bool {
    let Some(rest) = arg.strip_prefix("profile-") else {
        return false;
    };
    for state in State::ALL {
        for (case, f) in PROFILED {
            if rest.strip_prefix(case).and_then(|r| r.strip_prefix('-')) == Some(state.name()) {
                let guard = state.install();
                for i in 0..200_000 {
                    black_box(f(black_box(i)));
                }
                drop(guard);
                return true;
            }
        }
    }
    false
}

fn main() {
    if std::env::args().skip(1).any(|a| profile(&a)) {
        return;
    }
    let only_summary = std::env::args().skip(1).any(|a| a == "summary");
    if !only_summary {
        group();
        Criterion::default().configure_from_args().final_summary();
    }
    summary();
}
