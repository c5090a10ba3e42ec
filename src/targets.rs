//! Targets: what a planner requires of a run (`[[target]]` in the scenario, or in a plan or
//! sweep file), and the judgement of replications against them with a confidence bound.
//!
//! A target names a figure of `summary.csv` (the run), of `sites.csv` (one site, or every site)
//! or of `rounds.csv` (one round, or every round), and a bound: at most or at least a value.
//! With R replications the figure's replication mean has a one-sided Student-t confidence bound
//! at the stated level; a target is
//!
//! - **met** when that bound is on the right side (the upper bound ≤ `at_most`, the lower bound
//!   ≥ `at_least`): the target holds with that confidence, not only on the mean;
//! - **missed** when the opposite bound is on the wrong side (the lower bound > `at_most`): it
//!   fails with that confidence;
//! - **uncertain** otherwise: more replications would decide it.
//!
//! With one replication there is no bound: the value itself decides (met or missed). A figure
//! that is a time to reach a mark (`hours_to_95pct`) counts as infinite in a replication that
//! never reached it; other figures that have no value (a wait at a site nobody came to) are left
//! out, and a target whose figure has no value at all is `no data` (not missed).

use crate::observe::Row;
use crate::runner::cell;

/// The figures of `sites.csv` a target may name.
pub const SITE_COLUMNS: [&str; 27] = [
    "arrived",
    "tested",
    "wait_mean_min",
    "wait_p50_min",
    "wait_p95_min",
    "wait_max_min",
    "wait_green_mean_min",
    "wait_other_mean_min",
    "waited_share",
    "time_in_system_mean_min",
    "time_in_system_p95_min",
    "longest_queue",
    "queue_mean",
    "queue_person_min",
    "gave_up",
    "gave_up_full",
    "gave_up_closed",
    "reneged",
    "turned_away_share",
    "desks",
    "desk_hours_open",
    "desk_utilisation",
    "desk_hours_unstaffed",
    "stockout_hours",
    "tubes",
    "tubes_waiting_max",
    "turnaround_mean_h",
];

/// The figures of `rounds.csv` a target may name.
pub const ROUND_COLUMNS: [&str; 7] = [
    "residents",
    "tested",
    "coverage",
    "hours_to_90pct",
    "hours_to_95pct",
    "hours_to_99pct",
    "coverage_at_deadline",
];

/// What a target's figure is taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The run (`summary.csv`).
    Run,
    /// One site, by index.
    Site(usize),
    /// Every site (every sampling point and checkpoint).
    EverySite,
    /// One call-up round, from 0.
    Round(usize),
    /// Every round.
    EveryRound,
}

/// A bound on a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// The figure must be at most this.
    AtMost(f64),
    /// The figure must be at least this.
    AtLeast(f64),
}

impl Bound {
    /// The bound's value.
    pub fn value(self) -> f64 {
        match self {
            Bound::AtMost(v) | Bound::AtLeast(v) => v,
        }
    }

    /// `≤` or `≥`.
    pub fn sign(self) -> &'static str {
        match self {
            Bound::AtMost(_) => "≤",
            Bound::AtLeast(_) => "≥",
        }
    }
}

/// A resolved target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// A column of the table its scope names.
    pub figure: String,
    /// What the figure is taken over.
    pub scope: Scope,
    /// The bound.
    pub bound: Bound,
}

impl Target {
    /// A short human description, e.g. `wait_p95_min ≤ 30 at every site`.
    pub fn label(&self, site_names: &[String]) -> String {
        let scope = match &self.scope {
            Scope::Run => String::new(),
            Scope::Site(s) => format!(" at {}", site_names.get(*s).map_or("?", |n| n.as_str())),
            Scope::EverySite => " at every site".into(),
            Scope::Round(r) => format!(" in round {}", r + 1),
            Scope::EveryRound => " in every round".into(),
        };
        format!(
            "{} {} {}{scope}",
            self.figure,
            self.bound.sign(),
            crate::report::fmt_real(self.bound.value())
        )
    }

    /// Whether a missing value means the mark was never reached (then it counts as infinite).
    fn missing_is_never(&self) -> bool {
        self.figure.starts_with("hours_to_")
    }
}

/// The tables a target reads from one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// `summary.csv`'s row.
    pub summary: Row,
    /// `sites.csv`'s rows, in site order.
    pub sites: Vec<Row>,
    /// `rounds.csv`'s rows, in round order.
    pub rounds: Vec<Row>,
}

