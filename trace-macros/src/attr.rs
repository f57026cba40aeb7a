//! Parsing of `#[traced(...)]` options and of the `attrs(...)` capture list, and of the
//! derive's `#[span(...)]` options on the container, fields and variants.
//!
//! Syntax the parser cannot resync past is returned as `Err`; every semantic problem
//! (duplicate, unknown or malformed option) is recorded in the [`Ctxt`] and parsing goes on, so
//! one build reports every mistake of the attribute.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitBool, LitStr, Path, Token};

use crate::ctxt::Ctxt;
use crate::suggest::did_you_mean;
use crate::symbol::{
    ATTRS, CONTAINER_OPTIONS, CONVENTION, CRATE, DEBUG, DISPLAY, ERR, ERR_MODES, EVENT,
    FIELD_OPTIONS, FLATTEN, KIND, KINDS, NAME, PREFIX, REDACT, RENAME, RET, RET_MODES, SKIP,
    TRACED_OPTIONS, TYPE, VARIANT_OPTIONS,
};
use crate::symbol::{LEVEL, LEVELS};

/// One option slot: remembers where it was set so a second setting is reported as a duplicate.
pub(crate) struct Attr<T> {
    name: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Attr<T> {
    pub(crate) fn none(name: &'static str) -> Self {
        Attr { name, value: None }
    }

    /// Sets the slot, or records "duplicate" on `obj` when it is already set.
    pub(crate) fn set<O: ToTokens>(&mut self, cx: &Ctxt, obj: O, value: T) {
        let tokens = obj.into_token_stream();
        if self.value.is_some() {
            cx.error_spanned_by(tokens, format!("duplicate `{}` option", self.name));
        } else {
            let span = tokens
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span());
            self.value = Some((span, value));
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    pub(crate) fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(s, _)| *s)
    }

    pub(crate) fn take(self) -> Option<T> {
        self.value.map(|(_, v)| v)
    }
}

/// The span name: a literal, checked at expansion time, or a constant path, checked by a
/// `const` assertion in the expansion.
#[derive(Clone)]
pub(crate) enum SpanName {
    Lit(LitStr),
    Path(Path),
}

/// `level = ".."`: the runtime's `Level` variant it names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Level(pub(crate) &'static str);

impl Level {
    /// The default: no test but the one every span makes.
    pub(crate) const INFO: Level = Level("Info");

    fn from_str(s: &str) -> Option<Self> {
        Some(Level(match s {
            "error" => "Error",
            "warn" => "Warn",
            "info" => "Info",
            "debug" => "Debug",
            "trace" => "Trace",
            _ => return None,
        }))
    }
}

/// `kind = ".."`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl Kind {
    pub(crate) fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "internal" => Kind::Internal,
            "server" => Kind::Server,
            "client" => Kind::Client,
            "producer" => Kind::Producer,
            "consumer" => Kind::Consumer,
            _ => return None,
        })
    }

    /// The kind as written in `kind = ".."`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Internal => "internal",
            Kind::Server => "server",
            Kind::Client => "client",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
        }
    }

    pub(crate) fn variant(self) -> &'static str {
        match self {
            Kind::Internal => "Internal",
            Kind::Server => "Server",
            Kind::Client => "Client",
            Kind::Producer => "Producer",
            Kind::Consumer => "Consumer",
        }
    }
}

/// `err`, `err = bool`, `err(debug, event, type = expr)`.
#[derive(Clone)]
pub(crate) struct ErrOpts {
    pub(crate) enabled: bool,
    pub(crate) debug: bool,
    pub(crate) event: bool,
    /// `type = expr`: the `error.type` to record, instead of the error's own.
    pub(crate) error_type: Option<Box<Expr>>,
}

impl Default for ErrOpts {
    fn default() -> Self {
        ErrOpts {
            enabled: true,
            debug: false,
            event: false,
            error_type: None,
        }
    }
}

/// How a value is turned into an attribute.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Format {
    /// Typed, through `ToValue` (or flattened through `SpanAttributes`).
    Value,
    /// `%expr`: through `Display`.
    Display,
    /// `?expr`: through `Debug`.
    Debug,
}

