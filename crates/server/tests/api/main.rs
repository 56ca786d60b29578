//! Black-box tests of the API: every story runs against a real server, over real HTTP, on
//! SQLite and (when `TEST_DATABASE_URL` is set) on PostgreSQL. Tests are named after the rules of
//! DESIGN.md they check.

mod helpers;
mod idp;
mod invitations;

mod api_tokens;
mod apps;
mod audit;
mod auth;
mod authorization;
mod bad_input;
mod billing;
mod chrome;
mod crash;
mod credential_stories;
mod credentials;
mod dns;
mod docs_checks;
mod domains;
mod fair_share;
mod first_impressions;
mod freshness;
mod fuzzing;
mod operator;
mod outbound_guard;
mod portal;
mod portal_http;
mod role_matrix_edges;
mod roles;
mod rule_checks;
mod schema;
mod scim;
mod seat_history;
mod seat_pages;
mod seat_release;
mod seats_property;
mod serving;
mod sessions;
mod settings;
mod sso_app;
mod sso_browser;
mod sso_oidc;
mod sso_saml;
mod teams;
mod tenancy;
mod tenant_trust;
mod usage;
mod usage_input;
mod usage_people;
mod users;
