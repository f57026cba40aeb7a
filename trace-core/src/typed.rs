//! Typed attribute keys: [`ValueFor`], the values a [`Key<T>`](trace_semconv::Key) of the
//! semantic conventions accepts, so recording a string under an integer key does not compile.

use std::borrow::Cow;
use std::sync::Arc;

use trace_semconv::Any;

use crate::value::{StringValue, ToValue};

/// A value that can be recorded under a key of type `K` (`Key<K>`): `K` is `str`, `i64`,
/// `f64`, `bool`, `[String]`, `[i64]`, `[f64]`, `[bool]` or [`Any`].
///
/// Implemented for the Rust types whose [`ToValue`] records that type: every integer for
/// `i64`, `f64` and `f32` (and [`Duration`](std::time::Duration), in seconds) for `f64`,
/// strings and values displayed as strings (addresses, paths, ...) for `str`; references,
/// `Option` (`None` records nothing), `Box` and `Arc` of those; slices, arrays and
/// `Vec`s for the array types; anything `ToValue` for `Any`.
///
/// # Examples
/// ```
/// use trace_core::{semconv, span};
///
/// let _guard = span("GET")
///     .set(semconv::HTTP_REQUEST_METHOD, "GET")
///     .set(semconv::SERVER_PORT, 8080)
///     .start();
/// ```
/// A value of the wrong type does not compile:
/// ```compile_fail
/// use trace_core::{semconv, span};
///
/// let _guard = span("GET").set(semconv::HTTP_RESPONSE_STATUS_CODE, "200").start();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded under a `Key<{K}>`",
    label = "expected a value of type `{K}` for this attribute",
    note = "the semantic conventions give this attribute the type `{K}`; convert the value, or record it under another key"
)]
pub trait ValueFor<K: ?Sized>: ToValue {}

macro_rules! value_for {
    ($k:ty: $($t:ty),* $(,)?) => {$(
        impl ValueFor<$k> for $t {}
    )*};
}

value_for!(str: str, String, Cow<'_, str>, StringValue, char);
value_for!(i64: i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);
value_for!(f64: f64, f32, std::time::Duration);
value_for!(bool: bool);
value_for!(str: std::net::IpAddr, std::net::Ipv4Addr, std::net::Ipv6Addr, std::net::SocketAddr);
value_for!(str: std::path::Path, std::path::PathBuf);

/// References and smart pointers of a value, and `Option` (`None` records nothing), for each
/// key type (one impl per key type: a blanket over every `K` would overlap `Any`'s).
macro_rules! wrappers {
    ($($k:ty),*) => {$(
        impl<V: ValueFor<$k> + ?Sized> ValueFor<$k> for &V {}
        impl<V: ValueFor<$k> + ?Sized> ValueFor<$k> for &mut V {}
        impl<V: ValueFor<$k> + ?Sized> ValueFor<$k> for Box<V> {}
        impl<V: ValueFor<$k> + ?Sized> ValueFor<$k> for Arc<V> {}
        impl<V: ValueFor<$k>> ValueFor<$k> for Option<V> {}
    )*};
}

wrappers!(str, i64, f64, bool, [String], [i64], [f64], [bool]);

/// Slices, arrays and `Vec`s of values of the element type.
macro_rules! arrays {
    ($($elem:ty),*) => {$(
        impl<V: ValueFor<$elem>> ValueFor<[$elem]> for [V] {}
        impl<V: ValueFor<$elem>> ValueFor<[$elem]> for Vec<V> {}
        impl<V: ValueFor<$elem>, const N: usize> ValueFor<[$elem]> for [V; N] {}
    )*};
}

arrays!(i64, f64, bool);
impl<V: ValueFor<str>> ValueFor<[String]> for [V] {}
impl<V: ValueFor<str>> ValueFor<[String]> for Vec<V> {}
impl<V: ValueFor<str>, const N: usize> ValueFor<[String]> for [V; N] {}

impl<V: ToValue + ?Sized> ValueFor<Any> for V {}

#[cfg(feature = "http")]
value_for!(str: http::Method, http::Uri);
#[cfg(feature = "http")]
value_for!(i64: http::StatusCode);
#[cfg(feature = "uuid")]
value_for!(str: uuid::Uuid);
#[cfg(feature = "url")]
value_for!(str: url::Url);
