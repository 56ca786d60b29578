//! Fair share of usage ingest: no token, organization or flood of them can take the database
//! from everyone else. A batch costs one unit per 100 events; each app or device token and each
//! organization has a rate of units (429 with `Retry-After` past it, before any database work).
//! Accepted batches then queue for a small number of writers — one on SQLite, whose single
//! write connection every admin write shares, so ingest holds it one short chunk (50 events) at
//! a time; four on PostgreSQL, a batch per transaction, never the whole pool. A queue longer than
//! its bound answers 429 too.

use crate::throttle::KeyedLimiter;
use crate::{Config, ServiceError, ServiceResult};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use switchboard_domain::ids::OrgId;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Events per unit of the rates.
const EVENTS_PER_UNIT: usize = 100;

/// Twice the rate, and never less than a whole batch of 1,000 events.
fn burst(rate: u32) -> u32 {
    rate.saturating_mul(2)
        .max((switchboard_domain::usage::MAX_BATCH / EVENTS_PER_UNIT) as u32)
}

#[derive(Clone)]
pub struct IngestLimits {
    per_token: KeyedLimiter<[u8; 32]>,
    per_org: KeyedLimiter<OrgId>,
    writers: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    /// Events per transaction: 50 on SQLite (its one write connection is every admin write's
    /// too), the whole batch on PostgreSQL (whose writers don't queue behind each other).
    pub(crate) chunk: usize,
}

/// A writer's turn: held while the batch is written; ends the wait it counted.
pub struct Turn<'a> {
    _permit: SemaphorePermit<'a>,
}

impl IngestLimits {
    pub fn new(config: &Config, sqlite: bool) -> Self {
        let second = Duration::from_secs(1);
        let (token, org) = (
            config.ingest_units_per_token_per_s.max(1),
            config.ingest_units_per_org_per_s.max(1),
        );
        let writers = match config.ingest_writers {
            0 if sqlite => 1,
            0 => 4,
            n => n,
        };
        Self {
            per_token: KeyedLimiter::new(token, second, burst(token)),
            per_org: KeyedLimiter::new(org, second, burst(org)),
            writers: Arc::new(Semaphore::new(writers)),
            waiting: Arc::default(),
            queue: config.ingest_queue.max(1),
            chunk: if sqlite {
                50
            } else {
                switchboard_domain::usage::MAX_BATCH
            },
        }
    }

    /// The units a batch of `events` costs in all.
    pub fn units(events: usize) -> u32 {
        events.div_ceil(EVENTS_PER_UNIT).max(1) as u32
    }

    /// Takes `units` from the token's and the organization's rates.
    pub fn admit(&self, token: &[u8; 32], org: &OrgId, units: u32) -> ServiceResult<()> {
        if units == 0 {
            return Ok(());
        }
        self.per_token
            .check_n(token, units)
            .and_then(|()| self.per_org.check_n(org, units))
            .map_err(ServiceError::throttled)
    }

    /// Waits for a writer; 429 when too many batches wait already.
    pub async fn turn(&self) -> ServiceResult<Turn<'_>> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ServiceError::throttled(Duration::from_secs(1)));
        }
        let permit = self.writers.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let permit = permit.map_err(|_| ServiceError::throttled(Duration::from_secs(1)))?;
        Ok(Turn { _permit: permit })
    }
}
