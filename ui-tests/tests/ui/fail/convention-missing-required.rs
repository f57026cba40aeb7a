use trace_core::traced;

#[traced(convention = "http.client", attrs(http.request.method = method))]
fn get(method: &str) {
    let _ = method;
}

fn main() {}
