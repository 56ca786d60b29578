//! What every request leaves behind: a server-made request id (in the `X-Request-Id` answer header,
//! the log and the audit log), one access-log line at `info`, and Prometheus metrics.
//!
//! The id is always made here: a client's `X-Request-Id` is never trusted as ours (it could be
//! huge, impersonate another request, or carry a spreadsheet formula into an export). A client
//! value that is short and plain is kept beside ours in the log line only, for correlation.
//!
//! Kept cheap, since every request pays it: the route template travels as the router's own
//! shared string, and the metric handles of each (route, method, status) are registered once
//! and then only added to.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::Instant;
use switchboard_domain::ids::RequestId;

/// A request's counter and duration histogram.
type Handles = (metrics::Counter, metrics::Histogram);

/// Handles per route template, then per (method, status): a handful each.
type HandleTable = HashMap<String, Vec<(&'static str, u16, Handles)>>;
static HANDLES: LazyLock<RwLock<HandleTable>> = LazyLock::new(Default::default);

/// The method as a label; one a client made up is `other`, so labels (and the table) stay
/// bounded.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// The metric handles of this route, method and status, registered on first use.
fn handles(route: &str, method: &Method, status: u16) -> Handles {
    let method = method_label(method);
    let found = HANDLES
        .read()
        .expect("not poisoned")
        .get(route)
        .and_then(|v| {
            v.iter()
                .find(|(m, s, _)| *m == method && *s == status)
                .map(|(_, _, h)| h.clone())
        });
    if let Some(h) = found {
        return h;
    }
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    let h = (
        metrics::counter!("http_requests_total", &labels),
        metrics::histogram!("http_request_duration_seconds", &labels),
    );
    HANDLES
        .write()
        .expect("not poisoned")
        .entry(route.to_owned())
        .or_default()
        .push((method, status, h.clone()));
    h
}

/// The route template a request matched (e.g. `/api/v1/orgs/{org}/users`), carried from the router
/// out to [`observe`] on the response.
#[derive(Clone)]
struct RouteTemplate(MatchedPath);

/// Inside the router: notes which route template matched.
pub async fn route_template(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(route) = route {
        resp.extensions_mut().insert(RouteTemplate(route));
    }
    resp
}

/// A client's own request id, if it is one we can log safely: 1–64 characters of `[A-Za-z0-9._:-]`.
fn client_request_id(req: &Request) -> Option<String> {
    let v = req.headers().get("x-request-id")?.to_str().ok()?;
    let ok = (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then(|| v.to_owned())
}

/// Around everything: makes the request id, times the request, logs it and counts it.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::generate();
    let client_id = client_request_id(&req);
    let header = HeaderValue::from_str(id.as_str()).expect("request ids are ASCII");
    req.headers_mut().insert("x-request-id", header.clone());
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let mut resp = next.run(req).await;
    resp.headers_mut().insert("x-request-id", header);
    // No answer is ever read as another type than it says (a JSON problem as HTML, say).
    resp.headers_mut().insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let route = resp
        .extensions()
        .get::<RouteTemplate>()
        .map(|r| r.0.as_str())
        .unwrap_or("unmatched");
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    tracing::info!(
        target: "switchboard::access",
        method = %method,
        route,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        request_id = %id,
        client_request_id = client_id.as_deref(),
        "request"
    );
    let (count, duration) = handles(route, &method, status);
    count.increment(1);
    duration.record(elapsed.as_secs_f64());
    resp
}
