//! Sweeps: a base scenario run over a grid (or zip) of parameter values, each variant for the
//! same replications, in parallel; resumable; shardable for cluster array jobs; mergeable.
//!
//! Every point (variant × replication) is a pure function of the scenario, its `--set` values
//! and the replication index, and replication `r` uses the random streams of `r` in every
//! variant (common random numbers). Points are appended to `points.partial.csv` as they finish,
//! in any order; the final `points.csv` and `aggregate.csv` are written sorted, so they are the
//! same whatever the threads, shards or interruptions.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::observe::Cell;
use crate::report::{escape, fmt_real};
use crate::runner::{mean_ci95, run_one};
use crate::scenario::{Located, ScenarioError, SetOverride, line_col};

/// The sweep file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Format version; 1.
    pub version: u32,
    /// The sweep header.
    pub sweep: SweepHeader,
    /// Parameters to vary.
    pub parameter: Vec<ParameterFile>,
    /// Targets that mark the variants meeting them.
    #[serde(default)]
    pub target: Vec<TargetFile>,
}

/// `[sweep]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SweepHeader {
    /// Name; results go to `output/<name>/`.
    pub name: String,
    /// The base scenario, relative to the sweep file.
    pub scenario: PathBuf,
    /// Replications of every variant.
    pub replications: u32,
    /// Master seed; default: the scenario's.
    #[serde(default)]
    pub seed: Option<u64>,
    /// How parameters combine: `grid` (every combination) or `zip` (side by side). Default grid.
    #[serde(default)]
    pub combine: Option<Combine>,
}

/// How several parameters combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// Every combination, the last parameter varying fastest.
    Grid,
    /// The k-th values of all parameters together; lists of equal length.
    Zip,
}

/// `[[parameter]]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterFile {
    /// A `--set` path into the scenario.
    pub path: String,
    /// Values, as TOML values (numbers, strings with units, booleans).
    #[serde(default)]
    pub values: Option<Vec<toml::Value>>,
    /// Or a range of numbers `{ from, to, step }`, `to` included.
    #[serde(default)]
    pub range: Option<RangeFile>,
}

/// A numeric range.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RangeFile {
    /// First value.
    pub from: f64,
    /// Last value (included when reached).
    pub to: f64,
    /// Step.
    pub step: f64,
}

/// `[[target]]`: a summary figure at most or at least a value.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// A column of `summary.csv`, e.g. `wait_p95_min`.
    pub figure: String,
    /// The mean must be at most this.
    #[serde(default)]
    pub at_most: Option<f64>,
    /// The mean must be at least this.
    #[serde(default)]
    pub at_least: Option<f64>,
}

/// A resolved sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Sweep name.
    pub name: String,
    /// The sweep file as given.
    pub file: String,
    /// The base scenario file.
    pub scenario: PathBuf,
    /// Replications per variant.
    pub replications: u32,
    /// Seed override.
    pub seed: Option<u64>,
    /// Parameter paths.
    pub paths: Vec<String>,
    /// Variants: the value (TOML text) of every parameter.
    pub variants: Vec<Vec<String>>,
    /// Targets: (figure, at most, at least).
    pub targets: Vec<(String, Option<f64>, Option<f64>)>,
    /// Hash of the sweep and scenario texts: shards of one sweep share it.
    pub fingerprint: String,
}

fn problem(
    file: &str,
    text: &str,
    at: Option<usize>,
    key: &str,
    message: String,
    fix: &str,
) -> Located {
    let (line, column) = at.map_or((0, 0), |o| line_col(text, o));
    Located {
        file: file.to_string(),
        line,
        column,
        key: key.to_string(),
        message,
        fix: fix.to_string(),
    }
}

/// The byte offset of `needle` in `text` after the `nth` `[[parameter]]` header, for messages.
fn offset_of(text: &str, nth: usize, needle: &str) -> Option<usize> {
    let start = text
        .match_indices("[[parameter]]")
        .nth(nth)
        .map(|(i, _)| i)?;
    text[start..].find(needle).map(|o| start + o)
}

