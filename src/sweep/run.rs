//! Running a sweep's missing points and writing its final files.
//!
//! `sweep.json` is written when a sweep directory is started, with what decides its points; a
//! `--resume` must match it, and the final write adds the list of files. Points are appended to
//! `points.partial.csv` as they finish; damaged lines found there are reported and their points
//! run again.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;

use super::points::{self, Point};
use super::{Shard, Sweep, page, sets_of};
use crate::observe::Cell;
use crate::report::fmt_real;
use crate::runner::run_one;
use crate::scenario::ScenarioError;

/// Version of the `sweep.json` record.
const RECORD_VERSION: u64 = 2;

/// The `sweep.json` of a sweep directory.
pub(super) fn record(
    sweep: &Sweep,
    shard: Option<Shard>,
    files: Option<&[String]>,
) -> serde_json::Value {
    serde_json::json!({
        "record_version": RECORD_VERSION,
        "swabsim_version": env!("CARGO_PKG_VERSION"),
        "sweep": sweep.name,
        "sweep_file": sweep.file,
        "scenario": sweep.scenario,
        "scenario_sha256": sweep.scenario_sha256,
        "fingerprint": sweep.fingerprint,
        "replications": sweep.replications,
        "seed": sweep.seed,
        "paths": sweep.paths,
        "variants": sweep.variants,
        "targets": sweep.targets,
        "points": sweep.points(),
        "shard": shard.map(|s| s.to_string()),
        "complete": files.is_some(),
        "files": files.unwrap_or(&[]),
    })
}

fn write_json(dir: &Path, value: &serde_json::Value) -> std::io::Result<()> {
    let tmp = dir.join(".sweep.json.tmp");
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)? + "\n";
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, dir.join("sweep.json"))
}

/// Records the sweep in a directory it starts (or resumes, where the record stays).
pub fn write_start(sweep: &Sweep, dir: &Path, shard: Option<Shard>) -> std::io::Result<()> {
    if dir.join("sweep.json").exists() {
        return Ok(());
    }
    write_json(dir, &record(sweep, shard, None))
}

/// A `--resume` of a directory that another sweep started.
#[derive(Debug, thiserror::Error)]
#[error(
    "{dir} was started by a different sweep, so its points cannot be resumed: {what}\n    fix: run without --resume and with --force to start again, or give another --out"
)]
pub struct ResumeError {
    /// The directory.
    pub dir: String,
    /// What differs.
    pub what: String,
}

/// Checks that the directory's `sweep.json` records this very sweep (and shard).
pub fn check_resume(sweep: &Sweep, dir: &Path, shard: Option<Shard>) -> Result<(), ResumeError> {
    let fail = |what: String| ResumeError {
        dir: dir.display().to_string(),
        what,
    };
    let Ok(bytes) = std::fs::read(dir.join("sweep.json")) else {
        return Ok(());
    };
    let old: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| fail("its sweep.json cannot be read".into()))?;
    if old["record_version"].as_u64() != Some(RECORD_VERSION) {
        return Err(fail("it was started by another version of swabsim".into()));
    }
    let new = record(sweep, shard, None);
    let mut changes = Vec::new();
    if old["scenario_sha256"] != new["scenario_sha256"] {
        changes.push(format!(
            "the scenario file {} changed",
            sweep.scenario.display()
        ));
    }
    for key in ["replications", "seed", "shard"] {
        if old[key] != new[key] {
            changes.push(format!("{key} {} → {}", old[key], new[key]));
        }
    }
    if old["paths"] != new["paths"] {
        changes.push(format!(
            "the parameters {} → {}",
            old["paths"], new["paths"]
        ));
    } else if old["variants"] != new["variants"] {
        changes.push("the parameters' values changed".into());
    }
    if changes.is_empty() {
        Ok(())
    } else {
        Err(fail(changes.join("; ")))
    }
}

