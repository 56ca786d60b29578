//! The Admin Portal: server-rendered pages at `/`, beside the JSON API and calling the same use
//! cases (no business rule lives here or in the templates). Pages read without JavaScript; every
//! form posts, then redirects (post/redirect/get) with a flash message saying what happened.
//!
//! Map: [`browser`] (the signed-in person, CSRF on forms, flash messages, errors as pages),
//! [`shell`] (the layout every page shares: top bar, navigation by role), and one module per
//! area: [`sign_in`], [`sso_sign_in`], [`teams`], [`users`], [`admins`], [`billing`], [`settings`],
//! [`audit`].

pub mod admins;
pub mod analytics;
pub mod api_tokens;
pub mod audit;
pub mod billing;
pub mod browser;
pub mod charts;
pub mod devices;
pub mod domains;
pub mod errors;
pub mod forms;
pub mod human;
pub mod settings;
pub mod shell;
pub mod sign_in;
pub mod sso;
pub mod sso_sign_in;
pub mod teams;
pub mod users;

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::{get, post};

/// The one stylesheet, compiled in.
const STYLESHEET: &str = include_str!("../../assets/portal.css");
/// The icon browsers show in the tab, compiled in (also answered at `/favicon.ico`).
const FAVICON: &str = include_str!("../../assets/favicon.svg");

/// Every page route; an error page is redrawn inside the person's navigation
/// ([`errors::framed`]).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(sign_in::home))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route(
            "/sign-out",
            get(sign_in::sign_out_page).post(sign_in::sign_out),
        )
        .route("/assets/portal.css", get(stylesheet))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/auth/sso/start", get(sso_sign_in::start))
        .route("/auth/oidc/callback", get(sso_sign_in::oidc_callback))
        .route("/auth/saml/{pol}/acs", post(sso_sign_in::saml_acs))
        .route("/auth/saml/continue", post(sso_sign_in::saml_continue))
        .route("/auth/saml/{pol}/metadata", get(sso_sign_in::saml_metadata))
        .route("/orgs/{org}/analytics", get(analytics::show))
        .route(
            "/orgs/{org}/api-tokens",
            get(api_tokens::list).post(api_tokens::create),
        )
        .route(
            "/orgs/{org}/api-tokens/{id}/delete",
            post(api_tokens::revoke),
        )
        .route(
            "/orgs/{org}/settings/sso/{pol}/test",
            post(sso_sign_in::test_start),
        )
        .route("/orgs/{org}", get(teams::org_home))
        .route(
            "/orgs/{org}/onboarding",
            get(teams::onboarding).post(teams::onboard),
        )
        .route("/orgs/{org}/teams", get(teams::list).post(teams::create))
        .route(
            "/orgs/{org}/teams/{team}",
            get(teams::detail).post(teams::edit),
        )
        .route(
            "/orgs/{org}/teams/{team}/enrollment-keys",
            post(devices::create_key),
        )
        .route(
            "/orgs/{org}/teams/{team}/enrollment-keys/{key}/revoke",
            post(devices::revoke_key),
        )
        .route(
            "/orgs/{org}/teams/{team}/devices/{device}/remove",
            post(devices::remove_device),
        )
        .route("/orgs/{org}/teams/{team}/delete", post(teams::delete))
        .route("/orgs/{org}/users", get(users::list).post(users::add))
        .route("/orgs/{org}/users.csv", get(users::export))
        .route("/orgs/{org}/users/{user}", get(users::detail))
        .route(
            "/orgs/{org}/users/{user}/sso-links/reset",
            post(users::reset_sso_links),
        )
        .route(
            "/orgs/{org}/users/{user}/memberships",
            post(users::add_membership),
        )
        .route(
            "/orgs/{org}/users/{user}/memberships/{team}",
            post(users::change_membership),
        )
        .route(
            "/orgs/{org}/users/{user}/memberships/{team}/remove",
            get(users::confirm_remove_membership).post(users::remove_membership),
        )
        .route(
            "/orgs/{org}/users/{user}/invitation",
            post(users::resend_invitation),
        )
        .route(
            "/orgs/{org}/users/{user}/remove",
            get(users::confirm_remove_from_org).post(users::remove_from_org),
        )
        .route("/orgs/{org}/admins", get(admins::list).post(admins::assign))
        .route("/orgs/{org}/admins/{user}", post(admins::change))
        .route("/orgs/{org}/audit", get(audit::list))
        .route("/orgs/{org}/audit.csv", get(audit::export))
        .route("/orgs/{org}/settings", get(settings::settings_home))
        .route(
            "/orgs/{org}/settings/teams/{team}",
            get(settings::team_settings).post(settings::save_team_settings),
        )
        .route(
            "/orgs/{org}/settings/policies",
            get(settings::policies).post(settings::create_policy),
        )
        .route(
            "/orgs/{org}/settings/policies/{pol}",
            get(settings::policy).post(settings::update_policy),
        )
        .route(
            "/orgs/{org}/settings/policies/{pol}/delete",
            post(settings::delete_policy),
        )
        .route(
            "/orgs/{org}/settings/domains",
            get(domains::list).post(domains::claim),
        )
        .route(
            "/orgs/{org}/settings/domains/{domain}/verify",
            post(domains::verify),
        )
        .route(
            "/orgs/{org}/settings/domains/{domain}/remove",
            post(domains::remove),
        )
        .route("/orgs/{org}/settings/sso", get(sso::list).post(sso::create))
        .route(
            "/orgs/{org}/settings/sso/{pol}",
            get(sso::detail).post(sso::update),
        )
        .route("/orgs/{org}/settings/sso/{pol}/delete", post(sso::delete))
        .route("/orgs/{org}/billing", get(billing::list))
        .route("/orgs/{org}/billing/{sub}", get(billing::detail))
        .route(
            "/orgs/{org}/billing/{sub}/allocate",
            post(billing::allocate),
        )
        .route(
            "/orgs/{org}/billing/{sub}/remove-team",
            post(billing::remove_team),
        )
        .route("/orgs/{org}/billing/{sub}/move", post(billing::move_team))
        .route("/orgs/{org}/billing/{sub}/rename", post(billing::rename))
        .route_layer(axum::middleware::from_fn_with_state(state, errors::framed))
}

async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        STYLESHEET,
    )
}
