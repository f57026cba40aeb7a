//! Parent/child links within a thread, across threads and across `.await`; cancellation
//! and panics.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use trace_core::{
    current_span, current_span_id, current_trace_id, span, AlwaysOff, Context, Instrument,
    SpanKind, Status, Tracer, TracerGuard, Value,
};
use trace_exporters::InMemoryExporter;

/// Tests in this file share the global tracer: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn install() -> (InMemoryExporter, TracerGuard) {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .service_name("context-tests")
        .simple_exporter(exporter.clone())
        .install_global();
    (exporter, guard)
}

/// [`install`] with `sampler` instead of the default one.
fn install_sampling(sampler: impl trace_core::Sampler) -> (InMemoryExporter, TracerGuard) {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .service_name("context-tests")
        .sampler(sampler)
        .simple_exporter(exporter.clone())
        .install_global();
    (exporter, guard)
}

#[test]
fn no_tracer_is_a_noop_and_never_panics() {
    let _s = serial();
    let guard = span("nothing").start();
    assert!(!guard.is_recording());
    current_span().set_attribute("k", &1);
    current_span().record_error_parts("boom", "x");
    assert_eq!(current_trace_id(), None);
    assert!(!guard.span_context().is_valid());
}

#[test]
fn nested_spans_link_parent_and_child() {
    let _s = serial();
    let (exp, guard) = install();
    {
        let outer = span("outer").kind(SpanKind::Server).start();
        assert!(outer.is_recording());
        assert_eq!(current_span_id(), Some(outer.span_context().span_id));
        {
            let _inner = span("inner").start_with(|a| a.set("n", &7));
            current_span().set_attribute("extra", "yes");
        }
        assert_eq!(current_span_id(), Some(outer.span_context().span_id));
    }
    assert_eq!(current_span_id(), None);
    let outer = exp.find("outer").unwrap();
    let inner = exp.find("inner").unwrap();
    assert_eq!(inner.parent_span_id, Some(outer.span_context.span_id));
    assert_eq!(inner.span_context.trace_id, outer.span_context.trace_id);
    assert_eq!(outer.parent_span_id, None);
    assert_eq!(outer.kind, SpanKind::Server);
    assert_eq!(inner.attribute("n"), Some(&Value::I64(7)));
    assert_eq!(
        inner.attribute("extra").and_then(Value::as_str),
        Some("yes")
    );
    assert!(inner.end_time <= outer.end_time && inner.start_time >= outer.start_time);
    assert_eq!(exp.resource().unwrap().service_name(), "context-tests");
    guard.shutdown().unwrap();
}

#[test]
fn context_attach_carries_parent_into_another_thread() {
    let _s = serial();
    let (exp, guard) = install();
    let parent_id = {
        let parent = span("parent").start();
        let cx = Context::current();
        std::thread::spawn(move || {
            let _attached = cx.attach();
            let _child = span("in-thread").start();
        })
        .join()
        .unwrap();
        parent.span_context().span_id
    };
    let child = exp.find("in-thread").unwrap();
    assert_eq!(child.parent_span_id, Some(parent_id));
    // Without attaching, a span on another thread is a root.
    std::thread::spawn(|| drop(span("orphan").start()))
        .join()
        .unwrap();
    assert_eq!(exp.find("orphan").unwrap().parent_span_id, None);
    guard.shutdown().unwrap();
}