impl Sweep {
    /// Reads and validates a sweep file, including every variant against the base scenario.
    pub fn load(path: &Path) -> Result<Sweep, ScenarioError> {
        let file = path.display().to_string();
        let err = |problems: Vec<Located>| ScenarioError {
            file: file.clone(),
            problems,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(vec![problem(
                &file,
                "",
                None,
                "",
                format!("cannot read the sweep file: {e}"),
                "check the path; sweeps in this repository live in `sweeps/`",
            )])
        })?;
        let parsed: SweepFile = toml::from_str(&text).map_err(|e| {
            let msg = e.message().trim().to_string();
            err(vec![problem(
                &file,
                &text,
                e.span().map(|s| s.start),
                "",
                msg,
                "see docs/sweep.md for the format",
            )])
        })?;
        let mut problems = Vec::new();
        if parsed.version != 1 {
            problems.push(problem(
                &file,
                &text,
                text.find("version"),
                "version",
                format!("unknown sweep format version {}", parsed.version),
                "this swabsim reads version = 1",
            ));
        }
        if parsed.sweep.replications == 0 {
            problems.push(problem(
                &file,
                &text,
                text.find("replications"),
                "sweep.replications",
                "must be at least 1, found 0".into(),
                "e.g. replications = 10",
            ));
        }
        if parsed.parameter.is_empty() {
            problems.push(problem(
                &file,
                &text,
                None,
                "parameter",
                "the sweep varies nothing: it has no [[parameter]]".into(),
                "add a [[parameter]] with a path and values",
            ));
        }
        let lists: Vec<Vec<String>> = parsed
            .parameter
            .iter()
            .enumerate()
            .map(|(k, p)| {
                values_of(p).unwrap_or_else(|m| {
                    problems.push(problem(
                        &file,
                        &text,
                        offset_of(&text, k, "path"),
                        &format!("parameter.{}", p.path),
                        m,
                        "give values = [..] or range = { from, to, step }",
                    ));
                    Vec::new()
                })
            })
            .collect();
        let combine = parsed.sweep.combine.unwrap_or(Combine::Grid);
        if combine == Combine::Zip && lists.windows(2).any(|w| w[0].len() != w[1].len()) {
            problems.push(problem(
                &file,
                &text,
                text.find("combine"),
                "sweep.combine",
                "zipped parameters need lists of equal length".into(),
                "give every parameter the same number of values, or combine = \"grid\"",
            ));
        }
        let variants = match combine {
            Combine::Grid => lists.iter().fold(vec![Vec::new()], |acc, values| {
                acc.iter()
                    .flat_map(|prefix| {
                        values
                            .iter()
                            .map(move |v| [prefix.clone(), vec![v.clone()]].concat())
                    })
                    .collect()
            }),
            Combine::Zip => (0..lists.first().map_or(0, Vec::len))
                .map(|i| lists.iter().map(|l| l[i].clone()).collect())
                .collect(),
        };
        let scenario = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&parsed.sweep.scenario);
        let paths: Vec<String> = parsed.parameter.iter().map(|p| p.path.clone()).collect();
        // Every variant must make a valid scenario: check them all now, not after hours of work.
        if problems.is_empty() {
            for values in &variants {
                let sets = sets_of(&paths, values);
                if let Err(e) = crate::load_path(&scenario, &sets) {
                    let which: Vec<String> = paths
                        .iter()
                        .zip(values)
                        .map(|(p, v)| format!("{p}={v}"))
                        .collect();
                    let first = e
                        .problems
                        .first()
                        .map(|p| {
                            let at = if p.line > 0 {
                                format!("{}:{}:{}", p.file, p.line, p.column)
                            } else {
                                p.file.clone()
                            };
                            format!("{at}: {}", p.message)
                        })
                        .unwrap_or_default();
                    let k = e
                        .problems
                        .first()
                        .and_then(|p| {
                            paths
                                .iter()
                                .position(|x| *x == p.key || p.message.contains(x.as_str()))
                        })
                        .unwrap_or(0);
                    problems.push(problem(
                        &file,
                        &text,
                        offset_of(&text, k, "path"),
                        &format!("parameter.{}", paths[k]),
                        format!(
                            "the variant {} is not a valid scenario: {first}",
                            which.join(", ")
                        ),
                        "give paths that exist in the scenario and values it accepts",
                    ));
                    break;
                }
            }
        }
        let targets: Vec<(String, Option<f64>, Option<f64>)> = parsed
            .target
            .iter()
            .map(|t| (t.figure.clone(), t.at_most, t.at_least))
            .collect();
        for (k, t) in parsed.target.iter().enumerate() {
            if t.at_most.is_none() && t.at_least.is_none() {
                let at = text.match_indices("[[target]]").nth(k).map(|(i, _)| i);
                problems.push(problem(
                    &file,
                    &text,
                    at,
                    &format!("target.{}", t.figure),
                    "a target needs `at_most` or `at_least`".into(),
                    "e.g. at_most = 30",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(err(problems));
        }
        let scenario_text = std::fs::read(&scenario).unwrap_or_default();
        let fingerprint = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update(text.as_bytes());
            h.update(&scenario_text);
            h.finalize().iter().map(|b| format!("{b:02x}")).collect()
        };
        Ok(Sweep {
            name: parsed.sweep.name,
            file,
            scenario,
            replications: parsed.sweep.replications,
            seed: parsed.sweep.seed,
            paths,
            variants,
            targets,
            fingerprint,
        })
    }

    /// Number of points (variants × replications).
    pub fn points(&self) -> usize {
        self.variants.len() * self.replications as usize
    }
}

