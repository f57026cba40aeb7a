use trace_core::traced;

#[traced]
fn early(n: i32) -> Result<i32, String> {
    if n < 0 {
        return Err("negative".into());
    }
    let parsed: i32 = "12".parse().map_err(|e: std::num::ParseIntError| e.to_string())?;
    Ok(parsed + n)
}

#[traced]
fn option_question(v: &[u8]) -> Option<u8> {
    let first = v.first()?;
    Some(*first)
}

#[traced]
fn question_converts(s: &str) -> Result<u32, Box<dyn std::error::Error>> {
    Ok(s.parse::<u32>()?)
}

#[traced(attrs(n))]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[traced]
fn diverges() -> ! {
    std::process::exit(0)
}

#[traced]
fn loops() -> u8 {
    let mut i = 0;
    loop {
        i += 1;
        if i == 3 {
            break i;
        }
    }
}

#[traced]
fn inferred_collect() -> Vec<u8> {
    (0..3).collect()
}

#[traced]
fn into_target() -> String {
    "x".into()
}

fn main() {
    assert_eq!(early(1), Ok(13));
    assert_eq!(option_question(&[]), None);
    assert!(question_converts("x").is_err());
    assert_eq!(fib(10), 55);
    assert_eq!(loops(), 3);
    assert_eq!(inferred_collect().len(), 3);
    assert_eq!(into_target(), "x");
    if std::env::args().count() > 100 {
        diverges();
    }
}
