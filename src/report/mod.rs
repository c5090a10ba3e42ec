//! Writes the run directory: CSV tables and the manifest.
//!
//! Every file is written into a temporary sibling directory that is renamed into place at the
//! end, so an interrupted run never leaves a directory that looks complete, and an existing
//! run is never replaced without `--force`.

mod chainout;
pub mod charts;
mod csvout;
mod page;
mod rundir;

pub use chainout::{write_distributions, write_labs, write_progress, write_tubes};
pub use csvout::{
    fmt_real, text_cell, write_rounds, write_series, write_sites, write_staff, write_summary,
    write_trace,
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
    /// Wall time of the simulation, seconds.
    pub wall_time_s: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Files written.
    pub files: Vec<String>,
}

/// Writes every table of a run into `dir` (a fresh temporary directory).
pub fn write_tables(
    dir: &Path,
    model: &Model,
    reps: &[Replication],
) -> std::io::Result<Vec<String>> {
    let mut files = vec![
        "summary.csv".to_string(),
        "sites.csv".to_string(),
        "rounds.csv".to_string(),
        "timeseries.csv".to_string(),
    ];
    write_summary(&dir.join("summary.csv"), reps)?;
    write_sites(&dir.join("sites.csv"), model, reps)?;
    write_rounds(&dir.join("rounds.csv"), reps)?;
    write_series(&dir.join("timeseries.csv"), model, reps)?;
    write_progress(&dir.join("progress.csv"), model, reps)?;
    files.push("progress.csv".to_string());
    write_distributions(&dir.join("distributions.csv"), reps)?;
    files.push("distributions.csv".to_string());
    if !model.teams.is_empty() {
        write_staff(&dir.join("staff.csv"), model, reps)?;
        files.push("staff.csv".to_string());
    }
    if !model.labs.is_empty() {
        write_tubes(&dir.join("tubes.csv"), model, reps)?;
        write_labs(&dir.join("labs.csv"), model, reps)?;
        files.push("tubes.csv".to_string());
        files.push("labs.csv".to_string());
    }
    let chart_dir = dir.join("charts");
    std::fs::create_dir_all(&chart_dir)?;
    let charts = charts::write_charts(&chart_dir, model, reps).map_err(std::io::Error::other)?;
    files.extend(
        charts
            .iter()
            .flat_map(|c| [format!("charts/{c}.svg"), format!("charts/{c}.png")]),
    );
    page::write_page(&dir.join("index.html"), model, reps, &charts)?;
    files.push("index.html".to_string());
    if reps.iter().any(|r| r.trace.is_some()) {
        write_trace(&dir.join("trace.csv"), model, reps)?;
        files.push("trace.csv".to_string());
    }
    Ok(files)
}

/// Writes `manifest.json`.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(manifest).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("manifest.json"), text + "\n")
}
