//! R30: when a seat pool runs out, from a least-squares line through the seats held per day.
//! Pure arithmetic, so it is tested against series whose answer is known.

use serde::Serialize;

/// Days of history the line is drawn through, at most.
pub const BASIS_DAYS: usize = 28;
/// Fewer days than this say nothing about a trend.
pub const MIN_DAYS: usize = 14;

/// The forecast of a pool.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    /// The day the pool is full at the present pace (`YYYY-MM-DD`); null when use is flat or
    /// shrinking, or with fewer than 14 days of history.
    pub exhausted_on: Option<String>,
    /// Seats taken per week at the present pace (negative when shrinking).
    pub seats_per_week: f64,
    /// How many days of history the line was drawn through.
    pub basis_days: usize,
}

/// Days ahead past which a date says nothing (and a calendar can't hold it).
const HORIZON_DAYS: f64 = 3650.0;

/// The line through `used` per consecutive day, the last being `last_day`, for a pool of
/// `pool` seats. Only the last [`BASIS_DAYS`] days count.
pub fn forecast(last_day: jiff::civil::Date, used: &[i64], pool: i64) -> Forecast {
    let n = used.len().min(BASIS_DAYS);
    let points: Vec<(i64, i64)> = used[used.len() - n..]
        .iter()
        .enumerate()
        .map(|(i, u)| (i as i64 - (n as i64 - 1), *u))
        .collect();
    forecast_points(last_day, &points, pool)
}

/// The line through `(day offset, used)` points, offsets counted back from `last_day` (0 is
/// `last_day`, −1 the day before), so a missing day leaves a gap rather than bending the line.
/// Only points within [`BASIS_DAYS`] of `last_day` count.
pub fn forecast_points(last_day: jiff::civil::Date, points: &[(i64, i64)], pool: i64) -> Forecast {
    let points: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, _)| *x > -(BASIS_DAYS as i64) && *x <= 0)
        .map(|(x, y)| (*x as f64, *y as f64))
        .collect();
    let n = points.len();
    let none = |per_week| Forecast {
        exhausted_on: None,
        seats_per_week: per_week,
        basis_days: n,
    };
    if n < MIN_DAYS {
        return none(0.0);
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in &points {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    let slope = sxy / sxx;
    let per_week = (slope * 7.0 * 10.0).round() / 10.0;
    if !slope.is_finite() || slope <= 1e-9 {
        return none(if per_week.is_finite() { per_week } else { 0.0 });
    }
    // Where the line stands on `last_day` (x = 0), and how many days until it reaches the pool.
    let today = mean_y - slope * mean_x;
    let days = ((pool as f64 - today) / slope).ceil().max(0.0);
    if days > HORIZON_DAYS {
        return none(per_week);
    }
    Forecast {
        exhausted_on: last_day
            .checked_add(jiff::Span::new().days(days as i64))
            .ok()
            .map(|d| d.to_string()),
        seats_per_week: per_week,
        basis_days: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> jiff::civil::Date {
        s.parse().unwrap()
    }

    #[test]
    fn r30_a_steady_climb_runs_out_on_the_day_the_line_says() {
        // 20 days from 10 up by one a day: 29 today, pool 40 → 11 more days.
        let used: Vec<i64> = (10..30).collect();
        let f = forecast(day("2026-12-07"), &used, 40);
        assert_eq!(f.exhausted_on.as_deref(), Some("2026-12-18"));
        assert_eq!(f.seats_per_week, 7.0);
        assert_eq!(f.basis_days, 20);
    }

    #[test]
    fn r30_only_the_last_28_days_count() {
        // 30 flat days at 50, then 28 days climbing by 2 a day from 50.
        let mut used = vec![50; 30];
        used.extend((0..28).map(|i| 50 + 2 * i));
        let f = forecast(day("2026-12-07"), &used, 200);
        assert_eq!(f.basis_days, 28);
        assert_eq!(f.seats_per_week, 14.0);
        // Today 104; (200 - 104) / 2 = 48 days.
        assert_eq!(f.exhausted_on.as_deref(), Some("2027-01-24"));
    }

    #[test]
    fn r30_flat_shrinking_or_short_histories_forecast_nothing() {
        assert_eq!(
            forecast(day("2026-12-07"), &[20; 28], 40).exhausted_on,
            None
        );
        let shrinking: Vec<i64> = (0..20).map(|i| 40 - i).collect();
        let f = forecast(day("2026-12-07"), &shrinking, 40);
        assert_eq!((f.exhausted_on, f.seats_per_week), (None, -7.0));
        let short: Vec<i64> = (0..13).collect();
        assert_eq!(forecast(day("2026-12-07"), &short, 40).exhausted_on, None);
    }

    #[test]
    fn r30_a_missing_day_leaves_a_gap_not_a_steeper_line() {
        // One a day for 20 days, with days −5 and −6 missing: still 7 a week.
        let points: Vec<(i64, i64)> = (-19..=0)
            .filter(|x| *x != -5 && *x != -6)
            .map(|x| (x, 30 + x))
            .collect();
        let f = forecast_points(day("2026-12-07"), &points, 40);
        assert_eq!((f.seats_per_week, f.basis_days), (7.0, 18));
        assert_eq!(f.exhausted_on.as_deref(), Some("2026-12-17"));
    }

    #[test]
    fn r30_a_date_beyond_ten_years_is_no_date() {
        // Almost flat with a large pool: no date rather than one no calendar holds.
        let mut used = vec![10; 27];
        used.push(11);
        let f = forecast(day("2026-12-07"), &used, 10_000_000);
        assert_eq!(f.exhausted_on, None);
    }

    #[test]
    fn r30_a_full_pool_is_exhausted_today() {
        let used: Vec<i64> = (30..50).collect();
        let f = forecast(day("2026-12-07"), &used, 40);
        assert_eq!(f.exhausted_on.as_deref(), Some("2026-12-07"));
    }
}
