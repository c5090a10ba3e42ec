//! Wiring of the commands: scenario → model → runner → report. The only place for `anyhow`,
//! printing and exit codes (0 success, 1 wrong input, 2 usage (clap), 3 a run failed).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::cli::{Cli, Command, RunArgs};
use swabsim::model::Model;
use swabsim::report::{self, Manifest, RunDir, RunDirError};
use swabsim::runner::{self, Replication, mean_ci95};
use swabsim::scenario::{self, Loaded, default_out_dir};

/// A failed command, by kind.
pub enum Failure {
    /// The input is wrong: exit code 1.
    Input(anyhow::Error),
    /// The run failed: exit code 3.
    Run(anyhow::Error),
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 1,
            Failure::Run(_) => 3,
        }
    }

    /// The message with its chain of causes.
    pub fn message(&self) -> String {
        let (Failure::Input(e) | Failure::Run(e)) = self;
        format!("{e:#}")
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run_scenario(args),
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Sweep(args) => sweep(args),
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
    }
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
    let dir = RunDir::create(&target, force).map_err(|e| match e {
        RunDirError::Exists(_) => Failure::Input(anyhow!(e)),
        RunDirError::Io { .. } => Failure::Run(anyhow!(e)),
    })?;
    swabsim::compare::write_compare(&dir, &data)
        .with_context(|| format!("cannot write the comparison in {}", target.display()))
        .map_err(Failure::Run)?;
    let path = dir.commit().map_err(|e| Failure::Run(anyhow!(e)))?;
    println!("compared {} runs: {}", data.len(), path.display());
    Ok(())
}

fn validate(paths: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    for path in paths {
        match load_model(path, &[]) {
            Ok((_, m)) => println!(
                "ok: {} ({} areas, {} sites, {} residents, {} rounds)",
                path.display(),
                m.areas.len(),
                m.sites.len(),
                m.residents(),
                m.rounds.len()
            ),
            Err(f) => {
                eprintln!("error: {}", f.message());
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(Failure::Input(anyhow!(
            "{n} of {} scenario files have problems",
            paths.len()
        ))),
    }
}

fn sweep(args: crate::cli::SweepArgs) -> Result<(), Failure> {
    let sweep = swabsim::sweep::Sweep::load(&args.sweep).map_err(|e| Failure::Input(anyhow!(e)))?;
    let target = args.out.clone().unwrap_or_else(|| match args.shard {
        Some(s) => {
            PathBuf::from("output").join(format!("{}-shard-{}-of-{}", sweep.name, s.index, s.count))
        }
        None => default_out_dir(&sweep.name),
    });
    let occupied = std::fs::read_dir(&target).is_ok_and(|mut d| d.next().is_some());
    if occupied && !args.resume {
        if !args.force {
            return Err(Failure::Input(anyhow!(
                "{} already holds results; pass --resume to finish that sweep, --force to start again, or --out DIR",
                target.display()
            )));
        }
        std::fs::remove_dir_all(&target)
            .with_context(|| format!("cannot clear {}", target.display()))
            .map_err(Failure::Run)?;
    }
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
    let bar = progress_bar(args.quiet, total as u64);
    let tick = || bar.inc(1);
    pool.install(|| swabsim::sweep::run(&sweep, &target, args.shard, &tick))
        .with_context(|| format!("the sweep in {} stopped", target.display()))
        .map_err(Failure::Run)?;
    bar.finish_and_clear();
    if !args.quiet {
        println!(
            "{}: {} variants × {} replications; results in {}",
            sweep.name,
            sweep.variants.len(),
            sweep.replications,
            target.display()
        );
    }
    Ok(())
}

fn merge(shards: &[PathBuf], out: &Path, force: bool) -> Result<(), Failure> {
    let occupied = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if occupied && !force {
        return Err(Failure::Input(anyhow!(
            "{} already holds results; pass --force to replace them",
            out.display()
        )));
    }
    if occupied {
        std::fs::remove_dir_all(out)
            .with_context(|| format!("cannot clear {}", out.display()))
            .map_err(Failure::Run)?;
    }
    swabsim::sweep::merge(shards, out).map_err(Failure::Input)?;
    println!("merged {} shards into {}", shards.len(), out.display());
    Ok(())
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

fn run_scenario(args: RunArgs) -> Result<(), Failure> {
    load_font(args.font.as_deref())?;
    let (loaded, mut model) = load_model(&args.scenario, &args.sets)?;
    if let Some(seed) = args.seed {
        model.seed = seed;
    }
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&model.name));
    let dir = RunDir::create(&target, args.force).map_err(|e| match e {
        RunDirError::Exists(_) => Failure::Input(anyhow!(e)),
        RunDirError::Io { .. } => Failure::Run(anyhow!(e)),
    })?;
    let threads = args.jobs.map_or(0, usize::from);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Run(anyhow!("cannot start worker threads: {e}")))?;
    let steps = model.horizon.0.div_ceil(model.report_every.0).max(1);
    let bar = progress_bar(args.quiet, steps * u64::from(args.replications));
    let ticks = AtomicU64::new(0);
    let tick = || {
        let n = ticks.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 16 == 0 {
            bar.set_position(n);
        }
    };
    let started = Instant::now();
    let reps = pool
        .install(|| runner::run_all(&model, args.replications, args.trace, &tick))
        .map_err(|e| Failure::Run(anyhow!(e)))?;
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let manifest = manifest(
        &args,
        &loaded,
        &model,
        &reps,
        wall,
        pool.current_num_threads(),
    )?;
    write_run(dir, &model, &reps, manifest).map_err(Failure::Run)?;
    if !args.quiet {
        print_summary(&model, &reps, &target);
    }
    Ok(())
}

