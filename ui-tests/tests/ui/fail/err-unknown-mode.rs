use trace_core::traced;

#[traced(err(verbose))]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
