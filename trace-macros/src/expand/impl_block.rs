//! `#[traced]` on an impl block: every method, with per-method options merged over the
//! block's; `#[traced(skip)]` opts out. The inner `#[traced]` attributes are consumed here so
//! they never expand a second time.

use syn::{ImplItem, ItemImpl};

use super::func;
use crate::ast::{self, Options};
use crate::attr::{is_traced_attr, TracedArgs};
use crate::ctxt::Ctxt;
use crate::valid::{self, Place};

/// Instruments the methods of `item` in place. Returns the item with only the inner
/// `#[traced]` attributes removed, for the fallback when there are errors.
pub(crate) fn instrument(cx: &Ctxt, block_args: &TracedArgs, item: &mut ItemImpl) -> ItemImpl {
    let mut stripped = item.clone();
    for impl_item in &mut stripped.items {
        if let ImplItem::Fn(method) = impl_item {
            method.attrs.retain(|a| !is_traced_attr(a));
        }
    }
    let type_name = ast::self_type_name(item);
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let mut own: Option<TracedArgs> = None;
        let mut kept = Vec::with_capacity(method.attrs.len());
        for attr in method.attrs.drain(..) {
            if is_traced_attr(&attr) {
                if own.is_some() {
                    cx.error_spanned_by(&attr, "duplicate `#[traced]` attribute on this method");
                } else {
                    own = Some(TracedArgs::from_attribute(cx, &attr));
                }
            } else {
                kept.push(attr);
            }
        }
        method.attrs = kept;
        let explicit = own.is_some();
        let args = own.unwrap_or_default();
        if args.skip.get().is_some() {
            valid::check_skipped(cx, &args);
            continue;
        }
        if method.sig.constness.is_some() && !explicit {
            // A `const fn` cannot create spans; inside an instrumented block it is left alone.
            continue;
        }
        let method_name = syn::ext::IdentExt::unraw(&method.sig.ident).to_string();
        let options = Options::resolve(
            &args,
            Some(block_args),
            format!("{type_name}::{method_name}"),
            method.sig.ident.span(),
        );
        valid::check_fn(cx, &method.sig, &args, &options.name, Place::Method);
        if cx.is_ok() {
            method.block = func::instrument(&method.sig, &method.block, &options);
        }
    }
    stripped
}
