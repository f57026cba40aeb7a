use trace_core::traced;

#[traced(attrs(server.port = %port))]
fn connect(port: u16) {
    let _ = port;
}

fn main() {}
