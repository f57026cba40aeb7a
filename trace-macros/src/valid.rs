//! Semantic rules, checked on the model: every error the macros report that is not about the
//! syntax of an attribute (thiserror's `valid.rs`). Every problem is recorded in the [`Ctxt`]
//! and checking goes on, so one build reports them all.

use std::collections::HashSet;

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::Signature;

use trace_names::{check_attribute_key, check_span_name, NameError};

use crate::ast::{
    Data, Field, FreeFn, Input, Item, Options, ResolvedName, Role, TracedFn, TracedImpl,
};
use crate::attr::{option_span, FieldMode, Format, Source, TracedArgs};
use crate::ctxt::Ctxt;
use crate::registry::{self, Deprecation, Lookup, Registries, Ty};
use crate::shape;
use crate::suggest::did_you_mean;

/// Where the function being checked sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `#[traced]` directly on the function.
    Free,
    /// A method of a `#[traced]` impl block.
    Method,
}

/// Checks what `#[traced]` was put on.
pub(crate) fn check_item(cx: &Ctxt, item: &Item<'_>) {
    match item {
        Item::Fn(FreeFn { args, func, .. }) => check_traced_fn(cx, func, args, Place::Free),
        Item::Impl(block) => check_impl(cx, block),
        Item::Trait(t) => cx.error_spanned_by(
            t.trait_token,
            "`#[traced]` cannot be applied to a trait declaration: put it on the `impl` \
             blocks, or on default methods that have a body",
        ),
        Item::Declaration(sig) => cx.error_spanned_by(
            sig,
            "`#[traced]` needs a function body: this is a declaration; put the attribute on \
             the implementation",
        ),
        Item::Other(keyword) => {
            let msg = "`#[traced]` can only be applied to functions and impl blocks";
            match keyword {
                Some(tt) => cx.error_spanned_by(tt, msg),
                None => cx.error_at(Span::call_site(), msg),
            }
        }
    }
}

/// Checks an impl block's own options, then each method.
fn check_impl(cx: &Ctxt, block: &TracedImpl<'_>) {
    check_impl_block(cx, block.args);
    for method in &block.methods {
        for attr in &method.duplicates {
            cx.error_spanned_by(attr, "duplicate `#[traced]` attribute on this method");
        }
        match &method.role {
            Role::Skipped => check_skipped(cx, &method.args),
            Role::Const => {}
            Role::Traced(func) => check_traced_fn(cx, func, &method.args, Place::Method),
        }
    }
}

fn check_traced_fn(cx: &Ctxt, func: &TracedFn<'_>, args: &TracedArgs, place: Place) {
    check_fn(cx, func.sig, args, &func.options.name, place);
    let registries = registry::current();
    check_registry(cx, &func.options.captures, &registries);
    check_convention(cx, &func.options, &registries);
}

