//! The quickstart: nested spans, an error, an async part, printed as a tree on stdout.
//!
//! Run it with `cargo run -p examples --example quickstart`.

use std::fmt;
use std::time::Duration;

use trace_core::{Tracer, current_span, traced};
use trace_exporters::StdoutExporter;

#[derive(Debug)]
struct NotFound(u64);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user {} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

#[traced(kind = "client", attrs(user_id))]
fn load_user(user_id: u64) -> Result<String, NotFound> {
    std::thread::sleep(Duration::from_millis(2));
    if user_id == 7 {
        Err(NotFound(user_id))
    } else {
        Ok(format!("user-{user_id}"))
    }
}

#[traced(attrs(count = names.len()))]
async fn render(names: Vec<String>) -> String {
    tokio::time::sleep(Duration::from_millis(3)).await;
    current_span().set_attribute("template", "users.html");
    names.join(", ")
}

#[traced(name = "GET /users", kind = "server")]
async fn handle_request(ids: &[u64]) -> String {
    let names: Vec<String> = ids.iter().filter_map(|id| load_user(*id).ok()).collect();
    render(names).await
}

#[tokio::main]
async fn main() {
    let guard = Tracer::builder()
        .service_name("quickstart")
        .exporter(StdoutExporter::pretty())
        .install_global();

    let page = handle_request(&[1, 7, 42]).await;
    println!("rendered: {page}");

    // Dropping the guard would do the same: every finished span is exported.
    if let Err(e) = guard.shutdown() {
        eprintln!("flush failed: {e}");
    }
}
