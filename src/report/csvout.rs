//! CSV tables: one header row, snake_case names with units, `.` decimals, stable column order.

use std::path::Path;

use crate::engine::WALK_IN;
use crate::model::{Model, role_name};
use crate::observe::{Cell, Outcome};
use crate::runner::{Replication, mean_and_ci};
use crate::scenario::SiteKind;
use crate::time::{MINUTE, SimTime};

/// Whole numbers below this are written as integers, the same text `{:.4}` gives them once its
/// zeros are trimmed (every integer below 2^53 is exact in an `f64`).
const WHOLE: f64 = 1e15;

/// A real number as CSV text: at most 4 decimals, no trailing zeros; NaN is empty.
pub fn fmt_real(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    // Whole numbers (counts, queue lengths) are most of a city's time series, and `{:.4}`
    // formats them by the standard library's slow exact algorithm.
    if x.fract() == 0.0 && x.abs() < WHOLE {
        return (x as i64).to_string();
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn fmt_cell(c: Cell) -> String {
    match c {
        Cell::Count(n) => n.to_string(),
        Cell::Real(x) => fmt_real(x),
    }
}

pub(super) fn writer(path: &Path) -> std::io::Result<csv::Writer<std::fs::File>> {
    csv::Writer::from_path(path).map_err(std::io::Error::other)
}

pub(super) fn done(mut w: csv::Writer<std::fs::File>) -> std::io::Result<()> {
    w.flush()
}

pub(super) fn rec(w: &mut csv::Writer<std::fs::File>, fields: &[String]) -> std::io::Result<()> {
    w.write_record(fields).map_err(std::io::Error::other)
}

/// `summary.csv`: a row per replication; with more than one, a mean row and `_ci95` columns
/// (half-width of the 95% confidence interval of the mean, Student t).
pub fn write_summary(path: &Path, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let Some(first) = reps.first() else {
        return done(w);
    };
    let names = first.figures.summary.names();
    let with_ci = reps.len() > 1;
    let mut header = vec!["replication".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    if with_ci {
        header.extend(names.iter().map(|n| format!("{n}_ci95")));
    }
    rec(&mut w, &header)?;
    for r in reps {
        let mut row = vec![r.index.to_string()];
        row.extend(r.figures.summary.0.iter().map(|(_, c)| fmt_cell(*c)));
        if with_ci {
            row.extend(names.iter().map(|_| String::new()));
        }
        rec(&mut w, &row)?;
    }
    if with_ci {
        let rows: Vec<_> = reps.iter().map(|r| &r.figures.summary).collect();
        let stats = mean_and_ci(&rows);
        let mut row = vec!["mean".to_string()];
        row.extend(stats.iter().map(|(_, m, _)| fmt_real(*m)));
        row.extend(stats.iter().map(|(_, _, h)| fmt_real(*h)));
        rec(&mut w, &row)?;
    }
    done(w)
}

/// `sites.csv`: a row per replication and site.
pub fn write_sites(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let Some(first) = reps.first().and_then(|r| r.figures.sites.first()) else {
        return done(w);
    };
    let mut header = vec!["replication".to_string(), "site".to_string()];
    header.extend(first.names().iter().map(|n| n.to_string()));
    header.push("kind".to_string());
    rec(&mut w, &header)?;
    for r in reps {
        for (s, row) in r.figures.sites.iter().enumerate() {
            let mut out = vec![
                r.index.to_string(),
                text_cell(&model.sites[s].name).into_owned(),
            ];
            out.extend(row.0.iter().map(|(_, c)| fmt_cell(*c)));
            out.push(kind_name(model.sites[s].kind).to_string());
            rec(&mut w, &out)?;
        }
    }
    done(w)
}

/// `rounds.csv`: coverage per replication and call-up round.
pub fn write_rounds(path: &Path, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let names = [
        "round",
        "residents",
        "tested",
        "coverage",
        "hours_to_90pct",
        "hours_to_95pct",
        "hours_to_99pct",
        "coverage_at_deadline",
    ];
    let mut header = vec!["replication".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    rec(&mut w, &header)?;
    for r in reps {
        for row in &r.figures.rounds {
            let mut out = vec![r.index.to_string()];
            out.extend(row.0.iter().map(|(_, c)| fmt_cell(*c)));
            rec(&mut w, &out)?;
        }
    }
    done(w)
}

/// `timeseries.csv`: per replication, reporting step and site.
pub fn write_series(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    rec(
        &mut w,
        &[
            "replication",
            "time_h",
            "clock",
            "site",
            "queue",
            "queue_mean",
            "queue_max",
            "desks_open",
            "desks_busy_mean",
            "arrived_cum",
            "tested_cum",
            "gave_up_cum",
            "desks_unstaffed",
            "on_duty_sampler",
            "on_duty_registrar",
            "on_duty_marshal",
        ]
        .map(String::from),
    )?;
    for r in reps {
        for row in &r.figures.series {
            rec(
                &mut w,
                &[
                    r.index.to_string(),
                    fmt_real(row.t.hours()),
                    model.start.plus(row.t).to_string(),
                    text_cell(&model.sites[row.site.0 as usize].name).into_owned(),
                    row.queue.to_string(),
                    fmt_real(row.queue_mean),
                    row.queue_max.to_string(),
                    row.desks_open.to_string(),
                    fmt_real(row.busy_mean),
                    row.arrived.to_string(),
                    row.tested.to_string(),
                    row.gave_up.to_string(),
                    row.desks_unstaffed.to_string(),
                    row.on_duty[0].to_string(),
                    row.on_duty[1].to_string(),
                    row.on_duty[2].to_string(),
                ],
            )?;
        }
    }
    done(w)
}

/// A text cell that a spreadsheet shows as text: a name beginning with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be read as a formula (OWASP's CSV injection), so it gets a leading
/// `'`, which spreadsheets hide. Text that reads as a number is left as it is.
pub fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && text.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn kind_name(kind: SiteKind) -> &'static str {
    match kind {
        SiteKind::Sampling => "sampling",
        SiteKind::Checkpoint => "checkpoint",
    }
}

/// `disruptions.csv`: per replication and disruption, when it was on and what it cost.
pub fn write_disruptions(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let mut header = ["replication", "disruption", "kind", "onset_h", "end_h"]
        .map(String::from)
        .to_vec();
    if let Some(row) = reps.first().and_then(|r| r.figures.disruptions.first()) {
        header.extend(row.0.iter().map(|(n, _)| n.to_string()));
    }
    rec(&mut w, &header)?;
    for r in reps {
        for (d, row) in model.disruptions.iter().zip(&r.figures.disruptions) {
            let (start, end) = d.window(model.seed, r.index);
            let end = end.min(model.horizon);
            let mut out = vec![
                r.index.to_string(),
                text_cell(&d.name).into_owned(),
                d.effect.kind_name().to_string(),
                fmt_real(start.hours()),
                fmt_real(end.hours()),
            ];
            out.extend(row.0.iter().map(|(_, c)| fmt_cell(*c)));
            rec(&mut w, &out)?;
        }
    }
    done(w)
}

/// `staff.csv`: per replication, team and crew.
pub fn write_staff(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let names = [
        "people",
        "shifts",
        "person_hours_on_duty",
        "busy_person_hours",
        "utilisation",
        "longest_stint_h",
        "overtime_person_hours",
        "dispatches",
    ];
    let mut header = ["replication", "team", "crew", "role", "rota"]
        .map(String::from)
        .to_vec();
    header.extend(names.iter().map(|n| n.to_string()));
    rec(&mut w, &header)?;
    for r in reps {
        for (team, crew, row) in &r.figures.staff {
            let t = &model.teams[*team];
            let mut out = vec![
                r.index.to_string(),
                text_cell(&t.name).into_owned(),
                (crew + 1).to_string(),
                role_name(t.role).to_string(),
                text_cell(&model.rotas[t.rota].name).into_owned(),
            ];
            out.extend(row.0.iter().map(|(_, c)| fmt_cell(*c)));
            rec(&mut w, &out)?;
        }
    }
    done(w)
}

fn minutes(t: SimTime) -> String {
    fmt_real(t.0 as f64 / MINUTE as f64)
}

/// `trace.csv`: one row per person who was tested or gave up (with `--trace`).
pub fn write_trace(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    rec(
        &mut w,
        &[
            "replication",
            "area",
            "round",
            "priority",
            "site",
            "desk",
            "set_off_min",
            "first_arrival_min",
            "arrival_min",
            "service_start_min",
            "end_min",
            "full_tries",
            "outcome",
        ]
        .map(String::from),
    )?;
    for r in reps {
        let Some(trace) = &r.trace else { continue };
        for t in &trace.rows {
            let tested = t.outcome == Outcome::Tested;
            rec(
                &mut w,
                &[
                    r.index.to_string(),
                    text_cell(&model.areas[t.who.area.0 as usize].name).into_owned(),
                    if t.who.round == WALK_IN {
                        "walk-in".into()
                    } else {
                        (t.who.round + 1).to_string()
                    },
                    t.who.priority.to_string(),
                    text_cell(&model.sites[t.site.0 as usize].name).into_owned(),
                    t.desk.map_or(String::new(), |d| (d + 1).to_string()),
                    minutes(t.visit.set_off),
                    minutes(t.visit.first_arrival),
                    minutes(t.visit.arrival),
                    if tested {
                        minutes(t.visit.service_start)
                    } else {
                        String::new()
                    },
                    minutes(t.end),
                    t.visit.tries.to_string(),
                    t.outcome.name().to_string(),
                ],
            )?;
        }
    }
    done(w)
}

/// The confidence level of the bounds in `targets.csv` and the run's printed targets.
pub const TARGET_CONFIDENCE: f64 = 0.95;

/// The scenario's targets judged over the replications (one-sided 95% bounds).
pub fn judge_targets(model: &Model, reps: &[Replication]) -> Vec<crate::targets::Judgement> {
    let figs: Vec<crate::targets::Figures> = reps.iter().map(|r| (&r.figures).into()).collect();
    let refs: Vec<&crate::targets::Figures> = figs.iter().collect();
    let names: Vec<String> = model.sites.iter().map(|s| s.name.clone()).collect();
    crate::targets::judge(&model.targets, &refs, &names, TARGET_CONFIDENCE)
}

/// `targets.csv`: every target of the scenario, per site or round where it is taken there.
pub fn write_targets(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let header = [
        "target",
        "figure",
        "at",
        "bound",
        "value",
        "replications",
        "mean",
        "ci95_one_sided",
        "slack",
        "status",
    ];
    rec(&mut w, &header.map(String::from))?;
    let names: Vec<String> = model.sites.iter().map(|s| s.name.clone()).collect();
    for j in judge_targets(model, reps) {
        let t = &model.targets[j.target];
        let (bound, value) = match t.bound {
            crate::targets::Bound::AtMost(v) => ("at_most", v),
            crate::targets::Bound::AtLeast(v) => ("at_least", v),
        };
        rec(
            &mut w,
            &[
                text_cell(&t.label(&names)).into_owned(),
                t.figure.clone(),
                text_cell(&j.at).into_owned(),
                bound.to_string(),
                fmt_real(value),
                j.n.to_string(),
                if j.mean.is_infinite() {
                    "inf".to_string()
                } else {
                    fmt_real(j.mean)
                },
                fmt_real(j.half),
                fmt_real(j.slack),
                j.status.name().to_string(),
            ],
        )?;
    }
    done(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_short_and_stable() {
        assert_eq!(fmt_real(1.0), "1");
        assert_eq!(fmt_real(0.123456), "0.1235");
        assert_eq!(fmt_real(-0.00001), "0");
        assert_eq!(fmt_real(f64::NAN), "");
        assert_eq!(fmt_real(12.5), "12.5");
        assert_eq!(fmt_real(-0.0), "0");
        assert_eq!(fmt_real(-7.0), "-7");
        assert_eq!(fmt_real(1e15), "1000000000000000");
    }

    /// The shortcut for whole numbers writes what the general path writes.
    #[test]
    fn whole_numbers_are_written_as_the_general_path_writes_them() {
        let general = |x: f64| {
            let s = format!("{x:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            if s == "-0" { "0".to_string() } else { s }
        };
        let mut x = 1.0f64;
        while x < WHOLE {
            for y in [x, -x, x + 1.0, x - 1.0, (x * 0.7).floor()] {
                assert_eq!(fmt_real(y), general(y), "{y}");
            }
            x *= 1.9;
        }
        for y in [0.0, -0.0, 9.9999, 0.99995, -0.99995, 123456.00004] {
            assert_eq!(fmt_real(y), general(y), "{y}");
        }
    }
}
