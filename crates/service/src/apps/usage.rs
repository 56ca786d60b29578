//! Usage from the apps (R26): `POST /app/v1/usage` takes up to 1,000 events from an app or
//! device token. Each event is checked on its own — a bad one is rejected with its reason and
//! never refuses its neighbours — and recorded once per (subject, id): sending it again, also
//! from two instances at the same moment, answers `duplicate`. The event belongs to the token's
//! team at ingest time, so a later move doesn't rewrite history. Rollups move in the same
//! transaction as their events, written in chunks on SQLite (a batch interrupted midway answers
//! `duplicate` for its committed part when sent again). Taking events never waits for the
//! organization's write lock, and each token and organization has its fair share
//! ([`super::ingest_limits`]).

use super::IngestLimits;
use crate::{ProblemCode, ServiceError, ServiceResult, Services};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use switchboard_domain::ids::{OrgId, TeamId};
use switchboard_domain::usage::{
    DEFAULT_RETENTION_DAYS, EventKind, MAX_BATCH, UsageEvent, check_event, day_of,
};
use switchboard_store::now_ms;
use switchboard_store::usage as store;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBatch {
    /// Up to 1,000 events: `{"id", "type": "call", "ended_at", "duration_s", "features_s"}` or
    /// `{"id", "type": "app_start", "at"}`.
    #[schema(value_type = Vec<Object>, max_items = 1000)]
    pub events: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    Accepted,
    Duplicate,
    Rejected,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventResult {
    /// The event's id, as sent (null when it had none).
    pub id: Option<String>,
    pub outcome: EventOutcome,
    /// Why it was rejected.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageReceipt {
    /// One per event, in the order sent.
    pub events: Vec<EventResult>,
}

impl Services {
    /// Before the body is read: the token is live, and its first unit of the batch's cost is
    /// free — so a flood past its rate is refused without parsing a megabyte of events.
    pub async fn ingest_precheck(&self, token: &str) -> ServiceResult<()> {
        let answer = self.entitlement(token).await?;
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        let org = body["org"]["id"]
            .as_str()
            .and_then(OrgId::parse)
            .ok_or(ServiceError::Unauthenticated("The token names no team."))?;
        self.ingest.admit(&super::app_token_digest(token), &org, 1)
    }

    pub async fn ingest_usage(
        &self,
        token: &str,
        batch: UsageBatch,
    ) -> ServiceResult<UsageReceipt> {
        if batch.events.len() > MAX_BATCH {
            return Err(ServiceError::invalid(
                "events",
                format!(
                    "holds {} events; at most {MAX_BATCH} per batch",
                    batch.events.len()
                ),
            ));
        }
        // The entitlement says who the token is, in which team, and whether analytics is on.
        let answer = self.entitlement(token).await?;
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        if body["settings"]["usage_analytics"] == Value::Bool(false) {
            return Err(ServiceError::AppRefused {
                code: ProblemCode::UsageAnalyticsOff,
                detail: "Usage analytics is off for this team: the app should send no usage."
                    .into(),
            });
        }
        let (Some(org), Some(team), Some(subject)) = (
            body["org"]["id"].as_str().and_then(OrgId::parse),
            body["team"]["id"].as_str().and_then(TeamId::parse),
            body["subject"]["id"].as_str(),
        ) else {
            return Err(ServiceError::Unauthenticated("The token names no team."));
        };
        // Fair share, before any database work: the rest of the batch's cost from this token's
        // and this organization's rates (its first unit was taken before the body was read).
        let units = IngestLimits::units(batch.events.len()) - 1;
        self.ingest
            .admit(&super::app_token_digest(token), &org, units)?;
        let now = now_ms();
        let oldest = now - DEFAULT_RETENTION_DAYS * 86_400_000;
        let tz = {
            let mut c = self.store.read().await?;
            store::time_zone(&mut c, &org)
                .await?
                .unwrap_or_else(|| "UTC".into())
        };
        // Check every event; the first copy of an id in the batch is the one that counts.
        let mut results: Vec<EventResult> = Vec::with_capacity(batch.events.len());
        let mut candidates: Vec<(usize, UsageEvent)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, raw) in batch.events.iter().enumerate() {
            let sent_id = raw.get("id").and_then(Value::as_str).map(str::to_owned);
            match check_event(raw, now, oldest) {
                Err(reason) => results.push(EventResult {
                    id: sent_id,
                    outcome: EventOutcome::Rejected,
                    reason: Some(reason),
                }),
                Ok(e) => {
                    let outcome = if seen.insert(e.id.clone()) {
                        candidates.push((i, e.clone()));
                        EventOutcome::Accepted
                    } else {
                        EventOutcome::Duplicate
                    };
                    results.push(EventResult {
                        id: Some(e.id),
                        outcome,
                        reason: None,
                    });
                }
            }
        }
        // Rows are locked in one order by every batch — events by id, then rollups by day and
        // feature — so concurrent batches that share events wait for each other, never deadlock.
        candidates.sort_by(|x, y| x.1.id.cmp(&y.1.id));
        // A writer's turn, then short transactions of a chunk each: an admin's write waits
        // behind one chunk at most (fair share; see `ingest_limits`).
        let _turn = self.ingest.turn().await?;
        for chunk in candidates.chunks(self.ingest.chunk) {
            self.write_chunk(&org, &team, subject, &tz, chunk, &mut results, now)
                .await?;
            // Let a write that queued meanwhile take the connection first.
            tokio::task::yield_now().await;
        }
        Ok(UsageReceipt { events: results })
    }

    /// Writes one chunk of checked events and their rollups in one short transaction; marks the
    /// events already recorded as duplicates.
    #[allow(clippy::too_many_arguments)]
    async fn write_chunk(
        &self,
        org: &OrgId,
        team: &TeamId,
        subject: &str,
        tz: &str,
        chunk: &[(usize, UsageEvent)],
        results: &mut [EventResult],
        now: i64,
    ) -> ServiceResult<()> {
        let mut days: BTreeMap<String, (i64, i64, i64, BTreeMap<String, i64>)> = BTreeMap::new();
        let mut last_call: Option<i64> = None;
        // The first statement writes: on SQLite a transaction that reads first can't wait for
        // another process's writer.
        let mut tx = self.store.write().await?;
        let events: Vec<&UsageEvent> = chunk.iter().map(|(_, e)| e).collect();
        let fresh = store::insert_events(&mut tx, org, team, subject, &events, now).await?;
        for (i, e) in chunk {
            if !fresh.contains(&e.id) {
                results[*i].outcome = EventOutcome::Duplicate;
                continue;
            }
            let d = days.entry(day_of(e.at, tz)).or_default();
            match e.kind {
                EventKind::Call => {
                    d.0 += 1;
                    d.1 += e.duration_s;
                    last_call = last_call.max(Some(e.at));
                }
                EventKind::AppStart => d.2 += 1,
            }
            for (k, v) in &e.features_s {
                *d.3.entry(k.clone()).or_default() += v;
            }
        }
        if let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) {
            store::touch_team_subject(&mut tx, org, team, subject, first, last, last_call).await?;
        }
        for (day, (calls, seconds, starts, features)) in days {
            let features: Vec<(String, i64)> = features.into_iter().collect();
            store::add_to_rollups(
                &mut tx, org, team, subject, &day, calls, seconds, starts, &features,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
