//! Reading a signature and a body: the shape of a function (sync, `async fn`, returning a
//! future), what its return type visibly is, the names its arguments bind. Pure syntax, no
//! errors: the model (`ast`), the rules (`valid`) and the expansion (`expand`) ask it.

use syn::{Block, Expr, FnArg, Ident, Pat, ReturnType, Signature, Stmt, Type};

/// How the body runs, which decides how the span is wrapped around it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Shape {
    /// A plain function: a guard for the duration of the call.
    Sync,
    /// `async fn`: the span follows the future, entered on every poll.
    Async,
    /// Not `async`, but returns a future: the span follows the returned future.
    Future(FutureTail),
}

/// Where the future of a future-returning fn is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FutureTail {
    /// The block ends with `async move { .. }`.
    AsyncBlock,
    /// The block ends with `Box::pin(async move { .. })` (the `#[async_trait]` shape).
    BoxPinAsync,
    /// Anything else returning `impl Future`: wrap the whole returned value.
    ImplFuture,
    /// Anything else returning `Pin<Box<dyn Future ..>>`: wrap and box again.
    PinBoxFuture,
}

/// Classifies a function by its signature and the tail of its block.
pub(crate) fn shape(sig: &Signature, block: &Block) -> Shape {
    if sig.asyncness.is_some() {
        return Shape::Async;
    }
    match block.stmts.last() {
        Some(Stmt::Expr(Expr::Async(_), None)) => return Shape::Future(FutureTail::AsyncBlock),
        Some(Stmt::Expr(expr, None)) if box_pin_async(expr).is_some() => {
            return Shape::Future(FutureTail::BoxPinAsync)
        }
        _ => {}
    }
    match &sig.output {
        ReturnType::Type(_, ty) if is_impl_future(ty) => Shape::Future(FutureTail::ImplFuture),
        ReturnType::Type(_, ty) if is_pin_box_future(ty) => Shape::Future(FutureTail::PinBoxFuture),
        _ => Shape::Sync,
    }
}

/// `Box::pin(async move { .. })`: the inner async block.
pub(crate) fn box_pin_async(expr: &Expr) -> Option<&syn::ExprAsync> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments: Vec<_> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let is_box_pin = segments.len() >= 2
        && segments[segments.len() - 1] == "pin"
        && segments[segments.len() - 2] == "Box";
    if !is_box_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first() {
        Some(Expr::Async(inner)) => Some(inner),
        _ => None,
    }
}

fn last_ident(path: &syn::Path) -> Option<&Ident> {
    path.segments.last().map(|s| &s.ident)
}

fn bound_is_future(bound: &syn::TypeParamBound) -> bool {
    matches!(bound, syn::TypeParamBound::Trait(t) if last_ident(&t.path).is_some_and(|i| i == "Future"))
}

fn is_impl_future(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(t) => t.bounds.iter().any(bound_is_future),
        Type::Paren(p) => is_impl_future(&p.elem),
        Type::Group(g) => is_impl_future(&g.elem),
        _ => false,
    }
}

/// `Pin<Box<dyn Future ..>>`, and the common aliases `BoxFuture` / `LocalBoxFuture`.
fn is_pin_box_future(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
        return true;
    }
    if last.ident != "Pin" {
        return false;
    }
    let Some(boxed) = single_type_arg(&last.arguments) else {
        return false;
    };
    let Type::Path(b) = boxed else { return false };
    let Some(b_last) = b.path.segments.last() else {
        return false;
    };
    if b_last.ident != "Box" {
        return false;
    }
    matches!(single_type_arg(&b_last.arguments), Some(Type::TraitObject(obj)) if obj.bounds.iter().any(bound_is_future))
}

fn single_type_arg(args: &syn::PathArguments) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(a) = args else {
        return None;
    };
    a.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The `Output` type of `impl Future<Output = T>` or `Pin<Box<dyn Future<Output = T>>>`.
