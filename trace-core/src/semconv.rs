//! The OpenTelemetry semantic conventions: one typed constant per attribute key (from the
//! `trace-semconv` crate, generated from the registry), and span builders per operation.
//!
//! ```
//! use trace_core::semconv;
//!
//! let _guard = semconv::http::client("GET", "https://example.com:8443/users?id=7")
//!     .start();
//! trace_core::current_span().set(semconv::HTTP_RESPONSE_STATUS_CODE, 200);
//! ```
//!
//! A value of the wrong type for a key does not compile:
//! ```compile_fail
//! trace_core::current_span().set(trace_core::semconv::HTTP_RESPONSE_STATUS_CODE, "200");
//! ```

#[doc(inline)]
pub use trace_semconv::*;

use crate::builder::{span, SpanBuilder};
use crate::model::SpanKind;

/// HTTP spans.
pub mod http {
    use super::{span, SpanBuilder, SpanKind};
    use trace_semconv::{
        HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, SERVER_ADDRESS, SERVER_PORT, URL_FULL,
    };

    /// The methods `http.request.method` knows; another is recorded as `_OTHER`.
    const KNOWN: [&str; 10] = [
        "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY",
    ];

    /// An HTTP client span (`span.http.client`): named by the method, kind `Client`, with
    /// the required `http.request.method`, `url.full`, `server.address` and `server.port`
    /// (from the URL; the scheme's default port when it has none; credentials in the URL are
    /// recorded as `REDACTED:REDACTED`). An unknown method is
    /// recorded as `_OTHER` with `http.request.method_original`, and the span is named `HTTP`.
    ///
    /// # Examples
    /// ```
    /// use trace_core::semconv;
    /// let _guard = semconv::http::client("POST", "http://api.local/orders").start();
    /// ```
    pub fn client(method: &str, url: &str) -> SpanBuilder {
        let known = KNOWN.iter().copied().find(|m| *m == method);
        let mut builder = span(known.unwrap_or("HTTP")).kind(SpanKind::Client);
        builder = match known {
            Some(m) => builder.set(HTTP_REQUEST_METHOD, m),
            None => builder
                .set(HTTP_REQUEST_METHOD, "_OTHER")
                .set(HTTP_REQUEST_METHOD_ORIGINAL, method.to_owned()),
        };
        let (host, port) = authority(url);
        builder
            .set(URL_FULL, without_credentials(url))
            .set(SERVER_ADDRESS, host.map(str::to_owned))
            .set(SERVER_PORT, port)
    }

    /// `url` with any `user:password@` replaced by `REDACTED:REDACTED@`, as `url.full` asks.
    fn without_credentials(url: &str) -> String {
        if let Some((scheme, rest)) = url.split_once("://") {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            if let Some((_, host)) = rest[..end].rsplit_once('@') {
                return format!("{scheme}://REDACTED:REDACTED@{host}{}", &rest[end..]);
            }
        }
        url.to_owned()
    }

    /// The host and port of an absolute URL (`scheme://[user@]host[:port]/..`).
    fn authority(url: &str) -> (Option<&str>, Option<u16>) {
        let Some((scheme, rest)) = url.split_once("://") else {
            return (None, None);
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            match v6.split_once(']') {
                Some((host, after)) => (host, after.strip_prefix(':')),
                None => (v6, None),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p.parse().ok(),
            None => match scheme {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            },
        };
        ((!host.is_empty()).then_some(host), port)
    }

    #[cfg(test)]
    mod tests {
        use super::{authority, without_credentials};

        #[test]
        fn credentials_are_redacted() {
            assert_eq!(
                without_credentials("https://me:secret@h/p?q"),
                "https://REDACTED:REDACTED@h/p?q"
            );
            assert_eq!(without_credentials("https://h/a@b"), "https://h/a@b");
        }

        #[test]
        fn hosts_and_ports() {
            assert_eq!(
                authority("https://example.com/x"),
                (Some("example.com"), Some(443))
            );
            assert_eq!(authority("http://u:p@h:8080?q"), (Some("h"), Some(8080)));
            assert_eq!(authority("http://[::1]:3000/"), (Some("::1"), Some(3000)));
            assert_eq!(authority("/relative"), (None, None));
        }
    }
}

/// Database spans.
pub mod db {
    use super::{span, SpanBuilder, SpanKind};
    use trace_semconv::{DB_COLLECTION_NAME, DB_OPERATION_NAME, DB_SYSTEM_NAME};

    /// A database client span (`span.db.client`): named `{operation} {collection}`, kind
    /// `Client`, with `db.system.name` (required; a value of
    /// [`db_system_name`](super::db_system_name) such as `"postgresql"`),
    /// `db.operation.name` and `db.collection.name`.
    ///
    /// # Examples
    /// ```
    /// use trace_core::semconv::{self, db_system_name};
    /// let _guard = semconv::db::query(db_system_name::POSTGRESQL, "SELECT", "users").start();
    /// ```
    pub fn query(system: &str, operation: &str, collection: &str) -> SpanBuilder {
        let name = match (operation.is_empty(), collection.is_empty()) {
            (false, false) => format!("{operation} {collection}"),
            (false, true) => operation.to_owned(),
            (true, false) => collection.to_owned(),
            (true, true) => system.to_owned(),
        };
        span(name)
            .kind(SpanKind::Client)
            .set(DB_SYSTEM_NAME, system.to_owned())
            .set(
                DB_OPERATION_NAME,
                (!operation.is_empty()).then(|| operation.to_owned()),
            )
            .set(
                DB_COLLECTION_NAME,
                (!collection.is_empty()).then(|| collection.to_owned()),
            )
    }
}

/// Messaging spans.
pub mod messaging {
    use super::{span, SpanBuilder, SpanKind};
    use trace_semconv::{
        MESSAGING_DESTINATION_NAME, MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE,
        MESSAGING_SYSTEM,
    };

    /// A producer span sending to `destination` (`span.messaging.send.producer`): named
    /// `send {destination}`, kind `Producer`, with `messaging.system` and
    /// `messaging.operation.name` (required), `messaging.operation.type` and
    /// `messaging.destination.name`.
    ///
    /// # Examples
    /// ```
    /// use trace_core::semconv::{self, messaging_system};
    /// let _guard = semconv::messaging::publish(messaging_system::KAFKA, "orders").start();
    /// ```
    pub fn publish(system: &str, destination: &str) -> SpanBuilder {
        span(format!("send {destination}"))
            .kind(SpanKind::Producer)
            .set(MESSAGING_SYSTEM, system.to_owned())
            .set(MESSAGING_OPERATION_NAME, "send")
            .set(MESSAGING_OPERATION_TYPE, "send")
            .set(MESSAGING_DESTINATION_NAME, destination.to_owned())
    }
}

/// RPC spans.
pub mod rpc {
    use super::{span, SpanBuilder, SpanKind};
    use trace_semconv::{RPC_METHOD, RPC_SYSTEM_NAME};

    /// An RPC client span (`span.rpc.call.client`): named `{service}/{method}`, kind
    /// `Client`, with `rpc.system.name` (required) and `rpc.method` (`service/method`).
    ///
    /// # Examples
    /// ```
    /// use trace_core::semconv;
    /// let _guard = semconv::rpc::client("grpc", "helloworld.Greeter", "SayHello").start();
    /// ```
    pub fn client(system: &str, service: &str, method: &str) -> SpanBuilder {
        let full = format!("{service}/{method}");
        span(full.clone())
            .kind(SpanKind::Client)
            .set(RPC_SYSTEM_NAME, system.to_owned())
            .set(RPC_METHOD, full)
    }
}
