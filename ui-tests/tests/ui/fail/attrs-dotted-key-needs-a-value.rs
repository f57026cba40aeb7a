use trace_core::traced;

#[traced(attrs(http.route))]
fn fetch(route: &str) {
    let _ = route;
}

fn main() {}