impl From<&crate::observe::RunFigures> for Figures {
    fn from(f: &crate::observe::RunFigures) -> Self {
        Figures {
            summary: f.summary.clone(),
            sites: f.sites.clone(),
            rounds: f.rounds.clone(),
        }
    }
}

/// How a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Holds with the stated confidence (or, with one replication, on its value).
    Met,
    /// No replication gave the figure a value.
    NoData,
    /// The confidence interval straddles the bound.
    Uncertain,
    /// Fails with the stated confidence.
    Missed,
}

impl Status {
    /// `met`, `no data`, `uncertain`, `missed`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NoData => "no data",
            Status::Uncertain => "uncertain",
            Status::Missed => "missed",
        }
    }
}

/// One target judged at one site or round (or for the run).
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The target's index.
    pub target: usize,
    /// Where: `run`, a site's name, or `round N`.
    pub at: String,
    /// Replications with a value.
    pub n: usize,
    /// The replication mean (infinite if a mark was never reached).
    pub mean: f64,
    /// The one-sided confidence half-width (NaN with fewer than 2 values).
    pub half: f64,
    /// How far the confidence bound is inside the target (negative: outside): `at_most − upper`
    /// or `lower − at_least`; with one replication, from the value.
    pub slack: f64,
    /// The verdict.
    pub status: Status,
}

/// Judges `targets` over the replications' figures, with a one-sided bound at `confidence`
/// (e.g. 0.95). Returns one judgement per target and scope item, in target order.
pub fn judge(
    targets: &[Target],
    reps: &[&Figures],
    site_names: &[String],
    confidence: f64,
) -> Vec<Judgement> {
    let mut out = Vec::new();
    for (k, t) in targets.iter().enumerate() {
        let items: Vec<Item> = match &t.scope {
            Scope::Run => {
                let f = t.figure.clone();
                vec![(
                    "run".into(),
                    Box::new(move |x: &Figures| cell(&x.summary, &f)),
                )]
            }
            Scope::Site(s) => vec![site_item(t, *s, site_names)],
            Scope::EverySite => (0..site_names.len())
                .map(|s| site_item(t, s, site_names))
                .collect(),
            Scope::Round(r) => vec![round_item(t, *r)],
            Scope::EveryRound => {
                let n = reps.first().map_or(0, |x| x.rounds.len());
                (0..n).map(|r| round_item(t, r)).collect()
            }
        };
        for (at, get) in items {
            let values: Vec<f64> = reps.iter().map(|x| get(x)).collect();
            out.push(judge_values(k, at, t, &values, confidence));
        }
    }
    out
}

type Item = (String, Box<dyn Fn(&Figures) -> f64>);

fn site_item(t: &Target, s: usize, site_names: &[String]) -> Item {
    let f = t.figure.clone();
    let name = site_names.get(s).cloned().unwrap_or_default();
    (
        name,
        Box::new(move |x: &Figures| x.sites.get(s).map_or(f64::NAN, |row| cell(row, &f))),
    )
}

fn round_item(t: &Target, r: usize) -> Item {
    let f = t.figure.clone();
    (
        format!("round {}", r + 1),
        Box::new(move |x: &Figures| x.rounds.get(r).map_or(f64::NAN, |row| cell(row, &f))),
    )
}

