//! Sweeps: a base scenario run over a grid (or zip) of parameter values, each variant for the
//! same replications, in parallel; resumable; shardable for cluster array jobs; mergeable.
//!
//! Every point (variant × replication) is a pure function of the scenario, its `--set` values
//! and the replication index, and replication `r` uses the random streams of `r` in every
//! variant (common random numbers). Points are appended to `points.partial.csv` as they finish,
//! in any order, each line with its own checksum; the final `points.csv` and `aggregate.csv` are
//! written sorted, so they are the same whatever the threads, shards or interruptions.
//!
//! - this file: the sweep file, its validation, and its definition (what a resume must match);
//! - [`points`]: the partial file's lines, checked one by one;
//! - [`run`]: running the missing points and writing the final files;
//! - [`merge`]: joining shards;
//! - [`page`]: aggregates, chart data and the page.

mod merge;
mod page;
mod points;
mod run;

pub use merge::{MergeError, merge};
pub use points::Point;
pub use run::{ResumeError, check_resume, run, write_start};

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::observe::SUMMARY_COLUMNS;
use crate::report::fmt_real;
use crate::scenario::{
    Located, ScenarioError, SetOverride, did_you_mean, line_col, name_problem, sha256_hex,
};

/// Most values one parameter may take.
pub const MAX_VALUES: usize = 10_000;
/// Most variants a sweep may have (every one is validated before the sweep starts).
pub const MAX_VARIANTS: usize = 10_000;
/// Most replications of each variant (as `swabsim run --replications`).
pub const MAX_REPLICATIONS: u32 = 100_000;
/// Most points (variants × replications) of one sweep.
pub const MAX_POINTS: usize = 10_000_000;

/// The sweep file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// Every combination, the last parameter varying fastest.
    Grid,
    /// The k-th values of all parameters together; lists of equal length.
    Zip,
}

/// `[[parameter]]`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterFile {
    /// A `--set` path into the scenario.
    pub path: String,
    /// Values, as TOML values (numbers, strings with units, booleans).
    #[serde(default)]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub values: Option<Vec<toml::Value>>,
    /// Or a range of numbers `{ from, to, step }`, `to` included.
    #[serde(default)]
    pub range: Option<RangeFile>,
}

/// A numeric range.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
    /// SHA-256 of the base scenario's bytes.
    pub scenario_sha256: String,
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
    /// Hash of what decides the points (scenario bytes, paths, variants, replications, seed):
    /// shards of one sweep share it, and a resume must match it.
    pub fingerprint: String,
}

pub(crate) fn problem(
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

/// The byte offset of `needle` in `text` after the `nth` `[[header]]`, for messages.
pub(crate) fn offset_of(text: &str, header: &str, nth: usize, needle: &str) -> Option<usize> {
    let start = text.match_indices(header).nth(nth).map(|(i, _)| i)?;
    text[start..].find(needle).map(|o| start + o)
}

/// Collects the problems of one sweep file.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Located>,
}

impl Checker<'_> {
    fn push(&mut self, at: Option<usize>, key: &str, message: String, fix: &str) {
        self.problems
            .push(problem(self.file, self.text, at, key, message, fix));
    }
}

