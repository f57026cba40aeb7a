use std::fmt::Debug;
use trace_core::traced;

#[traced]
fn generic<T: Clone + Debug, U>(t: &T, _u: U) -> T
where
    U: Into<u64>,
{
    t.clone()
}

#[traced]
fn lifetimes<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    a
}

#[traced]
fn elided(s: &str) -> &str {
    &s[1..]
}

#[traced(attrs(n = N))]
fn const_generic<const N: usize>(arr: [u8; N]) -> usize {
    arr.len()
}

#[traced(attrs(value))]
fn captured_generic<T: trace_core::ToValue>(value: T) -> T {
    value
}

#[traced]
fn higher_ranked<F>(f: F) -> usize
where
    F: for<'x> Fn(&'x str) -> &'x str,
{
    f("abc").len()
}

fn main() {
    assert_eq!(generic(&5, 3u8), 5);
    assert_eq!(lifetimes("a", "b"), "a");
    assert_eq!(elided("ab"), "b");
    assert_eq!(const_generic([1, 2, 3]), 3);
    assert_eq!(captured_generic(7u8), 7);
    assert_eq!(higher_ranked(|s| s), 3);
}
