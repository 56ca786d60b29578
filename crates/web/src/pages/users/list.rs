//! The users list (`/orgs/{org}/users`): counters, search and filters, a table sorted by name,
//! email, last active or status (either way, by the column headings), pages both ways with
//! "51–100 of 2,001", **Add users** (many emails at once, a result per email, and the users just
//! added shown in a table of their own); **Download CSV** of the filtered list is in
//! [`mod@super::export`].

use crate::AppState;
use crate::extract::InRequest;
use crate::pages::browser::{FieldError, FormError, OrgPage, PageForm, PageResult, page};
use crate::pages::human;
use crate::pages::shell::{Section, Shell};
use axum::extract::{RawQuery, State};
use switchboard_domain::access::Action;
use switchboard_domain::ids::{TeamId, UserId};
use switchboard_domain::role::TeamRole;
use switchboard_service::ServiceError;
use switchboard_service::teams::TeamChoice;
use switchboard_service::users::{
    AddOutcome, BulkAdd, BulkAddResult, UserCounts, UserPage, UserQuery,
};
use switchboard_service::views::UserView;

/// The page's order when the person chose none: by name.
const DEFAULT_SORT: &str = "name";

/// The filters and order as the person set them, to fill the form and build links.
#[derive(Default)]
struct Filters {
    q: String,
    team: String,
    team_role: String,
    org_role: String,
    status: String,
    app_access: String,
    used_app: String,
    idle: String,
    sort: String,
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
                "idle" => f.idle = v,
                "sort" => f.sort = v,
                _ => {}
            }
        }
        if f.sort.trim().is_empty() {
            f.sort = DEFAULT_SORT.to_owned();
        }
        f
    }

    /// The query string of the filters (blank ones left out), with or without the order.
    fn query(&self, with_sort: bool) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("team", &self.team),
            ("team_role", &self.team_role),
            ("org_role", &self.org_role),
            ("status", &self.status),
            ("app_access", &self.app_access),
            ("used_app", &self.used_app),
            ("idle", &self.idle),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v);
            }
        }
        if with_sort {
            s.append_pair("sort", &self.sort);
        }
        s.finish()
    }
}

