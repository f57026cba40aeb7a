use trace_core::traced;

#[traced(attrs(server.port = host))]
fn connect(host: &str) {
    let _ = host;
}

fn main() {}
