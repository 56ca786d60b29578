//! The organization's email domains in the portal (`/orgs/{org}/settings/domains`, R34): each
//! domain with its status and the DNS record that proves it, **Add domain**, **Check the
//! record** for a pending one, and remove. Only verified domains route single sign-on; the
//! rules are the use cases'.

use super::browser::{FieldError, FormError, OrgPage, PageAt, PageForm, PageResult, done, page};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::access::Action;
use switchboard_domain::domain_name::{DomainName, DomainStatus};
use switchboard_service::domains::{ClaimDomain, DomainView};

#[derive(askama::Template)]
#[template(path = "portal/domains.html")]
struct DomainsPage {
    shell: Shell,
    org: String,
    domains: Vec<DomainView>,
    may_manage: bool,
    domain: String,
    error: Option<FormError>,
}

async fn domains_page(
    state: &AppState,
    p: &OrgPage,
    domain: String,
    error: Option<FormError>,
) -> PageResult {
    let domains = state.services.list_domains(&p.who).await?;
    let shell = Shell::for_org(state, p, "Domains", Section::Domains).await?;
    Ok(page(
        &p.browser,
        &DomainsPage {
            shell,
            org: p.who.org.to_string(),
            may_manage: p.who.may(Action::ManageDomains).is_ok(),
            domains,
            domain,
            error,
        },
    ))
}

/// `/orgs/{org}/settings/domains`.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    domains_page(&state, &p, String::new(), None).await
}

/// **Add domain**: claims it; the page then shows the record to publish.
pub async fn claim(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let domain = f.get("domain").to_owned();
    let claim = ClaimDomain {
        domain: domain.clone(),
    };
    match state.services.claim_domain(&p.who, &req, claim).await {
        Ok(d) => Ok(done(
            &format!("/orgs/{}/settings/domains", p.who.org),
            &format!(
                "Added {}. Publish its TXT record at your DNS provider, then check it.",
                d.display_name
            ),
        )),
        Err(e) => domains_page(&state, &p, domain, Some(FormError::in_org(e, &p)?)).await,
    }
}

/// **Check the record** of a pending domain.
pub async fn verify(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(domain): PageAt<DomainName>,
    PageForm(_): PageForm,
) -> PageResult {
    match state.services.verify_domain(&p.who, &req, &domain).await {
        Ok(d) => Ok(done(
            &format!("/orgs/{}/settings/domains", p.who.org),
            &format!(
                "Verified {}: single sign-on may now use it.",
                d.display_name
            ),
        )),
        Err(e) => {
            let mut error = FormError::in_org(e, &p)?;
            // The refusal concerns that row, not the Add form's field.
            error.field = None;
            domains_page(&state, &p, String::new(), Some(error)).await
        }
    }
}

/// Removes a domain.
pub async fn remove(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(domain): PageAt<DomainName>,
    PageForm(_): PageForm,
) -> PageResult {
    match state.services.remove_domain(&p.who, &req, &domain).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/settings/domains", p.who.org),
            &format!(
                "Removed {}; it routes nobody to single sign-on now.",
                domain.unicode()
            ),
        )),
        Err(e) => {
            let mut error = FormError::in_org(e, &p)?;
            error.field = None;
            domains_page(&state, &p, String::new(), Some(error)).await
        }
    }
}
