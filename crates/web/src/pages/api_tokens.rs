//! API tokens in the portal (`/orgs/{org}/api-tokens`, Org Admins): the organization's tokens
//! (prefix, scopes, creator, created, last used, expiry), **Create API token** — the secret is
//! shown once, on the page that answers the form, never in a redirect — and revoke.

use super::browser::{FieldError, FormError, OrgPage, PageAt, PageForm, PageResult, done, page};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::access::{Action, ApiScope};
use switchboard_domain::ids::ApiTokenId;
use switchboard_service::api_tokens::{ApiTokenView, CreateApiToken};

#[derive(askama::Template)]
#[template(path = "portal/api_tokens.html")]
struct TokensPage {
    shell: Shell,
    org: String,
    tokens: Vec<ApiTokenView>,
    /// A token just created: its secret, shown this once.
    created: Option<(String, String)>,
    name: String,
    scopes: Vec<String>,
    error: Option<FormError>,
    /// Where identity providers provision users (with a `scim` token).
    scim_url: String,
    /// The service's public address, for the example request.
    api_base: String,
}

async fn tokens_page(
    state: &AppState,
    p: &OrgPage,
    created: Option<(String, String)>,
    form: (String, Vec<String>),
    error: Option<FormError>,
) -> PageResult {
    p.who.may(Action::ManageApiTokens)?;
    let tokens = state.services.list_api_tokens(&p.who).await?;
    let shell = Shell::for_org(state, p, "API tokens", Section::ApiTokens).await?;
    Ok(page(
        &p.browser,
        &TokensPage {
            shell,
            org: p.who.org.to_string(),
            tokens,
            created,
            name: form.0,
            scopes: form.1,
            error,
            scim_url: format!("{}/scim/v2", state.services.config.base_url),
            api_base: state.services.config.base_url.clone(),
        },
    ))
}

/// `/orgs/{org}/api-tokens`.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    tokens_page(&state, &p, None, (String::new(), vec!["read".into()]), None).await
}

pub async fn create(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let name = f.get("name").to_owned();
    let scopes = f.all("scopes");
    let parsed: Result<Vec<ApiScope>, _> = scopes.iter().map(|s| ApiScope::parse(s)).collect();
    // A date from the form's date field means the end of that day, UTC.
    let expires_at = f.optional("expires_at").map(|d| {
        if d.len() == 10 {
            format!("{d}T23:59:59Z")
        } else {
            d
        }
    });
    let outcome = match parsed {
        Ok(scopes) => {
            let create = CreateApiToken {
                name: name.clone(),
                scopes,
                expires_at,
            };
            state.services.create_api_token(&p.who, &req, create).await
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(t) => {
            tokens_page(
                &state,
                &p,
                Some((t.view.name.clone(), t.token)),
                (String::new(), vec!["read".into()]),
                None,
            )
            .await
        }
        Err(e) => {
            tokens_page(
                &state,
                &p,
                None,
                (name, scopes),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(id): PageAt<ApiTokenId>,
    PageForm(_): PageForm,
) -> PageResult {
    match state.services.revoke_api_token(&p.who, &req, &id).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/api-tokens", p.who.org),
            "Revoked the API token: it no longer works.",
        )),
        Err(e) => {
            tokens_page(
                &state,
                &p,
                None,
                (String::new(), vec![]),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

impl TokensPage {
    fn scope_checked(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
