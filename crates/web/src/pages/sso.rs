//! SSO policies in the portal (`/orgs/{org}/settings/sso`): an identity provider (issuer, client
//! id and secret — the secret is write-only), the email domains it vouches for, and the
//! email-login teams it applies to (at most one SSO policy per team, R24).

use super::browser::{FieldError, FormData, FormError, OrgPage, PageForm, PageResult, done, page};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::{Path, State};
use switchboard_domain::access::Action;
use switchboard_domain::team::LoginType;
use switchboard_service::settings::{CreateSsoPolicy, SsoPolicyView, UpdateSsoPolicy};
use switchboard_service::teams::TeamChoice;

/// The form as typed.
#[derive(Default)]
struct SsoForm {
    name: String,
    issuer: String,
    client_id: String,
    allowed_domains: String,
    team_ids: Vec<String>,
}

impl SsoForm {
    fn from_form(f: &FormData) -> Self {
        Self {
            name: f.get("name").to_owned(),
            issuer: f.get("issuer").to_owned(),
            client_id: f.get("client_id").to_owned(),
            allowed_domains: f.get("allowed_domains").to_owned(),
            team_ids: f.all("team_ids"),
        }
    }

    fn of(p: &SsoPolicyView) -> Self {
        Self {
            name: p.name.clone(),
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            allowed_domains: p.allowed_domains.join(", "),
            team_ids: p.team_ids.iter().map(ToString::to_string).collect(),
        }
    }

    /// Domains as people type them: commas, spaces or new lines between.
    fn domains(&self) -> Vec<String> {
        self.allowed_domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[derive(askama::Template)]
#[template(path = "portal/sso.html")]
struct SsoPage {
    shell: Shell,
    org: String,
    policies: Vec<SsoPolicyView>,
    /// Email-login teams, the only ones SSO applies to.
    teams: Vec<TeamChoice>,
    may_manage: bool,
    editing: Option<SsoPolicyView>,
    form: SsoForm,
    error: Option<FormError>,
}

async fn sso_page(
    state: &AppState,
    p: &OrgPage,
    editing: Option<SsoPolicyView>,
    form: Option<SsoForm>,
    error: Option<FormError>,
) -> PageResult {
    let policies = state.services.list_sso_policies(&p.who).await?;
    let teams = state
        .services
        .team_choices(&p.who)
        .await?
        .into_iter()
        .filter(|t| t.login_type == LoginType::Email)
        .collect();
    let shell = Shell::for_org(state, p, "SSO", Section::Sso).await?;
    let form = form.unwrap_or_else(|| editing.as_ref().map(SsoForm::of).unwrap_or_default());
    Ok(page(
        &p.browser,
        &SsoPage {
            shell,
            org: p.who.org.to_string(),
            may_manage: p.who.may(Action::ManagePolicies).is_ok(),
            policies,
            teams,
            editing,
            form,
            error,
        },
    ))
}

/// `/orgs/{org}/settings/sso`.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    p.who.may(Action::ViewPolicies)?;
    sso_page(&state, &p, None, None, None).await
}

pub async fn create(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let form = SsoForm::from_form(&f);
    let create = CreateSsoPolicy {
        name: form.name.clone(),
        issuer: form.issuer.clone(),
        client_id: form.client_id.clone(),
        client_secret: f.get("client_secret").to_owned(),
        allowed_domains: form.domains(),
        team_ids: form.team_ids.clone(),
    };
    match state.services.create_sso_policy(&p.who, &req, create).await {
        Ok(pol) => Ok(done(
            &format!("/orgs/{}/settings/sso/{}", p.who.org, pol.id),
            &format!("SSO policy {} is created.", pol.name),
        )),
        Err(e) => {
            sso_page(
                &state,
                &p,
                None,
                Some(form),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

/// `/orgs/{org}/settings/sso/{pol}`.
pub async fn detail(
    State(state): State<AppState>,
    p: OrgPage,
    Path((_, id)): Path<(String, String)>,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    sso_page(&state, &p, Some(pol), None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    Path((_, id)): Path<(String, String)>,
    PageForm(f): PageForm,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    let form = SsoForm::from_form(&f);
    let update = UpdateSsoPolicy {
        name: Some(form.name.clone()),
        issuer: Some(form.issuer.clone()),
        client_id: Some(form.client_id.clone()),
        // Blank keeps the stored secret: it is never shown, so it can't be re-sent.
        client_secret: f.optional("client_secret"),
        allowed_domains: Some(form.domains()),
        team_ids: Some(form.team_ids.clone()),
    };
    match state
        .services
        .update_sso_policy(&p.who, &req, &id, update)
        .await
    {
        Ok(saved) => Ok(done(
            &format!("/orgs/{}/settings/sso/{}", p.who.org, saved.id),
            &format!("SSO policy {} is saved.", saved.name),
        )),
        Err(e) => {
            sso_page(
                &state,
                &p,
                Some(pol),
                Some(form),
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    Path((_, id)): Path<(String, String)>,
    PageForm(_): PageForm,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    match state.services.delete_policy(&p.who, &req, &id, true).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/settings/sso", p.who.org),
            &format!(
                "SSO policy {} is deleted; its teams sign in with email codes again.",
                pol.name
            ),
        )),
        Err(e) => {
            sso_page(
                &state,
                &p,
                Some(pol),
                None,
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}
