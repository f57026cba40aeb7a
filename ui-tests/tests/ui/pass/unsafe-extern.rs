use trace_core::traced;

#[traced]
unsafe fn raw_read(p: *const u32) -> u32 {
    unsafe { *p }
}

#[traced]
extern "C" fn c_abi(x: i32) -> i32 {
    x * 2
}

#[traced]
unsafe extern "C" fn both(x: i32) -> i32 {
    x + 1
}

#[traced]
pub(crate) fn visibility() {}

fn main() {
    let v = 7;
    assert_eq!(unsafe { raw_read(&v) }, 7);
    assert_eq!(c_abi(2), 4);
    assert_eq!(unsafe { both(1) }, 2);
    visibility();
}
