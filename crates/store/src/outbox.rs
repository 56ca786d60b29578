//! The mail outbox: messages queued inside the transaction of the change that causes them, and
//! the claims a delivery worker makes on them. A claim is a lease (`lease_until`), taken with a
//! conditional UPDATE, so two workers — on one instance or several — never send one message twice
//! at the same time, on either engine.

use crate::{Conn, Result};
use sqlx::FromRow;

#[derive(Debug, Clone, FromRow)]
pub struct QueuedMail {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub code: Option<String>,
    pub attempts: i64,
}

pub async fn enqueue(c: &mut Conn, m: &QueuedMail, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, org_id, kind, recipient, subject, body, code, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
    )
    .bind(&m.id)
    .bind(m.org_id.clone())
    .bind(&m.kind)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(m.code.clone())
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Queues many messages at once (a bulk add's invitations), in multi-row inserts.
pub async fn enqueue_many(c: &mut Conn, mails: &[QueuedMail], now: i64) -> Result<()> {
    for chunk in mails.chunks(200) {
        let mut q = crate::Sql::new(
            "INSERT INTO outbox (id, org_id, kind, recipient, subject, body, code, attempts, next_attempt_at, created_at) VALUES ",
        );
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(m.id.clone())
                .push(", ")
                .bind(m.org_id.clone())
                .push(", ")
                .bind(m.kind.clone())
                .push(", ")
                .bind(m.recipient.clone())
                .push(", ")
                .bind(m.subject.clone())
                .push(", ")
                .bind(m.body.clone())
                .push(", ")
                .bind(m.code.clone())
                .push(", 0, ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        let (text, args) = q.build();
        sqlx::query_with(&text, args).execute(&mut *c).await?;
    }
    Ok(())
}

/// Up to `limit` messages due now that no worker holds.
pub async fn due(c: &mut Conn, now: i64, limit: i64) -> Result<Vec<QueuedMail>> {
    Ok(sqlx::query_as(
        "SELECT id, org_id, kind, recipient, subject, body, code, attempts FROM outbox \
         WHERE failed_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1) \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await?)
}

/// Takes the lease on one message until `until`; false if another worker holds it or it is gone.
pub async fn claim(c: &mut Conn, id: &str, now: i64, until: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_until = $3, attempts = attempts + 1 \
         WHERE id = $1 AND failed_at IS NULL AND (lease_until IS NULL OR lease_until < $2)",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Delivered: the message leaves the outbox (it may hold a sign-in code).
pub async fn delivered(c: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM outbox WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Not delivered: try again at `next_attempt_at`, or give up (`failed`).
pub async fn retry_later(
    c: &mut Conn,
    id: &str,
    error: &str,
    next_attempt_at: i64,
    failed: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET lease_until = NULL, last_error = $2, next_attempt_at = $3, failed_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(next_attempt_at)
    .bind(failed)
    .execute(c)
    .await?;
    Ok(())
}

/// Messages still waiting (not delivered, not given up).
pub async fn pending(c: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE failed_at IS NULL")
            .fetch_one(c)
            .await?,
    )
}
