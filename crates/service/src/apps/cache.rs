//! The entitlement cache. Answers are kept per app token (bounded, `quick_cache`), each with the
//! organization version it was built at. Every change to an organization bumps its version in
//! the same transaction (see `switchboard_store::Store::write_org`), so a request that finds its
//! organization at another version rebuilds, on any server instance. Versions are read in
//! batches: one reader task per instance takes every request queued since its last read and
//! answers them all with one `SELECT … WHERE id IN (…)`; a request only ever joins a read that
//! starts after it arrived, so it sees every commit made before it came in.

use crate::{ServiceError, ServiceResult};
use std::sync::Arc;
use switchboard_domain::ids::OrgId;
use switchboard_store::apps::AppTokenRow;
use switchboard_store::orgs;

/// Answers kept at most (a bound on memory, not a freshness rule): the least recently used go.
const CACHE_CAPACITY: usize = 200_000;

/// A built entitlement answer: the JSON body and its strong ETag.
#[derive(Debug)]
pub struct EntitlementAnswer {
    pub body: String,
    pub etag: String,
}

/// One cached answer: the token it is for, the organization version it was built at.
pub(super) struct Cached {
    pub token: AppTokenRow,
    pub version: i64,
    pub answer: Arc<EntitlementAnswer>,
}

/// Answers per app token hash, and the batcher that reads organization versions.
#[derive(Clone)]
pub struct EntitlementCache {
    answers: Arc<quick_cache::sync::Cache<String, Arc<Cached>>>,
    versions: Arc<tokio::sync::OnceCell<VersionReader>>,
}

impl Default for EntitlementCache {
    fn default() -> Self {
        Self {
            answers: Arc::new(quick_cache::sync::Cache::new(CACHE_CAPACITY)),
            versions: Default::default(),
        }
    }
}

impl EntitlementCache {
    /// The cached answer for a token hash, counted as a hit or a miss.
    pub(super) fn get(&self, hash: &str) -> Option<Arc<Cached>> {
        let found = self.answers.get(hash);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("entitlement_cache_lookups_total", "outcome" => outcome).increment(1);
        found
    }

    pub(super) fn put(&self, hash: String, cached: Cached) {
        self.answers.insert(hash, Arc::new(cached));
    }

    pub(super) fn forget(&self, hash: &str) {
        self.answers.remove(hash);
    }

    /// The organization's version now, from a batched read.
    pub(super) async fn version(
        &self,
        store: &switchboard_store::Store,
        org: &OrgId,
    ) -> ServiceResult<Option<i64>> {
        let store = store.clone();
        let reader = self
            .versions
            .get_or_init(|| async move { VersionReader::start(store) })
            .await;
        reader.version(org).await
    }
}

type VersionReply = tokio::sync::oneshot::Sender<Result<Option<i64>, String>>;

/// Reads organization versions for many requests at once. A request waits for the next read
/// that starts after it arrived (never one already in flight), so it always sees every commit
/// made before it came in; under load one read answers every request that queued meanwhile.
#[derive(Clone)]
struct VersionReader {
    queue: tokio::sync::mpsc::UnboundedSender<(OrgId, VersionReply)>,
}

impl VersionReader {
    fn start(store: switchboard_store::Store) -> Self {
        let (queue, mut rx) = tokio::sync::mpsc::unbounded_channel::<(OrgId, VersionReply)>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                let mut orgs: Vec<OrgId> = batch.iter().map(|(o, _)| o.clone()).collect();
                orgs.sort();
                orgs.dedup();
                let read = async {
                    let mut c = store.read().await?;
                    orgs::versions(&mut c, &orgs).await
                };
                let result = read.await.map_err(|e| e.to_string());
                for (org, reply) in batch {
                    let answer = match &result {
                        Ok(rows) => Ok(rows.iter().find(|(id, _)| *id == org).map(|(_, v)| *v)),
                        Err(e) => Err(e.clone()),
                    };
                    let _ = reply.send(answer);
                }
            }
        });
        Self { queue }
    }

    async fn version(&self, org: &OrgId) -> ServiceResult<Option<i64>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let failed = |e: String| {
            ServiceError::Store(switchboard_store::StoreError::Database(
                switchboard_store::sqlx::Error::Protocol(e),
            ))
        };
        self.queue
            .send((org.clone(), tx))
            .map_err(|_| failed("the version reader stopped".into()))?;
        rx.await
            .map_err(|_| failed("the version reader stopped".into()))?
            .map_err(failed)
    }
}
