//! `#[traced]` on an impl block: every method the model marks as traced gets its body
//! instrumented, with its options already merged over the block's. The inner `#[traced]`
//! attributes are removed so they never expand a second time.

use syn::{ImplItem, ItemImpl};

use super::func;
use crate::ast::{Role, TracedImpl};
use crate::attr::is_traced_attr;

/// The block with its methods instrumented.
pub(crate) fn expand(block: &TracedImpl<'_>) -> ItemImpl {
    let mut out = strip(block);
    for method in &block.methods {
        if let (Role::Traced(f), Some(ImplItem::Fn(target))) =
            (&method.role, out.items.get_mut(method.index))
        {
            target.block = func::instrument(f);
        }
    }
    out
}

/// The block with only the inner `#[traced]` attributes removed: the fallback when there are
/// errors, and what [`expand`] starts from.
pub(crate) fn strip(block: &TracedImpl<'_>) -> ItemImpl {
    let mut out = block.original.clone();
    for impl_item in &mut out.items {
        if let ImplItem::Fn(method) = impl_item {
            method.attrs.retain(|a| !is_traced_attr(a));
        }
    }
    out
}
