//! `#[derive(SpanAttributes)]` and error recording by type, end to end.

use std::fmt;
use std::net::SocketAddr;

use trace_core::{current_span, traced, SpanAttributes, SpanData, Status, Value};

mod support;
use support::{exporter, only};

fn text<'a>(span: &'a SpanData, key: &str) -> Option<&'a str> {
    span.attribute(key).and_then(Value::as_str)
}

#[derive(SpanAttributes)]
struct ClientInfo {
    address: String,
    port: u16,
}

#[derive(SpanAttributes, Clone, Copy)]
enum Method {
    Get,
    #[span(rename = "POST")]
    Post,
}

#[derive(SpanAttributes)]
struct Timing {
    retries: u8,
}

#[derive(SpanAttributes)]
#[span(prefix = "http")]
struct Request {
    #[span(rename = "request.method")]
    method: Method,
    route: String,
    #[span(redact)]
    #[allow(dead_code)]
    authorization: String,
    #[span(skip)]
    #[allow(dead_code)]
    body: Vec<u8>,
    #[span(flatten)]
    client: ClientInfo,
    #[span(display)]
    peer: SocketAddr,
    #[span(debug)]
    tags: Vec<&'static str>,
    timing: Timing,
    user: Option<u64>,
}

fn request() -> Request {
    Request {
        method: Method::Post,
        route: "/users/{id}".into(),
        authorization: "Bearer secret-token".into(),
        body: vec![1, 2, 3],
        client: ClientInfo {
            address: "10.0.0.1".into(),
            port: 8080,
        },
        peer: "127.0.0.1:9000".parse().unwrap(),
        tags: vec!["a", "b"],
        timing: Timing { retries: 2 },
        user: None,
    }
}

#[traced(attrs(req, mode = req.method))]
fn handle(req: &Request) -> usize {
    req.route.len()
}

#[test]
fn derived_struct_is_flattened_under_the_argument_name() {
    exporter();
    handle(&request());
    let span = only("handle");
    assert_eq!(text(&span, "req.http.request.method"), Some("POST"));
    assert_eq!(text(&span, "req.http.route"), Some("/users/{id}"));
    assert_eq!(text(&span, "req.http.authorization"), Some("[REDACTED]"));
    assert_eq!(text(&span, "req.http.address"), Some("10.0.0.1"));
    assert_eq!(span.attribute("req.http.port"), Some(&Value::I64(8080)));
    assert_eq!(text(&span, "req.http.peer"), Some("127.0.0.1:9000"));
    assert_eq!(text(&span, "req.http.tags"), Some("[\"a\", \"b\"]"));
    assert_eq!(
        span.attribute("req.http.timing.retries"),
        Some(&Value::I64(2))
    );
    assert_eq!(text(&span, "mode"), Some("POST"));
    assert!(span.attribute("req.http.user").is_none());
    assert!(span.attribute("req.http.body").is_none());
    assert!(
        span.attributes
            .iter()
            .all(|kv| !kv.value.to_string().contains("secret")),
        "the redacted value leaked: {:?}",
        span.attributes
    );
}

#[test]
fn set_attributes_uses_the_derive() {
    exporter();
    {
        let _g = trace_core::span("manual").start();
        current_span().set_attributes(&request());
        current_span().set_attributes(&Method::Get);
    }
    let span = only("manual");
    assert_eq!(text(&span, "http.request.method"), Some("POST"));
    assert_eq!(text(&span, "http.address"), Some("10.0.0.1"));
    assert_eq!(text(&span, "method"), Some("Get"));
}

#[derive(Debug, SpanAttributes)]
enum StoreError {
    NotFound(#[allow(dead_code)] String),
    #[span(rename = "timeout")]
    Timeout {
        #[allow(dead_code)]
        after_ms: u64,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound(k) => write!(f, "{k} not found"),
            StoreError::Timeout { after_ms } => write!(f, "timed out after {after_ms} ms"),
        }
    }
}

impl std::error::Error for StoreError {}

type AppResult<T> = Result<T, StoreError>;

#[traced]
fn lookup(key: &str) -> AppResult<u8> {
    Err(StoreError::NotFound(key.to_owned()))
}

#[traced]
fn lookup_slow() -> AppResult<u8> {
    Err(StoreError::Timeout { after_ms: 30 })
}

#[test]
fn derived_error_enums_record_their_variant() {
    exporter();
    assert!(lookup("k1").is_err());
    assert!(lookup_slow().is_err());
    let span = only("lookup");
    assert_eq!(
        span.status,
        Status::Error {
            description: "k1 not found".into()
        }
    );
    assert_eq!(text(&span, "error.type"), Some("NotFound"));
    assert_eq!(text(&only("lookup_slow"), "error.type"), Some("timeout"));
}

#[traced]
fn io_result() -> std::io::Result<()> {
    Err(std::io::Error::other("disk on fire"))
}

#[traced]
fn boxed_error() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err("plain text".into())
}

