use trace_core::traced;

#[traced(attrs(http.method = method))]
fn handle(method: &str) {
    let _ = method;
}

fn main() {}
