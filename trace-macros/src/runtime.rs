//! The one place that spells the path to the runtime.

use proc_macro2::TokenStream;
use quote::quote;

/// `::trace_core`, or the path given with `crate = ..`.
pub(crate) fn path(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path),
        None => quote!(::trace_core),
    }
}
