//! Simulated time: integer milliseconds since the scenario start, and the text forms a scenario
//! file uses for durations (`"12s"`, `"1h30m"`) and clock times (`"07:30"`).
//!
//! Owns parsing and formatting of times only; it knows nothing of events or scenarios.

use std::fmt;

/// Milliseconds in one second, minute, hour and day.
pub const SECOND: u64 = 1_000;
/// Milliseconds in one minute.
pub const MINUTE: u64 = 60 * SECOND;
/// Milliseconds in one hour.
pub const HOUR: u64 = 60 * MINUTE;
/// Milliseconds in one day.
pub const DAY: u64 = 24 * HOUR;

/// A point in simulated time: milliseconds since the scenario start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

/// A length of simulated time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The scenario start.
    pub const ZERO: SimTime = SimTime(0);

    /// Hours since the start, as a float for reports.
    pub fn hours(self) -> f64 {
        self.0 as f64 / HOUR as f64
    }

    /// This time plus a duration, saturating at the end of representable time.
    pub fn after(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The duration from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// Zero length.
    pub const ZERO: SimDuration = SimDuration(0);

    /// The duration in minutes, as a float for reports.
    pub fn minutes(self) -> f64 {
        self.0 as f64 / MINUTE as f64
    }

    /// The duration in hours, as a float for reports.
    pub fn hours(self) -> f64 {
        self.0 as f64 / HOUR as f64
    }

    /// A duration from (possibly fractional) milliseconds, rounded to the nearest millisecond
    /// (halves away from zero); negative and non-finite values become zero.
    pub fn from_millis_f64(ms: f64) -> SimDuration {
        // NaN fails both comparisons. Below 2^52 the fraction `ms - trunc(ms)` is exact, so
        // comparing it with one half decides as `round` does, without a call to `round` (a
        // library function on the baseline x86-64 target, once per sampled duration); the
        // truncation goes through `i64`, whose conversion is shorter than `u64`'s.
        if ms > 0.0 && ms < TWO_POW_52 {
            let whole = ms as i64;
            SimDuration((whole + i64::from(ms - whole as f64 >= 0.5)) as u64)
        } else if ms.is_finite() && ms > 0.0 {
            // Every `f64` from 2^52 on is whole; beyond `u64` the conversion saturates.
            SimDuration(ms as u64)
        } else {
            SimDuration::ZERO
        }
    }
}

/// 2^52: from here on every `f64` is a whole number.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

impl fmt::Display for SimDuration {
    /// Formats as the largest units that divide it: `"1h30m"`, `"12s"`, `"250ms"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, ms) in [
            ("d", DAY),
            ("h", HOUR),
            ("m", MINUTE),
            ("s", SECOND),
            ("ms", 1),
        ] {
            if rest >= ms {
                write!(f, "{}{}", rest / ms, unit)?;
                rest %= ms;
            }
        }
        Ok(())
    }
}

/// Why a duration or clock time text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeTextError {
    /// The text is not a number followed by a unit.
    #[error(
        "`{0}` is not a duration: write a number with a unit, e.g. \"12s\", \"5min\", \"4h\", \"1h30m\" (units: ms, s, min or m, h, d)"
    )]
    Duration(String),
    /// The text is not `HH:MM`.
    #[error(
        "`{0}` is not a clock time: write hours and minutes as \"HH:MM\", from \"00:00\" to \"24:00\""
    )]
    Clock(String),
}

/// Parses a duration such as `"12s"`, `"4h"`, `"1.5h"`, `"1h30m"`, `"250ms"`, `"2d"`.
///
/// A bare number has no unit and is refused, so a reader never has to guess the unit.
pub fn parse_duration(text: &str) -> Result<SimDuration, TimeTextError> {
    let err = || TimeTextError::Duration(text.to_string());
    let s = text.trim();
    if s.is_empty() {
        return Err(err());
    }
    let mut total = 0.0_f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let (num, tail) = rest.split_at(num_len);
        let value: f64 = num.parse().map_err(|_| err())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        total += value * unit_millis(unit).ok_or_else(err)? as f64;
        rest = tail.trim_start();
    }
    if !total.is_finite() || total > 1e15 {
        return Err(err());
    }
    Ok(SimDuration::from_millis_f64(total))
}

fn unit_millis(unit: &str) -> Option<u64> {
    Some(match unit {
        "ms" => 1,
        "s" | "sec" => SECOND,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        _ => return None,
    })
}

