//! Organization versions without a database read per request (R19's freshness, at memory speed).
//!
//! Every change to an organization bumps its version in the change's transaction; an answer
//! cached at another version is rebuilt. This instance keeps the versions it has seen, and keeps
//! them current three ways:
//! - its own commits advance them at once ([`VersionWatch::committed`] from the write path);
//! - on PostgreSQL, a `LISTEN` connection hears every other instance's commits a moment later;
//! - a poll every [`Config::version_poll_ms`](crate::Config) reads every version it keeps — the
//!   backstop for a lost notification, a reconnect, or another process on the same SQLite file.
//!
//! The bound: each kept version carries the moment it was known to be current — the start of
//! the poll that read it, the start of the read that fetched it, or this instance's own commit
//! (which held the organization's lock, so nothing committed before it) — and is used only
//! while that moment is less than two poll intervals ago (100 ms by default). A notification
//! moves the version up but not that moment (other commits may still be on their way). So an
//! answer is never older than the bound; when polls fail or fall behind, requests fall back to
//! reading versions from the database (batched: one read answers every request queued
//! meanwhile). Organizations nobody asked about for ten minutes are dropped, so the poll reads
//! only what this instance serves.

use crate::{ServiceError, ServiceResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};
use switchboard_domain::ids::OrgId;
use switchboard_store::changes::Heard;
use switchboard_store::{Store, orgs};

/// The versions this instance has seen, and how fresh they are.
#[derive(Clone)]
pub struct VersionWatch(Arc<Inner>);

/// One organization's version, the moment it was known to be current at (µs since the watch's
/// epoch), and when a request last asked for it.
struct Entry {
    version: AtomicI64,
    as_of_us: AtomicU64,
    used_us: AtomicU64,
}

struct Inner {
    known: RwLock<HashMap<OrgId, Entry>>,
    epoch: Instant,
    poll: Duration,
    listen: bool,
    started: std::sync::Once,
    reader: tokio::sync::OnceCell<VersionReader>,
    /// Wakes the poller early (a lost notification).
    poll_now: Arc<tokio::sync::Notify>,
    /// This instance's commits so far, of any organization ([`VersionWatch::commits`]).
    commits: AtomicU64,
}

/// Organizations nobody asked about for this long are no longer kept (nor polled).
const UNUSED_FOR: Duration = Duration::from_secs(600);

impl VersionWatch {
    pub fn new(poll: Duration, listen: bool) -> Self {
        Self(Arc::new(Inner {
            known: Default::default(),
            epoch: Instant::now(),
            poll: poll.max(Duration::from_millis(1)),
            listen,
            started: std::sync::Once::new(),
            reader: Default::default(),
            poll_now: Default::default(),
            commits: AtomicU64::new(0),
        }))
    }

    /// How stale a version used from memory may be.
    pub fn bound(&self) -> Duration {
        self.0.poll * 2
    }

    /// The poll interval: half the bound.
    pub fn poll_interval(&self) -> Duration {
        self.0.poll
    }

    /// The organization's version: from memory while it was confirmed current less than the
    /// bound ago, else read from the database.
    pub async fn version(&self, store: &Store, org: &OrgId) -> ServiceResult<Option<i64>> {
        self.start(store);
        let now = self.now_us();
        if let Some(e) = self.0.known.read().expect("not poisoned").get(org) {
            // Written at most once a second: a store per request would bounce the entry's cache
            // line between the worker threads.
            if e.used_us.load(Ordering::Relaxed) + 1_000_000 < now {
                e.used_us.store(now, Ordering::Relaxed);
            }
            let as_of = e.as_of_us.load(Ordering::Acquire);
            if as_of > 0 && now < as_of + self.bound().as_micros() as u64 {
                return Ok(Some(e.version.load(Ordering::Acquire)));
            }
        }
        let store = store.clone();
        let reader = self
            .0
            .reader
            .get_or_init(|| async move { VersionReader::start(store) })
            .await;
        // The value read is current as of at least this moment (the read starts after it).
        let asked = self.now_us();
        let v = reader.version(org).await?;
        if let Some(v) = v {
            self.note(org, v, Some(asked));
        }
        Ok(v)
    }

    /// How many writes this instance has committed: what is kept without a version holds only
    /// while this stays the same.
    pub fn commits(&self) -> u64 {
        self.0.commits.load(Ordering::Acquire)
    }

    /// Notes a commit of this instance's (after it is durable): it counts, and the versions it
    /// moved are current as of `as_of` — a moment ([`VersionWatch::now_us`]) before the commit,
    /// while the write still held those organizations' locks, so nothing after it had committed.
    pub fn committed(&self, moved: &[(OrgId, i64)], as_of: u64) {
        self.0.commits.fetch_add(1, Ordering::AcqRel);
        for (org, version) in moved {
            self.note(org, *version, Some(as_of));
        }
    }

