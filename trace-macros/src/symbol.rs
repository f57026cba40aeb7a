//! Every option keyword the macros understand, in one place.

/// `#[traced(...)]` options.
pub(crate) const NAME: &str = "name";
pub(crate) const KIND: &str = "kind";
pub(crate) const ATTRS: &str = "attrs";
pub(crate) const ERR: &str = "err";
pub(crate) const RET: &str = "ret";
pub(crate) const SKIP: &str = "skip";
pub(crate) const CRATE: &str = "crate";
pub(crate) const CONVENTION: &str = "convention";
pub(crate) const LEVEL: &str = "level";

/// Modes inside `err(..)` and `ret(..)`.
pub(crate) const DEBUG: &str = "debug";
pub(crate) const DISPLAY: &str = "display";
pub(crate) const EVENT: &str = "event";
pub(crate) const TYPE: &str = "type";

/// `#[span(...)]` options of the derive.
pub(crate) const PREFIX: &str = "prefix";
pub(crate) const RENAME: &str = "rename";
pub(crate) const REDACT: &str = "redact";
pub(crate) const FLATTEN: &str = "flatten";

/// The options `#[traced(...)]` accepts, for "did you mean".
pub(crate) const TRACED_OPTIONS: &[&str] =
    &[NAME, KIND, ATTRS, ERR, RET, SKIP, CRATE, CONVENTION, LEVEL];
/// The options `err(...)` accepts.
pub(crate) const ERR_MODES: &[&str] = &[DEBUG, EVENT, TYPE];
/// The options `ret(...)` accepts.
pub(crate) const RET_MODES: &[&str] = &[DISPLAY, DEBUG];
/// Container options of `#[span(...)]`.
pub(crate) const CONTAINER_OPTIONS: &[&str] = &[PREFIX, CRATE];
/// Field options of `#[span(...)]`.
pub(crate) const FIELD_OPTIONS: &[&str] = &[RENAME, SKIP, REDACT, FLATTEN, DISPLAY, DEBUG];
/// Variant options of `#[span(...)]`.
pub(crate) const VARIANT_OPTIONS: &[&str] = &[RENAME];
/// The span kinds `kind = ".."` accepts.
pub(crate) const KINDS: &[&str] = &["internal", "server", "client", "producer", "consumer"];
/// The levels `level = ".."` accepts.
pub(crate) const LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];
