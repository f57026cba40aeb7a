//! The examples in the documentation of `#[traced]` and `#[derive(SpanAttributes)]`
//! (`trace-macros/src/lib.rs`), compiled and run here: trace-macros cannot run them as
//! doc-tests without a dev-dependency on trace-core, which would make the two crates a cycle
//! that `cargo package` cannot verify. Keep both copies in step.

#![allow(dead_code, clippy::unnecessary_wraps, clippy::cast_possible_truncation)]

/// `traced`: the first example.
mod traced_options {
    use trace_core::traced;

    #[derive(Debug)]
    struct Item;
    #[derive(Debug)]
    struct Error;
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("e")
        }
    }

    #[traced] // span "fetch", kind internal
    fn fetch(_id: u64) -> Result<Item, Error> {
        // an `Err` is recorded automatically
        Ok(Item)
    }

    #[traced(name = "db.query", kind = "client", attrs(user_id, table = %table, n = rows.len()))]
    async fn query(user_id: u64, table: &str, rows: &[u8]) -> Result<u64, Error> {
        Ok(rows.len() as u64)
    }

    #[test]
    fn compiles() {
        assert!(fetch(1).is_ok());
    }
}

/// `traced`: "What it expands to".
mod traced_expansion {
    use trace_core::{span, SpanKind};

    #[derive(Debug)]
    struct Error;
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("e")
        }
    }
    fn lookup(_: u64) -> Result<u64, Error> {
        Ok(1)
    }

    // #[traced(kind = "client", attrs(id))]
    fn fetch(id: u64) -> Result<u64, Error> {
        let guard = span("fetch")
            .kind(SpanKind::Client)
            .start_with(|sink| sink.set("id", &id)); // runs only when sampled
        #[allow(clippy::redundant_closure_call)] // the expansion runs the body in a closure
        let result = (move || lookup(id))(); // the original body
        if let Err(e) = &result {
            guard.record_error_parts(e, trace_core::error_type::<Error>());
        }
        result
    }

    #[test]
    fn runs() {
        assert_eq!(fetch(1).ok(), Some(1));
    }
}

/// `SpanAttributes`: the derive's example.
mod derive {
    use trace_core::SpanAttributes;

    #[derive(SpanAttributes)]
    struct ClientInfo {
        address: String,
    }

    #[derive(SpanAttributes)]
    #[span(prefix = "http")]
    struct Request {
        #[span(rename = "request.method")]
        method: String, // http.request.method
        route: String, // http.route
        #[span(redact)]
        authorization: String, // http.authorization = "[REDACTED]"
        #[span(skip)]
        body: Vec<u8>, // not recorded
        #[span(flatten)]
        client: ClientInfo, // http.address (its own keys, under the prefix)
        #[span(display)]
        peer: std::net::SocketAddr, // http.peer, formatted with Display
    }

    #[test]
    fn compiles() {
        fn records<T: SpanAttributes>() {}
        records::<Request>();
    }
}
