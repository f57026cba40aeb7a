//! How a failure is recorded, in one place: the `error.type` value and the opt-in
//! `exception` event. `#[traced]` (through `__private`), [`SpanRef::record_error`] and
//! trace-http all call these, so they agree on every error type.
//!
//! [`SpanRef::record_error`]: crate::SpanRef::record_error

use std::borrow::Cow;
use std::error::Error;
use std::fmt::{self, Display, Write as _};

use crate::model::SpanKind;
use crate::value::KeyValue;

/// How an error type is recorded on a failed span: its `error.type` (low cardinality: a
/// kind or a code, never per-instance text), its status description, and whether it is a
/// failure of the span at all.
///
/// `#[traced]` uses it for the error of a returned `Result` when the error type implements
/// it (before the type-name rule of [`error_type`]), and so does trace-http. Implemented
/// for:
/// - `std::io::Error`: `error.type` is its [`ErrorKind`](std::io::ErrorKind) (`NotFound`);
/// - `Box<dyn Error>` / `Box<dyn Error + Send + Sync>` / `Arc<dyn Error + Send + Sync>` and,
///   with the `anyhow` feature, `anyhow::Error`: the first `std::io::Error` in the cause
///   chain gives its kind, else `_OTHER`; the description is the whole chain, `outer: cause`;
/// - with the `http` feature, `http::StatusCode`, `(StatusCode, T)` where `T: Display`
///   (axum's error responses) and `http::Response<B>`: `error.type` is the status code, the
///   description the message; a 4xx fails only a client span (the HTTP conventions leave a
///   server's 4xx unset; a handler's span follows its server).
///
/// # Examples
/// ```
/// use std::borrow::Cow;
/// use trace_core::{SpanError, SpanKind};
///
/// enum LoginError { BadPassword, Locked { until: u64 } }
///
/// impl SpanError for LoginError {
///     fn error_type(&self) -> Cow<'static, str> {
///         Cow::Borrowed(match self {
///             LoginError::BadPassword => "bad_password",
///             LoginError::Locked { .. } => "locked",
///         })
///     }
///     fn description(&self) -> String {
///         match self {
///             LoginError::BadPassword => "wrong password".into(),
///             LoginError::Locked { until } => format!("locked until {until}"),
///         }
///     }
///     fn is_failure(&self, kind: SpanKind) -> bool {
///         // A rejected login is the server working as intended.
///         kind != SpanKind::Server
///     }
/// }
///
/// let e = LoginError::Locked { until: 7 };
/// assert_eq!(e.error_type(), "locked");
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such user file");
/// assert_eq!(io.error_type(), "NotFound");
/// ```
pub trait SpanError {
    /// The `error.type` attribute: low cardinality (a kind, a code, a variant).
    fn error_type(&self) -> Cow<'static, str>;

    /// The status description: what went wrong, for people.
    fn description(&self) -> String;

    /// Whether the error fails a span of `kind` (default: always). An HTTP 4xx does not
    /// fail a server span.
    fn is_failure(&self, kind: SpanKind) -> bool {
        let _ = kind;
        true
    }
}

impl<E: SpanError + ?Sized> SpanError for &E {
    fn error_type(&self) -> Cow<'static, str> {
        (**self).error_type()
    }
    fn description(&self) -> String {
        (**self).description()
    }
    fn is_failure(&self, kind: SpanKind) -> bool {
        (**self).is_failure(kind)
    }
}

impl SpanError for std::io::Error {
    fn error_type(&self) -> Cow<'static, str> {
        Cow::Owned(format!("{:?}", self.kind()))
    }
    fn description(&self) -> String {
        chain(self)
    }
}

/// The `error.type` of a type-erased error: the kind of the first `std::io::Error` in its
/// cause chain, else `_OTHER`.
pub fn dyn_error_type(error: &(dyn Error + 'static)) -> Cow<'static, str> {
    io_kind_in(Some(error)).unwrap_or(Cow::Borrowed("_OTHER"))
}

/// The kind of the first `std::io::Error` from `first` down its cause chain.
fn io_kind_in(first: Option<&(dyn Error + 'static)>) -> Option<Cow<'static, str>> {
    let mut next = first;
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.error_type());
        }
        next = e.source();
    }
    None
}

/// An error's `Display` followed by its causes': `outer: cause: root` (a cause already
/// shown in the text before it is not repeated).
pub fn chain(error: &dyn Error) -> String {
    chain_of(error)
}

macro_rules! erased {
    ($($ty:ty),*) => {$(
        impl SpanError for $ty {
            fn error_type(&self) -> Cow<'static, str> {
                dyn_error_type(&**self)
            }
            fn description(&self) -> String {
                chain(&**self)
            }
        }
    )*};
}

