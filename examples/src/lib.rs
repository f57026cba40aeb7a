//! Runnable examples of traced: see `examples/`.

pub mod helloworld;
