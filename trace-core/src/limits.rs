//! Span limits, with the OpenTelemetry specification's defaults.

/// Bounds on what one span may hold. What goes over a bound is dropped and counted in the
/// span's `dropped_*_count`, never an error.
///
/// # Examples
/// ```
/// use trace_core::SpanLimits;
/// let limits = SpanLimits { max_attribute_value_length: Some(256), ..SpanLimits::default() };
/// assert_eq!(limits.max_attributes_per_span, 128);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanLimits {
    /// Attributes per span (default 128).
    pub max_attributes_per_span: u32,
    /// Events per span (default 128).
    pub max_events_per_span: u32,
    /// Links per span (default 128).
    pub max_links_per_span: u32,
    /// Attributes per event (default 128).
    pub max_attributes_per_event: u32,
    /// Attributes per link (default 128).
    pub max_attributes_per_link: u32,
    /// Longest string value in bytes; longer values are truncated (default: no limit).
    pub max_attribute_value_length: Option<usize>,
}

impl Default for SpanLimits {
    fn default() -> Self {
        SpanLimits {
            max_attributes_per_span: 128,
            max_events_per_span: 128,
            max_links_per_span: 128,
            max_attributes_per_event: 128,
            max_attributes_per_link: 128,
            max_attribute_value_length: None,
        }
    }
}
