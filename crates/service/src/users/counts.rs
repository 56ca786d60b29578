//! R11: the head counts at the top of the users page — users, and those not yet signed in —
//! over the part of the organization the caller sees. Counting joins every member with their
//! user (about 100 ms at 100,000 users), so a count is kept per organization and scope while the
//! organization's version stands, and at most [`FRESH_FOR_MS`] (first sign-ins don't move the
//! version): a page load then costs one version read instead of the count.

use crate::{OrgCaller, ServiceResult, Services};
use switchboard_domain::access::{Action, Scope};
use switchboard_domain::ids::{OrgId, TeamId};
use switchboard_store::now_ms;
use switchboard_store::user_list::UserCounts;

/// How long a count may be reused while nothing in the organization changed.
pub const FRESH_FOR_MS: i64 = 30_000;

/// An organization and a scope (`None`: the whole organization).
type CountKey = (OrgId, Option<Vec<TeamId>>);
/// The organization's version and the time a count was made at, and the count.
type CountEntry = (i64, i64, UserCounts);

/// Counts by organization and scope. Bounded: a few thousand organizations' worth.
#[derive(Clone)]
pub struct CountCache(std::sync::Arc<quick_cache::sync::Cache<CountKey, CountEntry>>);

impl Default for CountCache {
    fn default() -> Self {
        Self(std::sync::Arc::new(quick_cache::sync::Cache::new(4096)))
    }
}

impl Services {
    pub async fn user_counts(&self, who: &OrgCaller) -> ServiceResult<UserCounts> {
        let scope = who.may(Action::ViewUsers)?;
        let teams = match scope {
            Scope::Org => None,
            Scope::Teams(ts) => Some(ts),
        };
        let mut c = self.store.read().await?;
        let version = switchboard_store::orgs::versions(&mut c, std::slice::from_ref(&who.org))
            .await?
            .first()
            .map_or(0, |(_, v)| *v);
        let key = (who.org.clone(), teams);
        let now = now_ms();
        if let Some((v, at, counts)) = self.user_counts.0.get(&key)
            && v == version
            && now - at < FRESH_FOR_MS
        {
            return Ok(counts);
        }
        let counts =
            switchboard_store::user_list::user_counts(&mut c, &who.org, key.1.as_deref()).await?;
        self.user_counts.0.insert(key, (version, now, counts));
        Ok(counts)
    }
}
