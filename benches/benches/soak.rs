//! Soak under collector faults: the real pipeline (`#[traced]` producers, the batch worker,
//! the OTLP/HTTP exporter) against a fake collector in the same process, on 127.0.0.1 only,
//! whose behaviour changes at run time.
//!
//! ```text
//! scripts/soak.sh                     # 60 s per phase
//! scripts/soak.sh --phase-secs 30
//! scripts/soak.sh --quick             # 5 s per phase: a smoke run
//! scripts/soak.sh --skip-shutdown-timings
//! ```
//!
//! Phases: the collector `accept`s (200), `refuse`s (its listener is closed: connection
//! refused), `hang`s (accepts and reads requests, never answers), is `unavailable` (503), and
//! `accept`s again, first with one producer flat out, then with two; then, with the collector
//! refusing, 1000 short-lived threads ending 1000 spans each (all joined), and 64 concurrent
//! producers; then the collector accepts again (one producer) and the tracer is shut down.
//! Every second it samples RSS (`VmRSS`), spans produced and the tracer's counters (one line
//! on stderr). Producer latency: each producer times batches of 1024 calls (mean per call) and
//! one call in 64 alone (`Instant` before and after, so one clock read is included; the
//! clock's own cost is printed). Finally it times `guard.shutdown()` with the collector
//! refusing and hanging, with the default `BatchConfig` and with a 5 s export timeout.
//!
//! The tracer is built by `trace_exporters::builder_from_env()` (so `OTEL_BSP_*` and the
//! sampler variables apply) with an `OtlpExporter` of default settings (10 s timeout,
//! retries on) sending to the fake collector. Nothing is asserted: the report ends with
//! `ACCOUNTING OK` when produced = exported + dropped + failed after the final shutdown,
//! `ACCOUNTING MISMATCH` otherwise. The figures go into RELIABILITY.md.

use benches::count_spans;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use trace_core::{traced, BatchConfig, Tracer, TracerBuilder};
use trace_exporters::OtlpExporter;

// ------------------------------------------------------------------ the producers' function

#[traced(attrs(a, b))]
#[inline(never)]
fn work(a: u64, b: &str) -> u64 {
    black_box(a).wrapping_add(b.len() as u64)
}

// ------------------------------------------------------------------ the fake collector

/// What the fake collector does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Reads the request, answers 200 with an empty `ExportTraceServiceResponse`.
    Accept,
    /// The listener is closed (connection refused); open connections are closed.
    Refuse,
    /// Accepts and reads requests, never answers (until the client closes).
    Hang,
    /// Reads the request, answers 503 Service Unavailable.
    Unavailable,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Accept => "accept",
            Mode::Refuse => "refuse",
            Mode::Hang => "hang",
            Mode::Unavailable => "unavailable",
        }
    }

    fn from_u8(v: u8) -> Self {
        match v {
            1 => Mode::Refuse,
            2 => Mode::Hang,
            3 => Mode::Unavailable,
            _ => Mode::Accept,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Mode::Accept => 0,
            Mode::Refuse => 1,
            Mode::Hang => 2,
            Mode::Unavailable => 3,
        }
    }
}

/// What the collector saw since it started, and since the last mode switch.
#[derive(Clone, Copy, Debug, Default)]
struct CollectorStats {
    requests: u64,
    answered_ok: u64,
    answered_503: u64,
    hung: u64,
    /// Spans in requests answered 200.
    spans_received: u64,
    /// Bumped at each mode switch.
    generation: u64,
    switched_at: Option<Instant>,
    first_request: Option<Instant>,
    first_ok: Option<Instant>,
}

struct Shared {
    mode: AtomicU8,
    stop: AtomicBool,
    stats: Mutex<CollectorStats>,
}

