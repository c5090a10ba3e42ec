//! `swabsim merge`: joins the shard directories of one sweep into the files that one unsharded
//! sweep writes. Every shard is checked before the output is touched; the output is written
//! under a temporary name and renamed into place, like a run directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::points::{self, Point};
use super::run::write_final;
use super::{Shard, Sweep};
use crate::report::{Kind, RunDir, RunDirError};

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The shards are not the complete, intact shards of one sweep, or the output is one of
    /// them (exit code 1).
    #[error("{0}")]
    Shards(String),
    /// The output directory cannot be used.
    #[error(transparent)]
    Out(#[from] RunDirError),
    /// Writing failed (exit code 3).
    #[error("cannot write the merged sweep: {0:#}")]
    Write(anyhow::Error),
}

impl MergeError {
    /// Whether the user can fix this by changing the command (exit code 1).
    pub fn is_input(&self) -> bool {
        match self {
            MergeError::Shards(_) => true,
            MergeError::Out(e) => e.is_input(),
            MergeError::Write(_) => false,
        }
    }
}

fn shard_error(message: String) -> MergeError {
    MergeError::Shards(message)
}

/// One shard's record and points.
struct ShardData {
    dir: PathBuf,
    sweep: Sweep,
    shard: Option<Shard>,
    points: BTreeMap<(usize, u32), Point>,
}

fn read_shard(dir: &Path) -> Result<ShardData, MergeError> {
    let bytes = std::fs::read(dir.join("sweep.json")).map_err(|_| {
        shard_error(format!(
            "{} is not a sweep shard: it has no sweep.json",
            dir.display()
        ))
    })?;
    let record: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| shard_error(format!("{}: its sweep.json cannot be read", dir.display())))?;
    let sweep = Sweep::from_record(&record).ok_or_else(|| {
        shard_error(format!(
            "{}: its sweep.json was written by another version of swabsim",
            dir.display()
        ))
    })?;
    let shard = record["shard"].as_str().and_then(|s| s.parse().ok());
    let partial = dir.join("points.partial.csv");
    let read = points::read(&partial, &sweep, shard)
        .map_err(|e| shard_error(format!("cannot read {}: {e}", partial.display())))?;
    if let Some(d) = read.damaged.first() {
        return Err(shard_error(format!(
            "{}:{}: {}; run `swabsim sweep SWEEP --shard {} --resume --out {}` to run its points again, then merge",
            partial.display(),
            d.line,
            d.why,
            shard.map_or("I/N".to_string(), |s| s.to_string()),
            dir.display()
        )));
    }
    Ok(ShardData {
        dir: dir.to_path_buf(),
        sweep,
        shard,
        points: read.points,
    })
}

/// The absolute form of a path that may not exist yet.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            absolute(parent).join(name)
        }
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// Joins shard directories into `out`; refuses missing, duplicated, damaged or foreign shards,
/// naming them, and an `out` that is (or holds, or is inside) one of them.
pub fn merge(shards: &[PathBuf], out: &Path, force: bool) -> Result<PathBuf, MergeError> {
    let out_abs = absolute(out);
    for dir in shards {
        let d = absolute(dir);
        if d == out_abs || d.starts_with(&out_abs) || out_abs.starts_with(&d) {
            return Err(shard_error(format!(
                "--out {} is one of the shards (or holds one, or lies inside one); write the merged sweep to a directory of its own",
                out.display()
            )));
        }
    }
    let data = shards
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    let first = data
        .first()
        .ok_or_else(|| shard_error("no shard directories given".into()))?;
    let sweep = first.sweep.clone();
    let mut seen: BTreeMap<Option<Shard>, &Path> = BTreeMap::new();
    let mut all: BTreeMap<(usize, u32), (Point, &Path)> = BTreeMap::new();
    for s in &data {
        if s.sweep.fingerprint != sweep.fingerprint {
            return Err(shard_error(format!(
                "{} is a shard of another sweep than {} (or of another version of its files)",
                s.dir.display(),
                first.dir.display()
            )));
        }
        if let Some(other) = seen.insert(s.shard, &s.dir) {
            return Err(shard_error(format!(
                "{} and {} are the same shard ({})",
                other.display(),
                s.dir.display(),
                s.shard.map_or("unsharded".into(), |x| x.to_string())
            )));
        }
        for (k, p) in &s.points {
            if let Some((_, other)) = all.get(k) {
                return Err(shard_error(format!(
                    "variant {} replication {} is in both {} and {}",
                    k.0,
                    k.1,
                    other.display(),
                    s.dir.display()
                )));
            }
            all.insert(*k, (p.clone(), &s.dir));
        }
    }
    let missing = sweep.points() - all.len();
    if missing > 0 {
        let (v, r) = (0..sweep.points())
            .map(|id| sweep.point(id))
            .find(|k| !all.contains_key(k))
            .unwrap_or_default();
        return Err(shard_error(format!(
            "{missing} points are in no shard (the first: variant {v}, replication {r}); run the missing shards, then merge again"
        )));
    }
    let dir = RunDir::create_kind(out, force, Kind::Sweep)?;
    let points: Vec<Point> = all.into_values().map(|(p, _)| p).collect();
    let mut lines = String::new();
    for p in &points {
        lines.push_str(&points::line(p.variant, p.replication, &p.figures));
    }
    std::fs::write(dir.path().join("points.partial.csv"), lines)
        .map_err(|e| MergeError::Write(e.into()))?;
    write_final(&sweep, dir.path(), &points, None).map_err(MergeError::Write)?;
    Ok(dir.commit()?)
}

impl Sweep {
    /// The sweep a `sweep.json` records, if it is a record this swabsim writes.
    pub(super) fn from_record(m: &serde_json::Value) -> Option<Sweep> {
        let strings = |v: &serde_json::Value| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|x| x.as_str().map(String::from))
                .collect()
        };
        let variants = m["variants"]
            .as_array()?
            .iter()
            .map(strings)
            .collect::<Option<Vec<_>>>()?;
        let targets = m["targets"]
            .as_array()?
            .iter()
            .map(|t| Some((t[0].as_str()?.to_string(), t[1].as_f64(), t[2].as_f64())))
            .collect::<Option<Vec<_>>>()?;
        (m["record_version"].as_u64() == Some(2)).then_some(())?;
        let replications = u32::try_from(m["replications"].as_u64()?).ok()?;
        (replications > 0).then_some(())?;
        Some(Sweep {
            name: m["sweep"].as_str()?.to_string(),
            file: m["sweep_file"].as_str()?.to_string(),
            scenario: PathBuf::from(m["scenario"].as_str()?),
            scenario_sha256: m["scenario_sha256"].as_str()?.to_string(),
            replications,
            seed: m["seed"].as_u64(),
            paths: strings(&m["paths"])?,
            variants,
            targets,
            fingerprint: m["fingerprint"].as_str()?.to_string(),
        })
    }
}
