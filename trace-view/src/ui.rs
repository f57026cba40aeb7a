//! The web UI: two pages, their assets (compiled into the binary) and the JSON API they use.
//!
//! - `GET /` the trace list; `GET /trace/{trace_id}` one trace's waterfall;
//! - `GET /api/traces?service=&name=&attr=&error=&min_duration_ms=&from=&to=&limit=`
//!   the list, newest first (`from`/`to`: start time range in Unix milliseconds);
//! - `GET /api/traces/{trace_id}` the spans; `GET /api/services`, `GET /api/span-names`.
//!
//! User data reaches pages only through the JSON API, and the scripts put it in the page as
//! text (`textContent`), never as HTML. The one server-side insertion, the trace page's title,
//! goes through [`escape`]. A Content-Security-Policy allows scripts from the binary only.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value as Json;

use crate::span::parse_hex;
use crate::store::{Query, Store, MAX_LIMIT};

/// The longest filter value accepted (service, name, attribute).
const MAX_FILTER_LEN: usize = 1024;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const TRACE_HTML: &str = include_str!("../assets/trace.html");

/// `(path, content type, body)` of every asset.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../assets/app.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/common.js"),
    ),
    (
        "list.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/list.js"),
    ),
    (
        "trace.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/trace.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../assets/favicon.svg"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The UI's routes.
pub(crate) fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/trace/{trace_id}", get(trace_page))
        .route("/assets/{file}", get(asset))
        .route("/favicon.ico", get(favicon))
        .route("/api/traces", get(list))
        .route("/api/traces/{trace_id}", get(spans))
        .route("/api/services", get(services))
        .route("/api/span-names", get(span_names))
        .fallback(|| async { not_found("no such page") })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(store)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn api_error(status: StatusCode, message: &str) -> Response {
    json(status, &serde_json::json!({ "error": message }))
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        what.to_owned(),
    )
        .into_response()
}

async fn index() -> Response {
    html(StatusCode::OK, INDEX_HTML.to_owned())
}

/// The trace page: its title names the root span (escaped), the script does the rest.
async fn trace_page(State(store): State<Arc<Store>>, Path(trace_id): Path<String>) -> Response {
    let Some(id) = parse_hex::<16>(&trace_id) else {
        return not_found("not a trace id: 32 hex digits");
    };
    let store2 = Arc::clone(&store);
    let summary = tokio::task::spawn_blocking(move || store2.summary(id))
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    let title = summary.map_or_else(
        || format!("trace {}", crate::span::hex(&id)),
        |s| format!("{} ({})", s.root_name, s.services.join(", ")),
    );
    html(
        StatusCode::OK,
        TRACE_HTML.replace("{{title}}", &escape(&title)),
    )
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => not_found("no such asset"),
    }
}

async fn favicon() -> Response {
    asset(Path("favicon.svg".to_owned())).await
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space).
fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The list's filters from the query string; unknown parameters are ignored, empty ones unset.
pub(crate) fn parse_query(raw: Option<&str>) -> Result<Query, String> {
    let mut q = Query {
        limit: 20,
        ..Query::default()
    };
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (url_decode(k), url_decode(v)) else {
            return Err(format!("{pair:?} is not URL-encoded UTF-8"));
        };
        if v.is_empty() {
            continue;
        }
        if v.len() > MAX_FILTER_LEN {
            return Err(format!("{k} is longer than {MAX_FILTER_LEN} bytes"));
        }
        let number = |what: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("{what} must be a non-negative number, not {v:?}"))
        };
        // Milliseconds to nanoseconds; saturating at the ends of i64.
        #[allow(clippy::cast_possible_truncation)]
        let nanos = |ms: f64| (ms * 1e6) as i64;
        match k.as_str() {
            "service" => q.service = Some(v),
            "name" => q.name = Some(v),
            "attr" => {
                if !v.contains('=') {
                    return Err("attr must be key=value".to_owned());
                }
                q.attribute = Some(v);
            }
            "error" => {
                q.error = match v.as_str() {
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => return Err(format!("error must be true or false, not {v:?}")),
                }
            }
            "min_duration_ms" => q.min_duration_ns = Some(nanos(number(&k)?)),
            "from" => q.from = Some(nanos(number(&k)?)),
            "to" => q.to = Some(nanos(number(&k)?)),
            "limit" => {
                q.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| format!("limit must be 1 to {MAX_LIMIT}, not {v:?}"))?;
            }
            _ => {}
        }
    }
    Ok(q)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(api_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
        Err(_) => Err(api_error(StatusCode::INTERNAL_SERVER_ERROR, "query failed")),
    }
}

async fn list(State(store): State<Arc<Store>>, RawQuery(raw): RawQuery) -> Response {
    let query = match parse_query(raw.as_deref()) {
        Ok(q) => q,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, &e),
    };
    match blocking(move || store.traces(&query)).await {
        Ok(traces) => json(
            StatusCode::OK,
            &Json::Array(traces.iter().map(crate::store::Summary::to_json).collect()),
        ),
        Err(r) => r,
    }
}

async fn spans(State(store): State<Arc<Store>>, Path(trace_id): Path<String>) -> Response {
    let Some(id) = parse_hex::<16>(&trace_id) else {
        return api_error(StatusCode::BAD_REQUEST, "a trace id is 32 hex digits");
    };
    match blocking(move || store.trace(id)).await {
        Ok(Some(spans)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            spans,
        )
            .into_response(),
        Ok(None) => api_error(StatusCode::NOT_FOUND, "no such trace"),
        Err(r) => r,
    }
}

async fn services(State(store): State<Arc<Store>>) -> Response {
    match blocking(move || store.services()).await {
        Ok(s) => json(StatusCode::OK, &s.into()),
        Err(r) => r,
    }
}

async fn span_names(State(store): State<Arc<Store>>) -> Response {
    match blocking(move || store.span_names()).await {
        Ok(s) => json(StatusCode::OK, &s.into()),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape(r#"<script>alert("x")</script><img src=x onerror='y'>&"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;"
        );
    }

    #[test]
    fn query_parsing() {
        let q = parse_query(Some(
            "service=front+end&name=GET%20%2Fa&attr=http.route%3D%2Fa&error=true&min_duration_ms=1.5&limit=5&x=1&from=",
        ))
        .unwrap();
        assert_eq!(q.service.as_deref(), Some("front end"));
        assert_eq!(q.name.as_deref(), Some("GET /a"));
        assert_eq!(q.attribute.as_deref(), Some("http.route=/a"));
        assert_eq!(q.error, Some(true));
        assert_eq!(q.min_duration_ns, Some(1_500_000));
        assert_eq!(q.limit, 5);
        assert_eq!(q.from, None);
        for bad in [
            "limit=0",
            "limit=1001",
            "error=yes",
            "min_duration_ms=-1",
            "attr=novalue",
            "name=%zz",
            "name=%ff",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
        let long = format!("name={}", "a".repeat(MAX_FILTER_LEN + 1));
        assert!(parse_query(Some(&long)).is_err());
    }
}
