//! Observers: what the engine reports, turned into figures.
//!
//! [`Stats`] keeps streaming counters, time-weighted statistics, quantile histograms and the time
//! series; its memory grows with sites × reporting steps, never with the population.
//! [`Trace`] keeps one row per person when asked. Conservation is checked here, at the end of
//! every run. No chart or file code lives here; `report` writes what these compute.

mod chain;
mod staffing;
mod stats;
mod tally;
mod timeweighted;
mod trace;

pub use chain::{LabRow, TubeRow};
pub use stats::{ConservationError, ProgressRow, RunFigures, SUMMARY_COLUMNS, SeriesRow, Stats};
pub use timeweighted::{StepFigures, TimeWeighted};
pub use trace::{Outcome, Trace, TraceRow};

/// One cell of a figures table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A whole count.
    Count(u64),
    /// A real number; NaN is "not reached" or "no data" and is written as an empty cell.
    Real(f64),
}

impl Cell {
    /// The value as a float (counts converted).
    pub fn as_f64(self) -> f64 {
        match self {
            Cell::Count(n) => n as f64,
            Cell::Real(x) => x,
        }
    }
}

/// A row of named figures in a fixed column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row(pub Vec<(&'static str, Cell)>);

impl Row {
    /// Appends a count.
    pub fn count(&mut self, name: &'static str, v: u64) -> &mut Self {
        self.0.push((name, Cell::Count(v)));
        self
    }

    /// Appends a real number.
    pub fn real(&mut self, name: &'static str, v: f64) -> &mut Self {
        self.0.push((name, Cell::Real(v)));
        self
    }

    /// The value of a column, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.as_f64())
    }

    /// Column names in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|(n, _)| *n).collect()
    }
}
