//! Chart geometry for the portal's server-drawn SVG charts (R26): numbers in, positioned bars,
//! labels and axis ticks out, so the templates only place shapes and text. Drawings are in
//! pixels of a fixed-width view box that scales evenly (text is never stretched): horizontal
//! bars carry their category's name and their value; columns over time carry a value axis with
//! labelled ticks and dates under them. Every chart is drawn beside a table of the same
//! numbers — the chart is for the eye, the table for reading and for screen readers.

use super::human;

/// Drawing width of every chart, in view-box pixels.
pub const WIDTH: f64 = 640.0;

/// A labelled mark on an axis: where, and what it reads.
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// One horizontal bar: its category, the value as shown, and its place.
pub struct HBar {
    /// The category's name in full (for the table and the tooltip).
    pub name: String,
    /// The name as it fits beside the bar.
    pub label: String,
    pub value: String,
    /// Top of the bar, and the baseline of its texts.
    pub y: f64,
    pub text_y: f64,
    pub length: f64,
}

/// Horizontal bars (one category each) with a value axis underneath.
pub struct HBars {
    pub bars: Vec<HBar>,
    pub ticks: Vec<Tick>,
    /// Where bars start (the category names end just left of it) and the full bar length.
    pub left: f64,
    pub thickness: f64,
    pub height: f64,
    /// The value axis: its line's height and the baseline of its tick labels and title.
    pub axis_y: f64,
    pub tick_y: f64,
    pub title_y: f64,
    /// What the values are ("Call minutes").
    pub unit: &'static str,
}

const ROW: f64 = 26.0;
const LABELS: f64 = 170.0;
/// Room right of the longest bar for its value.
const VALUE_ROOM: f64 = 70.0;