/// A sortable column heading: the link that sorts by it (the other way when it already does),
/// and how it is sorted now, for `aria-sort`.
pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`.
    pub aria: &'static str,
    /// "▲" or "▼" beside the heading it sorts by.
    pub mark: &'static str,
}

fn sort_links(base: &str, f: &Filters) -> [SortLink; 4] {
    let link = |label: &'static str, key: &str| {
        let (aria, mark, next) = if f.sort == key {
            ("ascending", "▲", format!("-{key}"))
        } else if f.sort.strip_prefix('-') == Some(key) {
            ("descending", "▼", key.to_owned())
        } else {
            ("none", "", key.to_owned())
        };
        let q = f.query(false);
        let sep = if q.is_empty() { "" } else { "&" };
        SortLink {
            label,
            href: format!("{base}?{q}{sep}sort={next}"),
            aria,
            mark,
        }
    };
    [
        link("Email", "email"),
        link("Name", "name"),
        link("Status", "status"),
        link("Last active", "last_active"),
    ]
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
    /// People whose seat the idle-seat rule releases within the week, or already idle (R29).
    idle_pending: i64,
    filters: Filters,
    sorts: [SortLink; 4],
    users: Vec<UserView>,
    /// "Showing 51–100 of 2,001 users".
    showing: String,
    next_page: Option<String>,
    prev_page: Option<String>,
    csv: String,
    teams: Vec<TeamChoice>,
    /// Teams the person may add users to.
    add_teams: Vec<TeamChoice>,
    add: AddForm,
    added: Option<BulkAddResult>,
    /// The users the add just added, as the table shows users.
    just_added: Vec<UserView>,
    error: Option<FormError>,
}

/// The page number a link carried (display only: the cursor says where the page starts).
fn page_number(raw: &str) -> i64 {
    form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|n| (1..=1_000_000).contains(n))
        .unwrap_or(1)
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
    let number = page_number(raw);
    // The page's own order when none was chosen.
    let with_sort = if raw.split('&').any(|kv| kv.starts_with("sort=")) {
        raw.to_owned()
    } else if raw.is_empty() {
        format!("sort={DEFAULT_SORT}")
    } else {
        format!("{raw}&sort={DEFAULT_SORT}")
    };
    let listed = match crate::input::query::<UserQuery>(&with_sort) {
        Ok(q) => match state.services.list_users(&p.who, &q).await {
            Ok(page) => Ok(page),
            Err(e) => Err(FormError::in_org(e, p)?),
        },
        Err(api) => Err(FormError::from_api(api)?),
    };
    let listed = match listed {
        Ok(page) => page,
        Err(mut e) => {
            // A filter that can't be used is said in the summary, linking to the filter's own
            // control (`filter-…`); the list is left empty.
            e.field = e.field.map(|f| format!("filter-{f}"));
            error = error.or(Some(e));
            UserPage {
                items: Vec::new(),
                next_cursor: None,
                prev_cursor: None,
                total: 0,
            }
        }
    };
    let teams = state.services.team_choices(&p.who).await?;
    let counts = state.services.user_counts(&p.who).await?;
    let mut idle_people: Vec<_> = state
        .services
        .idle_seats(&p.who, None)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    idle_people.sort();
    idle_people.dedup();
    let idle_pending = idle_people.len() as i64;
    let add_teams: Vec<TeamChoice> = teams
        .iter()
        .filter(|t| {
            TeamId::parse(&t.id).is_some_and(|id| p.who.may(Action::ManageMembership(&id)).is_ok())
        })
        .cloned()
        .collect();
    let base = format!("/orgs/{}/users", p.who.org);
    let query = filters.query(true);
    let to_page = |key: &str, cursor: &str, n: i64| {
        let extra = form_urlencoded::Serializer::new(String::new())
            .append_pair(key, cursor)
            .append_pair("page", &n.to_string())
            .finish();
        format!("{base}?{query}&{extra}")
    };
    let shown = listed.items.len() as i64;
    let first = (number - 1) * 50 + 1;
    let showing = if shown == 0 {
        String::new()
    } else {
        format!(
            "Showing {}–{} of {}",
            human::count(first),
            human::count(first + shown - 1),
            human::counted(listed.total, "user", "users")
        )
    };
    let just_added = match &added {
        Some(r) => {
            let ids: Vec<String> = r
                .results
                .iter()
                .filter(|x| x.outcome == AddOutcome::Added)
                .filter_map(|x| x.user_id.clone())
                .collect();
            let mut views = Vec::new();
            for id in ids.iter().take(50).filter_map(|id| UserId::parse(id)) {
                if let Ok(u) = state.services.get_user(&p.who, &id).await {
                    views.push(u);
                }
            }
            views
        }
        None => Vec::new(),
    };
    let shell = Shell::for_org(state, p, "Users", Section::Users).await?;
    Ok(page(
        &p.browser,
        &UsersPage {
            shell,
            org: p.who.org.to_string(),
            seats_held: teams.iter().map(|t| t.seats_used).sum(),
            idle_pending,
            counts,
            csv: format!("/orgs/{}/users.csv?{}", p.who.org, filters.query(true)),
            sorts: sort_links(&base, &filters),
            next_page: listed
                .next_cursor
                .as_deref()
                .map(|c| to_page("cursor", c, number + 1)),
            prev_page: listed
                .prev_cursor
                .as_deref()
                .map(|c| to_page("before", c, (number - 1).max(1))),
            showing,
            filters,
            users: listed.items,
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
            just_added,
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

/// **Add users**: many emails to one team at once; the page shows a result per email and the
/// users it added.
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
            let error = FormError::in_org(e, &p)?;
            users_page(&state, &p, "", form, None, Some(error)).await
        }
    }
}

#[cfg(test)]
mod tests;
