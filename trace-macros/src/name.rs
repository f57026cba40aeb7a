//! The span-name and attribute-key grammar, shared with trace-core: one source of truth.

#[allow(dead_code)]
#[path = "../../trace-core/src/name.rs"]
mod grammar;

pub(crate) use grammar::{check_attribute_key, check_span_name};
