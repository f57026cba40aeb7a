//! Expansion: dispatch on the item, then generate from the validated model only.

pub(crate) mod derive;
mod fallback;
mod func;
mod impl_block;
pub(crate) mod runtime;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Item;

use crate::ast::{Options, ResolvedName};
use crate::attr::TracedArgs;
use crate::ctxt::Ctxt;
use crate::valid::{self, Place};

/// `#[traced(args)] item`.
pub(crate) fn traced(args: TokenStream, item: &TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let parsed_args = TracedArgs::from_tokens(&cx, args);
    let output = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(mut f)) => {
            let ident = syn::ext::IdentExt::unraw(&f.sig.ident).to_string();
            let options = Options::resolve(&parsed_args, None, ident, f.sig.ident.span());
            valid::check_fn(&cx, &f.sig, &parsed_args, &options.name, Place::Free);
            if cx.is_ok() {
                f.block = Box::new(func::instrument(&f.sig, &f.block, &options));
            }
            f.into_token_stream()
        }
        Ok(Item::Impl(mut i)) => {
            valid::check_impl_block(&cx, &parsed_args);
            let stripped = impl_block::instrument(&cx, &parsed_args, &mut i);
            if !cx.is_ok() {
                return match cx.check() {
                    Ok(()) => i.into_token_stream(),
                    Err(err) => fallback::item(&stripped.into_token_stream(), &err),
                };
            }
            i.into_token_stream()
        }
        Ok(Item::Trait(t)) => {
            cx.error_spanned_by(
                t.trait_token,
                "`#[traced]` cannot be applied to a trait declaration: put it on the `impl` \
                 blocks, or on default methods that have a body",
            );
            item.clone()
        }
        Ok(Item::Verbatim(tokens)) => {
            match syn::parse2::<syn::TraitItemFn>(tokens.clone()) {
                Ok(decl) if decl.default.is_none() => cx.error_spanned_by(
                    &decl.sig,
                    "`#[traced]` needs a function body: this is a declaration; put the \
                     attribute on the implementation",
                ),
                _ => not_a_function(&cx, &tokens),
            }
            item.clone()
        }
        Ok(other) => {
            not_a_function(&cx, &other);
            item.clone()
        }
        Err(err) => {
            cx.syn_error(err);
            item.clone()
        }
    };
    match cx.check() {
        Ok(()) => output,
        Err(err) => fallback::item(item, &err),
    }
}

fn not_a_function(cx: &Ctxt, item: &impl ToTokens) {
    use proc_macro2::{Delimiter, TokenTree};
    // Point at the item's keyword: skip attributes (`#` + `[..]`) and the visibility.
    let mut tokens = item.to_token_stream().into_iter().peekable();
    let mut first = None;
    while let Some(tt) = tokens.next() {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == '#' => {}
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {}
            TokenTree::Ident(i) if i == "pub" => {
                if matches!(tokens.peek(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
                {
                    tokens.next();
                }
            }
            _ => {
                first = Some(tt);
                break;
            }
        }
    }
    let msg = "`#[traced]` can only be applied to functions and impl blocks";
    match first {
        Some(tt) => cx.error_spanned_by(tt, msg),
        None => cx.error_at(proc_macro2::Span::call_site(), msg),
    }
}

/// The name literal or path tokens for `span(..)`.
pub(crate) fn name_tokens(name: &ResolvedName) -> TokenStream {
    match name {
        ResolvedName::Lit(value, span) => syn::LitStr::new(value, *span).into_token_stream(),
        ResolvedName::Path(path) => path.into_token_stream(),
    }
}
