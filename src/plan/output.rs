//! What `swabsim plan` writes: `plan.csv` (every candidate looked at), `scenario.toml` (the
//! chosen plan, runnable), `targets.csv` (the chosen plan against each target), `index.html`,
//! and the answer printed on the terminal.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::Plan;
use super::search::{Judged, Outcome, Verdict};
use crate::report::{escape, fmt_real, text_cell};
use crate::targets::{Judgement, Target};

/// The files of a plan directory, manifest aside.
pub const FILES: [&str; 6] = [
    "plan.csv",
    "targets.csv",
    "scenario.toml",
    "index.html",
    "charts/search.svg",
    "charts/search.png",
];

/// Writes the plan directory's files into `dir`; returns their names.
pub fn write_all(
    dir: &Path,
    plan: &Plan,
    out: &Outcome,
    targets: &[Target],
    sites: &[String],
) -> std::io::Result<Vec<String>> {
    write_candidates(&dir.join("plan.csv"), plan, out, targets)?;
    write_targets(&dir.join("targets.csv"), out, targets, sites)?;
    std::fs::write(dir.join("scenario.toml"), scenario_text(plan, out))?;
    std::fs::write(dir.join("index.html"), page(plan, out, targets, sites))?;
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)?;
    let points: Vec<crate::report::charts::PlanPoint> = out
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| crate::report::charts::PlanPoint {
            step: (i + 1) as f64,
            cost: s.judged.cost,
            feasible: s.judged.verdict == Verdict::Feasible,
        })
        .collect();
    crate::report::charts::write_plan_chart(&charts, &points, out.best.as_ref().map(|b| b.cost))
        .map_err(std::io::Error::other)?;
    Ok(FILES.iter().map(|f| f.to_string()).collect())
}

/// The chosen plan as a scenario: the base scenario with the decisions set (the top candidate's
/// when no plan is feasible, with a comment saying so).
pub fn scenario_text(plan: &Plan, out: &Outcome) -> String {
    let chosen = out.best.as_ref().unwrap_or(&out.top);
    let head = match &out.best {
        Some(_) => format!(
            "# The plan `{}` chose by `swabsim plan` (cost {}): {}\n",
            plan.name,
            fmt_real(chosen.cost),
            assignments(plan, &chosen.values)
        ),
        None => format!(
            "# No plan within the bounds of `{}` meets every target; this is the largest: {}\n",
            plan.name,
            assignments(plan, &chosen.values)
        ),
    };
    let text = match crate::load_str(
        &plan.scenario_file,
        &plan.scenario_text,
        &plan.sets(&chosen.values),
    ) {
        Ok((loaded, _)) => loaded.source.text,
        Err(_) => plan.scenario_text.clone(),
    };
    head + &text
}