fn values_of(p: &ParameterFile) -> Result<Vec<String>, String> {
    match (&p.values, &p.range) {
        (Some(v), None) if !v.is_empty() => Ok(v.iter().map(|x| x.to_string()).collect()),
        (None, Some(r)) if r.step > 0.0 && r.to >= r.from => {
            let n = ((r.to - r.from) / r.step + 1e-9).floor() as usize + 1;
            Ok((0..n)
                .map(|k| fmt_real(r.from + k as f64 * r.step))
                .collect())
        }
        (None, Some(_)) => Err("a range needs step > 0 and to ≥ from".into()),
        _ => Err(format!(
            "`{}` needs either a non-empty `values` list or a `range`",
            p.path
        )),
    }
}

fn sets_of(paths: &[String], values: &[String]) -> Vec<SetOverride> {
    paths
        .iter()
        .zip(values)
        .map(|(p, v)| SetOverride {
            path: p.clone(),
            value: v.clone(),
        })
        .collect()
}

/// One finished point: variant, replication, summary figures.
#[derive(Debug, Clone)]
pub struct Point {
    /// Variant index.
    pub variant: usize,
    /// Replication index.
    pub replication: u32,
    /// Summary columns and values.
    pub figures: Vec<(String, Cell)>,
}

/// Which points this process runs: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 0.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not I/N with 0 ≤ I < N, e.g. --shard 3/16");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Runs the sweep's missing points into `dir` (created), appending to `points.partial.csv`
/// as they finish, then writes the final files. `done` is called after each point.
pub fn run(
    sweep: &Sweep,
    dir: &Path,
    shard: Option<Shard>,
    done: &(dyn Fn() + Sync),
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join("points.partial.csv");
    drop_cut_line(&partial)?;
    let finished = read_partial(&partial);
    let todo: Vec<(usize, u32)> = (0..sweep.points())
        .filter(|id| shard.is_none_or(|s| *id as u32 % s.count == s.index))
        .map(|id| {
            (
                id / sweep.replications as usize,
                (id % sweep.replications as usize) as u32,
            )
        })
        .filter(|p| !finished.contains_key(p))
        .collect();
    let models: Vec<Option<crate::model::Model>> = (0..sweep.variants.len())
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
        .collect::<Result<_, ScenarioError>>()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)?;
    let writer = Mutex::new(file);
    todo.par_iter()
        .try_for_each(|&(v, r)| -> anyhow::Result<()> {
            let model = models[v]
                .as_ref()
                .expect("a model for every variant with points to run");
            let rep = run_one(model, r, false, &|| {})?;
            let figures: Vec<(String, Cell)> = rep
                .figures
                .summary
                .0
                .iter()
                .map(|(n, c)| (n.to_string(), *c))
                .collect();
            let line = partial_line(v, r, &figures);
            let mut f = writer
                .lock()
                .map_err(|_| anyhow::anyhow!("a worker failed while writing"))?;
            f.write_all(line.as_bytes())?;
            f.flush()?;
            done();
            Ok(())
        })?;
    let all = read_partial(&partial);
    let expected: Vec<(usize, u32)> = (0..sweep.points())
        .filter(|id| shard.is_none_or(|s| *id as u32 % s.count == s.index))
        .map(|id| {
            (
                id / sweep.replications as usize,
                (id % sweep.replications as usize) as u32,
            )
        })
        .collect();
    let points: Vec<Point> = expected
        .iter()
        .filter_map(|k| all.get(k).cloned())
        .collect();
    write_final(sweep, dir, &points, shard)
}

