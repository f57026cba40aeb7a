//! The `trace-view` binary: see `trace-view --help` and the crate docs.

use std::process::ExitCode;
use std::sync::Arc;

use trace_view::{Command, Options, Store};

fn main() -> ExitCode {
    let command = match trace_view::parse_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trace-view: {e}");
            return ExitCode::from(2);
        }
    };
    let (file, options) = match command {
        Command::Help => {
            print!("{}", trace_view::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("trace-view {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Serve(options) => (None, options),
        Command::Open(file, options) => (Some(file), options),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trace-view: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(file, &options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-view: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    file: Option<std::path::PathBuf>,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(Store::open(options.store.as_deref(), options.max_spans)?);
    if let Some(file) = &file {
        let loaded = trace_view::load_json_lines(&store, file)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        eprintln!(
            "trace-view: {} spans from {} lines of {}",
            loaded.spans,
            loaded.lines,
            file.display()
        );
        for (line, why) in &loaded.bad_lines {
            eprintln!("trace-view: {}:{line}: skipped: {why}", file.display());
        }
        if loaded.bad_line_count > loaded.bad_lines.len() as u64 {
            eprintln!("trace-view: {} bad lines in all", loaded.bad_line_count);
        }
    }
    let server = trace_view::start_with_store(options, store).await?;
    if let Some(addr) = server.otlp_http_addr() {
        eprintln!("trace-view: OTLP/HTTP on http://{addr}/v1/traces");
    }
    if let Some(addr) = server.otlp_grpc_addr() {
        eprintln!("trace-view: OTLP/gRPC on http://{addr}");
    }
    for warning in server.warnings() {
        eprintln!("trace-view: {warning}");
    }
    eprintln!("trace-view: UI on http://{}", server.ui_addr());
    tokio::signal::ctrl_c().await?;
    eprintln!("trace-view: stopping");
    server.shutdown().await;
    Ok(())
}
