//! `#[derive(SpanAttributes)]`: structs with named fields record one attribute per field;
//! enums record their variant name (and name it as `error.type` when they are an error).

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Path};

use crate::attr::Attr;
use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;
use crate::symbol::{
    CONTAINER_OPTIONS, CRATE, DEBUG, DISPLAY, FIELD_OPTIONS, FLATTEN, PREFIX, REDACT, RENAME, SKIP,
    VARIANT_OPTIONS,
};
use crate::valid::check_key;

/// The derive's entry point.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let cx = Ctxt::new();
    let container = Container::from_attrs(&cx, &input.attrs);
    let runtime = super::runtime::path(container.krate.get());
    // (body of `record_attributes`, extra impls)
    let parts: Option<(TokenStream, TokenStream)> = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some((
                struct_body(&cx, &container, named.named.iter(), &runtime),
                TokenStream::new(),
            )),
            Fields::Unit => Some((TokenStream::new(), TokenStream::new())),
            Fields::Unnamed(unnamed) => {
                cx.error_spanned_by(
                    unnamed,
                    "`SpanAttributes` needs named fields: a tuple struct's fields have no \
                     attribute keys; use a struct with named fields",
                );
                None
            }
        },
        Data::Enum(data) => enum_impls(&cx, &container, &input, data, &runtime),
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "`SpanAttributes` cannot be derived for a union: which field is set is not \
                 known; implement the trait by hand",
            );
            None
        }
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
    if let Err(err) = cx.check() {
        let errors = err.to_compile_error();
        return quote! {
            #errors
            #[automatically_derived]
            impl #impl_generics #runtime::__private::SpanAttributes for #ident #ty_generics #where_clause {
                fn record_attributes(&self, _: &mut #runtime::__private::AttributeSink<'_>) {}
            }
        };
    }
    let (record, extra) = parts.unwrap_or_default();
    if record.is_empty() {
        return quote! {
            #[automatically_derived]
            impl #impl_generics #runtime::__private::SpanAttributes for #ident #ty_generics #where_clause {
                fn record_attributes(&self, _: &mut #runtime::__private::AttributeSink<'_>) {}
            }
            #extra
        };
    }
    quote! {
        #[automatically_derived]
        impl #impl_generics #runtime::__private::SpanAttributes for #ident #ty_generics #where_clause {
            fn record_attributes(&self, #sink: &mut #runtime::__private::AttributeSink<'_>) {
                #[allow(unused_imports)]
                use #runtime::__private::capture::*;
                #record
            }
        }
        #extra
    }
}

/// Container options: `#[span(prefix = "..", crate = path)]`.
struct Container {
    prefix: Attr<LitStr>,
    krate: Attr<Path>,
}

