//! Seat arithmetic (R13, R14): who may take one more seat in a subscription's pool.
//!
//! A reserved team may hold at most its reservation `r`, and those `r` seats are kept for it.
//! Teams without a reservation share `pool − Σ reservations`. Everything here is pure; the service
//! layer loads a [`Pool`] (or its [`Totals`]) inside the write transaction and asks
//! [`Pool::check`] (or [`Totals::check`]) before writing.

/// Seat use of one team in a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSeats {
    pub team_id: String,
    pub team_name: String,
    pub reserved: Option<i64>,
    pub used: i64,
}

/// A subscription's pool and the teams it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub seats: i64,
    pub teams: Vec<TeamSeats>,
}

/// Why a seat can't be taken, in words an admin can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub team_name: String,
    /// The team's reservation, or the shared pool's size for an unreserved team.
    pub limit: i64,
    pub needed: i64,
    pub free: i64,
    /// Seats free in the subscription outside this team's limit.
    pub free_elsewhere: i64,
    pub reserved_team: bool,
}

impl Refusal {
    pub fn detail(&self) -> String {
        if self.reserved_team {
            format!(
                "Team {} has reached its allocated seat limit ({}): {} seat(s) needed, {} free. {} seat(s) are free elsewhere in the subscription; raise the team's reservation or turn app access off for someone.",
                self.team_name, self.limit, self.needed, self.free, self.free_elsewhere
            )
        } else {
            format!(
                "The shared seat pool is full for team {} ({} shared seats): {} seat(s) needed, {} free. {} seat(s) are free elsewhere in the subscription (reserved for other teams); add seats, lower other teams' reservations, or turn app access off for someone.",
                self.team_name, self.limit, self.needed, self.free, self.free_elsewhere
            )
        }
    }
}

/// A pool summed over its teams: what the seat check needs, and what one aggregate query over
/// the teams' counters yields (so a check in a 200-team pool reads one row, not 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub seats: i64,
    pub reserved_total: i64,
    /// Σ over reserved teams of what they have left: max(0, reservation − used).
    pub reserved_left: i64,
    /// Seats held by teams without a reservation.
    pub shared_used: i64,
    pub used_total: i64,
}

impl Totals {
    pub fn shared_size(&self) -> i64 {
        (self.seats - self.reserved_total).max(0)
    }

    pub fn free_total(&self) -> i64 {
        (self.reserved_left + (self.shared_size() - self.shared_used).max(0))
            .min((self.seats - self.used_total).max(0))
    }

    /// Whether `team` (one of the pool's teams) may take `needed` more seats (R14).
    pub fn check(&self, team: &TeamSeats, needed: i64) -> Result<(), Refusal> {
        let own = match team.reserved {
            Some(r) => (r - team.used).max(0),
            None => (self.shared_size() - self.shared_used).max(0),
        };
        // After the operator forced a pool below its use, nobody takes a seat until use is back under it.
        let free = own.min((self.seats - self.used_total).max(0));
        if needed <= free {
            return Ok(());
        }
        Err(Refusal {
            team_name: team.team_name.clone(),
            limit: team.reserved.unwrap_or_else(|| self.shared_size()),
            needed,
            free,
            free_elsewhere: (self.free_total() - free).max(0),
            reserved_team: team.reserved.is_some(),
        })
    }
}

/// How a change would break R14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    ReservationsExceedPool {
        reserved: i64,
        pool: i64,
    },
    ReservationBelowUse {
        team_name: String,
        used: i64,
        reserved: i64,
    },
    SharedPoolOverflow {
        used: i64,
        size: i64,
    },
}

impl Violation {
    /// The stable problem code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ReservationsExceedPool { .. } => "reservations_exceed_pool",
            Self::ReservationBelowUse { .. } => "reservation_below_use",
            Self::SharedPoolOverflow { .. } => "seat_limit_reached",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Self::ReservationsExceedPool { reserved, pool } => format!(
                "Reservations would total {reserved} seats, more than the subscription's {pool}. Lower other teams' reservations or add seats."
            ),
            Self::ReservationBelowUse {
                team_name,
                used,
                reserved,
            } => format!(
                "Team {team_name} holds {used} seats, more than a reservation of {reserved}. Turn app access off for some of its members first, or reserve at least {used}."
            ),
            Self::SharedPoolOverflow { used, size } => format!(
                "Teams without a reservation hold {used} seats, but only {size} would be left to share. Lower reservations or add seats."
            ),
        }
    }
}

impl Pool {
    pub fn reserved_total(&self) -> i64 {
        self.teams.iter().filter_map(|t| t.reserved).sum()
    }

    /// Seats left for teams without a reservation.
    pub fn shared_size(&self) -> i64 {
        (self.seats - self.reserved_total()).max(0)
    }

    pub fn used_total(&self) -> i64 {
        self.teams.iter().map(|t| t.used).sum()
    }

    /// Seats anyone could still take: what reserved teams have left plus what the shared pool has.
    pub fn free_total(&self) -> i64 {
        self.totals().free_total()
    }

