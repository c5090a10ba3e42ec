//! The briefing at the top of the run page: headline tiles with their standards and targets,
//! the targets, the inputs at a glance, and the sites worst first.

use std::fmt::Write as _;

use super::{escape, fmt_real};
use crate::model::{Model, Place, role_name};
use crate::runner::{Replication, cell, mean_ci95};
use crate::scenario::SiteKind;
use crate::targets::{Bound, Scope, Status};

/// The queueing standard the tiles and the site table hold waits to when the scenario has no
/// wait target: 30 minutes (Jiangxi and Hangzhou rules, `shared/domain.md`).
pub const WAIT_STANDARD_MIN: f64 = 30.0;

/// A standard a tile is held to: the bound and where it comes from.
struct Standard {
    bound: Bound,
    from: String,
    status: Status,
}

/// The scenario's target on `figure` (over the run, else at every site), judged.
fn target_standard(model: &Model, reps: &[Replication], figure: &str) -> Option<Standard> {
    let judged = crate::report::judge_targets(model, reps);
    let pick = |scope_ok: &dyn Fn(&Scope) -> bool| {
        model
            .targets
            .iter()
            .enumerate()
            .find(|(_, t)| t.figure == figure && scope_ok(&t.scope))
    };
    let (k, t) = pick(&|s| *s == Scope::Run).or_else(|| pick(&|s| *s == Scope::EverySite))?;
    let at = if t.scope == Scope::EverySite {
        " at every site"
    } else {
        ""
    };
    Some(Standard {
        bound: t.bound,
        from: format!("target{at}"),
        status: crate::targets::status_of(&judged, k),
    })
}

/// A fixed standard, judged on the mean.
fn fixed(bound: Bound, from: &str, mean: f64) -> Standard {
    let ok = match bound {
        Bound::AtMost(v) => mean <= v,
        Bound::AtLeast(v) => mean >= v,
    };
    Standard {
        bound,
        from: from.to_string(),
        status: if !mean.is_finite() {
            Status::NoData
        } else if ok {
            Status::Met
        } else {
            Status::Missed
        },
    }
}

/// The headline tiles.
pub fn tiles(model: &Model, reps: &[Replication]) -> String {
    let chain = !model.labs.is_empty();
    let staffed = !model.teams.is_empty();
    let capacity = model
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Sampling)
        .filter_map(|s| s.queue_capacity)
        .max();
    let ppe = model
        .rotas
        .iter()
        .filter_map(|r| r.max_in_ppe)
        .min_by_key(|d| d.0);
    let deadline_h = model
        .deadline
        .map(|d| d.0 as f64 / crate::time::HOUR as f64);
    // (figure, title, unit, scale, digits, fixed standard)
    type Fixed = Option<(Bound, String)>;
    let mut list: Vec<(&str, &str, &str, f64, usize, Fixed)> = Vec::new();
    if deadline_h.is_some() {
        list.push((
            "coverage_at_deadline",
            "Tested by the deadline (slowest round)",
            "%",
            100.0,
            1,
            None,
        ));
    }
    list.push((
        "hours_to_95pct",
        "Hours to 95% tested (slowest round)",
        "h",
        1.0,
        1,
        deadline_h.map(|d| (Bound::AtMost(d), "deadline".to_string())),
    ));
    list.push((
        "wait_p95_min",
        "Wait in the queue, 95th percentile",
        "min",
        1.0,
        1,
        Some((
            Bound::AtMost(WAIT_STANDARD_MIN),
            "30-minute standard".to_string(),
        )),
    ));
    list.push((
        "longest_queue",
        "Longest queue at a site",
        "people",
        1.0,
        0,
        capacity.map(|c| {
            (
                Bound::AtMost(f64::from(c) - 1.0),
                format!("queue space {c}"),
            )
        }),
    ));
    list.push(("gave_up", "People who gave up", "people", 1.0, 0, None));
    if chain {
        list.push((
            "turnaround_p95_h",
            "Result within (95% of swabs)",
            "h",
            1.0,
            1,
            None,
        ));
        list.push(("positives_found", "Positives found", "people", 1.0, 0, None));
    }
    if staffed {
        list.push((
            "staff_person_hours",
            "Staff person-hours on duty",
            "h",
            1.0,
            0,
            None,
        ));
        list.push((
            "longest_stint_h",
            "Longest stint in protective gear",
            "h",
            1.0,
            1,
            ppe.map(|d| {
                (
                    Bound::AtMost(d.0 as f64 / crate::time::HOUR as f64),
                    "protective-gear limit".to_string(),
                )
            }),
        ));
    }
    let mut out = String::from("<h2>At a glance</h2>\n<div class=\"tiles\">\n");
    for (name, title, unit, scale, digits, standard) in list {
        let (mean, half, n) = crate::runner::summary_mean(reps, name);
        let standard = target_standard(model, reps, name)
            .or_else(|| standard.map(|(b, from)| fixed(b, &from, mean)));
        let value = if n == 0 {
            "—".to_string()
        } else {
            format!("{:.*}", digits, mean * scale)
        };
        let ci = if reps.len() > 1 && half.is_finite() {
            format!(" ± {:.*}", digits, half * scale)
        } else {
            String::new()
        };
        let (class, line) = match &standard {
            Some(s) => {
                let mark = match s.status {
                    Status::Met => "✓ met",
                    Status::Missed => "✗ missed",
                    Status::Uncertain => "? uncertain",
                    Status::NoData => "no data",
                };
                (
                    match s.status {
                        Status::Met => "met",
                        Status::Missed => "missed",
                        _ => "",
                    },
                    format!(
                        "{mark}: {} {} {unit} ({})",
                        s.bound.sign(),
                        fmt_real(s.bound.value() * scale),
                        escape(&s.from)
                    ),
                )
            }
            None => ("", String::new()),
        };
        let _ = writeln!(
            out,
            "<div class=\"tile {class}\" data-figure=\"{name}\" data-value=\"{}\"><div class=\"t\">{title}</div><div class=\"v\">{value} <small>{unit}</small><small>{ci}</small></div><div class=\"s\">{line}</div></div>",
            fmt_real(mean)
        );
    }
    out.push_str("</div>\n");
    if reps.len() > 1 {
        out.push_str("<p>Means over the replications, ± the half-width of the 95% confidence interval; targets are judged on a one-sided 95% bound (<code>targets.csv</code>), fixed standards on the mean.</p>\n");
    }
    out
}

