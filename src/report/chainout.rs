//! The sample chain's tables: `tubes.csv` and `labs.csv`.

use std::path::Path;

use super::csvout::{done, fmt_real, rec, writer};
use crate::model::Model;
use crate::runner::Replication;

/// `tubes.csv`: one row per replication and tube with a result.
pub fn write_tubes(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let header = [
        "replication",
        "tube",
        "site",
        "lab",
        "swabs",
        "retest",
        "infected",
        "positive",
        "first_swab_h",
        "closed_h",
        "picked_up_h",
        "received_h",
        "run_start_h",
        "result_h",
        "over_hold_limit",
    ];
    rec(&mut w, &header.map(String::from))?;
    for r in reps {
        for t in &r.figures.tubes {
            let mut out = vec![
                r.index.to_string(),
                t.id.to_string(),
                super::text_cell(&model.sites[t.site.0 as usize].name).into_owned(),
                super::text_cell(&model.labs[t.lab as usize].name).into_owned(),
                t.swabs.to_string(),
                t.retest.to_string(),
                t.infected.to_string(),
                t.positive.to_string(),
            ];
            out.extend(t.times.iter().map(|x| fmt_real(x.hours())));
            out.push(t.over_hold_limit.to_string());
            rec(&mut w, &out)?;
        }
    }
    done(w)
}

/// `labs.csv`: per replication, lab and reporting step.
pub fn write_labs(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let header = [
        "replication",
        "time_h",
        "clock",
        "lab",
        "backlog",
        "backlog_mean",
        "utilisation",
        "results_cum",
        "runs_cum",
    ];
    rec(&mut w, &header.map(String::from))?;
    for r in reps {
        for row in &r.figures.labs {
            rec(
                &mut w,
                &[
                    r.index.to_string(),
                    fmt_real(row.t.hours()),
                    model.start.plus(row.t).to_string(),
                    super::text_cell(&model.labs[row.lab as usize].name).into_owned(),
                    row.backlog.to_string(),
                    fmt_real(row.backlog_mean),
                    fmt_real(row.utilisation),
                    row.results.to_string(),
                    row.runs.to_string(),
                ],
            )?;
        }
    }
    done(w)
}

/// `progress.csv`: the whole round per replication and reporting step.
pub fn write_progress(path: &Path, model: &Model, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let header = [
        "replication",
        "time_h",
        "clock",
        "called_cum",
        "called_at_home_cum",
        "tested_at_sites_cum",
        "tested_at_home_cum",
        "results_cum",
        "positives_cum",
        "coverage_current_round",
        "desks_open",
        "desks_unstaffed",
        "on_duty_sampler",
        "on_duty_registrar",
        "on_duty_marshal",
        "waiting",
        "lab_backlog",
        "tubes_waiting_pickup",
        "tubes_closed_cum",
        "tubes_picked_cum",
        "tubes_received_cum",
    ];
    rec(&mut w, &header.map(String::from))?;
    for r in reps {
        for p in &r.figures.progress {
            rec(
                &mut w,
                &[
                    r.index.to_string(),
                    fmt_real(p.t.hours()),
                    model.start.plus(p.t).to_string(),
                    p.called.to_string(),
                    p.called_at_home.to_string(),
                    p.tested_at_sites.to_string(),
                    p.tested_at_home.to_string(),
                    p.results.to_string(),
                    p.positives.to_string(),
                    fmt_real(p.coverage),
                    p.desks_open.to_string(),
                    p.desks_unstaffed.to_string(),
                    p.on_duty[0].to_string(),
                    p.on_duty[1].to_string(),
                    p.on_duty[2].to_string(),
                    p.waiting.to_string(),
                    p.lab_backlog.to_string(),
                    p.tubes_waiting_pickup.to_string(),
                    p.tubes_closed.to_string(),
                    p.tubes_picked.to_string(),
                    p.tubes_received.to_string(),
                ],
            )?;
        }
    }
    done(w)
}

/// `distributions.csv`: the wait and swab-to-result distributions, per replication and bin.
pub fn write_distributions(path: &Path, reps: &[Replication]) -> std::io::Result<()> {
    let mut w = writer(path)?;
    let header = [
        "replication",
        "quantity",
        "upper",
        "count",
        "cumulative_share",
    ];
    rec(&mut w, &header.map(String::from))?;
    for r in reps {
        let f = &r.figures;
        for (quantity, bins) in [
            ("wait_min", &f.wait_bins),
            ("turnaround_h", &f.turnaround_bins),
        ] {
            for &(upper, count, cum) in bins.iter() {
                rec(
                    &mut w,
                    &[
                        r.index.to_string(),
                        quantity.to_string(),
                        fmt_real(upper),
                        count.to_string(),
                        fmt_real(cum),
                    ],
                )?;
            }
        }
    }
    done(w)
}
