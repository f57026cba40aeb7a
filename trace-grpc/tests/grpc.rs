//! `ServerLayer` and `ClientLayer` around a real tonic server and channel on 127.0.0.1:
//! one trace across the call, the RPC conventions' attributes, statuses (answered, trailers
//! only, unknown method), streaming, cancellation.

mod common;

use std::time::Duration;

use common::{attr, call, client, run, serve, wait_for, HelloRequest};
use tonic::Code;
use trace_core::{span, Instrument, SpanKind, Status};

const SAY_HELLO: &str = "/helloworld.Greeter/SayHello";

#[test]
fn one_trace_from_the_client_span_through_the_server_span_to_the_handler() {
    run(|exporter| async move {
        let addr = serve().await;
        let mut client = client(addr);
        let reply = call(&mut client, SAY_HELLO, "Ada")
            .in_span(span("caller").start_detached())
            .await
            .expect("reply");
        assert_eq!(reply.message, "Hello Ada!");
        wait_for(&exporter, "helloworld.Greeter/SayHello", 2).await;

        let caller = exporter.find("caller").unwrap();
        let spans = exporter.find_all("helloworld.Greeter/SayHello");
        let client_span = spans.iter().find(|s| s.kind == SpanKind::Client).unwrap();
        let server_span = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
        let greet = exporter.find("greet").unwrap();
        let trace = caller.span_context.trace_id;
        for s in [client_span, server_span, &greet] {
            assert_eq!(s.span_context.trace_id, trace, "{}", s.name);
        }
        assert_eq!(
            client_span.parent_span_id,
            Some(caller.span_context.span_id)
        );
        assert_eq!(
            server_span.parent_span_id,
            Some(client_span.span_context.span_id)
        );
        assert_eq!(greet.parent_span_id, Some(server_span.span_context.span_id));
        assert!(server_span.span_context.is_remote || server_span.parent_span_id.is_some());

        for s in [client_span, server_span] {
            assert_eq!(attr(s, "rpc.system.name").as_deref(), Some("grpc"));
            assert_eq!(
                attr(s, "rpc.method").as_deref(),
                Some("helloworld.Greeter/SayHello")
            );
            assert_eq!(attr(s, "rpc.status_code").as_deref(), Some("OK"));
            assert_eq!(attr(s, "server.address").as_deref(), Some("127.0.0.1"));
            assert_eq!(
                attr(s, "server.port").as_deref(),
                Some(addr.port().to_string().as_str())
            );
            assert_eq!(attr(s, "error.type"), None);
            assert_eq!(s.status, Status::Unset);
        }
        assert_eq!(
            attr(server_span, "network.peer.address").as_deref(),
            Some("127.0.0.1")
        );
        assert!(attr(server_span, "network.peer.port").is_some());
        // The server span covers the handler; the client span covers the server span.
        assert!(client_span.start_time <= server_span.start_time);
        assert!(server_span.end_time <= client_span.end_time + Duration::from_millis(50));
    });
}

#[test]
fn statuses_follow_the_conventions_on_each_side() {
    run(|exporter| async move {
        let addr = serve().await;
        let mut client = client(addr);
        for (name, code, server_error) in [
            ("unavailable", Code::Unavailable, true),
            ("internal", Code::Internal, true),
            ("not-found", Code::NotFound, false),
        ] {
            exporter.clear();
            let status = call(&mut client, SAY_HELLO, name).await.unwrap_err();
            assert_eq!(status.code(), code);
            wait_for(&exporter, "helloworld.Greeter/SayHello", 2).await;
            let spans = exporter.find_all("helloworld.Greeter/SayHello");
            let client_span = spans.iter().find(|s| s.kind == SpanKind::Client).unwrap();
            let server_span = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
            let code_name = match code {
                Code::Unavailable => "UNAVAILABLE",
                Code::Internal => "INTERNAL",
                _ => "NOT_FOUND",
            };
            for s in [client_span, server_span] {
                assert_eq!(attr(s, "rpc.status_code").as_deref(), Some(code_name));
            }
            // Any non-OK code is a client error.
            assert!(matches!(client_span.status, Status::Error { .. }), "{name}");
            assert_eq!(attr(client_span, "error.type").as_deref(), Some(code_name));
            // Only the conventions' list is a server error.
            assert_eq!(
                matches!(server_span.status, Status::Error { .. }),
                server_error,
                "{name}"
            );
            assert_eq!(
                attr(server_span, "error.type").is_some(),
                server_error,
                "{name}"
            );
        }
        // The description is the grpc-message.
        exporter.clear();
        let _ = call(&mut client, SAY_HELLO, "unavailable").await;
        wait_for(&exporter, "helloworld.Greeter/SayHello", 2).await;
        let client_span = exporter
            .find_all("helloworld.Greeter/SayHello")
            .into_iter()
            .find(|s| s.kind == SpanKind::Client)
            .unwrap();
        assert_eq!(
            client_span.status,
            Status::Error {
                description: "try later".into()
            }
        );
    });
}

