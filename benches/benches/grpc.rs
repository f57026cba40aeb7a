#![allow(missing_docs)] // criterion_group! generates an undocumented fn
//! What trace-grpc's layers add to a unary RPC: `helloworld.Greeter/SayHello` over tonic on
//! 127.0.0.1 (a new call on a warm HTTP/2 connection each iteration), three ways:
//!
//! - `bare`: a tonic channel and a tonic server, no layer, no tracer;
//! - `layers/no_tracer`: `ClientLayer` on the channel and `ServerLayer` on the server, no
//!   tracer installed (what the layers cost when tracing is off);
//! - `layers/sampled`: the same with a tracer sampling everything into a batched
//!   `NoopExporter`: two spans per call (client and server), context in the metadata.
//!
//! Client and server run on one current-thread runtime on the bench thread (the server's
//! tasks are driven while the client awaits its reply), so a call costs no thread wake-up:
//! on this 2-core VM a wake-up across threads costs 30-90 µs and varies more than what the
//! layers add, which hid the figure when the server had a thread of its own. `cargo bench -p benches --bench grpc` prints criterion's
//! figures, then a summary: the variants measured in interleaved rounds (median µs per call)
//! and what the layers add to the bare call.

use std::hint::black_box;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
use examples::helloworld::{Greeter, GreeterClient, GreeterServer, HelloReply, HelloRequest};
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};
use trace_core::{Tracer, TracerGuard};
use trace_exporters::NoopExporter;
use trace_grpc::{ClientLayer, ClientService, ServerLayer};

struct Hello;

impl Greeter for Hello {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        Ok(Response::new(HelloReply {
            message: format!("Hello {}!", request.into_inner().name),
        }))
    }
}

/// Serves the Greeter (behind `ServerLayer` when `traced`) on `runtime`.
fn server(runtime: &tokio::runtime::Runtime, traced: bool) -> SocketAddr {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    if traced {
        runtime.spawn(
            Server::builder()
                .layer(ServerLayer::new())
                .add_service(GreeterServer::new(Hello))
                .serve_with_incoming(incoming),
        );
    } else {
        runtime.spawn(
            Server::builder()
                .add_service(GreeterServer::new(Hello))
                .serve_with_incoming(incoming),
        );
    }
    addr
}

fn channel(rt: &tokio::runtime::Runtime, addr: SocketAddr) -> Channel {
    rt.block_on(
        Endpoint::from_shared(format!("http://{addr}"))
            .expect("endpoint")
            .tcp_nodelay(true)
            .connect(),
    )
    .expect("connect")
}

/// A client of one kind or the other.
enum Client {
    Bare(GreeterClient<Channel>),
    Traced(GreeterClient<ClientService<Channel>>),
}

impl Client {
    fn call(&mut self, rt: &tokio::runtime::Runtime) {
        let request = HelloRequest {
            name: "bench".into(),
        };
        let reply = match self {
            Client::Bare(c) => rt.block_on(c.say_hello(request)),
            Client::Traced(c) => rt.block_on(c.say_hello(request)),
        };
        black_box(reply.expect("reply"));
    }
}

struct Setup {
    rt: tokio::runtime::Runtime,
    bare: Client,
    traced: Client,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bare_addr = server(&rt, false);
    let traced_addr = server(&rt, true);
    let bare = Client::Bare(GreeterClient::new(channel(&rt, bare_addr)));
    let traced_channel = tower::ServiceBuilder::new()
        .layer(ClientLayer::new().target(&format!("http://{traced_addr}")))
        .service(channel(&rt, traced_addr));
    let traced = Client::Traced(GreeterClient::new(traced_channel));
    let mut s = Setup { rt, bare, traced };
    for _ in 0..200 {
        s.bare.call(&s.rt);
        s.traced.call(&s.rt);
    }
    s
}

fn install() -> TracerGuard {
    Tracer::builder()
        .service_name("bench-grpc")
        .exporter(NoopExporter)
        .install_global()
}

fn unary(c: &mut Criterion) {
    let mut s = setup();
    let mut g = c.benchmark_group("grpc_unary");
    g.bench_function("bare", |b| b.iter(|| s.bare.call(&s.rt)));
    g.bench_function("layers/no_tracer", |b| b.iter(|| s.traced.call(&s.rt)));
    let guard = install();
    g.bench_function("layers/sampled", |b| b.iter(|| s.traced.call(&s.rt)));
    g.finish();
    guard.shutdown().expect("shutdown");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Interleaved rounds: each round times `CALLS` calls of each variant, so drift in the
/// machine's load hits all three alike.
fn summary() {
    const ROUNDS: usize = 15;
    const CALLS: u32 = 400;
    let mut s = setup();
    let time = |client: &mut Client, rt: &tokio::runtime::Runtime| {
        let t = Instant::now();
        for _ in 0..CALLS {
            client.call(rt);
        }
        (t.elapsed() / CALLS).as_secs_f64() * 1e6
    };
    let (mut bare, mut off, mut on) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(time(&mut s.bare, &s.rt));
        off.push(time(&mut s.traced, &s.rt));
        let guard = install();
        on.push(time(&mut s.traced, &s.rt));
        guard.shutdown().expect("shutdown");
        thread::sleep(Duration::from_millis(5));
    }
    let (bare, off, on) = (median(bare), median(off), median(on));
    println!();
    println!("Unary gRPC call on 127.0.0.1, {ROUNDS} interleaved rounds of {CALLS} calls (median µs per call)");
    println!("| variant | µs/call | added to the bare call |");
    println!("| --- | ---: | ---: |");
    println!("| tonic, no layer | {bare:.1} | |");
    println!(
        "| ClientLayer + ServerLayer, no tracer | {off:.1} | {:+.1} µs ({:+.1}%) |",
        off - bare,
        (off / bare - 1.0) * 100.0
    );
    println!(
        "| ClientLayer + ServerLayer, sampled (2 spans/call) | {on:.1} | {:+.1} µs ({:+.1}%) |",
        on - bare,
        (on / bare - 1.0) * 100.0
    );
}

criterion_group!(benches, unary);

/// `-- profile-bare` / `profile-off` / `profile-on`: 20 000 calls (`GRPC_PROFILE_CALLS`) of
/// one variant and nothing else, for `perf` or callgrind (instructions per call: the
/// difference of two call counts, so the set-up cancels out).
fn profile(mode: &str) {
    let mut s = setup();
    let guard = (mode == "profile-on").then(install);
    let client = if mode == "profile-bare" {
        &mut s.bare
    } else {
        &mut s.traced
    };
    let calls: u32 = std::env::var("GRPC_PROFILE_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let t = Instant::now();
    for _ in 0..calls {
        client.call(&s.rt);
    }
    println!(
        "{mode}: {:.1} µs/call",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
    );
    if let Some(guard) = guard {
        guard.shutdown().expect("shutdown");
    }
}

fn main() {
    if let Some(mode) = std::env::args().find(|a| a.starts_with("profile-")) {
        profile(&mode);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