impl Sweep {
    /// Reads and validates a sweep file, including every variant against the base scenario.
    pub fn load(path: &Path) -> Result<Sweep, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![problem(
                &file,
                "",
                None,
                "",
                format!("cannot read the sweep file: {e}"),
                "check the path; sweeps in this repository live in `sweeps/`",
            )],
        })?;
        Sweep::from_text(path, &text)
    }

    /// Validates the text of the sweep file at `path` (the scenario is read relative to it).
    pub fn from_text(path: &Path, text: &str) -> Result<Sweep, ScenarioError> {
        let file = path.display().to_string();
        let err = |problems: Vec<Located>| ScenarioError {
            file: file.clone(),
            problems,
        };
        let parsed: SweepFile = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            err(vec![problem(
                &file,
                text,
                e.span().map(|s| s.start),
                "",
                msg,
                "see docs/sweep.md for the format",
            )])
        })?;
        let mut c = Checker {
            file: &file,
            text,
            problems: Vec::new(),
        };
        check_header(&mut c, &parsed);
        let lists: Vec<Vec<String>> = parsed
            .parameter
            .iter()
            .enumerate()
            .map(|(k, p)| {
                values_of(p).unwrap_or_else(|(m, fix)| {
                    let at = offset_of(text, "[[parameter]]", k, "path");
                    c.push(at, &format!("parameter.{}", p.path), m, fix);
                    Vec::new()
                })
            })
            .collect();
        let combine = parsed.sweep.combine.unwrap_or(Combine::Grid);
        let variants = combine_values(&mut c, combine, &lists);
        let scenario = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&parsed.sweep.scenario);
        let paths: Vec<String> = parsed.parameter.iter().map(|p| p.path.clone()).collect();
        check_targets(&mut c, &parsed.target);
        let points = variants
            .len()
            .saturating_mul(parsed.sweep.replications as usize);
        if c.problems.is_empty() && points > MAX_POINTS {
            c.push(
                text.find("replications"),
                "sweep.replications",
                format!(
                    "{} variants × {} replications make {points} points, more than {MAX_POINTS}",
                    variants.len(),
                    parsed.sweep.replications
                ),
                "sweep fewer values, or split the study into several sweeps",
            );
        }
        // Every variant must make a valid scenario: check them all now, not after hours of work.
        let scenario_bytes = if c.problems.is_empty() {
            check_variants(&mut c, &scenario, &paths, &variants)
        } else {
            Vec::new()
        };
        if !c.problems.is_empty() {
            return Err(err(c.problems));
        }
        let scenario_sha256 = sha256_hex(&scenario_bytes);
        let targets = sweep_targets(&parsed.target, &scenario, &scenario_bytes);
        let fingerprint = sha256_hex(
            serde_json::json!([
                scenario_sha256,
                paths,
                variants,
                parsed.sweep.replications,
                parsed.sweep.seed
            ])
            .to_string()
            .as_bytes(),
        );
        Ok(Sweep {
            name: parsed.sweep.name,
            file,
            scenario,
            scenario_sha256,
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

    /// Point number `id` as (variant, replication).
    pub fn point(&self, id: usize) -> (usize, u32) {
        let r = self.replications as usize;
        (id / r, (id % r) as u32)
    }
}

fn check_header(c: &mut Checker<'_>, parsed: &SweepFile) {
    let text = c.text;
    if parsed.version != 1 {
        c.push(
            text.find("version"),
            "version",
            format!("unknown sweep format version {}", parsed.version),
            "this swabsim reads version = 1",
        );
    }
    if let Some(message) = name_problem(&parsed.sweep.name) {
        c.push(
            text.find("name"),
            "sweep.name",
            message,
            "the name becomes the directory output/<name>: use letters, digits, `-` and `_`, e.g. name = \"desks-and-crews\"",
        );
    }
    let r = parsed.sweep.replications;
    if r == 0 || r > MAX_REPLICATIONS {
        c.push(
            text.find("replications"),
            "sweep.replications",
            format!("must be from 1 to {MAX_REPLICATIONS}, found {r}"),
            "e.g. replications = 10",
        );
    }
    if parsed.parameter.is_empty() {
        c.push(
            None,
            "parameter",
            "the sweep varies nothing: it has no [[parameter]]".into(),
            "add a [[parameter]] with a path and values",
        );
    }
}

fn combine_values(
    c: &mut Checker<'_>,
    combine: Combine,
    lists: &[Vec<String>],
) -> Vec<Vec<String>> {
    if combine == Combine::Zip && lists.windows(2).any(|w| w[0].len() != w[1].len()) {
        c.push(
            c.text.find("combine"),
            "sweep.combine",
            "zipped parameters need lists of equal length".into(),
            "give every parameter the same number of values, or combine = \"grid\"",
        );
        return Vec::new();
    }
    let count = match combine {
        Combine::Grid => lists.iter().try_fold(1usize, |n, l| n.checked_mul(l.len())),
        Combine::Zip => Some(lists.first().map_or(0, Vec::len)),
    };
    if count.is_none_or(|n| n > MAX_VARIANTS) {
        let sizes: Vec<String> = lists.iter().map(|l| l.len().to_string()).collect();
        c.push(
            c.text.find("[[parameter]]"),
            "parameter",
            format!(
                "the parameters' values ({}) combine into more than {MAX_VARIANTS} variants",
                sizes.join(" × ")
            ),
            "vary fewer parameters at once, or give fewer values",
        );
        return Vec::new();
    }
    match combine {
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
    }
}

/// The sweep file's targets, then the scenario's targets over the whole run (those taken at
/// sites or in rounds are not judged by sweeps, whose points keep the summary only), without
/// repeats.
fn sweep_targets(
    own: &[TargetFile],
    scenario: &Path,
    bytes: &[u8],
) -> Vec<(String, Option<f64>, Option<f64>)> {
    let mut out: Vec<(String, Option<f64>, Option<f64>)> = own
        .iter()
        .map(|t| (t.figure.clone(), t.at_most, t.at_least))
        .collect();
    let text = String::from_utf8_lossy(bytes);
    let Ok((_, model)) = crate::load_str(&scenario.display().to_string(), &text, &[]) else {
        return out;
    };
    for t in model.targets {
        if t.scope != crate::targets::Scope::Run {
            continue;
        }
        let entry = match t.bound {
            crate::targets::Bound::AtMost(v) => (t.figure, Some(v), None),
            crate::targets::Bound::AtLeast(v) => (t.figure, None, Some(v)),
        };
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

fn check_targets(c: &mut Checker<'_>, targets: &[TargetFile]) {
    for (k, t) in targets.iter().enumerate() {
        let at = c.text.match_indices("[[target]]").nth(k).map(|(i, _)| i);
        let key = format!("target.{}", t.figure);
        if !SUMMARY_COLUMNS.contains(&t.figure.as_str()) {
            c.push(
                offset_of(c.text, "[[target]]", k, "figure"),
                &key,
                format!(
                    "`{}` is not a figure of summary.csv{}",
                    t.figure,
                    did_you_mean(&t.figure, SUMMARY_COLUMNS)
                ),
                "name a column of summary.csv (docs/outputs.md lists them), e.g. figure = \"wait_p95_min\"",
            );
        }
        if t.at_most.is_none() && t.at_least.is_none() {
            c.push(
                at,
                &key,
                "a target needs `at_most` or `at_least`".into(),
                "e.g. at_most = 30",
            );
        }
        for (name, v) in [("at_most", t.at_most), ("at_least", t.at_least)] {
            if v.is_some_and(|x| !x.is_finite()) {
                c.push(
                    offset_of(c.text, "[[target]]", k, name),
                    &format!("{key}.{name}"),
                    format!(
                        "`{name}` must be a finite number, found {}",
                        v.unwrap_or(0.0)
                    ),
                    "give the bound as a number, e.g. at_most = 30",
                );
            }
        }
    }
}

/// Loads every variant's scenario; returns the scenario file's bytes.
fn check_variants(
    c: &mut Checker<'_>,
    scenario: &Path,
    paths: &[String],
    variants: &[Vec<String>],
) -> Vec<u8> {
    let text = match std::fs::read_to_string(scenario) {
        Ok(t) => t,
        Err(e) => {
            c.push(
                c.text.find("scenario"),
                "sweep.scenario",
                format!("cannot read the scenario {}: {e}", scenario.display()),
                "give the scenario's path relative to the sweep file, e.g. scenario = \"../scenarios/dongyuegong.toml\"",
            );
            return Vec::new();
        }
    };
    let file = scenario.display().to_string();
    for values in variants {
        let sets = sets_of(paths, values);
        let Err(e) = crate::load_str(&file, &text, &sets) else {
            continue;
        };
        let which: Vec<String> = paths
            .iter()
            .zip(values)
            .map(|(p, v)| format!("{p}={v}"))
            .collect();
        let first = e.problems.first().map(located_text).unwrap_or_default();
        let k = e
            .problems
            .first()
            .and_then(|p| {
                paths
                    .iter()
                    .position(|x| *x == p.key || p.message.contains(x.as_str()))
            })
            .unwrap_or(0);
        c.push(
            offset_of(c.text, "[[parameter]]", k, "path"),
            &format!("parameter.{}", paths[k]),
            format!(
                "the variant {} is not a valid scenario: {first}",
                which.join(", ")
            ),
            "give paths that exist in the scenario and values it accepts",
        );
        break;
    }
    text.into_bytes()
}

/// "file:line:col: message" of a located problem, without its key and fix.
pub(crate) fn located_text(p: &Located) -> String {
    let at = if p.line > 0 {
        format!("{}:{}:{}", p.file, p.line, p.column)
    } else {
        p.file.clone()
    };
    format!("{at}: {}", p.message)
}

fn values_of(p: &ParameterFile) -> Result<Vec<String>, (String, &'static str)> {
    let fix = "give values = [..] or range = { from, to, step }";
    match (&p.values, &p.range) {
        (Some(v), None) if v.len() > MAX_VALUES => Err((
            format!("{} values, more than {MAX_VALUES}", v.len()),
            "give fewer values",
        )),
        (Some(v), None) if !v.is_empty() => Ok(v.iter().map(|x| x.to_string()).collect()),
        (None, Some(r)) => range_values(r),
        _ => Err((
            format!(
                "`{}` needs either a non-empty `values` list or a `range`",
                p.path
            ),
            fix,
        )),
    }
}

fn range_values(r: &RangeFile) -> Result<Vec<String>, (String, &'static str)> {
    let fix = "give finite numbers with step > 0 and to ≥ from, e.g. range = { from = 2, to = 8, step = 1 }";
    if ![r.from, r.to, r.step].iter().all(|x| x.is_finite()) {
        return Err((
            format!(
                "a range needs finite numbers, found from = {}, to = {}, step = {}",
                r.from, r.to, r.step
            ),
            fix,
        ));
    }
    if r.step <= 0.0 || r.to < r.from {
        return Err(("a range needs step > 0 and to ≥ from".into(), fix));
    }
    let steps = (r.to - r.from) / r.step;
    if steps >= MAX_VALUES as f64 {
        return Err((
            format!(
                "the range from {} to {} in steps of {} has more than {MAX_VALUES} values",
                r.from, r.to, r.step
            ),
            "take a larger step or a narrower range",
        ));
    }
    let n = (steps + 1e-9).floor() as usize + 1;
    Ok((0..n)
        .map(|k| fmt_real(r.from + k as f64 * r.step))
        .collect())
}

/// The `--set` overrides of one variant.
pub fn sets_of(paths: &[String], values: &[String]) -> Vec<SetOverride> {
    paths
        .iter()
        .zip(values)
        .map(|(p, v)| SetOverride {
            path: p.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Which points this process runs: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shard {
    /// From 0.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Whether point number `id` belongs to this shard.
    pub fn has(self, id: usize) -> bool {
        id as u64 % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
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
