//! Admins in the portal (`/orgs/{org}/admins`): the Org Admins and Org Analysts, **Assign admin**
//! by email, change and revoke. The last Org Admin's controls are disabled with the reason (R10);
//! the rule itself is the use case's, which refuses whatever a page sends.

use super::browser::{FieldError, FormError, OrgPage, PageAt, PageForm, PageResult, done, page};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::State;
use switchboard_domain::access::Action;
use switchboard_domain::ids::UserId;
use switchboard_domain::role::OrgRole;
use switchboard_service::ServiceError;
use switchboard_service::roles::{AssignRole, ChangeRole};
use switchboard_service::views::OrgRoleView;

#[derive(askama::Template)]
#[template(path = "portal/admins.html")]
struct AdminsPage {
    shell: Shell,
    org: String,
    admins: Vec<OrgRoleView>,
    may_manage: bool,
    /// Whether only one Org Admin is left (their controls are disabled).
    last_admin: bool,
    email: String,
    role: String,
    error: Option<FormError>,
}

fn role_label(r: OrgRole) -> &'static str {
    match r {
        OrgRole::OrgAdmin => "Org Admin",
        OrgRole::OrgAnalyst => "Org Analyst",
    }
}

async fn admins_page(
    state: &AppState,
    p: &OrgPage,
    email: String,
    role: String,
    error: Option<FormError>,
) -> PageResult {
    let admins = state.services.list_org_roles(&p.who).await?;
    let shell = Shell::for_org(state, p, "Admins", Section::Admins).await?;
    let admin_count = admins
        .iter()
        .filter(|a| a.org_role == OrgRole::OrgAdmin)
        .count();
    Ok(page(
        &p.browser,
        &AdminsPage {
            shell,
            org: p.who.org.to_string(),
            may_manage: p.who.may(Action::ManageOrgRoles).is_ok(),
            last_admin: admin_count <= 1,
            admins,
            email,
            role: if role.is_empty() {
                "org_analyst".into()
            } else {
                role
            },
            error,
        },
    ))
}

/// `/orgs/{org}/admins`.
pub async fn list(State(state): State<AppState>, p: OrgPage) -> PageResult {
    admins_page(&state, &p, String::new(), String::new(), None).await
}

/// **Assign admin**: an org role for a user of the organization, by email.
pub async fn assign(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let (email, role) = (f.get("email").trim().to_owned(), f.get("role").to_owned());
    let result = match OrgRole::parse(&role) {
        Ok(r) => {
            let assign = AssignRole {
                email: email.clone(),
                role: r,
            };
            state.services.assign_org_role(&p.who, &req, assign).await
        }
        Err(_) => Err(ServiceError::invalid(
            "role",
            "choose Org Admin or Org Analyst",
        )),
    };
    match result {
        Ok(a) => Ok(done(
            &format!("/orgs/{}/admins", p.who.org),
            &format!("{} is now {}.", a.email, role_label(a.role)),
        )),
        Err(e) => admins_page(&state, &p, email, role, Some(FormError::in_org(e, &p)?)).await,
    }
}

/// Changes (`role` = `org_admin` or `org_analyst`) or revokes (`role` = `none`) an org role.
pub async fn change(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(user): PageAt<UserId>,
    PageForm(f): PageForm,
) -> PageResult {
    let role = f.get("role").to_owned();
    let result = match role.as_str() {
        "none" => state
            .services
            .revoke_org_role(&p.who, &req, &user)
            .await
            .map(|()| "Org role revoked; they stay a member of their teams.".to_owned()),
        other => match OrgRole::parse(other) {
            Ok(r) => state
                .services
                .change_org_role(&p.who, &req, &user, ChangeRole { role: r })
                .await
                .map(|v| format!("{} is now {}.", v.email, role_label(v.org_role))),
            Err(_) => Err(ServiceError::invalid(
                "role",
                "choose Org Admin, Org Analyst or no org role",
            )),
        },
    };
    match result {
        Ok(message) => Ok(done(&format!("/orgs/{}/admins", p.who.org), &message)),
        Err(e) => {
            // A row's refusal is said in the page's summary, not beside the Assign form's role.
            let mut error = FormError::in_org(e, &p)?;
            error.field = None;
            let error = Some(error);
            admins_page(&state, &p, String::new(), String::new(), error).await
        }
    }
}
