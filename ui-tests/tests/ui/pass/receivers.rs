use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use trace_core::traced;

#[derive(Clone, Default)]
struct S {
    n: u32,
    name: String,
}

impl S {
    #[traced(attrs(n = self.n))]
    fn by_ref(&self) -> u32 {
        self.n
    }
    #[traced]
    fn by_mut(&mut self) -> &mut u32 {
        &mut self.n
    }
    #[traced]
    fn by_value(self) -> String {
        self.name
    }
    #[traced]
    fn mut_value(mut self) -> u32 {
        self.n += 1;
        self.n
    }
    #[traced]
    fn boxed(self: Box<Self>) -> u32 {
        self.n
    }
    #[traced]
    fn rc(self: Rc<Self>) -> u32 {
        self.n
    }
    #[traced]
    fn arc(self: &Arc<Self>) -> u32 {
        self.n
    }
    #[traced]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.n
    }
    #[traced]
    fn lifetime<'a>(&'a self, other: &'a str) -> &'a str {
        if self.n > 0 { &self.name } else { other }
    }
    #[traced]
    fn associated() -> Self {
        S::default()
    }
}

fn main() {
    let mut s = S::associated();
    *s.by_mut() += 1;
    assert_eq!(s.by_ref(), 1);
    assert_eq!(s.clone().mut_value(), 2);
    assert_eq!(Box::new(s.clone()).boxed(), 1);
    assert_eq!(Rc::new(s.clone()).rc(), 1);
    assert_eq!(Arc::new(s.clone()).arc(), 1);
    assert_eq!(Pin::new(&mut s.clone()).pinned(), 1);
    assert_eq!(s.lifetime("x"), "");
    assert_eq!(s.by_value(), "");
}
