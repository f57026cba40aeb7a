use std::fmt::Display;
use trace_core::traced;

#[traced(attrs(%shown))]
fn arg(shown: impl Display, items: impl IntoIterator<Item = u8>) -> u32 {
    items.into_iter().map(u32::from).sum()
}

#[traced]
fn ret(n: u8) -> impl Iterator<Item = u8> {
    (0..n).map(|x| x * 2)
}

#[traced]
fn ret_in_result(n: u8) -> Result<impl Iterator<Item = u8>, String> {
    if n == 0 {
        return Err("empty".to_owned());
    }
    Ok(0..n)
}

#[traced]
fn closure() -> impl Fn(u8) -> u8 {
    |x| x + 1
}

fn main() {
    assert_eq!(arg("x", vec![1, 2]), 3);
    assert_eq!(ret(3).count(), 3);
    assert_eq!(ret_in_result(2).map(Iterator::count), Ok(2));
    assert_eq!(closure()(1), 2);
}