/// Parses a clock time `"HH:MM"` (or `"HH:MM:SS"`) into milliseconds since midnight;
/// `"24:00"` is the end of the day.
pub fn parse_clock(text: &str) -> Result<u64, TimeTextError> {
    let err = || TimeTextError::Clock(text.to_string());
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(err());
    }
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| p.parse::<u64>().map_err(|_| err()))
        .collect::<Result<_, _>>()?;
    let (h, m, s) = (nums[0], nums[1], nums.get(2).copied().unwrap_or(0));
    if m > 59 || s > 59 || h > 24 || (h == 24 && (m > 0 || s > 0)) {
        return Err(err());
    }
    Ok(h * HOUR + m * MINUTE + s * SECOND)
}

/// A calendar date and clock time without a time zone (the scenario's local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Days since 1970-01-01.
    pub day: i64,
    /// Milliseconds since midnight.
    pub millis_of_day: u64,
}

impl CivilTime {
    /// Builds from a calendar date and the milliseconds since midnight.
    pub fn new(year: i64, month: u32, day: u32, millis_of_day: u64) -> CivilTime {
        CivilTime {
            day: days_from_civil(year, month, day),
            millis_of_day,
        }
    }

    /// The civil time `t` after this one.
    pub fn plus(self, t: SimTime) -> CivilTime {
        let total = self.millis_of_day + t.0;
        CivilTime {
            day: self.day + (total / DAY) as i64,
            millis_of_day: total % DAY,
        }
    }
}

impl fmt::Display for CivilTime {
    /// `YYYY-MM-DD HH:MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.day);
        let mins = self.millis_of_day / MINUTE;
        write!(f, "{y:04}-{m:02}-{d:02} {:02}:{:02}", mins / 60, mins % 60)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Rounding without `round` gives what `round` gives, for any `f64` bit pattern.
        #[test]
        fn from_millis_rounds_as_round(bits in any::<u64>(), small in 0.0f64..1e7) {
            for x in [f64::from_bits(bits), small, small.trunc() + 0.5, -small] {
                prop_assert_eq!(SimDuration::from_millis_f64(x).0, rounded(x), "{}", x);
            }
        }
    }

    /// What `from_millis_f64` promises, with the library's `round`.
    fn rounded(x: f64) -> u64 {
        if x.is_finite() { x.round() as u64 } else { 0 }
    }

    #[test]
    fn from_millis_at_the_edges() {
        for x in [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9.007_199_254_740_993e15,
            1.8e19,
            2e19,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -0.5,
            -1e300,
            f64::MIN_POSITIVE,
            12_345.499_999_999_998,
        ] {
            assert_eq!(SimDuration::from_millis_f64(x).0, rounded(x), "{x}");
        }
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("12s"), Ok(SimDuration(12_000)));
        assert_eq!(parse_duration("4h"), Ok(SimDuration(4 * HOUR)));
        assert_eq!(parse_duration("1h30m"), Ok(SimDuration(90 * MINUTE)));
        assert_eq!(parse_duration("1h 30min"), Ok(SimDuration(90 * MINUTE)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration(90 * MINUTE)));
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250)));
        assert_eq!(parse_duration("2d"), Ok(SimDuration(2 * DAY)));
        assert_eq!(parse_duration("0s"), Ok(SimDuration(0)));
    }

    #[test]
    fn durations_without_units_are_refused() {
        for bad in ["12", "", "h", "12 parsecs", "-3s", "1..2s", "3hh"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn durations_display_round_trip() {
        for ms in [0, 1, 12_000, 90 * MINUTE, DAY + HOUR + 250] {
            let d = SimDuration(ms);
            assert_eq!(parse_duration(&d.to_string()), Ok(d));
        }
    }

    #[test]
    fn clock_times() {
        assert_eq!(parse_clock("07:30"), Ok(7 * HOUR + 30 * MINUTE));
        assert_eq!(parse_clock("24:00"), Ok(DAY));
        assert_eq!(parse_clock("00:00:30"), Ok(30 * SECOND));
        for bad in ["7:30", "24:01", "12:60", "noon", "12"] {
            assert!(parse_clock(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn civil_dates() {
        let start = CivilTime::new(2022, 11, 2, 7 * HOUR);
        assert_eq!(start.to_string(), "2022-11-02 07:00");
        assert_eq!(
            start.plus(SimTime(17 * HOUR + 30 * MINUTE)).to_string(),
            "2022-11-03 00:30"
        );
        assert_eq!(
            CivilTime::new(2024, 2, 28, 0)
                .plus(SimTime(DAY))
                .to_string(),
            "2024-02-29 00:00"
        );
        assert_eq!(CivilTime::new(1970, 1, 1, 0).day, 0);
    }
}
