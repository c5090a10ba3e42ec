//! The search for the cheapest feasible plan.
//!
//! **Evaluations.** A candidate (one value per decision) is the scenario with those values set.
//! It is run for `min_replications`, judged against every target with one-sided bounds at the
//! plan's confidence (`crate::targets`), and run for twice as many replications while any target
//! is uncertain, up to `max_replications`: then it is *feasible* (every target met), *infeasible*
//! (some target missed) or *undecided*. Replication `r` of every candidate uses the random
//! streams of `r` (streams are named by entity, so a desk more at one site changes nothing
//! elsewhere): candidates are compared on the same residents (common random numbers).
//! Replications are kept, so a candidate judged again (without a target, for its cost) only runs
//! what it lacks.
//!
//! **Search.** Feasibility is assumed monotone: more of any resource never breaks a target.
//! 1. The top candidate (every decision at its largest) must be feasible; else there is no plan.
//! 2. Decisions are grouped by the sites they act on: sites are nearly independent, so each
//!    group is searched with the other groups at their largest, in parallel: a bisection
//!    decision by decision bounds the cost, then a group of at most [`ENUMERATE`] combinations
//!    is settled exactly in order of cost (see `search_group`).
//! 3. The groups' answers together are checked; if the joint plan fails (targets over the whole
//!    run couple the groups), single steps up are added, each time the one that helps most per
//!    unit of cost, until it is feasible.
//! 4. A removal pass tries to take one step away from every decision, the costliest first,
//!    until none can go.
//!
//! Everything is a pure function of the plan, the scenario and the seed: groups keep their own
//! records, merged in group order, and no decision depends on which thread finished first.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{Cost, Plan, in_block};
use crate::model::Model;
use crate::targets::{Figures, Judgement, Status, Target, judge};

/// Groups with at most this many combinations are enumerated in order of cost.
pub const ENUMERATE: usize = 400;

/// What a candidate is, once judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every target met with the stated confidence.
    Feasible,
    /// Some target missed with the stated confidence.
    Infeasible,
    /// Some target still uncertain after the most replications.
    Undecided,
    /// The scenario refuses these values.
    Invalid,
}

impl Verdict {
    /// As written in `plan.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Feasible => "feasible",
            Verdict::Infeasible => "infeasible",
            Verdict::Undecided => "undecided",
            Verdict::Invalid => "invalid",
        }
    }
}

/// A candidate judged.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The decisions' values.
    pub values: Vec<i64>,
    /// Its cost.
    pub cost: f64,
    /// Replications run.
    pub replications: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// Per target and site or round.
    pub judgements: Vec<Judgement>,
    /// Why the scenario refused it (for `Invalid`).
    pub invalid: Option<String>,
}

/// One line of the search's record: a candidate looked at, in which phase.
#[derive(Debug, Clone)]
pub struct Step {
    /// `top`, `group N`, `joint`, `repair`, `removal`, or `without target N`.
    pub phase: String,
    /// The candidate.
    pub judged: Judged,
}

/// The search's answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The cheapest feasible plan found (None: not even the top candidate is feasible).
    pub best: Option<Judged>,
    /// The top candidate.
    pub top: Judged,
    /// Unit cost of each decision, resolved.
    pub unit_costs: Vec<f64>,
    /// Groups of decisions searched apart (indices into the plan's decisions).
    pub groups: Vec<Vec<usize>>,
    /// Every candidate looked at, in a fixed order.
    pub steps: Vec<Step>,
    /// Distinct candidates evaluated.
    pub evaluations: usize,
    /// Whether the evaluation limit stopped the search early.
    pub limited: bool,
    /// Per target: the cost of the best plan found without it (None when there is no best
    /// plan without it either).
    pub without: Vec<Option<f64>>,
}

/// Candidates and their replications, shared by every search of one plan.
pub struct Evaluator<'a> {
    plan: &'a Plan,
    /// Replications run per candidate (or why it is invalid).
    runs: Mutex<BTreeMap<Vec<i64>, Arc<Mutex<Runs>>>>,
    /// Distinct candidates evaluated.
    count: AtomicU32,
    /// Site names (the same in every candidate: decisions change counts, not sites).
    site_names: Vec<String>,
    /// The targets (the same in every candidate).
    targets: Vec<Target>,
    unit_costs: Vec<f64>,
}