/// The scenario's targets, judged.
pub fn targets_table(model: &Model, reps: &[Replication]) -> String {
    if model.targets.is_empty() {
        return String::new();
    }
    let names: Vec<String> = model.sites.iter().map(|s| s.name.clone()).collect();
    let judged = crate::report::judge_targets(model, reps);
    let mut out = String::from(
        "<h2>Targets</h2>\n<table>\n<tr><th>target</th><th>status</th><th>worst at</th><th>mean</th><th>± (one-sided)</th><th>slack</th></tr>\n",
    );
    for (k, t) in model.targets.iter().enumerate() {
        let status = crate::targets::status_of(&judged, k);
        let Some(worst) = crate::targets::worst(&judged, k) else {
            continue;
        };
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if status == Status::Missed {
                " class=\"miss\""
            } else {
                ""
            },
            escape(&t.label(&names)),
            status.name(),
            escape(&worst.at),
            if worst.mean.is_infinite() {
                "not reached".into()
            } else {
                fmt_real(worst.mean)
            },
            fmt_real(worst.half),
            fmt_real(worst.slack)
        );
    }
    out.push_str("</table>\n");
    out
}

/// What each disruption cost, the mean over the replications (`disruptions.csv` has each).
pub fn disruptions_table(model: &Model, reps: &[Replication]) -> String {
    if model.disruptions.is_empty() || reps.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h2>Disruptions</h2>\n<table>\n<tr><th>disruption</th><th>kind</th><th>hours on</th><th>desk-hours hit</th><th>people affected</th><th>person-shifts absent</th><th>machine-hours down</th></tr>\n",
    );
    let n = reps.len() as f64;
    for (k, d) in model.disruptions.iter().enumerate() {
        let mean = |name: &str| {
            reps.iter()
                .map(|r| crate::runner::cell(&r.figures.disruptions[k], name))
                .sum::<f64>()
                / n
        };
        let on = reps
            .iter()
            .map(|r| {
                let (a, b) = d.window(model.seed, r.index);
                b.min(model.horizon).hours() - a.min(model.horizon).hours()
            })
            .sum::<f64>()
            / n;
        let cell = |x: f64| {
            if x.is_nan() {
                String::new()
            } else {
                format!("{x:.1}")
            }
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.name),
            d.effect.kind_name(),
            fmt_real(on),
            cell(mean("desk_hours")),
            cell(mean("people_affected")),
            cell(mean("person_shifts_absent")),
            cell(mean("machine_hours_down")),
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p class=\"cap\">Means over {} replication{}; <code>disruptions.csv</code> has each replication's onset, end and figures. People affected: for a registration outage, those waiting when it began or arriving during it; for weather or an announcement, the residents called up while it was on.</p>",
        reps.len(),
        if reps.len() == 1 { "" } else { "s" }
    );
    out
}

