//! HTTP: the JSON API, the operator API and the OpenAPI document. Only translation lives here:
//! parse the request, find the caller ([`extract`]), call one use case, render the answer or a
//! problem ([`problem`]).
//!
//! Map: [`routes`] (one module per area; each handler's doc comment is its OpenAPI summary),
//! [`extract`] (caller, tenant, bodies), [`problem`] (errors → RFC 9457), [`serve`] (start from a
//! listener and a shutdown future, as tests do).

pub mod extract;
pub mod input;
pub mod observe;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod routes;
pub mod scim;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use switchboard_service::Services;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach. Shared: the router hands every request its own copy of the
/// state, so a copy is one reference count, not a clone of every service (that was the largest
/// cost of `/healthz` in our own code).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state's parts.
pub struct Shared {
    pub services: Services,
    /// The operator's bearer token; operator routes are off without one.
    pub operator_token: Option<String>,
    /// The address people reach this service at (`SWITCHBOARD_PUBLIC_URL`, e.g.
    /// `https://admin.example.com`): the origin state-changing browser requests must come from,
    /// and, when it is https, the session cookie is `Secure`. Unset: the request's own `Host`.
    pub public_url: Option<PublicUrl>,
}

impl Shared {
    /// Whether the session cookie carries `Secure`: when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_ref().is_some_and(PublicUrl::is_https)
    }

    /// The public origin (`scheme://host[:port]`), when configured.
    pub fn public_origin(&self) -> Option<&str> {
        self.public_url.as_ref().map(PublicUrl::origin)
    }
}

/// The address people open: `http(s)://host[:port]`, with any path dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(format!(
                "{url:?} is not a URL like https://admin.example.com"
            ));
        };
        if !matches!(scheme, "http" | "https") {
            return Err(format!("{url:?} must start with https:// or http://"));
        }
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("{url:?} has no host"));
        }
        Ok(Self(format!("{scheme}://{}", host.to_ascii_lowercase())))
    }

    pub fn origin(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

pub use input::MAX_BODY_BYTES;

#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard", description = "Organization admin portal and entitlement service."),
    modifiers(&Security),
    tags(
        (name = "health"), (name = "operator"), (name = "sign-in"), (name = "org"),
        (name = "teams"), (name = "users"), (name = "org roles"), (name = "audit"), (name = "billing"),
        (name = "settings"), (name = "policies"), (name = "domains"), (name = "devices"), (name = "seats"), (name = "app")
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The routes and their OpenAPI document, built from the same list so they can't drift.
pub fn router_and_api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::all())
        .split_for_parts();
    // Runs on the whole document: `modifiers(…)` would see it before the routes are merged in.
    utoipa::Modify::modify(&openapi::OrgRoutes, &mut api);
    utoipa::Modify::modify(&openapi::ProblemResponses, &mut api);
    utoipa::Modify::modify(&openapi::Constraints, &mut api);
    (router, api)
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    routes::health::recorder();
    let (router, api) = router_and_api();
    let api_json = api.to_json().expect("the OpenAPI document serializes");
    router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let body = api_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        )
        .merge(pages::router(state.clone()))
        .nest("/scim/v2", scim::router())
        .fallback(pages::errors::fallback)
        .route_layer(axum::middleware::from_fn(observe::route_template))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(axum::middleware::from_fn(observe::observe))
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    #[test]
    fn the_public_address_gives_the_origin_and_the_cookie_flag() {
        let u = PublicUrl::parse("https://Admin.Example.com/portal/").unwrap();
        assert_eq!(u.origin(), "https://admin.example.com");
        assert!(u.is_https());
        assert!(
            !PublicUrl::parse("http://127.0.0.1:8080")
                .unwrap()
                .is_https()
        );
        assert!(PublicUrl::parse("admin.example.com").is_err());
        assert!(PublicUrl::parse("ftp://x").is_err());
    }
}