fn assignments(plan: &Plan, values: &[i64]) -> String {
    plan.decisions
        .iter()
        .zip(values)
        .map(|(d, v)| format!("{}={v}", d.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per target, the judgement with the least slack.
fn worst(judged: &Judged, k: usize) -> Option<&Judgement> {
    crate::targets::worst(&judged.judgements, k)
}

fn short(t: &Target) -> String {
    let scope = match &t.scope {
        crate::targets::Scope::Run => String::new(),
        crate::targets::Scope::Site(s) => format!("@site{}", s + 1),
        crate::targets::Scope::EverySite => "@every_site".into(),
        crate::targets::Scope::Round(r) => format!("@round{}", r + 1),
        crate::targets::Scope::EveryRound => "@every_round".into(),
    };
    format!("{}{scope}", t.figure)
}

/// `plan.csv`: every candidate the search looked at, in the order it did (a candidate judged
/// again in a later phase appears again), with its cost, replications, verdict and, per target,
/// the worst site or round's mean, one-sided bound half-width and slack.
fn write_candidates(
    path: &Path,
    plan: &Plan,
    out: &Outcome,
    targets: &[Target],
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(std::io::Error::other)?;
    let mut header = vec!["step".to_string(), "phase".to_string()];
    header.extend(
        plan.decisions
            .iter()
            .map(|d| text_cell(&d.path).into_owned()),
    );
    header.extend(
        ["cost", "replications", "verdict", "chosen"]
            .iter()
            .map(|s| s.to_string()),
    );
    for t in targets {
        let s = short(t);
        header.extend([
            format!("{s}_at"),
            format!("{s}_mean"),
            format!("{s}_ci"),
            format!("{s}_slack"),
        ]);
    }
    header.push("note".into());
    w.write_record(&header).map_err(std::io::Error::other)?;
    let chosen = out.best.as_ref().map(|b| b.values.clone());
    for (i, step) in out.steps.iter().enumerate() {
        let j = &step.judged;
        let mut row = vec![(i + 1).to_string(), step.phase.clone()];
        row.extend(j.values.iter().map(|v| v.to_string()));
        row.push(fmt_real(j.cost));
        row.push(j.replications.to_string());
        row.push(j.verdict.name().to_string());
        row.push(
            if chosen.as_ref() == Some(&j.values) {
                "yes"
            } else {
                ""
            }
            .to_string(),
        );
        for k in 0..targets.len() {
            match worst(j, k) {
                Some(x) => row.extend([
                    text_cell(&x.at).into_owned(),
                    mean_text(x),
                    fmt_real(x.half),
                    fmt_real(x.slack),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 4)),
            }
        }
        row.push(text_cell(j.invalid.as_deref().unwrap_or("")).into_owned());
        w.write_record(&row).map_err(std::io::Error::other)?;
    }
    w.flush()
}

fn mean_text(j: &Judgement) -> String {
    if j.mean.is_infinite() {
        "inf".into()
    } else {
        fmt_real(j.mean)
    }
}

/// `targets.csv`: the chosen plan (or the top candidate, without one) against each target, per
/// site or round.
fn write_targets(
    path: &Path,
    out: &Outcome,
    targets: &[Target],
    sites: &[String],
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path).map_err(std::io::Error::other)?;
    w.write_record([
        "target",
        "at",
        "replications",
        "mean",
        "ci_one_sided",
        "slack",
        "status",
        "cost_without_it",
    ])
    .map_err(std::io::Error::other)?;
    let chosen = out.best.as_ref().unwrap_or(&out.top);
    for j in &chosen.judgements {
        let without = out
            .without
            .get(j.target)
            .copied()
            .flatten()
            .map_or(String::new(), fmt_real);
        w.write_record([
            text_cell(&targets[j.target].label(sites)).into_owned(),
            text_cell(&j.at).into_owned(),
            j.n.to_string(),
            mean_text(j),
            fmt_real(j.half),
            fmt_real(j.slack),
            j.status.name().to_string(),
            without,
        ])
        .map_err(std::io::Error::other)?;
    }
    w.flush()
}

/// The answer as printed on the terminal.
pub fn answer_text(plan: &Plan, out: &Outcome, targets: &[Target], sites: &[String]) -> String {
    let mut s = String::new();
    let pct = fmt_real(plan.confidence * 100.0);
    match &out.best {
        None => {
            let _ = writeln!(
                s,
                "no plan within the bounds meets every target with {pct}% confidence: even the largest ({}) does not",
                assignments(plan, &out.top.values)
            );
            for (k, t) in targets.iter().enumerate() {
                if let Some(j) = worst(&out.top, k)
                    && j.status != crate::targets::Status::Met
                {
                    let _ = writeln!(
                        s,
                        "  {} {}: {} at {}",
                        j.status.name(),
                        t.label(sites),
                        mean_text(j),
                        j.at
                    );
                }
            }
            let _ = writeln!(s, "  raise the decisions' `max` in {}", plan.file);
        }
        Some(best) => {
            let _ = writeln!(
                s,
                "cheapest plan meeting every target with {pct}% confidence (cost {}):",
                fmt_real(best.cost)
            );
            for ((d, v), c) in plan.decisions.iter().zip(&best.values).zip(&out.unit_costs) {
                let _ = writeln!(
                    s,
                    "  {:<40} {v:>6}   (range {}..{}, unit cost {})",
                    d.path,
                    d.values[0],
                    d.values.last().copied().unwrap_or_default(),
                    fmt_real(*c)
                );
            }
            let _ = writeln!(s, "targets, with {} replications:", best.replications);
            for (k, t) in targets.iter().enumerate() {
                if let Some(j) = worst(best, k) {
                    let without = out
                        .without
                        .get(k)
                        .copied()
                        .flatten()
                        .map_or(String::new(), |c| {
                            format!("; without it the plan costs {}", fmt_real(c))
                        });
                    let _ = writeln!(
                        s,
                        "  {:<9} {}: {} ± {} (slack {}{}){without}",
                        j.status.name(),
                        t.label(sites),
                        mean_text(j),
                        fmt_real(j.half),
                        fmt_real(j.slack),
                        if j.at == "run" {
                            String::new()
                        } else {
                            format!(", worst at {}", j.at)
                        }
                    );
                }
            }
        }
    }
    let distinct: BTreeSet<&Vec<i64>> = out.steps.iter().map(|s| &s.judged.values).collect();
    let _ = write!(
        s,
        "searched {} candidates ({} distinct evaluated) in {} group{} of decisions{}",
        distinct.len(),
        out.evaluations,
        out.groups.len(),
        if out.groups.len() == 1 { "" } else { "s" },
        if out.limited {
            "; stopped at max_evaluations: the answer may not be the cheapest"
        } else {
            ""
        }
    );
    s
}

/// `index.html`: the answer, the targets and their costs, and the search, on one page.
fn page(plan: &Plan, out: &Outcome, targets: &[Target], sites: &[String]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}\
         th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.bad{{color:#b00}}.ok{{color:#060}}\
         tr.chosen td{{font-weight:bold;background:#eef6ee}}</style></head><body>\n",
        escape(&plan.name)
    );
    let _ = writeln!(
        h,
        "<h1>Plan: {}</h1>\n<p>Scenario <code>{}</code>, plan file <code>{}</code>; feasibility judged on one-sided {}% confidence bounds of the replication means.</p>",
        escape(&plan.name),
        escape(&plan.scenario_file),
        escape(&plan.file),
        fmt_real(plan.confidence * 100.0)
    );
    let _ = writeln!(
        h,
        "<pre>{}</pre>",
        escape(&answer_text(plan, out, targets, sites))
    );
    let chosen = out.best.as_ref().unwrap_or(&out.top);
    let _ = writeln!(
        h,
        "<h2>The plan</h2><table><tr><th>decision</th><th>value</th><th>range</th><th>unit cost</th><th>cost</th></tr>"
    );
    for ((d, v), c) in plan
        .decisions
        .iter()
        .zip(&chosen.values)
        .zip(&out.unit_costs)
    {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{v}</td><td>{}..{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.path),
            d.values[0],
            d.values.last().copied().unwrap_or_default(),
            fmt_real(*c),
            fmt_real(*c * *v as f64)
        );
    }
    let _ = writeln!(
        h,
        "<tr><td>total</td><td></td><td></td><td></td><td>{}</td></tr></table>",
        fmt_real(chosen.cost)
    );
    let _ = writeln!(
        h,
        "<h2>Targets</h2><p>Mean ± one-sided half-width over {} replications at the worst site or round; slack is how far the confidence bound is inside the target; the last column is what the cheapest plan would cost without that target.</p>\
         <table><tr><th>target</th><th>worst at</th><th>mean</th><th>±</th><th>slack</th><th>status</th><th>cost without it</th></tr>",
        chosen.replications
    );
    for (k, t) in targets.iter().enumerate() {
        let Some(j) = worst(chosen, k) else { continue };
        let class = if j.status == crate::targets::Status::Met {
            "ok"
        } else {
            "bad"
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            escape(&t.label(sites)),
            escape(&j.at),
            mean_text(j),
            fmt_real(j.half),
            fmt_real(j.slack),
            j.status.name(),
            out.without
                .get(k)
                .copied()
                .flatten()
                .map_or("—".to_string(), fmt_real)
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<h2>The search</h2><p><img src=\"charts/search.svg\" width=\"1000\" height=\"560\" alt=\"every candidate's cost in the order of the search\"></p>\
         <p>Each dot is a candidate the search judged; the line is the chosen plan's cost. Look for feasible dots below the line: there are none, or the search would have chosen them.</p>"
    );
    let _ = writeln!(
        h,
        "<p>Every candidate looked at, in order (<code>plan.csv</code> has them with every target's figures). Groups of decisions searched apart: {}.</p>\
         <table><tr><th>step</th><th>phase</th>{}<th>cost</th><th>replications</th><th>verdict</th></tr>",
        out.groups
            .iter()
            .map(|g| format!(
                "[{}]",
                g.iter()
                    .map(|&i| escape(&plan.decisions[i].path))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join(" "),
        plan.decisions
            .iter()
            .map(|d| format!("<th>{}</th>", escape(&d.path)))
            .collect::<String>()
    );
    let best = out.best.as_ref().map(|b| &b.values);
    for (i, step) in out.steps.iter().enumerate() {
        let j = &step.judged;
        let class = if best == Some(&j.values) {
            " class=\"chosen\""
        } else {
            ""
        };
        let verdict_class = if j.verdict == Verdict::Feasible {
            "ok"
        } else {
            "bad"
        };
        let _ = writeln!(
            h,
            "<tr{class}><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td><td class=\"{verdict_class}\">{}</td></tr>",
            i + 1,
            escape(&step.phase),
            j.values
                .iter()
                .map(|v| format!("<td>{v}</td>"))
                .collect::<String>(),
            fmt_real(j.cost),
            j.replications,
            j.verdict.name()
        );
    }
    let _ = writeln!(h, "</table></body></html>");
    h
}
