use trace_core::traced;

trait Repo {
    async fn get(&self, id: u32) -> Option<u32>;

    #[traced(name = "Repo::default_method")]
    async fn with_default(&self) -> u32 {
        self.get(1).await.unwrap_or(0)
    }

    #[traced]
    fn sync_default(&self) -> u32 {
        3
    }
}

struct Mem;

#[traced]
impl Repo for Mem {
    async fn get(&self, id: u32) -> Option<u32> {
        Some(id)
    }
}

fn main() {
    drop(Mem.get(1));
    drop(Mem.with_default());
    assert_eq!(Mem.sync_default(), 3);
}