/// Checks one function against its own options.
fn check_fn(cx: &Ctxt, sig: &Signature, args: &TracedArgs, name: &ResolvedName, place: Place) {
    if let Some(constness) = &sig.constness {
        cx.error_spanned_by(
            constness,
            "`#[traced]` cannot instrument a `const fn`: spans are created at run time; remove \
             `const` or the attribute",
        );
    }

    let arguments = shape::argument_names(sig);
    if let ResolvedName::Lit(value, span) = name {
        check_name(cx, value, *span, &arguments);
    }

    if args.skip.get().is_some() && place == Place::Free {
        cx.error_at(
            option_span(&args.skip),
            "`skip` only opts a method out of a `#[traced]` impl block; to leave a free \
             function uninstrumented, remove the attribute",
        );
    }

    if args.ret.get().is_some() && shape::returns_nothing(&sig.output) {
        cx.error_at(
            option_span(&args.ret),
            format!("`ret` has nothing to record: `{}` returns `()`", sig.ident),
        );
    }

    let mut seen: HashSet<String> = HashSet::new();
    for capture in args.attrs.get().map(Vec::as_slice).unwrap_or_default() {
        if let Source::Arg(ident) = &capture.source {
            if !arguments.iter().any(|a| a == ident) {
                let names: Vec<String> = arguments.iter().map(ToString::to_string).collect();
                let suggestion = did_you_mean(&ident.to_string(), names.iter().map(String::as_str));
                let hint = if suggestion.is_empty() {
                    String::from("; to record another value write `key = expr`")
                } else {
                    suggestion
                };
                cx.error_spanned_by(
                    ident,
                    format!("`{ident}` is not an argument of `{}`{hint}", sig.ident),
                );
                continue;
            }
        }
        if let Err(e) = check_attribute_key(&capture.key) {
            let hint = match &capture.source {
                Source::Arg(ident) => format!(
                    "; give it a valid key: `{} = {ident}`",
                    suggest_key(&capture.key)
                ),
                Source::Expr(_) => format!("; did you mean `{}`?", suggest_key(&capture.key)),
            };
            let hint = if suggest_key(&capture.key).is_empty() {
                String::new()
            } else {
                hint
            };
            cx.error_spanned_by(
                &capture.key_tokens,
                format!(
                    "invalid attribute key `{}`: {}{hint}",
                    capture.key,
                    e.message()
                ),
            );
        } else if !seen.insert(capture.key.clone()) {
            cx.error_spanned_by(
                &capture.key_tokens,
                format!("duplicate attribute key `{}` in `attrs(..)`", capture.key),
            );
        }
    }
}

