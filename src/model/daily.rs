//! Step functions of the clock time of day: opening hours (open = 1) and walk-in rates.
//!
//! A profile repeats every day. It answers "what is the value now" and "when does it change
//! next", which is all the engine needs to schedule openings, closings and rate changes exactly.

use crate::time::DAY;

/// A piecewise-constant function of the time of day.
#[derive(Debug, Clone, PartialEq)]
pub struct Daily {
    /// Segment starts in ms since midnight; `starts[0] == 0`.
    starts: Vec<u64>,
    /// Value on each segment.
    values: Vec<f64>,
    /// Times of day at which the value changes, sorted.
    changes: Vec<u64>,
}

impl Daily {
    /// A profile that is `value` all day.
    pub fn constant(value: f64) -> Daily {
        Daily {
            starts: vec![0],
            values: vec![value],
            changes: Vec::new(),
        }
    }

    /// The sum of `(from, to, value)` periods (ms since midnight); a period with `to <= from` runs
    /// past midnight. Time outside every period has value 0.
    pub fn from_periods(periods: &[(u64, u64, f64)]) -> Daily {
        let pieces: Vec<(u64, u64, f64)> = periods
            .iter()
            .flat_map(|&(from, to, v)| {
                if to > from {
                    vec![(from, to, v)]
                } else {
                    vec![(from, DAY, v), (0, to, v)]
                }
            })
            .filter(|&(a, b, _)| b > a)
            .collect();
        let mut cuts: Vec<u64> = vec![0];
        cuts.extend(
            pieces
                .iter()
                .flat_map(|&(a, b, _)| [a, b])
                .filter(|&c| c < DAY),
        );
        cuts.sort_unstable();
        cuts.dedup();
        let mut starts = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        for c in cuts {
            let v: f64 = pieces
                .iter()
                .filter(|&&(a, b, _)| a <= c && c < b)
                .map(|p| p.2)
                .sum();
            if values.last() != Some(&v) {
                starts.push(c);
                values.push(v);
            }
        }
        let mut changes: Vec<u64> = starts.iter().skip(1).copied().collect();
        if values.len() > 1 && values.first() != values.last() {
            changes.insert(0, 0);
        }
        Daily {
            starts,
            values,
            changes,
        }
    }

    /// The value at a time of day (ms since midnight, taken modulo a day).
    pub fn value_at(&self, tod: u64) -> f64 {
        let tod = tod % DAY;
        let k = self.starts.partition_point(|&s| s <= tod) - 1;
        self.values[k]
    }

    /// Milliseconds from `tod` to the next change of value, or `None` if it never changes.
    pub fn until_change(&self, tod: u64) -> Option<u64> {
        let tod = tod % DAY;
        let first = *self.changes.first()?;
        let k = self.changes.partition_point(|&c| c <= tod);
        Some(match self.changes.get(k) {
            Some(&c) => c - tod,
            None => first + DAY - tod,
        })
    }

    /// The mean value over a day.
    pub fn mean(&self) -> f64 {
        let total: f64 = self
            .starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let end = self.starts.get(k + 1).copied().unwrap_or(DAY);
                self.values[k] * (end - s) as f64
            })
            .sum();
        total / DAY as f64
    }

    /// The largest value of the day.
    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }

    /// Whether the value is the same all day.
    pub fn is_constant(&self) -> bool {
        self.changes.is_empty()
    }
}

impl Daily {
    /// The same profile with every value mapped (equal neighbours merged).
    pub fn map_values(&self, f: impl Fn(f64) -> f64) -> Daily {
        let periods: Vec<(u64, u64, f64)> = self
            .starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let end = self.starts.get(k + 1).copied().unwrap_or(DAY);
                (s, end, f(self.values[k]))
            })
            .collect();
        Daily::from_periods(&periods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::HOUR;

    #[test]
    fn opening_hours_with_lunch_break() {
        let d = Daily::from_periods(&[(7 * HOUR, 12 * HOUR, 1.0), (14 * HOUR, 18 * HOUR, 1.0)]);
        assert_eq!(d.value_at(6 * HOUR), 0.0);
        assert_eq!(d.value_at(7 * HOUR), 1.0);
        assert_eq!(d.value_at(12 * HOUR), 0.0);
        assert_eq!(d.until_change(6 * HOUR), Some(HOUR));
        assert_eq!(d.until_change(7 * HOUR), Some(5 * HOUR));
        assert_eq!(d.until_change(20 * HOUR), Some(11 * HOUR));
    }

    #[test]
    fn past_midnight_and_all_day() {
        let d = Daily::from_periods(&[(22 * HOUR, 6 * HOUR, 1.0)]);
        assert_eq!(d.value_at(23 * HOUR), 1.0);
        assert_eq!(d.value_at(HOUR), 1.0);
        assert_eq!(d.value_at(12 * HOUR), 0.0);
        assert_eq!(d.until_change(23 * HOUR), Some(7 * HOUR));
        let all = Daily::from_periods(&[(0, DAY, 1.0)]);
        assert!(all.is_constant());
        assert_eq!(all.until_change(5), None);
        let split = Daily::from_periods(&[(0, 12 * HOUR, 1.0), (12 * HOUR, DAY, 1.0)]);
        assert!(split.is_constant());
    }

    #[test]
    fn overlapping_rates_add() {
        let d = Daily::from_periods(&[(0, 10 * HOUR, 2.0), (8 * HOUR, 12 * HOUR, 3.0)]);
        assert_eq!(d.value_at(9 * HOUR), 5.0);
        assert_eq!(d.value_at(11 * HOUR), 3.0);
        assert_eq!(d.value_at(13 * HOUR), 0.0);
    }
}
