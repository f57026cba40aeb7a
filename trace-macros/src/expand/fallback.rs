//! What is emitted when the input has errors: the user's item unchanged plus the errors, so
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
