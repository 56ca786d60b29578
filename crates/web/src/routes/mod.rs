//! Every route, grouped by area. Each group lists its handlers with `routes!`, which registers
//! the route and its OpenAPI operation together.

pub mod analytics;
pub mod api_tokens;
pub mod app;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod devices;
pub mod domains;
pub mod health;
pub mod operator;
pub mod org;
pub mod policies;
pub mod roles;
pub mod seats;
pub mod settings;
pub mod teams;
pub mod users;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(operator::provision_customer))
        .routes(routes!(operator::list_plans))
        .routes(routes!(operator::create_subscription))
        .routes(routes!(operator::update_subscription))
        .routes(routes!(operator::set_invoice_status))
        .routes(routes!(operator::operator_set_payment_method))
        .routes(routes!(domains::operator_verify_domain))
        .routes(routes!(domains::list_domains, domains::claim_domain))
        .routes(routes!(domains::verify_domain))
        .routes(routes!(domains::remove_domain))
        .routes(routes!(auth::start_email))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(org::get_org, org::update_org))
        .routes(routes!(teams::list_teams, teams::create_team))
        .routes(routes!(
            teams::get_team,
            teams::update_team,
            teams::delete_team
        ))
        .routes(routes!(users::list_users, users::bulk_add))
        .routes(routes!(users::get_user, users::remove_from_org))
        .routes(routes!(users::add_membership))
        .routes(routes!(users::resend_invitation))
        .routes(routes!(users::update_membership, users::remove_membership))
        .routes(routes!(roles::list_roles, roles::assign_role))
        .routes(routes!(roles::change_role, roles::revoke_role))
        .routes(routes!(audit::audit_log))
        .routes(routes!(api_tokens::list_tokens, api_tokens::create_token))
        .routes(routes!(api_tokens::revoke_token))
        .routes(routes!(billing::list_subscriptions))
        .routes(routes!(
            billing::get_subscription,
            billing::rename_subscription
        ))
        .routes(routes!(billing::set_payment_method))
        .routes(routes!(billing::set_team_allocation, billing::remove_team))
        .routes(routes!(billing::move_team))
        .routes(routes!(billing::compatible_teams))
        .routes(routes!(billing::list_invoices))
        .routes(routes!(billing::get_invoice))
        .routes(routes!(billing::download_invoice))
        .routes(routes!(settings::catalog))
        .routes(routes!(
            settings::get_team_settings,
            settings::patch_team_settings
        ))
        .routes(routes!(policies::list_policies, policies::create_policy))
        .routes(routes!(
            policies::get_policy,
            policies::update_policy,
            policies::delete_policy
        ))
        .routes(routes!(
            policies::list_sso_policies,
            policies::create_sso_policy
        ))
        .routes(routes!(
            policies::get_sso_policy,
            policies::update_sso_policy,
            policies::delete_sso_policy
        ))
        .routes(routes!(policies::list_sso_links, policies::reset_sso_links))
        .routes(routes!(devices::create_key, devices::list_keys))
        .routes(routes!(devices::revoke_key))
        .routes(routes!(devices::list_devices))
        .routes(routes!(devices::rename_device, devices::remove_device))
        .routes(routes!(app::start))
        .routes(routes!(app::verify))
        .routes(routes!(app::sso_start))
        .routes(routes!(app::sso_token))
        .routes(routes!(app::usage))
        .routes(routes!(analytics::team_analytics))
        .routes(routes!(analytics::series))
        .routes(routes!(analytics::users))
        .routes(routes!(analytics::report))
        .routes(routes!(seats::idle_seats))
        .routes(routes!(seats::seat_history))
        .routes(routes!(app::teams))
        .routes(routes!(app::select_team))
        .routes(routes!(app::enroll))
        .routes(routes!(app::entitlement))
}
