//! Propagation end to end inside one process: inject from real spans, extract into the
//! parent of new spans, baggage in the context, and the `OTEL_PROPAGATORS` setting.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use trace_core::propagation::{
    current_baggage, extract, extract_baggage, extract_context, inject, inject_context,
    inject_current, set_propagators, Baggage, Propagators,
};
use trace_core::{span, Context, SpanKind, Tracer, TracerGuard};
use trace_exporters::InMemoryExporter;

/// The tracer and the propagator setting are process-wide: one test at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn install() -> (InMemoryExporter, TracerGuard) {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .service_name("propagation-tests")
        .simple_exporter(exporter.clone())
        .install_global();
    (exporter, guard)
}

#[test]
fn a_trace_crosses_a_carrier_intact() {
    let _s = serial();
    let (exporter, guard) = install();
    let mut carrier = HashMap::new();
    let client_cx = {
        let client = span("call backend").kind(SpanKind::Client).start();
        inject_current(&mut carrier);
        client.span_context()
    };
    assert!(carrier["traceparent"].starts_with("00-"));

    // The other side.
    let remote = extract(&carrier).unwrap();
    assert!(remote.is_remote);
    assert_eq!(remote.trace_id, client_cx.trace_id);
    assert_eq!(remote.span_id, client_cx.span_id);
    assert_eq!(remote.trace_flags, client_cx.trace_flags);
    {
        let _server = span("handle").kind(SpanKind::Server).parent(remote).start();
    }
    let server = exporter.find("handle").unwrap();
    assert_eq!(server.span_context.trace_id, client_cx.trace_id);
    assert_eq!(server.parent_span_id, Some(client_cx.span_id));
    assert!(server.parent_is_remote);
    guard.shutdown().unwrap();
}

#[test]
fn unsampled_callers_stay_unsampled_downstream() {
    let _s = serial();
    let (exporter, guard) = install();
    let mut carrier = HashMap::new();
    carrier.insert(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_owned(),
    );
    let remote = extract(&carrier).unwrap();
    let mut downstream = HashMap::new();
    {
        let server = span("handle").parent(remote).start();
        assert!(!server.is_recording());
        inject_current(&mut downstream);
    }
    // Not recorded (parent-based sampling), yet the trace goes on with a new parent id.
    assert!(exporter.is_empty());
    let next = &downstream["traceparent"];
    assert!(
        next.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{next}"
    );
    assert!(next.ends_with("-00"), "{next}");
    assert!(!next.contains("00f067aa0ba902b7"), "{next}");
    guard.shutdown().unwrap();
}

#[test]
fn tracestate_is_forwarded_unchanged() {
    let _s = serial();
    let (_exporter, guard) = install();
    let mut carrier = HashMap::new();
    carrier.insert(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    );
    carrier.insert(
        "tracestate".to_owned(),
        "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE".to_owned(),
    );
    let remote = extract(&carrier).unwrap();
    let mut downstream = HashMap::new();
    {
        let _server = span("handle").parent(remote).start();
        inject_current(&mut downstream);
    }
    assert_eq!(
        downstream["tracestate"],
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    );
    guard.shutdown().unwrap();
}

#[test]
fn baggage_lives_in_the_context() {
    let _s = serial();
    assert!(current_baggage().is_empty());
    let outer = Baggage::new().with("tenant", "acme");
    let _outer = Context::current().with_baggage(outer).attach();
    assert_eq!(current_baggage().get("tenant"), Some("acme"));
    {
        let inner = current_baggage().with("user", "alice");
        let _inner = Context::current().with_baggage(inner).attach();
        assert_eq!(current_baggage().len(), 2);
        let mut carrier = HashMap::new();
        inject_current(&mut carrier);
        assert_eq!(carrier["baggage"], "tenant=acme,user=alice");
        assert!(!carrier.contains_key("traceparent"));
        let received = extract_context(&carrier);
        assert_eq!(received.baggage().unwrap().get("user"), Some("alice"));
        assert!(received.span_context().is_none());
    }
    assert_eq!(current_baggage().len(), 1);
}

#[test]
fn propagators_setting_is_honoured() {
    let _s = serial();
    let cx = Context::new()
        .with_remote_span_context(
            extract(&HashMap::from([(
                "traceparent".to_owned(),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
            )]))
            .unwrap(),
        )
        .with_baggage(Baggage::new().with("k", "v"));

    let injected = |p: Propagators| {
        set_propagators(p);
        let mut carrier = HashMap::new();
        inject_context(&cx, &mut carrier);
        let mut keys: Vec<String> = carrier.keys().cloned().collect();
        keys.sort();
        let extracted = (
            extract(&carrier).is_some(),
            extract_baggage(&carrier).is_some(),
        );
        (keys, extracted)
    };
    let all = injected(Propagators::from_env_value("tracecontext,baggage").unwrap());
    assert_eq!(
        all,
        (vec!["baggage".into(), "traceparent".into()], (true, true))
    );
    let tc = injected(Propagators::from_env_value("tracecontext").unwrap());
    assert_eq!(tc, (vec!["traceparent".into()], (true, false)));
    let bg = injected(Propagators::from_env_value("baggage").unwrap());
    assert_eq!(bg, (vec!["baggage".into()], (false, true)));
    let none = injected(Propagators::from_env_value("none").unwrap());
    assert_eq!(none, (vec![], (false, false)));

    // Extraction is switched off too, whatever the carrier holds.
    let mut full = HashMap::new();
    set_propagators(Propagators::ALL);
    inject_context(&cx, &mut full);
    set_propagators(Propagators::NONE);
    assert!(extract(&full).is_none());
    assert!(extract_baggage(&full).is_none());
    set_propagators(Propagators::default());
    assert!(extract(&full).is_some());
}

#[test]
fn invalid_contexts_are_never_injected() {
    let _s = serial();
    let mut carrier = HashMap::new();
    inject(&trace_core::SpanContext::empty(), &mut carrier);
    inject_current(&mut carrier);
    assert!(carrier.is_empty());
}
