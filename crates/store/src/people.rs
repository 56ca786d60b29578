//! Users (global identities), org members (a user's presence and org role in an organization) and
//! team memberships, with the filtered, cursor-paginated user list. The bulk functions take many
//! rows per statement so adding 1,000 users is a handful of round trips, not thousands.

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::{OrgId, TeamId, UserId};
use switchboard_domain::role::{OrgRole, TeamRole};
use switchboard_domain::team::LoginType;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub first_signed_in_at: Option<i64>,
    pub created_at: i64,
}

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

pub async fn get_user(c: &mut Conn, id: &UserId) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, first_signed_in_at, created_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await?)
}

pub async fn find_user_by_email(c: &mut Conn, email: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as(
        "SELECT id, email, name, first_signed_in_at, created_at FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(c)
    .await?)
}

/// Users with these emails that exist, as (email, id).
pub async fn find_users_by_emails(
    c: &mut Conn,
    emails: &[String],
) -> Result<Vec<(String, UserId)>> {
    let mut found = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(500) {
        let mut q = Sql::new("SELECT email, id FROM users WHERE email IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        found.extend(
            sqlx::query_as_with::<_, (String, UserId), _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts new users given as (id, email, name). An email that another transaction created
/// meanwhile (users are global, so another organization's writer may) is left alone: read the ids
/// back with [`find_users_by_emails`].
pub async fn insert_users(
    c: &mut Conn,
    users: &[(UserId, String, Option<String>)],
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO users (id, email, name, search, search_spread, first_signed_in_at, created_at) VALUES ",
        );
        for (i, (id, email, name)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(id.clone())
                .push(", ")
                .bind(email.clone())
                .push(", ")
                .bind(name.clone());
            let search = search_text(email, name.as_deref());
            let spread_text = spread(&search);
            q.push(", ").bind(search).push(", ").bind(spread_text);
            q.push(", NULL, ").bind(now).push(")");
        }
        q.push(" ON CONFLICT (email) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

/// The id of the user with this email, creating the user if there is none.
pub async fn ensure_user(c: &mut Conn, new_id: &UserId, email: &str, now: i64) -> Result<UserId> {
    insert_users(c, &[(new_id.clone(), email.to_owned(), None)], now).await?;
    Ok(find_user_by_email(c, email)
        .await?
        .map(|u| u.id)
        .unwrap_or_else(|| new_id.clone()))
}

pub async fn set_user_name(
    c: &mut Conn,
    id: &UserId,
    email: &str,
    name: Option<&str>,
) -> Result<()> {
    let search = search_text(email, name);
    let spread_text = spread(&search);
    sqlx::query("UPDATE users SET name = $2, search = $3, search_spread = $4 WHERE id = $1")
        .bind(id)
        .bind(name.map(str::to_owned))
        .bind(search)
        .bind(spread_text)
        .execute(c)
        .await?;
    Ok(())
}

/// R11: the first successful sign-in moves the user to `signed_in`.
pub async fn mark_signed_in(c: &mut Conn, id: &UserId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET first_signed_in_at = $2 WHERE id = $1 AND first_signed_in_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

// ---- org members ---------------------------------------------------------------------------

/// The user's org role in the organization: `None` if not in it, `Some(None)` if in it without one.
pub async fn org_role(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<Option<Option<OrgRole>>> {
    let row: Option<(Option<OrgRole>,)> =
        sqlx::query_as("SELECT org_role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Adds users to the organization (without an org role); users already in it are left alone.
pub async fn insert_org_members(
    c: &mut Conn,
    org: &OrgId,
    users: &[UserId],
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q =
            Sql::new("INSERT INTO org_members (org_id, user_id, org_role, created_at) VALUES ");
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(org.clone())
                .push(", ")
                .bind(u.clone())
                .push(", NULL, ")
                .bind(now)
                .push(")");
        }
        q.push(" ON CONFLICT (org_id, user_id) DO NOTHING");
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

pub async fn set_org_role(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    role: Option<OrgRole>,
) -> Result<()> {
    sqlx::query("UPDATE org_members SET org_role = $3 WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn delete_org_member(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn count_org_role(c: &mut Conn, org: &OrgId, role: OrgRole) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_members WHERE org_id = $1 AND org_role = $2",
    )
    .bind(org)
    .bind(role)
    .fetch_one(c)
    .await?)
}

#[derive(Debug, Clone, FromRow)]
pub struct OrgRoleRow {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub org_role: OrgRole,
}

pub async fn list_org_roles(c: &mut Conn, org: &OrgId) -> Result<Vec<OrgRoleRow>> {
    Ok(sqlx::query_as(
        "SELECT om.user_id, u.email, u.name, om.org_role FROM org_members om JOIN users u ON u.id = om.user_id \
         WHERE om.org_id = $1 AND om.org_role IS NOT NULL ORDER BY om.user_id",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

/// One organization a user is in.
#[derive(Debug, Clone, FromRow)]
pub struct UserOrg {
    pub org_id: OrgId,
    /// `None` until the organization is established (R2).
    pub org_name: Option<String>,
    pub org_role: Option<OrgRole>,
}

/// Organizations the user is in, with their org role there.
pub async fn orgs_of_user(c: &mut Conn, user: &UserId) -> Result<Vec<UserOrg>> {
    Ok(sqlx::query_as(
        "SELECT o.id AS org_id, o.name AS org_name, om.org_role FROM org_members om JOIN orgs o ON o.id = om.org_id \
         WHERE om.user_id = $1 ORDER BY o.id",
    )
    .bind(user)
    .fetch_all(c)
    .await?)
}

// ---- memberships ---------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow)]
pub struct MembershipRow {
    pub user_id: UserId,
    pub team_id: TeamId,
    pub team_name: String,
    pub login_type: LoginType,
    pub team_role: TeamRole,
    pub app_access: i64,
}

const MEMBERSHIP_SELECT: &str = "SELECT m.user_id, m.team_id, t.name AS team_name, t.login_type, m.team_role, m.app_access \
     FROM memberships m JOIN teams t ON t.org_id = m.org_id AND t.id = m.team_id";

/// Every membership of these users in the organization.
pub async fn memberships_of_users(
    c: &mut Conn,
    org: &OrgId,
    users: &[UserId],
) -> Result<Vec<MembershipRow>> {
    let mut rows = Vec::new();
    for chunk in users.chunks(500) {
        let mut q = Sql::new(MEMBERSHIP_SELECT);
        q.push(" WHERE m.org_id = ")
            .bind(org.clone())
            .push(" AND m.user_id IN ");
        q.bind_list(chunk).push(" ORDER BY m.user_id, m.team_id");
        let (text, args) = q.build();
        rows.extend(
            sqlx::query_as_with::<_, MembershipRow, _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(rows)
}

pub async fn get_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
) -> Result<Option<MembershipRow>> {
    Ok(sqlx::query_as(&format!(
        "{MEMBERSHIP_SELECT} WHERE m.org_id = $1 AND m.user_id = $2 AND m.team_id = $3"
    ))
    .bind(org)
    .bind(user)
    .bind(team)
    .fetch_optional(c)
    .await?)
}

/// Which of these users are already members of the team.
pub async fn members_among(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    users: &[UserId],
) -> Result<Vec<UserId>> {
    let mut found = Vec::new();
    for chunk in users.chunks(500) {
        let mut q = Sql::new("SELECT user_id FROM memberships WHERE org_id = ");
        q.bind(org.clone())
            .push(" AND team_id = ")
            .bind(team.clone())
            .push(" AND user_id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        found.extend(
            sqlx::query_scalar_with::<_, UserId, _>(&text, args)
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(found)
}

/// Inserts memberships of these users in one team, all with the same role and app access.
pub async fn insert_memberships(
    c: &mut Conn,
    org: &OrgId,
    team: &TeamId,
    users: &[UserId],
    team_role: TeamRole,
    app_access: bool,
    now: i64,
) -> Result<()> {
    for chunk in users.chunks(400) {
        let mut q = Sql::new(
            "INSERT INTO memberships (org_id, team_id, user_id, team_role, app_access, created_at) VALUES ",
        );
        for (i, u) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(org.clone())
                .push(", ")
                .bind(team.clone())
                .push(", ")
                .bind(u.clone());
            q.push(", ")
                .bind(team_role)
                .push(", ")
                .bind(i64::from(app_access))
                .push(", ")
                .bind(now)
                .push(")");
        }
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    if app_access && !users.is_empty() {
        add_seats(c, org, team, users.len() as i64).await?;
    }
    Ok(())
}

/// Moves a team's seat counter (`teams.seats_used`). Every function here that changes who holds
/// a seat calls it in the same transaction, so the counter can't drift from the memberships.
pub async fn add_seats(c: &mut Conn, org: &OrgId, team: &TeamId, delta: i64) -> Result<()> {
    sqlx::query("UPDATE teams SET seats_used = seats_used + $3 WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(team)
        .bind(delta)
        .execute(c)
        .await?;
    Ok(())
}

/// App access of one membership as 0/1, or 0 if there is none.
async fn access_of(c: &mut Conn, org: &OrgId, user: &UserId, team: &TeamId) -> Result<i64> {
    let a: Option<i64> = sqlx::query_scalar(
        "SELECT app_access FROM memberships WHERE org_id = $1 AND user_id = $2 AND team_id = $3",
    )
    .bind(org)
    .bind(user)
    .bind(team)
    .fetch_optional(&mut *c)
    .await?;
    Ok(a.unwrap_or(0))
}

pub async fn update_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
    team_role: TeamRole,
    app_access: bool,
) -> Result<()> {
    let before = access_of(c, org, user, team).await?;
    sqlx::query("UPDATE memberships SET team_role = $4, app_access = $5 WHERE org_id = $1 AND user_id = $2 AND team_id = $3")
        .bind(org)
        .bind(user)
        .bind(team)
        .bind(team_role)
        .bind(i64::from(app_access))
        .execute(&mut *c)
        .await?;
    let delta = i64::from(app_access) - before;
    if delta != 0 {
        add_seats(c, org, team, delta).await?;
    }
    Ok(())
}

pub async fn delete_membership(
    c: &mut Conn,
    org: &OrgId,
    user: &UserId,
    team: &TeamId,
) -> Result<()> {
    let before = access_of(c, org, user, team).await?;
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 AND team_id = $3")
        .bind(org)
        .bind(user)
        .bind(team)
        .execute(&mut *c)
        .await?;
    if before != 0 {
        add_seats(c, org, team, -before).await?;
    }
    Ok(())
}

pub async fn delete_memberships_of_user(c: &mut Conn, org: &OrgId, user: &UserId) -> Result<()> {
    sqlx::query(
        "UPDATE teams SET seats_used = seats_used - 1 WHERE org_id = $1 AND id IN \
         (SELECT team_id FROM memberships WHERE org_id = $1 AND user_id = $2 AND app_access = 1)",
    )
    .bind(org)
    .bind(user)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(c)
        .await?;
    Ok(())
}

/// Seat holders counted from the memberships themselves, per team: what `teams.seats_used` must
/// always equal (checked by tests).
pub async fn counted_seats(c: &mut Conn, org: &OrgId) -> Result<Vec<(TeamId, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.seats_used, CAST((SELECT COUNT(*) FROM memberships m WHERE m.org_id = t.org_id \
         AND m.team_id = t.id AND m.app_access = 1) + (SELECT COUNT(*) FROM devices d WHERE d.org_id = t.org_id \
         AND d.team_id = t.id) AS BIGINT) FROM teams t WHERE t.org_id = $1",
    )
    .bind(org)
    .fetch_all(c)
    .await?)
}

// ---- the user list -------------------------------------------------------------------------

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
    /// Only users with a membership in one of these teams.
    pub scope: Option<Vec<TeamId>>,
    /// Only users whose id sorts after this one (the cursor).
    pub after: Option<UserId>,
    pub limit: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct UserListRow {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub first_signed_in_at: Option<i64>,
    pub org_role: Option<OrgRole>,
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

fn is_sqlite(c: &Conn) -> bool {
    c.backend_name().eq_ignore_ascii_case("sqlite")
}

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
    let mut q = Sql::new(
        "SELECT u.id, u.email, u.name, u.first_signed_in_at, om.org_role FROM org_members om JOIN users u ON u.id = om.user_id",
    );
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
            q.push(" AND u.first_signed_in_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND u.first_signed_in_at IS NULL");
        }
        None => {}
    }
    // Order by the driving table's key so the engine walks its index instead of sorting.
    let key = if f.team.is_some() {
        "m.user_id"
    } else {
        "om.user_id"
    };
    if let Some(after) = &f.after {
        q.push(&format!(" AND {key} > ")).bind(after.clone());
    }
    q.push(&format!(" ORDER BY {key} LIMIT ")).bind(f.limit);
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
    Ok(sqlx::query_as_with(&text, args).fetch_all(c).await?)
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

/// Marks these users as signed in (demo data).
pub async fn mark_many_signed_in(c: &mut Conn, users: &[UserId], now: i64) -> Result<()> {
    for chunk in users.chunks(500) {
        let mut q = Sql::new("UPDATE users SET first_signed_in_at = ");
        q.bind(now).push(" WHERE id IN ");
        q.bind_list(chunk);
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_text_holds_every_short_substring_as_a_trigram_run() {
        let s = spread("ana");
        assert_eq!(s.chars().count(), 7);
        for needle in ["a", "n", "an", "na", "ana"] {
            assert!(s.contains(&spread(needle)), "{needle}");
        }
        assert!(!s.contains(&spread("aa")));
    }

    #[test]
    fn fts_queries_pick_the_column_by_length_and_quote_the_needle() {
        assert_eq!(fts_query("a"), "{search_spread}: \"\u{1f}a\u{1f}\"");
        assert_eq!(fts_query("ab"), "{search_spread}: \"a\u{1f}b\"");
        assert_eq!(fts_query("a\"b"), "{search}: \"a\"\"b\"");
        assert_eq!(fts_query("ana"), "{search}: \"ana\"");
        assert_eq!(fts_query("nora"), "{search}: \"nor\" AND {search}: \"ora\"");
        assert_eq!(
            fts_query("nora.okafor"),
            "{search}: \"nor\" AND {search}: \"for\" AND {search}: \".ok\""
        );
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
