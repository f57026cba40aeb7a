use trace_core::traced;

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

type AppResult<T> = Result<T, MyError>;

#[traced]
fn io() -> std::io::Result<u8> {
    Ok(1)
}

#[traced]
fn any() -> anyhow::Result<u8> {
    anyhow::bail!("failed")
}

#[traced]
fn alias() -> AppResult<u8> {
    Err(MyError)
}

#[traced]
fn fmt_result() -> std::fmt::Result {
    Ok(())
}

#[traced]
async fn async_alias() -> AppResult<u8> {
    Ok(1)
}

fn main() {
    assert!(io().is_ok());
    assert!(any().is_err());
    assert!(alias().is_err());
    assert!(fmt_result().is_ok());
    drop(async_alias());
}