#[test]
fn async_spans_follow_tasks_across_worker_threads() {
    let _s = serial();
    let (exp, guard) = install();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..16 {
            let task = async move {
                for j in 0..3 {
                    async {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        tokio::task::yield_now().await;
                        current_span().set_attribute("step", &j);
                    }
                    .in_span(span("step").start_detached())
                    .await;
                }
                i
            }
            .in_span(span("task").start_detached_with(|a| a.set("task", &i)));
            tasks.push(tokio::spawn(task));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let tasks = exp.find_all("task");
    assert_eq!(tasks.len(), 16);
    let steps = exp.find_all("step");
    assert_eq!(steps.len(), 48);
    for step in &steps {
        let parent = exp
            .parent_of(step)
            .expect("each step has its task as parent");
        assert_eq!(parent.name, "task");
        assert!(step.attribute("step").is_some());
    }
    for task in &tasks {
        assert_eq!(exp.children_of(task).len(), 3);
        assert_eq!(task.parent_span_id, None);
    }
    // Nothing leaked onto the runtime's threads.
    assert_eq!(current_span_id(), None);
    guard.shutdown().unwrap();
}

#[test]
fn in_current_context_carries_parent_into_spawned_task() {
    let _s = serial();
    let (exp, guard) = install();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let parent_id = rt.block_on(async {
        let parent = span("request").start_detached();
        let id = parent.span_context().span_id;
        let entered = parent.enter();
        let handle = tokio::spawn(
            async {
                tokio::task::yield_now().await;
                drop(span("spawned").start());
            }
            .in_current_context(),
        );
        drop(entered);
        handle.await.unwrap();
        id
    });
    assert_eq!(exp.find("spawned").unwrap().parent_span_id, Some(parent_id));
    guard.shutdown().unwrap();
}

#[test]
fn dropped_future_is_marked_cancelled() {
    let _s = serial();
    let (exp, guard) = install();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let slow =
            tokio::time::sleep(Duration::from_secs(60)).in_span(span("slow").start_detached());
        tokio::select! {
            () = slow => unreachable!("the timer wins"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        let res = tokio::time::timeout(
            Duration::from_millis(5),
            std::future::pending::<()>().in_span(span("timed-out").start_detached()),
        )
        .await;
        assert!(res.is_err());
        async {}.in_span(span("finished").start_detached()).await;
    });
    for name in ["slow", "timed-out"] {
        let s = exp.find(name).unwrap();
        assert_eq!(
            s.attribute("span.cancelled"),
            Some(&Value::Bool(true)),
            "{name}"
        );
        assert_eq!(s.status, Status::Unset);
    }
    assert_eq!(
        exp.find("finished").unwrap().attribute("span.cancelled"),
        None
    );
    guard.shutdown().unwrap();
}

#[test]
fn panic_ends_the_span_with_error() {
    let _s = serial();
    let (exp, guard) = install();
    let r = std::panic::catch_unwind(|| {
        let _g = span("will-panic").start();
        panic!("kaboom {}", 42);
    });
    assert!(r.is_err());
    let s = exp.find("will-panic").unwrap();
    assert_eq!(s.status, Status::error("kaboom 42"));
    assert_eq!(
        s.attribute("error.type").and_then(Value::as_str),
        Some("panic")
    );
    // The thread's stack is clean afterwards.
    assert_eq!(current_span_id(), None);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let joined = rt.block_on(async {
        tokio::spawn(
            async {
                tokio::task::yield_now().await;
                panic!("async kaboom");
            }
            .in_span(span("async-panic").start_detached()),
        )
        .await
    });
    assert!(joined.is_err());
    let s = exp.find("async-panic").unwrap();
    assert_eq!(s.status, Status::error("async kaboom"));
    assert_eq!(s.attribute("span.cancelled"), None);
    guard.shutdown().unwrap();
}

#[test]
fn unsampled_spans_propagate_context_but_record_nothing() {
    let _s = serial();
    let (exp, guard) = install_sampling(AlwaysOff);
    {
        let root = span("root").start();
        assert!(!root.is_recording());
        let cx = root.span_context();
        assert!(cx.is_valid() && !cx.is_sampled());
        let child = span("child").start();
        assert_eq!(child.span_context().trace_id, cx.trace_id);
        assert_eq!(current_trace_id(), Some(cx.trace_id));
    }
    assert!(exp.is_empty());
    guard.shutdown().unwrap();
}

/// A root that is not sampled makes its ids only when asked, and then keeps them: asked
/// first from a child (through the current context), from the root's guard, from a detached
/// span, they all agree, and what is injected says "not sampled".
#[test]
fn lazy_unsampled_roots_make_ids_once_when_asked() {
    let _s = serial();
    let (exp, guard) = install_sampling(trace_core::ParentBased::new(AlwaysOff));
    {
        let root = span("root").start();
        let seen_in_child = {
            let _child = span("child").start();
            current_trace_id()
        };
        let root_cx = root.span_context();
        assert!(root_cx.is_valid() && !root_cx.is_sampled());
        assert_eq!(seen_in_child, Some(root_cx.trace_id));
        assert_eq!(root.span_context(), root_cx, "ids are made once");
        let mut headers = std::collections::HashMap::new();
        trace_core::propagation::inject_current(&mut headers);
        let sent = headers.get("traceparent").cloned().unwrap_or_default();
        assert_eq!(
            sent,
            format!("00-{}-{}-02", root_cx.trace_id, root_cx.span_id)
        );
        // A second root after the first ended gets its own trace.
        drop(root);
        let again = span("root2").start();
        assert_ne!(again.span_context().trace_id, root_cx.trace_id);
        let detached = span("detached").no_parent().start_detached();
        let d1 = detached.span_context();
        assert!(d1.is_valid() && !d1.is_sampled());
        assert_eq!(detached.span_context(), d1);
    }
    assert!(current_trace_id().is_none(), "the stack is empty again");
    assert!(exp.is_empty());
    guard.shutdown().unwrap();
}

/// A lazy root that is still pending (only in the fast-path cells) and the thread's stack
/// stay consistent whatever happens around it: contexts attached inside it, spans that push
/// onto the stack, guards dropped out of order.
#[test]
fn lazy_roots_interleave_with_the_stack() {
    let _s = serial();
    let (_exp, guard) = install_sampling(AlwaysOff);
    {
        let span_a = span("a").start();
        let remote = trace_core::SpanContext::new(
            trace_core::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            trace_core::SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            trace_core::TraceFlags::default(),
            true,
            trace_core::TraceState::default(),
        );
        {
            let _attached = Context::new()
                .with_remote_span_context(remote.clone())
                .attach();
            assert_eq!(current_trace_id(), Some(remote.trace_id));
            // Under span_a remote unsampled parent: nothing pushed, the remote context stays.
            let inner = span("inner").start();
            assert_eq!(inner.span_context(), remote);
        }
        let a_cx = span_a.span_context();
        assert_eq!(current_trace_id(), Some(a_cx.trace_id));
        // A root with extras goes through the general path and is pushed above `span_a`.
        let span_b = span("b").no_parent().start();
        let b_cx = span_b.span_context();
        assert_ne!(b_cx.trace_id, a_cx.trace_id);
        drop(span_a); // out of order: `span_b` stays current
        assert_eq!(current_trace_id(), Some(b_cx.trace_id));
        drop(span_b);
        assert_eq!(current_trace_id(), None);
        // Pending again, then left without anything looking at it.
        let span_c = span("c").start();
        drop(span_c);
        assert_eq!(current_trace_id(), None);
        // A new root after that is span_a root again (not span_a child of span_a stale state).
        let span_d = span("d").start();
        let span_e = span("e").start();
        assert_eq!(
            span_e.span_context().trace_id,
            span_d.span_context().trace_id
        );
    }
    assert_eq!(current_trace_id(), None);
    guard.shutdown().unwrap();
}

/// An unsampled root around a future: its ids are made when first asked, on whatever
/// poll that is, and stay the same on every later poll, on any worker thread.
#[test]
fn lazy_root_futures_keep_their_ids_across_polls() {
    let _s = serial();
    let (_exp, guard) = install_sampling(AlwaysOff);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        let task = async {
            tokio::task::yield_now().await;
            let first = current_trace_id();
            tokio::time::sleep(Duration::from_millis(2)).await;
            let second = current_trace_id();
            let child = span("child").start().span_context();
            (first, second, child.trace_id)
        }
        .in_span(span("root").start_detached());
        tokio::spawn(task).await.unwrap()
    });
    let (first, second, child) = seen;
    assert!(first.is_some());
    assert_eq!(first, second);
    assert_eq!(Some(child), first);
    drop(rt);
    assert_eq!(current_trace_id(), None);
    guard.shutdown().unwrap();
}

