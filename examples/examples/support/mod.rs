//! What the multi-service examples share: printing the spans of one in-process run as a
//! tree across services, and checking that they form one trace. (Not an example itself: a
//! folder without a `main.rs`.)

use std::collections::HashSet;

use trace_core::SpanData;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Prints `spans` as one indented tree per trace, following remote parents too (each
/// process's exporter would see only its own part; here the services share one exporter).
/// Only the attributes named in `keys` are shown; a span whose parent came from another
/// process is marked with `hop`.
pub(crate) fn print_tree(spans: &[SpanData], keys: &[&str], hop: &str) {
    fn walk(spans: &[SpanData], span: &SpanData, depth: usize, keys: &[&str], hop: &str) {
        let duration = span.duration();
        let marker = if span.parent_is_remote { hop } else { "" };
        let attributes: Vec<String> = span
            .attributes
            .iter()
            .filter(|kv| keys.contains(&&*kv.key))
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        println!(
            "{:indent$}{} [{}] {duration:?} {}{marker}",
            "",
            span.name,
            span.kind.as_str(),
            attributes.join(" "),
            indent = depth * 2
        );
        let mut children: Vec<_> = spans
            .iter()
            .filter(|c| c.parent_span_id == Some(span.span_context.span_id))
            .collect();
        children.sort_by_key(|c| c.start_time);
        for child in children {
            walk(spans, child, depth + 1, keys, hop);
        }
    }
    for root in spans.iter().filter(|s| s.parent_span_id.is_none()) {
        println!("trace {}", root.span_context.trace_id);
        walk(spans, root, 1, keys, hop);
    }
}

/// Checks that `spans` form one trace with a single root and no dangling parent.
pub(crate) fn check_one_trace(spans: &[SpanData]) -> Result<(), Error> {
    let traces: HashSet<_> = spans.iter().map(|s| s.span_context.trace_id).collect();
    if traces.len() != 1 {
        return Err(format!("expected one trace, found {}", traces.len()).into());
    }
    let ids: HashSet<_> = spans.iter().map(|s| s.span_context.span_id).collect();
    let roots = spans.iter().filter(|s| s.parent_span_id.is_none()).count();
    let dangling = spans
        .iter()
        .filter(|s| s.parent_span_id.is_some_and(|p| !ids.contains(&p)))
        .count();
    if roots != 1 || dangling != 0 {
        return Err(format!("{roots} roots and {dangling} spans with a missing parent").into());
    }
    Ok(())
}
