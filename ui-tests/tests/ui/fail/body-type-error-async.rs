use trace_core::traced;

// A wrong return value in an `async fn` is reported against the declared return type.
#[traced]
async fn fetch(id: u64) -> Result<u64, String> {
    if id == 0 {
        return Ok("zero");
    }
    Ok(id)
}

fn main() {}