/// What a capture reads.
#[derive(Clone)]
pub(crate) enum Source {
    /// An argument named by itself: `attrs(user_id)`.
    Arg(Ident),
    /// `key = expr`, `%expr`, `?expr`.
    Expr(Box<Expr>),
}

/// One entry of `attrs(...)`.
#[derive(Clone)]
pub(crate) struct Capture {
    /// The attribute key, dotted.
    pub(crate) key: String,
    /// The tokens the key was spelled with, for errors.
    pub(crate) key_tokens: TokenStream,
    pub(crate) source: Source,
    pub(crate) format: Format,
}

/// Parsed `#[traced(...)]` options.
pub(crate) struct TracedArgs {
    pub(crate) name: Attr<SpanName>,
    pub(crate) kind: Attr<Kind>,
    pub(crate) attrs: Attr<Vec<Capture>>,
    pub(crate) err: Attr<ErrOpts>,
    pub(crate) ret: Attr<Format>,
    pub(crate) skip: Attr<()>,
    pub(crate) krate: Attr<Path>,
    /// `convention = "http.client"`: a span definition of the registry.
    pub(crate) convention: Attr<LitStr>,
    pub(crate) level: Attr<Level>,
}

impl Default for TracedArgs {
    fn default() -> Self {
        TracedArgs {
            name: Attr::none(NAME),
            kind: Attr::none(KIND),
            attrs: Attr::none(ATTRS),
            err: Attr::none(ERR),
            ret: Attr::none(RET),
            skip: Attr::none(SKIP),
            krate: Attr::none(CRATE),
            convention: Attr::none(CONVENTION),
            level: Attr::none(LEVEL),
        }
    }
}

impl TracedArgs {
    /// Parses the tokens inside `#[traced(...)]`. Problems go into `cx`.
    pub(crate) fn from_tokens(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = TracedArgs::default();
        let parser = syn::meta::parser(|meta| parse_option(cx, &mut args, &meta));
        if let Err(err) = parser.parse2(tokens) {
            cx.syn_error(err);
        }
        args
    }

    /// Parses a `#[traced]` / `#[traced(...)]` attribute found on a method.
    pub(crate) fn from_attribute(cx: &Ctxt, attr: &syn::Attribute) -> Self {
        match &attr.meta {
            syn::Meta::Path(_) => TracedArgs::default(),
            syn::Meta::List(list) => TracedArgs::from_tokens(cx, list.tokens.clone()),
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(
                    nv,
                    "expected `#[traced]` or `#[traced(...)]`, not `#[traced = ..]`",
                );
                TracedArgs::default()
            }
        }
    }
}