pub(crate) fn future_output(ty: &Type) -> Option<&Type> {
    let bounds: Vec<&syn::TypeParamBound> = match ty {
        Type::ImplTrait(t) => t.bounds.iter().collect(),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if last.ident != "Pin" {
                return None;
            }
            let Type::Path(b) = single_type_arg(&last.arguments)? else {
                return None;
            };
            let Type::TraitObject(obj) = single_type_arg(&b.path.segments.last()?.arguments)?
            else {
                return None;
            };
            obj.bounds.iter().collect()
        }
        _ => return None,
    };
    bounds.into_iter().find_map(|b| {
        let syn::TypeParamBound::Trait(t) = b else {
            return None;
        };
        let seg = t.path.segments.last()?;
        if seg.ident != "Future" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
            return None;
        };
        a.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// Whether a return type is nothing, `()` or `!`: no value to record.
pub(crate) fn returns_nothing(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => is_unit_or_never(ty),
    }
}

/// Whether a type is `()` or `!`.
pub(crate) fn is_unit_or_never(ty: &Type) -> bool {
    match ty {
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Never(_) => true,
        Type::Paren(p) => is_unit_or_never(&p.elem),
        _ => false,
    }
}

/// Whether a type is visibly not a `Result` (nor an alias of one): primitives, references,
/// tuples, arrays, slices, pointers, fn pointers, trait objects. (A type named like a
/// primitive could in theory be a local alias; `String` and other library names are left to
/// the type-based check, since they are more plausibly shadowed.) For these `err`
/// has nothing to inspect, so the expansion leaves the return value alone. Anything else
/// (paths, aliases, generics) is decided by type in the expansion.
pub(crate) fn visibly_not_result(ty: &Type) -> bool {
    const PRIMITIVES: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char", "str",
    ];
    match ty {
        Type::Reference(_)
        | Type::Tuple(_)
        | Type::Array(_)
        | Type::Slice(_)
        | Type::Ptr(_)
        | Type::BareFn(_)
        | Type::TraitObject(_)
        | Type::Never(_) => true,
        Type::Paren(p) => visibly_not_result(&p.elem),
        Type::Group(g) => visibly_not_result(&g.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0].arguments.is_empty()
                && PRIMITIVES
                    .iter()
                    .any(|prim| p.path.segments[0].ident == prim)
        }
        _ => false,
    }
}

/// Every name bound by the arguments (`self` included), in order.
pub(crate) fn argument_names(sig: &Signature) -> Vec<Ident> {
    let mut names = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => names.push(Ident::new("self", r.self_token.span)),
            FnArg::Typed(t) => pattern_names(&t.pat, &mut names),
        }
    }
    names
}

/// The arguments bound by a plain `name: Type` (no `mut`, no `ref`, no pattern, not `self`):
/// the ones an expansion can move into a local of its own and back under the same name.
pub(crate) fn plain_arguments(sig: &Signature) -> Vec<&Ident> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p)
                    if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() =>
                {
                    Some(&p.ident)
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn pattern_names(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.clone());
            if let Some((_, sub)) = &p.subpat {
                pattern_names(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pattern_names(&f.pat, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| pattern_names(p, out)),
        Pat::Reference(r) => pattern_names(&r.pat, out),
        Pat::Paren(p) => pattern_names(&p.pat, out),
        Pat::Type(t) => pattern_names(&t.pat, out),
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                pattern_names(first, out);
            }
        }
        _ => {}
    }
}

/// The return type with every `impl Trait` replaced by `_`, usable as a type annotation in the
/// body (elided lifetimes become inference variables there). `None` when nothing would be
/// left to annotate.
pub(crate) fn annotation_type(ty: &Type) -> Option<Type> {
    struct Erase;
    impl syn::visit_mut::VisitMut for Erase {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(t) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](syn::spanned::Spanned::span(t)),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Erase, &mut ty);
    match ty {
        Type::Infer(_) => None,
        _ => Some(ty),
    }
}