erased!(
    Box<dyn Error>,
    Box<dyn Error + Send>,
    Box<dyn Error + Send + Sync>,
    std::sync::Arc<dyn Error + Send + Sync>
);

#[cfg(feature = "anyhow")]
impl SpanError for anyhow::Error {
    fn error_type(&self) -> Cow<'static, str> {
        self.chain()
            .find_map(|e| e.downcast_ref::<std::io::Error>())
            .map_or(Cow::Borrowed("_OTHER"), SpanError::error_type)
    }
    fn description(&self) -> String {
        let mut out = String::new();
        for (i, e) in self.chain().enumerate() {
            if i > 0 {
                out.push_str(": ");
            }
            let _ = write!(out, "{e}");
        }
        out
    }
}

/// Whether an HTTP status fails a span of `kind`: 5xx always, 4xx only on a client span
/// (the caller's request was refused). A 4xx answered by a server, or returned by one of its
/// handlers, is the server doing its job (the HTTP conventions leave such spans unset).
#[cfg(feature = "http")]
fn status_fails(status: http::StatusCode, kind: SpanKind) -> bool {
    status.is_server_error() || (status.is_client_error() && kind == SpanKind::Client)
}

#[cfg(feature = "http")]
impl SpanError for http::StatusCode {
    fn error_type(&self) -> Cow<'static, str> {
        Cow::Owned(self.as_u16().to_string())
    }
    fn description(&self) -> String {
        self.canonical_reason().unwrap_or_default().to_owned()
    }
    fn is_failure(&self, kind: SpanKind) -> bool {
        status_fails(*self, kind)
    }
}

#[cfg(feature = "http")]
impl<T: Display> SpanError for (http::StatusCode, T) {
    fn error_type(&self) -> Cow<'static, str> {
        self.0.error_type()
    }
    fn description(&self) -> String {
        self.1.to_string()
    }
    fn is_failure(&self, kind: SpanKind) -> bool {
        status_fails(self.0, kind)
    }
}

#[cfg(feature = "http")]
impl<B> SpanError for http::Response<B> {
    fn error_type(&self) -> Cow<'static, str> {
        self.status().error_type()
    }
    fn description(&self) -> String {
        self.status().description()
    }
    fn is_failure(&self, kind: SpanKind) -> bool {
        status_fails(self.status(), kind)
    }
}

/// Shows a [`SpanError`]'s description where a `Display` is wanted.
pub(crate) struct Described<'a, E: ?Sized>(pub(crate) &'a E);

impl<E: SpanError + ?Sized> Display for Described<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.description())
    }
}

/// The `error.type` the semantic conventions ask for, for an error of type `E`: its
/// fully-qualified type name, looking through `&`, `Box`, `Arc` and `Rc`; `_OTHER` when what
/// is inside is a trait object (`Box<dyn Error>`, `Arc<dyn Error + Send + Sync>`, `&dyn
/// Error`), whose concrete type is not known statically.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use trace_core::error_type;
/// assert_eq!(error_type::<std::io::Error>(), "std::io::error::Error");
/// assert_eq!(error_type::<Box<std::io::Error>>(), "std::io::error::Error");
/// assert_eq!(error_type::<Box<dyn std::error::Error>>(), "_OTHER");
/// assert_eq!(error_type::<Arc<dyn std::error::Error + Send + Sync>>(), "_OTHER");
/// ```
pub fn error_type<E: ?Sized>() -> &'static str {
    error_type_of_name(std::any::type_name::<E>())
}

/// [`error_type`] on a type's name.
fn error_type_of_name(name: &'static str) -> &'static str {
    const POINTERS: [&str; 4] = [
        "alloc::boxed::Box<",
        "alloc::sync::Arc<",
        "alloc::rc::Rc<",
        "core::pin::Pin<",
    ];
    let mut inner = name;
    loop {
        let peeled = inner
            .strip_prefix("&mut ")
            .or_else(|| inner.strip_prefix('&'))
            .or_else(|| {
                POINTERS
                    .iter()
                    .find_map(|p| inner.strip_prefix(p)?.strip_suffix('>'))
            });
        match peeled {
            Some(rest) => inner = rest,
            None => break,
        }
    }
    if inner.starts_with("dyn ") || inner.starts_with("(dyn ") {
        "_OTHER"
    } else {
        inner
    }
}

/// The `error.type` of `error`, for code that knows only its type's bounds (`record_error`,
/// trace-http): what [`SpanError`] gives for the same error where it can be told apart by
/// type name (a `std::io::Error` records its kind, read from its `Debug` form), else
/// [`error_type`].
///
/// # Examples
/// ```
/// let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow disk");
/// assert_eq!(trace_core::error_type_of(&e), "TimedOut");
/// assert_eq!(trace_core::error_type_of(&std::fmt::Error), "core::fmt::Error");
/// ```
pub fn error_type_of<E: fmt::Debug + ?Sized>(error: &E) -> Cow<'static, str> {
    let name = error_type::<E>();
    if name == std::any::type_name::<std::io::Error>() {
        if let Some(kind) = io_kind(&format!("{error:?}")) {
            return Cow::Owned(kind.to_owned());
        }
    }
    Cow::Borrowed(name)
}

