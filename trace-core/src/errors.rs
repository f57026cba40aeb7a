//! How a failure is recorded, in one place: the `error.type` value and the opt-in
//! `exception` event. `#[traced]` (through `__private`), [`SpanRef::record_error`] and
//! trace-http all call these, so they agree on every error type.
//!
//! [`SpanRef::record_error`]: crate::SpanRef::record_error

use std::borrow::Cow;

use crate::value::KeyValue;

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
    error_type_of(std::any::type_name::<E>())
}

/// [`error_type`] on a type's name.
fn error_type_of(name: &'static str) -> &'static str {
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
    use super::error_type_of;

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
            assert_eq!(error_type_of(name), want, "{name}");
        }
    }
}
