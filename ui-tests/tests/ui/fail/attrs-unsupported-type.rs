use trace_core::traced;

struct Config {
    retries: u8,
}

#[traced(attrs(config))]
fn fetch(config: &Config) -> u8 {
    config.retries
}

fn main() {}
