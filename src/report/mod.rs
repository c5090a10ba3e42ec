//! Writes the run directory: CSV tables and the manifest.
//!
//! Every file is written into a temporary sibling directory that is renamed into place at the
//! end, so an interrupted run never leaves a directory that looks complete, and an existing
//! run is never replaced without `--force`.

mod brief;
mod chainout;
pub mod charts;
mod csvout;
pub mod fonts;
mod page;
mod replay;
mod rundir;
pub mod xlsx;

pub use chainout::{write_distributions, write_labs, write_progress, write_tubes};
pub use csvout::{
    TARGET_CONFIDENCE, fmt_real, judge_targets, text_cell, write_disruptions, write_rounds,
    write_series, write_sites, write_staff, write_summary, write_targets, write_trace,
};
pub use page::escape;
pub use rundir::{Kind, OutputLock, RunDir, RunDirError, not_ours, prepare_in_place, recover};

use std::path::Path;

use serde::Serialize;

use crate::model::Model;
use crate::runner::Replication;

/// What `manifest.json` records: enough to reproduce the run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// The swabsim version that wrote the run.
    pub swabsim_version: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides, as given.
    pub sets: Vec<String>,
    /// The scenario text after overrides: run it to get the same results.
    pub effective_scenario: String,
    /// Scenario name.
    pub name: String,
    /// Master seed used.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Events processed per replication.
    pub events_processed: Vec<u64>,
    /// Most people held at once, per replication.
    pub peak_people: Vec<usize>,
    /// Most tube records held at once, per replication.
    pub peak_tubes: Vec<usize>,
    /// Wall time of the whole command, seconds.
    pub wall_time_s: f64,
    /// Seconds of the command's phases: loading and validating, simulating and merging (the
    /// rest of `wall_time_s` is writing the tables, charts and page).
    pub phases: serde_json::Value,
    /// How each replication ran: partitions, windows, events, the parallelism its partitions
    /// offer, seconds of work and of barriers.
    pub runs: Vec<serde_json::Value>,
    /// Worker threads used.
    pub threads: usize,
    /// Files written.
    pub files: Vec<String>,
}

/// Writes every table of a run into `dir` (a fresh temporary directory). The files are
/// independent, so they are written side by side on the current rayon pool; the workbook, made
/// from some of the CSV files, starts as soon as those are written, while the rest (the time
/// series, the charts and the page) are still being written. The list of files comes back in a
/// fixed order.
pub fn write_tables(
    dir: &Path,
    model: &Model,
    reps: &[Replication],
) -> std::io::Result<Vec<String>> {
    let file = |name, write| file_job(dir, name, write);
    let mut jobs: Vec<(&str, Job<'_>)> = vec![
        file("summary.csv", Box::new(|p| write_summary(p, reps))),
        file("sites.csv", Box::new(|p| write_sites(p, model, reps))),
        file("rounds.csv", Box::new(|p| write_rounds(p, reps))),
        file("timeseries.csv", Box::new(|p| write_series(p, model, reps))),
        file("progress.csv", Box::new(|p| write_progress(p, model, reps))),
        file(
            "distributions.csv",
            Box::new(|p| write_distributions(p, reps)),
        ),
    ];
    if !model.teams.is_empty() {
        jobs.push(file("staff.csv", Box::new(|p| write_staff(p, model, reps))));
    }
    if !model.labs.is_empty() {
        jobs.push(file("labs.csv", Box::new(|p| write_labs(p, model, reps))));
    }
    if !model.disruptions.is_empty() {
        jobs.push(file(
            "disruptions.csv",
            Box::new(|p| write_disruptions(p, model, reps)),
        ));
    }
    if !model.targets.is_empty() {
        jobs.push(file(
            "targets.csv",
            Box::new(|p| write_targets(p, model, reps)),
        ));
    }
    jobs.push((
        "index.html",
        Box::new(|| {
            let chart_dir = dir.join("charts");
            std::fs::create_dir_all(&chart_dir)?;
            let charts =
                charts::write_charts(&chart_dir, model, reps).map_err(std::io::Error::other)?;
            page::write_page(&dir.join("index.html"), model, reps, &charts)?;
            let mut files: Vec<String> = charts::chart_files(&charts).collect();
            files.push("index.html".to_string());
            Ok(files)
        }),
    ));
    if reps.iter().any(|r| r.trace.is_some()) {
        jobs.push(file("trace.csv", Box::new(|p| write_trace(p, model, reps))));
        if !model.labs.is_empty() {
            jobs.push(file("tubes.csv", Box::new(|p| write_tubes(p, model, reps))));
        }
    }
    use rayon::prelude::*;
    let run = |ids: &[usize]| -> std::io::Result<Vec<(usize, Vec<String>)>> {
        ids.par_iter().map(|&i| Ok((i, (jobs[i].1)()?))).collect()
    };
    let (inputs, rest): (Vec<usize>, Vec<usize>) =
        (0..jobs.len()).partition(|&i| xlsx::reads(jobs[i].0));
    let (book, others) = rayon::join(
        || -> std::io::Result<_> {
            let written = run(&inputs)?;
            // From the CSV files just written, so the workbook holds the same numbers.
            Ok((written, xlsx::write(dir)?))
        },
        || run(&rest),
    );
    let ((mut written, workbook), others) = (book?, others?);
    written.extend(others);
    written.sort_by_key(|&(i, _)| i);
    let mut files: Vec<String> = written.into_iter().flat_map(|(_, f)| f).collect();
    files.push(workbook);
    Ok(files)
}

/// Writes one file; returns the names of the files written.
type Job<'a> = Box<dyn Fn() -> std::io::Result<Vec<String>> + Send + Sync + 'a>;

/// Writes a table to a path.
type Writer<'a> = Box<dyn Fn(&Path) -> std::io::Result<()> + Send + Sync + 'a>;

/// The job that writes the file `name`, with its name.
fn file_job<'a>(dir: &'a Path, name: &'static str, write: Writer<'a>) -> (&'static str, Job<'a>) {
    let job: Job<'a> = Box::new(move || {
        write(&dir.join(name))?;
        Ok(vec![name.to_string()])
    });
    (name, job)
}

/// Writes `manifest.json`.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(manifest).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("manifest.json"), text + "\n")
}