fn parse_option(
    cx: &Ctxt,
    args: &mut TracedArgs,
    meta: &syn::meta::ParseNestedMeta<'_>,
) -> syn::Result<()> {
    let path = &meta.path;
    if path.is_ident(NAME) {
        let value = meta.value()?;
        let name = if value.peek(LitStr) {
            SpanName::Lit(value.parse()?)
        } else if value.peek(Ident::peek_any) || value.peek(Token![::]) {
            SpanName::Path(value.call(Path::parse_mod_style)?)
        } else {
            let expr: Expr = value.parse()?;
            cx.error_spanned_by(
                &expr,
                "`name` expects a string literal, as in `name = \"db.query\"`, or the path of a \
                 `&str` constant",
            );
            return Ok(());
        };
        args.name.set(cx, path, name);
    } else if path.is_ident(KIND) {
        let value = meta.value()?;
        if value.peek(LitStr) {
            let lit: LitStr = value.parse()?;
            match Kind::from_str(&lit.value()) {
                Some(kind) => args.kind.set(cx, path, kind),
                None => cx.error_spanned_by(
                    &lit,
                    format!(
                        "unknown span kind `{}`; expected one of `internal`, `server`, \
                         `client`, `producer`, `consumer`{}",
                        lit.value(),
                        did_you_mean(&lit.value(), KINDS.iter().copied())
                    ),
                ),
            }
        } else {
            let expr: Expr = value.parse()?;
            let hint = match &expr {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .map(Ident::to_string)
                    .map(|s| s.to_lowercase())
                    .filter(|s| KINDS.contains(&s.as_str()))
                    .map(|s| format!("; write `kind = \"{s}\"`"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            cx.error_spanned_by(
                &expr,
                format!(
                    "`kind` expects a string literal: one of \"internal\", \"server\", \
                     \"client\", \"producer\", \"consumer\"{hint}"
                ),
            );
        }
    } else if path.is_ident(LEVEL) {
        let value = meta.value()?;
        let lit: LitStr = value.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "`level` expects a string literal: one of \"error\", \"warn\", \"info\", \
                 \"debug\", \"trace\"",
            )
        })?;
        match Level::from_str(&lit.value()) {
            Some(level) => args.level.set(cx, path, level),
            None => cx.error_spanned_by(
                &lit,
                format!(
                    "unknown level `{}`; expected one of `error`, `warn`, `info`, `debug`, \
                     `trace`{}",
                    lit.value(),
                    did_you_mean(&lit.value(), LEVELS.iter().copied())
                ),
            ),
        }
    } else if path.is_ident(ATTRS) {
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error("`attrs` expects a list, as in `attrs(user_id, key = expr)`"));
        }
        let content;
        syn::parenthesized!(content in meta.input);
        let captures = parse_captures(cx, &content)?;
        args.attrs.set(cx, path, captures);
    } else if path.is_ident(ERR) {
        let opts = parse_err(cx, meta)?;
        args.err.set(cx, path, opts);
    } else if path.is_ident(RET) {
        let format = parse_ret(cx, meta)?;
        args.ret.set(cx, path, format);
    } else if path.is_ident(SKIP) {
        if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            let rest: TokenStream = skip_value(meta)?;
            cx.error_spanned_by(rest, "`skip` takes no value: write `#[traced(skip)]`");
        }
        args.skip.set(cx, path, ());
    } else if path.is_ident(CRATE) {
        let value = meta.value()?;
        let krate = if value.peek(LitStr) {
            let lit: LitStr = value.parse()?;
            match lit.parse_with(Path::parse_mod_style) {
                Ok(p) => p,
                Err(_) => {
                    cx.error_spanned_by(
                        &lit,
                        format!(
                            "`crate` expects a path such as `my_crate::tracing`, not `{}`",
                            lit.value()
                        ),
                    );
                    return Ok(());
                }
            }
        } else {
            value.call(Path::parse_mod_style)?
        };
        args.krate.set(cx, path, krate);
    } else if path.is_ident(CONVENTION) {
        let value = meta.value()?;
        if value.peek(LitStr) {
            let lit: LitStr = value.parse()?;
            args.convention.set(cx, path, lit);
        } else {
            let expr: Expr = value.parse()?;
            cx.error_spanned_by(
                &expr,
                "`convention` expects a string literal naming a span definition of the \
                 registry, as in `convention = \"http.client\"`",
            );
        }
    } else {
        let word = path.to_token_stream().to_string().replace(' ', "");
        cx.error_spanned_by(
            path,
            format!(
                "unknown `traced` option `{word}`{}",
                did_you_mean(&word, TRACED_OPTIONS.iter().copied())
            ),
        );
        skip_value(meta)?;
    }
    Ok(())
}

/// Consumes whatever follows an option we reject (`= expr` or `( .. )`) so parsing resumes at
/// the next option.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<TokenStream> {
    let input = meta.input;
    let mut skipped = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        let tt: proc_macro2::TokenTree = input.parse()?;
        skipped.extend(std::iter::once(tt));
    }
    Ok(skipped)
}

