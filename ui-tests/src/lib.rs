//! Compile-pass and compile-fail cases for `#[traced]` and `#[derive(SpanAttributes)]`.
//!
//! The cases live in `tests/ui/{pass,fail}`, one per file; `tests/ui.rs` runs them with
//! trybuild. `tests/lints.rs` compiles instrumented code under `clippy::pedantic`.
