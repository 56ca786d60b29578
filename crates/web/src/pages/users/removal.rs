//! Removing a user from one team or from the organization, each behind a confirmation page
//! that names the consequence (they leave the organization with their last team; which seats
//! are freed).

use super::detail::refused;
use crate::AppState;
use crate::extract::InRequest;
use crate::pages::browser::{OrgPage, PageAt, PageForm, PageResult, done, page};
use crate::pages::human;
use crate::pages::shell::{Section, Shell};
use axum::extract::State;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_service::users::RemovalPreview;

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

/// The sentence a confirmation page says of a removal: whether they leave the organization and
/// which seats are freed, as the service worked it out.
fn consequence(r: &RemovalPreview) -> String {
    let seats = match r.seats_freed_in.as_slice() {
        [] => "They hold no seat, so none is freed.".to_owned(),
        [one] => format!("Their seat in {one} is freed."),
        many => format!("Their seats in {} are freed.", many.join(", ")),
    };
    match (r.leaves_org, r.yourself, &r.team_name) {
        (true, true, Some(_)) => {
            "This is your last team: you will leave the organization and lose access to it."
                .to_owned()
        }
        (true, true, None) => format!(
            "This is you: you lose access to this organization and its {} at once.",
            human::counted(r.teams_removed as i64, "team", "teams")
        ),
        (true, false, Some(_)) => format!(
            "This is their last team: {} leaves the organization. {seats}",
            r.email
        ),
        (true, false, None) => format!(
            "{} loses access to {}, and any org role. {seats}",
            r.email,
            human::counted(r.teams_removed as i64, "team", "teams")
        ),
        (false, _, _) => format!("They stay a member of {}. {seats}", r.staying_in.join(", ")),
    }
}

/// Asks before removing the user from one team, saying what that means for them.
pub async fn confirm_remove_membership(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt((user, team)): PageAt<(UserId, TeamId)>,
) -> PageResult {
    let r = state
        .services
        .removal_preview(&p.who, &user, Some(&team))
        .await?;
    let team_name = r.team_name.clone().unwrap_or_default();
    let base = format!("/orgs/{}/users/{user}", p.who.org);
    confirm(
        &state,
        &p,
        format!("Remove {} from {team_name}?", r.email),
        consequence(&r),
        format!("{base}/memberships/{team}/remove"),
        format!("Remove from {team_name}"),
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
    let outcome = match state
        .services
        .removal_preview(&p.who, &user, Some(&team))
        .await
    {
        Ok(before) => state
            .services
            .remove_membership(&p.who, &req, &user, &team)
            .await
            .map(|r| (before, r)),
        Err(e) => Err(e),
    };
    match outcome {
        Ok((before, r)) if r.removed_from_org => {
            if before.yourself {
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
        Ok((before, _)) => Ok(done(
            &format!("/orgs/{}/users/{user}", p.who.org),
            &format!(
                "Removed from {}. Still a member of {}.",
                before.team_name.unwrap_or_default(),
                before.staying_in.join(", ")
            ),
        )),
        Err(e) => refused(&state, &p, &user, e).await,
    }
}

/// Asks before removing the user from the organization.
pub async fn confirm_remove_from_org(
    State(state): State<AppState>,
    p: OrgPage,
    PageAt(user): PageAt<UserId>,
) -> PageResult {
    let r = state.services.removal_preview(&p.who, &user, None).await?;
    let base = format!("/orgs/{}/users/{user}", p.who.org);
    confirm(
        &state,
        &p,
        format!("Remove {} from the organization?", r.email),
        consequence(&r),
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
