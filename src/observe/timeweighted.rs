//! A time-weighted statistic of a piecewise-constant quantity (queue length, desks open): its
//! integral over the run and over the current reporting step, and its maxima.

use crate::time::SimTime;

/// The integral over time of a value that changes at discrete times (value × milliseconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct Integral {
    value: f64,
    last: SimTime,
    total: f64,
}

impl Integral {
    /// Takes the value up to `t` into the integral; returns the area added.
    #[inline]
    fn advance(&mut self, t: SimTime) -> f64 {
        let dt = t.0.saturating_sub(self.last.0) as f64;
        let area = self.value * dt;
        self.total += area;
        self.last = self.last.max(t);
        area
    }

    /// The value becomes `v` at time `t`.
    #[inline]
    pub fn set(&mut self, t: SimTime, v: f64) {
        self.advance(t);
        self.value = v;
    }

    /// Integral from 0 to `t`.
    pub fn integral(&mut self, t: SimTime) -> f64 {
        self.advance(t);
        self.total
    }

    /// Integral from 0 to `t`, leaving the state as it is: the same figure, to the bit, as
    /// [`Integral::integral`] (the same product added to the same total).
    pub fn integral_at(&self, t: SimTime) -> f64 {
        self.total + self.value * t.0.saturating_sub(self.last.0) as f64
    }
}

/// Integral and maxima of a value that changes at discrete times, over the run and over the
/// current reporting step.
#[derive(Debug, Clone, Default)]
pub struct TimeWeighted {
    run: Integral,
    step_area: f64,
    step_start: SimTime,
    step_max: f64,
    max: f64,
}

/// The figures of one reporting step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepFigures {
    /// Time-weighted mean over the step.
    pub mean: f64,
    /// Largest value in the step.
    pub max: f64,
    /// Value at the end of the step.
    pub end: f64,
}

impl TimeWeighted {
    fn advance(&mut self, t: SimTime) {
        self.step_area += self.run.advance(t);
    }

    /// The value becomes `v` at time `t`.
    #[inline]
    pub fn set(&mut self, t: SimTime, v: f64) {
        self.advance(t);
        self.run.value = v;
        self.max = self.max.max(v);
        self.step_max = self.step_max.max(v);
    }

    /// Ends the reporting step at `t` and returns its figures.
    pub fn close_step(&mut self, t: SimTime) -> StepFigures {
        self.advance(t);
        let len = t.0.saturating_sub(self.step_start.0) as f64;
        let mean = if len > 0.0 {
            self.step_area / len
        } else {
            self.run.value
        };
        let out = StepFigures {
            mean,
            max: self.step_max,
            end: self.run.value,
        };
        self.step_area = 0.0;
        self.step_start = t;
        self.step_max = self.run.value;
        out
    }

    /// Integral from 0 to `t` (value × milliseconds).
    pub fn integral(&mut self, t: SimTime) -> f64 {
        self.advance(t);
        self.run.total
    }

    /// Integral from 0 to `t`, leaving the state as it is (so that the sites' rows can be made
    /// side by side from shared figures); the same bits as [`TimeWeighted::integral`].
    pub fn integral_at(&self, t: SimTime) -> f64 {
        self.run.integral_at(t)
    }

    /// Largest value so far.
    pub fn max(&self) -> f64 {
        self.max
    }

    /// Current value.
    pub fn value(&self) -> f64 {
        self.run.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_steps() {
        let mut tw = TimeWeighted::default();
        tw.set(SimTime(0), 2.0);
        tw.set(SimTime(10), 4.0);
        let s = tw.close_step(SimTime(20));
        assert_eq!(
            s,
            StepFigures {
                mean: 3.0,
                max: 4.0,
                end: 4.0
            }
        );
        tw.set(SimTime(25), 0.0);
        let s = tw.close_step(SimTime(30));
        assert_eq!(
            s,
            StepFigures {
                mean: 2.0,
                max: 4.0,
                end: 0.0
            }
        );
        assert_eq!(tw.integral_at(SimTime(40)), 80.0);
        assert_eq!(tw.integral(SimTime(40)), 80.0);
        assert_eq!(tw.max(), 4.0);
    }

    /// Reading the integral without advancing gives the bits that advancing gives, before the
    /// advance and after it, over values and gaps whose products round.
    #[test]
    fn integral_at_matches_integral() {
        let mut tw = TimeWeighted::default();
        let mut t = 0u64;
        for k in 1..2_000u64 {
            t += k * 7_919 % 104_729;
            tw.set(SimTime(t), (k as f64).sqrt() / 3.0);
            let end = SimTime(t + k * 31);
            let read = tw.integral_at(end);
            assert_eq!(read.to_bits(), tw.clone().integral(end).to_bits());
            let mut advanced = tw.clone();
            advanced.integral(end);
            assert_eq!(read.to_bits(), advanced.integral_at(end).to_bits());
        }
    }
}