#[traced(err = false)]
fn error_not_recorded() -> Result<(), StoreError> {
    Err(StoreError::NotFound("x".into()))
}

#[traced(err(debug, event))]
fn error_debug_event() -> Result<(), StoreError> {
    Err(StoreError::NotFound("y".into()))
}

#[derive(Debug)]
struct NotDisplay;

#[traced]
fn error_without_display() -> Result<(), NotDisplay> {
    Err(NotDisplay)
}

#[traced]
fn question_mark(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    Ok(n * 2)
}

#[traced(err(debug))]
fn io_debug() -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::NotFound, "gone"))
}

#[test]
fn err_debug_keeps_the_error_type_an_error_chooses() {
    exporter();
    assert!(io_debug().is_err());
    let span = only("io_debug");
    assert_eq!(text(&span, "error.type"), Some("NotFound"));
    assert_eq!(
        span.status,
        Status::Error {
            description: format!(
                "{:?}",
                std::io::Error::new(std::io::ErrorKind::NotFound, "gone")
            )
            .into()
        }
    );
}

#[test]
fn errors_are_recorded_by_type_not_by_spelling() {
    exporter();
    assert!(io_result().is_err());
    let span = only("io_result");
    assert_eq!(
        span.status,
        Status::Error {
            description: "disk on fire".into()
        }
    );
    // `std::io::Error` chooses its `error.type` (`SpanError`): its kind.
    assert_eq!(text(&span, "error.type"), Some("Other"));

    assert!(boxed_error().is_err());
    let span = only("boxed_error");
    assert_eq!(
        span.status,
        Status::Error {
            description: "plain text".into()
        }
    );
    assert_eq!(text(&span, "error.type"), Some("_OTHER"));

    assert!(error_not_recorded().is_err());
    let span = only("error_not_recorded");
    assert_eq!(span.status, Status::Unset);
    assert!(span.attribute("error.type").is_none());

    assert!(error_debug_event().is_err());
    let span = only("error_debug_event");
    assert_eq!(
        span.status,
        Status::Error {
            description: "NotFound(\"y\")".into()
        }
    );
    assert_eq!(span.events.len(), 1);
    assert_eq!(span.events[0].name, "exception");

    assert!(error_without_display().is_err());
    let span = only("error_without_display");
    assert!(matches!(span.status, Status::Error { .. }));

    assert_eq!(question_mark("21"), Ok(42));
    assert!(question_mark("x").is_err());
    let spans = exporter().find_all("question_mark");
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].status, Status::Unset);
    assert!(
        matches!(&spans[1].status, Status::Error { description } if description.contains("invalid digit"))
    );
}

#[traced(ret)]
fn ret_typed() -> u64 {
    7
}

#[traced(ret)]
fn ret_ok_value() -> Result<&'static str, StoreError> {
    Ok("fine")
}

#[traced(ret(debug))]
fn ret_debug() -> Vec<u8> {
    vec![1, 2]
}

#[traced(ret(display))]
fn ret_display() -> SocketAddr {
    "127.0.0.1:1".parse().unwrap()
}

#[traced(ret)]
fn ret_attributes() -> ClientInfo {
    ClientInfo {
        address: "h".into(),
        port: 1,
    }
}

#[traced(ret)]
fn ret_unit_ok(fail: bool) -> Result<(), StoreError> {
    if fail {
        return Err(StoreError::NotFound("z".into()));
    }
    Ok(())
}

#[traced(ret(display))]
fn ret_display_ok() -> Result<SocketAddr, StoreError> {
    Ok("127.0.0.1:2".parse().unwrap())
}

#[traced(ret)]
fn ret_ok_attributes() -> Result<ClientInfo, StoreError> {
    Ok(ClientInfo {
        address: "i".into(),
        port: 2,
    })
}

#[test]
fn ret_records_the_return_value() {
    exporter();
    ret_typed();
    ret_ok_value().unwrap();
    ret_debug();
    ret_display();
    ret_attributes();
    assert_eq!(only("ret_typed").attribute("return"), Some(&Value::I64(7)));
    assert_eq!(text(&only("ret_ok_value"), "return"), Some("fine"));
    assert_eq!(text(&only("ret_debug"), "return"), Some("[1, 2]"));
    assert_eq!(text(&only("ret_display"), "return"), Some("127.0.0.1:1"));
    assert_eq!(text(&only("ret_attributes"), "return.address"), Some("h"));
    ret_unit_ok(false).unwrap();
    assert!(ret_unit_ok(true).is_err());
    let unit = exporter().find_all("ret_unit_ok");
    assert_eq!(unit.len(), 2);
    assert!(unit[0].attribute("return").is_none());
    assert_eq!(text(&unit[1], "error.type"), Some("NotFound"));
    ret_display_ok().unwrap();
    ret_ok_attributes().unwrap();
    assert_eq!(text(&only("ret_display_ok"), "return"), Some("127.0.0.1:2"));
    assert_eq!(
        text(&only("ret_ok_attributes"), "return.address"),
        Some("i")
    );
}
