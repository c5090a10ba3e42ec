//! Shared helpers: building scenarios from text, running replications, confidence intervals.

use swabsim::model::Model;
use swabsim::runner::{self, Replication, t_quantile};

/// Parses and validates scenario text, panicking with the located problems if it is wrong.
pub fn model(text: &str) -> Model {
    match swabsim::load_str("test.toml", text, &[]) {
        Ok((_, m)) => m,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `n` replications on the current thread pool.
pub fn run(model: &Model, n: u32) -> Vec<Replication> {
    runner::run_all(model, n, false, &|| {}).expect("conservation holds")
}

/// A summary figure of every replication.
pub fn figure(reps: &[Replication], name: &str) -> Vec<f64> {
    reps.iter()
        .map(|r| runner::cell(&r.figures.summary, name))
        .collect()
}

/// Mean and half-width of the 99% confidence interval of the mean (Student t).
pub fn ci99(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, t_quantile(0.995, xs.len() - 1) * (var / n).sqrt())
}

/// Asserts that `theory` lies in the 99% confidence interval of the replication means.
///
/// Replication means are independent and, over ~10^5 customers each, close to normal, so a
/// correct engine misses the interval with probability 1%; with fixed seeds the outcome is fixed.
pub fn assert_in_ci(what: &str, xs: &[f64], theory: f64) {
    let (mean, half) = ci99(xs);
    assert!(
        (mean - theory).abs() <= half,
        "{what}: simulated {mean:.5} ± {half:.5} (99% CI over {} replications), theory {theory:.5}",
        xs.len()
    );
    eprintln!(
        "{what}: simulated {mean:.5} ± {half:.5}, theory {theory:.5}, error {:+.2}%",
        100.0 * (mean - theory) / theory
    );
}

/// A one-site scenario with Poisson walk-ins and one exponential stage: M/M/c, with an optional
/// finite queue (M/M/c/K) and a share of priority customers served first through a green lane.
pub struct Mmc {
    /// Desks.
    pub c: u32,
    /// Arrivals per minute.
    pub lambda: f64,
    /// Mean service time in minutes.
    pub service_min: f64,
    /// Waiting places.
    pub capacity: Option<u32>,
    /// Share of priority customers (green lane when above 0).
    pub priority: f64,
    /// Simulated hours.
    pub hours: u32,
}

impl Mmc {
    /// The scenario text.
    pub fn text(&self) -> String {
        let cap = self
            .capacity
            .map_or(String::new(), |k| format!("queue_capacity = {k}\n"));
        let green = if self.priority > 0.0 {
            "green_lane = true\n"
        } else {
            ""
        };
        format!(
            r#"version = 1
[scenario]
name = "mmc"
start = 2022-11-02T00:00:00
horizon = "{h}h"
seed = 42
report_every = "1h"

[[site]]
name = "s"
desks = {c}
{cap}{green}[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "{svc}s" }}

[[area]]
name = "walk-ins"
sites = ["s"]
priority_share = {p}
walkin = {{ rate = "{lambda}/min" }}
"#,
            h = self.hours,
            c = self.c,
            svc = self.service_min * 60.0,
            p = self.priority,
            lambda = self.lambda,
        )
    }
}

/// Erlang C: the probability that an arrival waits in M/M/c with offered load `a` = λ/μ.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) / (1.0 - rho);
    top / (sum + top)
}

/// Stationary distribution of M/M/c/N (N people in the system at most).
pub fn mmcn(c: u32, a: f64, n: u32) -> Vec<f64> {
    let mut p = vec![1.0];
    for k in 1..=n {
        let rate = a / f64::from(k.min(c));
        p.push(p[k as usize - 1] * rate);
    }
    let total: f64 = p.iter().sum();
    p.iter().map(|x| x / total).collect()
}
