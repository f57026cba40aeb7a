//! Procedural macros of **traced**: `#[traced]` and `#[derive(SpanAttributes)]`.
//!
//! Use them through `trace-core`, which re-exports both (default feature `macros`); the
//! expansions call `trace_core::__private`, which is not public API. The documentation of
//! every option is on [`macro@traced`] and [`SpanAttributes`](derive@SpanAttributes).
//!
//! The examples on the two macros are not doc-tests here: they need trace-core, and a dev-dependency on
//! it would make the two crates a cycle that `cargo package` cannot verify. They are compiled
//! and run in `ui-tests/tests/doc_examples.rs`.

#![allow(
    clippy::single_match_else,
    reason = "a `match` on an option reads better than `if let .. else` for the many two-way splits here"
)]
#![allow(
    clippy::too_many_lines,
    reason = "the option parser is one flat dispatch over the options"
)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod registry;
mod runtime;
mod shape;
mod suggest;
mod symbol;
mod valid;

use proc_macro::TokenStream;

/// Instruments a function, or every method of an impl block, with a span.
///
/// ```ignore
/// use trace_macros::traced; // users write `use trace_core::traced;`
/// # #[derive(Debug)] struct Item; #[derive(Debug)] struct Error;
/// # impl std::fmt::Display for Error { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("e") } }
///
/// #[traced]                                         // span "fetch", kind internal
/// fn fetch(id: u64) -> Result<Item, Error> {        // an `Err` is recorded automatically
///     Ok(Item)
/// }
///
/// #[traced(name = "db.query", kind = "client", attrs(user_id, table = %table, n = rows.len()))]
/// async fn query(user_id: u64, table: &str, rows: &[u8]) -> Result<u64, Error> {
///     Ok(rows.len() as u64)
/// }
/// ```
///
/// # Options
///
/// - `name = "lit"`: the span name (default: the function name, or `Type::method` for the
///   methods of an instrumented impl block). Checked at compile time: not empty, at most 128
///   bytes, no control characters, no leading or trailing whitespace, no `{}` placeholders
///   (every problem of a name is reported at once). A `{x}` where `x` is an argument is an
///   error (span names are not formatted: capture it with `attrs(x)`); a route template such
///   as `GET /users/{id}` without such an argument is accepted.
///   `name = SOME_CONST` takes a `&str` constant, checked by a `const` assertion.
/// - `kind = "internal" | "server" | "client" | "producer" | "consumer"`.
/// - `attrs(..)`: what to record. Nothing is captured unless named here. Entries:
///   `arg` (an argument by name; typed through `ToValue`, or, when its type derives
///   `SpanAttributes`, flattened under its name as `arg.field`), `key = expr`, dotted keys
///   `http.route = route`, string keys `"error.type" = expr`, `key = %expr` (Display),
///   `key = ?expr` (Debug), `%arg`, `?arg`. `None` records nothing. Keys follow OpenTelemetry
///   naming (lowercase ASCII letters, digits, `_`, dot-separated), checked at compile time.
///   Captures are evaluated only when the span is sampled.
///
///   Keys are checked against the semantic-convention registry (OpenTelemetry 1.45, plus
///   the project's own registry, see below): a key in a namespace the registry owns (`http.`,
///   `db.`, `url.`, `server.`, ...) must be registered (an unknown one is an error naming the
///   nearest key), must not be deprecated (the error names the replacement), and its value
///   must have the attribute's type: a literal of another type, or `%`/`?` text for a
///   non-string attribute, is an error at the value; any other value goes through
///   `trace_core::ValueFor`, so `server.port = host` with `host: &str` does not compile.
///   Keys outside the registry's namespaces are not checked.
/// - `convention = "http.client"`: the span follows the registry's span definition
///   `span.http.client`: its kind is set (a different explicit `kind` is an error, unless the
///   definition allows it, as a database client span may be `internal`), and every
///   attribute the definition requires must be captured in `attrs(..)` (one error lists the
///   missing keys; a deprecated required key is satisfied by its replacement). An unknown
///   convention is an error with the nearest name. `name` stays free.
/// - `err`: on by default for functions whose return value is a `Result`, detected by type
///   (aliases such as `io::Result<T>` work): on `Err`, status Error. An error type that
///   implements `trace_core::SpanError` chooses its `error.type`, description, and whether it
///   fails the span at all (`std::io::Error`: its kind; `Box<dyn Error>`, `anyhow::Error`:
///   the cause chain; `StatusCode`, axum's `(StatusCode, T)`: the code and the message, a
///   4xx failing only a client span). Otherwise the description is the error's `Display` and
///   `error.type` its type name (or its variant, when the error type derives
///   `SpanAttributes`). `err = false` turns it off, `err(debug)` describes with `Debug`,
///   `err(event)` also adds an `exception` event, `err(type = "quota_exceeded")` sets the
///   `error.type` (any `&str` expression).
///
/// # A project registry
///
/// A crate can add its own attributes and span definitions in a Weaver-resolved registry
/// (`weaver registry resolve -f json`) named in its `Cargo.toml`:
///
/// ```toml
/// [package.metadata.traced]
/// registry = "telemetry.json"
/// ```
///
/// Its namespaces are then checked like the OpenTelemetry ones and `convention = ".."` finds
/// its span groups. The file is read once per compiler process; expansions include it with
/// `include_bytes!`, so editing it rebuilds the crate. A file that cannot be read is one
/// error.
/// - `ret`: records the return value (the `Ok` value of a `Result`) as `return`: typed, or
///   `ret(display)` / `ret(debug)`.
/// - `skip`: on a method of an instrumented impl block, leaves it uninstrumented.
/// - `crate = path`: the path to `trace_core` for crates that re-export it.
///
/// # Shapes
///
/// Sync functions hold the span for the call. `async fn` and functions returning a future
/// (`impl Future`, `Pin<Box<dyn Future>>`, a trailing `async move {}`, `#[async_trait]`
/// methods) get the span around the future, entered on every poll: it covers the work, not
/// the creation. A future dropped before completion ends its span with
/// `span.cancelled = true`; a panic ends it with status Error and `error.type = "panic"`.
///
/// On an impl block, every method is instrumented; a method's own `#[traced(..)]` merges over
/// the block's options and `#[traced(skip)]` opts it out. `const fn` methods are left alone.
///
/// A sync function whose value is inspected (for `err` or `ret`) runs its body in a closure
/// called once; if a body does not compile that way, `err = false` removes the closure.
///
/// # What it expands to
///
/// About what you would write by hand with the trace-core API (the real expansion goes
/// through hidden, non-generic entry points and picks the error recording by type):
///
/// ```ignore
/// use trace_core::{span, SpanKind};
/// # #[derive(Debug)] struct Error;
/// # impl std::fmt::Display for Error { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("e") } }
/// # fn lookup(_: u64) -> Result<u64, Error> { Ok(1) }
///
/// // #[traced(kind = "client", attrs(id))]
/// fn fetch(id: u64) -> Result<u64, Error> {
///     let guard = span("fetch")
///         .kind(SpanKind::Client)
///         .start_with(|sink| sink.set("id", &id)); // runs only when sampled
///     let result = (move || lookup(id))(); // the original body
///     if let Err(e) = &result {
///         guard.record_error_parts(e, trace_core::error_type::<Error>());
///     }
///     result
/// }
/// # assert_eq!(fetch(1).ok(), Some(1));
/// ```
///
/// An `async fn` keeps its signature; its body becomes a future run inside a detached span
/// (`start_detached_with` + `Instrument::in_span`), started at the first poll and entered on
/// every poll. Like a sync function's, a span the sampler drops under a parent that is not
/// sampled is not made at all: the parent's context stays current, and the body is awaited
/// with nothing to enter.
///
/// With no tracer installed, an instrumented call first reads one atomic flag and then runs
/// the original body: the recorder closure is never built, and an `async fn` body is polled
/// with no span to enter.
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::traced(args.into(), &item.into()).into()
}

