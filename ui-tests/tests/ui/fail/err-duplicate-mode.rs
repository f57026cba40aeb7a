use trace_core::traced;

#[traced(err(debug, debug))]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
