use trace_core::traced;

#[traced(err = "no")]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {}