/// Runs the sweep's missing points into `dir` (prepared by the caller), appending to
/// `points.partial.csv` as they finish, then writes the final files. `done` is called after
/// each point; `warn` gets a line for every damaged line of the partial file.
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    shard: Option<Shard>,
    done: &(dyn Fn() + Sync),
    warn: &dyn Fn(String),
) -> anyhow::Result<()> {
    let partial = dir.join("points.partial.csv");
    let found = points::read(&partial, sweep, shard)?;
    for d in &found.damaged {
        warn(format!(
            "{}:{}: line dropped: {}; its point runs again",
            partial.display(),
            d.line,
            d.why
        ));
    }
    if !found.damaged.is_empty() || found.cut {
        points::rewrite(&partial, &found.points)?;
    }
    let mine = |id: &usize| shard.is_none_or(|s| s.has(*id));
    let todo: Vec<(usize, u32)> = (0..sweep.points())
        .filter(mine)
        .map(|id| sweep.point(id))
        .filter(|p| !found.points.contains_key(p))
        .collect();
    let models = models(sweep, &todo)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)?;
    let writer = Mutex::new(file);
    todo.par_iter()
        .try_for_each(|&(v, r)| -> anyhow::Result<()> {
            let model = models[v]
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no model for variant {v}"))?;
            let rep = run_one(model, r, false, &|| {})?;
            let figures: Vec<(String, Cell)> = rep
                .figures
                .summary
                .0
                .iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect();
            let line = points::line(v, r, &figures);
            let mut f = writer
                .lock()
                .map_err(|_| anyhow::anyhow!("a worker failed while writing"))?;
            f.write_all(line.as_bytes())?;
            f.flush()?;
            done();
            Ok(())
        })?;
    let all = points::read(&partial, sweep, shard)?;
    if let Some(d) = all.damaged.first() {
        anyhow::bail!(
            "{}:{}: a line written by this sweep does not read back ({}); the disk may be failing",
            partial.display(),
            d.line,
            d.why
        );
    }
    let points: Vec<Point> = (0..sweep.points())
        .filter(mine)
        .filter_map(|id| all.points.get(&sweep.point(id)).cloned())
        .collect();
    write_final(sweep, dir, &points, shard)?;
    Ok(())
}

/// The model of every variant that has points to run.
fn models(
    sweep: &Sweep,
    todo: &[(usize, u32)],
) -> Result<Vec<Option<crate::model::Model>>, ScenarioError> {
    (0..sweep.variants.len())
        .map(|v| {
            if !todo.iter().any(|p| p.0 == v) {
                return Ok(None);
            }
            let (_, mut m) =
                crate::load_path(&sweep.scenario, &sets_of(&sweep.paths, &sweep.variants[v]))?;
            if let Some(seed) = sweep.seed {
                m.seed = seed;
            }
            Ok(Some(m))
        })
        .collect()
}

/// Writes `points.csv`, `aggregate.csv`, the charts, the page and the final `sweep.json` from
/// the points, sorted. Returns the files written.
pub(super) fn write_final(
    sweep: &Sweep,
    dir: &Path,
    points: &[Point],
    shard: Option<Shard>,
) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = points
        .first()
        .map(|p| p.figures.iter().map(|f| f.0.clone()).collect())
        .unwrap_or_default();
    let tmp = dir.join(".points.csv.tmp");
    {
        let mut w = csv::Writer::from_path(&tmp)?;
        let mut header = vec!["variant".to_string()];
        header.extend(
            sweep
                .paths
                .iter()
                .map(|p| crate::report::text_cell(p).into_owned()),
        );
        header.push("replication".into());
        header.extend(names.iter().map(|n| n.to_string()));
        w.write_record(&header)?;
        for p in points {
            let mut row = vec![p.variant.to_string()];
            row.extend(
                sweep.variants[p.variant]
                    .iter()
                    .map(|v| crate::report::text_cell(v).into_owned()),
            );
            row.push(p.replication.to_string());
            row.extend(p.figures.iter().map(|(_, c)| match c {
                Cell::Count(x) => x.to_string(),
                Cell::Real(x) => fmt_real(*x),
            }));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, dir.join("points.csv"))?;
    let mut files = vec![
        "points.partial.csv".to_string(),
        "points.csv".to_string(),
        "aggregate.csv".to_string(),
    ];
    files.extend(page::write(sweep, dir, points, &names)?);
    files.push("sweep.json".to_string());
    write_json(dir, &record(sweep, shard, Some(&files)))?;
    Ok(files)
}
