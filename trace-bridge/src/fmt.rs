//! Trace and span ids in `tracing_subscriber::fmt` lines.

use std::cell::RefCell;
use std::fmt;

use tracing_core::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// An event format that adds the current span's `trace_id` and `span_id` to each line
/// written inside a span: the same hex as the exported span, so a trace's lines are one
/// `grep` away. Wraps any format: the plain ones get `trace_id=.. span_id=.. ` in front of
/// the line; a JSON object (`fmt::format().json()`) gets `"trace_id"` and `"span_id"` as its
/// first keys. Lines outside any span are unchanged.
///
/// The ids are traced's current span: a `#[traced]` span, or a `tracing` span bridged by
/// [`tracing_layer`](crate::tracing_layer) (add that layer to the same subscriber).
///
/// # Examples
/// ```
/// use tracing_subscriber::fmt;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let plain = fmt::layer().event_format(trace_bridge::WithTraceIds::new(fmt::format()));
/// let json = fmt::layer()
///     .json()
///     .event_format(trace_bridge::WithTraceIds::new(fmt::format().json()));
/// let subscriber = tracing_subscriber::registry()
///     .with(trace_bridge::tracing_layer())
///     .with(plain)
///     .with(json);
/// # drop(subscriber);
/// ```
#[derive(Clone, Debug, Default)]
pub struct WithTraceIds<F> {
    inner: F,
}

impl<F> WithTraceIds<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        WithTraceIds { inner }
    }

    /// The wrapped format.
    pub fn get_ref(&self) -> &F {
        &self.inner
    }
}

thread_local! {
    /// A line being formatted, to put the ids inside a JSON object (kept per thread: no
    /// allocation per line once warm).
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some((trace_id, span_id)) =
            trace_core::current_trace_id().zip(trace_core::current_span_id())
        else {
            return self.inner.format_event(ctx, writer, event);
        };
        if writer.has_ansi_escapes() {
            // Colours are only kept by writing straight through (JSON never has them).
            write!(writer, "trace_id={trace_id} span_id={span_id} ")?;
            return self.inner.format_event(ctx, writer, event);
        }
        let formatted = LINE.try_with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                return None; // re-entered from inside the inner format
            };
            line.clear();
            let result = self
                .inner
                .format_event(ctx, Writer::new(&mut *line), event)
                .and_then(|()| {
                    if let Some(rest) = line.strip_prefix('{') {
                        let comma = if rest.trim_start().starts_with('}') {
                            ""
                        } else {
                            ","
                        };
                        write!(
                            writer,
                            "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"{comma}{rest}"
                        )
                    } else {
                        write!(writer, "trace_id={trace_id} span_id={span_id} {line}")
                    }
                });
            Some(result)
        });
        if let Ok(Some(result)) = formatted {
            return result;
        }
        write!(writer, "trace_id={trace_id} span_id={span_id} ")?;
        self.inner.format_event(ctx, writer, event)
    }
}
