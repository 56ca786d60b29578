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

/// The line through `used` per consecutive day, the last being `last_day`, for a pool of
/// `pool` seats. Only the last [`BASIS_DAYS`] days count.
pub fn forecast(last_day: jiff::civil::Date, used: &[i64], pool: i64) -> Forecast {
    let used = &used[used.len().saturating_sub(BASIS_DAYS)..];
    let n = used.len();
    if n < MIN_DAYS {
        return Forecast {
            exhausted_on: None,
            seats_per_week: 0.0,
            basis_days: n,
        };
    }
    let xs = (0..n).map(|i| i as f64);
    let mean_x = (n as f64 - 1.0) / 2.0;
    let mean_y = used.iter().sum::<i64>() as f64 / n as f64;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in xs.zip(used) {
        sxy += (x - mean_x) * (*y as f64 - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    let slope = sxy / sxx;
    let per_week = (slope * 7.0 * 10.0).round() / 10.0;
    // Where the line stands today, and how many days until it reaches the pool.
    let today = mean_y + slope * (n as f64 - 1.0 - mean_x);
    let exhausted_on = (slope > 1e-9).then(|| {
        let days = ((pool as f64 - today) / slope).ceil().max(0.0) as i64;
        last_day
            .checked_add(jiff::Span::new().days(days))
            .map(|d| d.to_string())
            .unwrap_or_default()
    });
    Forecast {
        exhausted_on: exhausted_on.filter(|d| !d.is_empty()),
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
    fn r30_a_full_pool_is_exhausted_today() {
        let used: Vec<i64> = (30..50).collect();
        let f = forecast(day("2026-12-07"), &used, 40);
        assert_eq!(f.exhausted_on.as_deref(), Some("2026-12-07"));
    }
}