    /// Notes a version read from the database (current as of when the read began, not known
    /// here: it only moves the version up, never the time).
    pub fn advance(&self, org: &OrgId, version: i64) {
        self.note(org, version, None);
    }

    /// Versions only grow; `as_of` only moves forward.
    fn note(&self, org: &OrgId, version: i64, as_of: Option<u64>) {
        {
            let known = self.0.known.read().expect("not poisoned");
            if let Some(e) = known.get(org) {
                e.version.fetch_max(version, Ordering::AcqRel);
                if let Some(t) = as_of {
                    e.as_of_us.fetch_max(t, Ordering::AcqRel);
                }
                return;
            }
        }
        let now = self.now_us();
        self.0
            .known
            .write()
            .expect("not poisoned")
            .entry(org.clone())
            .or_insert_with(|| Entry {
                version: AtomicI64::new(version),
                as_of_us: AtomicU64::new(as_of.unwrap_or(0)),
                used_us: AtomicU64::new(now),
            });
    }

    /// Now, on the watch's clock: µs since its epoch (never 0, which means "not known").
    pub fn now_us(&self) -> u64 {
        self.0.epoch.elapsed().as_micros() as u64 + 1
    }

    /// Starts the poller (and the listener on PostgreSQL) once, on first use.
    pub(crate) fn start(&self, store: &Store) {
        self.0.started.call_once(|| {
            let weak = Arc::downgrade(&self.0);
            tokio::spawn(poll(weak.clone(), store.clone()));
            if self.0.listen {
                tokio::spawn(listen(weak, store.clone()));
            }
        });
    }
}

/// Every `poll` interval: forgets organizations nobody asked about lately, reads the versions
/// of the others, and marks them current as of the moment the read started.
async fn poll(watch: Weak<Inner>, store: Store) {
    loop {
        let (interval, orgs, started_us) = {
            let Some(inner) = watch.upgrade() else { return };
            let w = VersionWatch(inner.clone());
            let now = w.now_us();
            let unused = UNUSED_FOR.as_micros() as u64;
            let mut known = inner.known.write().expect("not poisoned");
            known.retain(|_, e| e.used_us.load(Ordering::Relaxed) + unused > now);
            (inner.poll, known.keys().cloned().collect::<Vec<_>>(), now)
        };
        let mut read = Vec::with_capacity(orgs.len());
        let mut failed = None;
        match store.read().await {
            Ok(mut c) => {
                for chunk in orgs.chunks(500) {
                    match orgs::versions(&mut c, chunk).await {
                        Ok(rows) => read.extend(rows),
                        Err(e) => {
                            failed = Some(e.to_string());
                            break;
                        }
                    }
                }
            }
            Err(e) => failed = Some(e.to_string()),
        }
        let Some(inner) = watch.upgrade() else { return };
        match failed {
            None => {
                let w = VersionWatch(inner.clone());
                for (org, v) in read {
                    w.note(&org, v, Some(started_us));
                }
            }
            Some(e) => tracing::warn!(error = %e, "reading organization versions failed"),
        }
        let wake = inner.poll_now.clone();
        drop(inner);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = wake.notified() => {}
        }
    }
}

/// On PostgreSQL: applies every version notification for an organization kept here as it comes
/// (others are not this instance's concern); a lost connection wakes the poller at once
/// (notifications meanwhile are gone).
async fn listen(watch: Weak<Inner>, store: Store) {
    let mut listener = None;
    loop {
        if watch.strong_count() == 0 {
            return;
        }
        if listener.is_none() {
            match store.listen_for_changes().await {
                Ok(Some(l)) => listener = Some(l),
                Ok(None) => return, // SQLite: the poll is the way
                Err(e) => {
                    tracing::warn!(error = %e, "listening for organization changes failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        let l = listener.as_mut().expect("set above");
        // Wake now and then to notice the watch was dropped.
        let heard = tokio::time::timeout(Duration::from_secs(1), l.next()).await;
        let Some(inner) = watch.upgrade() else { return };
        match heard {
            Err(_) => {}
            Ok(Ok(Heard::Version(org, v))) => {
                if let Some(e) = inner.known.read().expect("not poisoned").get(&org) {
                    e.version.fetch_max(v, Ordering::AcqRel);
                }
            }
            Ok(Ok(Heard::Lost)) => inner.poll_now.notify_one(),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the organization change listener failed");
                inner.poll_now.notify_one();
                listener = None;
            }
        }
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
    fn start(store: Store) -> Self {
        let (queue, mut rx) = tokio::sync::mpsc::unbounded_channel::<(OrgId, VersionReply)>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                let mut ids: Vec<OrgId> = batch.iter().map(|(o, _)| o.clone()).collect();
                ids.sort();
                ids.dedup();
                let read = async {
                    let mut c = store.read().await?;
                    orgs::versions(&mut c, &ids).await
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
