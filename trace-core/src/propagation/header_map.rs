//! [`Injector`] and [`Extractor`] for `http::HeaderMap` (feature `http`).

use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::{Extractor, Injector};

/// Stands for a header value that is not visible ASCII: it still counts (so a repeated
/// `traceparent` is seen) and fails every grammar (so it is rejected like any bad value).
const UNREADABLE: &str = "\u{0}";

#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
impl Injector for HeaderMap {
    /// Sets the header, replacing all previous values. Names and values that HTTP does not
    /// allow are skipped (the propagators only produce valid ones).
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::try_from(value),
        ) {
            self.insert(name, value);
        }
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
impl Extractor for HeaderMap {
    /// The first value of the header (names are case-insensitive). `None` when absent or not
    /// visible ASCII.
    fn get(&self, key: &str) -> Option<&str> {
        HeaderMap::get(self, key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        HeaderMap::keys(self).map(HeaderName::as_str).collect()
    }

    /// Every value of the header, in the order received.
    fn get_all(&self, key: &str) -> Vec<&str> {
        HeaderMap::get_all(self, key)
            .iter()
            .map(|v| v.to_str().unwrap_or(UNREADABLE))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::propagation::{extract, extract_baggage, inject_baggage, Baggage};

    const TP: &str = "00-12345678901234567890123456789012-1234567890123456-01";

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn repeated_tracestate_fields_join_in_order() {
        let h = headers(&[
            ("traceparent", TP.as_bytes()),
            ("tracestate", b"foo=1,bar=2"),
            ("TraceState", b"rojo=1,congo=2"),
            ("tracestate", b"baz=3"),
        ]);
        let cx = extract(&h).unwrap();
        assert_eq!(cx.trace_state.header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
    }

    #[test]
    fn duplicate_key_across_fields_keeps_the_first_member() {
        // Trace Context, 2026 revision: the header is kept with one `foo` member (it was
        // discarded before).
        let h = headers(&[
            ("traceparent", TP.as_bytes()),
            ("tracestate", b"foo=1"),
            ("tracestate", b"foo=2,bar=3"),
        ]);
        assert_eq!(extract(&h).unwrap().trace_state.header(), "foo=1,bar=3");
    }

    #[test]
    fn repeated_traceparent_is_invalid() {
        let h = headers(&[
            ("traceparent", TP.as_bytes()),
            ("traceparent", TP.as_bytes()),
        ]);
        assert!(extract(&h).is_none());
        let h = headers(&[("traceparent", TP.as_bytes()), ("traceparent", b"\xff")]);
        assert!(extract(&h).is_none());
    }

    #[test]
    fn non_ascii_values_are_rejected() {
        let h = headers(&[("traceparent", TP.as_bytes()), ("tracestate", b"foo=\xe9")]);
        let cx = extract(&h).unwrap();
        assert!(cx.trace_state.is_empty());
    }

    #[test]
    fn baggage_fields_are_combined_and_injected() {
        let h = headers(&[
            ("baggage", b"userId=alice"),
            ("Baggage", b"serverNode=DF%2028, isProduction=false"),
        ]);
        let b = extract_baggage(&h).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b.get("serverNode"), Some("DF 28"));
        let mut out = HeaderMap::new();
        inject_baggage(&Baggage::new().with("k", "a b"), &mut out);
        assert_eq!(out["baggage"], "k=a%20b");
    }
}
