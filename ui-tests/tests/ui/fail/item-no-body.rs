use trace_core::traced;

trait Fetch {
    #[traced]
    fn fetch(&self) -> u8;
}

fn main() {}
