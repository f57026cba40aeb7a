//! The model: a typed, borrowing view of what the macros were given, built from syn by
//! `from_syn` (thiserror's `ast.rs`). `#[traced]` sees an [`Item`]: one function
//! ([`TracedFn`] with its resolved [`Options`]), an impl block ([`TracedImpl`], each
//! [`Method`] with its own options merged over the block's), or something it cannot
//! instrument. `#[derive(SpanAttributes)]` sees an [`Input`]: the container, its fields or
//! variants, each with its parsed `#[span(..)]` options.
//!
//! Building the model records only the problems of parsing (in the [`Ctxt`]); every rule about
//! what the model means is in `valid`, and `expand` quotes from a model that passed it.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{
    Attribute, Block, DeriveInput, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, Signature,
};

use crate::attr::Level;
use crate::attr::{
    is_traced_attr, Capture, ContainerAttrs, ErrOpts, FieldAttrs, Format, Kind, SpanName,
    TracedArgs, VariantAttrs,
};
use crate::ctxt::Ctxt;
use crate::shape;

/// What `#[traced]` was put on.
pub(crate) enum Item<'a> {
    /// A function.
    Fn(FreeFn<'a>),
    /// An impl block: every method.
    Impl(TracedImpl<'a>),
    /// A trait declaration.
    Trait(&'a syn::ItemTrait),
    /// A function declaration without a body (a trait method).
    Declaration(Box<Signature>),
    /// Anything else; the token to point at is its keyword, when there is one.
    Other(Option<TokenTree>),
}

/// `#[traced(args)]` directly on a function.
pub(crate) struct FreeFn<'a> {
    pub(crate) original: &'a syn::ItemFn,
    pub(crate) args: &'a TracedArgs,
    pub(crate) func: TracedFn<'a>,
}

/// One function to instrument: its signature, its body and its resolved options.
pub(crate) struct TracedFn<'a> {
    pub(crate) sig: &'a Signature,
    pub(crate) block: &'a Block,
    pub(crate) options: Options,
}

/// `#[traced(args)]` on an impl block.
pub(crate) struct TracedImpl<'a> {
    pub(crate) original: &'a ItemImpl,
    /// The block's own options.
    pub(crate) args: &'a TracedArgs,
    /// Every method of the block, in order.
    pub(crate) methods: Vec<Method<'a>>,
}

/// A method of an instrumented impl block.
pub(crate) struct Method<'a> {
    /// Its position in the block's items.
    pub(crate) index: usize,
    /// Its own options (`#[traced(..)]` on the method), or the defaults.
    pub(crate) args: TracedArgs,
    /// `#[traced]` attributes after the first, which are not read.
    pub(crate) duplicates: Vec<&'a Attribute>,
    pub(crate) role: Role<'a>,
}

/// What happens to a method.
pub(crate) enum Role<'a> {
    /// `#[traced(skip)]`: left uninstrumented.
    Skipped,
    /// A `const fn` without a `#[traced]` of its own: left alone.
    Const,
    /// Instrumented.
    Traced(TracedFn<'a>),
}

/// Options after defaults and impl-block merging.
pub(crate) struct Options {
    pub(crate) name: ResolvedName,
    pub(crate) kind: Kind,
    /// Where `kind` was written, when it was (not taken from a convention or the default).
    pub(crate) kind_span: Option<Span>,
    /// `convention = ".."`.
    pub(crate) convention: Option<LitStr>,
    pub(crate) level: Level,
    pub(crate) captures: Vec<Capture>,
    pub(crate) err: ErrOpts,
    pub(crate) ret: Option<Format>,
    /// `::trace_core` or the user's `crate = ..` path.
    pub(crate) runtime: TokenStream,
}

/// The name a span gets.
#[derive(Clone)]
pub(crate) enum ResolvedName {
    /// A literal or a default (`fn_name`, `Type::method`), with the span to report errors on.
    Lit(String, Span),
    /// A constant path, checked by a `const` assertion in the expansion.
    Path(syn::Path),
}

