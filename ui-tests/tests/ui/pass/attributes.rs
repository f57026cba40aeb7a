use trace_core::traced;

/// Doc comments stay on the function.
#[traced]
#[inline]
#[must_use]
fn documented() -> u8 {
    1
}

#[cfg(any())]
#[traced]
fn compiled_out() -> DoesNotExist {}

#[traced]
#[cfg(not(any()))]
fn compiled_in() {}

#[traced]
#[allow(clippy::needless_return)]
#[deprecated = "old"]
fn old() -> u8 {
    return 2;
}

#[traced]
#[track_caller]
fn caller() -> u32 {
    std::panic::Location::caller().line()
}

#[allow(deprecated)]
fn main() {
    assert_eq!(documented(), 1);
    compiled_in();
    assert_eq!(old(), 2);
    assert!(caller() > 0);
}