#[test]
fn an_unknown_method_is_named_grpc_with_the_original_kept() {
    run(|exporter| async move {
        let addr = serve().await;
        let mut client = client(addr);
        let status = call(&mut client, "/helloworld.Greeter/NoSuchMethod", "x")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented);
        wait_for(&exporter, "grpc", 2).await;
        for s in exporter.find_all("grpc") {
            assert_eq!(attr(&s, "rpc.method").as_deref(), Some("_OTHER"));
            assert_eq!(
                attr(&s, "rpc.method_original").as_deref(),
                Some("helloworld.Greeter/NoSuchMethod")
            );
            // A trailers-only answer: the status came with the headers.
            assert_eq!(
                attr(&s, "rpc.status_code").as_deref(),
                Some("UNIMPLEMENTED")
            );
            assert!(matches!(s.status, Status::Error { .. }));
            assert_eq!(attr(&s, "error.type").as_deref(), Some("UNIMPLEMENTED"));
            assert_eq!(attr(&s, "span.cancelled"), None);
        }
    });
}

#[test]
fn a_server_stream_keeps_the_span_until_it_ends() {
    run(|exporter| async move {
        let addr = serve().await;
        let mut client = client(addr);
        client.ready().await.unwrap();
        let mut stream = client
            .server_streaming(
                tonic::Request::new(HelloRequest { name: "Bo".into() }),
                http::uri::PathAndQuery::from_static("/helloworld.Greeter/SayHellos"),
                tonic_prost::ProstCodec::<HelloRequest, common::HelloReply>::default(),
            )
            .await
            .unwrap()
            .into_inner();
        let mut replies = Vec::new();
        while let Some(reply) = stream.message().await.unwrap() {
            // The call is still open while messages arrive.
            assert!(exporter
                .find_all("helloworld.Greeter/SayHellos")
                .iter()
                .all(|s| s.kind != SpanKind::Client));
            replies.push(reply.message);
        }
        assert_eq!(replies, ["Hello Bo #0", "Hello Bo #1", "Hello Bo #2"]);
        wait_for(&exporter, "helloworld.Greeter/SayHellos", 2).await;
        let spans = exporter.find_all("helloworld.Greeter/SayHellos");
        let server_span = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
        for s in &spans {
            assert_eq!(attr(s, "rpc.status_code").as_deref(), Some("OK"));
            assert_eq!(attr(s, "span.cancelled"), None);
        }
        // Items made as the body was polled are children of the server span.
        let items = exporter.find_all("stream.item");
        assert_eq!(items.len(), 3);
        for item in items {
            assert_eq!(item.parent_span_id, Some(server_span.span_context.span_id));
        }
    });
}

#[test]
fn a_call_dropped_by_the_caller_is_cancelled_on_both_sides() {
    run(|exporter| async move {
        let addr = serve().await;
        let mut client = client(addr);
        let slow = call(&mut client, SAY_HELLO, "slow");
        let timed_out = tokio::time::timeout(Duration::from_millis(300), slow).await;
        assert!(timed_out.is_err());
        wait_for(&exporter, "helloworld.Greeter/SayHello", 2).await;
        for s in exporter.find_all("helloworld.Greeter/SayHello") {
            assert_eq!(
                attr(&s, "span.cancelled").as_deref(),
                Some("true"),
                "{:?}",
                s.kind
            );
            assert_eq!(attr(&s, "rpc.status_code"), None);
            assert_eq!(s.status, Status::Unset);
        }
    });
}

#[test]
fn a_server_that_is_not_there_is_a_client_error() {
    run(|exporter| async move {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mut client = client(addr);
        let status = call(&mut client, SAY_HELLO, "x").await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status}");
        let spans = exporter.find_all("helloworld.Greeter/SayHello");
        assert_eq!(spans.len(), 1, "only the client's");
        let s = &spans[0];
        assert!(matches!(s.status, Status::Error { .. }));
        assert!(attr(s, "error.type").is_some());
        assert_eq!(attr(s, "span.cancelled"), None);
    });
}