impl<'a> Item<'a> {
    /// The model of `item`, under the options `args` of the attribute.
    pub(crate) fn from_syn(cx: &Ctxt, args: &'a TracedArgs, item: &'a syn::Item) -> Self {
        match item {
            syn::Item::Fn(f) => Item::Fn(FreeFn {
                original: f,
                args,
                func: TracedFn::new(&f.sig, &f.block, args, None, unraw(&f.sig.ident)),
            }),
            syn::Item::Impl(i) => Item::Impl(TracedImpl::from_syn(cx, args, i)),
            syn::Item::Trait(t) => Item::Trait(t),
            syn::Item::Verbatim(tokens) => match syn::parse2::<syn::TraitItemFn>(tokens.clone()) {
                Ok(decl) if decl.default.is_none() => Item::Declaration(Box::new(decl.sig)),
                _ => Item::Other(keyword(tokens)),
            },
            other => Item::Other(keyword(other)),
        }
    }
}

impl<'a> TracedFn<'a> {
    fn new(
        sig: &'a Signature,
        block: &'a Block,
        args: &TracedArgs,
        block_args: Option<&TracedArgs>,
        default_name: String,
    ) -> Self {
        let options = Options::resolve(args, block_args, default_name, sig.ident.span());
        TracedFn {
            sig,
            block,
            options,
        }
    }
}

impl<'a> TracedImpl<'a> {
    fn from_syn(cx: &Ctxt, args: &'a TracedArgs, item: &'a ItemImpl) -> Self {
        let type_name = shape::self_type_name(item);
        let methods = item
            .items
            .iter()
            .enumerate()
            .filter_map(|(index, impl_item)| match impl_item {
                ImplItem::Fn(method) => Some(Method::from_syn(cx, args, &type_name, index, method)),
                _ => None,
            })
            .collect();
        TracedImpl {
            original: item,
            args,
            methods,
        }
    }
}

impl<'a> Method<'a> {
    fn from_syn(
        cx: &Ctxt,
        block_args: &TracedArgs,
        type_name: &str,
        index: usize,
        method: &'a ImplItemFn,
    ) -> Self {
        let mut traced = method.attrs.iter().filter(|a| is_traced_attr(a));
        let own = traced
            .next()
            .map(|attr| TracedArgs::from_attribute(cx, attr));
        let duplicates = traced.collect();
        let explicit = own.is_some();
        let args = own.unwrap_or_default();
        let role = if args.skip.get().is_some() {
            Role::Skipped
        } else if method.sig.constness.is_some() && !explicit {
            // A `const fn` cannot create spans; inside an instrumented block it is left alone.
            Role::Const
        } else {
            let name = format!("{type_name}::{}", unraw(&method.sig.ident));
            Role::Traced(TracedFn::new(
                &method.sig,
                &method.block,
                &args,
                Some(block_args),
                name,
            ))
        };
        Method {
            index,
            args,
            duplicates,
            role,
        }
    }
}

impl Options {
    /// Resolves `args` over optional impl-block options `block`, with `default_name`.
    fn resolve(
        args: &TracedArgs,
        block: Option<&TracedArgs>,
        default_name: String,
        default_span: Span,
    ) -> Self {
        let pick = |own: Option<&Kind>, outer: Option<&Kind>| own.or(outer).copied();
        let name = match args.name.get() {
            Some(SpanName::Lit(lit)) => ResolvedName::Lit(lit.value(), lit.span()),
            Some(SpanName::Path(path)) => ResolvedName::Path(path.clone()),
            None => ResolvedName::Lit(default_name, default_span),
        };
        let convention = args
            .convention
            .get()
            .or_else(|| block.and_then(|b| b.convention.get()))
            .cloned();
        let kind_span = args
            .kind
            .span()
            .or_else(|| block.and_then(|b| b.kind.span()));
        let kind = pick(args.kind.get(), block.and_then(|b| b.kind.get()))
            .or_else(|| {
                let name = convention.as_ref()?.value();
                crate::registry::current().span(&name).map(|def| def.kind)
            })
            .unwrap_or(Kind::Internal);
        let err = args
            .err
            .get()
            .or_else(|| block.and_then(|b| b.err.get()))
            .cloned()
            .unwrap_or_default();
        let ret = args
            .ret
            .get()
            .or_else(|| block.and_then(|b| b.ret.get()))
            .copied();
        let krate = args
            .krate
            .get()
            .or_else(|| block.and_then(|b| b.krate.get()));
        let runtime = crate::runtime::path(krate);
        let level = args
            .level
            .get()
            .or_else(|| block.and_then(|b| b.level.get()))
            .copied()
            .unwrap_or(Level::INFO);
        Options {
            name,
            kind,
            kind_span,
            convention,
            level,
            captures: args.attrs.get().cloned().unwrap_or_default(),
            err,
            ret,
            runtime,
        }
    }
}

