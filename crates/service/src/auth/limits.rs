//! Who may start a sign-in for an email, decided in memory (a refused start costs no database
//! write). Each (email, source) pair has its own allowance, so starts for a person from
//! elsewhere never use up theirs; mail to one email is capped across sources, except from
//! sources where that email has signed in before — the person's own office and home keep being
//! served while someone else floods their address. Per instance: with several instances the
//! caps multiply, which bounds mail to a person still.

use crate::Config;
use crate::throttle::{KeyedLimiter, Source};
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::Duration;

/// Sources remembered as "signed this email in before".
const KNOWN: usize = 100_000;

#[derive(Clone)]
pub struct SignInLimits {
    per_email_source: KeyedLimiter<(String, Source)>,
    per_email: KeyedLimiter<String>,
    known: Arc<Cache<(String, Source), ()>>,
}

impl SignInLimits {
    pub fn new(config: &Config) -> Self {
        let window = Duration::from_millis(config.throttle_window_ms.max(1) as u64);
        let n = config.starts_per_email.clamp(1, i64::from(u32::MAX)) as u32;
        Self {
            per_email_source: KeyedLimiter::new(n, window, n),
            per_email: KeyedLimiter::new(n.saturating_mul(4), window, n.saturating_mul(4)),
            known: Arc::new(Cache::new(KNOWN)),
        }
    }

    /// `Ok` if `email` may get one more code from `source` now; otherwise how long to wait.
    pub fn admit(&self, email: &str, source: Source) -> Result<(), Duration> {
        let key = (email.to_owned(), source);
        if self.known.get(&key).is_none() {
            // The cap across sources is checked first, so a refused start from a stranger
            // doesn't use up the pair's allowance.
            self.per_email.check(&key.0)?;
        }
        self.per_email_source.check(&key)
    }

    /// Remembers that `email` signed in from `source`.
    pub fn signed_in(&self, email: &str, source: Source) {
        self.known.insert((email.to_owned(), source), ());
    }
}
