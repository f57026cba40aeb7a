use trace_core::traced;

#[traced(attrs(HTTP.Route = route))]
fn fetch(route: &str) {
    let _ = route;
}

fn main() {}
