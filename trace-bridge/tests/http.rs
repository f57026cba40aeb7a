//! The real stack: an axum route behind tower-http's `TraceLayer`, a `#[traced]` handler,
//! a `#[tracing::instrument]` function, a `#[traced]` function, `tracing` and `log` events:
//! one tree.

mod support;

use axum::routing::get;
use axum::Router;
use support::{assert_child, exporter, only};
use tower_http::trace::TraceLayer;
use trace_core::traced;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[traced]
fn cache_get(id: u64) -> Option<String> {
    tracing::info!(id, "cache miss");
    None
}

#[tracing::instrument]
fn legacy_lookup(id: u64) -> String {
    log::warn!("slow lookup");
    cache_get(id).unwrap_or_else(|| format!("order {id}"))
}

#[traced]
async fn handle_order() -> String {
    tokio::task::yield_now().await;
    legacy_lookup(42)
}

#[test]
fn a_request_is_one_tree() {
    exporter();
    tracing_subscriber::registry()
        .with(trace_bridge::tracing_layer())
        .init();
    trace_bridge::Logger::new(
        env_logger::Builder::new()
            .filter_level(log::LevelFilter::Warn)
            .build(),
    )
    .with_span_events(true)
    .install(log::LevelFilter::Warn)
    .unwrap();

    let runtime = support::runtime();
    let body = runtime.block_on(async {
        let app = Router::new()
            .route("/orders", get(handle_order))
            .layer(TraceLayer::new_for_http());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        reqwest::get(format!("http://{addr}/orders"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert_eq!(body, "order 42");
    // tower-http's request span closes when the response body is done: wait for it.
    for _ in 0..200 {
        if exporter().find("request").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(runtime);

    let request = only("request");
    let handler = only("handle_order");
    let legacy = only("legacy_lookup");
    let cache = only("cache_get");
    assert_eq!(request.parent_span_id, None);
    assert_child(&handler, &request);
    assert_child(&legacy, &handler);
    assert_child(&cache, &legacy);
    assert!(
        cache.events.iter().any(|e| e.name == "cache miss"),
        "{cache:#?}"
    );
    assert!(
        legacy.events.iter().any(|e| e.name == "slow lookup"),
        "{legacy:#?}"
    );
    assert_eq!(
        request.attribute("method"),
        Some(&trace_core::Value::from("GET"))
    );
}
