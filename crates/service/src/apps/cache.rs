//! The entitlement cache. Answers are kept per app token (bounded, `quick_cache`), each with the
//! organization version it was built at. Every change to an organization bumps its version in
//! the same transaction (see `switchboard_store::Store::write_org`), so a request that finds its
//! organization at another version rebuilds, on any server instance. The version comes from
//! memory ([`VersionWatch`]: never older than its bound, 100 ms by default). Refusals an app
//! keeps asking about (no team chosen, app access off, membership removed) are kept too, so an
//! error on the hot path costs what a success does.

use super::versions::VersionWatch;
use crate::{ProblemCode, ServiceError, ServiceResult};
use std::sync::{Arc, LazyLock};
use switchboard_domain::ids::OrgId;
use switchboard_store::apps::AppTokenRow;

/// Answers kept at most (a bound on memory, not a freshness rule): the least recently used go.
const CACHE_CAPACITY: usize = 200_000;

/// Rebuilds run one at a time per stripe of token hashes: enough stripes that unrelated tokens
/// rarely wait on each other, few enough to be a fixed array.
const REBUILD_STRIPES: usize = 256;

/// How long a request waits for its turn to rebuild before rebuilding on its own (a rebuild
/// takes about a millisecond; waiting longer means the database is struggling).
const TURN_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// A built entitlement answer: the JSON body (shared, so answering copies no bytes) and its
/// strong ETag.
#[derive(Debug)]
pub struct EntitlementAnswer {
    pub body: bytes::Bytes,
    pub etag: String,
}

/// A refusal kept like an answer: the app is told the same until the organization changes.
#[derive(Debug, Clone)]
pub(super) enum Refusal {
    /// 409: the app must choose a team first.
    Conflict(ProblemCode, Arc<str>),
    /// 403: the app may not run, for the reason the code names.
    AppRefused(ProblemCode, Arc<str>),
}

impl Refusal {
    /// The refusals worth keeping: those that hold until the organization changes.
    pub(super) fn of(e: &ServiceError) -> Option<Self> {
        match e {
            ServiceError::Conflict { code, detail } => {
                Some(Self::Conflict(*code, detail.as_str().into()))
            }
            ServiceError::AppRefused { code, detail } => {
                Some(Self::AppRefused(*code, detail.as_str().into()))
            }
            _ => None,
        }
    }

    pub(super) fn error(&self) -> ServiceError {
        match self {
            Self::Conflict(code, detail) => ServiceError::conflict(*code, detail.as_ref()),
            Self::AppRefused(code, detail) => ServiceError::AppRefused {
                code: *code,
                detail: detail.to_string(),
            },
        }
    }
}

/// One cached answer (or refusal): the token it is for, and how long it holds.
pub(super) struct Cached {
    pub token: AppTokenRow,
    pub holds: Holds,
    pub answer: Result<Arc<EntitlementAnswer>, Refusal>,
}

/// How long a kept answer holds.
pub(super) enum Holds {
    /// While the token's organization is at this version.
    AtVersion(i64),
    /// A token in no organization yet: until `deadline` (one poll interval, half the freshness
    /// bound, after the read began), and only while this instance has committed nothing since (`commits`), so its own
    /// writes — choosing a team, removing the user — apply at once.
    Until {
        deadline: std::time::Instant,
        commits: u64,
    },
}

/// A token's SHA-256: the cache's key (the hex the database keeps is made only on a miss).
pub(super) type TokenKey = [u8; 32];

/// Answers per app token, and the organization versions they are checked against.
#[derive(Clone)]
pub struct EntitlementCache {
    answers: Arc<quick_cache::sync::Cache<TokenKey, Arc<Cached>>>,
    rebuilds: Arc<[tokio::sync::Mutex<()>]>,
    pub(crate) versions: VersionWatch,
}

impl EntitlementCache {
    pub fn new(versions: VersionWatch) -> Self {
        Self {
            answers: Arc::new(quick_cache::sync::Cache::new(CACHE_CAPACITY)),
            rebuilds: (0..REBUILD_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            versions,
        }
    }
}

impl EntitlementCache {
    /// Counts a request's first look at the cache: answered from it (`hit`) or not (`miss`).
    pub(super) fn count_lookup(&self, hit: bool) {
        // The counters' handles, registered once: a labelled lookup per request would cost more
        // than the cache lookup it counts.
        static HIT: LazyLock<metrics::Counter> = LazyLock::new(
            || metrics::counter!("entitlement_cache_lookups_total", "outcome" => "hit"),
        );
        static MISS: LazyLock<metrics::Counter> = LazyLock::new(
            || metrics::counter!("entitlement_cache_lookups_total", "outcome" => "miss"),
        );
        if hit { &HIT } else { &MISS }.increment(1);
    }

    /// The kept answer for a token, if any (whether it still holds is the caller's to check).
    pub(super) fn get(&self, key: &TokenKey) -> Option<Arc<Cached>> {
        self.answers.get(key)
    }

    /// Counts a rebuild (a token read again from the database): `entitlement_rebuilds_total`.
    pub(super) fn count_rebuild(&self) {
        static REBUILDS: LazyLock<metrics::Counter> =
            LazyLock::new(|| metrics::counter!("entitlement_rebuilds_total"));
        REBUILDS.increment(1);
    }

    /// The turn to rebuild this token's answer: held while rebuilding, so the requests that
    /// queue behind it find the new answer instead of rebuilding it again. Waited for at most
    /// [`TURN_WAIT`]: when the database is slow, a request stops queueing behind others and
    /// rebuilds on its own (`None`), so the requests of one stripe never wait for one another's
    /// timeouts in turn.
    pub(super) async fn rebuild_turn(
        &self,
        key: &TokenKey,
    ) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        // A digest's bytes are uniform: two of them pick the stripe.
        let stripe = usize::from(u16::from_le_bytes([key[0], key[1]]));
        tokio::time::timeout(TURN_WAIT, self.rebuilds[stripe % REBUILD_STRIPES].lock())
            .await
            .ok()
    }

    pub(super) fn put(&self, key: TokenKey, cached: Cached) {
        self.answers.insert(key, Arc::new(cached));
    }

    pub(super) fn forget(&self, key: &TokenKey) {
        self.answers.remove(key);
    }

    /// The organization's version, never older than the watch's bound.
    pub(super) async fn version(
        &self,
        store: &switchboard_store::Store,
        org: &OrgId,
    ) -> ServiceResult<Option<i64>> {
        self.versions.version(store, org).await
    }
}