#[derive(Default)]
struct Runs {
    figures: Vec<Figures>,
    invalid: Option<String>,
    model: Option<Arc<Model>>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for `plan`; `top` is the top candidate's model.
    fn new(plan: &'a Plan, top: &Model) -> Self {
        Evaluator {
            plan,
            runs: Mutex::new(BTreeMap::new()),
            count: AtomicU32::new(0),
            site_names: top.sites.iter().map(|s| s.name.clone()).collect(),
            targets: top.targets.clone(),
            unit_costs: Vec::new(),
        }
    }

    fn cost(&self, values: &[i64]) -> f64 {
        self.unit_costs
            .iter()
            .zip(values)
            .map(|(c, v)| c * *v as f64)
            .sum()
    }

    /// Whether the evaluation limit is reached.
    fn exhausted(&self) -> bool {
        self.count.load(Ordering::SeqCst) >= self.plan.max_evaluations
    }

    /// Judges `values` against the targets whose `mask` is true, running replications as
    /// needed.
    fn judge(&self, values: &[i64], mask: &[bool]) -> Judged {
        let slot = {
            let mut all = self.runs.lock().expect("no evaluation panicked");
            all.entry(values.to_vec())
                .or_insert_with(|| {
                    self.count.fetch_add(1, Ordering::SeqCst);
                    Arc::new(Mutex::new(Runs::default()))
                })
                .clone()
        };
        let cost = self.cost(values);
        let model = {
            // The lock is never held while replications run (on the rayon pool).
            let mut runs = slot.lock().expect("no evaluation panicked");
            if runs.model.is_none() && runs.invalid.is_none() {
                let sets = self.plan.sets(values);
                match crate::load_str(&self.plan.scenario_file, &self.plan.scenario_text, &sets) {
                    Ok((_, mut m)) => {
                        if let Some(seed) = self.plan.seed {
                            m.seed = seed;
                        }
                        runs.model = Some(Arc::new(m));
                    }
                    Err(e) => {
                        runs.invalid = Some(
                            e.problems
                                .first()
                                .map(crate::sweep::located_text)
                                .unwrap_or_default(),
                        );
                    }
                }
            }
            if let Some(why) = &runs.invalid {
                return Judged {
                    values: values.to_vec(),
                    cost,
                    replications: 0,
                    verdict: Verdict::Invalid,
                    judgements: Vec::new(),
                    invalid: Some(why.clone()),
                };
            }
            runs.model.clone().expect("loaded above")
        };
        let targets: Vec<Target> = self
            .targets
            .iter()
            .zip(mask)
            .filter(|(_, m)| **m)
            .map(|(t, _)| t.clone())
            .collect();
        let min = self.plan.min_replications as usize;
        let max = self.plan.max_replications as usize;
        // Always from `min` up, so that a verdict is a function of the candidate and the targets
        // alone (replications already run are reused, not rerun).
        let mut want = min;
        loop {
            let have = slot.lock().expect("no evaluation panicked").figures.len();
            if have < want {
                let more: Vec<Figures> = (have as u32..want as u32)
                    .into_par_iter()
                    .map(|r| {
                        crate::runner::run_one(&model, r, false, &|| {})
                            .map(|rep| Figures::from(&rep.figures))
                    })
                    .collect::<Result<_, _>>()
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut runs = slot.lock().expect("no evaluation panicked");
                // Another search may have run the same replications meanwhile: they are
                // identical, keep one copy.
                let len = runs.figures.len();
                runs.figures.extend(more.into_iter().skip(len - have));
            }
            let figures: Vec<Figures> =
                slot.lock().expect("no evaluation panicked").figures[..want].to_vec();
            let refs: Vec<&Figures> = figures.iter().collect();
            let js = judge(&targets, &refs, &self.site_names, self.plan.confidence);
            let verdict = verdict(&js);
            if verdict != Verdict::Undecided || want >= max {
                // Judgements name targets by their index among all targets.
                let index: Vec<usize> = mask
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| **m)
                    .map(|(i, _)| i)
                    .collect();
                let judgements = js
                    .into_iter()
                    .map(|mut j| {
                        j.target = index[j.target];
                        j
                    })
                    .collect();
                return Judged {
                    values: values.to_vec(),
                    cost,
                    replications: want,
                    verdict,
                    judgements,
                    invalid: None,
                };
            }
            want = (want * 2).min(max);
        }
    }
}

