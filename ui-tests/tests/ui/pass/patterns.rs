use trace_core::traced;

struct Point {
    x: i64,
    y: i64,
}

#[traced(attrs(a, b, x))]
fn patterns((a, mut b): (u8, u8), Point { x, y: _ }: Point, _: u8, [first, ..]: [u8; 3]) -> u8 {
    b += 1;
    a + b + x as u8 + first
}

#[traced(attrs(count))]
fn mutable(mut count: u32, ref name: String) -> u32 {
    count += name.len() as u32;
    count
}

fn main() {
    assert_eq!(patterns((1, 2), Point { x: 3, y: 4 }, 0, [1, 2, 3]), 8);
    assert_eq!(mutable(1, "ab".to_owned()), 3);
}
