//! The semantic-convention registry `#[traced]` checks against: the OpenTelemetry registry
//! as a generated table (`semconv.rs`, written by `scripts/gen_semconv.py`: nothing to parse
//! in the compiler), plus the project's own registry when its `Cargo.toml` names one
//! (`project.rs`, parsed once per compiler process).

mod json;
mod project;
#[rustfmt::skip]
mod semconv;

use crate::attr::Kind;

pub(crate) use project::{project, Broken, Project};

/// The type of an attribute's values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    Str,
    Int,
    Double,
    Bool,
    StrArray,
    IntArray,
    DoubleArray,
    BoolArray,
    Any,
}

impl Ty {
    /// How the type is named in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Double => "a double",
            Ty::Bool => "a boolean",
            Ty::StrArray => "a string array",
            Ty::IntArray => "an integer array",
            Ty::DoubleArray => "a double array",
            Ty::BoolArray => "a boolean array",
            Ty::Any => "any value",
        }
    }

    /// The type parameter of `Key<..>` for this type, under `__private::ty`.
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Ty::Str => "Str",
            Ty::Int => "Int",
            Ty::Double => "Double",
            Ty::Bool => "Bool",
            Ty::StrArray => "StrArray",
            Ty::IntArray => "IntArray",
            Ty::DoubleArray => "DoubleArray",
            Ty::BoolArray => "BoolArray",
            Ty::Any => "Any",
        }
    }
}

/// Whether and why a key is deprecated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Deprecation<'a> {
    None,
    /// Replaced by another key.
    Renamed(&'a str),
    /// Deprecated without a replacement key: the registry's note.
    Note(&'a str),
}

/// One attribute of a registry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attribute<'a> {
    pub(crate) key: &'a str,
    pub(crate) ty: Ty,
    /// A template: the keys `key.<anything>`.
    pub(crate) template: bool,
    pub(crate) deprecated: Deprecation<'a>,
}

/// A span definition (`span.<name>` group).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpanDef<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: Kind,
    /// The keys this definition requires.
    pub(crate) required: &'a [&'a str],
    /// Other kinds its note allows ("MAY be set to `INTERNAL`").
    pub(crate) also: &'a [Kind],
}

/// The registries in force for the crate being compiled. A project registry that cannot be
/// read (`expand` reports it once) leaves the registries incomplete: no key or convention is
/// then reported as unknown, so the broken file is the one error.
pub(crate) fn current() -> Registries<'static> {
    match project() {
        Ok(p) => Registries::new(p),
        Err(_) => Registries {
            complete: false,
            ..Registries::new(None)
        },
    }
}

/// What the registries say about a key.
pub(crate) enum Lookup<'a> {
    /// A registered key (or a key under a template).
    Known(Attribute<'a>),
    /// Not registered, in a registry namespace: with the nearest registered key, if close.
    Unknown { suggestion: Option<&'a str> },
    /// Outside every registry namespace: not checked.
    Outside,
}

/// One registry: attributes sorted by key, span definitions.
pub(crate) struct Table<'a> {
    pub(crate) attributes: &'a [Attribute<'a>],
    pub(crate) spans: &'a [SpanDef<'a>],
}

/// The OpenTelemetry registry.
pub(crate) const SEMCONV: Table<'static> = Table {
    attributes: semconv::ATTRIBUTES,
    spans: semconv::SPANS,
};

impl<'a> Table<'a> {
    fn find(&self, key: &str) -> Option<Attribute<'a>> {
        self.attributes
            .binary_search_by(|a| a.key.cmp(key))
            .ok()
            .map(|i| self.attributes[i])
    }

    /// The registered attributes whose key starts with `prefix`.
    fn with_prefix(&self, prefix: &str) -> &'a [Attribute<'a>] {
        let start = self.attributes.partition_point(|a| a.key < prefix);
        let len = self.attributes[start..].partition_point(|a| a.key.starts_with(prefix));
        &self.attributes[start..start + len]
    }

    /// The attribute `key` names: itself, or the template it falls under.
    fn attribute(&self, key: &str) -> Option<Attribute<'a>> {
        if let Some(a) = self.find(key) {
            return Some(a);
        }
        key.match_indices('.')
            .rev()
            .filter_map(|(i, _)| self.find(&key[..i]))
            .find(|a| a.template)
    }
}

/// The registries in force: the project's (if any) first, then the OpenTelemetry one.
pub(crate) struct Registries<'a> {
    tables: Vec<&'a Table<'a>>,
    /// `false` when the project registry could not be read: unknown keys and conventions
    /// are not reported.
    pub(crate) complete: bool,
}

impl<'a> Registries<'a> {
    pub(crate) fn new(project: Option<&'a Project>) -> Self {
        let mut tables: Vec<&'a Table<'a>> = Vec::with_capacity(2);
        if let Some(p) = project {
            tables.push(&p.table);
        }
        tables.push(&SEMCONV);
        Registries {
            tables,
            complete: true,
        }
    }

    /// What the registries say about `key`.
    pub(crate) fn lookup(&self, key: &str) -> Lookup<'a> {
        if let Some(a) = self.tables.iter().find_map(|t| t.attribute(key)) {
            return Lookup::Known(a);
        }
        let Some((namespace, _)) = key.split_once('.') else {
            return Lookup::Outside;
        };
        let prefix = format!("{namespace}.");
        let candidates: Vec<&'a str> = self
            .tables
            .iter()
            .flat_map(|t| t.with_prefix(&prefix))
            .filter(|a| a.deprecated == Deprecation::None)
            .map(|a| a.key)
            .collect();
        let in_namespace = self
            .tables
            .iter()
            .any(|t| !t.with_prefix(&prefix).is_empty());
        if !in_namespace || !self.complete {
            return Lookup::Outside;
        }
        Lookup::Unknown {
            suggestion: crate::suggest::closest(key, candidates.iter().copied()),
        }
    }

    /// The span definition `name` (`http.client` for `span.http.client`).
    pub(crate) fn span(&self, name: &str) -> Option<SpanDef<'a>> {
        let name = name.strip_prefix("span.").unwrap_or(name);
        self.tables
            .iter()
            .find_map(|t| t.spans.iter().find(|s| s.name == name).copied())
    }

    /// Every span definition's name, for suggestions.
    pub(crate) fn span_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.tables
            .iter()
            .flat_map(|t| t.spans.iter().map(|s| s.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted() {
        assert!(SEMCONV.attributes.windows(2).all(|w| w[0].key < w[1].key));
    }

    #[test]
    fn lookups() {
        let r = Registries::new(None);
        assert!(matches!(
            r.lookup("http.response.status_code"),
            Lookup::Known(Attribute { ty: Ty::Int, .. })
        ));
        assert!(matches!(
            r.lookup("http.request.header.x-id"),
            Lookup::Known(Attribute { template: true, .. })
        ));
        assert!(matches!(
            r.lookup("http.respnse.status_code"),
            Lookup::Unknown {
                suggestion: Some("http.response.status_code")
            }
        ));
        assert!(matches!(
            r.lookup("http.method"),
            Lookup::Known(Attribute {
                deprecated: Deprecation::Renamed("http.request.method"),
                ..
            })
        ));
        assert!(matches!(r.lookup("user_id"), Lookup::Outside));
        assert!(matches!(r.lookup("shop.cart.size"), Lookup::Outside));
        let client = r.span("http.client").unwrap();
        assert_eq!(client.kind, Kind::Client);
        assert!(client.required.contains(&"url.full"));
    }
}