/// A candidate's verdict from its judgements.
fn verdict(js: &[Judgement]) -> Verdict {
    match crate::targets::overall(js) {
        Status::Met | Status::NoData => Verdict::Feasible,
        Status::Missed => Verdict::Infeasible,
        Status::Uncertain => Verdict::Undecided,
    }
}

/// An evaluator with the unit costs resolved, and the top candidate's model.
fn prepare(plan: &Plan) -> Result<(Evaluator<'_>, Model), String> {
    let top_values = plan.top();
    let (_, top_model) = crate::load_str(
        &plan.scenario_file,
        &plan.scenario_text,
        &plan.sets(&top_values),
    )
    .map_err(|e| e.to_string())?;
    let mut ev = Evaluator::new(plan, &top_model);
    // The top candidate's first replication gives the person-hours of one more person per crew.
    let first = crate::runner::run_one(&top_model, 0, false, &|| {}).map_err(|e| e.to_string())?;
    ev.unit_costs = plan
        .decisions
        .iter()
        .zip(&top_values)
        .map(|(d, v)| match d.cost {
            Cost::PerUnit(c) => c,
            Cost::PersonHours => {
                let name = d
                    .path
                    .strip_prefix("team.")
                    .and_then(|p| p.strip_suffix(".headcount"))
                    .unwrap_or_default();
                let hours: f64 = first
                    .figures
                    .staff
                    .iter()
                    .filter(|(t, _, _)| in_block(name, &top_model.teams[*t].name))
                    .map(|(_, _, row)| crate::runner::cell(row, "person_hours_on_duty"))
                    .filter(|x| x.is_finite())
                    .sum();
                if *v > 0 { hours / *v as f64 } else { 0.0 }
            }
        })
        .collect();
    Ok((ev, top_model))
}

/// Searches for the cheapest feasible plan; with `target_costs`, also for the cheapest plan
/// without each target in turn.
pub fn search(plan: &Plan, target_costs: bool) -> Result<Outcome, String> {
    let (ev, top_model) = prepare(plan)?;
    let all = vec![true; ev.targets.len()];
    let groups = groups(plan, &top_model);
    let mut steps = Vec::new();
    let (best, top, limited) = search_with(&ev, &groups, &all, "", &mut steps);
    let mut without = Vec::new();
    if target_costs && ev.targets.len() > 1 {
        for k in 0..ev.targets.len() {
            let mut mask = all.clone();
            mask[k] = false;
            let (b, _, _) = search_with(
                &ev,
                &groups,
                &mask,
                &format!("without target {}: ", k + 1),
                &mut steps,
            );
            without.push(b.map(|b| b.cost));
        }
    }
    Ok(Outcome {
        best,
        top,
        unit_costs: ev.unit_costs.clone(),
        groups,
        steps,
        evaluations: ev.count.load(Ordering::SeqCst) as usize,
        limited: limited || ev.exhausted(),
        without,
    })
}

/// Most combinations [`exhaustive`] evaluates.
pub const EXHAUSTIVE_MAX: usize = 100_000;

