//! In-process limits per client address, checked before anything touches the database, so a
//! flood of sign-in attempts costs memory and CPU of this process only — never a database write,
//! never the organization locks other tenants wait on. The `governor` crate keeps one GCRA state
//! per address; memory is bounded: addresses idle for a full window are forgotten every minute,
//! and past [`MAX_ADDRESSES`] live entries the oldest state is dropped wholesale (an attacker with
//! that many addresses gets a fresh allowance, which the per-account limit in the database still
//! bounds).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Addresses tracked at most, per limiter (about 100 bytes each).
pub const MAX_ADDRESSES: usize = 100_000;

/// `burst` attempts per address, refilled evenly over `window`.
#[derive(Clone)]
pub struct AddressLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    quota: Quota,
    /// Replaced by a fresh limiter when it tracks too many addresses.
    limiter: RwLock<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl Inner {
    fn current(&self) -> Arc<DefaultKeyedRateLimiter<IpAddr>> {
        self.limiter.read().expect("limiter lock").clone()
    }
}

impl AddressLimiter {
    pub fn new(burst: u32, window: Duration) -> Self {
        let burst = NonZeroU32::new(burst.max(1)).expect("at least one");
        let period = (window / burst.get()).max(Duration::from_millis(1));
        let quota = Quota::with_period(period)
            .expect("a non-zero period")
            .allow_burst(burst);
        let inner = Arc::new(Inner {
            quota,
            limiter: RwLock::new(Arc::new(DefaultKeyedRateLimiter::keyed(quota))),
        });
        let weak = Arc::downgrade(&inner);
        // Forget idle addresses once a minute, for as long as the limiter lives.
        std::thread::Builder::new()
            .name("throttle-upkeep".into())
            .spawn(move || {
                while let Some(inner) = weak.upgrade() {
                    let l = inner.current();
                    l.retain_recent();
                    l.shrink_to_fit();
                    drop((l, inner));
                    std::thread::sleep(Duration::from_secs(60));
                }
            })
            .expect("a thread for throttle upkeep");
        Self { inner }
    }

    /// `Ok` if this address may make one more attempt now; otherwise how long until it may.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let mut limiter = self.inner.current();
        if limiter.len() > MAX_ADDRESSES {
            limiter.retain_recent();
            if limiter.len() > MAX_ADDRESSES {
                let fresh = Arc::new(DefaultKeyedRateLimiter::keyed(self.inner.quota));
                *self.inner.limiter.write().expect("limiter lock") = fresh.clone();
                limiter = fresh;
            }
        }
        limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.inner.current().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits_and_others_are_not_affected() {
        let l = AddressLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
        }
        let wait = l.check(a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.check(b).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_many_addresses() {
        let l = AddressLimiter::new(1, Duration::from_secs(3600));
        for i in 0..(MAX_ADDRESSES as u32 + 10) {
            let _ = l.check(IpAddr::from(i.to_be_bytes()));
        }
        assert!(l.tracked() <= MAX_ADDRESSES + 1);
    }
}
