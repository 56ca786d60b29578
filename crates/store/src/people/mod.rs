//! People: users (global identities, here), org members (a user's presence and org role in an
//! organization, [`org_members`]) and team memberships ([`memberships`]); the filtered,
//! cursor-paginated user list lives in [`crate::user_list`] and is re-exported here. The bulk
//! functions take many rows per statement so adding 1,000 users is a handful of round trips, not
//! thousands.

mod memberships;
mod org_members;

pub use memberships::*;
pub use org_members::*;

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::ids::UserId;

pub use crate::user_list::{
    SPARSE_MATCHES, SPREAD, UserFilter, UserListRow, backfill_spread, count_users, is_rare,
    list_users, search_text, spread, user_list_sql,
};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub first_signed_in_at: Option<i64>,
    pub created_at: i64,
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

/// R4: emails stored before an IDNA domain's ASCII form (`xn--…`) was read as its Unicode form
/// are rewritten to the one canonical form — unless that form is another user's already (then
/// both stay, and the count of such pairs is answered for the log).
pub async fn canonicalize_emails(c: &mut Conn) -> Result<(usize, usize)> {
    let rows: Vec<(UserId, String, Option<String>)> =
        sqlx::query_as("SELECT id, email, name FROM users WHERE email LIKE '%xn--%'")
            .fetch_all(&mut *c)
            .await?;
    let (mut fixed, mut clashes) = (0, 0);
    for (id, email, name) in rows {
        let Ok(canonical) = switchboard_domain::email::Email::parse(&email) else {
            continue;
        };
        if canonical.as_str() == email {
            continue;
        }
        if find_user_by_email(c, canonical.as_str()).await?.is_some() {
            clashes += 1;
            continue;
        }
        let search = search_text(canonical.as_str(), name.as_deref());
        let spread_text = spread(&search);
        sqlx::query("UPDATE users SET email = $2, search = $3, search_spread = $4 WHERE id = $1")
            .bind(&id)
            .bind(canonical.as_str())
            .bind(search)
            .bind(spread_text)
            .execute(&mut *c)
            .await?;
        fixed += 1;
    }
    Ok((fixed, clashes))
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
