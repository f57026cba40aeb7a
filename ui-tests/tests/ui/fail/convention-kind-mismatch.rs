use trace_core::traced;

#[traced(
    convention = "rpc.call.client",
    kind = "server",
    attrs(rpc.system.name = "grpc")
)]
fn call() {}

fn main() {}
