//! The arguments an `async fn` captures with `attrs(..)`: recorded as they were at the call,
//! whatever their kind (moved, borrowed, `mut`, destructured, `self`), still usable in the
//! body, and without warnings for the ones the body does not use.

#![deny(warnings, unused_variables, unused_mut)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use trace_core::{traced, Value};

mod support;
use support::{exporter, only};

#[traced(attrs(name, count))]
async fn moved_into_the_body(name: String, count: u64) -> usize {
    tokio::task::yield_now().await;
    name.len() + usize::try_from(count).unwrap_or(0)
}

// `label` is only recorded, never read by the body.
#[traced(attrs(label, n))]
async fn recorded_only(label: String, n: u32) -> u32 {
    tokio::task::yield_now().await;
    n + 1
}

#[traced(attrs(total, len = items.len()))]
async fn mut_and_expression(mut total: u64, items: &[u64]) -> u64 {
    for item in items {
        tokio::task::yield_now().await;
        total += item;
    }
    total
}

#[traced(attrs(a, b))]
async fn destructured((a, b): (u32, u32), c: u32) -> u32 {
    tokio::task::yield_now().await;
    a + b + c
}

struct Counter {
    id: u64,
}

impl Counter {
    #[traced(attrs(id = self.id, step))]
    async fn add(&self, step: u64) -> u64 {
        tokio::task::yield_now().await;
        self.id + step
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn int(span: &trace_core::SpanData, key: &str) -> Option<i64> {
    span.attribute(key).and_then(Value::as_i64)
}

#[test]
fn captured_arguments_are_recorded_and_still_usable() {
    exporter();
    assert_eq!(block_on(moved_into_the_body(String::from("four"), 3)), 7);
    let span = only("moved_into_the_body");
    assert_eq!(span.attribute("name").and_then(Value::as_str), Some("four"));
    assert_eq!(int(&span, "count"), Some(3));

    assert_eq!(block_on(recorded_only(String::from("lbl"), 1)), 2);
    let span = only("recorded_only");
    assert_eq!(span.attribute("label").and_then(Value::as_str), Some("lbl"));
    assert_eq!(int(&span, "n"), Some(1));

    assert_eq!(block_on(mut_and_expression(10, &[1, 2, 3])), 16);
    let span = only("mut_and_expression");
    // As they were when the call started, before the body changed `total`.
    assert_eq!(int(&span, "total"), Some(10));
    assert_eq!(int(&span, "len"), Some(3));

    assert_eq!(block_on(destructured((1, 2), 3)), 6);
    let span = only("destructured");
    assert_eq!(int(&span, "a"), Some(1));
    assert_eq!(int(&span, "b"), Some(2));

    assert_eq!(block_on(Counter { id: 40 }.add(2)), 42);
    let span = only("add");
    assert_eq!(int(&span, "id"), Some(40));
    assert_eq!(int(&span, "step"), Some(2));
}

/// Counts its drops; recorded as the number 7.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl trace_core::ToValue for Tracked {
    fn to_value(&self) -> Value {
        Value::I64(7)
    }
}

// Captured, not used by the body.
#[traced(attrs(tracked))]
async fn takes_tracked(tracked: Tracked, n: u8) -> u8 {
    tokio::task::yield_now().await;
    n
}

/// A captured argument is dropped exactly once: when the future is dropped unpolled, or
/// when it completes.
#[test]
fn captured_arguments_are_dropped_once() {
    exporter();
    let drops = Arc::new(AtomicUsize::new(0));
    drop(takes_tracked(Tracked(Arc::clone(&drops)), 1));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(block_on(takes_tracked(Tracked(Arc::clone(&drops)), 2)), 2);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(int(&only("takes_tracked"), "tracked"), Some(7));
}
