#![allow(dead_code, non_camel_case_types)]

use trace_core::traced;

struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct Pin;
struct Future;
struct ToValue;
struct SpanAttributes;
type Result = ();
type String = ();
mod std {}
mod core {}
mod alloc {}
mod trace_core_shadow {}

#[traced(attrs(x, y = x + 1, z = %x))]
fn sync(x: u32) -> u32 {
    x
}

#[traced(ret)]
fn returns_result() -> ::std::result::Result<u32, ::std::fmt::Error> {
    ::std::result::Result::Ok(1)
}

#[traced]
async fn asynchronous(x: u32) -> u32 {
    x
}

#[traced]
fn future() -> impl ::std::future::Future<Output = u32> {
    async move { 1 }
}

#[derive(trace_core::SpanAttributes)]
struct Derived {
    a: u32,
    #[span(display)]
    b: u32,
}

fn main() {
    let _ = Derived { a: 1, b: 2 };
    let _ = sync(1);
    let _ = returns_result();
    let _ = asynchronous(1);
    let _ = future();
}
