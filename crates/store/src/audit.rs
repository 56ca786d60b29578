//! The audit log (R25): appended inside the transaction of the change it records, each entry
//! chained to the one before by hash. The caller holds the organization's write lock
//! ([`crate::Store::write_org`]), so reading the chain's head and appending the next entry cannot
//! race. The head (newest sequence number and hash) is kept on the organization's row too
//! ([`anchor`]), so deleting the newest entries shows; the database refuses UPDATE and DELETE of
//! entries (migrations 1003 on SQLite, 1005 on PostgreSQL).

use crate::{Conn, Result, Sql};
use sqlx::FromRow;
use switchboard_domain::audit::{EntryFields, GENESIS, entry_hash};
use switchboard_domain::ids::AuditId;
use switchboard_domain::ids::OrgId;

/// What a use case records about one change.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub request_id: &'a str,
    pub actor_name: Option<&'a str>,
    pub target_name: Option<&'a str>,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub org_id: String,
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before_json: String,
    pub after_json: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
    pub actor_name: Option<String>,
    pub target_name: Option<String>,
}

impl AuditRow {
    pub fn fields(&self) -> EntryFields<'_> {
        EntryFields {
            org_id: &self.org_id,
            seq: self.seq,
            at_ms: self.at,
            actor: &self.actor,
            action: &self.action,
            target: &self.target,
            before: &self.before_json,
            after: &self.after_json,
            request_id: &self.request_id,
            actor_name: self.actor_name.as_deref(),
            target_name: self.target_name.as_deref(),
        }
    }
}

/// The newest entry of an organization's chain: its sequence number and hash (`seq` 0 and the
/// genesis hash before the first entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl AuditHead {
    /// The head as the organization's row keeps it (an empty hash before the first entry).
    pub fn stored(seq: i64, hash: String) -> Self {
        if seq == 0 {
            Self::genesis()
        } else {
            Self { seq, hash }
        }
    }

    /// A chain with no entry yet.
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

/// The head of an organization's chain as its row keeps it (for a write that moves another
/// organization too).
pub async fn head(c: &mut Conn, org: &OrgId) -> Result<AuditHead> {
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT audit_seq, audit_head FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(c)
            .await?;
    Ok(AuditHead::stored(seq, hash))
}

/// The newest entry of an organization's chain as the log holds it.
pub async fn newest(c: &mut Conn, org: &OrgId) -> Result<AuditHead> {
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(org)
    .fetch_optional(c)
    .await?;
    Ok(last.map_or_else(AuditHead::genesis, |(seq, hash)| AuditHead { seq, hash }))
}

/// Keeps `head` on the organization's row, in the transaction that appended up to it.
pub async fn anchor(c: &mut Conn, org: &OrgId, head: &AuditHead) -> Result<()> {
    sqlx::query("UPDATE orgs SET audit_seq = $2, audit_head = $3 WHERE id = $1")
        .bind(org)
        .bind(head.seq)
        .bind(&head.hash)
        .execute(c)
        .await?;
    Ok(())
}

/// Appends the entry after `head` and moves `head` to it.
pub async fn append(
    c: &mut Conn,
    org: &OrgId,
    head: &mut AuditHead,
    e: NewEntry<'_>,
    now: i64,
) -> Result<()> {
    let (seq, prev) = (head.seq + 1, head.hash.clone());
    let before = e.before.to_string();
    let after = e.after.to_string();
    let fields = EntryFields {
        org_id: org.as_str(),
        seq,
        at_ms: now,
        actor: e.actor,
        action: e.action,
        target: e.target,
        before: &before,
        after: &after,
        request_id: e.request_id,
        actor_name: e.actor_name,
        target_name: e.target_name,
    };
    let hash = entry_hash(&prev, &fields);
    sqlx::query(
        "INSERT INTO audit_log (org_id, seq, id, at, actor, action, target, before_json, after_json, request_id, prev_hash, hash, actor_name, target_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(org)
    .bind(seq)
    .bind(AuditId::generate().as_str().to_owned())
    .bind(now)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(before)
    .bind(after)
    .bind(e.request_id)
    .bind(prev)
    .bind(&hash)
    .bind(e.actor_name.map(str::to_owned))
    .bind(e.target_name.map(str::to_owned))
    .execute(c)
    .await?;
    *head = AuditHead { seq, hash };
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Entries older than this sequence number (the cursor; the log reads newest first).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "org_id, seq, id, at, actor, action, target, before_json, after_json, request_id, prev_hash, hash, actor_name, target_name";

pub async fn list(c: &mut Conn, org: &OrgId, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM audit_log WHERE org_id = "));
    q.bind(org.clone());
    if let Some(v) = &f.actor {
        q.push(" AND actor = ").bind(v.clone());
    }
    if let Some(v) = &f.action {
        q.push(" AND action = ").bind(v.clone());
    }
    if let Some(v) = &f.target {
        q.push(" AND target = ").bind(v.clone());
    }
    if let Some(v) = f.from_ms {
        q.push(" AND at >= ").bind(v);
    }
    if let Some(v) = f.to_ms {
        q.push(" AND at < ").bind(v);
    }
    if let Some(v) = f.before_seq {
        q.push(" AND seq < ").bind(v);
    }
    q.push(" ORDER BY seq DESC LIMIT ").bind(f.limit);
    let (text, args) = q.build();
    Ok(sqlx::query_as_with(&text, args).fetch_all(c).await?)
}

/// Recomputes the whole chain of an organization and checks it reaches the head its row keeps;
/// returns the first broken sequence number (the first missing one when entries were deleted).
/// The head is read first: entries committed after it (or appended by a release that did not
/// keep the head) extend the chain and are checked as links, never mistaken for a break.
pub async fn verify_chain(c: &mut Conn, org: &OrgId) -> Result<Option<i64>> {
    let anchor = head(&mut *c, org).await?;
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE org_id = $1 ORDER BY seq"
    ))
    .bind(org)
    .fetch_all(&mut *c)
    .await?;
    let mut prev = AuditHead::genesis();
    for (i, row) in rows.iter().enumerate() {
        if row.seq != i as i64 + 1 {
            // An entry is missing here.
            return Ok(Some(i as i64 + 1));
        }
        if row.prev_hash != prev.hash || entry_hash(&prev.hash, &row.fields()) != row.hash {
            return Ok(Some(row.seq));
        }
        prev = AuditHead {
            seq: row.seq,
            hash: row.hash.clone(),
        };
    }
    if anchor.seq > prev.seq {
        // The head names entries that are gone: the newest were deleted.
        return Ok(Some(prev.seq + 1));
    }
    if anchor.seq > 0 && rows[anchor.seq as usize - 1].hash != anchor.hash {
        // The entry the head names is not the one that was written.
        return Ok(Some(anchor.seq));
    }
    Ok(None)
}