/// Every combination of the decisions' values judged with the same rule (the check of the
/// search: a sweep over the whole grid); returns the cheapest feasible (ties: smaller values
/// first) and every candidate judged, in grid order.
pub fn exhaustive(plan: &Plan) -> Result<(Option<Judged>, Vec<Judged>), String> {
    let (ev, _) = prepare(plan)?;
    let combos = plan
        .decisions
        .iter()
        .try_fold(1usize, |a, d| a.checked_mul(d.values.len()))
        .filter(|n| *n <= EXHAUSTIVE_MAX)
        .ok_or_else(|| format!("more than {EXHAUSTIVE_MAX} combinations to evaluate"))?;
    let all = vec![true; ev.targets.len()];
    let grid: Vec<Vec<i64>> = (0..combos)
        .map(|mut n| {
            let mut x = vec![0; plan.decisions.len()];
            for (i, d) in plan.decisions.iter().enumerate().rev() {
                x[i] = d.values[n % d.values.len()];
                n /= d.values.len();
            }
            x
        })
        .collect();
    let judged: Vec<Judged> = grid.par_iter().map(|x| ev.judge(x, &all)).collect();
    let best = judged
        .iter()
        .filter(|j| j.verdict == Verdict::Feasible)
        .min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.values.cmp(&b.values)))
        .cloned();
    Ok((best, judged))
}

/// Groups of decisions that act on different sites: a site's desks act on it, a team's
/// headcount on the sites it staffs, an area's keys on the sites its people go to, a route's on
/// the sites it serves; anything else (labs, reserves, door-to-door teams, the header) on every
/// site. Sites are only *nearly* independent (residents who choose between sites, door-to-door
/// teams and couriers couple them): the joint check and repair catch what the grouping misses.
fn groups(plan: &Plan, model: &Model) -> Vec<Vec<usize>> {
    use crate::model::Place;
    let everything = || None;
    // The sites each decision acts on; `None`: every site.
    let touched: Vec<Option<Vec<u32>>> = plan
        .decisions
        .iter()
        .map(|d| {
            let mut it = d.path.splitn(3, '.');
            let table = it.next().unwrap_or_default();
            let name = it.next().unwrap_or_default();
            let sites: Option<Vec<u32>> = match table {
                "site" => Some(
                    model
                        .sites
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| in_block(name, &s.name))
                        .map(|(i, _)| i as u32)
                        .collect(),
                ),
                "team" => {
                    let mut out = Vec::new();
                    let mut all = false;
                    for t in model.teams.iter().filter(|t| in_block(name, &t.name)) {
                        match &t.place {
                            Place::Sites(s) => out.extend(s.iter().map(|x| x.0)),
                            _ => all = true,
                        }
                    }
                    (!all).then_some(out)
                }
                "area" => Some(
                    model
                        .areas
                        .iter()
                        .filter(|a| in_block(name, &a.name))
                        .flat_map(|a| a.sites.iter().map(|x| x.0))
                        .collect(),
                ),
                "route" => Some(
                    model
                        .routes
                        .iter()
                        .filter(|r| in_block(name, &r.name))
                        .flat_map(|r| r.sites.iter().map(|x| x.0))
                        .collect(),
                ),
                _ => everything(),
            };
            sites.filter(|s| !s.is_empty())
        })
        .collect();
    // Union of decisions that share a site (or act on every site).
    let n = plan.decisions.len();
    let mut sets = crate::engine::plan::Sets::new(n);
    for i in 0..n {
        for j in i + 1..n {
            let joined = match (&touched[i], &touched[j]) {
                (Some(a), Some(b)) => a.iter().any(|x| b.contains(x)),
                _ => true,
            };
            if joined {
                sets.join(i as u32, j as u32);
            }
        }
    }
    let mut out: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        out.entry(sets.find(i as u32)).or_default().push(i);
    }
    out.into_values().collect()
}

