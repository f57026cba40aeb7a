use std::net::SocketAddr;
use trace_core::{traced, SpanAttributes};

#[derive(SpanAttributes)]
struct ClientInfo {
    address: String,
    port: u16,
}

#[derive(SpanAttributes)]
#[span(prefix = "http")]
struct Request {
    #[span(rename = "request.method")]
    method: String,
    route: String,
    #[span(redact)]
    authorization: String,
    #[span(skip)]
    body: Vec<u8>,
    #[span(flatten)]
    client: ClientInfo,
    #[span(display)]
    peer: SocketAddr,
    #[span(debug)]
    headers: Vec<(String, String)>,
    r#type: Option<&'static str>,
}

#[derive(SpanAttributes)]
struct Generic<T: trace_core::ToValue> {
    value: T,
}

#[derive(SpanAttributes)]
struct Unit;

#[derive(SpanAttributes, Clone, Copy)]
enum Mode {
    Fast,
    #[span(rename = "slow-mode")]
    Slow,
}

#[derive(SpanAttributes, Debug)]
#[span(prefix = "app.error")]
enum AppError {
    NotFound { key: String },
    Io(std::io::Error),
    Other,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[traced(attrs(req, mode, g, u))]
fn handle(req: &Request, mode: Mode, g: Generic<u8>, u: Unit) -> Result<(), AppError> {
    let _ = (&req.body, &req.authorization, &req.method, &req.route, &req.client, &req.peer);
    let _ = (&req.headers, &req.r#type, &g.value, &u, mode);
    Err(AppError::Other)
}

fn main() {
    let _ = AppError::NotFound { key: String::new() };
    let _ = AppError::Io(std::io::Error::other("x"));
    let _ = Mode::Slow;
    let req = Request {
        method: "GET".into(),
        route: "/".into(),
        authorization: String::new(),
        body: vec![],
        client: ClientInfo { address: String::new(), port: 1 },
        peer: "127.0.0.1:1".parse().unwrap(),
        headers: vec![],
        r#type: None,
    };
    let _ = ClientInfo { address: String::new(), port: 0 }.port;
    assert!(handle(&req, Mode::Fast, Generic { value: 1 }, Unit).is_err());
}