/// The `ErrorKind` in an `io::Error`'s `Debug` form: `Kind(NotFound)`, `Custom { kind:
/// Other, .. }`, `Os { code: 2, kind: NotFound, .. }`, `Error { kind: .., message: .. }`.
fn io_kind(debug: &str) -> Option<&str> {
    let rest = debug
        .strip_prefix("Kind(")
        .or_else(|| debug.split_once("kind: ").map(|(_, rest)| rest))?;
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// What `record_error` records for `error`: its `error.type` ([`error_type_of`]; for a
/// trait object, the kind of the first `std::io::Error` in its causes, else `_OTHER`) and
/// its description (the cause chain for `std::io::Error` and trait objects, as
/// [`SpanError`] gives them; else its `Display`).
pub(crate) fn describe<E: Error + ?Sized>(error: &E) -> (Cow<'static, str>, String) {
    let ty = error_type_of(error);
    if ty != "_OTHER" && error_type::<E>() != std::any::type_name::<std::io::Error>() {
        return (ty, error.to_string());
    }
    let ty = if ty == "_OTHER" {
        io_kind_in(error.source()).unwrap_or(ty)
    } else {
        ty
    };
    (ty, chain_of(error))
}

/// [`chain`] for any error type.
fn chain_of<E: Error + ?Sized>(error: &E) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !out.ends_with(&text) {
            let _ = write!(out, ": {text}");
        }
        next = cause.source();
    }
    out
}

/// The attributes of the opt-in `exception` event: `exception.type` and
/// `exception.message`.
pub(crate) fn exception_attributes(error_type: &str, message: String) -> Vec<KeyValue> {
    vec![
        KeyValue::new("exception.type", error_type.to_owned()),
        KeyValue::new("exception.message", message),
    ]
}

/// The name of the `exception` event.
pub(crate) const EXCEPTION_EVENT: Cow<'static, str> = Cow::Borrowed("exception");

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("loading config")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn io_kinds_from_debug() {
        assert_eq!(io_kind("Kind(NotFound)"), Some("NotFound"));
        assert_eq!(
            io_kind("Custom { kind: Other, error: \"x\" }"),
            Some("Other")
        );
        assert_eq!(
            io_kind("Os { code: 2, kind: NotFound, message: \"No such file\" }"),
            Some("NotFound")
        );
        let simple = std::io::Error::from(std::io::ErrorKind::WouldBlock);
        assert_eq!(error_type_of(&simple), "WouldBlock");
        let os = std::fs::File::open("/definitely/not/here").unwrap_err();
        assert_eq!(error_type_of(&os), "NotFound");
    }

    #[test]
    fn erased_errors_keep_their_chain_and_io_kind() {
        let e: Box<dyn Error + Send + Sync> = Box::new(Outer(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "/etc/app.toml",
        )));
        assert_eq!(e.error_type(), "PermissionDenied");
        assert_eq!(e.description(), "loading config: /etc/app.toml");
        let plain: Box<dyn Error> = "no".into();
        assert_eq!(plain.error_type(), "_OTHER");
    }

    #[test]
    fn pointers_are_looked_through_and_trait_objects_are_other() {
        let cases = [
            ("std::io::error::Error", "std::io::error::Error"),
            ("&std::io::error::Error", "std::io::error::Error"),
            ("&mut app::Failure", "app::Failure"),
            ("alloc::boxed::Box<app::Failure>", "app::Failure"),
            ("alloc::rc::Rc<alloc::boxed::Box<app::Failure>>", "app::Failure"),
            ("dyn core::error::Error", "_OTHER"),
            ("&dyn core::error::Error", "_OTHER"),
            ("alloc::boxed::Box<dyn core::error::Error>", "_OTHER"),
            (
                "alloc::sync::Arc<dyn core::error::Error + core::marker::Send + core::marker::Sync>",
                "_OTHER",
            ),
            // A generic error that merely mentions a trait object keeps its name.
            (
                "app::Wrapped<alloc::boxed::Box<dyn core::error::Error>>",
                "app::Wrapped<alloc::boxed::Box<dyn core::error::Error>>",
            ),
        ];
        for (name, want) in cases {
            assert_eq!(error_type_of_name(name), want, "{name}");
        }
    }
}