/// One search against the targets of `mask`; appends its record to `steps` with `prefix` on
/// its phases. Returns the best plan, the top candidate's judgement and whether the limit
/// stopped it.
fn search_with(
    ev: &Evaluator<'_>,
    groups: &[Vec<usize>],
    mask: &[bool],
    prefix: &str,
    steps: &mut Vec<Step>,
) -> (Option<Judged>, Judged, bool) {
    let top_values = ev.plan.top();
    let top = ev.judge(&top_values, mask);
    steps.push(Step {
        phase: format!("{prefix}top"),
        judged: top.clone(),
    });
    if top.verdict != Verdict::Feasible {
        return (None, top, false);
    }
    // 2. Groups, in parallel, each with its own record.
    let results: Vec<(Vec<i64>, Vec<Step>)> = groups
        .par_iter()
        .enumerate()
        .map(|(g, members)| {
            let mut rec = Vec::new();
            let phase = format!("{prefix}group {}", g + 1);
            let x = search_group(ev, members, &top_values, mask, &phase, &mut rec);
            (x, rec)
        })
        .collect();
    let mut joint = top_values.clone();
    for ((x, rec), members) in results.into_iter().zip(groups) {
        for &i in members {
            joint[i] = x[i];
        }
        steps.extend(rec);
    }
    // 3. The joint plan, repaired if the groups' answers fail together.
    let mut current = ev.judge(&joint, mask);
    steps.push(Step {
        phase: format!("{prefix}joint"),
        judged: current.clone(),
    });
    while current.verdict != Verdict::Feasible && !ev.exhausted() {
        let ups: Vec<Vec<i64>> = (0..joint.len())
            .filter_map(|i| {
                let d = &ev.plan.decisions[i];
                let k = d.values.iter().position(|v| *v == joint[i])?;
                let next = *d.values.get(k + 1)?;
                let mut x = joint.clone();
                x[i] = next;
                Some(x)
            })
            .collect();
        if ups.is_empty() {
            break;
        }
        let judged: Vec<Judged> = ups.par_iter().map(|x| ev.judge(x, mask)).collect();
        for j in &judged {
            steps.push(Step {
                phase: format!("{prefix}repair"),
                judged: j.clone(),
            });
        }
        let pick = judged
            .iter()
            .filter(|j| j.verdict == Verdict::Feasible)
            .min_by(|a, b| a.cost.total_cmp(&b.cost))
            .or_else(|| {
                // None feasible: the step that closes most of the shortfall per unit of cost.
                let base = shortfall(&current);
                judged
                    .iter()
                    .filter(|j| j.verdict != Verdict::Invalid)
                    .max_by(|a, b| {
                        let gain =
                            |j: &Judged| (base - shortfall(j)) / (j.cost - current.cost).max(1e-9);
                        gain(a).total_cmp(&gain(b)).then(b.cost.total_cmp(&a.cost))
                    })
            })
            .cloned();
        let Some(next) = pick else { break };
        joint = next.values.clone();
        current = next;
    }
    if current.verdict != Verdict::Feasible {
        // The repair could not finish within the limit: the top candidate is the answer found.
        current = top.clone();
        joint = top_values.clone();
    }
    // 4. Removal: a step away from each decision, the costliest first.
    let mut order: Vec<usize> = (0..joint.len()).collect();
    order.sort_by(|a, b| {
        ev.unit_costs[*b]
            .total_cmp(&ev.unit_costs[*a])
            .then(a.cmp(b))
    });
    loop {
        let mut changed = false;
        for &i in &order {
            loop {
                if ev.exhausted() {
                    break;
                }
                let d = &ev.plan.decisions[i];
                let Some(k) = d.values.iter().position(|v| *v == joint[i]) else {
                    break;
                };
                if k == 0 {
                    break;
                }
                let mut x = joint.clone();
                x[i] = d.values[k - 1];
                let j = ev.judge(&x, mask);
                steps.push(Step {
                    phase: format!("{prefix}removal"),
                    judged: j.clone(),
                });
                if j.verdict == Verdict::Feasible && j.cost <= current.cost {
                    joint = x;
                    current = j;
                    changed = true;
                } else {
                    break;
                }
            }
        }
        if !changed || ev.exhausted() {
            break;
        }
    }
    (Some(current), top, ev.exhausted())
}

/// How far a candidate is from meeting every target, in units of each bound.
fn shortfall(j: &Judged) -> f64 {
    j.judgements
        .iter()
        .map(|x| {
            if x.slack.is_finite() {
                (-x.slack).max(0.0)
            } else if x.status == Status::Missed {
                1e6
            } else {
                0.0
            }
        })
        .sum()
}

