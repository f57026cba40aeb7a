use std::future::Future;
use std::pin::Pin;
use trace_core::traced;

#[traced(attrs(n))]
fn tail_async(n: u32) -> impl Future<Output = Result<u32, String>> + Send {
    let doubled = n * 2;
    async move {
        if doubled == 0 {
            return Err("zero".into());
        }
        Ok(doubled)
    }
}

#[traced]
fn boxed<'a>(s: &'a str) -> Pin<Box<dyn Future<Output = usize> + Send + 'a>> {
    Box::pin(async move { s.len() })
}

async fn helper() -> u8 {
    1
}

#[traced]
fn forwards() -> impl Future<Output = u8> {
    helper()
}

#[traced]
fn forwards_boxed() -> Pin<Box<dyn Future<Output = u8>>> {
    let f: Pin<Box<dyn Future<Output = u8>>> = Box::pin(helper());
    f
}

#[traced]
fn async_block_without_move() -> impl Future<Output = ()> {
    async {}
}

fn main() {
    drop(tail_async(1));
    drop(boxed("x"));
    drop(forwards());
    drop(forwards_boxed());
    drop(async_block_without_move());
}
