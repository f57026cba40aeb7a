use trace_core::traced;

#[traced(attrs(id))]
async fn fetch(id: u64) -> Result<u64, std::io::Error> {
    let doubled: u64 = async { id * 2 }.await;
    if doubled == 0 {
        return Err(std::io::Error::other("zero"));
    }
    Ok(doubled)
}

#[traced]
async fn borrowed<'a>(s: &'a str, _t: &str) -> &'a str {
    s
}

#[traced]
async fn unit() {}

#[traced]
async fn question() -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    let n: u32 = "5".parse()?;
    Ok(n)
}

struct Db {
    rows: Vec<u8>,
}

impl Db {
    #[traced]
    async fn rows(&self) -> &[u8] {
        &self.rows
    }
    #[traced]
    async fn push(&mut self, v: u8) -> &mut Vec<u8> {
        self.rows.push(v);
        &mut self.rows
    }
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let f = fetch(1);
    assert_send(&f);
    drop(f);
    drop(borrowed("a", "b"));
    drop(unit());
    drop(question());
    let mut db = Db { rows: vec![] };
    drop(db.rows());
    drop(db.push(1));
}
