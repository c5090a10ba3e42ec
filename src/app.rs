//! Wiring of the commands: scenario → model → runner → report. The only place for `anyhow`,
//! printing and exit codes (0 success, 1 wrong input, 2 usage (clap), 3 a run failed).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, PlanArgs, RunArgs};
use swabsim::model::Model;
use swabsim::report::{self, Kind, Manifest, RunDir, RunDirError};
use swabsim::runner::{self, Replication};
use swabsim::scenario::{self, Loaded, default_out_dir};

/// A failed command, by kind.
pub enum Failure {
    /// The input is wrong: exit code 1.
    Input(anyhow::Error),
    /// The run failed: exit code 3.
    Run(anyhow::Error),
    /// Standard output was closed by its reader (`swabsim validate … | head`): stop quietly.
    Quiet,
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 1,
            Failure::Run(_) => 3,
            Failure::Quiet => 0,
        }
    }

    /// The message with its chain of causes (empty for a quiet stop).
    pub fn message(&self) -> String {
        match self {
            Failure::Input(e) | Failure::Run(e) => format!("{e:#}"),
            Failure::Quiet => String::new(),
        }
    }
}

/// Writes `text` and a newline to standard output. A closed pipe stops the command quietly;
/// any other write error is a failed run (exit code 3), never a panic.
pub fn say(text: impl std::fmt::Display) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::Quiet
            } else {
                Failure::Run(anyhow!("cannot write to standard output: {e}"))
            }
        })
}

/// Writes a line to standard error; a closed standard error is ignored.
pub fn warn(text: impl std::fmt::Display) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// An output-directory problem: the user's to fix (exit 1) unless the file system failed.
fn dir_failure(e: RunDirError) -> Failure {
    if e.is_input() {
        Failure::Input(anyhow!(e))
    } else {
        Failure::Run(anyhow!(e))
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run_scenario(args),
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Sweep(args) => sweep(args),
        Command::Plan(args) => plan(args),
        Command::Merge { shards, out, force } => merge(&shards, &out, force),
        Command::Compare {
            runs,
            out,
            allow_different,
            force,
            font,
        } => {
            load_font(font.as_deref())?;
            compare(&runs, out, allow_different, force)
        }
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a closed pipe (`| head`); `say` does not.
            let mut cmd = crate::cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "swabsim", &mut out);
            say(String::from_utf8_lossy(&out).trim_end())
        }
        Command::Man { command } => man(command.as_deref()),
        Command::Serve(args) => crate::serve::serve(args),
        Command::Schema { format } => {
            say(swabsim::scenario::schema::schema_text(format).trim_end())
        }
        Command::Init {
            file,
            residents,
            buildings,
            points,
            desks,
            deadline,
            pool,
            machines,
        } => init(
            &file,
            &swabsim::scenario::starter::Starter {
                residents,
                buildings,
                points,
                desks,
                deadline_h: deadline,
                pool,
                machines,
            },
        ),
    }
}

/// Writes a starter scenario to `file`, checked by the loader first; never over an existing file.
fn init(file: &Path, starter: &swabsim::scenario::starter::Starter) -> Result<(), Failure> {
    let text = starter.text().map_err(|e| Failure::Input(anyhow!(e)))?;
    let name = file.display().to_string();
    swabsim::load_str(&name, &text, &[])
        .map_err(|e| Failure::Input(anyhow!("these numbers make no valid scenario: {e}")))?;
    let mut out = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Failure::Input(anyhow!(
                "{name} exists, and swabsim init does not write over a file; give another name or remove it"
            )));
        }
        Err(e) => return Err(Failure::Input(anyhow!("cannot write {name}: {e}"))),
    };
    use std::io::Write as _;
    out.write_all(text.as_bytes())
        .map_err(|e| Failure::Run(anyhow!("cannot write {name}: {e}")))?;
    say(format!(
        "wrote {name}: run it with `swabsim run {name}`; docs/scenario.md explains every key"
    ))
}

