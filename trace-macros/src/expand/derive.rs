//! `#[derive(SpanAttributes)]`: structs with named fields record one attribute per field;
//! enums record their variant name (and name it as `error.type` when they are an error).
//! Quoting only: the model comes from `ast::Input`, checked by `valid::check_derive`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, LitStr};

use super::fallback;
use crate::ast::{Data, Field, Input, Variant};
use crate::attr::FieldMode;
use crate::ctxt::Ctxt;
use crate::valid;

/// The derive's entry point.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let cx = Ctxt::new();
    let model = Input::from_syn(&cx, &input);
    valid::check_derive(&cx, &model);
    let runtime = crate::runtime::path(model.attrs.krate.get());
    if let Err(err) = cx.check() {
        return fallback::derive(&input, &runtime, &err);
    }
    // (body of `record_attributes`, extra impls)
    let (record, extra) = match &model.data {
        Data::Struct(fields) => (struct_body(&model, fields, &runtime), TokenStream::new()),
        Data::Enum(variants) => enum_impls(&model, variants, &runtime),
        // Unit structs record nothing; the others are errors in `valid`.
        Data::Unit | Data::Tuple(_) | Data::Union(_) => (TokenStream::new(), TokenStream::new()),
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
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

fn struct_body(input: &Input<'_>, fields: &[Field<'_>], runtime: &TokenStream) -> TokenStream {
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
    let mut out = TokenStream::new();
    for field in fields {
        let ident = field.ident;
        let mode = field.attrs.mode();
        let access = quote!(self.#ident);
        let span = field.original.ty.span();
        if mode == FieldMode::Skip {
            continue;
        }
        if mode == FieldMode::Flatten {
            out.extend(match input.attrs.prefix.get() {
                Some(prefix) => quote_spanned! {span=>
                    #runtime::__private::flatten_under(#sink, #prefix, &#access);
                },
                None => quote_spanned! {span=>
                    #runtime::__private::flatten(#sink, &#access);
                },
            });
            continue;
        }
        let key = LitStr::new(&input.key(&field.own_key()), Span::call_site());
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
    input: &Input<'_>,
    variants: &[Variant<'_>],
    runtime: &TokenStream,
) -> (TokenStream, TokenStream) {
    let ident = &input.original.ident;
    let mut arms = TokenStream::new();
    for variant in variants {
        let name = variant.value();
        let v = &variant.original.ident;
        arms.extend(quote!(#ident::#v { .. } => #name,));
    }
    let key = LitStr::new(&input.enum_key(), Span::call_site());
    let sink = syn::Ident::new("__traced_sink", Span::mixed_site());
    let (impl_generics, ty_generics, where_clause) = input.original.generics.split_for_impl();
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
    (record, impls)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Parse errors of every `#[span(..)]` first, then the rules of `valid`.
        assert!(
            errors[0].contains("did you mean `prefix`?"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("did you mean `redact`?"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].starts_with("invalid prefix `Http`"),
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
