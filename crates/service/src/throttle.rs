//! In-process limits, checked before anything touches the database, so a flood costs memory and
//! CPU of this process only — never a database write, never the organization locks other tenants
//! wait on.
//!
//! Each limit is a GCRA (generic cell rate algorithm): one "theoretical arrival time" per key in
//! an atomic, a steady rate and a burst. Keys live in a bounded `quick_cache` map: when it is full
//! the coldest keys — seen least, and least recently — are evicted one by one, never the whole
//! table, so a flood of fresh keys can't buy a busy key a fresh allowance. Client addresses are
//! keyed by [`Source`]: an IPv4 address, or an IPv6 /64 (one host owns a whole /64, so keying
//! full IPv6 addresses would give it 2^64 allowances).

use quick_cache::sync::Cache;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Keys tracked at most, per limiter (about 100 bytes each).
pub const MAX_KEYS: usize = 100_000;

/// The most a per-address limit lets through at once; the rest of its window's allowance comes
/// at its steady rate.
const MAX_BURST: u32 = 100;

/// Where a request comes from, as limits count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    V4([u8; 4]),
    /// The /64 network of an IPv6 address.
    V6([u8; 8]),
}

impl Source {
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(v4) => Source::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    Source::V6([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

impl std::fmt::Display for Source {
    /// `203.0.113.7`, or `2001:db8:1:2::/64`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::V4(o) => write!(f, "{}", std::net::Ipv4Addr::from(*o)),
            Source::V6(o) => {
                let mut full = [0u8; 16];
                full[..8].copy_from_slice(o);
                write!(f, "{}/64", std::net::Ipv6Addr::from(full))
            }
        }
    }
}

/// A steady rate and a burst.
#[derive(Debug, Clone, Copy)]
struct Rate {
    /// Nanoseconds between two cells at the steady rate.
    period_ns: u64,
    /// Cells allowed at once.
    burst: u64,
}

impl Rate {
    fn new(per_window: u32, window: Duration, burst: u32) -> Rate {
        let per_window = per_window.max(1);
        Rate {
            period_ns: (window.as_nanos() / u128::from(per_window)).max(1) as u64,
            burst: u64::from(burst.max(1)),
        }
    }

    /// Takes `n` cells from `cell` at `now`, or says how long until they would be there.
    fn take(&self, cell: &AtomicU64, now: u64, n: u64) -> Result<(), Duration> {
        let mut tat = cell.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now) + self.period_ns * n;
            let allowed_until = now + self.period_ns * self.burst;
            if next > allowed_until {
                return Err(Duration::from_nanos(next - allowed_until));
            }
            match cell.compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(seen) => tat = seen,
            }
        }
    }
}

/// One limit per key.
#[derive(Clone)]
pub struct KeyedLimiter<K: Eq + Hash + Clone> {
    rate: Rate,
    epoch: Instant,
    cells: Arc<Cache<K, Arc<AtomicU64>>>,
}

impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
    /// `per_window` cells per key within `window`, at most `burst` at once.
    pub fn new(per_window: u32, window: Duration, burst: u32) -> Self {
        Self {
            rate: Rate::new(per_window, window, burst),
            epoch: Instant::now(),
            cells: Arc::new(Cache::new(MAX_KEYS)),
        }
    }

    /// `Ok` if `key` may have `n` more now; otherwise how long until it may.
    pub fn check_n(&self, key: &K, n: u32) -> Result<(), Duration> {
        let now = self.epoch.elapsed().as_nanos() as u64;
        let cell = self
            .cells
            .get_or_insert_with(key, || Ok::<_, std::convert::Infallible>(Arc::default()))
            .unwrap_or_else(|never| match never {});
        self.rate.take(&cell, now, u64::from(n.max(1)))
    }

    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_n(key, 1)
    }

    /// Keys tracked now.
    pub fn tracked(&self) -> usize {
        self.cells.len()
    }
}

/// A limit per client [`Source`]: `per_window` attempts within `window`, in bursts of at most
/// [`MAX_BURST`].
#[derive(Clone)]
pub struct AddressLimiter(KeyedLimiter<Source>);

impl AddressLimiter {
    pub fn new(per_window: u32, window: Duration) -> Self {
        Self(KeyedLimiter::new(
            per_window,
            window,
            per_window.min(MAX_BURST),
        ))
    }

    /// `Ok` if this address may make one more attempt now; otherwise how long until it may.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.0.check(&Source::of(ip))
    }

    /// Sources tracked now.
    pub fn tracked(&self) -> usize {
        self.0.tracked()
    }
}

/// One limit for everyone: `per_second`, with a burst of twice that.
#[derive(Clone)]
pub struct GlobalCap {
    rate: Rate,
    epoch: Instant,
    cell: Arc<AtomicU64>,
}

impl GlobalCap {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self {
            rate: Rate::new(per_second, Duration::from_secs(1), per_second * 2),
            epoch: Instant::now(),
            cell: Arc::default(),
        }
    }

    pub fn check(&self) -> Result<(), Duration> {
        let now = self.epoch.elapsed().as_nanos() as u64;
        self.rate.take(&self.cell, now, 1)
    }
}

#[cfg(test)]
mod tests;
