use trace_core::traced;

// A mistake in the body is reported on the user's own tokens, as without the attribute.
#[traced]
fn fetch(id: u64) -> Result<u64, String> {
    let doubled: u64 = id * 2;
    Ok(doubled + "one")
}

fn main() {}
