//! gRPC services with traced: `helloworld.Greeter` on tonic, with `trace_grpc`'s layers.
//!
//! ```text
//! cargo run -p examples --example grpc_services                       # the two-service demo
//! cargo run -p examples --example grpc_services -- --port 50051       # a Greeter server
//! cargo run -p examples --example grpc_services -- --call http://127.0.0.1:50051 [--name N]
//! ```
//!
//! With no flag, a self-contained demo: a front Greeter and a back Greeter on free ports of
//! 127.0.0.1; the front one asks the back one before it answers. One call from this process
//! makes one trace across both, printed as a tree (client and server spans named
//! `helloworld.Greeter/SayHello`, the RPC attributes); it exits with an error if the spans
//! do not form one connected trace.
//!
//! `--port PORT` serves a Greeter on 127.0.0.1:PORT until Ctrl-C, and `--call URL` calls one
//! and prints the reply; both export as `init_from_env()` sets up (`OTEL_*`, e.g.
//! `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` to a collector's port 4317).

mod support;

use std::net::SocketAddr;
use std::process::ExitCode;

use examples::helloworld::{Greeter, GreeterClient, GreeterServer, HelloReply, HelloRequest};
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status};
use trace_core::{Instrument, SpanData, Tracer, span, traced};
use trace_exporters::InMemoryExporter;
use trace_grpc::{ClientLayer, ClientService, ServerLayer};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The back Greeter's own work: a span under its server span.
#[traced(attrs(name))]
fn compose_greeting(name: &str) -> String {
    format!("Hello {name}!")
}

/// Greets by name.
struct Back;

impl Greeter for Back {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        if name.is_empty() {
            return Err(Status::invalid_argument("a name is needed"));
        }
        Ok(Response::new(HelloReply {
            message: compose_greeting(&name),
        }))
    }
}

/// Asks the back Greeter, then answers.
struct Front {
    back: GreeterClient<ClientService<Channel>>,
}

impl Greeter for Front {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        let reply = self
            .back
            .clone()
            .say_hello(HelloRequest { name })
            .await?
            .into_inner();
        Ok(Response::new(HelloReply {
            message: format!("front says: {}", reply.message),
        }))
    }
}

/// A traced client of the Greeter at `url` (`http://host:port`).
fn client(url: &str) -> Result<GreeterClient<ClientService<Channel>>, Error> {
    let channel = Endpoint::from_shared(url.to_owned())?.connect_lazy();
    let channel = tower::ServiceBuilder::new()
        .layer(ClientLayer::new().target(url))
        .service(channel);
    Ok(GreeterClient::new(channel))
}

/// Serves `greeter` behind the server layer on `listener`, in the background.
fn spawn_server<T: Greeter>(greeter: T, listener: tokio::net::TcpListener) {
    let server = Server::builder()
        .layer(ServerLayer::new())
        .add_service(GreeterServer::new(greeter))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(async move {
        if let Err(error) = server.await {
            eprintln!("grpc_services: server stopped: {error}");
        }
    });
}

async fn bind(port: u16) -> Result<(tokio::net::TcpListener, SocketAddr), Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Checks that `spans` form one trace with a single root, no dangling parent, and the two
/// server spans named after the method.
fn check_one_trace(spans: &[SpanData]) -> Result<(), Error> {
    support::check_one_trace(spans)?;
    let servers = spans
        .iter()
        .filter(|s| s.kind == trace_core::SpanKind::Server)
        .filter(|s| s.name == "helloworld.Greeter/SayHello")
        .count();
    if servers != 2 {
        return Err(format!("expected 2 server spans, found {servers}").into());
    }
    Ok(())
}

/// The demo: front and back Greeters in this process, one call, one trace.
async fn demo() -> Result<(), Error> {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .service_name("grpc_services")
        .simple_exporter(exporter.clone())
        .install_global();

    let (back_listener, back) = bind(0).await?;
    spawn_server(Back, back_listener);
    let (front_listener, front) = bind(0).await?;
    spawn_server(
        Front {
            back: client(&format!("http://{back}"))?,
        },
        front_listener,
    );

    let mut greeter = client(&format!("http://{front}"))?;
    let reply = greeter
        .say_hello(HelloRequest { name: "Ada".into() })
        .in_span(span("demo").start_detached())
        .await?
        .into_inner();
    println!("reply: {}", reply.message);

    // The front server's span ends as its response is sent, just after the reply arrives.
    for _ in 0..100 {
        if exporter.len() >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    guard.force_flush()?;
    let spans = exporter.spans();
    support::print_tree(
        &spans,
        &[
            "rpc.method",
            "rpc.status_code",
            "server.port",
            "name",
            "error.type",
        ],
        "  <- over gRPC metadata",
    );
    check_one_trace(&spans)?;
    println!(
        "one trace, {} spans, across the front Greeter ({front}) and the back Greeter ({back})",
        spans.len()
    );
    guard.shutdown()?;
    Ok(())
}

/// `--port PORT`: a Greeter server until Ctrl-C.
async fn serve(port: u16) -> Result<(), Error> {
    let guard = trace_exporters::init_from_env()?;
    let (listener, addr) = bind(port).await?;
    println!("listening on http://{addr} (helloworld.Greeter/SayHello)");
    Server::builder()
        .layer(ServerLayer::new())
        .add_service(GreeterServer::new(Back))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        )
        .await?;
    // A collector that is down is reported, not turned into this service's exit code.
    if let Err(e) = guard.shutdown() {
        eprintln!("grpc_services: traced: {e}");
    }
    Ok(())
}

/// `--call URL`: one call, the reply printed.
async fn call(url: &str, name: String) -> Result<(), Error> {
    let guard = trace_exporters::init_from_env()?;
    let result = client(url)?.say_hello(HelloRequest { name }).await;
    if let Err(e) = guard.shutdown() {
        eprintln!("grpc_services: traced: {e}");
    }
    println!("{}", result?.into_inner().message);
    Ok(())
}

enum Mode {
    Demo,
    Serve(u16),
    Call(String, String),
}

fn parse_args() -> Result<Mode, String> {
    const USAGE: &str =
        "usage: grpc_services [--port PORT | --call http://HOST:PORT [--name NAME]]";
    let mut args = std::env::args().skip(1);
    let (mut port, mut url, mut name) = (None, None, None);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value ({USAGE})"))
        };
        match flag.as_str() {
            "--port" => {
                let v = value()?;
                port = Some(
                    v.parse::<u16>()
                        .map_err(|_| format!("--port {v:?} is not a port ({USAGE})"))?,
                );
            }
            "--call" => url = Some(value()?),
            "--name" => name = Some(value()?),
            _ => return Err(format!("unknown argument {arg:?} ({USAGE})")),
        }
    }
    match (port, url) {
        (Some(_), Some(_)) => Err(format!("--port and --call exclude each other ({USAGE})")),
        (Some(port), None) => Ok(Mode::Serve(port)),
        (None, Some(url)) => Ok(Mode::Call(url, name.unwrap_or_else(|| "world".into()))),
        (None, None) => Ok(Mode::Demo),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(Mode::Demo) => demo().await,
        Ok(Mode::Serve(port)) => serve(port).await,
        Ok(Mode::Call(url, name)) => call(&url, name).await,
        Err(usage) => Err(usage.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("grpc_services: {error}");
            ExitCode::FAILURE
        }
    }
}
