//! Users in the portal: the list (counters, search and filters, pages, **Add users**, CSV of the
//! filtered list) and a user's page (their teams with team role and app access, remove from a
//! team, remove from the organization — each behind a confirmation that names the consequence).

use super::browser::{
    FieldError, FormError, OrgPage, PageError, PageForm, PageResult, csv_download, done, page,
};
use super::shell::{Section, Shell};
use crate::AppState;
use crate::extract::InRequest;
use axum::extract::{Path, RawQuery, State};
use switchboard_domain::access::Action;
use switchboard_domain::ids::TeamId;
use switchboard_domain::role::TeamRole;
use switchboard_service::ServiceError;
use switchboard_service::teams::TeamChoice;
use switchboard_service::users::{
    AddMembership, AddOutcome, BulkAdd, BulkAddResult, UpdateMembership, UserCounts, UserQuery,
};
use switchboard_service::views::UserView;

/// The filters as the person set them, to fill the form and build page links.
#[derive(Default)]
struct Filters {
    q: String,
    team: String,
    team_role: String,
    org_role: String,
    status: String,
    app_access: String,
    used_app: String,
}

impl Filters {
    fn from_query(raw: &str) -> Self {
        let mut f = Filters::default();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "q" => f.q = v,
                "team" => f.team = v,
                "team_role" => f.team_role = v,
                "org_role" => f.org_role = v,
                "status" => f.status = v,
                "app_access" => f.app_access = v,
                "used_app" => f.used_app = v,
                _ => {}
            }
        }
        f
    }

    /// The query string of these filters (blank ones left out), for links and the CSV.
    fn query(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("team", &self.team),
            ("team_role", &self.team_role),
            ("org_role", &self.org_role),
            ("status", &self.status),
            ("app_access", &self.app_access),
            ("used_app", &self.used_app),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

/// The **Add users** form as typed.
#[derive(Default)]
struct AddForm {
    team_id: String,
    team_role: String,
    app_access: bool,
    invite: bool,
    emails: String,
}

#[derive(askama::Template)]
#[template(path = "portal/users.html")]
struct UsersPage {
    shell: Shell,
    org: String,
    counts: UserCounts,
    seats_held: i64,
    filters: Filters,
    users: Vec<UserView>,
    next_page: Option<String>,
    first_page: Option<String>,
    csv: String,
    teams: Vec<TeamChoice>,
    /// Teams the person may add users to.
    add_teams: Vec<TeamChoice>,
    add: AddForm,
    added: Option<BulkAddResult>,
    error: Option<FormError>,
}

async fn users_page(
    state: &AppState,
    p: &OrgPage,
    raw: &str,
    add: AddForm,
    added: Option<BulkAddResult>,
    mut error: Option<FormError>,
) -> PageResult {
    let filters = Filters::from_query(raw);
    let listed = match crate::input::query::<UserQuery>(raw) {
        Ok(q) => match state.services.list_users(&p.who, &q).await {
            Ok(page) => Ok(page),
            Err(e) => Err(FormError::from_service(e)?),
        },
        Err(api) => Err(FormError::from_api(api)?),
    };
    let (users, next) = match listed {
        Ok(page) => (page.items, page.next_cursor),
        Err(mut e) => {
            // A filter that can't be used is said in the summary, linking to the filter's own
            // control (`filter-…`); the list is left empty.
            e.field = e.field.map(|f| format!("filter-{f}"));
            error = error.or(Some(e));
            (Vec::new(), None)
        }
    };
    let teams = state.services.team_choices(&p.who).await?;
    let counts = state.services.user_counts(&p.who).await?;
    let add_teams: Vec<TeamChoice> = teams
        .iter()
        .filter(|t| {
            TeamId::parse(&t.id).is_some_and(|id| p.who.may(Action::ManageMembership(&id)).is_ok())
        })
        .cloned()
        .collect();
    let base = format!("/orgs/{}/users", p.who.org);
    let query = filters.query();
    let with = |extra: &str| match (query.is_empty(), extra.is_empty()) {
        (true, true) => base.clone(),
        (true, false) => format!("{base}?{extra}"),
        (false, true) => format!("{base}?{query}"),
        (false, false) => format!("{base}?{query}&{extra}"),
    };
    let next_page = next.map(|c| {
        with(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("cursor", &c)
                .finish(),
        )
    });
    let on_later_page = raw.split('&').any(|kv| kv.starts_with("cursor="));
    let shell = Shell::for_org(state, p, "Users", Section::Users).await?;
    Ok(page(
        &p.browser,
        &UsersPage {
            shell,
            org: p.who.org.to_string(),
            seats_held: teams.iter().map(|t| t.seats_used).sum(),
            counts,
            csv: if query.is_empty() {
                format!("/orgs/{}/users.csv", p.who.org)
            } else {
                format!("/orgs/{}/users.csv?{query}", p.who.org)
            },
            filters,
            users,
            next_page,
            first_page: on_later_page.then(|| with("")),
            add: AddForm {
                team_role: if add.team_role.is_empty() {
                    "member".into()
                } else {
                    add.team_role
                },
                ..add
            },
            teams,
            add_teams,
            added,
            error,
        },
    ))
}

/// `/orgs/{org}/users`: counters, search and filters, the table, **Add users**.
pub async fn list(
    State(state): State<AppState>,
    p: OrgPage,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let add = AddForm {
        app_access: true,
        invite: true,
        ..AddForm::default()
    };
    users_page(&state, &p, raw.as_deref().unwrap_or(""), add, None, None).await
}

/// Emails as people paste them: separated by commas, semicolons, spaces or new lines.
fn split_emails(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// **Add users**: many emails to one team at once; the page shows a result per email.
pub async fn add(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    PageForm(f): PageForm,
) -> PageResult {
    let form = AddForm {
        team_id: f.get("team_id").to_owned(),
        team_role: f.get("team_role").to_owned(),
        app_access: f.checked("app_access"),
        invite: f.checked("invite"),
        emails: f.get("emails").to_owned(),
    };
    let request = TeamRole::parse(&form.team_role)
        .map_err(|_| ServiceError::invalid("team_role", "choose Member or Team Admin"))
        .map(|team_role| BulkAdd {
            team_id: form.team_id.clone(),
            team_role,
            emails: split_emails(&form.emails),
            app_access: Some(form.app_access),
            invite: Some(form.invite),
        });
    let result = match request {
        Ok(r) => state.services.bulk_add_users(&p.who, &req, r).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(added) => {
            let kept = AddForm {
                emails: String::new(),
                ..form
            };
            users_page(&state, &p, "", kept, Some(added), None).await
        }
        Err(e) => {
            users_page(
                &state,
                &p,
                "",
                form,
                None,
                Some(FormError::from_service(e)?),
            )
            .await
        }
    }
}

/// **Download CSV** of the filtered list (every page of it).
pub async fn export(
    State(state): State<AppState>,
    p: OrgPage,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let mut q = crate::input::query::<UserQuery>(raw.as_deref().unwrap_or(""))?;
    q.limit = Some(200);
    let mut rows = Vec::new();
    loop {
        let page = state.services.list_users(&p.who, &q).await?;
        for u in page.items {
            let teams: Vec<String> = u
                .memberships
                .iter()
                .map(|m| format!("{} ({})", m.team_name, m.team_role))
                .collect();
            rows.push(vec![
                u.email,
                u.name.unwrap_or_default(),
                teams.join("; "),
                u.org_role.map(|r| r.to_string()).unwrap_or_default(),
                u.status.to_string(),
                u.memberships.iter().any(|m| m.app_access).to_string(),
                u.id,
                u.last_active.unwrap_or_default(),
            ]);
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let csv = switchboard_service::export::to_csv(
        &[
            "email",
            "name",
            "teams",
            "org_role",
            "status",
            "app_access",
            "id",
            "last_active",
        ],
        rows,
    );
    Ok(csv_download("users.csv", csv))
}

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
    error: Option<FormError>,
}

async fn user_page(
    state: &AppState,
    p: &OrgPage,
    user: &str,
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
    let shell = Shell::for_org(state, p, &u.email, Section::Users).await?;
    Ok(page(
        &p.browser,
        &UserPage {
            shell,
            org: p.who.org.to_string(),
            is_self: u.id == p.who.user.as_str(),
            may_remove_from_org: p.who.may(Action::RemoveFromOrg).is_ok(),
            other_teams,
            user: u,
            error,
        },
    ))
}

/// `/orgs/{org}/users/{user}`: the user's teams and what may be changed about them.
pub async fn detail(
    State(state): State<AppState>,
    p: OrgPage,
    Path((_, user)): Path<(String, String)>,
) -> PageResult {
    user_page(&state, &p, &user, None).await
}

/// Changes the team role and app access of one membership, or (with `add`) adds the user to
/// another team.
pub async fn change_membership(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    Path((_, user, team)): Path<(String, String, String)>,
    PageForm(f): PageForm,
) -> PageResult {
    let back = format!("/orgs/{}/users/{user}", p.who.org);
    let team_role = match TeamRole::parse(f.get("team_role")) {
        Ok(r) => r,
        Err(_) => {
            let e = ServiceError::invalid("team_role", "choose Member or Team Admin");
            return user_page(&state, &p, &user, Some(FormError::from_service(e)?)).await;
        }
    };
    let app_access = f.checked("app_access");
    let result = if team == "new" {
        let add = AddMembership {
            team_id: f.get("team_id").to_owned(),
            team_role,
            app_access: Some(app_access),
        };
        state
            .services
            .add_membership(&p.who, &req, &user, add)
            .await
            .map(|u| {
                let name = u
                    .memberships
                    .iter()
                    .find(|m| m.team_id == f.get("team_id"))
                    .map_or_else(String::new, |m| m.team_name.clone());
                format!("Added to {name}.")
            })
    } else {
        let update = UpdateMembership {
            team_role: Some(team_role),
            app_access: Some(app_access),
        };
        state
            .services
            .update_membership(&p.who, &req, &user, &team, update)
            .await
            .map(|m| {
                format!(
                    "Saved: {} in {}, app access {}.",
                    if m.team_role == TeamRole::TeamAdmin {
                        "Team Admin"
                    } else {
                        "Member"
                    },
                    m.team_name,
                    if m.app_access { "on" } else { "off" }
                )
            })
    };
    match result {
        Ok(message) => Ok(done(&back, &message)),
        Err(e) => user_page(&state, &p, &user, Some(FormError::from_service(e)?)).await,
    }
}

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
    Path((_, user, team)): Path<(String, String, String)>,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    let Some(m) = u.memberships.iter().find(|m| m.team_id == team) else {
        return Err(PageError::not_found());
    };
    let others: Vec<&str> = u
        .memberships
        .iter()
        .filter(|o| o.team_id != team)
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
    Path((_, user, team)): Path<(String, String, String)>,
    PageForm(_): PageForm,
) -> PageResult {
    let before = state.services.get_user(&p.who, &user).await?;
    let team_name = before
        .memberships
        .iter()
        .find(|m| m.team_id == team)
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
                .filter(|m| m.team_id != team)
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
        Err(e) => user_page(&state, &p, &user, Some(FormError::from_service(e)?)).await,
    }
}

/// Asks before removing the user from the organization.
pub async fn confirm_remove_from_org(
    State(state): State<AppState>,
    p: OrgPage,
    Path((_, user)): Path<(String, String)>,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    let n = u.memberships.len();
    let consequence = if u.id == p.who.user.as_str() {
        format!("This is you: you lose access to this organization and its {n} team(s) at once.")
    } else {
        format!(
            "{} loses access to {n} team(s), any org role, and every seat they hold is freed.",
            u.email
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
    Path((_, user)): Path<(String, String)>,
    PageForm(_): PageForm,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    match state.services.remove_from_org(&p.who, &req, &user).await {
        Ok(()) if u.id == p.who.user.as_str() => Ok(done("/", "You left the organization.")),
        Ok(()) => Ok(done(
            &format!("/orgs/{}/users", p.who.org),
            &format!("Removed {} from the organization.", u.email),
        )),
        Err(e) => user_page(&state, &p, &user, Some(FormError::from_service(e)?)).await,
    }
}

/// **Resend invitation** to a user who has not signed in yet.
pub async fn resend_invitation(
    State(state): State<AppState>,
    p: OrgPage,
    InRequest(req): InRequest,
    Path((_, user)): Path<(String, String)>,
    PageForm(_): PageForm,
) -> PageResult {
    let u = state.services.get_user(&p.who, &user).await?;
    match state.services.resend_invitation(&p.who, &req, &user).await {
        Ok(()) => Ok(done(
            &format!("/orgs/{}/users/{user}", p.who.org),
            &format!("Invitation sent again to {}.", u.email),
        )),
        Err(e) => user_page(&state, &p, &user, Some(FormError::from_service(e)?)).await,
    }
}