impl Shared {
    fn mode(&self) -> Mode {
        Mode::from_u8(self.mode.load(Ordering::Acquire))
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, CollectorStats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An OTLP/HTTP collector on 127.0.0.1 (HTTP/1.1, keep-alive, `Content-Length` bodies),
/// one thread per connection.
struct Collector {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Collector {
    fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mode: AtomicU8::new(Mode::Accept.to_u8()),
            stop: AtomicBool::new(false),
            stats: Mutex::new(CollectorStats::default()),
        });
        let acceptor = thread::Builder::new().name("collector".into()).spawn({
            let shared = Arc::clone(&shared);
            move || accept_loop(Some(listener), addr, &shared)
        })?;
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    fn set_mode(&self, mode: Mode) {
        let mut stats = self.shared.stats();
        stats.generation += 1;
        stats.switched_at = Some(Instant::now());
        stats.first_request = None;
        stats.first_ok = None;
        self.shared.mode.store(mode.to_u8(), Ordering::Release);
    }

    fn stats(&self) -> CollectorStats {
        *self.shared.stats()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(mut listener: Option<TcpListener>, addr: SocketAddr, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::Acquire) {
        if shared.mode() == Mode::Refuse {
            // Closing the listener makes connects fail with "connection refused"; what sat
            // in its backlog is reset.
            listener = None;
            thread::sleep(Duration::from_millis(2));
            continue;
        }
        let Some(l) = &listener else {
            // Back on the same port (std sets SO_REUSEADDR).
            if let Ok(l) = TcpListener::bind(addr) {
                if l.set_nonblocking(true).is_ok() {
                    listener = Some(l);
                }
            }
            thread::sleep(Duration::from_millis(2));
            continue;
        };
        match l.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                let _ = thread::Builder::new()
                    .name("collector-conn".into())
                    .spawn(move || serve(stream, &shared));
            }
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// One request, read whole.
struct Request {
    /// `Connection: close` was asked for.
    close: bool,
    /// The body is something other than `Content-Length` bytes (chunked).
    unsupported: bool,
    /// Spans in the (protobuf) body; 0 when it does not parse.
    spans: u64,
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    if stream.set_nonblocking(false).is_err()
        || stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(256 << 10);
    while let Some(request) = read_request(&mut stream, &mut buf, shared) {
        // The mode is read under the stats lock (where it is switched), so a request is
        // counted in the mode that handles it.
        let (mode, generation) = {
            let mut stats = shared.stats();
            stats.requests += 1;
            stats.first_request.get_or_insert_with(Instant::now);
            (shared.mode(), stats.generation)
        };
        if request.unsupported {
            let _ = stream.write_all(
                b"HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            return;
        }
        match mode {
            Mode::Refuse => {
                // The collector went away under an open connection.
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Mode::Hang => {
                shared.stats().hung += 1;
                wait_for_close(&mut stream, shared);
                return;
            }
            Mode::Unavailable => {
                let body = b"collector unavailable (soak)";
                let head = format!(
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n{}\r\n",
                    body.len(),
                    if request.close { "connection: close\r\n" } else { "" }
                );
                if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body).is_err() {
                    return;
                }
                shared.stats().answered_503 += 1;
            }
            Mode::Accept => {
                // An empty ExportTraceServiceResponse: zero bytes of protobuf.
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n{}\r\n",
                    if request.close { "connection: close\r\n" } else { "" }
                );
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let mut stats = shared.stats();
                stats.answered_ok += 1;
                stats.spans_received += request.spans;
                if stats.generation == generation {
                    stats.first_ok.get_or_insert_with(Instant::now);
                }
            }
        }
        if request.close {
            return;
        }
    }
}

/// Reads one request (head and `Content-Length` body) into `buf`, keeping what follows it.
/// `None` when the client closed, on an error, or when the collector starts refusing or stops.
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, shared: &Shared) -> Option<Request> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 << 10 {
            return None; // no head is this long
        }
        read_more(stream, buf, shared)?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let mut length = 0usize;
    let mut close = false;
    let mut unsupported = false;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match (name.trim(), value.trim()) {
            ("content-length", v) => length = v.parse().ok()?,
            ("connection", v) => close = v.split(',').any(|t| t.trim() == "close"),
            ("transfer-encoding", _) => unsupported = true,
            _ => {}
        }
    }
    if unsupported {
        return Some(Request {
            close: true,
            unsupported,
            spans: 0,
        });
    }
    let end = head_end + length;
    while buf.len() < end {
        read_more(stream, buf, shared)?;
    }
    let spans = count_spans(&buf[head_end..end]).unwrap_or(0);
    buf.drain(..end);
    Some(Request {
        close,
        unsupported,
        spans,
    })
}

fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, shared: &Shared) -> Option<()> {
    let mut chunk = [0u8; 16 << 10];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if shared.stop.load(Ordering::Acquire) || shared.mode() == Mode::Refuse {
                    return None;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// A hung request: nothing is ever answered; the connection ends when the client gives up.
fn wait_for_close(stream: &mut TcpStream, shared: &Shared) {
    let mut sink = [0u8; 4096];
    while !shared.stop.load(Ordering::Acquire) {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

// ------------------------------------------------------------------ latency histogram

/// Nanosecond histogram: exact below 64 ns, then 32 buckets per power of two (~3 %).
#[derive(Clone)]
struct Hist {
    counts: Vec<u64>,
    n: u64,
    max: u64,
}

const SUB: u32 = 5;

impl Hist {
    fn new() -> Self {
        Self {
            counts: vec![0; 64 + (64 - 6) * (1 << SUB)],
            n: 0,
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < 64 {
            // Lossless: v < 64.
            return usize::try_from(v).unwrap_or(0);
        }
        let k = v.ilog2(); // 6..=63
        let sub = (v >> (k - SUB)) & ((1 << SUB) - 1);
        64 + ((k as usize - 6) << SUB) + usize::try_from(sub).unwrap_or(0)
    }

    /// The largest value that falls in bucket `i`.
    fn upper(i: usize) -> u64 {
        // Bucket indexes are below 2000: every conversion here is lossless.
        let i = u64::try_from(i).unwrap_or(u64::MAX);
        if i < 64 {
            return i;
        }
        let k = u32::try_from((i - 64) >> SUB).unwrap_or(57) + 6;
        let sub = (i - 64) % (1 << SUB);
        (1u64 << k) + ((sub + 1) << (k - SUB)) - 1
    }

    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.n += 1;
        self.max = self.max.max(ns);
    }

    fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.n += other.n;
        self.max = self.max.max(other.max);
    }

    /// The value at quantile `q` (bucket upper bound, never above the maximum seen).
    fn quantile(&self, q: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let target = ((self.n as f64 * q).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }
}

// ------------------------------------------------------------------ producers

/// What a producer measured.
struct Produced {
    hist: Hist,
    calls: u64,
    batch_ns: u64,
}

impl Produced {
    fn new() -> Self {
        Self {
            hist: Hist::new(),
            calls: 0,
            batch_ns: 0,
        }
    }

    fn merge(&mut self, other: &Produced) {
        self.hist.merge(&other.hist);
        self.calls += other.calls;
        self.batch_ns += other.batch_ns;
    }
}

const BATCH: u64 = 1024;

/// `calls` calls of `work` (or until `stop`), in timed batches of 1024 with one call in 64
/// timed alone; adds to `produced` after each batch.
fn produce(calls: Option<u64>, stop: &AtomicBool, produced: &AtomicU64) -> Produced {
    let mut out = Produced::new();
    let mut left = calls.unwrap_or(u64::MAX);
    while left > 0 && !stop.load(Ordering::Relaxed) {
        let n = left.min(BATCH);
        let start = Instant::now();
        for i in 0..n {
            if i % 64 == 0 {
                let t = Instant::now();
                black_box(work(black_box(i), black_box("soak")));
                out.hist.record(nanos(t.elapsed()));
            } else {
                black_box(work(black_box(i), black_box("soak")));
            }
        }
        out.batch_ns += nanos(start.elapsed());
        out.calls += n;
        left -= n;
        produced.fetch_add(n, Ordering::Relaxed);
    }
    out
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The median cost of `Instant::now()` twice, back to back: included in each timed call.
fn clock_overhead() -> u64 {
    let mut h = Hist::new();
    for _ in 0..100_000 {
        let t = Instant::now();
        h.record(nanos(t.elapsed()));
    }
    h.quantile(0.5)
}

// ------------------------------------------------------------------ process figures

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU nanoseconds used so far by threads named `traced-batch` (Linux schedstat).
fn worker_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    let mut ns = 0;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == "traced-batch" {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            ns += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    ns
}

fn mib(kib: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let m = kib as f64 / 1024.0;
    format!("{m:.1}")
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

// ------------------------------------------------------------------ phases

#[derive(Clone, Copy)]
enum Load {
    /// This many producers flat out for the phase.
    Flat(usize),
    /// This many threads, each ending this many spans then exiting; all joined.
    Churn { threads: usize, spans: u64 },
}

impl Load {
    fn describe(self) -> String {
        match self {
            Load::Flat(n) => format!("{n} flat out"),
            Load::Churn { threads, spans } => format!("{threads} threads x {spans}"),
        }
    }
}

/// The tracer's counters and ours, at one instant.
#[derive(Clone, Copy, Default)]
struct Totals {
    produced: u64,
    exported: u64,
    dropped: u64,
    failed: u64,
    received: u64,
}

impl Totals {
    fn now(tracer: Tracer, produced: &AtomicU64, collector: &Collector) -> Self {
        Self {
            produced: produced.load(Ordering::Relaxed),
            exported: tracer.exported_spans(),
            dropped: tracer.dropped_spans(),
            failed: tracer.failed_spans(),
            received: collector.stats().spans_received,
        }
    }

    /// Ended spans no counter holds yet (queued, or in the exporter); 0 once shut down.
    fn in_flight(self) -> i128 {
        i128::from(self.produced)
            - i128::from(self.exported)
            - i128::from(self.dropped)
            - i128::from(self.failed)
    }
}

struct PhaseReport {
    name: String,
    mode: Mode,
    load: Load,
    took: Duration,
    start: Totals,
    end: Totals,
    rss_min: u64,
    rss_max: u64,
    produced: Produced,
    worker_cpu: f64,
    /// From the mode switch to the first request the collector got, and to the first it
    /// answered 200.
    first_request: Option<Duration>,
    first_ok: Option<Duration>,
}

struct Soak {
    tracer: Tracer,
    collector: Collector,
    produced: Arc<AtomicU64>,
    phase_len: Duration,
    started: Instant,
}

impl Soak {
    fn run(&self, name: &str, mode: Mode, load: Load) -> PhaseReport {
        self.collector.set_mode(mode);
        let switched = Instant::now();
        let start = Totals::now(self.tracer, &self.produced, &self.collector);
        let cpu_start = worker_cpu_ns();
        let stop = Arc::new(AtomicBool::new(false));
        let driver: JoinHandle<Produced> = {
            let stop = Arc::clone(&stop);
            let produced = Arc::clone(&self.produced);
            thread::spawn(move || {
                let handles: Vec<JoinHandle<Produced>> = match load {
                    Load::Flat(n) => (0..n)
                        .map(|_| {
                            let (stop, produced) = (Arc::clone(&stop), Arc::clone(&produced));
                            thread::spawn(move || produce(None, &stop, &produced))
                        })
                        .collect(),
                    Load::Churn { threads, spans } => (0..threads)
                        .map(|_| {
                            let (stop, produced) = (Arc::clone(&stop), Arc::clone(&produced));
                            thread::spawn(move || produce(Some(spans), &stop, &produced))
                        })
                        .collect(),
                };
                let mut all = Produced::new();
                for h in handles {
                    if let Ok(p) = h.join() {
                        all.merge(&p);
                    }
                }
                all
            })
        };
        let (mut rss_min, mut rss_max) = (u64::MAX, 0);
        let mut next = switched + Duration::from_secs(1);
        loop {
            thread::sleep(next.saturating_duration_since(Instant::now()));
            next += Duration::from_secs(1);
            let rss = rss_kib();
            rss_min = rss_min.min(rss);
            rss_max = rss_max.max(rss);
            let t = Totals::now(self.tracer, &self.produced, &self.collector);
            eprintln!(
                "t={:>4}s {name:<16} rss={:>7} MiB produced={} exported={} dropped={} failed={} in_flight={} received={}",
                self.started.elapsed().as_secs(),
                mib(rss),
                t.produced,
                t.exported,
                t.dropped,
                t.failed,
                t.in_flight(),
                t.received,
            );
            let elapsed = switched.elapsed();
            match load {
                Load::Flat(_) if elapsed >= self.phase_len => break,
                // Churn runs to completion, and at least the phase length.
                Load::Churn { .. } if elapsed >= self.phase_len && driver.is_finished() => break,
                _ => {}
            }
        }
        stop.store(true, Ordering::Relaxed);
        let produced = driver.join().unwrap_or_else(|_| Produced::new());
        let took = switched.elapsed();
        let end = Totals::now(self.tracer, &self.produced, &self.collector);
        let stats = self.collector.stats();
        #[allow(clippy::cast_precision_loss)]
        let worker_cpu = (worker_cpu_ns().saturating_sub(cpu_start)) as f64
            / took.as_nanos().max(1) as f64
            * 100.0;
        PhaseReport {
            name: name.to_owned(),
            mode,
            load,
            took,
            start,
            end,
            rss_min,
            rss_max,
            produced,
            worker_cpu,
            first_request: stats.first_request.map(|t| t.duration_since(switched)),
            first_ok: stats.first_ok.map(|t| t.duration_since(switched)),
        }
    }
}

fn phase_table(reports: &[PhaseReport], clock: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| phase | collector | producers | s | produced | exported | dropped | failed | in flight | received | RSS MiB min-max | worker CPU % | mean ns/call | p50 | p99 | p99.9 | max ns | 1st request s | 1st 200 s |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for r in reports {
        let p = &r.produced;
        #[allow(clippy::cast_precision_loss)]
        let mean = p.batch_ns as f64 / p.calls.max(1) as f64;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {}-{} | {:.1} | {mean:.1} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.mode.name(),
            r.load.describe(),
            r.took.as_secs_f64(),
            r.end.produced - r.start.produced,
            r.end.exported - r.start.exported,
            r.end.dropped - r.start.dropped,
            r.end.failed - r.start.failed,
            r.end.in_flight(),
            r.end.received - r.start.received,
            mib(r.rss_min),
            mib(r.rss_max),
            r.worker_cpu,
            p.hist.quantile(0.5),
            p.hist.quantile(0.99),
            p.hist.quantile(0.999),
            p.hist.max,
            r.first_request.map_or_else(|| "-".to_owned(), secs),
            r.first_ok.map_or_else(|| "-".to_owned(), secs),
        );
    }
    let _ = writeln!(
        out,
        "\n(produced/exported/dropped/failed/received: during the phase; in flight: produced - (exported + dropped + failed) at its end, all phases so far; latency: one call in 64 timed alone, including one clock read of ~{clock} ns; mean: batches of 1024; 1st request / 1st 200: after the collector switched to this mode)"
    );
    out
}

// ------------------------------------------------------------------ shutdown timings

struct ShutdownRow {
    mode: Mode,
    export_timeout: Option<Duration>,
    load: &'static str,
    took: Duration,
    result: String,
    totals: Totals,
    later: Option<(Duration, i128)>,
}

fn tracer_builder(collector: &Collector) -> Result<TracerBuilder, Box<dyn std::error::Error>> {
    let exporter = OtlpExporter::builder().endpoint(collector.url()).build()?;
    Ok(trace_exporters::builder_from_env()?
        .service_name("soak")
        .exporter(exporter))
}

/// Installs a tracer, puts the collector in `mode`, ends spans (`flat`: one producer flat out
/// for 2 s, filling the queue; otherwise 10 spans), then times `guard.shutdown()`.
fn time_shutdown(
    collector: &Collector,
    mode: Mode,
    export_timeout: Option<Duration>,
    flat: bool,
) -> Result<ShutdownRow, Box<dyn std::error::Error>> {
    let mut builder = tracer_builder(collector)?;
    if let Some(t) = export_timeout {
        builder = builder.batch_config(BatchConfig::default().with_export_timeout(t));
    }
    let guard = builder.install_global();
    let tracer = guard.tracer();
    collector.set_mode(mode);
    let produced = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    if flat {
        thread::scope(|s| {
            let p = s.spawn(|| produce(None, &stop, &produced));
            thread::sleep(Duration::from_secs(2));
            stop.store(true, Ordering::Relaxed);
            let _ = p.join();
        });
    } else {
        produce(Some(10), &stop, &produced);
    }
    let start = Instant::now();
    let result = guard.shutdown();
    let took = start.elapsed();
    let totals = Totals::now(tracer, &produced, collector);
    // A shutdown that gave up leaves its worker running: see whether the spans it held are
    // counted later.
    let later = (totals.in_flight() != 0).then(|| {
        let waited = Instant::now();
        let mut t = totals;
        while t.in_flight() != 0 && waited.elapsed() < Duration::from_secs(15) {
            thread::sleep(Duration::from_millis(100));
            t = Totals::now(tracer, &produced, collector);
        }
        (waited.elapsed(), t.in_flight())
    });
    let result = short_result(result.map_err(|e| e.to_string()));
    Ok(ShutdownRow {
        mode,
        export_timeout,
        load: if flat {
            "queue full (2 s flat out)"
        } else {
            "10 spans"
        },
        took,
        result,
        totals,
        later,
    })
}

fn shutdown_table(rows: &[ShutdownRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| collector | export timeout | spans ended | shutdown took s | produced | exported | dropped | failed | unaccounted at return | unaccounted later | result |"
    );
    let _ = writeln!(out, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.mode.name(),
            r.export_timeout
                .map_or_else(|| "default (30 s)".to_owned(), |t| format!("{t:?}")),
            r.load,
            secs(r.took),
            r.totals.produced,
            r.totals.exported,
            r.totals.dropped,
            r.totals.failed,
            r.totals.in_flight(),
            r.later.map_or_else(
                || "-".to_owned(),
                |(after, n)| format!("{n} ({} s later)", secs(after))
            ),
            r.result,
        );
    }
    out
}

// ------------------------------------------------------------------ the exporter alone

/// 512 spans of `work`, as the batch worker would hand them to the exporter.
fn sample_batch() -> Vec<trace_core::SpanData> {
    let spans = trace_exporters::InMemoryExporter::new();
    let guard = Tracer::builder()
        .service_name("soak")
        .simple_exporter(spans.clone())
        .install_global();
    for i in 0..512 {
        black_box(work(i, "soak"));
    }
    drop(guard);
    spans.spans()
}

/// One batch through `OtlpExporter::export` and `export_until` (deadline 5 s away), the
/// collector refusing and hanging: the exporter's side of a shutdown.
fn exporter_table(collector: &Collector) -> Result<String, Box<dyn std::error::Error>> {
    let batch = sample_batch();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| collector | call ({} spans, OtlpExporter defaults: 10 s timeout, retries on) | took s | retries | failed spans | result |",
        batch.len()
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|---|");
    for mode in [Mode::Refuse, Mode::Hang] {
        for until in [false, true] {
            let exporter = OtlpExporter::builder().endpoint(collector.url()).build()?;
            collector.set_mode(mode);
            let start = Instant::now();
            let result = if until {
                trace_core::SpanExporter::export_until(
                    &exporter,
                    &batch,
                    start + Duration::from_secs(5),
                )
            } else {
                trace_core::SpanExporter::export(&exporter, &batch)
            };
            let took = start.elapsed();
            let stats = exporter.stats();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                mode.name(),
                if until {
                    "`export_until(now + 5 s)`"
                } else {
                    "`export`"
                },
                secs(took),
                stats.retries,
                stats.failed_spans,
                short_result(result.map_err(|e| e.to_string())),
            );
        }
    }
    Ok(out)
}

fn short_result(result: Result<(), String>) -> String {
    match result {
        Ok(()) => "Ok".to_owned(),
        Err(e) => {
            let short: String = e.chars().take(110).collect();
            let more = if short.len() < e.len() { "..." } else { "" };
            format!("Err: {short}{more}").replace('|', "/")
        }
    }
}

// ------------------------------------------------------------------ main

struct Args {
    phase_len: Duration,
    shutdown_timings: bool,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        phase_len: Duration::from_mins(1),
        shutdown_timings: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.phase_len = Duration::from_secs(5),
            "--phase-secs" => {
                let v = it.next().ok_or("--phase-secs needs a number")?;
                let n: u64 = v.parse().map_err(|_| format!("--phase-secs {v}"))?;
                args.phase_len = Duration::from_secs(n.max(1));
            }
            "--skip-shutdown-timings" => args.shutdown_timings = false,
            // `cargo bench` passes `--bench`.
            "--bench" => {}
            other => {
                return Err(format!(
                    "unknown argument {other}; expected --quick, --phase-secs N, --skip-shutdown-timings"
                ))
            }
        }
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let collector = Collector::start()?;
    let clock = clock_overhead();
    println!(
        "soak: collector {} ; phases of {} s; OtlpExporter defaults (10 s timeout, retries on); BatchConfig from OTEL_BSP_* or default; clock read ~{clock} ns",
        collector.url(),
        args.phase_len.as_secs()
    );
    for (k, v) in std::env::vars().filter(|(k, _)| k.starts_with("OTEL_")) {
        println!("soak: {k}={v}");
    }
    let guard = tracer_builder(&collector)?.install_global();
    let soak = Soak {
        tracer: guard.tracer(),
        collector,
        produced: Arc::new(AtomicU64::new(0)),
        phase_len: args.phase_len,
        started: Instant::now(),
    };
    let mut reports = Vec::new();
    for producers in [1, 2] {
        for mode in [
            Mode::Accept,
            Mode::Refuse,
            Mode::Hang,
            Mode::Unavailable,
            Mode::Accept,
        ] {
            let name = format!("{}-{producers}p", mode.name());
            reports.push(soak.run(&name, mode, Load::Flat(producers)));
            println!("{}", phase_table(&reports[reports.len() - 1..], clock));
        }
    }
    reports.push(soak.run(
        "churn-refuse",
        Mode::Refuse,
        Load::Churn {
            threads: 1000,
            spans: 1000,
        },
    ));
    println!("{}", phase_table(&reports[reports.len() - 1..], clock));
    reports.push(soak.run("refuse-64p", Mode::Refuse, Load::Flat(64)));
    println!("{}", phase_table(&reports[reports.len() - 1..], clock));
    reports.push(soak.run("recover-1p", Mode::Accept, Load::Flat(1)));

    let before = Totals::now(soak.tracer, &soak.produced, &soak.collector);
    let start = Instant::now();
    let result = guard.shutdown();
    let took = start.elapsed();
    let after = Totals::now(soak.tracer, &soak.produced, &soak.collector);
    println!("\n## all phases\n\n{}", phase_table(&reports, clock));
    println!(
        "final shutdown (collector accepting, {} spans in flight): took {} s, {}",
        before.in_flight(),
        secs(took),
        result.map_or_else(|e| format!("Err: {e}"), |()| "Ok".to_owned())
    );
    println!(
        "after shutdown: produced {} = exported {} + dropped {} + failed {} + unaccounted {} (collector received {}); peak RSS {} MiB",
        after.produced,
        after.exported,
        after.dropped,
        after.failed,
        after.in_flight(),
        after.received,
        mib(reports.iter().map(|r| r.rss_max).max().unwrap_or(0)),
    );
    if after.in_flight() == 0 {
        println!("ACCOUNTING OK");
    } else {
        println!(
            "ACCOUNTING MISMATCH: {} spans in no counter",
            after.in_flight()
        );
    }

    if args.shutdown_timings {
        let mut rows = Vec::new();
        for export_timeout in [None, Some(Duration::from_secs(5))] {
            for mode in [Mode::Refuse, Mode::Hang] {
                for flat in [false, true] {
                    let row = time_shutdown(&soak.collector, mode, export_timeout, flat)?;
                    println!("{}", shutdown_table(std::slice::from_ref(&row)));
                    rows.push(row);
                }
            }
        }
        println!("\n## shutdown timings\n\n{}", shutdown_table(&rows));
        println!(
            "\n## the OTLP exporter alone\n\n{}",
            exporter_table(&soak.collector)?
        );
    }
    Ok(())
}
