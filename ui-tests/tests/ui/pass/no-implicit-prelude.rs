#![no_implicit_prelude]

extern crate std;
extern crate trace_core;

use trace_core::traced;

#[traced(attrs(x))]
fn sync(x: u32) -> std::result::Result<u32, std::string::String> {
    std::result::Result::Ok(x)
}

#[traced]
async fn asynchronous(x: u32) -> u32 {
    x
}

#[traced]
fn boxed() -> std::pin::Pin<std::boxed::Box<dyn std::future::Future<Output = u8>>> {
    let f: std::pin::Pin<std::boxed::Box<dyn std::future::Future<Output = u8>>> =
        std::boxed::Box::pin(async { 1 });
    f
}

#[derive(trace_core::SpanAttributes)]
struct Derived {
    a: u32,
}

#[derive(trace_core::SpanAttributes)]
enum Kind {
    A,
}

fn main() {
    let _ = sync(1);
    let _ = asynchronous(1);
    let _ = boxed();
    let _ = Derived { a: 1 }.a;
    let _ = Kind::A;
}
