//! Chart geometry for the portal's server-drawn SVG charts (R26): numbers in, bars out, so the
//! templates only place rectangles. Every chart is drawn next to a table of the same numbers —
//! the chart is for the eye, the table for reading and for screen readers.

/// One bar: its label, the number as shown, and its place in a 100-wide drawing.
pub struct Bar {
    pub label: String,
    pub value: String,
    /// Offset along the category axis and the bar's thickness (drawing units).
    pub at: f64,
    pub thickness: f64,
    /// Length along the value axis (0–100), at least a sliver for any non-zero value.
    pub length: f64,
}

/// A bar chart: `bars` laid out over `span` drawing units along the category axis.
pub struct Bars {
    pub bars: Vec<Bar>,
    pub span: f64,
}

impl Bars {
    /// Bars for `(label, value)` pairs, scaled to the largest value; `show` formats a value.
    pub fn new(items: Vec<(String, f64)>, show: impl Fn(f64) -> String) -> Self {
        let most = items.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let slot = 8.0;
        let bars = items
            .into_iter()
            .enumerate()
            .map(|(i, (label, v))| Bar {
                length: if most > 0.0 && v > 0.0 {
                    (v / most * 100.0).max(0.5)
                } else {
                    0.0
                },
                at: i as f64 * slot + 1.0,
                thickness: slot - 2.0,
                value: show(v),
                label,
            })
            .collect::<Vec<_>>();
        let span = bars.len() as f64 * slot + 2.0;
        Self { bars, span }
    }

    pub fn is_empty(&self) -> bool {
        self.bars.iter().all(|b| b.length == 0.0)
    }

    /// For a column chart: the top of a bar in a drawing 100 high.
    pub fn top(&self, b: &Bar) -> f64 {
        100.0 - b.length
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_keep_a_sliver_for_small_values() {
        let b = Bars::new(
            vec![("a".into(), 1000.0), ("b".into(), 1.0), ("c".into(), 0.0)],
            |v| format!("{v:.0}"),
        );
        let lengths: Vec<f64> = b.bars.iter().map(|b| b.length).collect();
        assert_eq!(lengths, [100.0, 0.5, 0.0]);
        assert_eq!(b.bars[1].value, "1");
        assert_eq!(b.span, 26.0);
        assert!(!b.is_empty());
        assert!(Bars::new(vec![("z".into(), 0.0)], |v| v.to_string()).is_empty());
    }
}