/// The cheapest feasible values of one group's decisions, the others at their largest.
///
/// First a bisection, decision by decision, finds a feasible plan from which no single decision
/// can be lowered; its cost bounds the answer. Then, for a group of at most [`ENUMERATE`]
/// combinations, every cheaper combination is settled in order of cost: a combination is
/// skipped when it has no more of anything than a known infeasible one (monotonicity);
/// otherwise its *extension* (the cheapest decisions raised as far as the bound allows) is
/// judged first: infeasible, it rules out everything below it at once; feasible, it lowers the
/// bound. What remains when the combinations run out (or cost as much as the bound) is the
/// group's cheapest feasible plan.
fn search_group(
    ev: &Evaluator<'_>,
    members: &[usize],
    top: &[i64],
    mask: &[bool],
    phase: &str,
    rec: &mut Vec<Step>,
) -> Vec<i64> {
    let mut log = |j: &Judged| {
        rec.push(Step {
            phase: phase.to_string(),
            judged: j.clone(),
        })
    };
    // Coordinate by coordinate: the smallest value that stays feasible, by bisection.
    let mut x = top.to_vec();
    for &i in members {
        let values = &ev.plan.decisions[i].values;
        let (mut lo, mut hi) = (0usize, values.len() - 1); // values[hi] is feasible
        while lo < hi && !ev.exhausted() {
            let mid = (lo + hi) / 2;
            let mut y = x.clone();
            y[i] = values[mid];
            let j = ev.judge(&y, mask);
            log(&j);
            if j.verdict == Verdict::Feasible {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        x[i] = values[hi];
    }
    let combos = members
        .iter()
        .try_fold(1usize, |a, &i| {
            a.checked_mul(ev.plan.decisions[i].values.len())
        })
        .unwrap_or(usize::MAX);
    if combos > ENUMERATE {
        return x;
    }
    let mut best = x;
    let mut bound = ev.cost(&best);
    // Every combination, cheapest first (ties: smaller values first, in decision order).
    let mut all: Vec<Vec<i64>> = vec![top.to_vec()];
    for &i in members {
        let mut next = Vec::new();
        for x in &all {
            for v in &ev.plan.decisions[i].values {
                let mut y = x.clone();
                y[i] = *v;
                next.push(y);
            }
        }
        all = next;
    }
    all.sort_by(|a, b| ev.cost(a).total_cmp(&ev.cost(b)).then(a.cmp(b)));
    // Raised cheapest unit first (ties: decision order).
    let mut raise: Vec<usize> = members.to_vec();
    raise.sort_by(|a, b| {
        ev.unit_costs[*a]
            .total_cmp(&ev.unit_costs[*b])
            .then(a.cmp(b))
    });
    let mut infeasible: Vec<Vec<i64>> = Vec::new();
    let below = |x: &[i64], y: &[i64]| members.iter().all(|&i| x[i] <= y[i]);
    for x in all {
        if ev.cost(&x) >= bound || ev.exhausted() {
            break;
        }
        loop {
            if ev.cost(&x) >= bound || infeasible.iter().any(|b| below(&x, b)) {
                break;
            }
            // The extension: each decision raised as far as the bound allows.
            let mut e = x.clone();
            for &i in &raise {
                for v in ev.plan.decisions[i].values.iter().rev() {
                    if *v <= e[i] {
                        break;
                    }
                    let mut y = e.clone();
                    y[i] = *v;
                    if ev.cost(&y) < bound {
                        e = y;
                        break;
                    }
                }
            }
            let j = ev.judge(&e, mask);
            log(&j);
            match j.verdict {
                Verdict::Infeasible => infeasible.push(e),
                Verdict::Feasible => {
                    bound = j.cost;
                    best = e;
                }
                Verdict::Undecided | Verdict::Invalid if e != x => {
                    // The extension says nothing: judge the combination itself.
                    let j = ev.judge(&x, mask);
                    log(&j);
                    match j.verdict {
                        Verdict::Infeasible => infeasible.push(x.clone()),
                        Verdict::Feasible => {
                            bound = j.cost;
                            best = x.clone();
                        }
                        _ => {}
                    }
                    break;
                }
                _ => break,
            }
            if ev.exhausted() {
                break;
            }
        }
    }
    best
}