/// What a disruption does, where and when, in words.
fn disruption_text(model: &Model, d: &crate::model::Disruption) -> String {
    let when = |s: &crate::model::Sampler| match s {
        crate::model::Sampler::Constant(ms) => format!("{}", crate::time::SimDuration(*ms)),
        _ => String::new(),
    };
    let scope = |n: usize, all: usize, what: &str| {
        if n == all {
            format!("every {what}")
        } else {
            format!("{n} {what}{}", if n == 1 { "" } else { "s" })
        }
    };
    use crate::model::Effect;
    let what = match &d.effect {
        Effect::Registration { sites, slowdown } => {
            let at = scope(sites.len(), model.sites.len(), "site");
            match slowdown {
                Some(f) => format!("registration {f}× slower at {at}"),
                None => format!("registration stopped at {at}"),
            }
        }
        Effect::Turnout {
            areas,
            turnout,
            response,
        } => format!(
            "turnout ×{}, response ×{} for call-ups of {}",
            fmt_real(*turnout),
            fmt_real(*response),
            scope(areas.len(), model.areas.len(), "area")
        ),
        Effect::Absence { teams, share } => format!(
            "each person misses a shift with chance {} in {}",
            fmt_real(*share),
            scope(teams.len(), model.teams.len(), "team")
        ),
        Effect::Lab {
            labs,
            machines,
            wear,
        } => {
            let m = match (machines, wear) {
                (_, Some(_)) => {
                    "each machine breaks down and is repaired after drawn times".to_string()
                }
                (None, None) => "closed".to_string(),
                (Some(n), None) => {
                    format!("{n} machine{} down", if *n == 1 { "" } else { "s" })
                }
            };
            format!("{m} at {}", scope(labs.len(), model.labs.len(), "lab"))
        }
    };
    let start = match &d.onset {
        crate::model::Sampler::Constant(_) => format!("from {} after the start", when(&d.onset)),
        _ => "at a time drawn per replication".to_string(),
    };
    let length = match &d.length {
        crate::model::Sampler::Constant(_) => format!("for {}", when(&d.length)),
        _ => "for a time drawn per replication".to_string(),
    };
    format!("{what}; {start}, {length}")
}

