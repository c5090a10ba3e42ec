//! Runs replications of a model in parallel and aggregates them.
//!
//! Replication `r` always uses the random streams of `r`, and results are collected in
//! replication order, so the output is the same for any number of threads. Each replication runs
//! as the partitions of the scenario's plan (in parallel too), whose figures are merged exactly:
//! the output is also the same for any partitioning.

use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::{Granularity, Observer, Observers, Plan, RunInfo, simulate_plan};
use crate::model::Model;
use crate::observe::{Cell, ConservationError, Row, RunFigures, Stats, Trace};

/// One finished replication.
#[derive(Debug, Clone)]
pub struct Replication {
    /// Replication index, from 0.
    pub index: u32,
    /// Its figures.
    pub figures: RunFigures,
    /// Events processed.
    pub events: u64,
    /// Most people held at once (summed over partitions).
    pub peak_people: usize,
    /// Most tube records held at once (summed over partitions).
    pub peak_tubes: usize,
    /// How the run went: partitions, windows, work and parallelism.
    pub info: RunInfo,
    /// The per-person trace, when asked for.
    pub trace: Option<Trace>,
}

/// Calls a function at every reporting step (for progress bars).
struct Ticker<'a>(&'a (dyn Fn() + Sync));

impl Observer for Ticker<'_> {
    fn step(&mut self, _t: crate::time::SimTime) {
        (self.0)();
    }
}

/// What one partition collects.
type Collect<'a> = (Stats, (Option<Trace>, Option<Ticker<'a>>));

/// Runs replication `index` of `model`; `tick` is called at every reporting step.
pub fn run_one(
    model: &Model,
    index: u32,
    trace: bool,
    tick: &(dyn Fn() + Sync),
) -> Result<Replication, ConservationError> {
    let plan = Arc::new(Plan::new(model, Granularity::Auto));
    run_planned(model, &plan, index, trace, tick)
}

/// Runs replication `index` of `model` as the partitions of `plan`.
pub fn run_planned(
    model: &Model,
    plan: &Arc<Plan>,
    index: u32,
    trace: bool,
    tick: &(dyn Fn() + Sync),
) -> Result<Replication, ConservationError> {
    let make = |p: usize| -> Collect<'_> {
        (
            Stats::for_part(model, plan.clone(), p).with_tube_rows(trace),
            (trace.then(Trace::default), (p == 0).then_some(Ticker(tick))),
        )
    };
    let barrier = |parts: &mut Observers<'_, '_, Collect<'_>>, t| {
        Stats::barrier(parts, |c| &mut c.0, t);
    };
    let (parts, mut info) = simulate_plan(model, plan, index, make, barrier);
    let merging = std::time::Instant::now();
    let (stats, traces): (Vec<Stats>, Vec<Option<Trace>>) =
        parts.into_iter().map(|(s, (t, _))| (s, t)).unzip();
    let figures = Stats::finish_parts(stats, model)?;
    info.merge_s = merging.elapsed().as_secs_f64();
    let trace = trace.then(|| Trace::merge(traces.into_iter().flatten().collect()));
    Ok(Replication {
        index,
        figures,
        events: info.events,
        peak_people: info.peak_people,
        peak_tubes: info.peak_tubes,
        info,
        trace,
    })
}

/// Runs replications 0..n on the current rayon pool, collected in replication order.
pub fn run_all(
    model: &Model,
    n: u32,
    trace: bool,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Replication>, ConservationError> {
    run_all_with(model, n, trace, tick, Granularity::Auto)
}

/// Like [`run_all`], with the partitions of the given granularity (the results do not depend
/// on it; tests check that they do not).
pub fn run_all_with(
    model: &Model,
    n: u32,
    trace: bool,
    tick: &(dyn Fn() + Sync),
    granularity: Granularity,
) -> Result<Vec<Replication>, ConservationError> {
    let plan = Arc::new(Plan::new(model, granularity));
    (0..n)
        .into_par_iter()
        .map(|r| run_planned(model, &plan, r, trace, tick))
        .collect()
}

/// Mean and 95% confidence half-width (Student t) of each column across rows; NaN cells
/// (a mark not reached) are left out of that column's mean.
pub fn mean_and_ci(rows: &[&Row]) -> Vec<(&'static str, f64, f64)> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    first
        .0
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let xs: Vec<f64> = rows
                .iter()
                .map(|r| r.0[k].1.as_f64())
                .filter(|x| x.is_finite())
                .collect();
            let (mean, half) = mean_ci95(&xs);
            (*name, mean, half)
        })
        .collect()
}

/// The sample mean and the half-width of its 95% confidence interval (NaN with fewer than 2).
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, t_quantile(0.975, n - 1) * (var / n as f64).sqrt())
}

/// The `p` quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile(p: f64, df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

/// A summary figure over the replications: the mean and 95% half-width of the values it has,
/// and how many it has (a mark not reached has none).
pub fn summary_mean(reps: &[Replication], name: &str) -> (f64, f64, usize) {
    let xs: Vec<f64> = reps
        .iter()
        .map(|r| cell(&r.figures.summary, name))
        .filter(|x| x.is_finite())
        .collect();
    let (m, h) = mean_ci95(&xs);
    (m, h, xs.len())
}

/// A row's cell by name as a float.
pub fn cell(row: &Row, name: &str) -> f64 {
    row.0
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(f64::NAN, |(_, c): &(&str, Cell)| c.as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_interval() {
        assert!((t_quantile(0.975, 9) - 2.262_157).abs() < 1e-5);
        let (m, h) = mean_ci95(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        // sd = 1.290994, t(0.975, 3) = 3.182446 → 3.182446 × 1.290994 / 2
        assert!((h - 2.054_26).abs() < 1e-4, "{h}");
    }
}
