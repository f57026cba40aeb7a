use trace_core::traced;

struct Service;

#[traced]
impl Service {
    #[traced(name = "answer")]
    const fn answer() -> u8 {
        42
    }
}

fn main() {}