    /// The pool summed up: all the seat check needs.
    pub fn totals(&self) -> Totals {
        Totals {
            seats: self.seats,
            reserved_total: self.reserved_total(),
            reserved_left: self
                .teams
                .iter()
                .filter_map(|t| t.reserved.map(|r| (r - t.used).max(0)))
                .sum(),
            shared_used: self.shared_used(),
            used_total: self.used_total(),
        }
    }

    pub fn shared_used(&self) -> i64 {
        self.teams
            .iter()
            .filter(|t| t.reserved.is_none())
            .map(|t| t.used)
            .sum()
    }

    /// Whether `team_id` may take `needed` more seats.
    pub fn check(&self, team_id: &str, needed: i64) -> Result<(), Refusal> {
        match self.teams.iter().find(|t| t.team_id == team_id) {
            Some(team) => self.totals().check(team, needed),
            None => Err(Refusal {
                team_name: team_id.to_owned(),
                limit: 0,
                needed,
                free: 0,
                free_elsewhere: self.free_total(),
                reserved_team: false,
            }),
        }
    }

    /// R14's invariant: no reserved team over its reservation, the unreserved teams within the
    /// shared pool, and Σ reservations ≤ pool.
    pub fn holds(&self) -> bool {
        self.violation().is_none()
    }

    /// The first way this pool breaks R14's invariant, if any.
    pub fn violation(&self) -> Option<Violation> {
        if self.reserved_total() > self.seats {
            return Some(Violation::ReservationsExceedPool {
                reserved: self.reserved_total(),
                pool: self.seats,
            });
        }
        if let Some(t) = self
            .teams
            .iter()
            .find(|t| t.reserved.is_some_and(|r| t.used > r))
        {
            return Some(Violation::ReservationBelowUse {
                team_name: t.team_name.clone(),
                used: t.used,
                reserved: t.reserved.unwrap_or_default(),
            });
        }
        if self.shared_used() > self.shared_size() {
            return Some(Violation::SharedPoolOverflow {
                used: self.shared_used(),
                size: self.shared_size(),
            });
        }
        None
    }

    /// The same pool with `team` in it (replacing the team of the same id, or added).
    pub fn with_team(&self, team: TeamSeats) -> Pool {
        let mut next = self.clone();
        match next.teams.iter_mut().find(|t| t.team_id == team.team_id) {
            Some(t) => *t = team,
            None => next.teams.push(team),
        }
        next
    }

    /// Reserved teams that hold all their reserved seats (R15's warning).
    pub fn teams_at_limit(&self) -> Vec<&TeamSeats> {
        self.teams
            .iter()
            .filter(|t| t.reserved.is_some_and(|r| t.used >= r))
            .collect()
    }

    /// Whether teams share a pool that has no seat left (R15's warning).
    pub fn shared_pool_full(&self) -> bool {
        self.teams.iter().any(|t| t.reserved.is_none()) && self.shared_used() >= self.shared_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn team(id: &str, reserved: Option<i64>, used: i64) -> TeamSeats {
        TeamSeats {
            team_id: id.into(),
            team_name: format!("Team {id}"),
            reserved,
            used,
        }
    }

    #[test]
    fn r14_reserved_team_is_capped() {
        let pool = Pool {
            seats: 100,
            teams: vec![team("a", Some(25), 25), team("b", None, 0)],
        };
        let refusal = pool.check("a", 1).unwrap_err();
        assert_eq!(refusal.limit, 25);
        assert!(
            refusal
                .detail()
                .starts_with("Team Team a has reached its allocated seat limit (25)")
        );
        assert!(pool.check("b", 75).is_ok());
        assert!(pool.check("b", 76).is_err());
    }

    #[test]
    fn r14_reservations_are_kept_for_their_team() {
        let pool = Pool {
            seats: 10,
            teams: vec![team("a", Some(8), 0), team("b", None, 1)],
        };
        assert_eq!(pool.shared_size(), 2);
        assert!(pool.check("b", 1).is_ok());
        assert!(pool.check("b", 2).is_err());
        assert!(pool.check("a", 8).is_ok());
    }

    proptest! {
        /// Taking seats only when `check` allows keeps R14's invariant, whatever the order.
        #[test]
        fn r17_checked_takes_never_break_the_pool(
            seats in 0i64..50,
            reservations in proptest::collection::vec(proptest::option::of(0i64..20), 1..5),
            takes in proptest::collection::vec((0usize..5, 1i64..5), 0..60),
        ) {
            let mut pool = Pool { seats, teams: vec![] };
            for (i, r) in reservations.iter().enumerate() {
                let r = r.filter(|r| pool.reserved_total() + r <= seats);
                pool.teams.push(team(&i.to_string(), r, 0));
            }
            for (t, n) in takes {
                let t = t % pool.teams.len();
                let id = pool.teams[t].team_id.clone();
                if pool.check(&id, n).is_ok() {
                    pool.teams[t].used += n;
                }
                prop_assert!(pool.holds());
            }
        }
    }
}
