//! A user's page (`/orgs/{org}/users/{user}`): their teams with team role and app access, each
//! saved on its own; adding them to another team; **Resend invitation** before their first
//! sign-in; the identity-provider accounts they are linked to, and resetting that link (R33).

use crate::AppState;
use crate::extract::InRequest;
use crate::pages::browser::{FormError, OrgPage, PageAt, PageForm, PageResult, done, page};
use crate::pages::shell::{Section, Shell};
use axum::extract::State;
use switchboard_domain::access::Action;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_service::ServiceError;
use switchboard_service::sso::SsoLinkView;
use switchboard_service::teams::TeamChoice;
use switchboard_service::users::{AddMembership, UpdateMembership};
use switchboard_service::views::UserView;

#[derive(askama::Template)]
#[template(path = "portal/user.html")]
struct UserPage {
    shell: Shell,
    org: String,
    user: UserView,
    is_self: bool,
    may_remove_from_org: bool,
    /// Teams the user could be added to by this person.
    other_teams: Vec<TeamChoice>,
    /// The person's identity-provider accounts (R33), for those who may see SSO policies.
    sso_links: Vec<SsoLinkView>,
    may_reset_links: bool,
    /// Seats of this user the idle-seat rule releases soon (R29): team name and day.
    releases: Vec<(String, crate::pages::human::When)>,
    error: Option<FormError>,
}

async fn user_page(
    state: &AppState,
    p: &OrgPage,
    user: &UserId,
    error: Option<FormError>,
) -> PageResult {
    let u = state.services.get_user(&p.who, user).await?;
    let teams = state.services.team_choices(&p.who).await?;
    let other_teams = teams
        .into_iter()
        .filter(|t| !u.memberships.iter().any(|m| m.team_id == t.id))
        .filter(|t| {
            TeamId::parse(&t.id).is_some_and(|id| p.who.may(Action::ManageMembership(&id)).is_ok())
        })
        .collect();
    let sso_links = if p.who.may(Action::ViewPolicies).is_ok() {
        state.services.sso_links(&p.who, user).await?
    } else {
        Vec::new()
    };
    let releases = state
        .services
        .idle_seats(&p.who, None)
        .await?
        .into_iter()
        .filter(|s| s.user_id == *user)
        .map(|s| (s.team_name, crate::pages::human::day(&s.release_on)))
        .collect();
    let shell = Shell::for_org(state, p, &u.email, Section::Users).await?;
    Ok(page(
        &p.browser,
        &UserPage {
            shell,
            org: p.who.org.to_string(),
            is_self: u.id == p.who.user.as_str(),
            may_remove_from_org: p.who.may(Action::RemoveFromOrg).is_ok(),
            other_teams,
            sso_links,
            may_reset_links: p.who.may(Action::ManageSsoPolicies).is_ok(),
            releases,
            user: u,
            error,
        },
    ))
}

/// `/orgs/{org}/users/{user}`: the user's teams and what may be changed about them.
pub async fn detail(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(user): PageAt<UserId>,
) -> PageResult {
    user_page(&state, &p, &user, None).await
}

/// The team role chosen on a form.
fn chosen_role(f: &crate::pages::browser::FormData) -> Result<TeamRole, ServiceError> {
    TeamRole::parse(f.get("team_role"))
        .map_err(|_| ServiceError::invalid("team_role", "choose Member or Team Admin"))
}

/// The user page again, with the refusal beside the field it is about.
pub(super) async fn refused(
    state: &AppState,
    p: &OrgPage,
    user: &UserId,
    e: ServiceError,
) -> PageResult {
    user_page(state, p, user, Some(FormError::in_org(e, p)?)).await
}

/// **Add to team**: the user joins another team (R5).
pub async fn add_membership(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(user): PageAt<UserId>,
    PageForm(f): PageForm,
) -> PageResult {
    let team_role = match chosen_role(&f) {
        Ok(r) => r,
        Err(e) => return refused(&state, &p, &user, e).await,
    };
    let add = AddMembership {
        team_id: f.get("team_id").to_owned(),
        team_role,
        app_access: Some(f.checked("app_access")),
    };
    match state
        .services
        .add_membership(&p.who, &req, &user, add)
        .await
    {
        Ok(u) => {
            let name = u
                .memberships
                .iter()
                .find(|m| m.team_id == f.get("team_id"))
                .map_or_else(String::new, |m| m.team_name.clone());
            Ok(done(
                &format!("/orgs/{}/users/{user}", p.who.org),
                &format!("Added to {name}."),
            ))
        }
        Err(e) => refused(&state, &p, &user, e).await,
    }
}

/// **Save**: changes the team role and app access of one membership.
pub async fn change_membership(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt((user, team)): PageAt<(UserId, TeamId)>,
    PageForm(f): PageForm,
) -> PageResult {
    let team_role = match chosen_role(&f) {
        Ok(r) => r,
        Err(e) => return refused(&state, &p, &user, e).await,
    };
    let update = UpdateMembership {
        team_role: Some(team_role),
        app_access: Some(f.checked("app_access")),
    };
    match state
        .services
        .update_membership(&p.who, &req, &user, &team, update)
        .await
    {
        Ok(m) => Ok(done(
            &format!("/orgs/{}/users/{user}", p.who.org),
            &format!(
                "Saved: {} in {}, app access {}.",
                if m.team_role == TeamRole::TeamAdmin {
                    "Team Admin"
                } else {
                    "Member"
                },
                m.team_name,
                if m.app_access { "on" } else { "off" }
            ),
        )),
        Err(e) => refused(&state, &p, &user, e).await,
    }
}

/// **Resend invitation** to a user who has not signed in yet.
pub async fn resend_invitation(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(user): PageAt<UserId>,
    PageForm(_): PageForm,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    match state.services.resend_invitation(&p.who, &req, &user).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/users/{user}", p.who.org),
            &format!("Invitation sent again to {}.", u.email),
        )),
        Err(e) => refused(&state, &p, &user, e).await,
    }
}

/// **Reset single sign-on link**: the person's next sign-in through the provider links the
/// account it comes with (after their provider account legitimately changed).
pub async fn reset_sso_links(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(user): PageAt<UserId>,
    PageForm(_): PageForm,
) -> PageResult {
    match state.services.reset_sso_links(&p.who, &req, &user).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/users/{user}", p.who.org),
            "Unlinked: their next single sign-on links the account it comes with.",
        )),
        Err(e) => refused(&state, &p, &user, e).await,
    }
}