fn parse_err(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<ErrOpts> {
    let mut opts = ErrOpts::default();
    if meta.input.peek(Token![=]) {
        let value = meta.value()?;
        if value.peek(LitBool) {
            let lit: LitBool = value.parse()?;
            opts.enabled = lit.value;
        } else {
            let expr: Expr = value.parse()?;
            cx.error_spanned_by(
                &expr,
                "`err` expects `true` or `false`, as in `err = false`; to choose how the error \
                 is recorded write `err(debug)` or `err(event)`",
            );
        }
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|mode| {
            if mode.path.is_ident(DEBUG) {
                if opts.debug {
                    cx.error_spanned_by(&mode.path, "duplicate `debug` in `err(..)`");
                }
                opts.debug = true;
            } else if mode.path.is_ident(EVENT) {
                if opts.event {
                    cx.error_spanned_by(&mode.path, "duplicate `event` in `err(..)`");
                }
                opts.event = true;
            } else if mode.path.is_ident(TYPE) {
                let expr: Expr = mode.value()?.parse()?;
                if opts.error_type.is_some() {
                    cx.error_spanned_by(&mode.path, "duplicate `type` in `err(..)`");
                }
                opts.error_type = Some(Box::new(expr));
            } else {
                let word = mode.path.to_token_stream().to_string();
                cx.error_spanned_by(
                    &mode.path,
                    format!(
                        "unknown `err` mode `{word}`; expected `debug`, `event` or `type = ..`{}",
                        did_you_mean(&word, ERR_MODES.iter().copied())
                    ),
                );
                skip_value(&mode)?;
            }
            Ok(())
        })?;
    }
    Ok(opts)
}

fn parse_ret(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Format> {
    let mut format = Format::Value;
    if meta.input.peek(syn::token::Paren) {
        let mut seen = false;
        meta.parse_nested_meta(|mode| {
            let chosen = if mode.path.is_ident(DISPLAY) {
                Some(Format::Display)
            } else if mode.path.is_ident(DEBUG) {
                Some(Format::Debug)
            } else {
                let word = mode.path.to_token_stream().to_string();
                cx.error_spanned_by(
                    &mode.path,
                    format!(
                        "unknown `ret` mode `{word}`; expected `display` or `debug`{}",
                        did_you_mean(&word, RET_MODES.iter().copied())
                    ),
                );
                skip_value(&mode)?;
                None
            };
            if let Some(chosen) = chosen {
                if seen {
                    cx.error_spanned_by(
                        &mode.path,
                        "`ret(..)` takes one mode: `ret(display)` or `ret(debug)`",
                    );
                }
                seen = true;
                format = chosen;
            }
            Ok(())
        })?;
    } else if meta.input.peek(Token![=]) {
        let value = meta.value()?;
        let expr: Expr = value.parse()?;
        cx.error_spanned_by(
            &expr,
            "`ret` takes no value: write `ret`, `ret(display)` or `ret(debug)`",
        );
    }
    Ok(format)
}

/// Parses the inside of `attrs(...)`.
fn parse_captures(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Vec<Capture>> {
    let mut captures = Vec::new();
    while !input.is_empty() {
        if let Some(capture) = parse_capture(cx, input)? {
            captures.push(capture);
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(captures)
}

fn parse_format(input: ParseStream<'_>) -> syn::Result<Format> {
    if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Ok(Format::Display)
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Ok(Format::Debug)
    } else {
        Ok(Format::Value)
    }
}

fn parse_capture(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Option<Capture>> {
    // `%expr` / `?expr` without a key: only an argument name can stand alone.
    if input.peek(Token![%]) || input.peek(Token![?]) {
        let format = parse_format(input)?;
        let expr: Expr = input.parse()?;
        return Ok(match bare_ident(&expr) {
            Some(ident) => Some(Capture {
                key: ident.unraw().to_string(),
                key_tokens: ident.to_token_stream(),
                source: Source::Arg(ident),
                format,
            }),
            None => {
                let sigil = if format == Format::Display { "%" } else { "?" };
                cx.error_spanned_by(
                    &expr,
                    format!(
                        "a captured expression needs a key: write `key = {sigil}{}`",
                        expr.to_token_stream()
                    ),
                );
                None
            }
        });
    }

    // A key: dotted identifiers (keywords allowed, as in `error.type`) or a string literal.
    let (key, key_tokens, single) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value(), lit.to_token_stream(), None)
    } else {
        let segments: Punctuated<Ident, Token![.]> =
            Punctuated::parse_separated_nonempty_with(input, Ident::parse_any)?;
        let key = segments
            .iter()
            .map(|s| s.unraw().to_string())
            .collect::<Vec<_>>()
            .join(".");
        let single = if segments.len() == 1 {
            segments.first().cloned()
        } else {
            None
        };
        (key, segments.to_token_stream(), single)
    };

    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let format = parse_format(input)?;
        let expr: Expr = input.parse()?;
        return Ok(Some(Capture {
            key,
            key_tokens,
            source: Source::Expr(Box::new(expr)),
            format,
        }));
    }

    match single {
        Some(ident) => Ok(Some(Capture {
            key,
            key_tokens,
            source: Source::Arg(ident),
            format: Format::Value,
        })),
        None => {
            cx.error_spanned_by(
                &key_tokens,
                format!("the key `{key}` needs a value: write `{key} = expr`"),
            );
            Ok(None)
        }
    }
}

fn bare_ident(expr: &Expr) -> Option<Ident> {
    match expr {
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    }
}

/// The span of the whole `#[traced(..)]` attribute's option `name`, for errors about options
/// that are valid but misplaced.
pub(crate) fn option_span<T>(attr: &Attr<T>) -> Span {
    attr.span().unwrap_or_else(Span::call_site)
}

/// Whether `attr` is a `#[traced]` attribute (any path ending in `traced`).
pub(crate) fn is_traced_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "traced")
}

