//! What a person reads, never what a machine stores: times in the organization's time zone as
//! "7 Dec 2026, 16:33" inside a `<time>` element that holds the exact value, days as
//! "7 Dec 2026", whole numbers with thousands separators, minutes rounded to whole ones, counted
//! nouns in the singular or the plural, and catalog labels instead of keys. Templates call these;
//! no page formats a time or a number on its own.

use askama::filters::HtmlSafe;
use std::fmt;

/// An organization's time zone (IANA name; UTC when unset or unknown to this build).
#[derive(Clone)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    name: String,
}

impl Default for Zone {
    fn default() -> Self {
        Self::named("UTC")
    }
}

impl Zone {
    pub fn named(name: &str) -> Self {
        match jiff::tz::TimeZone::get(name) {
            Ok(tz) => Self {
                tz,
                name: name.to_owned(),
            },
            Err(_) => Self {
                tz: jiff::tz::TimeZone::UTC,
                name: "UTC".to_owned(),
            },
        }
    }

    /// The zone's IANA name, for a column heading ("When (Europe/Berlin)").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An RFC 3339 time as the person reads it; an unreadable one is shown as it is.
    pub fn when(&self, rfc3339: &str) -> When {
        match rfc3339.parse::<jiff::Timestamp>() {
            Ok(ts) => self.at(ts),
            Err(_) => When {
                iso: rfc3339.to_owned(),
                text: rfc3339.to_owned(),
            },
        }
    }

    /// Epoch milliseconds as the person reads them.
    pub fn when_ms(&self, ms: i64) -> When {
        self.at(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
    }

    fn at(&self, ts: jiff::Timestamp) -> When {
        let local = ts.to_zoned(self.tz.clone());
        When {
            iso: ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            text: format!(
                "{}, {}",
                local.strftime("%-d %b %Y"),
                local.strftime("%H:%M")
            ),
        }
    }

    /// Only the day of an RFC 3339 time, in this zone ("7 Dec 2026").
    pub fn date_of(&self, rfc3339: &str) -> When {
        match rfc3339.parse::<jiff::Timestamp>() {
            Ok(ts) => When {
                iso: ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                text: ts
                    .to_zoned(self.tz.clone())
                    .strftime("%-d %b %Y")
                    .to_string(),
            },
            Err(_) => day(rfc3339),
        }
    }
}

/// A calendar day (`YYYY-MM-DD`) as "7 Dec 2026".
pub fn day(ymd: &str) -> When {
    let text = ymd
        .parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%-d %b %Y").to_string())
        .unwrap_or_else(|_| ymd.to_owned());
    When {
        iso: ymd.to_owned(),
        text,
    }
}

/// A calendar day as "7 Dec" (the year is in the heading above), for chart labels.
pub fn short_day(ymd: &str) -> String {
    ymd.parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%-d %b").to_string())
        .unwrap_or_else(|_| ymd.to_owned())
}

/// A moment or a day for a page: renders as `<time datetime="exact">readable</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    /// The exact value, for the `datetime` attribute and the hover text.
    pub iso: String,
    /// What the person reads.
    pub text: String,
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Both come from a parsed time or day, or are escaped here when a value couldn't be read.
        let iso = escape(&self.iso);
        write!(
            f,
            "<time datetime=\"{iso}\" title=\"{iso}\">{}</time>",
            escape(&self.text)
        )
    }
}

/// `When` writes HTML: its own element, with every value inside escaped.
impl HtmlSafe for When {}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole number however a template holds it (by value, or behind references).
pub trait Whole {
    fn whole(&self) -> i64;
}

impl Whole for i64 {
    fn whole(&self) -> i64 {
        *self
    }
}

impl Whole for i32 {
    fn whole(&self) -> i64 {
        i64::from(*self)
    }
}

impl Whole for usize {
    fn whole(&self) -> i64 {
        i64::try_from(*self).unwrap_or(i64::MAX)
    }
}

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> i64 {
        (**self).whole()
    }
}

/// A whole number with thousands separators: 68731 → "68,731".
pub fn count(n: impl Whole) -> String {
    let n = n.whole();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Minutes (a fraction, as the analytics count them) rounded to whole ones, with separators.
pub fn minutes(m: f64) -> String {
    count(m.round() as i64)
}

/// "1 team", "3 teams", "1,200 users".
pub fn counted(n: impl Whole, one: &str, many: &str) -> String {
    let n = n.whole();
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Cents as an amount in the currency every price is in: 550000 → "$5,500.00".
pub fn money(cents: impl Whole) -> String {
    let cents = cents.whole();
    format!("${}.{:02}", count(cents / 100), (cents % 100).abs())
}

/// A plan feature's label from the catalog.
pub fn feature(name: &str) -> &str {
    switchboard_domain::plan::feature_label(name)
}

/// A plan's label from the catalog.
pub fn plan(name: &str) -> &str {
    switchboard_domain::plan::plan_label(name)
}

/// Features as a person reads them, joined: "Noise cancellation, Agent assist".
pub fn features(names: &[String]) -> String {
    names
        .iter()
        .map(|f| feature(f))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The teams where a user has app access, joined ("Sales, Support"); empty when none.
pub fn access_teams(memberships: &[switchboard_service::views::MembershipView]) -> String {
    memberships
        .iter()
        .filter(|m| m.app_access)
        .map(|m| m.team_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_organization_zone_and_keep_the_exact_value() {
        let w = Zone::named("Europe/Berlin").when("2026-12-07T16:33:28.434Z");
        assert_eq!(w.text, "7 Dec 2026, 17:33");
        assert_eq!(w.iso, "2026-12-07T16:33:28Z");
        assert_eq!(
            w.to_string(),
            "<time datetime=\"2026-12-07T16:33:28Z\" title=\"2026-12-07T16:33:28Z\">7 Dec 2026, 17:33</time>"
        );
        assert_eq!(Zone::named("Nowhere/Else").name(), "UTC");
        assert_eq!(Zone::default().when_ms(0).text, "1 Jan 1970, 00:00");
        assert_eq!(
            Zone::default().when("<b>").to_string().matches('<').count(),
            2
        );
    }

    #[test]
    fn days_numbers_and_plurals_read_as_words() {
        assert_eq!(day("2026-12-07").text, "7 Dec 2026");
        assert_eq!(short_day("2026-12-07"), "7 Dec");
        assert_eq!(count(68731), "68,731");
        assert_eq!(count(-1234567), "-1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(minutes(68731.5), "68,732");
        assert_eq!(counted(1, "team", "teams"), "1 team");
        assert_eq!(counted(3, "team", "teams"), "3 teams");
        assert_eq!(money(550_000), "$5,500.00");
        assert_eq!(money(1505), "$15.05");
        assert_eq!(feature("noise_cancellation"), "Noise cancellation");
        assert_eq!(plan("business"), "Business");
    }
}
