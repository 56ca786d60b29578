//! **Download CSV** of the users list as filtered (every page of it, in the list's order).

use crate::AppState;
use crate::pages::browser::{OrgPage, PageResult, csv_download};
use axum::extract::{RawQuery, State};
use switchboard_service::users::UserQuery;

/// **Download CSV** of the filtered list (every page of it), in the list's order.
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
