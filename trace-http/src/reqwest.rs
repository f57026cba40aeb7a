//! `reqwest` integration (feature `reqwest`).

use std::future::Future;

use trace_core::propagation::inject_current;
use trace_core::{current_span, Context, Instrument};

use crate::client::{client_span, inject_span};

mod sealed {
    pub trait Sealed {}
    impl Sealed for reqwest::RequestBuilder {}
}

/// Tracing for [`reqwest::RequestBuilder`].
///
/// # Examples
/// ```no_run
/// use trace_http::RequestBuilderExt;
/// # async fn call() -> Result<(), reqwest::Error> {
/// let client = reqwest::Client::new();
/// // A `Client` span around the call, its context in the request headers:
/// let response = client.get("http://127.0.0.1:8080/users/1").send_traced().await?;
/// // Or only the headers of the current context:
/// let response = client.get("http://127.0.0.1:8080/health").inject_context().send().await?;
/// # Ok(()) }
/// ```
pub trait RequestBuilderExt: sealed::Sealed + Sized {
    /// Adds the current span context and baggage as headers (`traceparent`, `tracestate`,
    /// `baggage`), without opening a span.
    #[must_use]
    fn inject_context(self) -> Self;

    /// Sends the request inside a new `Client` span (a child of the current span) whose
    /// context the request carries, recording the HTTP semantic-convention attributes and
    /// the response status (4xx and 5xx set status `Error`).
    ///
    /// # Errors
    /// As [`reqwest::RequestBuilder::send`].
    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

impl RequestBuilderExt for reqwest::RequestBuilder {
    fn inject_context(self) -> Self {
        let mut headers = http::HeaderMap::new();
        inject_current(&mut headers);
        if headers.is_empty() {
            self
        } else {
            self.headers(headers)
        }
    }

    fn send_traced(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        let (client, request) = self.build_split();
        let context = Context::current();
        let prepared = request.map(|mut req| {
            let url = req.url();
            let mut full = url.clone();
            if !full.username().is_empty() || full.password().is_some() {
                // `url.full` must not carry credentials; failures leave the URL as it was.
                let _ = full.set_username("REDACTED");
                let _ = full.set_password(Some("REDACTED"));
            }
            let span = client_span(
                req.method(),
                Some(full.to_string()),
                url.host_str().map(str::to_owned),
                url.port_or_known_default(),
                Some(url.scheme()),
            )
            .start_detached();
            inject_span(&span.span_context(), &context, req.headers_mut());
            (req, span)
        });
        async move {
            let (req, span) = prepared?;
            async move {
                let result = client.execute(req).await;
                let span = current_span();
                match &result {
                    Ok(response) => {
                        let code = response.status().as_u16();
                        span.set_attribute("http.response.status_code", &i64::from(code));
                        if code >= 400 {
                            span.record_error_parts("", &code.to_string());
                        }
                    }
                    Err(error) => span.record_error(error),
                }
                result
            }
            .in_span(span)
            .in_context(context)
            .await
        }
    }
}
