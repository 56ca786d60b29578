//! Removing a user from one team or from the organization, each behind a confirmation page
//! that names the consequence (they leave the organization with their last team; which seats
//! are freed).

use super::detail::refused;
use crate::AppState;
use crate::extract::InRequest;
use crate::pages::browser::{OrgPage, PageAt, PageError, PageForm, PageResult, done, page};
use crate::pages::human;
use crate::pages::shell::{Section, Shell};
use axum::extract::State;
use switchboard_domain::ids::{TeamId, UserId};

#[derive(askama::Template)]
#[template(path = "portal/confirm.html")]
struct ConfirmPage {
    shell: Shell,
    heading: String,
    consequence: String,
    action: String,
    button: String,
    back: String,
}

async fn confirm(
    state: &AppState,
    p: &OrgPage,
    heading: String,
    consequence: String,
    action: String,
    button: String,
    back: String,
) -> PageResult {
    let shell = Shell::for_org(state, p, &heading, Section::Users).await?;
    Ok(page(
        &p.browser,
        &ConfirmPage {
            shell,
            heading,
            consequence,
            action,
            button,
            back,
        },
    ))
}

/// Asks before removing the user from one team, saying what that means for them.
pub async fn confirm_remove_membership(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt((user, team)): PageAt<(UserId, TeamId)>,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    let Some(m) = u.memberships.iter().find(|m| m.team_id == team.as_str()) else {
        return Err(PageError::not_found());
    };
    let others: Vec<&str> = u
        .memberships
        .iter()
        .filter(|o| o.team_id != team.as_str())
        .map(|o| o.team_name.as_str())
        .collect();
    let you = u.id == p.who.user.as_str();
    let consequence = match (others.is_empty(), you) {
        (true, true) => {
            "This is your last team: you will leave the organization and lose access to it."
                .to_owned()
        }
        (true, false) => format!(
            "This is their last team: {} leaves the organization, and any seat they hold is freed.",
            u.email
        ),
        (false, _) => format!(
            "They stay a member of {}. A seat they hold in {} is freed.",
            others.join(", "),
            m.team_name
        ),
    };
    let base = format!("/orgs/{}/users/{user}", p.who.org);
    confirm(
        &state,
        &p,
        format!("Remove {} from {}?", u.email, m.team_name),
        consequence,
        format!("{base}/memberships/{team}/remove"),
        format!("Remove from {}", m.team_name),
        base,
    )
    .await
}

pub async fn remove_membership(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt((user, team)): PageAt<(UserId, TeamId)>,
    PageForm(_): PageForm,
) -> PageResult {
    let before = state.services.get_user(&p.who, &user).await?;
    let team_name = before
        .memberships
        .iter()
        .find(|m| m.team_id == team.as_str())
        .map_or_else(|| "the team".to_owned(), |m| m.team_name.clone());
    match state
        .services
        .remove_membership(&p.who, &req, &user, &team)
        .await
    {
        Ok(r) if r.removed_from_org => {
            if before.id == p.who.user.as_str() {
                return Ok(done(
                    "/",
                    "You left the organization: that was your last team.",
                ));
            }
            Ok(done(
                &format!("/orgs/{}/users", p.who.org),
                &format!(
                    "Removed {} from the organization: that was their last team.",
                    before.email
                ),
            ))
        }
        Ok(_) => {
            let still: Vec<&str> = before
                .memberships
                .iter()
                .filter(|m| m.team_id != team.as_str())
                .map(|m| m.team_name.as_str())
                .collect();
            Ok(done(
                &format!("/orgs/{}/users/{user}", p.who.org),
                &format!(
                    "Removed from {team_name}. Still a member of {}.",
                    still.join(", ")
                ),
            ))
        }
        Err(e) => refused(&state, &p, &user, e).await,
    }
}

/// Asks before removing the user from the organization.
pub async fn confirm_remove_from_org(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(user): PageAt<UserId>,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    let n = u.memberships.len();
    let consequence = if u.id == p.who.user.as_str() {
        format!(
            "This is you: you lose access to this organization and its {} at once.",
            human::counted(n as i64, "team", "teams")
        )
    } else {
        format!(
            "{} loses access to {}, any org role, and every seat they hold is freed.",
            u.email,
            human::counted(n as i64, "team", "teams")
        )
    };
    let base = format!("/orgs/{}/users/{user}", p.who.org);
    confirm(
        &state,
        &p,
        format!("Remove {} from the organization?", u.email),
        consequence,
        format!("{base}/remove"),
        "Remove from organization".to_owned(),
        base,
    )
    .await
}

pub async fn remove_from_org(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageAt(user): PageAt<UserId>,
    PageForm(_): PageForm,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    match state.services.remove_from_org(&p.who, &req, &user).await {
        Ok(()) if u.id == p.who.user.as_str() => Ok(done("/", "You left the organization.")),
        Ok(()) => Ok(done(
            &format!("/orgs/{}/users", p.who.org),
            &format!("Removed {} from the organization.", u.email),
        )),
        Err(e) => refused(&state, &p, &user, e).await,
    }
}