impl Container {
    fn from_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut c = Container {
            prefix: Attr::none(PREFIX),
            krate: Attr::none(CRATE),
        };
        for attr in attrs.iter().filter(|a| a.path().is_ident("span")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(PREFIX) {
                    let lit: LitStr = meta.value()?.parse()?;
                    if check_key(cx, &lit.value(), &lit, "prefix") {
                        c.prefix.set(cx, &meta.path, lit);
                    }
                } else if meta.path.is_ident(CRATE) {
                    let value = meta.value()?;
                    let path = if value.peek(LitStr) {
                        let lit: LitStr = value.parse()?;
                        lit.parse_with(Path::parse_mod_style)?
                    } else {
                        value.call(Path::parse_mod_style)?
                    };
                    c.krate.set(cx, &meta.path, path);
                } else {
                    unknown(cx, &meta, "container", CONTAINER_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        c
    }

    fn key(&self, name: &str) -> String {
        match self.prefix.get() {
            Some(p) => format!("{}.{name}", p.value()),
            None => name.to_owned(),
        }
    }
}

fn unknown(
    cx: &Ctxt,
    meta: &syn::meta::ParseNestedMeta<'_>,
    place: &str,
    options: &[&str],
) -> syn::Result<()> {
    let word = meta.path.to_token_stream().to_string().replace(' ', "");
    let list = options
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown {place} option `{word}` in `#[span(..)]`; expected {list}{}",
            did_you_mean(&word, options.iter().copied())
        ),
    );
    // Skip the option's value so the next one is still read.
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

/// How one field is recorded.
enum FieldMode {
    Value,
    Display,
    Debug,
    Redact,
    Flatten,
    Skip,
}

fn field_options(cx: &Ctxt, field: &syn::Field) -> (FieldMode, Option<LitStr>) {
    let mut rename: Attr<LitStr> = Attr::none(RENAME);
    let mut modes: Vec<(&'static str, Span)> = Vec::new();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("span")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(RENAME) {
                let lit: LitStr = meta.value()?.parse()?;
                rename.set(cx, &meta.path, lit);
                return Ok(());
            }
            let mode = [SKIP, REDACT, FLATTEN, DISPLAY, DEBUG]
                .into_iter()
                .find(|m| meta.path.is_ident(m));
            match mode {
                Some(m) => {
                    if modes.iter().any(|(seen, _)| *seen == m) {
                        cx.error_spanned_by(&meta.path, format!("duplicate `{m}` option"));
                    } else {
                        modes.push((m, meta.path.span()));
                    }
                }
                None => unknown(cx, &meta, "field", FIELD_OPTIONS)?,
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    if modes.len() > 1 {
        let (first, _) = modes[0];
        for (other, span) in &modes[1..] {
            cx.error_at(
                *span,
                format!("`{other}` cannot be combined with `{first}` on the same field"),
            );
        }
    }
    let mode = match modes.first().map(|(m, _)| *m) {
        Some(m) if m == SKIP => FieldMode::Skip,
        Some(m) if m == REDACT => FieldMode::Redact,
        Some(m) if m == FLATTEN => FieldMode::Flatten,
        Some(m) if m == DISPLAY => FieldMode::Display,
        Some(m) if m == DEBUG => FieldMode::Debug,
        _ => FieldMode::Value,
    };
    if let (FieldMode::Flatten | FieldMode::Skip, Some(lit)) = (&mode, rename.get()) {
        let what = if matches!(mode, FieldMode::Skip) {
            "skip"
        } else {
            "flatten"
        };
        cx.error_spanned_by(
            lit,
            format!("`rename` has no effect with `{what}`: the field has no key of its own"),
        );
    }
    (mode, rename.take())
}

fn struct_body<'a>(
    cx: &Ctxt,
    container: &Container,
    fields: impl Iterator<Item = &'a syn::Field>,
    runtime: &TokenStream,
) -> TokenStream {
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
    let mut keys: HashSet<String> = HashSet::new();
    let mut out = TokenStream::new();
    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let (mode, rename) = field_options(cx, field);
        let access = quote!(self.#ident);
        if matches!(mode, FieldMode::Skip) {
            continue;
        }
        if matches!(mode, FieldMode::Flatten) {
            let span = field.ty.span();
            out.extend(match container.prefix.get() {
                Some(prefix) => quote_spanned! {span=>
                    #runtime::__private::flatten_under(#sink, #prefix, &#access);
                },
                None => quote_spanned! {span=>
                    #runtime::__private::flatten(#sink, &#access);
                },
            });
            continue;
        }
        let (own, valid) = match &rename {
            Some(lit) => (
                lit.value(),
                check_key(cx, &lit.value(), lit, "attribute key"),
            ),
            None => {
                let own = ident.unraw().to_string();
                let valid = check_key(cx, &own, ident, "attribute key (from the field name)");
                (own, valid)
            }
        };
        if !valid {
            continue;
        }
        let key = container.key(&own);
        let key_tokens = rename
            .as_ref()
            .map_or_else(|| ident.to_token_stream(), ToTokens::to_token_stream);
        if !keys.insert(key.clone()) {
            cx.error_spanned_by(key_tokens, format!("duplicate attribute key `{key}`"));
            continue;
        }
        let key = LitStr::new(&key, Span::call_site());
        let span = field.ty.span();
        out.extend(match mode {
            FieldMode::Value => quote_spanned! {span=>
                (&&&#runtime::__private::Capture(&#access)).__traced_capture(#key, #sink);
            },
            FieldMode::Display => quote_spanned! {span=>
                #runtime::__private::capture_display(#sink, #key, &#access);
            },
            FieldMode::Debug => quote_spanned! {span=>
                #runtime::__private::capture_debug(#sink, #key, &#access);
            },
            FieldMode::Redact => quote! {
                #runtime::__private::capture_redacted(#sink, #key);
            },
            FieldMode::Flatten | FieldMode::Skip => TokenStream::new(),
        });
    }
    out
}

/// For an enum: the `record_attributes` body and the extra `ToValue` / `VariantName` impls.
fn enum_impls(
    cx: &Ctxt,
    container: &Container,
    input: &DeriveInput,
    data: &syn::DataEnum,
    runtime: &TokenStream,
) -> Option<(TokenStream, TokenStream)> {
    let ident = &input.ident;
    let mut arms = TokenStream::new();
    for variant in &data.variants {
        let mut rename: Attr<LitStr> = Attr::none(RENAME);
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("span")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(RENAME) {
                    let lit: LitStr = meta.value()?.parse()?;
                    rename.set(cx, &meta.path, lit);
                } else {
                    unknown(cx, &meta, "variant", VARIANT_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        for field in &variant.fields {
            if let Some(attr) = field.attrs.iter().find(|a| a.path().is_ident("span")) {
                cx.error_spanned_by(
                    attr,
                    "`#[span(..)]` has no effect on the fields of an enum variant: an enum \
                     records its variant name only",
                );
            }
        }
        let name = rename
            .take()
            .map_or_else(|| variant.ident.unraw().to_string(), |l| l.value());
        let v = &variant.ident;
        arms.extend(quote!(#ident::#v { .. } => #name,));
    }
    let key = match container.prefix.get() {
        Some(prefix) => prefix.value(),
        None => snake_case(&ident.unraw().to_string()),
    };
    if container.prefix.get().is_none() {
        check_key(
            cx,
            &key,
            ident,
            "attribute key (from the enum name; set one with `#[span(prefix = \"..\")]`)",
        );
    }
    let key = LitStr::new(&key, Span::call_site());
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let record = quote! {
        #runtime::__private::AttributeSink::set_value(
            #sink,
            #key,
            #runtime::__private::variant_value(#runtime::__private::VariantName::__traced_variant_name(self)),
        );
    };
    let impls = quote! {
        #[automatically_derived]
        impl #impl_generics #runtime::__private::VariantName for #ident #ty_generics #where_clause {
            fn __traced_variant_name(&self) -> &'static str {
                match self {
                    #arms
                }
            }
        }
        #[automatically_derived]
        impl #impl_generics #runtime::__private::ToValue for #ident #ty_generics #where_clause {
            fn to_value(&self) -> #runtime::__private::Value {
                #runtime::__private::variant_value(#runtime::__private::VariantName::__traced_variant_name(self))
            }
        }
    };
    cx.is_ok().then_some((record, impls))
}

fn snake_case(name: &str) -> String {
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

    fn derive_errors(tokens: TokenStream) -> Vec<String> {
        let out = derive(tokens).to_string();
        out.match_indices("compile_error")
            .map(|(i, _)| {
                let rest = &out[i..];
                let start = rest.find('"').unwrap_or(0) + 1;
                let end = rest[start..].find('"').map_or(rest.len(), |e| start + e);
                rest[start..end].to_owned()
            })
            .collect()
    }

    #[test]
    fn reports_field_mistakes_together() {
        let errors = derive_errors(quote! {
            #[span(prefix = "Http", prefx = "x")]
            struct S {
                #[span(redcat)] a: String,
                #[span(skip, redact)] b: String,
                #[span(rename = "c")] c1: u8,
                c: u8,
                userId: u8,
            }
        });
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(
            errors[0].starts_with("invalid prefix `Http`"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("did you mean `prefix`?"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].contains("did you mean `redact`?"),
            "{}",
            errors[2]
        );
        assert_eq!(
            errors[3],
            "`redact` cannot be combined with `skip` on the same field"
        );
        assert_eq!(errors[4], "duplicate attribute key `c`");
        assert!(
            errors[5].contains("did you mean `user_id`?"),
            "{}",
            errors[5]
        );
    }
}