/// A sampler that is asked every time (no fixed decision) sees the lazy root's ids as the
/// parent of a child span.
#[test]
fn samplers_without_fixed_decisions_see_the_lazy_parent() {
    type Seen = std::sync::Arc<Mutex<Vec<Option<trace_core::SpanContext>>>>;
    #[derive(Debug, Default)]
    struct Recording(Seen);
    impl trace_core::Sampler for Recording {
        fn should_sample(
            &self,
            parent: Option<&trace_core::SpanContext>,
            _: trace_core::TraceId,
            _: &str,
            _: SpanKind,
            _: &[trace_core::KeyValue],
        ) -> trace_core::SamplingDecision {
            self.0.lock().unwrap().push(parent.cloned());
            trace_core::SamplingDecision::Drop
        }
        fn description(&self) -> String {
            "Recording".into()
        }
    }
    let _s = serial();
    let seen_by_sampler = Seen::default();
    let guard = Tracer::builder()
        .sampler(Recording(seen_by_sampler.clone()))
        .simple_exporter(InMemoryExporter::new())
        .install_global();
    {
        let root = span("root").start();
        let _child = span("child").start();
        let root_cx = root.span_context();
        let seen = seen_by_sampler.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], None);
        assert_eq!(seen[1].as_ref().map(|p| p.span_id), Some(root_cx.span_id));
    }
    guard.shutdown().unwrap();
}

#[test]
fn errors_events_links_and_limits() {
    let _s = serial();
    let exp = InMemoryExporter::new();
    let guard = Tracer::builder()
        .simple_exporter(exp.clone())
        .limits(trace_core::SpanLimits {
            max_attributes_per_span: 2,
            max_events_per_span: 1,
            max_attribute_value_length: Some(4),
            ..Default::default()
        })
        .install_global();
    let other = span("other").start().span_context();
    {
        let g = span("work").link(other.clone()).start();
        g.set_attribute("a", "abcdefgh");
        g.set_attribute("b", &2);
        g.set_attribute("c", &3);
        let err = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        g.record_error(&err);
        g.record_exception(&err);
        g.add_event("second", vec![]);
    }
    let s = exp.find("work").unwrap();
    assert_eq!(s.status, Status::error("no such file"));
    assert_eq!(s.attribute("a").and_then(Value::as_str), Some("abcd"));
    // a, b kept; c and error.type dropped by the limit of 2
    assert_eq!(s.attributes.len(), 2);
    assert_eq!(s.dropped_attributes_count, 2);
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].name, "exception");
    assert_eq!(s.dropped_events_count, 1);
    assert_eq!(s.links.len(), 1);
    assert_eq!(s.links[0].span_context.span_id, other.span_id);
    guard.shutdown().unwrap();
}

