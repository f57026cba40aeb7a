use trace_core::traced;

#[traced]
trait Fetch {
    fn fetch(&self) -> u8;
}

fn main() {}
