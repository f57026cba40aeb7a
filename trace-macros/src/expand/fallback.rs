//! What is emitted when the input has errors: the user's item unchanged plus the errors (for
//! `#[traced]`), or the errors plus a stub impl (for the derive, thiserror's `fallback.rs`), so
//! the rest of the crate (and rust-analyzer) keeps working and one mistake gives one message.

use proc_macro2::TokenStream;
use quote::quote;

/// The original `item` followed by `error` as `compile_error!`s.
pub(crate) fn item(item: &TokenStream, error: &syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        #errors
        #item
    }
}

/// For the derive: `error` as `compile_error!`s and an empty `SpanAttributes` impl, so uses of
/// the type do not fail with "trait not implemented" as well.
pub(crate) fn derive(
    input: &syn::DeriveInput,
    runtime: &TokenStream,
    error: &syn::Error,
) -> TokenStream {
    let errors = error.to_compile_error();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #errors
        #[automatically_derived]
        impl #impl_generics #runtime::__private::SpanAttributes for #ident #ty_generics #where_clause {
            fn record_attributes(&self, _: &mut #runtime::__private::AttributeSink<'_>) {}
        }
    }
}
