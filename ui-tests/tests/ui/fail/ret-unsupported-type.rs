use trace_core::traced;

struct Config;

#[traced(ret)]
fn fetch() -> Config {
    Config
}

fn main() {}
