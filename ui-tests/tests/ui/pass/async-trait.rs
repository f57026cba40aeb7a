use async_trait::async_trait;
use trace_core::traced;

#[async_trait]
trait Handler {
    async fn handle(&self, req: u32) -> Result<u32, String>;
    async fn other(&self) -> u32;
}

struct Inner;

// `#[async_trait]` first: `#[traced]` sees the `Box::pin(async move { .. })` it produces.
#[async_trait]
impl Handler for Inner {
    #[traced(attrs(req))]
    async fn handle(&self, req: u32) -> Result<u32, String> {
        if req == 0 {
            return Err("zero".into());
        }
        Ok(req)
    }

    #[traced]
    async fn other(&self) -> u32 {
        1
    }
}

struct Outer;

// `#[traced]` first: it instruments the `async fn`s, then `#[async_trait]` boxes them.
#[traced]
#[async_trait]
impl Handler for Outer {
    async fn handle(&self, req: u32) -> Result<u32, String> {
        Ok(req + 1)
    }

    async fn other(&self) -> u32 {
        2
    }
}

fn main() {
    drop(Inner.handle(1));
    drop(Inner.other());
    drop(Outer.handle(1));
    drop(Outer.other());
}
