//! SSO policies in the portal (`/orgs/{org}/settings/sso`): an identity provider — OIDC (issuer,
//! client id and secret; the secret is write-only) or SAML 2.0 (the IdP's metadata, by URL or
//! pasted; our SP metadata and ACS URL to copy) — the email domains it vouches for, the
//! email-login teams it applies to (at most one SSO policy per team, R24), just-in-time
//! membership and break-glass emails; and Test connection, which runs the sign-in and shows each
//! check (its result page is drawn by [`super::sso_sign_in`]).

use super::browser::{
    FieldError, FormData, FormError, OrgPage, PageAt, PageForm, PageResult, done, page,
};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::access::Action;
use switchboard_domain::ids::{PolicyId, TeamId};
use switchboard_domain::sso::{Jit, SsoProtocol};
use switchboard_domain::team::LoginType;
use switchboard_service::settings::{CreateSsoPolicy, SsoPolicyView, UpdateSsoPolicy};
use switchboard_service::teams::TeamChoice;

/// The form as typed.
#[derive(Default)]
struct SsoForm {
    name: String,
    protocol: SsoProtocol,
    issuer: String,
    client_id: String,
    idp_metadata_url: String,
    allow_idp_initiated: bool,
    email_attribute: String,
    allowed_domains: String,
    team_ids: Vec<String>,
    jit_enabled: bool,
    jit_team_id: String,
    break_glass_emails: String,
}

/// Words as people type lists: commas, spaces or new lines between.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

impl SsoForm {
    fn from_form(f: &FormData) -> Self {
        Self {
            name: f.get("name").to_owned(),
            protocol: SsoProtocol::parse(f.get("protocol")).unwrap_or_default(),
            issuer: f.get("issuer").to_owned(),
            client_id: f.get("client_id").to_owned(),
            idp_metadata_url: f.get("idp_metadata_url").to_owned(),
            allow_idp_initiated: f.checked("allow_idp_initiated"),
            email_attribute: f.get("email_attribute").to_owned(),
            allowed_domains: f.get("allowed_domains").to_owned(),
            team_ids: f.all("team_ids"),
            jit_enabled: f.checked("jit.enabled"),
            jit_team_id: f.get("jit.team_id").to_owned(),
            break_glass_emails: f.get("break_glass_emails").to_owned(),
        }
    }

    fn of(p: &SsoPolicyView) -> Self {
        Self {
            name: p.name.clone(),
            protocol: p.protocol,
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            idp_metadata_url: p.idp_metadata_url.clone().unwrap_or_default(),
            allow_idp_initiated: p.allow_idp_initiated,
            email_attribute: p.email_attribute.clone().unwrap_or_default(),
            allowed_domains: p.allowed_domains.join(", "),
            team_ids: p.team_ids.iter().map(ToString::to_string).collect(),
            jit_enabled: p.jit.enabled,
            jit_team_id: p
                .jit
                .team_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            break_glass_emails: p.break_glass_emails.join(", "),
        }
    }

    fn saml(&self) -> bool {
        self.protocol == SsoProtocol::Saml
    }

    fn jit(&self) -> Jit {
        Jit {
            enabled: self.jit_enabled,
            team_id: (!self.jit_team_id.is_empty())
                .then(|| TeamId::try_from(self.jit_team_id.clone()).ok())
                .flatten(),
        }
    }

    /// The provider's fields for its protocol (the other protocol's are not sent).
    fn text(&self, oidc: bool, v: &str) -> Option<String> {
        (oidc != self.saml() && !v.trim().is_empty()).then(|| v.to_owned())
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
            may_manage: p.who.may(Action::ManageSsoPolicies).is_ok(),
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
        protocol: Some(form.protocol),
        issuer: form.text(true, &form.issuer),
        client_id: form.text(true, &form.client_id),
        client_secret: form.text(true, f.get("client_secret")),
        idp_metadata_url: form.text(false, &form.idp_metadata_url),
        idp_metadata_xml: form.text(false, f.get("idp_metadata_xml")),
        allow_idp_initiated: Some(form.saml() && form.allow_idp_initiated),
        email_attribute: form.text(false, &form.email_attribute),
        allowed_domains: words(&form.allowed_domains),
        team_ids: form.team_ids.clone(),
        jit: Some(form.jit()),
        break_glass_emails: Some(words(&form.break_glass_emails)),
    };
    match state.services.create_sso_policy(&p.who, &req, create).await {
        Ok(pol) => Ok(done(
            &format!("/orgs/{}/settings/sso/{}", p.who.org, pol.id),
            &format!("Created SSO policy {}.", pol.name),
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
    PageAt(id): PageAt<PolicyId>,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    sso_page(&state, &p, Some(pol), None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(id): PageAt<PolicyId>,
    PageForm(f): PageForm,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    let form = SsoForm::from_form(&f);
    let oidc = !form.saml();
    let update = UpdateSsoPolicy {
        name: Some(form.name.clone()),
        protocol: Some(form.protocol),
        issuer: oidc.then(|| form.issuer.clone()),
        client_id: oidc.then(|| form.client_id.clone()),
        // Blank keeps the stored secret (it is never shown, so it can't be re-sent), and blank
        // metadata keeps the imported metadata.
        client_secret: form.text(true, f.get("client_secret")),
        idp_metadata_url: form
            .text(false, &form.idp_metadata_url)
            .filter(|u| Some(u) != pol.idp_metadata_url.as_ref() || f.checked("reimport")),
        idp_metadata_xml: form.text(false, f.get("idp_metadata_xml")),
        allow_idp_initiated: Some(form.saml() && form.allow_idp_initiated),
        email_attribute: Some(form.email_attribute.trim().to_owned()),
        allowed_domains: Some(words(&form.allowed_domains)),
        team_ids: Some(form.team_ids.clone()),
        jit: Some(form.jit()),
        break_glass_emails: Some(words(&form.break_glass_emails)),
    };
    match state
        .services
        .update_sso_policy(&p.who, &req, &id, update)
        .await
    {
        Ok(saved) => Ok(done(
            &format!("/orgs/{}/settings/sso/{}", p.who.org, saved.id),
            &format!("Saved SSO policy {}.", saved.name),
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
    PageAt(id): PageAt<PolicyId>,
    PageForm(_): PageForm,
) -> PageResult {
    let pol = state.services.get_sso_policy(&p.who, &id).await?;
    match state.services.delete_sso_policy(&p.who, &req, &id).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/settings/sso", p.who.org),
            &format!(
                "Deleted SSO policy {}; its teams sign in with email codes again.",
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
