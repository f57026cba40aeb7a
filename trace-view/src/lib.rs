//! trace-view: look at your traces without a collector, Docker or an account.
//!
//! One binary receives OTLP/HTTP (protobuf or JSON, gzip or not) and OTLP/gRPC as a collector
//! would, keeps
//! the spans in `SQLite` (a file that survives restarts, or memory), bounded by a number of
//! spans, and serves a web UI: the trace list with filters, and each trace as a waterfall
//! stitched across services.
//!
//! ```text
//! cargo run -p trace-view                 # OTLP/HTTP on 127.0.0.1:4318, OTLP/gRPC on 127.0.0.1:4317,
//!                                         # UI on http://127.0.0.1:16686
//! OTEL_TRACES_EXPORTER=otlp cargo run -p examples --example two_services
//! cargo run -p trace-view -- open spans.jsonl   # what FileExporter wrote
//! ```
//!
//! The library is what the binary runs, for tests and embedding: [`Options`], [`start`],
//! [`Store`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let options = trace_view::Options {
//!     ui: "127.0.0.1:0".parse()?,
//!     otlp_http: Some("127.0.0.1:0".parse()?),
//!     otlp_grpc: Some("127.0.0.1:0".parse()?),
//!     ..trace_view::Options::default()
//! };
//! let server = trace_view::start(&options).await?;
//! println!("UI on http://{}", server.ui_addr());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod cli;
mod grpc;
mod load;
mod otlp;
mod receiver;
mod span;
mod store;
mod ui;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use cli::{parse_args, Command, USAGE};
pub use load::{load_json_lines, Loaded};
pub use receiver::{MAX_BODY_BYTES, MAX_INFLATED_BYTES};
pub use store::{Store, StoreError, MAX_LIMIT};
pub use ui::escape;

/// The default OTLP/HTTP address (the OTLP default port, loopback only).
pub const DEFAULT_OTLP_HTTP: &str = "127.0.0.1:4318";
/// The default OTLP/gRPC address (the OTLP default port, loopback only).
pub const DEFAULT_OTLP_GRPC: &str = "127.0.0.1:4317";
/// The default UI address (Jaeger's port, loopback only).
pub const DEFAULT_UI: &str = "127.0.0.1:16686";
/// The default bound of the store.
pub const DEFAULT_MAX_SPANS: u64 = 1_000_000;

/// What to serve, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where the OTLP/HTTP receiver listens; `None`: no receiver.
    pub otlp_http: Option<SocketAddr>,
    /// Where the OTLP/gRPC receiver listens; `None`: no receiver.
    pub otlp_grpc: Option<SocketAddr>,
    /// Whether the viewer fails to start when `otlp_grpc` cannot be bound (the address was
    /// asked for). When `false` (the default address), the viewer starts without gRPC and
    /// says why in [`Server::warnings`]: an HTTP user is not stopped by another program on
    /// port 4317, a collector say.
    pub otlp_grpc_required: bool,
    /// Where the UI and its API listen.
    pub ui: SocketAddr,
    /// The store's file; `None`: in memory.
    pub store: Option<PathBuf>,
    /// The most spans kept; the oldest traces are evicted first.
    pub max_spans: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            otlp_http: Some(parse_addr(DEFAULT_OTLP_HTTP)),
            otlp_grpc: Some(parse_addr(DEFAULT_OTLP_GRPC)),
            otlp_grpc_required: false,
            ui: parse_addr(DEFAULT_UI),
            store: None,
            max_spans: DEFAULT_MAX_SPANS,
        }
    }
}

