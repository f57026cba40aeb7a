//! The OTLP/HTTP receiver: `POST /v1/traces`, protobuf or JSON, gzip or not, answered as the
//! OTLP/HTTP specification says.
//!
//! - `200` with an `ExportTraceServiceResponse` in the request's encoding (a partial success
//!   names the spans left out);
//! - `400` with a `google.rpc.Status` when the body does not decode;
//! - `413` when the body (or what it inflates to) is over the bound;
//! - `415` for a content type or encoding that is not OTLP's;
//! - `405` for another method, `404` for another path;
//! - `503` (retryable) when the store fails.

use std::io::Read as _;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::otlp::{self, Format};
use crate::store::Store;

/// The largest request body read (compressed or not).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The largest body a gzip request may inflate to.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// `google.rpc.Code.UNAVAILABLE`.
const UNAVAILABLE: i32 = 14;

/// The receiver's routes.
pub(crate) fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/v1/traces", post(export))
        .with_state(store)
}

fn content_type(format: Format) -> HeaderValue {
    HeaderValue::from_static(match format {
        Format::Protobuf => "application/x-protobuf",
        Format::Json => "application/json",
    })
}

fn answer(status: StatusCode, format: Format, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, content_type(format))], body).into_response()
}

fn error(status: StatusCode, format: Format, code: i32, message: &str) -> Response {
    answer(status, format, otlp::status_body(format, code, message))
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

// The error is the answer itself, made once per refused request.
#[allow(clippy::result_large_err)]
/// The encoding named by `Content-Type` (parameters such as `charset` ignored).
fn format_of(headers: &HeaderMap) -> Result<Format, Response> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = value.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Ok(Format::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Ok(Format::Json)
    } else {
        Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported content type {value:?}: OTLP/HTTP is application/x-protobuf or application/json"
            ),
        ))
    }
}

#[allow(clippy::result_large_err)]
/// The body, inflated when `Content-Encoding: gzip`, within the bounds.
fn inflate(headers: &HeaderMap, body: Bytes, format: Format) -> Result<Bytes, Response> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim();
    if encoding.eq_ignore_ascii_case("identity") || encoding.is_empty() {
        return Ok(body);
    }
    if !encoding.eq_ignore_ascii_case("gzip") {
        return Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content encoding {encoding:?}: gzip or none"),
        ));
    }
    let mut inflated = Vec::with_capacity(body.len() * 4);
    let limit = u64::try_from(MAX_INFLATED_BYTES).unwrap_or(u64::MAX) + 1;
    match flate2::read::GzDecoder::new(&body[..])
        .take(limit)
        .read_to_end(&mut inflated)
    {
        Ok(n) if n > MAX_INFLATED_BYTES => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format,
            otlp::INVALID_ARGUMENT,
            &format!("the body inflates to more than {MAX_INFLATED_BYTES} bytes"),
        )),
        Ok(_) => Ok(inflated.into()),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            format,
            otlp::INVALID_ARGUMENT,
            &format!("invalid gzip body: {e}"),
        )),
    }
}

async fn export(State(store): State<Arc<Store>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let format = match format_of(&parts.headers) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format,
            otlp::INVALID_ARGUMENT,
            &format!("the body is over {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let Ok(body) = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES).await else {
        return too_large();
    };
    let body = match inflate(&parts.headers, body, format) {
        Ok(b) => b,
        Err(r) => return r,
    };
    // Decoding and the JSON documents take CPU: off the async workers, as the insert.
    let stored = tokio::task::spawn_blocking(move || {
        let decoded = otlp::decode(format, &body)?;
        Ok::<_, otlp::Malformed>((store.insert(&decoded.batch), decoded))
    })
    .await;
    match stored {
        Ok(Ok((Ok(_), decoded))) => {
            answer(StatusCode::OK, format, otlp::success_body(format, &decoded))
        }
        Ok(Err(malformed)) => error(
            StatusCode::BAD_REQUEST,
            format,
            otlp::INVALID_ARGUMENT,
            &malformed.0,
        ),
        Ok(Ok((Err(e), _))) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format,
            UNAVAILABLE,
            &e.to_string(),
        ),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format,
            UNAVAILABLE,
            "the receiver failed on this request",
        ),
    }
}
