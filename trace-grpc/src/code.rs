//! gRPC status codes as the RPC semantic conventions use them: names, where a response
//! carries one, and which ones make a span an error.

use http::{HeaderMap, StatusCode};

/// The canonical names of the status codes 0 to 16.
const NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// A gRPC status code as read from `grpc-status` (any number: codes outside 0..=16 are kept
/// as their number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code(pub(crate) u32);

impl Code {
    pub(crate) const OK: Code = Code(0);
    pub(crate) const UNKNOWN: Code = Code(2);
    pub(crate) const UNIMPLEMENTED: Code = Code(12);
    pub(crate) const INTERNAL: Code = Code(13);
    pub(crate) const UNAVAILABLE: Code = Code(14);

    /// `rpc.status_code`: the name (`UNAVAILABLE`), or the number for an unknown code.
    pub(crate) fn name(self) -> std::borrow::Cow<'static, str> {
        match usize::try_from(self.0).ok().and_then(|i| NAMES.get(i)) {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(self.0.to_string()),
        }
    }

    /// Whether a server span ends in error: `UNKNOWN`, `DEADLINE_EXCEEDED`,
    /// `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE`, `DATA_LOSS` (the conventions' list); a code
    /// outside the known ones too.
    pub(crate) fn is_server_error(self) -> bool {
        matches!(self.0, 2 | 4 | 12 | 13 | 14 | 15) || self.0 > 16
    }

    /// Whether a client span ends in error: any code but OK.
    pub(crate) fn is_client_error(self) -> bool {
        self != Code::OK
    }

    /// The code of a `grpc-status` value: ASCII digits only, as the protocol writes it.
    fn parse(value: &[u8]) -> Option<Code> {
        if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(value).ok()?.parse().ok().map(Code)
    }
}

/// The longest `grpc-message` kept as a span's status description.
const MAX_MESSAGE: usize = 256;

/// The status in `headers` (trailers, or the headers of a trailers-only response):
/// `grpc-status`, and `grpc-message` percent-decoded. A `grpc-status` that is not a number
/// reads as UNKNOWN, as gRPC clients do.
pub(crate) fn status_of(headers: &HeaderMap) -> Option<(Code, String)> {
    let value = headers.get("grpc-status")?;
    let code = Code::parse(value.as_bytes()).unwrap_or(Code::UNKNOWN);
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| {
            let decoded = trace_core::propagation::percent_decode_lossy(m);
            decoded.chars().take(MAX_MESSAGE).collect::<String>()
        })
        .unwrap_or_default();
    Some((code, message))
}

/// The code a client derives from an HTTP answer that is not a gRPC one (no
/// `grpc-status`, HTTP status not 200), as gRPC's "HTTP to gRPC status code mapping" says.
pub(crate) fn from_http_status(status: StatusCode) -> Code {
    match status.as_u16() {
        400 => Code::INTERNAL,
        401 => Code(16),
        403 => Code(7),
        404 => Code::UNIMPLEMENTED,
        429 | 502..=504 => Code::UNAVAILABLE,
        _ => Code::UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Code(0).name(), "OK");
        assert_eq!(Code(14).name(), "UNAVAILABLE");
        assert_eq!(Code(16).name(), "UNAUTHENTICATED");
        assert_eq!(Code(17).name(), "17");
    }

    #[test]
    fn errors_follow_the_conventions() {
        let server: Vec<u32> = (0..=16).filter(|&c| Code(c).is_server_error()).collect();
        assert_eq!(server, [2, 4, 12, 13, 14, 15]);
        let client: Vec<u32> = (0..=16).filter(|&c| Code(c).is_client_error()).collect();
        assert_eq!(client, (1..=16).collect::<Vec<_>>());
        assert!(Code(99).is_server_error());
    }

    #[test]
    fn statuses_are_read_leniently() {
        let mut headers = HeaderMap::new();
        assert_eq!(status_of(&headers), None);
        headers.insert("grpc-status", "5".parse().unwrap());
        headers.insert("grpc-message", "no%20such%20user".parse().unwrap());
        assert_eq!(
            status_of(&headers),
            Some((Code(5), "no such user".to_owned()))
        );
        for garbage in ["", "-1", "five", "99999999999", "1 "] {
            headers.insert("grpc-status", garbage.parse().unwrap());
            assert_eq!(
                status_of(&headers).map(|s| s.0),
                Some(Code::UNKNOWN),
                "{garbage:?}"
            );
        }
        headers.insert("grpc-message", "x".repeat(10_000).parse().unwrap());
        assert_eq!(status_of(&headers).unwrap().1.len(), MAX_MESSAGE);
    }

    #[test]
    fn http_statuses_map_to_codes() {
        assert_eq!(from_http_status(StatusCode::NOT_FOUND), Code::UNIMPLEMENTED);
        assert_eq!(
            from_http_status(StatusCode::SERVICE_UNAVAILABLE),
            Code::UNAVAILABLE
        );
        assert_eq!(from_http_status(StatusCode::UNAUTHORIZED), Code(16));
        assert_eq!(from_http_status(StatusCode::IM_A_TEAPOT), Code::UNKNOWN);
    }
}
