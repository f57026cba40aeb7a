//! Instrumenting one function body: sync, `async fn`, or a function returning a future.
//!
//! The signature is never touched; only the block is replaced, keeping its brace span, and
//! the user's statements are re-emitted as they were parsed, so line numbers in panics and
//! errors stay the user's.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{Block, Expr, Ident, ReturnType, Signature, Stmt, Type};

use crate::ast::{Options, ResolvedName, TracedFn};
use crate::attr::{Format, Source};
use crate::registry::{self, Lookup, Ty};
use crate::shape::{self, FutureTail, Shape};

/// Generated locals: mixed-site hygiene, invisible to the user's code.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The instrumented replacement for the function's block.
pub(crate) fn instrument(f: &TracedFn<'_>) -> Block {
    let (sig, block, opts) = (f.sig, f.block, &f.options);
    let body = match shape::shape(sig, block) {
        Shape::Sync => sync_body(sig, block, opts),
        Shape::Async => async_body(sig, block, opts),
        Shape::Future(tail) => future_body(sig, block, opts, tail),
    };
    let name_check = name_assertion(opts);
    let tracked = registry_tracking();
    let tokens = quote!(#tracked #name_check #body);
    Block {
        brace_token: block.brace_token,
        stmts: vec![Stmt::Expr(Expr::Verbatim(tokens), None)],
    }
}

/// With a project registry: `const _: &[u8] = include_bytes!("/abs/telemetry.json");`, so
/// cargo rebuilds the crate when the file changes (`proc_macro::tracked_path` is unstable).
fn registry_tracking() -> TokenStream {
    let path = match registry::project() {
        Ok(Some(project)) => project.path.clone(),
        // Broken: still tracked, so fixing the file rebuilds the crate.
        Err(registry::Broken {
            path: Some(path), ..
        }) if path.exists() => path,
        _ => return TokenStream::new(),
    };
    let path = path.to_string_lossy();
    quote!(
        const _: &[u8] = ::core::include_bytes!(#path);
    )
}

/// For `name = CONST`: `const _: () = assert_span_name(CONST);`.
fn name_assertion(opts: &Options) -> TokenStream {
    match &opts.name {
        ResolvedName::Path(path) => {
            let rt = &opts.runtime;
            quote_spanned! {path_span(path)=>
                const _: () = #rt::__private::assert_span_name(#path);
            }
        }
        ResolvedName::Lit(..) => TokenStream::new(),
    }
}

fn path_span(path: &syn::Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

/// `if is_enabled() { start(NAME, KIND, record) } else { None }` (or `start_detached`; an
/// `async fn` tests `async_span_needed()`):
/// non-generic runtime entry points, so each instrumented function costs the compiler one
/// call, not a copy of the span builder.
fn start(opts: &Options, how: Start) -> TokenStream {
    let rt = &opts.runtime;
    let name = super::name_tokens(&opts.name);
    let variant = Ident::new(opts.kind.variant(), Span::call_site());
    let kind = quote!(#rt::__private::SpanKind::#variant);
    let (test, function) = match how {
        Start::Entered => (quote!(is_enabled), quote!(start)),
        Start::Detached => (quote!(is_enabled), quote!(start_detached)),
        Start::AsyncFn => (quote!(async_span_needed), quote!(start_detached)),
    };
    // `level = ".."` other than the default `info`: the same tests, at that level.
    let test = if opts.level == crate::attr::Level::INFO {
        quote!(#test())
    } else {
        let test = Ident::new(&format!("{test}_at"), Span::call_site());
        let level = Ident::new(opts.level.0, Span::call_site());
        quote!(#test(#rt::__private::Level::#level))
    };
    let record = match captures(opts) {
        None => quote!(#rt::__private::None),
        Some(record) => {
            let sink = local("__traced_sink");
            quote! {
                #rt::__private::Some(&mut |#sink: &mut #rt::__private::AttributeSink<'_>| {
                    #[allow(unused_imports)]
                    use #rt::__private::capture::*;
                    #record
                })
            }
        }
    };
    // The recorder closure is built inside the branch: with no tracer, nothing but one
    // atomic load runs before the user's body.
    quote! {
        if #rt::__private::#test {
            #rt::__private::#function(#name, #kind, #record)
        } else {
            #rt::__private::None
        }
    }
}

/// Which runtime entry point starts the span.
#[derive(Clone, Copy)]
enum Start {
    /// A sync function: started and entered.
    Entered,
    /// A function returning a future: started at the call, entered on each poll.
    Detached,
    /// An `async fn`: started at its first poll, inside the caller's context.
    AsyncFn,
}

/// The statements recording `attrs(..)`; `None` when there are none. They run only inside
/// the sampled branch of `start_with`.
fn captures(opts: &Options) -> Option<TokenStream> {
    if opts.captures.is_empty() {
        return None;
    }
    let rt = &opts.runtime;
    let sink = local("__traced_sink");
    let registries = registry::current();
    let mut out = TokenStream::new();
    for capture in &opts.captures {
        let key = syn::LitStr::new(&capture.key, Span::call_site());
        let value = match &capture.source {
            Source::Arg(ident) => ident.to_token_stream(),
            Source::Expr(expr) => expr.to_token_stream(),
        };
        let span = capture.value_span();
        // A key of the registry with a type: the value must have it (`ValueFor`).
        let typed = match registries.lookup(&capture.key) {
            Lookup::Known(attribute) if attribute.ty != Ty::Any => Some(attribute.ty),
            _ => None,
        };
        out.extend(match capture.format {
            Format::Value if typed.is_some() => {
                let marker = Ident::new(typed.map_or("Any", Ty::marker), Span::call_site());
                quote_spanned! {span=>
                    #rt::__private::capture_typed::<#rt::__private::ty::#marker, _>(#sink, #key, &(#value));
                }
            }
            Format::Value => quote_spanned! {span=>
                (&&&#rt::__private::Capture(&(#value))).__traced_capture(#key, #sink);
            },
            Format::Display => quote_spanned! {span=>
                #rt::__private::capture_display(#sink, #key, &(#value));
            },
            Format::Debug => quote_spanned! {span=>
                #rt::__private::capture_debug(#sink, #key, &(#value));
            },
        });
    }
    Some(out)
}

/// Whether the return value has to be looked at (`err` or `ret`).
fn records_outcome(output: &ReturnType, opts: &Options) -> bool {
    match output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => {
            !shape::is_unit_or_never(ty)
                && (opts.ret.is_some() || (opts.err.enabled && !shape::visibly_not_result(ty)))
        }
    }
}

/// The calls recording `err` / `ret` on `target` from `value`.
fn record_outcome(
    opts: &Options,
    value: &Ident,
    target: &TokenStream,
    ret_span: Span,
    visibly_not_result: bool,
) -> TokenStream {
    let rt = &opts.runtime;
    let mut out = TokenStream::new();
    if opts.err.enabled && !visibly_not_result {
        let event = opts.err.event;
        let variant = Ident::new(opts.kind.variant(), Span::call_site());
        let error_type = match &opts.err.error_type {
            Some(expr) => {
                quote_spanned!(syn::spanned::Spanned::span(&**expr)=> #rt::__private::err_type(#expr))
            }
            None => quote!(#rt::__private::None),
        };
        let cfg = quote! {
            #rt::__private::ErrConfig {
                event: #event,
                kind: #rt::__private::SpanKind::#variant,
                error_type: #error_type,
            }
        };
        out.extend(if opts.err.debug {
            quote!((&&&&#rt::__private::Outcome(&#value)).__traced_record_err_debug(#target, #cfg);)
        } else {
            quote!((&&&&#rt::__private::Outcome(&#value)).__traced_record_err(#target, #cfg);)
        });
    }
    match opts.ret {
        Some(Format::Value) => out.extend(quote_spanned!(ret_span=>
            (&&&&&#rt::__private::Outcome(&#value)).__traced_record_ret(#target);
        )),
        Some(Format::Display) => out.extend(quote_spanned!(ret_span=>
            (&&#rt::__private::Outcome(&#value)).__traced_record_ret_display(#target);
        )),
        Some(Format::Debug) => out.extend(quote_spanned!(ret_span=>
            (&&#rt::__private::Outcome(&#value)).__traced_record_ret_debug(#target);
        )),
        None => {}
    }
    quote! {
        {
            #[allow(unused_imports)]
            use #rt::__private::outcome::*;
            #out
        }
    }
}

/// Whether the declared return type is visibly not a `Result`.
fn not_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => shape::visibly_not_result(ty),
    }
}

/// Where errors about the return value point: the declared return type.
fn output_span(output: &ReturnType) -> Span {
    match output {
        ReturnType::Default => Span::call_site(),
        ReturnType::Type(_, ty) => syn::spanned::Spanned::span(&**ty),
    }
}

/// The declared return type as a body annotation (`impl Trait` erased), if any.
fn annotation(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => shape::annotation_type(ty),
    }
}

/// `if false { let x: R = loop {}; return x; }`: gives an `async` block the function's
/// return type, so `?` and `.into()` infer as they would in the function itself.
fn fake_return(ty: Option<&Type>) -> TokenStream {
    let Some(ty) = ty else {
        return TokenStream::new();
    };
    if shape::is_unit_or_never(ty) {
        return TokenStream::new();
    }
    let fake = local("__traced_fake_return");
    quote! {
        #[allow(
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let #fake: #ty = loop {};
            return #fake;
        }
    }
}

fn sync_body(sig: &Signature, block: &Block, opts: &Options) -> TokenStream {
    let rt = &opts.runtime;
    let guard = local("__traced_guard");
    let start = start(opts, Start::Entered);
    if !records_outcome(&sig.output, opts) {
        let stmts = &block.stmts;
        return quote! {
            let #guard = #start;
            #(#stmts)*
        };
    }
    let ret = local("__traced_ret");
    let turbofish = match annotation(&sig.output) {
        Some(ty) => quote!(::<#ty, _>),
        None => TokenStream::new(),
    };
    let record = record_outcome(
        opts,
        &ret,
        &quote!(&#guard),
        output_span(&sig.output),
        not_result(&sig.output),
    );
    quote! {
        let #guard = #start;
        let #ret = #rt::__private::call_once #turbofish (move || #block);
        #record
        #ret
    }
}

fn async_body(sig: &Signature, block: &Block, opts: &Options) -> TokenStream {
    let rt = &opts.runtime;
    let span = local("__traced_span");
    let start = start_async(sig, opts, &span);
    let ty = annotation(&sig.output);
    let fake = fake_return(ty.as_ref());
    // The statements, not the block: `async move { { expr } }` would trip `unused_braces`.
    let stmts = &block.stmts;
    let inner = quote!(async move { #fake #(#stmts)* });
    let future = if records_outcome(&sig.output, opts) {
        let ret = local("__traced_ret");
        let typed = ty.as_ref().map(|t| quote!(: #t));
        let record = record_outcome(
            opts,
            &ret,
            &quote!(&#rt::__private::current_span()),
            output_span(&sig.output),
            not_result(&sig.output),
        );
        quote! {
            async move {
                let #ret #typed = #inner.await;
                #record
                #ret
            }
        }
    } else {
        inner
    };
    let fut = local("__traced_future");
    // Two `.await`s: with no tracer installed the body's future is awaited alone, nothing
    // wraps it, nothing is checked per poll or dropped after it.
    quote! {
        #start
        let #fut = #future;
        // Each arm moves the whole span variable: one still to be dropped (or partly moved)
        // at an `.await` would be kept in the future, with drop flags, and checked after.
        match #span {
            #span @ #rt::__private::Some(_) => #rt::__private::in_span(#fut, #span).await,
            // `None`, forgotten: it owns nothing.
            #span => {
                #rt::__private::forget(#span);
                #fut.await
            }
        }
    }
}

/// `let __traced_span = ..;` for an `async fn`. The recorder borrows the captured
/// arguments; a local borrowed before an `.await` is kept in the future across it, so the
/// captured plain arguments are moved into a block, borrowed there, and moved back out
/// under their own names: the future keeps no second copy of them.
fn start_async(sig: &Signature, opts: &Options, span: &Ident) -> TokenStream {
    let start = start(opts, Start::AsyncFn);
    let plain = shape::plain_arguments(sig);
    let mut moved: Vec<&Ident> = Vec::new();
    for capture in &opts.captures {
        if let Source::Arg(name) = &capture.source {
            if let Some(arg) = plain.iter().find(|a| **a == name) {
                if !moved.contains(arg) {
                    moved.push(arg);
                }
            }
        }
    }
    if moved.is_empty() {
        return quote!(let #span = #start;);
    }
    quote! {
        #[allow(unused_variables, clippy::redundant_locals)]
        let (#span, #(#moved,)*) = {
            #(let #moved = #moved;)*
            (#start, #(#moved,)*)
        };
    }
}

fn future_body(sig: &Signature, block: &Block, opts: &Options, tail: FutureTail) -> TokenStream {
    let rt = &opts.runtime;
    let span = local("__traced_span");
    let start = start(opts, Start::Detached);
    let output_ty = match &sig.output {
        ReturnType::Type(_, ty) => shape::future_output(ty).and_then(shape::annotation_type),
        ReturnType::Default => None,
    };
    let output_not_result = output_ty.as_ref().is_some_and(shape::visibly_not_result);
    let records = (opts.err.enabled && !output_not_result) || opts.ret.is_some();
    let records = records && !output_ty.as_ref().is_some_and(shape::is_unit_or_never);

    // Wraps a future expression so its output is recorded, inside the span.
    let wrap = |future: TokenStream| -> TokenStream {
        let future = if records {
            let ret = local("__traced_ret");
            let typed = output_ty.as_ref().map(|t| quote!(: #t));
            let record = record_outcome(
                opts,
                &ret,
                &quote!(&#rt::__private::current_span()),
                output_span(&sig.output),
                output_not_result,
            );
            quote! {
                async move {
                    let #ret #typed = #future.await;
                    #record
                    #ret
                }
            }
        } else {
            future
        };
        quote!(#rt::__private::in_span(#future, #span))
    };

    match tail {
        FutureTail::AsyncBlock | FutureTail::BoxPinAsync => {
            let mut stmts = block.stmts.clone();
            let Some(Stmt::Expr(last, None)) = stmts.pop() else {
                return quote!(#block);
            };
            let new_last = match (tail, &last) {
                (FutureTail::AsyncBlock, Expr::Async(inner)) => {
                    wrap(typed_async(inner, output_ty.as_ref()))
                }
                (_, expr) => match (shape::box_pin_async(expr), expr) {
                    (Some(inner), Expr::Call(call)) => {
                        let func = &call.func;
                        let wrapped = wrap(typed_async(inner, output_ty.as_ref()));
                        quote!(#func(#wrapped))
                    }
                    _ => last.to_token_stream(),
                },
            };
            quote! {
                let #span = #start;
                #(#stmts)*
                #new_last
            }
        }
        FutureTail::ImplFuture | FutureTail::PinBoxFuture => {
            let fut = local("__traced_future");
            let turbofish = match annotation(&sig.output) {
                Some(ty) => quote!(::<#ty, _>),
                None => TokenStream::new(),
            };
            let wrapped = wrap(quote!(#fut));
            let value = if tail == FutureTail::PinBoxFuture {
                quote!(#rt::__private::Box::pin(#wrapped))
            } else {
                wrapped
            };
            quote! {
                let #span = #start;
                let #fut = #rt::__private::call_once #turbofish (move || #block);
                #value
            }
        }
    }
}

/// The user's async block, with a fake return edge of the known output type.
fn typed_async(inner: &syn::ExprAsync, output: Option<&Type>) -> TokenStream {
    let fake = fake_return(output);
    if fake.is_empty() {
        return inner.to_token_stream();
    }
    let mut inner = inner.clone();
    inner
        .block
        .stmts
        .insert(0, Stmt::Expr(Expr::Verbatim(fake), None));
    inner.to_token_stream()
}