/// Prints the manual page of swabsim or of one of its subcommands.
fn man(sub: Option<&str>) -> Result<(), Failure> {
    let cmd = crate::cli::command();
    let (page, title) = match sub {
        None => (cmd, "swabsim".to_string()),
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let found = cmd.find_subcommand(name).cloned().ok_or_else(|| {
                let hint = swabsim::scenario::did_you_mean(name, names.iter().map(String::as_str));
                Failure::Input(anyhow!(
                    "`{name}` is not a subcommand of swabsim{hint}; the subcommands are {}",
                    names.join(", ")
                ))
            })?;
            (found, format!("swabsim-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .title(title)
        .render(&mut out)
        .map_err(|e| Failure::Run(anyhow!(e)))?;
    say(String::from_utf8_lossy(&out).trim_end())
}

/// Loads, overrides, parses and validates a scenario.
fn load_model(path: &Path, sets: &[scenario::SetOverride]) -> Result<(Loaded, Model), Failure> {
    swabsim::load_path(path, sets).map_err(|e| Failure::Input(anyhow!(e)))
}

fn compare(
    runs: &[PathBuf],
    out: Option<PathBuf>,
    allow_different: bool,
    force: bool,
) -> Result<(), Failure> {
    let data = swabsim::compare::load_runs(runs, allow_different)
        .map_err(|e| Failure::Input(anyhow!(e)))?;
    let target = out.unwrap_or_else(|| PathBuf::from("output/compare"));
    let dir = RunDir::create(&target, force).map_err(dir_failure)?;
    dir.notes().iter().for_each(warn);
    swabsim::compare::write_compare(&dir, &data)
        .with_context(|| format!("cannot write the comparison in {}", target.display()))
        .map_err(Failure::Run)?;
    let path = dir.commit().map_err(dir_failure)?;
    say(format!("compared {} runs: {}", data.len(), path.display()))
}

fn validate(paths: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    for path in paths {
        match validate_one(path) {
            Ok(line) => say(line)?,
            Err(message) => {
                warn(format!("error: {message}"));
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Failure::Input(anyhow!(
            "{n} of {} files have problems",
            paths.len()
        ))),
    }
}

/// Prints the warnings of a loaded scenario to standard error.
fn show_warnings(loaded: &Loaded) {
    for w in &loaded.warnings {
        warn(format!("warning: {w}"));
    }
}

/// Checks one scenario or sweep file (a sweep is a file with a `[sweep]` table).
fn validate_one(path: &Path) -> Result<String, String> {
    let is_sweep = std::fs::read_to_string(path).is_ok_and(|text| {
        text.parse::<toml::Table>()
            .is_ok_and(|t| t.get("sweep").is_some_and(toml::Value::is_table))
    });
    if is_sweep {
        let s = swabsim::sweep::Sweep::load(path).map_err(|e| e.to_string())?;
        return Ok(format!(
            "ok: {} (sweep of {} variants × {} replications = {} points)",
            path.display(),
            s.variants.len(),
            s.replications,
            s.points()
        ));
    }
    let (loaded, m) = swabsim::load_path(path, &[]).map_err(|e| e.to_string())?;
    show_warnings(&loaded);
    Ok(format!(
        "ok: {} ({} areas, {} sites, {} residents, {} rounds)",
        path.display(),
        m.areas.len(),
        m.sites.len(),
        m.residents(),
        m.rounds.len()
    ))
}

fn sweep(args: crate::cli::SweepArgs) -> Result<(), Failure> {
    use swabsim::sweep::{self, Sweep};
    let sweep = Sweep::load(&args.sweep).map_err(|e| Failure::Input(anyhow!(e)))?;
    let target = args.out.clone().unwrap_or_else(|| match args.shard {
        Some(s) => {
            PathBuf::from("output").join(format!("{}-shard-{}-of-{}", sweep.name, s.index, s.count))
        }
        None => default_out_dir(&sweep.name),
    });
    let (_lock, notes) = report::prepare_in_place(&target, args.force, args.resume, Kind::Sweep)
        .map_err(|e| match e {
            RunDirError::Exists { path, notes } => Failure::Input(anyhow!(
                "{}{} already holds results; pass --resume to finish that sweep, --force to start again, or --out DIR to write elsewhere",
                notes.iter().map(|n| format!("{n}; ")).collect::<String>(),
                path.display()
            )),
            e => dir_failure(e),
        })?;
    notes.iter().for_each(warn);
    if args.resume {
        sweep::check_resume(&sweep, &target, args.shard).map_err(|e| Failure::Input(anyhow!(e)))?;
    }
    sweep::write_start(&sweep, &target, args.shard)
        .with_context(|| format!("cannot write {}", target.join("sweep.json").display()))
        .map_err(Failure::Run)?;
    let threads = args
        .jobs
        .map(usize::from)
        .or_else(|| std::env::var("SLURM_CPUS_PER_TASK").ok()?.parse().ok())
        .unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start worker threads: {e}")))?;
    let total = args.shard.map_or(sweep.points(), |s| {
        sweep.points().div_ceil(s.count as usize)
    });
    let bar = progress_bar(
        args.quiet,
        total as u64,
        &format!(
            "sweep points done (each {} replications)",
            sweep.replications
        ),
    );
    let tick = || bar.inc(1);
    let note = |line: String| bar.suspend(|| warn(format!("warning: {line}")));
    pool.install(|| sweep::run(&sweep, &target, args.shard, &tick, &note))
        .with_context(|| format!("the sweep in {} stopped", target.display()))
        .map_err(Failure::Run)?;
    bar.finish_and_clear();
    if !args.quiet {
        say(format!(
            "{}: {} variants × {} replications; results in {}",
            sweep.name,
            sweep.variants.len(),
            sweep.replications,
            target.display()
        ))?;
        if !sweep.targets.is_empty() && args.shard.is_none() {
            say(passing_variants(&sweep, &target.join("aggregate.csv")))?;
        }
    }
    Ok(())
}

/// The variants whose means meet every target, as read back from `aggregate.csv`.
fn passing_variants(sweep: &swabsim::sweep::Sweep, aggregate: &Path) -> String {
    let Ok(mut r) = csv::Reader::from_path(aggregate) else {
        return format!("  (cannot read {})", aggregate.display());
    };
    let Ok(header) = r.headers().cloned() else {
        return format!("  (cannot read {})", aggregate.display());
    };
    let meets = header.iter().position(|h| h == "meets_targets");
    let passing: Vec<String> = r
        .records()
        .filter_map(Result::ok)
        .filter(|row| meets.and_then(|i| row.get(i)) == Some("true"))
        .map(|row| {
            let values: Vec<String> = sweep
                .paths
                .iter()
                .enumerate()
                .map(|(k, p)| format!("{p}={}", row.get(k + 1).unwrap_or("?")))
                .collect();
            format!(
                "  variant {}: {}",
                row.get(0).unwrap_or("?"),
                values.join(", ")
            )
        })
        .collect();
    if passing.is_empty() {
        "no variant meets every target on the mean".to_string()
    } else {
        format!(
            "{} of {} variants meet every target on the mean:\n{}",
            passing.len(),
            sweep.variants.len(),
            passing.join("\n")
        )
    }
}

fn merge(shards: &[PathBuf], out: &Path, force: bool) -> Result<(), Failure> {
    let path = swabsim::sweep::merge(shards, out, force).map_err(|e| {
        if e.is_input() {
            Failure::Input(anyhow!(e))
        } else {
            Failure::Run(anyhow!(e))
        }
    })?;
    say(format!(
        "merged {} shards into {}",
        shards.len(),
        path.display()
    ))
}

/// When names the PNG charts draw (sites, teams, labs) have characters the shipped font lacks
/// (Chinese names), uses a system font that has them all, or warns that the PNG charts will
/// show boxes for them and how to fix it.
fn font_for_names(model: &Model, quiet: bool) {
    use swabsim::report::fonts;
    let names = || {
        let sites = model.sites.iter().map(|s| s.name.as_str());
        let teams = model.teams.iter().map(|t| t.name.as_str());
        sites
            .chain(teams)
            .chain(model.labs.iter().map(|l| l.name.as_str()))
    };
    let missing = fonts::missing_glyphs(fonts::SHIPPED, names());
    if missing.is_empty() {
        return;
    }
    let example = names()
        .find(|n| n.chars().any(|c| missing.contains(&c)))
        .unwrap_or_default()
        .to_string();
    match fonts::system_font_for(&missing) {
        Some((family, bytes)) => {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            match swabsim::report::charts::use_font(bytes) {
                Ok(()) if !quiet => warn(format!(
                    "note: PNG charts draw names such as `{example}` with the system font {family}"
                )),
                Ok(()) => {}
                Err(why) => warn(format!(
                    "warning: the system font {family} cannot be used ({why}); PNG charts show boxes for the characters of `{example}` that DejaVu Sans lacks; pass --font FILE with a CJK font"
                )),
            }
        }
        None => warn(format!(
            "warning: no font on this machine has the characters {} of `{example}`: PNG charts show boxes for them (SVG charts and the page are fine); pass --font FILE with a CJK TrueType/OpenType font, e.g. Noto Sans CJK",
            missing.iter().take(8).collect::<String>()
        )),
    }
}

/// Registers a user's font for PNG text; a file that is not a font is an input error.
fn load_font(path: Option<&Path>) -> Result<(), Failure> {
    let Some(path) = path else { return Ok(()) };
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the font {}", path.display()))
        .map_err(Failure::Input)?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    swabsim::report::charts::use_font(bytes).map_err(|why| {
        Failure::Input(anyhow!(
            "{}: {why}; give a .ttf or .otf file, e.g. a CJK font",
            path.display()
        ))
    })
}

fn plan(args: PlanArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let plan = swabsim::plan::Plan::load(&args.plan, &args.scenario)
        .map_err(|e| Failure::Input(anyhow!(e)))?;
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&plan.name));
    let dir = RunDir::create(&target, args.force).map_err(dir_failure)?;
    dir.notes().iter().for_each(warn);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start worker threads: {e}")))?;
    let outcome = pool
        .install(|| swabsim::plan::search::search(&plan, !args.no_target_costs))
        .map_err(|e| Failure::Run(anyhow!(e)))?;
    let (_, model) = swabsim::load_str(
        &plan.scenario_file,
        &plan.scenario_text,
        &plan.sets(&plan.top()),
    )
    .map_err(|e| Failure::Input(anyhow!(e)))?;
    let sites: Vec<String> = model.sites.iter().map(|s| s.name.clone()).collect();
    let path = dir.path().to_path_buf();
    let mut files =
        swabsim::plan::output::write_all(&path, &plan, &outcome, &model.targets, &sites)
            .with_context(|| format!("cannot write the plan to {}", target.display()))
            .map_err(Failure::Run)?;
    files.push("manifest.json".into());
    let manifest = serde_json::json!({
        "swabsim_version": env!("CARGO_PKG_VERSION"),
        "kind": "plan",
        "scenario_file": plan.scenario_file,
        "plan_file": plan.file,
        "evaluations": outcome.evaluations,
        "steps": outcome.steps.len(),
        "threads": pool.current_num_threads(),
        "wall_time_s": started.elapsed().as_secs_f64(),
        "files": files,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| Failure::Run(anyhow!(e)))?;
    std::fs::write(path.join("manifest.json"), text + "\n")
        .context("cannot write manifest.json")
        .map_err(Failure::Run)?;
    dir.commit().map_err(dir_failure)?;
    if !args.quiet {
        say(swabsim::plan::output::answer_text(
            &plan,
            &outcome,
            &model.targets,
            &sites,
        ))?;
        say(format!(
            "  results          {} ({:.1} s)",
            target.display(),
            started.elapsed().as_secs_f64()
        ))?;
    }
    if args.exhaustive {
        let grid_started = Instant::now();
        let (cheapest, all) = pool
            .install(|| swabsim::plan::search::exhaustive(&plan))
            .map_err(|e| Failure::Input(anyhow!(e)))?;
        let found = outcome.best.as_ref().map(|b| (&b.values, b.cost));
        let grid = cheapest.as_ref().map(|b| (&b.values, b.cost));
        let verdict = match (found, grid) {
            (Some((a, ca)), Some((b, cb))) if a == b || ca == cb => {
                format!(
                    "the search found it (cost {})",
                    swabsim::report::fmt_real(ca)
                )
            }
            (Some((_, ca)), Some((b, cb))) => format!(
                "the search's plan costs {}, the grid's cheapest {} ({b:?})",
                swabsim::report::fmt_real(ca),
                swabsim::report::fmt_real(cb)
            ),
            (None, None) => "neither finds a feasible plan".to_string(),
            (a, b) => format!("search {a:?}, grid {b:?}"),
        };
        say(format!(
            "exhaustive grid: {} candidates judged in {:.1} s; cheapest feasible: {verdict}",
            all.len(),
            grid_started.elapsed().as_secs_f64()
        ))?;
    }
    Ok(())
}

pub(crate) fn run_scenario(args: RunArgs) -> Result<(), Failure> {
    let started = Instant::now();
    load_font(args.font.as_deref())?;
    let (loaded, mut model) = load_model(&args.scenario, &args.sets)?;
    let loaded_s = started.elapsed().as_secs_f64();
    show_warnings(&loaded);
    if args.font.is_none() {
        font_for_names(&model, args.quiet);
    }
    if let Some(seed) = args.seed {
        model.seed = seed;
    }
    let too_big = swabsim::model::size::check(&model, args.replications, &loaded.file);
    if !too_big.is_empty() {
        return Err(Failure::Input(anyhow!(loaded.source.locate(too_big))));
    }
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name));
    let dir = RunDir::create(&target, args.force).map_err(dir_failure)?;
    dir.notes().iter().for_each(warn);
    let threads = args.jobs.map_or(0, usize::from);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start worker threads: {e}")))?;
    let steps = model.horizon.0.div_ceil(model.report_every.0).max(1);
    // It counts simulated time, in reporting steps of every replication: "37/224 steps of
    // 15min simulated (4 replications × 14h)".
    let bar = progress_bar(
        args.quiet,
        steps * u64::from(args.replications),
        &format!(
            "steps of {} simulated ({} replication{} × {})",
            model.report_every,
            args.replications,
            if args.replications == 1 { "" } else { "s" },
            swabsim::time::SimDuration(model.horizon.0)
        ),
    );
    let ticks = AtomicU64::new(0);
    let tick = || {
        let n = ticks.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(16) {
            bar.set_position(n);
        }
    };
    let reps = pool
        .install(|| {
            let granularity = args
                .partitions
                .map_or(swabsim::engine::Granularity::Auto, |p| p.0);
            runner::run_all_with(&model, args.replications, args.trace, &tick, granularity)
        })
        .map_err(|e| Failure::Run(anyhow!(e)))?;
    bar.finish_and_clear();
    let threads = pool.current_num_threads();
    let mut manifest = manifest(&args, &loaded, &model, &reps, threads);
    manifest.phases = serde_json::json!({
        "load_s": loaded_s,
        "simulate_s": started.elapsed().as_secs_f64() - loaded_s,
    });
    // Written by the threads that ran the simulation: the memory they freed is reused (the
    // allocator keeps a thread's freed memory for that thread, so writing on other threads
    // would add to the peak).
    pool.install(|| write_run(dir, &model, &reps, manifest, started))?;
    if !args.quiet {
        say(summary_text(&model, &reps, &target))?;
    }
    Ok(())
}

fn progress_bar(quiet: bool, total: u64, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!(
        "{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {what}, {{elapsed}} so far, about {{eta}} to go"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn manifest(
    args: &RunArgs,
    loaded: &Loaded,
    model: &Model,
    reps: &[Replication],
    threads: usize,
) -> Manifest {
    Manifest {
        swabsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: args.scenario.display().to_string(),
        scenario_sha256: loaded.source.sha256.clone(),
        sets: args
            .sets
            .iter()
            .map(|s| format!("{}={}", s.path, s.value))
            .collect(),
        effective_scenario: loaded.source.text.clone(),
        name: model.name.clone(),
        seed: model.seed,
        replications: args.replications,
        events_processed: reps.iter().map(|r| r.events).collect(),
        peak_people: reps.iter().map(|r| r.peak_people).collect(),
        peak_tubes: reps.iter().map(|r| r.peak_tubes).collect(),
        wall_time_s: 0.0,
        phases: serde_json::Value::Null,
        runs: reps
            .iter()
            .map(|r| {
                let i = &r.info;
                serde_json::json!({
                    "partitions": i.partitions,
                    "lanes": i.lanes,
                    "stages": i.stages,
                    "windows": i.windows,
                    "events": i.events,
                    "critical_events": i.critical_events,
                    "parallelism": i.parallelism(),
                    "peak_queue": i.peak_queue,
                    "work_s": i.work_s,
                    "critical_s": i.critical_s,
                    "barrier_s": i.barrier_s,
                    "setup_s": i.setup_s,
                    "windows_s": i.windows_s,
                    "finish_s": i.finish_s,
                    "merge_s": i.merge_s,
                })
            })
            .collect(),
        threads,
        files: Vec::new(),
    }
}

/// Writes the tables, charts and page, then the manifest (whose wall time covers the whole
/// command up to that moment), then moves the directory into place.
fn write_run(
    dir: RunDir,
    model: &Model,
    reps: &[Replication],
    mut manifest: Manifest,
    started: Instant,
) -> Result<PathBuf, Failure> {
    let path = dir.path().to_path_buf();
    let mut files = report::write_tables(&path, model, reps)
        .with_context(|| format!("cannot write the results for {}", dir.target().display()))
        .map_err(Failure::Run)?;
    files.push("manifest.json".into());
    manifest.files = files;
    manifest.wall_time_s = started.elapsed().as_secs_f64();
    report::write_manifest(&path, &manifest)
        .context("cannot write manifest.json")
        .map_err(Failure::Run)?;
    dir.commit().map_err(dir_failure)
}

/// The summary printed after a run.
fn summary_text(model: &Model, reps: &[Replication], target: &Path) -> String {
    let show = |name: &str, unit: &str, digits: usize| {
        let (m, h, n) = runner::summary_mean(reps, name);
        if n == 0 {
            return "not reached".to_string();
        }
        let missing = if n < reps.len() {
            format!(" (reached in {n} of {} replications)", reps.len())
        } else {
            String::new()
        };
        if h.is_finite() {
            format!("{m:.digits$} ± {h:.digits$}{unit}{missing}")
        } else {
            format!("{m:.digits$}{unit}{missing}")
        }
    };
    let r = reps.len();
    let mut lines = vec![
        format!(
            "{} — {} replication{}, seed {}",
            model.title,
            r,
            if r == 1 { "" } else { "s (mean ± 95% CI)" },
            model.seed
        ),
        format!(
            "  residents        {} × {} rounds",
            model.residents(),
            model.rounds.len()
        ),
        format!("  tested           {}", show("tested", " at sites", 0)),
    ];
    let homes = model
        .teams
        .iter()
        .any(|t| matches!(t.place, swabsim::model::Place::Homes(_)));
    if homes {
        lines.push(format!(
            "                   {}",
            show("tested_at_home", " at home", 0)
        ));
    }
    if let Some(deadline) = model.deadline {
        lines.push(format!(
            "  by the deadline  {} of residents tested within {} h of each round's start (slowest round)",
            show("coverage_at_deadline", "", 4),
            swabsim::report::fmt_real(deadline.0 as f64 / swabsim::time::HOUR as f64)
        ));
    }
    lines.push(format!("  coverage         {}", show("coverage", "", 4)));
    if let Some(cap) = model.turnout_cap().filter(|c| *c < 1.0) {
        lines.push(format!(
            "                   about {cap:.4} expected: the share who come when called or are visited at home (turnout)"
        ));
    }
    lines.extend([
        format!(
            "  hours to 95%     {}",
            show("hours_to_95pct", " h (slowest round)", 2)
        ),
        format!("  wait p95         {}", show("wait_p95_min", " min", 1)),
        format!("  longest queue    {}", show("longest_queue", " people", 0)),
        format!("  gave up          {}", show("gave_up", "", 0)),
    ]);
    if !model.labs.is_empty() {
        lines.extend([
            format!("  tubes            {}", show("tubes", "", 0)),
            format!(
                "  result p95       {}",
                show("turnaround_p95_h", " h after the swab", 1)
            ),
            format!(
                "  no result yet    {}",
                show("swabs_pending", " swabs at the end", 0)
            ),
            format!("  positives found  {}", show("positives_found", "", 0)),
        ]);
    }
    lines.extend(target_lines(model, reps));
    lines.push(format!("  results          {}", target.display()));
    lines.join("\n")
}

/// The targets, one line each: met or missed, and the worst site or round where they are taken
/// at several.
fn target_lines(model: &Model, reps: &[Replication]) -> Vec<String> {
    if model.targets.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = model.sites.iter().map(|s| s.name.clone()).collect();
    let judged = swabsim::report::judge_targets(model, reps);
    let mut lines = vec![if reps.len() > 1 {
        "  targets (one-sided 95% confidence bound of the replication mean):".to_string()
    } else {
        "  targets (one replication: judged on its value, without a confidence bound):".to_string()
    }];
    for (k, t) in model.targets.iter().enumerate() {
        let Some(worst) = swabsim::targets::worst(&judged, k) else {
            continue;
        };
        let status = swabsim::targets::status_of(&judged, k);
        let several = judged.iter().filter(|j| j.target == k).count() > 1;
        let value = if worst.mean.is_infinite() {
            "not reached in every replication".to_string()
        } else if worst.half.is_finite() {
            format!(
                "{} ± {}",
                swabsim::report::fmt_real(worst.mean),
                swabsim::report::fmt_real(worst.half)
            )
        } else {
            swabsim::report::fmt_real(worst.mean)
        };
        let at = if several {
            format!(" (worst: {})", worst.at)
        } else {
            String::new()
        };
        lines.push(format!(
            "    {:<9} {}: {value}{at}",
            status.name(),
            t.label(&names)
        ));
    }
    lines
}
