//! Expansion: build the model, validate it, then generate from the validated model only.
//! Nothing here reports an error of its own.

pub(crate) mod derive;
mod fallback;
mod func;
mod impl_block;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ast::{FreeFn, Item, ResolvedName};
use crate::attr::TracedArgs;
use crate::ctxt::Ctxt;
use crate::valid;

/// `#[traced(args)] item`.
pub(crate) fn traced(args: TokenStream, item: &TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    // A project registry that cannot be read is reported once per build, here.
    if let Err(crate::registry::Broken {
        message: Some(message),
        ..
    }) = crate::registry::project()
    {
        cx.error_at(proc_macro2::Span::call_site(), message);
    }
    let args = TracedArgs::from_tokens(&cx, args);
    let parsed = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(parsed) => parsed,
        Err(err) => {
            cx.syn_error(err);
            return match cx.check() {
                Ok(()) => item.clone(),
                Err(err) => fallback::item(item, &err),
            };
        }
    };
    let input = Item::from_syn(&cx, &args, &parsed);
    valid::check_item(&cx, &input);
    if let Err(err) = cx.check() {
        return match &input {
            // Without the inner `#[traced]` attributes, which would expand on their own.
            Item::Impl(block) => {
                fallback::item(&impl_block::strip(block).into_token_stream(), &err)
            }
            _ => fallback::item(item, &err),
        };
    }
    match &input {
        Item::Fn(f) => expand_fn(f),
        Item::Impl(block) => impl_block::expand(block).into_token_stream(),
        // Always an error in `valid`, so not reached.
        Item::Trait(_) | Item::Declaration(_) | Item::Other(_) => item.clone(),
    }
}

/// A free function with its body instrumented.
fn expand_fn(f: &FreeFn<'_>) -> TokenStream {
    let mut out = f.original.clone();
    out.block = Box::new(func::instrument(&f.func));
    out.into_token_stream()
}

/// The name literal or path tokens for `span(..)`.
pub(crate) fn name_tokens(name: &ResolvedName) -> TokenStream {
    match name {
        ResolvedName::Lit(value, span) => syn::LitStr::new(value, *span).into_token_stream(),
        ResolvedName::Path(path) => path.into_token_stream(),
    }
}
