use trace_core::traced;

#[traced(attrs(%route.len()))]
fn fetch(route: &str) {
    let _ = route;
}

fn main() {}
