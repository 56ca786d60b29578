//! The limits' arithmetic and memory bounds.

use super::*;

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn an_address_gets_its_burst_then_waits_and_others_are_not_affected() {
    let l = AddressLimiter::new(3, Duration::from_secs(60));
    for _ in 0..3 {
        assert!(l.check(v4("10.0.0.1")).is_ok());
    }
    let wait = l.check(v4("10.0.0.1")).unwrap_err();
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(20),
        "{wait:?}"
    );
    assert!(l.check(v4("10.0.0.2")).is_ok());
}

#[test]
fn a_large_window_allowance_comes_in_bursts_then_at_its_rate() {
    // 6,000 per 15 minutes: 100 at once, then one every 150 ms.
    let l = AddressLimiter::new(6000, Duration::from_secs(900));
    let ip = v4("10.0.0.3");
    for _ in 0..MAX_BURST {
        l.check(ip).unwrap();
    }
    let wait = l.check(ip).unwrap_err();
    assert!(wait <= Duration::from_millis(150), "{wait:?}");
}

#[test]
fn an_ipv6_slash_64_is_one_source() {
    let l = AddressLimiter::new(2, Duration::from_secs(60));
    assert!(l.check(v4("2001:db8:1:2::1")).is_ok());
    assert!(l.check(v4("2001:db8:1:2:ffff::9")).is_ok());
    assert!(l.check(v4("2001:db8:1:2:abcd::1")).is_err(), "same /64");
    assert!(l.check(v4("2001:db8:1:3::1")).is_ok(), "another /64");
    // An IPv4-mapped address is its IPv4 address.
    assert_eq!(
        Source::of(v4("::ffff:10.1.2.3")),
        Source::of(v4("10.1.2.3"))
    );
}

#[test]
fn a_flood_of_new_addresses_evicts_cold_keys_never_a_busy_one() {
    let l = AddressLimiter::new(5, Duration::from_secs(3600));
    let busy = v4("192.0.2.1");
    while l.check(busy).is_ok() {}
    for i in 0..(3 * MAX_KEYS as u32) {
        let _ = l.check(IpAddr::from((i | 0x0a00_0000).to_be_bytes()));
        // The busy address keeps knocking, as an attacker's would.
        if i % 1000 == 0 {
            assert!(
                l.check(busy).is_err(),
                "still limited after {i} new addresses"
            );
        }
    }
    assert!(l.tracked() <= MAX_KEYS + 64, "{}", l.tracked());
}

#[test]
fn weighted_checks_take_several_cells() {
    let l: KeyedLimiter<u8> = KeyedLimiter::new(10, Duration::from_secs(1), 20);
    assert!(l.check_n(&1, 15).is_ok());
    assert!(l.check_n(&1, 10).is_err(), "only 5 left of the burst");
    assert!(l.check_n(&1, 5).is_ok());
}

#[test]
fn the_global_cap_allows_twice_its_rate_at_once() {
    let g = GlobalCap::new(50);
    for _ in 0..100 {
        g.check().unwrap();
    }
    assert!(g.check().is_err());
}