fn progress_bar(quiet: bool, total: u64) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} simulating [{bar:30}] {pos}/{len} ({per_sec}) {elapsed}, eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn manifest(
    args: &RunArgs,
    loaded: &Loaded,
    model: &Model,
    reps: &[Replication],
    wall: f64,
    threads: usize,
) -> Result<Manifest, Failure> {
    let bytes = std::fs::read(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))
        .map_err(Failure::Input)?;
    let hash = Sha256::digest(&bytes);
    Ok(Manifest {
        swabsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: args.scenario.display().to_string(),
        scenario_sha256: hash.iter().map(|b| format!("{b:02x}")).collect(),
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
        wall_time_s: wall,
        threads,
        files: Vec::new(),
    })
}

fn write_run(
    dir: RunDir,
    model: &Model,
    reps: &[Replication],
    mut manifest: Manifest,
) -> anyhow::Result<PathBuf> {
    let path = dir.path().to_path_buf();
    let mut files = report::write_tables(&path, model, reps)
        .with_context(|| format!("cannot write the results for {}", dir.target().display()))?;
    files.push("manifest.json".into());
    manifest.files = files;
    report::write_manifest(&path, &manifest).context("cannot write manifest.json")?;
    Ok(dir.commit()?)
}

fn print_summary(model: &Model, reps: &[Replication], target: &Path) {
    let fig = |name: &str| {
        let xs: Vec<f64> = reps
            .iter()
            .map(|r| runner::cell(&r.figures.summary, name))
            .filter(|x| x.is_finite())
            .collect();
        let (m, h) = mean_ci95(&xs);
        (m, h, xs.len())
    };
    let show = |name: &str, unit: &str, digits: usize| {
        let (m, h, n) = fig(name);
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
    println!(
        "{} — {} replication{}, seed {}",
        model.title,
        r,
        if r == 1 { "" } else { "s (mean ± 95% CI)" },
        model.seed
    );
    println!(
        "  residents        {} × {} rounds",
        model.residents(),
        model.rounds.len()
    );
    println!("  tested           {}", show("tested", " at sites", 0));
    let homes = model
        .teams
        .iter()
        .any(|t| matches!(t.place, swabsim::model::Place::Homes(_)));
    if homes {
        println!(
            "                   {}",
            show("tested_at_home", " at home", 0)
        );
    }
    println!("  coverage         {}", show("coverage", "", 4));
    println!(
        "  hours to 95%     {}",
        show("hours_to_95pct", " h (slowest round)", 2)
    );
    println!("  wait p95         {}", show("wait_p95_min", " min", 1));
    println!("  longest queue    {}", show("longest_queue", " people", 0));
    println!("  gave up          {}", show("gave_up", "", 0));
    if !model.labs.is_empty() {
        println!("  tubes            {}", show("tubes", "", 0));
        println!(
            "  result p95       {}",
            show("turnaround_p95_h", " h after the swab", 1)
        );
        println!("  positives found  {}", show("positives_found", "", 0));
    }
    println!("  results          {}", target.display());
}