fn parse_addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Why the viewer could not start.
#[derive(Debug)]
pub enum Error {
    /// The store could not be opened.
    Store(StoreError),
    /// A listener could not be bound.
    Bind(SocketAddr, std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Store(e) => write!(f, "{e}"),
            Self::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A running viewer: its addresses, its store, and a way to stop it.
#[derive(Debug)]
pub struct Server {
    ui_addr: SocketAddr,
    otlp_http_addr: Option<SocketAddr>,
    otlp_grpc_addr: Option<SocketAddr>,
    warnings: Vec<String>,
    store: Arc<Store>,
    stop: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// Where the UI listens.
    pub fn ui_addr(&self) -> SocketAddr {
        self.ui_addr
    }

    /// Where the OTLP/HTTP receiver listens, if it runs.
    pub fn otlp_http_addr(&self) -> Option<SocketAddr> {
        self.otlp_http_addr
    }

    /// Where the OTLP/gRPC receiver listens, if it runs.
    pub fn otlp_grpc_addr(&self) -> Option<SocketAddr> {
        self.otlp_grpc_addr
    }

    /// What did not start but did not stop the viewer either (the default gRPC address
    /// taken), one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The store the server reads and writes.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Stops listening, finishes the requests in progress and closes the store.
    pub async fn shutdown(self) {
        for stop in self.stop {
            let _ = stop.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Opens the store and starts the receiver and the UI.
///
/// # Errors
///
/// When the store cannot be opened or an address cannot be bound.
pub async fn start(options: &Options) -> Result<Server, Error> {
    let store = Arc::new(Store::open(options.store.as_deref(), options.max_spans)?);
    start_with_store(options, store).await
}

/// As [`start`], with a store already opened (and maybe loaded).
///
/// # Errors
///
/// When an address cannot be bound.
pub async fn start_with_store(options: &Options, store: Arc<Store>) -> Result<Server, Error> {
    let mut server = Server {
        ui_addr: options.ui,
        otlp_http_addr: None,
        otlp_grpc_addr: None,
        warnings: Vec::new(),
        store: Arc::clone(&store),
        stop: Vec::new(),
        tasks: Vec::new(),
    };
    let ui = ui::router(Arc::clone(&store));
    server.ui_addr = spawn(&mut server, options.ui, ui).await?;
    if let Some(addr) = options.otlp_http {
        let otlp = receiver::router(Arc::clone(&store));
        server.otlp_http_addr = Some(spawn(&mut server, addr, otlp).await?);
    }
    if let Some(addr) = options.otlp_grpc {
        match spawn_grpc(&mut server, addr, Arc::clone(&store)).await {
            Ok(bound) => server.otlp_grpc_addr = Some(bound),
            Err(e) if !options.otlp_grpc_required => server.warnings.push(format!(
                "no OTLP/gRPC receiver: {e} (--otlp-grpc ADDR for another address, --otlp-grpc off for none)"
            )),
            Err(e) => {
                server.shutdown().await;
                return Err(e);
            }
        }
    }
    Ok(server)
}

async fn spawn_grpc(
    server: &mut Server,
    addr: SocketAddr,
    store: Arc<Store>,
) -> Result<SocketAddr, Error> {
    serve(server, addr, |listener, stopped| async move {
        tonic::transport::Server::builder()
            .add_service(grpc::TraceService::new(store))
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                async {
                    let _ = stopped.await;
                },
            )
            .await
            .map_err(|e| e.to_string())
    })
    .await
}

async fn spawn(
    server: &mut Server,
    addr: SocketAddr,
    router: axum::Router,
) -> Result<SocketAddr, Error> {
    serve(server, addr, |listener, stopped| async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .map_err(|e| e.to_string())
    })
    .await
}

/// Binds `addr` and runs `run` on the listener as a task of `server`, with the receiver that
/// completes when the server stops (for a graceful shutdown).
async fn serve<F, Fut>(server: &mut Server, addr: SocketAddr, run: F) -> Result<SocketAddr, Error>
where
    F: FnOnce(tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Bind(addr, e))?;
    let bound = listener.local_addr().map_err(|e| Error::Bind(addr, e))?;
    let (stop, stopped) = oneshot::channel::<()>();
    server.stop.push(stop);
    let task = run(listener, stopped);
    server.tasks.push(tokio::spawn(async move {
        if let Err(e) = task.await {
            eprintln!("trace-view: server on {bound} stopped: {e}");
        }
    }));
    Ok(bound)
}
