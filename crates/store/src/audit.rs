//! The audit log (R25): appended inside the transaction of the change it records, each entry
//! chained to the one before by hash. The caller holds the organization's write lock
//! ([`crate::Store::write_org`]), so reading the last entry and appending the next cannot race.

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

pub async fn append(c: &mut Conn, org: &OrgId, e: NewEntry<'_>, now: i64) -> Result<()> {
    let last: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, hash FROM audit_log WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(org)
    .fetch_optional(&mut *c)
    .await?;
    let (seq, prev) = last
        .map(|(s, h)| (s + 1, h))
        .unwrap_or((1, GENESIS.to_owned()));
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
    .bind(hash)
    .bind(e.actor_name.map(str::to_owned))
    .bind(e.target_name.map(str::to_owned))
    .execute(c)
    .await?;
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

/// Recomputes the whole chain of an organization; returns the first broken sequence number.
pub async fn verify_chain(c: &mut Conn, org: &OrgId) -> Result<Option<i64>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE org_id = $1 ORDER BY seq"
    ))
    .bind(org)
    .fetch_all(c)
    .await?;
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        if row.seq != i as i64 + 1
            || row.prev_hash != prev
            || entry_hash(&prev, &row.fields()) != row.hash
        {
            return Ok(Some(row.seq));
        }
        prev = row.hash.clone();
    }
    Ok(None)
}
