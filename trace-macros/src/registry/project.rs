//! The project's own registry: `[package.metadata.traced] registry = "telemetry.json"` in the
//! crate's `Cargo.toml`, a Weaver-resolved JSON file beside it. Read once per compiler process
//! (and again only when the file changes: keyed on its path, length and modification time);
//! the expansion includes the file with `include_bytes!`, so editing it rebuilds the crate.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use super::json::{self, Json};
use super::{Attribute, Deprecation, SpanDef, Table, Ty};
use crate::attr::Kind;

/// A loaded project registry.
pub(crate) struct Project {
    /// The absolute path of the file.
    pub(crate) path: PathBuf,
    pub(crate) table: Table<'static>,
}

/// A project registry that cannot be used.
#[derive(Clone)]
pub(crate) struct Broken {
    /// What is wrong: only the first time it is asked for (one error per build, not one per
    /// function).
    pub(crate) message: Option<String>,
    /// The file, when it was named (still tracked, so fixing it rebuilds the crate).
    pub(crate) path: Option<PathBuf>,
}

/// What identifies one version of a file.
type Stamp = (u64, Option<SystemTime>);

struct Entry {
    manifest: Stamp,
    registry: Option<(PathBuf, Stamp)>,
    result: Result<Option<&'static Project>, String>,
    /// Whether the error was reported already.
    reported: bool,
}

impl Entry {
    /// The result, with the error's message only the first time.
    fn answer(&mut self) -> Result<Option<&'static Project>, Broken> {
        match &self.result {
            Ok(p) => Ok(*p),
            Err(e) => {
                let message = (!self.reported).then(|| e.clone());
                self.reported = true;
                Err(Broken {
                    message,
                    path: self.registry.as_ref().map(|(p, _)| p.clone()),
                })
            }
        }
    }
}

fn cache() -> &'static Mutex<HashMap<PathBuf, Entry>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Entry>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()))
}

/// The project registry of the crate being compiled: `Ok(None)` when it names none; `Err`
/// when it cannot be read (with the message the first time only).
pub(crate) fn project() -> Result<Option<&'static Project>, Broken> {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return Ok(None);
    };
    let manifest = dir.join("Cargo.toml");
    let Some(manifest_stamp) = stamp(&manifest) else {
        return Ok(None);
    };
    let Ok(mut cache) = cache().lock() else {
        return Ok(None);
    };
    if let Some(entry) = cache.get_mut(&dir) {
        let registry_fresh = match &entry.registry {
            Some((path, s)) => stamp(path).as_ref() == Some(s),
            None => true,
        };
        if entry.manifest == manifest_stamp && registry_fresh {
            return entry.answer();
        }
    }
    let (registry, result) = load(&dir, &manifest);
    let mut entry = Entry {
        manifest: manifest_stamp,
        registry,
        result,
        reported: false,
    };
    let answer = entry.answer();
    cache.insert(dir, entry);
    answer
}

type Loaded = (
    Option<(PathBuf, Stamp)>,
    Result<Option<&'static Project>, String>,
);

fn load(dir: &Path, manifest: &Path) -> Loaded {
    let Ok(text) = fs::read_to_string(manifest) else {
        return (None, Ok(None));
    };
    let Some(name) = registry_setting(&text) else {
        return (None, Ok(None));
    };
    let path = dir.join(&name);
    let stamp = stamp(&path).unwrap_or((0, None));
    let what = format!(
        "the project registry `{name}` (`[package.metadata.traced] registry` in Cargo.toml)"
    );
    let result = match fs::read_to_string(&path) {
        Err(e) => Err(format!("cannot read {what}: {e}")),
        Ok(text) => match json::parse(&text) {
            Err(e) => Err(format!("{what} is not valid JSON: {e}")),
            Ok(value) => from_json(&value)
                .map(|table| {
                    let project: &'static Project = Box::leak(Box::new(Project {
                        path: path.clone(),
                        table,
                    }));
                    Some(project)
                })
                .map_err(|e| format!("{what} is not a Weaver-resolved registry: {e}")),
        },
    };
    (Some((path, stamp)), result)
}

/// The `registry = ".."` value of the `[package.metadata.traced]` table.
fn registry_setting(manifest: &str) -> Option<String> {
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line.replace(' ', "") == "[package.metadata.traced]";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "registry" {
                let value = value.trim();
                let value = value.split(" #").next().unwrap_or(value).trim();
                return value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_owned);
            }
        }
    }
    None
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// The type of an attribute and whether it is a template.
fn ty(value: &Json) -> (Ty, bool) {
    if let Some(members) = value.get("members").and_then(Json::as_array) {
        let ints = !members.is_empty()
            && members
                .iter()
                .all(|m| matches!(m.get("value"), Some(Json::Number(_))));
        return (if ints { Ty::Int } else { Ty::Str }, false);
    }
    let name = value.as_str().unwrap_or("any");
    let (inner, template) = match name
        .strip_prefix("template[")
        .and_then(|n| n.strip_suffix(']'))
    {
        Some(inner) => (inner, true),
        None => (name, false),
    };
    let ty = match inner {
        "string" => Ty::Str,
        "int" => Ty::Int,
        "double" => Ty::Double,
        "boolean" => Ty::Bool,
        "string[]" => Ty::StrArray,
        "int[]" => Ty::IntArray,
        "double[]" => Ty::DoubleArray,
        "boolean[]" => Ty::BoolArray,
        _ => Ty::Any,
    };
    (ty, template)
}