impl Capture {
    /// The span used to point at the captured value in type errors.
    pub(crate) fn value_span(&self) -> Span {
        match &self.source {
            Source::Arg(ident) => ident.span(),
            Source::Expr(expr) => expr.span(),
        }
    }
}

/// The container's `#[span(prefix = "..", crate = path)]`.
pub(crate) struct ContainerAttrs {
    pub(crate) prefix: Attr<LitStr>,
    pub(crate) krate: Attr<Path>,
}

impl ContainerAttrs {
    /// Parses every `#[span(..)]` among `attrs`. Problems go into `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut c = ContainerAttrs {
            prefix: Attr::none(PREFIX),
            krate: Attr::none(CRATE),
        };
        for attr in attrs.iter().filter(|a| a.path().is_ident("span")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(PREFIX) {
                    let lit: LitStr = meta.value()?.parse()?;
                    c.prefix.set(cx, &meta.path, lit);
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
                    unknown_span_option(cx, &meta, "container", CONTAINER_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        c
    }
}

/// How one field is recorded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FieldMode {
    Value,
    Display,
    Debug,
    Redact,
    Flatten,
    Skip,
}

/// A field's `#[span(..)]`.
pub(crate) struct FieldAttrs {
    /// `rename = ".."`.
    pub(crate) rename: Option<LitStr>,
    /// The modes written (`skip`, `redact`, `flatten`, `display`, `debug`), each once, in
    /// order, with the span of its keyword.
    pub(crate) modes: Vec<(&'static str, Span)>,
}

impl FieldAttrs {
    /// Parses every `#[span(..)]` among `attrs`. Problems go into `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut rename: Attr<LitStr> = Attr::none(RENAME);
        let mut modes: Vec<(&'static str, Span)> = Vec::new();
        for attr in attrs.iter().filter(|a| a.path().is_ident("span")) {
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
                    None => unknown_span_option(cx, &meta, "field", FIELD_OPTIONS)?,
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        FieldAttrs {
            rename: rename.take(),
            modes,
        }
    }

    /// How the field is recorded: by its first mode.
    pub(crate) fn mode(&self) -> FieldMode {
        match self.modes.first().map(|(m, _)| *m) {
            Some(m) if m == SKIP => FieldMode::Skip,
            Some(m) if m == REDACT => FieldMode::Redact,
            Some(m) if m == FLATTEN => FieldMode::Flatten,
            Some(m) if m == DISPLAY => FieldMode::Display,
            Some(m) if m == DEBUG => FieldMode::Debug,
            _ => FieldMode::Value,
        }
    }
}

/// A variant's `#[span(rename = "..")]`.
pub(crate) struct VariantAttrs {
    pub(crate) rename: Option<LitStr>,
}

impl VariantAttrs {
    /// Parses every `#[span(..)]` among `attrs`. Problems go into `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> Self {
        let mut rename: Attr<LitStr> = Attr::none(RENAME);
        for attr in attrs.iter().filter(|a| a.path().is_ident("span")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(RENAME) {
                    let lit: LitStr = meta.value()?.parse()?;
                    rename.set(cx, &meta.path, lit);
                } else {
                    unknown_span_option(cx, &meta, "variant", VARIANT_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        VariantAttrs {
            rename: rename.take(),
        }
    }
}

/// Records an unknown `#[span(..)]` option and skips its value, so the next one is still read.
fn unknown_span_option(
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
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> (TracedArgs, Vec<String>) {
        let cx = Ctxt::new();
        let args = TracedArgs::from_tokens(&cx, tokens);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        (args, errors)
    }

    #[test]
    fn parses_every_option() {
        let (args, errors) = parse(quote! {
            name = "db.query", kind = "client",
            attrs(user_id, table = %table, n = rows.len(), http.route = route, ?dbg, "error.type" = 1),
            err(debug, event), ret(display), crate = "my::reexport"
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(matches!(args.name.get(), Some(SpanName::Lit(l)) if l.value() == "db.query"));
        assert_eq!(args.kind.get(), Some(&Kind::Client));
        let caps = args.attrs.get().unwrap();
        let keys: Vec<_> = caps.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["user_id", "table", "n", "http.route", "dbg", "error.type"]
        );
        assert_eq!(caps[1].format, Format::Display);
        assert_eq!(caps[4].format, Format::Debug);
        assert!(matches!(caps[0].source, Source::Arg(_)));
        assert!(matches!(caps[2].source, Source::Expr(_)));
        let err = args.err.get().unwrap();
        assert!(err.enabled && err.debug && err.event);
        assert_eq!(args.ret.get(), Some(&Format::Display));
        assert_eq!(
            args.krate.get().unwrap().to_token_stream().to_string(),
            "my :: reexport"
        );
    }

    #[test]
    fn keyword_keys_and_err_false() {
        let (args, errors) = parse(quote!(attrs(error.type = %e), err = false, name = NAME));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.attrs.get().unwrap()[0].key, "error.type");
        assert!(!args.err.get().unwrap().enabled);
        assert!(matches!(args.name.get(), Some(SpanName::Path(_))));
    }

    #[test]
    fn reports_every_error_together() {
        let (_, errors) = parse(quote!(
            nmae = "x",
            kind = "serve",
            name = "a",
            name = "b",
            err(loud),
            ret(json)
        ));
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(
            errors[0],
            "unknown `traced` option `nmae`; did you mean `name`?"
        );
        assert!(
            errors[1].starts_with("unknown span kind `serve`"),
            "{}",
            errors[1]
        );
        assert!(
            errors[1].ends_with("did you mean `server`?"),
            "{}",
            errors[1]
        );
        assert_eq!(errors[2], "duplicate `name` option");
        assert!(errors[3].starts_with("unknown `err` mode `loud`"));
        assert!(errors[4].starts_with("unknown `ret` mode `json`"));
    }

    #[test]
    fn capture_mistakes() {
        let (_, errors) = parse(quote!(attrs(%a.len(), http.route)));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("a captured expression needs a key"));
        assert_eq!(
            errors[1],
            "the key `http.route` needs a value: write `http.route = expr`"
        );
    }

    #[test]
    fn kind_as_ident_gets_a_hint() {
        let (_, errors) = parse(quote!(kind = Server));
        assert!(
            errors[0].ends_with("write `kind = \"server\"`"),
            "{errors:?}"
        );
    }
}