/// A detached span (a future's) under a parent that is not sampled records nothing but has a
/// context of its own in the parent's trace: the parent's trace id and trace state, a new
/// span id, not sampled, not remote. Under a lazy root it makes the root's ids first.
#[test]
fn detached_spans_under_unsampled_parents_get_their_own_context() {
    let _s = serial();
    let (exp, guard) = install_sampling(trace_core::ParentBased::new(AlwaysOff));
    let state = trace_core::TraceState::from_members(vec![("congo".into(), "t61rcWkgMzE".into())]);
    let remote = trace_core::SpanContext::new(
        trace_core::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        trace_core::SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        trace_core::TraceFlags::default(),
        true,
        state.clone(),
    );
    {
        let _attached = Context::new()
            .with_remote_span_context(remote.clone())
            .attach();
        let child = span("child").start_detached();
        let cx = child.span_context();
        assert_eq!(cx.trace_id, remote.trace_id);
        assert_ne!(cx.span_id, remote.span_id);
        assert!(cx.is_valid() && !cx.is_sampled() && !cx.is_remote);
        assert_eq!(cx.trace_state, state);
        assert!(!child.is_recording());
    }
    {
        let root = span("root").start();
        let child = span("child").start_detached();
        let root_cx = root.span_context();
        let cx = child.span_context();
        assert!(root_cx.is_valid() && !root_cx.is_sampled());
        assert_eq!(cx.trace_id, root_cx.trace_id);
        assert_ne!(cx.span_id, root_cx.span_id);
        assert!(cx.is_valid() && !cx.is_sampled());
    }
    assert!(current_trace_id().is_none(), "the stack is empty again");
    assert!(exp.is_empty());
    guard.shutdown().unwrap();
}

/// A context whose span context is not valid (all-zero ids, as `SpanContext::empty()`) is
/// no parent: a sampled span started under it, entered or detached, is a root of a new
/// trace with valid ids.
#[test]
fn invalid_parents_make_roots() {
    let _s = serial();
    let (exp, guard) = install();
    {
        let _attached = Context::new()
            .with_remote_span_context(trace_core::SpanContext::empty())
            .attach();
        let entered = span("entered").start();
        let cx = entered.span_context();
        assert!(cx.is_valid() && cx.is_sampled());
        drop(entered);
        let detached = span("detached").start_detached();
        let cx = detached.span_context();
        assert!(cx.is_valid() && cx.is_sampled());
    }
    let spans = exp.spans();
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert!(s.span_context.trace_id.is_valid(), "{}", s.name);
        assert_eq!(s.parent_span_id, None, "{}", s.name);
    }
    guard.shutdown().unwrap();
}

/// A shared span that records nothing, entered where nothing is entered, shows its own
/// ids to whatever asks (and to spans started under it); once it is left, a root nobody
/// samples gets new ids, not the ones kept for it.
#[test]
fn a_shared_span_that_records_nothing_shows_its_ids_where_it_is_entered() {
    let _serial = serial();
    let (_exporter, guard) = install_sampling(AlwaysOff);
    let ids = trace_core::SpanContext::new(
        trace_core::TraceId::random(),
        trace_core::SpanId::random(),
        trace_core::TraceFlags::RANDOM,
        false,
        trace_core::TraceState::default(),
    );
    let shared = trace_core::SharedSpan::not_recording(ids.clone());
    std::thread::spawn(move || {
        let entered = shared.enter();
        assert_eq!(current_trace_id(), Some(ids.trace_id));
        assert_eq!(current_span_id(), Some(ids.span_id));
        {
            let child = span("child").start_detached();
            assert!(!child.is_recording());
            assert_eq!(child.span_context().trace_id, ids.trace_id);
        }
        assert!(shared.exit(entered));
        assert_eq!(current_trace_id(), None);

        // Entered and left with nothing asking: the ids kept for it are not a later
        // root's.
        let entered = shared.enter();
        assert!(shared.exit(entered));
        let lazy = trace_core::enter_not_sampled();
        let later = current_trace_id().expect("a lazy root gets ids when asked");
        assert_ne!(later, ids.trace_id);
        assert!(trace_core::leave_not_sampled(lazy).is_some());
    })
    .join()
    .unwrap();
    guard.shutdown().unwrap();
}
