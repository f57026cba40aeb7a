//! A project's own registry, `[package.metadata.traced] registry = "telemetry.json"`: its
//! attributes and span definitions join the checks, a malformed file is one clear error, and
//! editing the file rebuilds the crate. trybuild cannot set package metadata, so each case
//! builds a small crate of its own with `cargo check` (dependencies built once, in a target
//! directory kept under `CARGO_TARGET_TMPDIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

const REGISTRY: &str = r#"{
  "registry_url": "shop",
  "groups": [
    {
      "id": "registry.shop",
      "type": "attribute_group",
      "brief": "The shop.",
      "attributes": [
        {"name": "shop.cart.size", "type": "int", "brief": "Items in the cart.", "requirement_level": "recommended", "stability": "development"},
        {"name": "shop.cart", "type": "string", "brief": "Old.", "deprecated": {"reason": "renamed", "renamed_to": "shop.cart.id"}},
        {"name": "shop.cart.id", "type": "string", "brief": "The cart."}
      ]
    },
    {
      "id": "span.shop.checkout.server",
      "type": "span",
      "span_kind": "server",
      "brief": "A checkout.",
      "attributes": [
        {"name": "shop.cart.id", "type": "string", "requirement_level": "required"},
        {"name": "shop.cart.size", "type": "int", "requirement_level": "recommended"}
      ]
    }
  ]
}
"#;

const GOOD: &str = r#"
use trace_core::traced;

#[traced(convention = "shop.checkout.server", attrs(shop.cart.id = id, shop.cart.size = n))]
pub fn checkout(id: &str, n: u32) {
    let _ = (id, n);
}
"#;

const MISSPELLED: &str = r"
use trace_core::traced;

#[traced(attrs(shop.cart.sise = n))]
pub fn checkout(n: u32) {
    let _ = n;
}
";

fn root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("project-registry")
}

/// Writes the crate `case` with `lib` and `registry` and runs `cargo check` on it: whether it
/// compiled, and what it printed.
fn check(case: &str, lib: &str, registry: &str) -> (bool, String) {
    let dir = root().join(case);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let core = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trace-core")
        .canonicalize()
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{case}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ntrace-core = {{ path = \"{core}\" }}\n\n\
             [package.metadata.traced]\nregistry = \"telemetry.json\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    write_if_changed(&dir.join("src/lib.rs"), lib);
    write_if_changed(&dir.join("telemetry.json"), registry);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["check", "--quiet", "--offline"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", root().join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn project_registries_are_checked_and_tracked() {
    // Its span definition and attributes are known.
    let (ok, stderr) = check("registry_good", GOOD, REGISTRY);
    assert!(ok, "{stderr}");

    // Its namespaces are checked, with suggestions from its keys.
    let (ok, stderr) = check("registry_misspelled", MISSPELLED, REGISTRY);
    assert!(!ok);
    assert!(
        stderr.contains("`shop.cart.sise` is not an attribute")
            && stderr.contains("did you mean `shop.cart.size`?"),
        "{stderr}"
    );

    // Editing the file rebuilds the crate: the same source now fails on the file.
    let (ok, stderr) = check("registry_good", GOOD, "{\"groups\": [}");
    assert!(!ok, "editing telemetry.json did not rebuild the crate");
    assert_eq!(
        stderr.matches("error: the project registry").count(),
        1,
        "one error for the file: {stderr}"
    );
    assert!(
        stderr.contains("the project registry `telemetry.json` (`[package.metadata.traced] registry` in Cargo.toml) is not valid JSON: expected a JSON value at line 1, column 13"),
        "{stderr}"
    );

    // And back.
    let (ok, stderr) = check("registry_good", GOOD, REGISTRY);
    assert!(ok, "{stderr}");
}
