//! The command line, parsed with clap. Only parsing lives here; `app` does the work.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use swabsim::scenario::SetOverride;

/// swabsim: simulate a mass-testing round (call-ups, walks, queues, desks) event by event and
/// write CSV results.
#[derive(Debug, Parser)]
#[command(name = "swabsim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Two examples at the end of each subcommand's `--help`, runnable from the repository in this
/// order (init, run, compare, sweep, merge, plan, validate, completions, man, schema): a test
/// runs them.
pub const EXAMPLES: [(&str, [&str; 2]); 11] = [
    (
        "init",
        [
            "swabsim init my-round.toml",
            "swabsim init district.toml --residents 120000 --buildings 576 --points 48 --desks 4 --machines 0",
        ],
    ),
    (
        "run",
        [
            "swabsim run scenarios/dongyuegong.toml -r 4",
            "swabsim run scenarios/dongyuegong.toml -r 4 --set 'site.point-{i}.desks=5' --out output/five-desks",
        ],
    ),
    (
        "compare",
        [
            "swabsim compare output/dongyuegong output/five-desks --out output/four-vs-five",
            "swabsim compare output/dongyuegong output/five-desks --out output/four-vs-five --force",
        ],
    ),
    (
        "sweep",
        [
            "swabsim sweep sweeps/desks-and-crews.toml --shard 0/2 --out shards/0",
            "swabsim sweep sweeps/desks-and-crews.toml --shard 1/2 --out shards/1",
        ],
    ),
    (
        "merge",
        [
            "swabsim merge shards/0 shards/1 --out output/desks-and-crews",
            "swabsim merge shards/0 shards/1 --out output/desks-and-crews --force",
        ],
    ),
    (
        "plan",
        [
            "swabsim plan scenarios/dongyuegong.toml plans/dongyuegong.toml",
            "swabsim plan scenarios/dongyuegong.toml plans/dongyuegong.toml --no-target-costs --out output/plan-quick",
        ],
    ),
    (
        "validate",
        [
            "swabsim validate scenarios/dongyuegong.toml",
            "swabsim validate scenarios/*.toml sweeps/*.toml",
        ],
    ),
    (
        "completions",
        [
            "swabsim completions bash > ~/.local/share/bash-completion/completions/swabsim",
            "swabsim completions zsh",
        ],
    ),
    ("man", ["swabsim man > swabsim.1", "swabsim man run"]),
    (
        "schema",
        [
            "swabsim schema > scenario.schema.json",
            "swabsim schema sweep > sweep.schema.json",
        ],
    ),
    (
        "serve",
        [
            "swabsim serve scenarios/dongyuegong.toml",
            "swabsim serve scenarios/lingling.toml -r 2 --port 8081",
        ],
    ),
];

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its results to a run directory.
    Run(RunArgs),
    /// Run a sweep: every variant of a scenario over many replications, in parallel.
    Sweep(SweepArgs),
    /// Join the shard directories of one sweep into the files an unsharded sweep writes.
    Merge {
        /// Shard directories written by `swabsim sweep --shard I/N`.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Directory to write.
        #[arg(long, value_name = "DIR", required = true)]
        out: PathBuf,
        /// Replace an existing directory.
        #[arg(long)]
        force: bool,
    },
    /// Set run directories side by side: key figures, differences and overlaid charts.
    Compare {
        /// Run directories written by `swabsim run` (the first is the baseline).
        #[arg(required = true, num_args = 2..)]
        runs: Vec<PathBuf>,
        /// Directory to write [default: output/compare].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Compare runs of different scenarios.
        #[arg(long)]
        allow_different: bool,
        /// Replace an existing comparison directory.
        #[arg(long)]
        force: bool,
        /// A TrueType/OpenType font for text in PNG charts.
        #[arg(long, value_name = "FILE")]
        font: Option<PathBuf>,
    },
    /// Find the cheapest staffing that meets the scenario's targets with confidence.
    Plan(PlanArgs),
    /// Check scenario files and list every problem with file:line:column.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Write a commented starter scenario from a few numbers (it never overwrites a file).
    Init {
        /// The scenario file to write, e.g. my-round.toml.
        file: PathBuf,
        /// Residents to test in one round.
        #[arg(long, default_value_t = 13_300)]
        residents: u32,
        /// Buildings (or compounds) they live in, called one after another.
        #[arg(long, default_value_t = 100)]
        buildings: u32,
        /// Sampling points.
        #[arg(long, default_value_t = 5)]
        points: u32,
        /// Desks per point.
        #[arg(long, default_value_t = 4)]
        desks: u32,
        /// Hours from the start by which the round should be done.
        #[arg(long, value_name = "HOURS", default_value_t = 24)]
        deadline: u32,
        /// Swabs per tube (1 = single tubes; 5, 10 and 20 are validated).
        #[arg(long, default_value_t = 10)]
        pool: u32,
        /// PCR machines of the one lab (0: no lab and no couriers).
        #[arg(long, default_value_t = 8)]
        machines: u32,
    },
    /// Print a completion script for your shell to standard output.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of swabsim, or of one subcommand, to standard output.
    Man {
        /// A subcommand, e.g. run.
        command: Option<String>,
    },
    /// Open a what-if page on this machine: change desks, staff, hours, pooling, couriers or lab
    /// machines and see the round rerun.
    Serve(ServeArgs),
    /// Print the JSON Schema of a file format, for editors that complete and check TOML.
    Schema {
        /// The format.
        #[arg(value_enum, default_value_t = swabsim::scenario::schema::Format::Scenario)]
        format: swabsim::scenario::schema::Format,
    },
}