/// Checks a literal span name: every rule it breaks (not only the first), and `{x}` where `x`
/// is an argument (span names are not formatted).
fn check_name(cx: &Ctxt, name: &str, span: Span, arguments: &[syn::Ident]) {
    let mut rest = name.to_owned();
    for _ in 0..6 {
        let Err(e) = check_span_name(&rest) else {
            break;
        };
        if e == NameError::Placeholder {
            // Reported below, with the argument when it names one.
        } else {
            cx.error_at(span, e.message());
        }
        rest = match e {
            NameError::Empty => break,
            NameError::TooLong => {
                let mut end = trace_names::MAX_SPAN_NAME_LEN;
                while !rest.is_char_boundary(end) {
                    end -= 1;
                }
                rest[..end].to_owned()
            }
            NameError::ControlCharacter => rest.chars().filter(|c| !c.is_control()).collect(),
            NameError::LeadingWhitespace => rest.trim_start().to_owned(),
            NameError::TrailingWhitespace => rest.trim_end().to_owned(),
            NameError::Placeholder => {
                cx.error_at(span, NameError::Placeholder.message());
                rest.replace('{', "(").replace('}', ")")
            }
        };
    }
    // `{x}` with `x` an argument: the author expected formatting.
    let mut named: Vec<String> = Vec::new();
    let mut text = name;
    while let Some(open) = text.find('{') {
        let after = &text[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let inside = after[..close].trim();
        if arguments.iter().any(|a| a == inside) && !named.iter().any(|n| n == inside) {
            named.push(inside.to_owned());
        }
        text = &after[close + 1..];
    }
    if !named.is_empty() {
        let list = named
            .iter()
            .map(|n| format!("`{{{n}}}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let args = named.join(", ");
        cx.error_at(
            span,
            format!(
                "span names are not formatted: {list} would stay in the name as written; \
                 record the value with `attrs({args})` and keep the name low-cardinality"
            ),
        );
    }
}

/// Checks captured keys against the semantic-convention registries: an unregistered key in
/// a registry namespace, a deprecated key, a literal (or `%`/`?` text) of the wrong type.
fn check_registry(cx: &Ctxt, captures: &[crate::attr::Capture], registries: &Registries<'_>) {
    for capture in captures {
        if check_attribute_key(&capture.key).is_err() {
            continue; // reported by `check_fn`
        }
        match registries.lookup(&capture.key) {
            Lookup::Outside => {}
            Lookup::Unknown { suggestion } => {
                let namespace = capture.key.split('.').next().unwrap_or_default();
                let hint = match suggestion {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => format!(
                        "; choose a key of the registry, or a namespace of your own outside \
                         `{namespace}.`"
                    ),
                };
                cx.error_spanned_by(
                    &capture.key_tokens,
                    format!(
                        "`{}` is not an attribute of the semantic conventions, whose registry \
                         owns the namespace `{namespace}`{hint}",
                        capture.key
                    ),
                );
            }
            Lookup::Known(attribute) => {
                match attribute.deprecated {
                    Deprecation::None => {}
                    Deprecation::Renamed(to) => cx.error_spanned_by(
                        &capture.key_tokens,
                        format!(
                            "`{}` is deprecated in the semantic conventions: use `{to}`",
                            capture.key
                        ),
                    ),
                    Deprecation::Note(note) => cx.error_spanned_by(
                        &capture.key_tokens,
                        format!(
                            "`{}` is deprecated in the semantic conventions: {}",
                            capture.key,
                            note.trim_end_matches('.')
                        ),
                    ),
                }
                check_value_type(cx, capture, attribute.ty);
            }
        }
    }
}

/// A literal value, or `%`/`?` text, that cannot have the attribute's type.
fn check_value_type(cx: &Ctxt, capture: &crate::attr::Capture, ty: Ty) {
    if ty == Ty::Any {
        return;
    }
    let key = &capture.key;
    match (capture.format, &capture.source) {
        (Format::Display | Format::Debug, source) if ty != Ty::Str => {
            let sigil = if capture.format == Format::Display {
                "%"
            } else {
                "?"
            };
            let msg = format!(
                "`{key}` holds {}, but `{sigil}` records text; capture the value itself",
                ty.describe()
            );
            match source {
                Source::Arg(ident) => cx.error_spanned_by(ident, msg),
                Source::Expr(expr) => cx.error_spanned_by(expr, msg),
            }
        }
        (Format::Value, Source::Expr(expr)) => {
            if let Some(found) = literal_type(expr) {
                if found != ty {
                    let hint = match (found, ty) {
                        (Ty::Int, Ty::Double) => "; write it with a decimal point".to_owned(),
                        (Ty::Str, Ty::Int | Ty::Double | Ty::Bool) => {
                            "; write the value without quotes".to_owned()
                        }
                        (_, Ty::Str) => "; write it as a string literal".to_owned(),
                        _ => String::new(),
                    };
                    cx.error_spanned_by(
                        expr,
                        format!(
                            "`{key}` holds {}, not {}{hint}",
                            ty.describe(),
                            found.describe()
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

/// The type of a literal expression (`200`, `-1.5`, `"GET"`, `true`, `["a", "b"]`), if it is
/// one.
fn literal_type(expr: &syn::Expr) -> Option<Ty> {
    use syn::{Expr, Lit};
    match expr {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(_) => Some(Ty::Str),
            Lit::Int(i) if matches!(i.suffix(), "f32" | "f64") => Some(Ty::Double),
            Lit::Int(_) => Some(Ty::Int),
            Lit::Float(_) => Some(Ty::Double),
            Lit::Bool(_) => Some(Ty::Bool),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
            literal_type(&u.expr).filter(|t| matches!(t, Ty::Int | Ty::Double))
        }
        Expr::Reference(r) => literal_type(&r.expr),
        Expr::Paren(p) => literal_type(&p.expr),
        Expr::Group(g) => literal_type(&g.expr),
        Expr::Array(a) => {
            let first = literal_type(a.elems.first()?)?;
            let all = a.elems.iter().all(|e| literal_type(e) == Some(first));
            match (all, first) {
                (true, Ty::Str) => Some(Ty::StrArray),
                (true, Ty::Int) => Some(Ty::IntArray),
                (true, Ty::Double) => Some(Ty::DoubleArray),
                (true, Ty::Bool) => Some(Ty::BoolArray),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `convention = ".."`: a known span definition, a kind it allows, its required attributes
/// captured.
fn check_convention(cx: &Ctxt, options: &Options, registries: &Registries<'_>) {
    let Some(lit) = &options.convention else {
        return;
    };
    let name = lit.value();
    let Some(def) = registries.span(&name) else {
        if !registries.complete {
            return; // the project registry is broken: that is the error
        }
        let hint = did_you_mean(&name, registries.span_names());
        cx.error_spanned_by(
            lit,
            format!(
                "unknown convention `{name}`: the registries define no span `span.{name}`{hint}"
            ),
        );
        return;
    };
    if let Some(span) = options.kind_span {
        if options.kind != def.kind && !def.also.contains(&options.kind) {
            cx.error_at(
                span,
                format!(
                    "convention `{name}` is a `{}` span, not `{}`; remove `kind` (the convention \
                     sets it)",
                    def.kind.name(),
                    options.kind.name()
                ),
            );
        }
    }
    let captured = |key: &str| options.captures.iter().any(|c| c.key == key);
    let missing: Vec<&str> = def
        .required
        .iter()
        .copied()
        .filter(|required| {
            if captured(required) {
                return false;
            }
            match registries.lookup(required) {
                Lookup::Known(a) => match a.deprecated {
                    Deprecation::Renamed(to) => !captured(to),
                    _ => true,
                },
                _ => true,
            }
        })
        .collect();
    if !missing.is_empty() {
        let keys = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let plural = if missing.len() == 1 { "" } else { "s" };
        cx.error_spanned_by(
            lit,
            format!(
                "convention `{name}` requires the attribute{plural} {keys}: capture {} in \
                 `attrs(..)`",
                if missing.len() == 1 { "it" } else { "them" }
            ),
        );
    }
}

/// Checks the options written on an impl block itself.
fn check_impl_block(cx: &Ctxt, args: &TracedArgs) {
    if args.name.get().is_some() {
        cx.error_at(
            option_span(&args.name),
            "`name` is not allowed on an impl block: each method is named `Type::method`; put \
             `#[traced(name = \"..\")]` on the method",
        );
    }
    if args.attrs.get().is_some() {
        cx.error_at(
            option_span(&args.attrs),
            "`attrs` is not allowed on an impl block: methods have different arguments; put \
             `#[traced(attrs(..))]` on the method",
        );
    }
    if args.skip.get().is_some() {
        cx.error_at(
            option_span(&args.skip),
            "`skip` belongs on a method inside the impl block, as `#[traced(skip)]`",
        );
    }
}

/// Checks options on a method that opted out with `skip`: nothing else may be set.
fn check_skipped(cx: &Ctxt, args: &TracedArgs) {
    let others: [(Option<Span>, &str); 8] = [
        (args.name.span(), "name"),
        (args.kind.span(), "kind"),
        (args.attrs.span(), "attrs"),
        (args.err.span(), "err"),
        (args.ret.span(), "ret"),
        (args.krate.span(), "crate"),
        (args.convention.span(), "convention"),
        (args.level.span(), "level"),
    ];
    for (span, option) in others {
        if let Some(span) = span {
            cx.error_at(
                span,
                format!(
                    "`{option}` has no effect on a method marked `skip`: it is not instrumented"
                ),
            );
        }
    }
}

/// A key close to `key` that passes the grammar: lowercase, `-`/space to `_`, no empty parts.
fn suggest_key(key: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    let out = out
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_matches('_'))
        .collect::<Vec<_>>()
        .join(".");
    if check_attribute_key(&out).is_ok() && out != key {
        out
    } else {
        String::new()
    }
}

/// For a derive: checks a key built from a field name, prefix or rename.
fn check_key(cx: &Ctxt, key: &str, obj: impl ToTokens, what: &str) -> bool {
    match check_attribute_key(key) {
        Ok(()) => true,
        Err(e) => {
            let suggestion = suggest_key(key);
            let hint = if suggestion.is_empty() {
                String::new()
            } else {
                format!("; did you mean `{suggestion}`?")
            };
            cx.error_spanned_by(
                obj,
                format!("invalid {what} `{key}`: {}{hint}", e.message()),
            );
            false
        }
    }
}

/// Checks the input of `#[derive(SpanAttributes)]`.
pub(crate) fn check_derive(cx: &Ctxt, input: &Input<'_>) {
    let prefix_ok = match input.attrs.prefix.get() {
        Some(lit) => check_key(cx, &lit.value(), lit, "prefix"),
        None => true,
    };
    match &input.data {
        Data::Struct(fields) => check_fields(cx, input, fields, prefix_ok),
        Data::Unit => {}
        Data::Tuple(unnamed) => cx.error_spanned_by(
            unnamed,
            "`SpanAttributes` needs named fields: a tuple struct's fields have no attribute \
             keys; use a struct with named fields",
        ),
        Data::Enum(variants) => {
            for variant in variants {
                for attr in &variant.field_attrs {
                    cx.error_spanned_by(
                        attr,
                        "`#[span(..)]` has no effect on the fields of an enum variant: an enum \
                         records its variant name only",
                    );
                }
            }
            // An invalid prefix was reported above; the name is checked as if there were none.
            if input.attrs.prefix.get().is_none() || !prefix_ok {
                let key = crate::ast::snake_case(&input.original.ident.unraw().to_string());
                check_key(
                    cx,
                    &key,
                    &input.original.ident,
                    "attribute key (from the enum name; set one with `#[span(prefix = \"..\")]`)",
                );
            }
        }
        Data::Union(data) => cx.error_spanned_by(
            data.union_token,
            "`SpanAttributes` cannot be derived for a union: which field is set is not known; \
             implement the trait by hand",
        ),
    }
}

/// A struct's fields: modes that do not combine, keys that break the grammar or repeat.
fn check_fields(cx: &Ctxt, input: &Input<'_>, fields: &[Field<'_>], prefix_ok: bool) {
    let mut keys: HashSet<String> = HashSet::new();
    for field in fields {
        let modes = &field.attrs.modes;
        if modes.len() > 1 {
            let (first, _) = modes[0];
            for (other, span) in &modes[1..] {
                cx.error_at(
                    *span,
                    format!("`{other}` cannot be combined with `{first}` on the same field"),
                );
            }
        }
        let mode = field.attrs.mode();
        if let (FieldMode::Flatten | FieldMode::Skip, Some(lit)) = (mode, &field.attrs.rename) {
            let what = if mode == FieldMode::Skip {
                "skip"
            } else {
                "flatten"
            };
            cx.error_spanned_by(
                lit,
                format!("`rename` has no effect with `{what}`: the field has no key of its own"),
            );
        }
        if matches!(mode, FieldMode::Skip | FieldMode::Flatten) {
            continue;
        }
        let own = field.own_key();
        let valid = match &field.attrs.rename {
            Some(lit) => check_key(cx, &own, lit, "attribute key"),
            None => check_key(cx, &own, field.ident, "attribute key (from the field name)"),
        };
        if !valid {
            continue;
        }
        // Under an invalid prefix (reported already), keys are compared without it.
        let key = if prefix_ok { input.key(&own) } else { own };
        if !keys.insert(key.clone()) {
            let key_tokens = field
                .attrs
                .rename
                .as_ref()
                .map_or_else(|| field.ident.to_token_stream(), ToTokens::to_token_stream);
            cx.error_spanned_by(key_tokens, format!("duplicate attribute key `{key}`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[allow(clippy::needless_pass_by_value)]
    fn errors(sig: Signature, args: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let args = TracedArgs::from_tokens(&cx, args);
        let name = ResolvedName::Lit(sig.ident.to_string(), Span::call_site());
        let name = match args.name.get() {
            Some(crate::attr::SpanName::Lit(l)) => ResolvedName::Lit(l.value(), l.span()),
            _ => name,
        };
        check_fn(&cx, &sig, &args, &name, Place::Free);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn accepts_valid_functions() {
        let sig: Signature = parse_quote!(fn fetch(user_id: u64, (a, b): (u8, u8)) -> u8);
        assert!(errors(
            sig,
            quote::quote!(attrs(user_id, a, http.route = b, x = %a))
        )
        .is_empty());
    }

    #[test]
    fn rejects_mistakes() {
        let sig: Signature = parse_quote!(const fn fetch(user_id: u64, userName: &str) -> u8);
        let errs = errors(
            sig,
            quote::quote!(
                name = "",
                attrs(usr_id, userName, "A b" = 1, user_id, user_id),
                skip,
                ret
            ),
        );
        assert_eq!(errs.len(), 7, "{errs:#?}");
        assert!(errs[0].starts_with("`#[traced]` cannot instrument a `const fn`"));
        assert_eq!(errs[1], "span name must not be empty");
        assert!(errs[2].starts_with("`skip` only opts a method out"));
        assert!(errs[3].contains("did you mean `user_id`?"), "{}", errs[3]);
        assert!(errs[4].contains("`user_name = userName`"), "{}", errs[4]);
        assert!(errs[5].contains("did you mean `a_b`?"), "{}", errs[5]);
        assert_eq!(errs[6], "duplicate attribute key `user_id` in `attrs(..)`");
    }

    #[test]
    fn ret_needs_a_value() {
        let sig: Signature = parse_quote!(fn f());
        assert_eq!(
            errors(sig, quote::quote!(ret)),
            ["`ret` has nothing to record: `f` returns `()`"]
        );
    }

    #[test]
    fn names_report_every_problem_and_argument_placeholders() {
        let sig: Signature = parse_quote!(fn load(id: u64));
        let errs = errors(sig, quote::quote!(name = "load {id} {} "));
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert_eq!(errs[0], "span name must not end with whitespace");
        assert!(errs[1].starts_with("span name must not contain a format placeholder"));
        assert!(
            errs[2].contains("record the value with `attrs(id)`"),
            "{}",
            errs[2]
        );
        let route: Signature = parse_quote!(fn route(user: u64));
        assert!(errors(route, quote::quote!(name = "GET /users/{id}")).is_empty());
    }

    fn registry_errors(tokens: proc_macro2::TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let args = TracedArgs::from_tokens(&cx, tokens);
        let captures = args.attrs.get().cloned().unwrap_or_default();
        check_registry(&cx, &captures, &Registries::new(None));
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn keys_are_checked_against_the_registry() {
        assert!(registry_errors(quote::quote!(attrs(
            http.response.status_code = 200,
            server.port = port,
            url.full = %url,
            http.request.header.x_id = ["a"],
            shop.cart.size = "three",
            user_id
        )))
        .is_empty());
        let errs = registry_errors(quote::quote!(attrs(
            http.respnse.status_code = 200,
            db.system = "postgresql",
            http.response.status_code = "200",
            server.port = ?port,
            http.request.resend_count = 1.5
        )));
        assert_eq!(errs.len(), 5, "{errs:#?}");
        assert!(errs[0].ends_with("did you mean `http.response.status_code`?"));
        assert!(errs[1].ends_with("use `db.system.name`"), "{}", errs[1]);
        assert!(errs[2].contains("holds an integer, not a string"));
        assert!(errs[3].contains("`?` records text"));
        assert!(errs[4].contains("holds an integer, not a double"));
    }

    #[test]
    fn suggests_keys() {
        assert_eq!(suggest_key("userId"), "user_id");
        assert_eq!(suggest_key("HTTP.Route"), "http.route");
        assert_eq!(suggest_key("a..b"), "a.b");
        assert_eq!(suggest_key("ok"), "");
        assert_eq!(suggest_key("9"), "");
    }
}
