//! `#[traced]` on sync functions, end to end through `InMemoryExporter`.

use std::fmt;

use trace_core::{traced, SpanData, SpanKind, Status, Value};

mod support;
use support::{exporter, only};

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attribute(key)
}

#[derive(Debug, PartialEq)]
struct MyError(&'static str);

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "my error: {}", self.0)
    }
}

#[traced]
fn plain(x: u32) -> u32 {
    x + 1
}

#[test]
fn default_name_and_kind_and_no_captures() {
    exporter();
    assert_eq!(plain(1), 2);
    let span = only("plain");
    assert_eq!(span.kind, SpanKind::Internal);
    assert!(span.attributes.is_empty(), "{:?}", span.attributes);
    assert_eq!(span.status, Status::Unset);
}

#[traced(name = "db.query", kind = "client", attrs(user_id, table = %table, n = rows.len(), http.route = route, dbg = ?rows, missing))]
fn query(
    user_id: u64,
    table: &str,
    rows: &[u8],
    route: &'static str,
    missing: Option<u8>,
) -> usize {
    rows.len()
}

#[test]
fn captures_typed_display_debug_and_none() {
    exporter();
    assert_eq!(query(7, "users", &[1, 2, 3], "/users/{id}", None), 3);
    let span = only("db.query");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(attr(&span, "user_id"), Some(&Value::I64(7)));
    assert_eq!(attr(&span, "table").and_then(Value::as_str), Some("users"));
    assert_eq!(attr(&span, "n"), Some(&Value::I64(3)));
    assert_eq!(
        attr(&span, "http.route").and_then(Value::as_str),
        Some("/users/{id}")
    );
    assert_eq!(
        attr(&span, "dbg").and_then(Value::as_str),
        Some("[1, 2, 3]")
    );
    assert_eq!(attr(&span, "missing"), None);
}

#[traced]
fn fails(fail: bool) -> Result<u8, MyError> {
    if fail {
        return Err(MyError("early"));
    }
    Ok(1)
}

#[test]
fn result_errors_are_recorded() {
    exporter();
    assert_eq!(fails(true), Err(MyError("early")));
    let span = only("fails");
    assert_eq!(
        span.status,
        Status::Error {
            description: "my error: early".into()
        }
    );
    assert_eq!(
        attr(&span, "error.type").and_then(Value::as_str),
        Some(std::any::type_name::<MyError>())
    );
}

struct Counter {
    n: u32,
}

#[traced(kind = "server")]
impl Counter {
    fn bump(&mut self) -> &mut u32 {
        self.n += 1;
        &mut self.n
    }

    #[traced(name = "counter.get", attrs(n = self.n))]
    fn get(&self) -> u32 {
        self.n
    }

    #[traced(skip)]
    fn untraced(&self) -> u32 {
        self.n
    }
}

#[test]
fn impl_blocks() {
    exporter();
    let mut c = Counter { n: 0 };
    *c.bump() += 10;
    assert_eq!(c.untraced(), 11);
    assert_eq!(c.get(), 11);
    let bump = only("Counter::bump");
    assert_eq!(bump.kind, SpanKind::Server);
    let get = only("counter.get");
    assert_eq!(get.kind, SpanKind::Server);
    assert!(exporter().find("Counter::untraced").is_none());
}

const ROUTE_NAME: &str = "GET /users/{id}";

mod reexport {
    pub(crate) use trace_core as runtime;
}

#[traced(name = ROUTE_NAME, crate = reexport::runtime, attrs(id))]
fn named_by_constant(id: u32) -> u32 {
    id
}

#[traced]
fn r#match() {}

#[test]
fn constant_names_raw_identifiers_and_crate_paths() {
    exporter();
    assert_eq!(named_by_constant(3), 3);
    r#match();
    let span = only("GET /users/{id}");
    assert_eq!(span.attribute("id"), Some(&Value::I64(3)));
    only("match");
}
