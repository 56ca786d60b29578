//! Liveness, readiness and Prometheus metrics.

use crate::AppState;
use crate::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use std::sync::OnceLock;
use switchboard_service::ProblemCode;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can reach its database.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.services.store.ping().await {
        (StatusCode::OK, Json(Health { status: "ready" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "database unreachable",
            }),
        )
    }
}

/// Upper bounds (seconds) of the request-duration histogram's buckets: 100 µs to 10 s.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// The process-wide metrics recorder (metrics macros report to one global recorder). Histograms
/// are exported with fixed buckets — constant memory, and aggregatable across instances, unlike
/// summaries — and a background thread folds recorded samples into them every few seconds, so
/// memory stays flat whether or not anyone scrapes `/metrics`.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(DURATION_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (several apps in one test process): then
        // this one only renders what it was given, which is nothing; that is fine for tests.
        let _ = metrics::set_global_recorder(recorder);
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .expect("a thread for metrics upkeep");
        handle
    })
}

/// Who may read the metrics: with `SWITCHBOARD_METRICS_TOKEN` set, whoever sends it as a
/// bearer token; unset, only a scraper on this machine (a loopback address).
fn may_read_metrics(
    token: Option<&str>,
    given: &str,
    peer: std::net::IpAddr,
) -> Result<(), StatusCode> {
    match token {
        Some(expected) if crate::extract::same_secret(given, expected) => Ok(()),
        Some(_) => Err(StatusCode::UNAUTHORIZED),
        None if peer.is_loopback() => Ok(()),
        None => Err(StatusCode::NOT_FOUND),
    }
}

/// Request counts and latencies per route, in the Prometheus text format. With
/// `SWITCHBOARD_METRICS_TOKEN` set, send it as a bearer token; unset, only loopback may read.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    parts: axum::http::request::Parts,
) -> Response {
    let token = state.services.config.metrics_token.as_deref();
    match may_read_metrics(token, crate::extract::bearer(&parts), peer.ip()) {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            recorder().render(),
        )
            .into_response(),
        Err(StatusCode::UNAUTHORIZED) => ApiError::new(
            ProblemCode::Unauthorized,
            "Send the metrics token (SWITCHBOARD_METRICS_TOKEN) as a bearer token.",
        )
        .into_response(),
        Err(_) => ApiError::new(
            ProblemCode::NotFound,
            "There is no such route; see /openapi.json.",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::may_read_metrics;
    use axum::http::StatusCode;

    #[test]
    fn metrics_need_the_token_or_a_loopback_scraper() {
        let (lo, far) = ("127.0.0.1".parse().unwrap(), "203.0.113.9".parse().unwrap());
        assert_eq!(may_read_metrics(Some("s3cret"), "s3cret", far), Ok(()));
        assert_eq!(
            may_read_metrics(Some("s3cret"), "nope", lo),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(may_read_metrics(None, "", lo), Ok(()));
        assert_eq!(may_read_metrics(None, "", far), Err(StatusCode::NOT_FOUND));
    }
}
