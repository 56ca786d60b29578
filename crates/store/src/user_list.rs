//! The user list (R11): its filters, one cursor-paginated page of it, and the search by a
//! substring of email or name, with the search text kept on each user and the full-text index
//! that finds the few users holding a rare substring.

use crate::user_order::{Keyset, Order, keyset_condition, order_by};
use crate::{Conn, Result, Sql, is_sqlite};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole};

/// The text `q` is matched against.
pub fn search_text(email: &str, name: Option<&str>) -> String {
    format!("{} {}", email, name.unwrap_or_default()).to_lowercase()
}

/// Put around every character of the spread search text; never part of an email or a name
/// (control characters are refused in both).
pub const SPREAD: char = '\u{1f}';

/// `text` with [`SPREAD`] before, between and after its characters: then every substring of
/// one character or more is a run of trigrams of it, which SQLite's FTS5 trigram index finds.
pub fn spread(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2 + 1);
    out.push(SPREAD);
    for c in text.chars() {
        out.push(c);
        out.push(SPREAD);
    }
    out
}

/// Filters of the user list (R11). Membership filters (`team`, `team_role`, `app_access`, and a
/// Team Admin's `scope`) must all hold for one and the same membership.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Lower-cased substring of email or name.
    pub q: Option<String>,
    /// Whether few users hold `q` (see [`list_users`]); set there, not by callers.
    pub rare: bool,
    pub team: Option<TeamId>,
    pub team_role: Option<TeamRole>,
    /// Users with this org role; `Some(None)`: users without one.
    pub org_role: Option<Option<OrgRole>>,
    pub signed_in: Option<bool>,
    pub app_access: Option<bool>,
    /// Users who have (`true`) or have never (`false`) reported usage from the app (R26).
    pub used_app: Option<bool>,
    /// Only users with a membership in one of these teams.
    pub scope: Option<Vec<TeamId>>,
    /// Only (`true`) or all but (`false`) these users: the idle seats' holders (R29), which the
    /// service works out.
    pub among: Option<(bool, Vec<UserId>)>,
    /// The order; `None`: by id (creation order).
    pub order: Option<Order>,
    /// Only users after this one in the order (the next page).
    pub after: Option<Keyset>,
    /// Only users before this one in the order (the previous page), read backward.
    pub before: Option<Keyset>,
    pub limit: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct UserListRow {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub first_signed_in_at: Option<i64>,
    pub org_role: Option<OrgRole>,
    /// When the user was last invited to the organization.
    pub invited_at: Option<i64>,
    /// The last day (in the organization's time zone) the user used the app (R26).
    pub last_active: Option<String>,
    /// The row's value in the list's order (for the next page's cursor); `None` in id order.
    pub sort_value: Option<String>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Matches the index may return for the page to be built from them; beyond, `q` is common, and
/// walking the organization in order finds a page of matches within a few thousand rows.
pub const SPARSE_MATCHES: usize = 2000;

/// The FTS5 query that finds the users holding `needle`. One or two characters: the single
/// trigram of `search_spread` that holds exactly them. Three and more: the needle's first and
/// last trigrams (and one from the middle of a long needle) on `search` — a few posting lists to
/// merge, no positions to check — which every holder matches, and a rare few others; the
/// page's `LIKE` on the candidates keeps the holders only.
fn fts_query(needle: &str) -> String {
    let chars: Vec<char> = needle.chars().collect();
    let quote =
        |column: &str, phrase: String| format!("{{{column}}}: \"{}\"", phrase.replace('"', "\"\""));
    match chars.as_slice() {
        [a] => quote("search_spread", format!("{SPREAD}{a}{SPREAD}")),
        [a, b] => quote("search_spread", format!("{a}{SPREAD}{b}")),
        _ => {
            let n = chars.len();
            let mut starts = vec![0, n - 3];
            if n >= 9 {
                starts.push(n / 2 - 1);
            }
            starts.dedup();
            starts
                .into_iter()
                .map(|i| quote("search", chars[i..i + 3].iter().collect()))
                .collect::<Vec<_>>()
                .join(" AND ")
        }
    }
}

/// Whether few users (of any organization) hold `needle`. SQLite: counted (at most
/// [`SPARSE_MATCHES`] + 1) from the FTS5 trigram table ([`fts_query`]); PostgreSQL: estimated by
/// the planner from the statistics of its indexes (pg_trgm for three characters and more, the
/// short-pieces GIN index for one or two).
pub async fn is_rare(c: &mut Conn, needle: &str) -> Result<bool> {
    let limit = SPARSE_MATCHES as i64 + 1;
    let count: i64 = if is_sqlite(c) {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM \
             (SELECT rowid FROM users_search WHERE users_search MATCH $1 LIMIT $2) AS m",
        )
        .bind(fts_query(needle))
        .bind(limit)
        .fetch_one(c)
        .await?
    } else {
        // The planner's estimate from the trigram statistics: free, where counting a common
        // needle's matches would read thousands of rows.
        let (text, arg) = pg_candidates(needle);
        let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {text}"))
            .bind(arg)
            .fetch_all(c)
            .await?;
        plan.first()
            .and_then(|line| line.split("rows=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(limit)
    };
    Ok(count <= SPARSE_MATCHES as i64)
}

/// PostgreSQL: the query (with `$1`) of the users that may hold `needle`, served by an index.
fn pg_candidates(needle: &str) -> (&'static str, String) {
    if needle.chars().count() >= 3 {
        (
            "SELECT id FROM users WHERE search LIKE $1 ESCAPE '\\'",
            like_pattern(needle),
        )
    } else {
        (
            "SELECT id FROM users WHERE sb_short_grams(search) @> ARRAY[CAST($1 AS TEXT)]",
            needle.to_owned(),
        )
    }
}

/// The SQL of one page of the user list. With a team filter the query walks that team's
/// memberships in user order (the primary key), so its cost follows the team's size, not the org's.
pub fn user_list_sql(org: &OrgId, f: &UserFilter, sqlite: bool) -> Sql {
    let sort_value = f.order.map_or("NULL", |o| o.key.expr());
    let mut q = Sql::new(&format!(
        "SELECT u.id, u.email, u.name, om.first_signed_in_at, om.org_role, om.invited_at, \
         (SELECT MAX(d.day) FROM usage_subject_days d WHERE d.org_id = om.org_id AND d.subject_id = om.user_id) AS last_active, \
         {sort_value} AS sort_value \
         FROM org_members om JOIN users u ON u.id = om.user_id"
    ));
    let membership_conds = |q: &mut Sql, alias: &str| {
        if let Some(r) = &f.team_role {
            q.push(&format!(" AND {alias}.team_role = ")).bind(*r);
        }
        if let Some(a) = f.app_access {
            q.push(&format!(" AND {alias}.app_access = "))
                .bind(i64::from(a));
        }
        if let Some(teams) = &f.scope {
            q.push(&format!(" AND {alias}.team_id IN "))
                .bind_list(teams);
        }
    };
    if let Some(team) = &f.team {
        q.push(" JOIN memberships m ON m.org_id = om.org_id AND m.user_id = om.user_id AND m.team_id = ").bind(team.clone());
        membership_conds(&mut q, "m");
        q.push(" WHERE om.org_id = ").bind(org.clone());
    } else {
        q.push(" WHERE om.org_id = ").bind(org.clone());
        if f.team_role.is_some() || f.app_access.is_some() || f.scope.is_some() {
            q.push(" AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = om.org_id AND m.user_id = om.user_id");
            membership_conds(&mut q, "m");
            q.push(")");
        }
    }
    if let Some(text) = &f.q {
        if f.rare {
            // The few holders, looked up through the index on the driving table's key.
            let key = if f.team.is_some() {
                "m.user_id"
            } else {
                "om.user_id"
            };
            if sqlite {
                q.push(&format!(
                    " AND {key} IN (SELECT id FROM users WHERE rowid IN \
                     (SELECT rowid FROM users_search WHERE users_search MATCH "
                ))
                .bind(fts_query(text))
                .push("))");
            } else {
                let (candidates, arg) = pg_candidates(text);
                let placeholder = format!("${}", q.next_placeholder());
                q.push(&format!(" AND {key} IN ("))
                    .push(&candidates.replace("$1", &placeholder))
                    .push(")");
                q.add_arg(arg);
            }
        }
        q.push(" AND u.search LIKE ")
            .bind(like_pattern(text))
            .push(" ESCAPE '\\'");
    }
    match f.org_role {
        Some(None) => {
            q.push(" AND om.org_role IS NULL");
        }
        Some(Some(r)) => {
            q.push(" AND om.org_role = ").bind(r);
        }
        None => {}
    }
    match f.signed_in {
        Some(true) => {
            q.push(" AND om.first_signed_in_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND om.first_signed_in_at IS NULL");
        }
        None => {}
    }
    if let Some(used) = f.used_app {
        q.push(if used {
            " AND EXISTS"
        } else {
            " AND NOT EXISTS"
        });
        q.push(" (SELECT 1 FROM usage_subject_days d WHERE d.org_id = om.org_id AND d.subject_id = om.user_id)");
    }
    if let Some((inside, users)) = &f.among {
        // One parameter however many users: a JSON array the engine unpacks.
        q.push(if *inside {
            " AND om.user_id IN ("
        } else {
            " AND om.user_id NOT IN ("
        });
        q.push(if sqlite {
            "SELECT value FROM json_each("
        } else {
            "SELECT jsonb_array_elements_text(CAST("
        });
        let ids: Vec<&str> = users.iter().map(UserId::as_str).collect();
        q.bind(serde_json::to_string(&ids).expect("a list of strings serializes"));
        q.push(if sqlite { "))" } else { " AS jsonb)))" });
    }
    // Order by the driving table's key so the engine walks its index instead of sorting.
    let key = if f.team.is_some() {
        "m.user_id"
    } else {
        "om.user_id"
    };
    if let Some(after) = &f.after {
        keyset_condition(&mut q, f.order, key, after, false);
    }
    if let Some(before) = &f.before {
        keyset_condition(&mut q, f.order, key, before, true);
    }
    q.push(&order_by(f.order, key, f.before.is_some()));
    q.push(" LIMIT ").bind(f.limit);
    q
}

/// One page of the user list. With `q`, the index says first whether few users hold it: then the
/// page is built from those few, looked up by the index; when many do, walking the organization
/// in order and matching as it goes fills the page within a few thousand rows.
pub async fn list_users(c: &mut Conn, org: &OrgId, f: &UserFilter) -> Result<Vec<UserListRow>> {
    let mut f = f.clone();
    if let Some(needle) = &f.q {
        f.rare = is_rare(c, needle).await?;
    }
    if is_sqlite(c) || !f.rare {
        return page(c, org, &f).await;
    }
    // PostgreSQL would soon reuse a generic plan for the lookup of a rare needle, one made
    // without knowing the needle, which scans: plan this one for its value.
    use sqlx::Connection;
    let mut tx = c.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let rows = page(&mut tx, org, &f).await?;
    tx.commit().await?;
    Ok(rows)
}

async fn page(c: &mut Conn, org: &OrgId, f: &UserFilter) -> Result<Vec<UserListRow>> {
    let (text, args) = user_list_sql(org, f, is_sqlite(c)).build();
    let mut rows: Vec<UserListRow> = sqlx::query_as_with(&text, args).fetch_all(c).await?;
    if f.before.is_some() {
        // Read backward from the boundary; shown in the list's order.
        rows.reverse();
    }
    Ok(rows)
}

/// How many users the filter matches in all (the cursor and the page size aside), for "51–100
/// of 2,001".
pub async fn count_users(c: &mut Conn, org: &OrgId, f: &UserFilter) -> Result<i64> {
    let mut f = UserFilter {
        order: None,
        after: None,
        before: None,
        limit: i64::MAX,
        ..f.clone()
    };
    if let Some(needle) = &f.q {
        f.rare = is_rare(c, needle).await?;
    }
    let (text, args) = user_list_sql(org, &f, is_sqlite(c)).build();
    let text = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ({text}) AS matched");
    Ok(sqlx::query_scalar_with(&text, args).fetch_one(c).await?)
}

/// Fills the spread search text of users written before it existed, a batch at a time; returns
/// how many were filled. Runs at start-up; finds nothing to do after the first time.
pub async fn backfill_spread(c: &mut Conn) -> Result<usize> {
    let mut filled = 0;
    loop {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, search FROM users WHERE search_spread = '' LIMIT 500")
                .fetch_all(&mut *c)
                .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        for (id, search) in &rows {
            sqlx::query("UPDATE users SET search_spread = $2 WHERE id = $1")
                .bind(id)
                .bind(spread(search))
                .execute(&mut *c)
                .await?;
        }
        filled += rows.len();
    }
}

#[cfg(test)]
mod tests;

/// Head counts for the top of the users page.
#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct UserCounts {
    /// Users in the organization (or in `scope`'s teams).
    pub users: i64,
    /// Of them, those who have never signed in.
    pub not_signed_in: i64,
    /// Of them, those who have never used the app (no usage reported, R26).
    pub never_used_app: i64,
}

/// Counts the organization's users, or only those with a membership in one of `scope`'s teams.
pub async fn user_counts(
    c: &mut Conn,
    org: &OrgId,
    scope: Option<&[TeamId]>,
) -> Result<UserCounts> {
    let mut q = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) AS users, \
         CAST(COALESCE(SUM(CASE WHEN om.first_signed_in_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_signed_in, \
         CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM usage_subject_days d \
         WHERE d.org_id = om.org_id AND d.subject_id = om.user_id) THEN 0 ELSE 1 END), 0) AS BIGINT) AS never_used_app \
         FROM org_members om JOIN users u ON u.id = om.user_id WHERE om.org_id = ",
    );
    q.bind(org.clone());
    if let Some(teams) = scope {
        q.push(
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = om.org_id \
             AND m.user_id = om.user_id AND m.team_id IN ",
        );
        q.bind_list(teams).push(")");
    }
    let (text, args) = q.build();
    Ok(sqlx::query_as_with(&text, args).fetch_one(c).await?)
}
