use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use trace_core::{current_span, semconv, traced};

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure")
    }
}

// Typed values under registry keys: integers of any width for an int key, strings and
// enum values for string keys, arrays; `%` on a string key; keys outside the registry's
// namespaces are not checked.
#[traced(
    convention = "http.client",
    name = "GET /users/{id}",
    attrs(
        http.request.method = semconv::http_request_method::GET,
        url.full = url,
        server.address = %host,
        server.port = port,
        http.request.resend_count = 0,
        http.request.header.x_request_id = ["a", "b"],
        shop.cart.size = 3,
        peer,
        elapsed,
        path,
    ),
    err(type = "fetch_failed")
)]
fn fetch(
    url: &str,
    host: &str,
    port: u16,
    peer: SocketAddr,
    elapsed: Duration,
    path: PathBuf,
) -> Result<(), Failure> {
    current_span().set(semconv::HTTP_RESPONSE_STATUS_CODE, 200);
    let _ = (url, host, port, peer, elapsed, path);
    Err(Failure)
}

// A deprecated required key (`rpc.system`) is satisfied by its replacement.
#[traced(convention = "aws.client", attrs(rpc.system.name = "aws-api"))]
fn aws() {}

// Conventions that allow another kind: a database client span may be internal.
#[traced(convention = "db.client", kind = "internal", attrs(db.system.name = semconv::db_system_name::SQLITE))]
fn in_memory_query() {}

fn main() {
    let peer: SocketAddr = "127.0.0.1:80".parse().unwrap();
    let _ = fetch("http://x/users/1", "x", 80, peer, Duration::from_millis(5), PathBuf::from("/tmp"));
    aws();
    in_memory_query();
}
