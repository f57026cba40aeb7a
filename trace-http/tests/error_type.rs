//! One `error.type` rule for the whole project: `#[traced]`, `SpanRef::record_error` and the
//! HTTP client layer record the same value for the same error type.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use tower::{service_fn, Layer, ServiceExt};
use trace_core::{current_span, traced, Status, Tracer};
use trace_exporters::InMemoryExporter;
use trace_http::ClientLayer;

/// A plain error enum (no `SpanAttributes` derive, so its type name is its `error.type`).
#[derive(Debug)]
enum Failure {
    Refused,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("refused")
    }
}

impl Error for Failure {}

type ArcError = Arc<dyn Error + Send + Sync>;
type BoxError = Box<dyn Error + Send + Sync>;

#[traced]
fn traced_arc() -> Result<(), ArcError> {
    Err(Arc::new(Failure::Refused))
}

#[traced]
fn traced_box() -> Result<(), BoxError> {
    Err(Box::new(Failure::Refused))
}

#[traced]
fn traced_io() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("disk on fire"))
}

#[traced]
fn traced_enum() -> Result<(), Failure> {
    Err(Failure::Refused)
}

/// Runs `make`'s error through the client layer around a service that fails with it.
fn through_client_layer<E>(make: fn() -> E)
where
    E: fmt::Display + fmt::Debug + Send + 'static,
{
    let inner =
        service_fn(
            move |_req: http::Request<()>| async move { Err::<http::Response<()>, E>(make()) },
        );
    let service = ClientLayer::new().layer(inner);
    let req = http::Request::get("http://127.0.0.1:9/").body(()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(runtime.block_on(service.oneshot(req)).is_err());
}

#[test]
fn traced_record_error_and_the_http_layer_agree() {
    let exporter = InMemoryExporter::new();
    let guard = Tracer::builder()
        .simple_exporter(exporter.clone())
        .install_global();

    let error_type_of = |name: &str| {
        let span = exporter
            .find(name)
            .unwrap_or_else(|| panic!("no span {name}"));
        assert!(matches!(span.status, Status::Error { .. }), "{name}");
        let value = span.attribute("error.type").expect("error.type");
        value.as_str().expect("a string").to_owned()
    };
    let record = |name: &'static str, record: &dyn Fn()| {
        let _span = trace_core::span(name).start();
        record();
    };
    let cases: [(&str, String); 4] = {
        let _ = traced_arc();
        let _ = traced_box();
        let _ = traced_io();
        let _ = traced_enum();
        record("record.arc", &|| {
            let e: ArcError = Arc::new(Failure::Refused);
            current_span().record_error(&e);
        });
        record("record.box", &|| {
            let e: BoxError = Box::new(Failure::Refused);
            current_span().record_error(e.as_ref());
        });
        record("record.io", &|| {
            current_span().record_error(&std::io::Error::other("disk on fire"));
        });
        record("record.enum", &|| {
            current_span().record_error(&Failure::Refused);
        });
        [
            ("arc", "_OTHER".to_owned()),
            ("box", "_OTHER".to_owned()),
            // `std::io::Error` records its kind (`SpanError`), everywhere.
            ("io", "Other".to_owned()),
            ("enum", format!("{}::Failure", module_path!())),
        ]
    };
    for (case, want) in &cases {
        assert_eq!(
            &error_type_of(&format!("traced_{case}")),
            want,
            "#[traced] {case}"
        );
        assert_eq!(
            &error_type_of(&format!("record.{case}")),
            want,
            "record_error {case}"
        );
    }

    // The HTTP client layer: each failed call is a `GET` span, in order.
    through_client_layer::<ArcError>(|| Arc::new(Failure::Refused));
    through_client_layer::<BoxError>(|| Box::new(Failure::Refused));
    through_client_layer(|| std::io::Error::other("disk on fire"));
    through_client_layer(|| Failure::Refused);
    let http: Vec<String> = exporter
        .spans()
        .iter()
        .filter(|s| s.name == "GET")
        .map(|s| {
            s.attribute("error.type")
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let want: Vec<String> = cases.iter().map(|(_, w)| w.clone()).collect();
    assert_eq!(http, want, "the HTTP client layer");
    guard.shutdown().unwrap();
}
