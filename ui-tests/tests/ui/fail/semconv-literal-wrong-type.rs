use trace_core::traced;

#[traced(attrs(http.response.status_code = "200"))]
fn fetch() {}

fn main() {}