impl HBars {
    pub fn new(
        items: Vec<(String, f64)>,
        unit: &'static str,
        show: impl Fn(f64) -> String,
    ) -> Self {
        let most = items.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let (top, step) = nice_scale(most);
        let span = WIDTH - LABELS - VALUE_ROOM;
        let bars: Vec<HBar> = items
            .into_iter()
            .enumerate()
            .map(|(i, (label, v))| HBar {
                length: if top > 0.0 && v > 0.0 {
                    (v / top * span).max(1.0)
                } else {
                    0.0
                },
                y: i as f64 * ROW + 6.0,
                text_y: i as f64 * ROW + 6.0 + (ROW - 8.0) / 2.0 + 4.0,
                value: show(v),
                label: shorten(&label, 24),
                name: label,
            })
            .collect();
        let axis_y = bars.len() as f64 * ROW + 8.0;
        let ticks = ticks(top, step)
            .into_iter()
            .map(|(v, label)| Tick {
                at: LABELS + if top > 0.0 { v / top * span } else { 0.0 },
                label,
            })
            .collect();
        Self {
            bars,
            ticks,
            left: LABELS,
            thickness: ROW - 8.0,
            height: axis_y + 40.0,
            axis_y,
            tick_y: axis_y + 15.0,
            title_y: axis_y + 32.0,
            unit,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bars.iter().all(|b| b.length == 0.0)
    }

    /// Where the value axis ends.
    pub fn right(&self) -> f64 {
        WIDTH - VALUE_ROOM
    }
}

/// One column of a chart over time.
pub struct Column {
    /// The date as a person reads it ("7 Dec 2026").
    pub label: String,
    pub value: String,
    pub x: f64,
    pub y: f64,
    pub height: f64,
}

/// Columns over time with a labelled value axis on the left and dates along the bottom.
pub struct Columns {
    pub columns: Vec<Column>,
    pub width: f64,
    pub y_ticks: Vec<Tick>,
    /// A date under every few columns, so labels never overlap.
    pub x_labels: Vec<Tick>,
    pub left: f64,
    pub base: f64,
    pub height: f64,
    pub unit: &'static str,
    /// What the columns are ("Day" or "Week of").
    pub along: &'static str,
}

const PLOT_TOP: f64 = 10.0;
const PLOT_HEIGHT: f64 = 170.0;
const Y_LABELS: f64 = 64.0;

impl Columns {
    /// Columns for `(day, value)` pairs (days as `YYYY-MM-DD`).
    pub fn new(
        items: Vec<(String, f64)>,
        unit: &'static str,
        along: &'static str,
        show: impl Fn(f64) -> String,
    ) -> Self {
        let most = items.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let (top, step) = nice_scale(most);
        let n = items.len().max(1) as f64;
        let slot = (WIDTH - Y_LABELS - 10.0) / n;
        let base = PLOT_TOP + PLOT_HEIGHT;
        // About eight dates fit under the axis.
        let every = ((items.len() as f64) / 8.0).ceil().max(1.0) as usize;
        let mut x_labels = Vec::new();
        let columns = items
            .into_iter()
            .enumerate()
            .map(|(i, (day, v))| {
                let height = if top > 0.0 && v > 0.0 {
                    (v / top * PLOT_HEIGHT).max(1.0)
                } else {
                    0.0
                };
                let x = Y_LABELS + i as f64 * slot + slot * 0.1;
                if i % every == 0 {
                    x_labels.push(Tick {
                        at: x + slot * 0.4,
                        label: human::short_day(&day),
                    });
                }
                Column {
                    label: human::day(&day).text,
                    value: show(v),
                    x,
                    y: base - height,
                    height,
                }
            })
            .collect();
        let y_ticks = ticks(top, step)
            .into_iter()
            .map(|(v, label)| Tick {
                at: base
                    - if top > 0.0 {
                        v / top * PLOT_HEIGHT
                    } else {
                        0.0
                    },
                label,
            })
            .collect();
        Self {
            columns,
            width: (slot * 0.8).max(1.0),
            y_ticks,
            x_labels,
            left: Y_LABELS,
            base,
            height: base + 44.0,
            unit,
            along,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.iter().all(|c| c.height == 0.0)
    }

    pub fn right(&self) -> f64 {
        WIDTH - 10.0
    }
}

/// The axis's top value and step: 1, 2 or 5 times a power of ten, four or five steps to the
/// top. Zero gives an axis of 0 to 1.
fn nice_scale(most: f64) -> (f64, f64) {
    if most <= 0.0 || !most.is_finite() {
        return (1.0, 0.25);
    }
    let rough = most / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    ((most / step).ceil() * step, step)
}

fn ticks(top: f64, step: f64) -> Vec<(f64, String)> {
    let n = (top / step).round() as i64;
    (0..=n)
        .map(|i| {
            let v = i as f64 * step;
            let label = if step >= 1.0 {
                human::count(v.round() as i64)
            } else {
                format!("{v}")
            };
            (v, label)
        })
        .collect()
}

/// A name cut to `max` characters with an ellipsis, so it fits beside its bar (the full name is
/// in the table and the bar's tooltip).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_use_round_steps_that_reach_past_the_largest_value() {
        assert_eq!(nice_scale(68_731.0), (80_000.0, 20_000.0));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
        assert_eq!(nice_scale(0.0), (1.0, 0.25));
        let t = ticks(80_000.0, 20_000.0);
        assert_eq!(t.last().unwrap().1, "80,000");
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn bars_scale_to_the_axis_and_keep_a_sliver_for_small_values() {
        let b = HBars::new(
            vec![
                ("Support Tier 1".into(), 1000.0),
                ("b".into(), 1.0),
                ("c".into(), 0.0),
            ],
            "Call minutes",
            |v| human::count(v as i64),
        );
        let lengths: Vec<f64> = b.bars.iter().map(|b| b.length).collect();
        assert_eq!(lengths[0], WIDTH - LABELS - VALUE_ROOM);
        assert_eq!(lengths[1], 1.0);
        assert_eq!(lengths[2], 0.0);
        assert_eq!(b.bars[0].value, "1,000");
        assert_eq!(b.bars[0].label, "Support Tier 1");
        assert!(!b.is_empty());
        assert!(HBars::new(vec![("z".into(), 0.0)], "x", |v| v.to_string()).is_empty());
        assert_eq!(
            shorten("An extremely long team name indeed", 10),
            "An extrem…"
        );
    }

    #[test]
    fn columns_label_dates_without_crowding() {
        let days: Vec<(String, f64)> = (1..=30)
            .map(|d| (format!("2026-11-{d:02}"), f64::from(d)))
            .collect();
        let c = Columns::new(days, "Call minutes", "Day", |v| v.to_string());
        assert_eq!(c.columns.len(), 30);
        assert!(c.x_labels.len() <= 8, "{}", c.x_labels.len());
        assert_eq!(c.x_labels[0].label, "1 Nov");
        assert_eq!(c.columns[29].label, "30 Nov 2026");
        assert!((c.columns[29].y - (c.base - c.columns[29].height)).abs() < 1e-9);
    }
}
