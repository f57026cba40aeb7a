//! W3C Trace Context and Baggage propagation.

/// W3C Baggage: name/value pairs that travel with the context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baggage {
    entries: Vec<(String, String)>,
}