/// The command line with each subcommand's examples at the end of its `--help`.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for (name, [a, b]) in EXAMPLES {
        cmd = cmd.mut_subcommand(name, |c| c.after_help(format!("Examples:\n  {a}\n  {b}")));
    }
    cmd
}

/// Options of `swabsim serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The scenario file (TOML), e.g. scenarios/dongyuegong.toml.
    pub scenario: PathBuf,
    /// Replications of every rerun (figures are their mean, as in `swabsim run -r`).
    #[arg(long, short = 'r', value_name = "R", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub replications: u32,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. Only this machine can reach the default.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Allow an address other machines can reach (the page has no login).
    #[arg(long)]
    pub allow_remote: bool,
}

/// Options of `swabsim plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The scenario (TOML), with its [[target]]s, e.g. scenarios/dongyuegong.toml.
    pub scenario: PathBuf,
    /// The plan file (TOML): decisions, bounds, unit costs, e.g. plans/dongyuegong.toml.
    pub plan: PathBuf,
    /// Directory to write [default: output/<plan name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an existing plan directory (one swabsim wrote).
    #[arg(long)]
    pub force: bool,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Skip the search without each target in turn (the "cost without it" column).
    #[arg(long)]
    pub no_target_costs: bool,
    /// Also judge every combination of the decisions' values (at most 100,000) by the same
    /// rule, and say whether the search found the grid's cheapest feasible plan.
    #[arg(long)]
    pub exhaustive: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Options of `swabsim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The sweep file (TOML), e.g. sweeps/desks-and-crews.toml.
    pub sweep: PathBuf,
    /// Directory to write [default: output/<sweep name>, or output/<name>-shard-I-of-N].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores, or SLURM_CPUS_PER_TASK]. Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Run only shard I of N (points whose number modulo N is I), e.g. --shard 3/16.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<swabsim::sweep::Shard>,
    /// Finish an interrupted sweep in its directory: only the missing points run.
    #[arg(long)]
    pub resume: bool,
    /// Start again in a directory that holds results.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Options of `swabsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML), e.g. scenarios/dongyuegong.toml.
    pub scenario: PathBuf,

    /// Run directory to write [default: output/<scenario name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Master seed of every random stream [default: the scenario's `seed`].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Independent replications; with more than one, summary.csv gets a mean row and 95%
    /// confidence-interval columns.
    #[arg(long, short = 'r', value_name = "R", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub replications: u32,

    /// Override a scenario value, e.g. --set site.east-gate.desks=6 (repeatable; the same paths
    /// a sweep uses: tables by key, [[area]] and [[site]] entries by name).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<SetOverride>,

    /// Also write trace.csv, one row per person (memory grows with the population).
    #[arg(long)]
    pub trace: bool,

    /// Replace an existing run directory.
    #[arg(long)]
    pub force: bool,

    /// Worker threads for replications [default: all cores]. Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// No progress bar and no summary on the terminal.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// A TrueType/OpenType font for text in PNG charts, e.g. a CJK font for Chinese site names
    /// [default: the DejaVu Sans shipped with swabsim, and for names it has no glyphs for a
    /// system font that has them].
    #[arg(long, value_name = "FILE")]
    pub font: Option<PathBuf>,

    /// How finely one run is split to use several cores: a number of partitions, `one`, or
    /// `finest` [default: auto, groups of at least 25,000 residents, at most 4,096 partitions].
    /// Results are the same for every value; only the speed changes (docs/engine.md).
    #[arg(long, value_name = "N|one|finest")]
    pub partitions: Option<PartitionsArg>,
}

/// The `--partitions` value.
#[derive(Debug, Clone, Copy)]
pub struct PartitionsArg(pub swabsim::engine::Granularity);

impl std::str::FromStr for PartitionsArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use swabsim::engine::Granularity;
        match s {
            "one" => Ok(PartitionsArg(Granularity::One)),
            "finest" => Ok(PartitionsArg(Granularity::Finest)),
            "auto" => Ok(PartitionsArg(Granularity::Auto)),
            n => match n.parse::<usize>() {
                Ok(k) if k >= 1 => Ok(PartitionsArg(Granularity::Parts(k))),
                _ => Err(format!(
                    "`{s}` is not a number of partitions (1 or more), `one`, `finest` or `auto`"
                )),
            },
        }
    }
}
