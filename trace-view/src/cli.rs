//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::Options;

/// `trace-view --help`.
pub const USAGE: &str = "\
trace-view: receive OTLP traces and look at them in a browser

USAGE:
    trace-view [OPTIONS]            receive OTLP (HTTP and gRPC) and serve the UI
    trace-view open FILE [OPTIONS]  serve the JSON lines FileExporter wrote

OPTIONS:
    --otlp-http ADDR   OTLP/HTTP receiver (default 127.0.0.1:4318; `open`: none unless given)
    --otlp-grpc ADDR   OTLP/gRPC receiver (default 127.0.0.1:4317; `open`: none unless given;
                       `off`: none). When the default port is taken, the viewer starts
                       without gRPC and says so; an address given here must be free
    --ui ADDR          web UI and its JSON API (default 127.0.0.1:16686)
    --store PATH       keep spans in this SQLite file, created if missing (default: in
                       memory, at most 1 GiB: the oldest traces go sooner if it fills)
    --max-spans N      keep at most N spans, evicting the oldest traces (default 1000000)
    -h, --help         this text
    -V, --version      the version

Point an application at it with OTEL_TRACES_EXPORTER=otlp
(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 is the default endpoint), or over
gRPC with OTEL_EXPORTER_OTLP_PROTOCOL=grpc (default endpoint http://localhost:4317).
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Receive and serve.
    Serve(Options),
    /// Load a JSON-lines file, then serve.
    Open(PathBuf, Options),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// Parses the arguments (without the program name).
///
/// # Errors
///
/// A message naming the argument that is wrong.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut file: Option<PathBuf> = None;
    let mut opening = false;
    let mut otlp_given = false;
    let mut grpc_given = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let addr = |name: &str, v: String| {
            v.parse::<SocketAddr>()
                .map_err(|_| format!("{name}: {v:?} is not an address such as 127.0.0.1:4318"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--otlp-http" => {
                options.otlp_http = Some(addr("--otlp-http", value("--otlp-http")?)?);
                otlp_given = true;
            }
            "--otlp-grpc" => {
                let v = value("--otlp-grpc")?;
                if v == "off" {
                    options.otlp_grpc = None;
                    options.otlp_grpc_required = false;
                } else {
                    options.otlp_grpc = Some(addr("--otlp-grpc", v)?);
                    options.otlp_grpc_required = true;
                }
                grpc_given = true;
            }
            "--ui" => options.ui = addr("--ui", value("--ui")?)?,
            "--store" => options.store = Some(PathBuf::from(value("--store")?)),
            "--max-spans" => {
                let v = value("--max-spans")?;
                options.max_spans = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--max-spans: {v:?} is not a positive number"))?;
            }
            "open" if !opening && file.is_none() => opening = true,
            other if opening && file.is_none() && !other.starts_with('-') => {
                file = Some(PathBuf::from(other));
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if opening {
        let file = file.ok_or("open needs a FILE")?;
        if !otlp_given {
            options.otlp_http = None;
        }
        if !grpc_given {
            options.otlp_grpc = None;
        }
        return Ok(Command::Open(file, options));
    }
    Ok(Command::Serve(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_are_loopback() {
        let Ok(Command::Serve(o)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(o.otlp_http, Some("127.0.0.1:4318".parse().unwrap()));
        assert_eq!(o.otlp_grpc, Some("127.0.0.1:4317".parse().unwrap()));
        assert!(!o.otlp_grpc_required, "the default gRPC port may be taken");
        assert_eq!(o.ui, "127.0.0.1:16686".parse().unwrap());
        assert_eq!(o.store, None);
    }

    #[test]
    fn options_and_open() {
        let Ok(Command::Serve(o)) = parse(&[
            "--otlp-http",
            "0.0.0.0:1",
            "--ui=127.0.0.1:2",
            "--store",
            "x.db",
            "--max-spans",
            "5",
        ]) else {
            panic!()
        };
        assert_eq!(o.otlp_http, Some("0.0.0.0:1".parse().unwrap()));
        assert_eq!(o.ui, "127.0.0.1:2".parse().unwrap());
        assert_eq!(o.store, Some(PathBuf::from("x.db")));
        assert_eq!(o.max_spans, 5);
        let Ok(Command::Open(f, o)) = parse(&["open", "spans.jsonl"]) else {
            panic!()
        };
        assert_eq!(f, PathBuf::from("spans.jsonl"));
        assert_eq!(o.otlp_http, None);
        assert_eq!(o.otlp_grpc, None);
        let Ok(Command::Serve(o)) = parse(&["--otlp-grpc", "0.0.0.0:4317"]) else {
            panic!()
        };
        assert_eq!(o.otlp_grpc, Some("0.0.0.0:4317".parse().unwrap()));
        assert!(o.otlp_grpc_required);
        let Ok(Command::Serve(o)) = parse(&["--otlp-grpc=off"]) else {
            panic!()
        };
        assert_eq!(o.otlp_grpc, None);
        for bad in [
            &["--max-spans", "0"][..],
            &["--ui", "localhost"],
            &["--ui"],
            &["--otlp-grpc", "4317"],
            &["open"],
            &["--nope"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