fn deprecation(attr: &Json) -> Deprecation<'static> {
    match attr.get("deprecated") {
        None | Some(Json::Null) => Deprecation::None,
        Some(Json::String(note)) => Deprecation::Note(leak(note.trim())),
        Some(d) => match d.get("renamed_to").and_then(Json::as_str) {
            Some(to) => Deprecation::Renamed(leak(to)),
            None => Deprecation::Note(leak(
                d.get("note")
                    .or_else(|| d.get("reason"))
                    .and_then(Json::as_str)
                    .unwrap_or("deprecated")
                    .trim(),
            )),
        },
    }
}

/// The table of a resolved registry: `{"groups": [{"id", "type", "span_kind",
/// "attributes": [{"name", "type", "requirement_level", "deprecated"}]}]}`.
fn from_json(root: &Json) -> Result<Table<'static>, String> {
    let groups = root
        .get("groups")
        .and_then(Json::as_array)
        .ok_or("no `groups` array at the top level")?;
    let mut attributes: Vec<Attribute<'static>> = Vec::new();
    let mut spans: Vec<SpanDef<'static>> = Vec::new();
    for group in groups {
        let id = group
            .get("id")
            .and_then(Json::as_str)
            .ok_or("a group without a string `id`")?;
        let attrs = match group.get("attributes") {
            None | Some(Json::Null) => &[][..],
            Some(a) => a
                .as_array()
                .ok_or_else(|| format!("group `{id}`: `attributes` is not an array"))?,
        };
        let mut required: Vec<&'static str> = Vec::new();
        for attr in attrs {
            let name = attr
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| format!("group `{id}`: an attribute without a string `name`"))?;
            let (ty, template) = ty(attr
                .get("type")
                .ok_or_else(|| format!("group `{id}`: attribute `{name}` has no `type`"))?);
            if attr.get("requirement_level").and_then(Json::as_str) == Some("required") {
                required.push(leak(name));
            }
            if !attributes.iter().any(|a| a.key == name) {
                attributes.push(Attribute {
                    key: leak(name),
                    ty,
                    template,
                    deprecated: deprecation(attr),
                });
            }
        }
        if group.get("type").and_then(Json::as_str) == Some("span") {
            let kind = group
                .get("span_kind")
                .and_then(Json::as_str)
                .map_or(Some(Kind::Internal), Kind::from_str)
                .ok_or_else(|| format!("span group `{id}`: unknown `span_kind`"))?;
            required.sort_unstable();
            spans.push(SpanDef {
                name: leak(id.strip_prefix("span.").unwrap_or(id)),
                kind,
                required: Box::leak(required.into_boxed_slice()),
                also: &[],
            });
        }
    }
    attributes.sort_by(|a, b| a.key.cmp(b.key));
    Ok(Table {
        attributes: Box::leak(attributes.into_boxed_slice()),
        spans: Box::leak(spans.into_boxed_slice()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_setting() {
        let manifest = "[package]\nname = \"x\"\n\n[package.metadata.traced]\nregistry = \"telemetry.json\" # ours\n";
        assert_eq!(
            registry_setting(manifest).as_deref(),
            Some("telemetry.json")
        );
        assert_eq!(registry_setting("[package]\nregistry = \"x\"\n"), None);
    }

    #[test]
    fn reads_a_registry() {
        let text = r#"{"groups": [
            {"id": "registry.shop", "type": "attribute_group", "attributes": [
                {"name": "shop.cart.size", "type": "int"},
                {"name": "shop.cart", "type": "string", "deprecated": {"reason": "renamed", "renamed_to": "shop.cart.id"}}
            ]},
            {"id": "span.shop.checkout", "type": "span", "span_kind": "server", "attributes": [
                {"name": "shop.cart.size", "type": "int", "requirement_level": "required"}
            ]}
        ]}"#;
        let table = from_json(&json::parse(text).unwrap()).unwrap();
        assert_eq!(table.attributes.len(), 2);
        assert_eq!(
            table.attributes[0].deprecated,
            Deprecation::Renamed("shop.cart.id")
        );
        assert_eq!(table.spans[0].name, "shop.checkout");
        assert_eq!(table.spans[0].required, ["shop.cart.size"]);
        assert!(from_json(&json::parse("{}").unwrap()).is_err());
    }
}