/// An interruption can leave the partial file ending in the middle of a line: cut it off, so
/// that the next point appended starts on a line of its own.
fn drop_cut_line(path: &Path) -> std::io::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    if !text.is_empty() && !text.ends_with('\n') {
        let keep = text.rfind('\n').map_or(0, |i| i + 1);
        std::fs::write(path, &text[..keep])?;
    }
    Ok(())
}

/// A line of `points.partial.csv`: variant, replication, then `name=value` cells.
fn partial_line(v: usize, r: u32, figures: &[(String, Cell)]) -> String {
    let cells: Vec<String> = figures
        .iter()
        .map(|(n, c)| match c {
            Cell::Count(x) => format!("{n}=c{x}"),
            Cell::Real(x) => format!("{n}=r{:016x}", x.to_bits()),
        })
        .collect();
    format!("{v},{r},{}\n", cells.join(","))
}

/// The complete lines of a partial file (a line cut by an interruption is ignored).
fn read_partial(path: &Path) -> BTreeMap<(usize, u32), Point> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let mut parts = line.trim_end().split(',');
        let (Some(v), Some(r)) = (
            parts.next().and_then(|x| x.parse().ok()),
            parts.next().and_then(|x| x.parse().ok()),
        ) else {
            continue;
        };
        let figures: Option<Vec<(String, Cell)>> = parts
            .map(|cell| {
                let (name, value) = cell.split_once('=')?;
                let name = name.to_string();
                let cell = match value.split_at(1) {
                    ("c", x) => Cell::Count(x.parse().ok()?),
                    ("r", x) => Cell::Real(f64::from_bits(u64::from_str_radix(x, 16).ok()?)),
                    _ => return None,
                };
                Some((name, cell))
            })
            .collect();
        if let Some(figures) = figures {
            out.insert(
                (v, r),
                Point {
                    variant: v,
                    replication: r,
                    figures,
                },
            );
        }
    }
    out
}

