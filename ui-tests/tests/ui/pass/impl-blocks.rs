use std::fmt;
use trace_core::traced;

struct Service<T> {
    inner: T,
}

#[traced(kind = "server", err(debug))]
impl<T: Clone + fmt::Debug> Service<T> {
    pub fn new(inner: T) -> Self {
        Service { inner }
    }

    #[traced(attrs(id), kind = "client")]
    fn route(&self, id: u32) -> Result<T, String> {
        if id == 0 {
            return Err("no route".into());
        }
        Ok(self.inner.clone())
    }

    #[traced(skip)]
    fn helper(&self) -> &T {
        &self.inner
    }

    const fn constant() -> u8 {
        3
    }

    async fn later(&self) -> T {
        self.inner.clone()
    }
}

#[traced]
impl<T> fmt::Display for Service<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("service")
    }
}

trait Named {
    const NAME: &'static str;
    type Out;
    fn name(&self) -> Self::Out;
}

#[traced]
impl Named for u8 {
    const NAME: &'static str = "u8";
    type Out = &'static str;
    fn name(&self) -> Self::Out {
        Self::NAME
    }
}

#[traced]
impl<'a> Named for &'a str {
    const NAME: &'static str = "str";
    type Out = &'a str;
    fn name(&self) -> &'a str {
        self
    }
}

fn main() {
    let s = Service::new(5u8);
    assert_eq!(s.route(1), Ok(5));
    assert_eq!(*s.helper(), 5);
    assert_eq!(Service::<u8>::constant(), 3);
    drop(s.later());
    assert_eq!(s.to_string(), "service");
    assert_eq!(7u8.name(), "u8");
    assert_eq!("x".name(), "x");
}