/// The name for a method inside `impl Type` / `impl Trait for Type`: `Type`.
pub(crate) fn self_type_name(item: &syn::ItemImpl) -> String {
    fn of(ty: &Type) -> Option<String> {
        match ty {
            Type::Path(p) => last_ident(&p.path).map(|i| syn::ext::IdentExt::unraw(i).to_string()),
            Type::Reference(r) => of(&r.elem),
            Type::Paren(p) => of(&p.elem),
            Type::Group(g) => of(&g.elem),
            _ => None,
        }
    }
    of(&item.self_ty)
        .or_else(|| {
            item.trait_
                .as_ref()
                .and_then(|(_, path, _)| last_ident(path))
                .map(|i| syn::ext::IdentExt::unraw(i).to_string())
        })
        .unwrap_or_else(|| String::from("impl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    #[allow(clippy::needless_pass_by_value)]
    fn shape_of(f: syn::ItemFn) -> Shape {
        shape(&f.sig, &f.block)
    }

    #[test]
    fn classifies_shapes() {
        assert_eq!(
            shape_of(parse_quote!(
                fn f() -> u8 {
                    1
                }
            )),
            Shape::Sync
        );
        assert_eq!(
            shape_of(parse_quote!(
                async fn f() {}
            )),
            Shape::Async
        );
        assert_eq!(
            shape_of(parse_quote!(
                fn f() -> impl Future<Output = u8> {
                    let x = 1;
                    async move { x }
                }
            )),
            Shape::Future(FutureTail::AsyncBlock)
        );
        assert_eq!(
            shape_of(parse_quote!(
                fn f<'a>(&'a self) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
                    Box::pin(async move {
                        let _ = self;
                    })
                }
            )),
            Shape::Future(FutureTail::BoxPinAsync)
        );
        assert_eq!(
            shape_of(parse_quote!(
                fn f() -> impl core::future::Future<Output = u8> + Send {
                    g()
                }
            )),
            Shape::Future(FutureTail::ImplFuture)
        );
        assert_eq!(
            shape_of(parse_quote!(
                fn f() -> Pin<Box<dyn Future<Output = u8>>> {
                    g()
                }
            )),
            Shape::Future(FutureTail::PinBoxFuture)
        );
        assert_eq!(
            shape_of(parse_quote!(
                fn f() -> Pin<Box<u8>> {
                    g()
                }
            )),
            Shape::Sync
        );
    }

    #[test]
    fn finds_future_output() {
        let ty: Type = parse_quote!(impl Future<Output = Result<u8, E>> + Send);
        assert_eq!(
            future_output(&ty).unwrap().to_token_stream().to_string(),
            "Result < u8 , E >"
        );
        let ty: Type = parse_quote!(Pin<Box<dyn Future<Output = u8> + Send + 'a>>);
        assert_eq!(
            future_output(&ty).unwrap().to_token_stream().to_string(),
            "u8"
        );
    }

    #[test]
    fn collects_argument_names() {
        let f: syn::ItemFn = parse_quote!(
            fn f(&self, (a, mut b): (u8, u8), S { x, y: z, .. }: S, _: u8, w @ 1..=2: u8) {}
        );
        let names: Vec<String> = argument_names(&f.sig)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["self", "a", "b", "x", "z", "w"]);
    }

    #[test]
    fn sees_types_that_are_not_results() {
        for ty in [
            quote::quote!(u64),
            quote::quote!(&str),
            quote::quote!((u8, Result<u8, E>)),
            quote::quote!([u8; 4]),
            quote::quote!(&Result<u8, E>),
        ] {
            let ty: Type = syn::parse2(ty).unwrap();
            assert!(visibly_not_result(&ty), "{}", ty.to_token_stream());
        }
        for ty in [
            quote::quote!(Result<u8, E>),
            quote::quote!(io::Result<u8>),
            quote::quote!(AppResult),
            quote::quote!(T),
            quote::quote!(Vec<u8>),
            quote::quote!(String),
            quote::quote!(::core::primitive::u8),
        ] {
            let ty: Type = syn::parse2(ty).unwrap();
            assert!(!visibly_not_result(&ty), "{}", ty.to_token_stream());
        }
    }

    #[test]
    fn erases_impl_trait() {
        let ty: Type = parse_quote!(Result<impl Iterator<Item = u8>, E>);
        assert_eq!(
            annotation_type(&ty).unwrap().to_token_stream().to_string(),
            "Result < _ , E >"
        );
        let ty: Type = parse_quote!(impl Iterator<Item = u8>);
        assert!(annotation_type(&ty).is_none());
    }

    #[test]
    fn names_impl_types() {
        let i: syn::ItemImpl = parse_quote!(
            impl<T> Service<T> {}
        );
        assert_eq!(self_type_name(&i), "Service");
        let i: syn::ItemImpl = parse_quote!(impl Display for &'_ r#Foo {});
        assert_eq!(self_type_name(&i), "Foo");
        let i: syn::ItemImpl = parse_quote!(impl Handler for (A, B) {});
        assert_eq!(self_type_name(&i), "Handler");
    }
}
