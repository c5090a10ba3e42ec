//! swabsim: a discrete-event simulator of mass-testing logistics.
//!
//! A planner writes a scenario file; swabsim simulates the round event by event and writes CSV
//! results. Data flows one way:
//!
//! ```text
//! scenario file ──► scenario ──► model ──► engine ──► observe ──► report
//!  (TOML text)      (serde,       (ids,     (event     (streaming   (CSV, manifest,
//!                   --set,        ticks,    kernel +   statistics,  run directory)
//!                   locations)    samplers) processes) time series)
//!                        runner: R replications of the middle, in parallel
//! ```
//!
//! - [`scenario`] mirrors the file with serde types and applies `--set` overrides; it only
//!   collects.
//! - [`model`] validates across fields (every problem at once, with file:line:column) and resolves
//!   names to ids, texts to ticks, distributions to samplers.
//! - [`engine`] is the event kernel and the processes; it pushes what happens into an
//!   [`engine::Observer`] and never formats output.
//! - [`observe`] holds the observers: streaming counters, time-weighted statistics, quantiles,
//!   time series, conservation, an optional per-person trace.
//! - [`report`] writes the run directory.
//! - [`runner`] runs replications in parallel with identical results for any thread count.
//! - [`compare`] reads run directories and sets them side by side.

pub mod compare;
pub mod engine;
pub mod model;
pub mod observe;
pub mod plan;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod sweep;
pub mod targets;
pub mod time;

use std::path::Path;

use model::Model;
use scenario::{Loaded, ScenarioError, SetOverride, Source};

/// Reads a scenario file (`-`: standard input), applies overrides, parses and validates it.
pub fn load_path(path: &Path, sets: &[SetOverride]) -> Result<(Loaded, Model), ScenarioError> {
    if path == Path::new("-") {
        return build(Source::from_stdin(sets)?);
    }
    build(Source::from_path(path, sets)?)
}

/// Like [`load_path`] for text that stands for the file `file` (for tests and tools).
pub fn load_str(
    file: &str,
    text: &str,
    sets: &[SetOverride],
) -> Result<(Loaded, Model), ScenarioError> {
    build(Source::from_str(file, text, sets)?)
}

fn build(source: Source) -> Result<(Loaded, Model), ScenarioError> {
    let mut loaded = source.parse()?;
    let mut model = Model::build(&loaded.file).map_err(|p| loaded.source.locate(p))?;
    let warnings = std::mem::take(&mut model.warnings);
    model.overrides = loaded
        .source
        .sets
        .iter()
        .map(|s| format!("{}={}", s.path, s.value))
        .collect();
    loaded.warnings = loaded.source.locate(warnings).problems;
    Ok((loaded, model))
}