/// Writes `points.csv`, `aggregate.csv` and `sweep.json` from the points, sorted.
pub fn write_final(
    sweep: &Sweep,
    dir: &Path,
    points: &[Point],
    shard: Option<Shard>,
) -> anyhow::Result<()> {
    let names: Vec<String> = points
        .first()
        .map(|p| p.figures.iter().map(|f| f.0.clone()).collect())
        .unwrap_or_default();
    let tmp = dir.join(".points.csv.tmp");
    {
        let mut w = csv::Writer::from_path(&tmp)?;
        let mut header = vec!["variant".to_string()];
        header.extend(sweep.paths.iter().cloned());
        header.push("replication".into());
        header.extend(names.iter().map(|n| n.to_string()));
        w.write_record(&header)?;
        for p in points {
            let mut row = vec![p.variant.to_string()];
            row.extend(sweep.variants[p.variant].iter().cloned());
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
    let aggregate = aggregate(sweep, points, &names);
    let tmp = dir.join(".aggregate.csv.tmp");
    {
        let mut w = csv::Writer::from_path(&tmp)?;
        let mut header = vec!["variant".to_string()];
        header.extend(sweep.paths.iter().cloned());
        header.push("replications".into());
        for n in &names {
            header.extend([format!("{n}_mean"), format!("{n}_sd"), format!("{n}_ci95")]);
        }
        header.push("meets_targets".into());
        w.write_record(&header)?;
        for a in &aggregate {
            let mut row = vec![a.variant.to_string()];
            row.extend(sweep.variants[a.variant].iter().cloned());
            row.push(a.replications.to_string());
            for n in &names {
                let (mean, sd, half) = a.figures[n];
                row.extend([fmt_real(mean), fmt_real(sd), fmt_real(half)]);
            }
            row.push(a.meets.map_or(String::new(), |m| m.to_string()));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, dir.join("aggregate.csv"))?;
    let charts_dir = dir.join("charts");
    std::fs::create_dir_all(&charts_dir)?;
    let figures = chart_figures(sweep, &names);
    let (bands, heats) = chart_data(sweep, &aggregate, &figures);
    let charts = crate::report::charts::write_sweep_charts(&charts_dir, &bands, &heats)
        .map_err(anyhow::Error::msg)?;
    write_page(sweep, dir, &aggregate, &figures, &charts)?;
    let manifest = serde_json::json!({
        "swabsim_version": env!("CARGO_PKG_VERSION"),
        "sweep": sweep.name,
        "sweep_file": sweep.file,
        "scenario": sweep.scenario,
        "fingerprint": sweep.fingerprint,
        "replications": sweep.replications,
        "seed": sweep.seed,
        "paths": sweep.paths,
        "variants": sweep.variants,
        "targets": sweep.targets,
        "points": sweep.points(),
        "points_here": points.len(),
        "shard": shard.map(|s| format!("{}/{}", s.index, s.count)),
    });
    std::fs::write(
        dir.join("sweep.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(())
}

/// Joins shard directories into the files one unsharded sweep writes; refuses missing,
/// duplicated or mismatched shards, naming them.
pub fn merge(shards: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    let read = |dir: &PathBuf| -> anyhow::Result<serde_json::Value> {
        let bytes = std::fs::read(dir.join("sweep.json")).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a sweep shard: it has no sweep.json",
                dir.display()
            )
        })?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let first = shards
        .first()
        .ok_or_else(|| anyhow::anyhow!("no shard directories given"))?;
    let sweep = Sweep::from_manifest(&read(first)?)?;
    let mut all: BTreeMap<(usize, u32), (Point, PathBuf)> = BTreeMap::new();
    for dir in shards {
        let manifest = read(dir)?;
        if manifest["fingerprint"] != sweep.fingerprint.as_str() {
            anyhow::bail!(
                "{} is a shard of another sweep (or of another version of its files)",
                dir.display()
            );
        }
        for ((v, r), p) in read_partial(&dir.join("points.partial.csv")) {
            if let Some((_, other)) = all.get(&(v, r)) {
                anyhow::bail!(
                    "variant {v} replication {r} is in both {} and {}",
                    other.display(),
                    dir.display()
                );
            }
            all.insert((v, r), (p, dir.clone()));
        }
    }
    let missing = sweep.points() - all.len();
    if missing > 0 {
        let first = (0..sweep.points())
            .map(|id| {
                (
                    id / sweep.replications as usize,
                    (id % sweep.replications as usize) as u32,
                )
            })
            .find(|k| !all.contains_key(k))
            .unwrap_or_default();
        anyhow::bail!(
            "{missing} points are in no shard (the first: variant {}, replication {}); run the missing shards, then merge again",
            first.0,
            first.1
        );
    }
    std::fs::create_dir_all(out)?;
    let points: Vec<Point> = all.into_values().map(|(p, _)| p).collect();
    let mut lines = String::new();
    for p in &points {
        lines.push_str(&partial_line(p.variant, p.replication, &p.figures));
    }
    std::fs::write(out.join("points.partial.csv"), lines)?;
    write_final(&sweep, out, &points, None)
}

impl Sweep {
    /// The sweep a shard's `sweep.json` describes.
    fn from_manifest(m: &serde_json::Value) -> anyhow::Result<Sweep> {
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let variants = m["variants"]
            .as_array()
            .map(|a| a.iter().map(strings).collect())
            .unwrap_or_default();
        let targets = m["targets"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| {
                        (
                            t[0].as_str().unwrap_or("").to_string(),
                            t[1].as_f64(),
                            t[2].as_f64(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Sweep {
            name: m["sweep"].as_str().unwrap_or("").to_string(),
            file: m["sweep_file"].as_str().unwrap_or("").to_string(),
            scenario: PathBuf::from(m["scenario"].as_str().unwrap_or("")),
            replications: m["replications"].as_u64().unwrap_or(0) as u32,
            seed: m["seed"].as_u64(),
            paths: strings(&m["paths"]),
            variants,
            targets,
            fingerprint: m["fingerprint"].as_str().unwrap_or("").to_string(),
        })
    }
}

/// One variant's statistics.
struct Aggregate {
    variant: usize,
    replications: usize,
    /// figure → (mean, sd, 95% CI half-width).
    figures: BTreeMap<String, (f64, f64, f64)>,
    /// Whether the means meet every target (`None` without targets).
    meets: Option<bool>,
}

fn aggregate(sweep: &Sweep, points: &[Point], names: &[String]) -> Vec<Aggregate> {
    (0..sweep.variants.len())
        .filter_map(|v| {
            let mine: Vec<&Point> = points.iter().filter(|p| p.variant == v).collect();
            if mine.is_empty() {
                return None;
            }
            let figures: BTreeMap<String, (f64, f64, f64)> = names
                .iter()
                .enumerate()
                .map(|(k, n)| {
                    let xs: Vec<f64> = mine
                        .iter()
                        .map(|p| p.figures[k].1.as_f64())
                        .filter(|x| x.is_finite())
                        .collect();
                    let (mean, half) = mean_ci95(&xs);
                    let sd = if xs.len() > 1 {
                        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
                            .sqrt()
                    } else {
                        f64::NAN
                    };
                    (n.clone(), (mean, sd, half))
                })
                .collect();
            let meets = (!sweep.targets.is_empty()).then(|| {
                sweep.targets.iter().all(|(f, most, least)| {
                    let m = figures.get(f).map_or(f64::NAN, |x| x.0);
                    most.is_none_or(|x| m <= x) && least.is_none_or(|x| m >= x)
                })
            });
            Some(Aggregate {
                variant: v,
                replications: mine.len(),
                figures,
                meets,
            })
        })
        .collect()
}

/// The figures drawn: the targets', else the usual key figures.
fn chart_figures(sweep: &Sweep, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = sweep.targets.iter().map(|t| t.0.clone()).collect();
    for f in [
        "wait_p95_min",
        "hours_to_95pct",
        "coverage",
        "desk_utilisation",
        "turnaround_p95_h",
    ] {
        if out.len() < 4 && !out.iter().any(|x| x == f) {
            out.push(f.to_string());
        }
    }
    out.retain(|f| names.contains(f));
    out
}

fn chart_data(
    sweep: &Sweep,
    aggregate: &[Aggregate],
    figures: &[String],
) -> (
    Vec<crate::report::charts::Bands>,
    Vec<crate::report::charts::Heat>,
) {
    use crate::report::charts::{Bands, Heat};
    let xs: Vec<f64> = sweep
        .variants
        .iter()
        .map(|v| v[0].parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    let numeric = xs.iter().all(|x| x.is_finite());
    let others = |v: usize| {
        sweep.paths[1..]
            .iter()
            .zip(&sweep.variants[v][1..])
            .map(|(p, x)| format!("{p}={x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bands = figures
        .iter()
        .map(|f| {
            let mut series: Vec<crate::report::charts::BandSeries> = Vec::new();
            for a in aggregate {
                let label = if sweep.paths.len() > 1 && sweep.variants.len() > 1 {
                    others(a.variant)
                } else {
                    f.clone()
                };
                let x = if numeric {
                    xs[a.variant]
                } else {
                    a.variant as f64
                };
                let (mean, _, half) = a.figures[f];
                match series.iter_mut().find(|s| s.0 == label) {
                    Some(s) => s.1.push((x, mean, half)),
                    None => series.push((label, vec![(x, mean, half)])),
                }
            }
            let x_desc = if numeric {
                sweep.paths[0].clone()
            } else {
                "variant".to_string()
            };
            Bands {
                name: f.clone(),
                title: format!("{f} (mean and 95% CI)"),
                x_desc,
                y_desc: f.clone(),
                series,
            }
        })
        .collect();
    let mut heats = Vec::new();
    if sweep.paths.len() == 2 {
        let distinct = |k: usize| {
            let mut v: Vec<String> = Vec::new();
            for var in &sweep.variants {
                if !v.contains(&var[k]) {
                    v.push(var[k].clone());
                }
            }
            v
        };
        let (cols, rows) = (distinct(0), distinct(1));
        if cols.len() * rows.len() == sweep.variants.len()
            && let Some(f) = figures.first()
        {
            let values = cols
                .iter()
                .map(|c| {
                    rows.iter()
                        .map(|r| {
                            let v = sweep.variants.iter().position(|x| &x[0] == c && &x[1] == r);
                            v.and_then(|v| aggregate.iter().find(|a| a.variant == v))
                                .map_or(f64::NAN, |a| a.figures[f].0)
                        })
                        .collect()
                })
                .collect();
            heats.push(Heat {
                name: format!("{f}_heat"),
                title: format!("{f} (mean) over both parameters"),
                x_labels: cols,
                y_labels: rows,
                x_desc: sweep.paths[0].clone(),
                y_desc: sweep.paths[1].clone(),
                values,
            });
        }
    }
    (bands, heats)
}

/// `index.html` of a sweep: the variants, their key figures with CIs, which meet the targets,
/// and the charts.
fn write_page(
    sweep: &Sweep,
    dir: &Path,
    aggregate: &[Aggregate],
    figures: &[String],
    charts: &[String],
) -> std::io::Result<()> {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sweep {name}</title>\n<style>\nbody {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 76rem; padding: 0 1rem; }}\ntable {{ border-collapse: collapse; font-size: 0.85rem; }}\ntd, th {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }}\ntr.meets {{ background: #e6f4ea; }}\nimg {{ max-width: 100%; height: auto; border: 1px solid #eee; }}\n</style>\n</head>\n<body>\n<h1>Sweep {name}</h1>\n<p>{v} variants × {r} replications of <code>{scenario}</code>. Means with the half-width of their 95% confidence interval; <code>aggregate.csv</code> holds every figure.</p>\n",
        name = escape(&sweep.name),
        v = sweep.variants.len(),
        r = sweep.replications,
        scenario = escape(&sweep.scenario.display().to_string()),
    );
    if !sweep.targets.is_empty() {
        let goals: Vec<String> = sweep
            .targets
            .iter()
            .map(|(f, most, least)| match (most, least) {
                (Some(m), Some(l)) => format!("{l} ≤ {f} ≤ {m}"),
                (Some(m), None) => format!("{f} ≤ {m}"),
                (None, Some(l)) => format!("{f} ≥ {l}"),
                (None, None) => f.clone(),
            })
            .collect();
        let best: Vec<String> = aggregate
            .iter()
            .filter(|a| a.meets == Some(true))
            .map(|a| {
                let vals: Vec<String> = sweep
                    .paths
                    .iter()
                    .zip(&sweep.variants[a.variant])
                    .map(|(p, v)| format!("{p} = {v}"))
                    .collect();
                format!(
                    "<li>variant {}: {}</li>",
                    a.variant,
                    escape(&vals.join(", "))
                )
            })
            .collect();
        html.push_str(&format!(
            "<h2>Targets: {}</h2>\n",
            escape(&goals.join(", "))
        ));
        if best.is_empty() {
            html.push_str("<p>No variant meets every target.</p>\n");
        } else {
            html.push_str(&format!(
                "<p>Variants that meet every target (highlighted below):</p>\n<ul>\n{}\n</ul>\n",
                best.join("\n")
            ));
        }
    }
    html.push_str("<table>\n<tr><th>variant</th>");
    for p in &sweep.paths {
        html.push_str(&format!("<th>{}</th>", escape(p)));
    }
    for f in figures {
        html.push_str(&format!("<th>{}</th>", escape(f)));
    }
    html.push_str("</tr>\n");
    for a in aggregate {
        let class = if a.meets == Some(true) {
            " class=\"meets\""
        } else {
            ""
        };
        html.push_str(&format!("<tr{class}><td>{}</td>", a.variant));
        for v in &sweep.variants[a.variant] {
            html.push_str(&format!("<td>{}</td>", escape(v)));
        }
        for f in figures {
            let (m, _, h) = a.figures[f];
            let ci = if h.is_finite() {
                format!(" ± {}", fmt_real(h))
            } else {
                String::new()
            };
            html.push_str(&format!("<td>{}{ci}</td>", fmt_real(m)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    for c in charts {
        html.push_str(&format!(
            "<figure><img src=\"charts/{c}.svg\" width=\"{}\" height=\"{}\" alt=\"{c}\"><figcaption><a href=\"charts/{c}.png\">PNG</a></figcaption></figure>\n",
            crate::report::charts::WIDTH,
            crate::report::charts::HEIGHT
        ));
    }
    html.push_str("</body>\n</html>\n");
    std::fs::write(dir.join("index.html"), html)
}