fn unraw(ident: &Ident) -> String {
    ident.unraw().to_string()
}

/// The item's keyword (`struct`, `mod`, ..): its first token after the attributes
/// (`#` + `[..]`) and the visibility.
fn keyword(item: &impl ToTokens) -> Option<TokenTree> {
    let mut tokens = item.to_token_stream().into_iter().peekable();
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
            _ => return Some(tt),
        }
    }
    None
}

/// What `#[derive(SpanAttributes)]` was put on.
pub(crate) struct Input<'a> {
    pub(crate) original: &'a DeriveInput,
    /// The container's `#[span(..)]` options.
    pub(crate) attrs: ContainerAttrs,
    pub(crate) data: Data<'a>,
}

/// The shape of the derive's input.
pub(crate) enum Data<'a> {
    /// A struct with named fields.
    Struct(Vec<Field<'a>>),
    /// A unit struct: nothing to record.
    Unit,
    /// A tuple struct: its fields have no names to use as keys.
    Tuple(&'a syn::FieldsUnnamed),
    /// An enum: records its variant name.
    Enum(Vec<Variant<'a>>),
    /// A union.
    Union(&'a syn::DataUnion),
}

/// A named field of a struct.
pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) ident: &'a Ident,
    pub(crate) attrs: FieldAttrs,
}

/// A variant of an enum.
pub(crate) struct Variant<'a> {
    pub(crate) original: &'a syn::Variant,
    pub(crate) attrs: VariantAttrs,
    /// `#[span(..)]` attributes on the variant's fields, which mean nothing.
    pub(crate) field_attrs: Vec<&'a Attribute>,
}

impl<'a> Input<'a> {
    /// The model of `input`.
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = ContainerAttrs::from_attrs(cx, &input.attrs);
        let data = match &input.data {
            syn::Data::Struct(data) => match &data.fields {
                syn::Fields::Named(named) => Data::Struct(
                    named
                        .named
                        .iter()
                        .filter_map(|field| {
                            Some(Field {
                                original: field,
                                ident: field.ident.as_ref()?,
                                attrs: FieldAttrs::from_attrs(cx, &field.attrs),
                            })
                        })
                        .collect(),
                ),
                syn::Fields::Unit => Data::Unit,
                syn::Fields::Unnamed(unnamed) => Data::Tuple(unnamed),
            },
            syn::Data::Enum(data) => Data::Enum(
                data.variants
                    .iter()
                    .map(|variant| Variant {
                        original: variant,
                        attrs: VariantAttrs::from_attrs(cx, &variant.attrs),
                        field_attrs: variant
                            .fields
                            .iter()
                            .filter_map(|f| f.attrs.iter().find(|a| a.path().is_ident("span")))
                            .collect(),
                    })
                    .collect(),
            ),
            syn::Data::Union(data) => Data::Union(data),
        };
        Input {
            original: input,
            attrs,
            data,
        }
    }

    /// The full key of a field whose own key is `name`: under the `prefix`, if any.
    pub(crate) fn key(&self, name: &str) -> String {
        match self.attrs.prefix.get() {
            Some(p) => format!("{}.{name}", p.value()),
            None => name.to_owned(),
        }
    }

    /// An enum's key when recorded on its own: the `prefix`, or the type name in snake case.
    pub(crate) fn enum_key(&self) -> String {
        match self.attrs.prefix.get() {
            Some(prefix) => prefix.value(),
            None => snake_case(&unraw(&self.original.ident)),
        }
    }
}

impl Field<'_> {
    /// The field's own key, before the prefix: its `rename`, or its name.
    pub(crate) fn own_key(&self) -> String {
        match &self.attrs.rename {
            Some(lit) => lit.value(),
            None => unraw(self.ident),
        }
    }
}

impl Variant<'_> {
    /// The value the variant records: its `rename`, or its name.
    pub(crate) fn value(&self) -> String {
        self.attrs
            .rename
            .as_ref()
            .map_or_else(|| unraw(&self.original.ident), LitStr::value)
    }
}

pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_type_names() {
        assert_eq!(snake_case("HttpMethod"), "http_method");
        assert_eq!(snake_case("Mode"), "mode");
    }
}