/// Derives `SpanAttributes`: records a struct's fields as span attributes, or an enum's
/// variant name.
///
/// ```ignore
/// use trace_macros::SpanAttributes; // users write `use trace_core::SpanAttributes;`
/// # #[derive(SpanAttributes)] struct ClientInfo { address: String }
///
/// #[derive(SpanAttributes)]
/// #[span(prefix = "http")]
/// struct Request {
///     #[span(rename = "request.method")]
///     method: String,                 // http.request.method
///     route: String,                  // http.route
///     #[span(redact)]
///     authorization: String,          // http.authorization = "[REDACTED]"
///     #[span(skip)]
///     body: Vec<u8>,                  // not recorded
///     #[span(flatten)]
///     client: ClientInfo,             // http.address (its own keys, under the prefix)
///     #[span(display)]
///     peer: std::net::SocketAddr,     // http.peer, formatted with Display
/// }
/// ```
///
/// Container options: `prefix = "a.b"` (prepended to every key), `crate = path`. Field
/// options: `rename = "key"`, `skip`, `redact` (records `"[REDACTED]"`, never the value),
/// `flatten` (the field's own `SpanAttributes`, without its name), `display`, `debug`. A field
/// without options is recorded typed through `ToValue`, or, when its type derives
/// `SpanAttributes`, nested under its name. Keys are checked at compile time.
///
/// On an enum, the value is its variant name (`#[span(rename = "..")]` on a variant changes
/// it; the fields of variants are not recorded). The enum also gets a `ToValue`
/// implementation, so it can be captured and used as a field; recorded on its own
/// (`set_attributes`) its key is the container `prefix`, by default the type name in
/// `snake_case`. When it is the error of a `Result` returned by a `#[traced]` function, the
/// variant name is recorded as `error.type`.
#[proc_macro_derive(SpanAttributes, attributes(span))]
pub fn derive_span_attributes(input: TokenStream) -> TokenStream {
    expand::derive::derive(input.into()).into()
}