/// Judges one target on one series of replication values.
fn judge_values(k: usize, at: String, t: &Target, values: &[f64], confidence: f64) -> Judgement {
    let never = match t.bound {
        Bound::AtMost(_) => f64::INFINITY,
        Bound::AtLeast(_) => f64::NEG_INFINITY,
    };
    let xs: Vec<f64> = values
        .iter()
        .filter_map(|&x| {
            if x.is_nan() {
                t.missing_is_never().then_some(never)
            } else {
                Some(x)
            }
        })
        .collect();
    let n = xs.len();
    let mut j = Judgement {
        target: k,
        at,
        n,
        mean: f64::NAN,
        half: f64::NAN,
        slack: f64::NAN,
        status: Status::NoData,
    };
    if n == 0 {
        return j;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    j.mean = mean;
    // Inside (+) or outside (−) the bound, measured from a value.
    let inside = |x: f64| match t.bound {
        Bound::AtMost(b) => b - x,
        Bound::AtLeast(b) => x - b,
    };
    if !mean.is_finite() {
        // A mark never reached in some replication: the mean is infinite, the target missed.
        j.slack = inside(mean);
        j.status = if j.slack >= 0.0 {
            Status::Met
        } else {
            Status::Missed
        };
        return j;
    }
    if n == 1 {
        j.slack = inside(mean);
        j.status = if j.slack >= 0.0 {
            Status::Met
        } else {
            Status::Missed
        };
        return j;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = crate::runner::t_quantile(confidence, n - 1) * (var / n as f64).sqrt();
    j.half = half;
    // The pessimistic bound decides "met", the optimistic one "missed".
    j.slack = inside(mean) - half;
    j.status = if j.slack >= 0.0 {
        Status::Met
    } else if inside(mean) + half < 0.0 {
        Status::Missed
    } else {
        Status::Uncertain
    };
    j
}

/// Of the judgements of target `k`, the one with the least slack (where it is taken at several
/// sites or rounds); judgements without a slack count last.
pub fn worst(js: &[Judgement], k: usize) -> Option<&Judgement> {
    js.iter().filter(|j| j.target == k).min_by(|a, b| {
        let s = |j: &Judgement| {
            if j.slack.is_nan() {
                f64::INFINITY
            } else {
                j.slack
            }
        };
        s(a).total_cmp(&s(b))
    })
}

/// The status of target `k` over its judgements (the worst of them).
pub fn status_of(js: &[Judgement], k: usize) -> Status {
    let mine: Vec<Judgement> = js.iter().filter(|j| j.target == k).cloned().collect();
    overall(&mine)
}

/// The worst status of a set of judgements (`Met` when there are none).
pub fn overall(js: &[Judgement]) -> Status {
    js.iter().map(|j| j.status).max().map_or(Status::Met, |s| {
        if s == Status::NoData { Status::Met } else { s }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Row;

    fn figs(v: f64) -> Figures {
        let mut summary = Row::default();
        summary.real("wait_p95_min", v).real("hours_to_95pct", v);
        Figures {
            summary,
            sites: Vec::new(),
            rounds: Vec::new(),
        }
    }

    fn target(figure: &str, bound: Bound) -> Target {
        Target {
            figure: figure.into(),
            scope: Scope::Run,
            bound,
        }
    }

    fn status(t: &Target, xs: &[f64]) -> Judgement {
        let f: Vec<Figures> = xs.iter().map(|&x| figs(x)).collect();
        let r: Vec<&Figures> = f.iter().collect();
        judge(std::slice::from_ref(t), &r, &[], 0.95).remove(0)
    }

    #[test]
    fn met_only_when_the_upper_bound_is_inside() {
        let t = target("wait_p95_min", Bound::AtMost(30.0));
        // Mean 29.5, sd 0.816, n 4: one-sided 95% half-width t(0.95, 3) 2.353 × 0.408 = 0.961;
        // the upper bound 30.46 is above 30, the lower 28.54 below: uncertain.
        let j = status(&t, &[28.5, 29.5, 29.5, 30.5]);
        assert!((j.mean - 29.5).abs() < 1e-12);
        assert_eq!(j.status, Status::Uncertain);
        // Mean 28, same spread: upper bound 28.96: met with 1.04 to spare.
        let j = status(&t, &[27.0, 28.0, 28.0, 29.0]);
        assert_eq!(j.status, Status::Met);
        let half = crate::runner::t_quantile(0.95, 3) * (2.0f64 / 3.0 / 4.0).sqrt();
        assert!((j.slack - (2.0 - half)).abs() < 1e-12);
        // Mean 32: lower bound 31.04 > 30: missed.
        let j = status(&t, &[31.0, 32.0, 32.0, 33.0]);
        assert_eq!(j.status, Status::Missed);
    }

    #[test]
    fn a_mark_never_reached_misses_and_one_replication_is_judged_on_its_value() {
        let t = target("hours_to_95pct", Bound::AtMost(24.0));
        assert_eq!(status(&t, &[10.0, f64::NAN]).status, Status::Missed);
        assert_eq!(status(&t, &[10.0]).status, Status::Met);
        assert_eq!(status(&t, &[25.0]).status, Status::Missed);
        let w = target("wait_p95_min", Bound::AtLeast(1.0));
        assert_eq!(status(&w, &[f64::NAN, f64::NAN]).status, Status::NoData);
    }
}
