use trace_core::traced;

#[traced(attrs(http.respnse.status_code = code))]
fn fetch(code: u16) {
    let _ = code;
}

fn main() {}