/// The inputs at a glance.
pub fn inputs(model: &Model, replications: usize) -> String {
    let sampling: Vec<_> = model
        .sites
        .iter()
        .filter(|s| s.kind == SiteKind::Sampling)
        .collect();
    let checkpoints = model.sites.len() - sampling.len();
    let desks: u64 = sampling.iter().map(|s| u64::from(s.desks)).sum();
    let mut rows: Vec<(String, String)> = vec![
        (
            "population".into(),
            format!(
                "{} residents called in {} round{}",
                model.residents(),
                model.rounds.len(),
                if model.rounds.len() == 1 { "" } else { "s" }
            ),
        ),
        (
            "sampling points".into(),
            format!("{} with {desks} desks in all", sampling.len()),
        ),
    ];
    if checkpoints > 0 {
        rows.push(("checkpoints".into(), checkpoints.to_string()));
    }
    let mut roles: std::collections::BTreeMap<&str, (u64, usize, Vec<String>)> =
        std::collections::BTreeMap::new();
    for t in &model.teams {
        let places = match &t.place {
            Place::Sites(s) => s.len().max(1) as u64,
            _ => 1,
        };
        let e = roles.entry(role_name(t.role)).or_default();
        e.0 += u64::from(t.headcount) * places;
        e.1 += 1;
        let rota = &model.rotas[t.rota];
        let r = format!(
            "{} ({} crew{})",
            rota.name,
            rota.crews,
            if rota.crews == 1 { "" } else { "s" }
        );
        if !e.2.contains(&r) {
            e.2.push(r);
        }
    }
    for (role, (people, teams, rotas)) in roles {
        let label = match role {
            "door-to-door" => "door-to-door staff".to_string(),
            "lab" => "lab staff".to_string(),
            r => format!("{r}s"),
        };
        rows.push((
            label,
            format!(
                "{people} per crew in {teams} team{}; rota {}",
                if teams == 1 { "" } else { "s" },
                rotas.join(", ")
            ),
        ));
    }
    let mut pools: Vec<u32> = sampling.iter().map(|s| s.pool).collect();
    pools.sort_unstable();
    pools.dedup();
    if !model.labs.is_empty() {
        rows.push((
            "pooling".into(),
            pools
                .iter()
                .map(|p| format!("{p}-in-1"))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        rows.push((
            "couriers".into(),
            format!(
                "{} route{}, {} vehicles",
                model.routes.len(),
                if model.routes.len() == 1 { "" } else { "s" },
                model
                    .routes
                    .iter()
                    .map(|r| u64::from(r.vehicles))
                    .sum::<u64>()
            ),
        ));
        rows.push((
            "labs".into(),
            format!(
                "{} with {} machines",
                model.labs.len(),
                model
                    .labs
                    .iter()
                    .map(|l| u64::from(l.machines))
                    .sum::<u64>()
            ),
        ));
    }
    for d in &model.disruptions {
        rows.push((format!("disruption {}", d.name), disruption_text(model, d)));
    }
    rows.push(("replications".into(), replications.to_string()));
    if !model.overrides.is_empty() {
        rows.push(("changed by --set".into(), model.overrides.join(", ")));
    }
    let mut out = String::from("<h2>Inputs</h2>\n<table>\n");
    for (k, v) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    out.push_str("</table>\n<p>The exact scenario, with any <code>--set</code> values applied, is <code>effective_scenario</code> in <code>manifest.json</code>.</p>\n");
    out
}

/// The sampling points, worst wait first, the rows that miss the wait standard marked.
pub fn sites_table(model: &Model, reps: &[Replication]) -> String {
    let standard = model
        .targets
        .iter()
        .find(|t| t.figure == "wait_p95_min" && matches!(t.scope, Scope::EverySite | Scope::Run))
        .map_or(WAIT_STANDARD_MIN, |t| t.bound.value());
    let mean = |s: usize, name: &str| {
        let xs: Vec<f64> = reps
            .iter()
            .filter_map(|r| r.figures.sites.get(s))
            .map(|row| cell(row, name))
            .filter(|x| x.is_finite())
            .collect();
        mean_ci95(&xs).0
    };
    let mut rows: Vec<(usize, f64)> = model
        .sites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == SiteKind::Sampling)
        .map(|(i, _)| (i, mean(i, "wait_p95_min")))
        .collect();
    rows.sort_by(|a, b| {
        let k = |x: f64| if x.is_nan() { f64::NEG_INFINITY } else { x };
        k(b.1).total_cmp(&k(a.1)).then(a.0.cmp(&b.0))
    });
    let shown = rows.len().min(50);
    let mut out = format!(
        "<h2>Sampling points, longest waits first</h2>\n<p>Rows in red miss the wait standard ({} min at the 95th percentile){}.</p>\n<table>\n<tr><th>site</th><th>tested</th><th>wait p95 (min)</th><th>longest queue</th><th>desk utilisation</th><th>unstaffed desk-hours</th>{}</tr>\n",
        fmt_real(standard),
        if shown < rows.len() {
            format!(
                "; the {shown} worst of {} are shown, all are in <code>sites.csv</code>",
                rows.len()
            )
        } else {
            String::new()
        },
        if model.labs.is_empty() {
            ""
        } else {
            "<th>most tubes waiting for a courier</th>"
        }
    );
    for &(s, wait) in rows.iter().take(shown) {
        let tubes = if model.labs.is_empty() {
            String::new()
        } else {
            format!("<td>{:.0}</td>", mean(s, "tubes_waiting_max"))
        };
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{:.0}</td><td>{:.1}</td><td>{:.0}</td><td>{:.2}</td><td>{:.1}</td>{tubes}</tr>",
            if wait > standard {
                " class=\"miss\""
            } else {
                ""
            },
            escape(&model.sites[s].name),
            mean(s, "tested"),
            wait,
            mean(s, "longest_queue"),
            mean(s, "desk_utilisation"),
            mean(s, "desk_hours_unstaffed"),
        );
    }
    out.push_str("</table>\n");
    out
}
