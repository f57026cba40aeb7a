//! Instrumented code must compile cleanly under strict lints: `cargo clippy --all-targets`
//! checks this file with `clippy::pedantic` denied, so any lint the expansions trigger in the
//! user's crate fails the build.

#![deny(warnings, unused_qualifications, clippy::all, clippy::pedantic)]

use std::future::Future;

use trace_core::{traced, SpanAttributes};

#[derive(SpanAttributes, Debug, Clone, Copy)]
enum Mode {
    Fast,
    Slow,
}

#[derive(SpanAttributes)]
#[span(prefix = "app")]
struct Config {
    retries: u8,
    #[span(display)]
    name: &'static str,
    mode: Mode,
}

#[derive(Debug)]
struct Failure;

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure")
    }
}

impl std::error::Error for Failure {}

#[traced(attrs(config, n = config.retries, ?mode), ret)]
fn sync(config: &Config, mode: Mode) -> Result<u8, Failure> {
    if matches!(mode, Mode::Slow) {
        return Err(Failure);
    }
    Ok(config.retries)
}

#[traced(kind = "client", err(event))]
async fn asynchronous(n: u8) -> Result<u8, Failure> {
    if n == 0 {
        Err(Failure)
    } else {
        Ok(n)
    }
}

#[traced]
fn future(n: u8) -> impl Future<Output = u8> {
    async move { n }
}

// Single-expression bodies: the expansion must not wrap them in redundant braces
// (`unused_braces`), whatever the shape.
#[traced(err = false)]
fn expression_body() -> u8 {
    1
}

#[traced]
fn unit_expression_body() {
    assert_eq!(expression_body(), 1);
}

#[traced]
async fn async_expression_body(x: u64) -> u64 {
    x + 1
}

#[traced]
async fn async_unit_body() {}

const NAME: &str = "named.by.constant";

#[traced(name = NAME, ret(display), err(debug))]
fn named(n: u8) -> Result<u8, Failure> {
    if n == 0 {
        return Err(Failure);
    }
    Ok(n)
}

#[traced(attrs(n))]
fn boxed<'a>(n: &'a u8) -> std::pin::Pin<Box<dyn Future<Output = u8> + Send + 'a>> {
    Box::pin(async move { *n })
}

mod reexport {
    pub(crate) use trace_core as runtime;
}

#[traced(crate = reexport::runtime, ret(debug))]
fn via_reexport(v: &[u8]) -> Vec<u8> {
    v.to_vec()
}

struct Service {
    config: Config,
}

#[traced(kind = "server")]
impl Service {
    fn retries(&self) -> u8 {
        self.config.retries
    }

    #[traced(skip)]
    fn name(&self) -> &'static str {
        self.config.name
    }

    fn unit(&self) {
        let _ = self.config.mode;
    }
}

#[test]
fn instrumented_code_is_lint_clean() {
    let config = Config {
        retries: 2,
        name: "c",
        mode: Mode::Fast,
    };
    assert_eq!(sync(&config, Mode::Fast).ok(), Some(2));
    assert!(sync(&config, Mode::Slow).is_err());
    drop(asynchronous(1));
    drop(future(1));
    let service = Service { config };
    assert_eq!(service.retries(), 2);
    assert_eq!(service.name(), "c");
    service.unit();
    unit_expression_body();
    drop(async_expression_body(1));
    drop(async_unit_body());
    assert!(named(0).is_err());
    drop(boxed(&1));
    assert_eq!(via_reexport(&[1]), [1]);
}
