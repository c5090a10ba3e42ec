//! The fuzz harness: mutated scenario and sweep text through load, validation and a short run.
//!
//! Shared by the deterministic pass in `cargo test`, the long pass CI runs in release
//! (`SWABSIM_FUZZ_EXECS`), and the cargo-fuzz target in `fuzz/`. A finding is a panic, a run
//! whose books do not balance, an accepted file that the size estimate says is beyond the bounds,
//! or an execution slower than [`SLOW`].

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// An execution slower than this is a finding (a hang).
pub const SLOW: Duration = Duration::from_secs(10);

/// Longest simulated time of a fuzz run; runs above [`MAX_EVENTS`] estimated events are only
/// validated, so that one execution stays in milliseconds.
const MAX_HOURS: u64 = 30;
const MAX_EVENTS: f64 = 400_000.0;

/// The repository's root, whether this file is built by the tests or by `fuzz/`.
fn repo_root() -> std::path::PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.ends_with("fuzz") {
        here.parent().unwrap_or(here).to_path_buf()
    } else {
        here.to_path_buf()
    }
}

/// The seed corpus: every scenario and sweep shipped, and the test scenarios.
pub fn corpus() -> Vec<(&'static str, String)> {
    let root = repo_root();
    let mut out = Vec::new();
    for dir in ["scenarios", "sweeps", "tests/fuzz-corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|x| x == "toml") {
                let kind = if dir == "sweeps" { "sweep" } else { "scenario" };
                out.push((kind, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    out
}

const NUMBERS: [&str; 14] = [
    "0",
    "1",
    "-1",
    "2",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "0.5",
    "1e-300",
    "-0",
];
const DURATIONS: [&str; 12] = [
    "\"0s\"",
    "\"1ms\"",
    "\"1s\"",
    "\"99999999h\"",
    "\"-1h\"",
    "\"1e9d\"",
    "\"\"",
    "\"h\"",
    "\"1h30\"",
    "\"25:00\"",
    "\"366d\"",
    "\"1.5min\"",
];
const NAMES: [&str; 9] = [
    "\"\"",
    "\"../x\"",
    "\"a{i}\"",
    "\"{i/0}\"",
    "\"x.y\"",
    "\"东岳宫\"",
    "\"=SUM(1)\"",
    "\"a\\u0000b\"",
    "\"point-{i}\"",
];
const LINES: [&str; 10] = [
    "[[site]]",
    "[[area]]",
    "[[rota]]",
    "[[team]]",
    "[[route]]",
    "[[lab]]",
    "[scenario]",
    "count = 3",
    "days = [1, 2]",
    "x = { dist = \"erlang\", k = 1000000, mean = \"1s\" }",
];

/// One mutation of `text`, drawn from `rng`.
pub fn mutate(text: &str, other: &str, rng: &mut Pcg64Mcg) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let k = rng.random_range(0..lines.len());
    match rng.random_range(0..11) {
        0 => {
            // A number replaced by an extreme one.
            let l = &lines[k];
            if let Some(pos) = l.find(|c: char| c.is_ascii_digit()) {
                let end = l[pos..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e'))
                    .map_or(l.len(), |e| pos + e);
                let n = NUMBERS[rng.random_range(0..NUMBERS.len())];
                lines[k] = format!("{}{n}{}", &l[..pos], &l[end..]);
            }
        }
        1 => {
            // A quoted value replaced by an odd duration.
            replace_quoted(
                &mut lines[k],
                DURATIONS[rng.random_range(0..DURATIONS.len())],
            );
        }
        2 => replace_quoted(&mut lines[k], NAMES[rng.random_range(0..NAMES.len())]),
        3 => {
            lines.remove(k);
        }
        4 => {
            let l = lines[k].clone();
            lines.insert(k, l);
        }
        5 => {
            let j = rng.random_range(0..lines.len());
            lines.swap(k, j);
        }
        6 => lines.insert(k, LINES[rng.random_range(0..LINES.len())].to_string()),
        7 => {
            // Splice: a run of lines from another file.
            let o: Vec<&str> = other.lines().collect();
            if !o.is_empty() {
                let a = rng.random_range(0..o.len());
                let b = (a + rng.random_range(1..12)).min(o.len());
                for (i, l) in o[a..b].iter().enumerate() {
                    lines.insert((k + i).min(lines.len()), l.to_string());
                }
            }
        }
        8 => {
            // A value's type changed.
            if let Some((key, _)) = lines[k].split_once(" = ") {
                let v =
                    ["[]", "{}", "true", "\"x\"", "[1, 2]", "{ a = 1 }"][rng.random_range(0..6)];
                lines[k] = format!("{key} = {v}");
            }
        }
        9 => {
            // A key misspelt.
            let l = &mut lines[k];
            if let Some(eq) = l.find(" = ")
                && eq > 1
            {
                let at = rng.random_range(0..eq);
                if l.is_char_boundary(at) && l.is_char_boundary(at + 1) {
                    l.replace_range(at..at + 1, "z");
                }
            }
        }
        _ => {
            // Raw bytes: a flip, an insertion or a deletion (kept as UTF-8).
            let mut bytes = lines.join("\n").into_bytes();
            if !bytes.is_empty() {
                let at = rng.random_range(0..bytes.len());
                match rng.random_range(0..3) {
                    0 => bytes[at] ^= 1 << rng.random_range(0..7),
                    1 => bytes.insert(at, b"={}[]\"#\n,.\\"[rng.random_range(0..11)]),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    lines.join("\n") + "\n"
}

fn replace_quoted(line: &mut String, with: &str) {
    if let Some(a) = line.find('"')
        && let Some(b) = line[a + 1..].find('"')
    {
        line.replace_range(a..a + b + 2, with);
    }
}

/// What one execution found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Refused with located problems.
    Refused,
    /// Accepted and validated only (too large to run quickly).
    Validated,
    /// Accepted and run; the books balanced.
    Ran,
}

/// Loads, validates and (when small) runs one scenario text; `Err` is a finding.
pub fn check_scenario(text: &str) -> Result<Outcome, String> {
    let loaded = swabsim::load_str("fuzz.toml", text, &[]);
    let (loaded, mut model) = match loaded {
        Err(e) => {
            if e.problems.is_empty() {
                return Err("refused without a problem".into());
            }
            let shown = e.to_string();
            if !shown.contains("fuzz.toml") && !shown.contains("--set") {
                return Err(format!("a problem that names no file: {shown}"));
            }
            return Ok(Outcome::Refused);
        }
        Ok(x) => x,
    };
    let size = swabsim::model::size::estimate(&model, &loaded.file);
    if !swabsim::model::size::check(&model, 1, &loaded.file).is_empty() {
        return Err("accepted a scenario beyond the size bounds".into());
    }
    let cap = swabsim::time::SimTime(MAX_HOURS * swabsim::time::HOUR);
    if model.horizon > cap {
        model.horizon = cap;
    }
    if size.events.value > MAX_EVENTS {
        return Ok(Outcome::Validated);
    }
    swabsim::runner::run_one(&model, 0, false, &|| {})
        .map(|_| Outcome::Ran)
        .map_err(|e| e.to_string())
}

/// Validates one sweep text (as a file in `sweeps/`, so its scenario paths resolve).
pub fn check_sweep(text: &str) -> Result<Outcome, String> {
    let path = repo_root().join("sweeps/fuzz.toml");
    match swabsim::sweep::Sweep::from_text(&path, text) {
        Err(e) if e.problems.is_empty() => Err("refused without a problem".into()),
        Err(_) => Ok(Outcome::Refused),
        Ok(s) if s.points() == 0 => Err("accepted a sweep of no points".into()),
        Ok(_) => Ok(Outcome::Validated),
    }
}

/// Counts of a fuzz pass.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Executions.
    pub execs: u64,
    /// Refused with problems.
    pub refused: u64,
    /// Accepted and only validated.
    pub validated: u64,
    /// Accepted and run.
    pub ran: u64,
    /// Longest execution.
    pub slowest: Duration,
    /// Findings: (what, the input).
    pub findings: Vec<(String, String)>,
}

/// One execution with panics caught and time measured.
pub fn execute(kind: &str, text: &str, tally: &mut Tally) {
    let started = Instant::now();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| match kind {
        "sweep" => check_sweep(text),
        _ => check_scenario(text),
    }));
    let took = started.elapsed();
    tally.execs += 1;
    tally.slowest = tally.slowest.max(took);
    let finding = match result {
        Ok(Ok(Outcome::Refused)) => {
            tally.refused += 1;
            None
        }
        Ok(Ok(Outcome::Validated)) => {
            tally.validated += 1;
            None
        }
        Ok(Ok(Outcome::Ran)) => {
            tally.ran += 1;
            None
        }
        Ok(Err(e)) => Some(e),
        Err(p) => Some(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    };
    let finding = finding.or_else(|| (took > SLOW).then(|| format!("took {took:?}")));
    if let Some(f) = finding {
        tally.findings.push((f, text.to_string()));
    }
}

/// The execution under way: when it started, and its input.
type Current = Arc<Mutex<Option<(Instant, String)>>>;

/// A thread that aborts the process when one execution runs longer than [`SLOW`]: a hang cannot
/// be caught after the fact. The input is written to `target/fuzz-hang.toml` first.
fn watchdog(current: Current) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let Ok(guard) = current.lock() else { return };
            if let Some((started, input)) = guard.as_ref()
                && started.elapsed() > SLOW
            {
                let path =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-hang.toml");
                let _ = std::fs::write(&path, input);
                eprintln!(
                    "fuzz: an execution ran longer than {SLOW:?}: a hang; input in {}",
                    path.display()
                );
                std::process::abort();
            }
        }
    });
}

/// Runs `execs` mutations of the corpus (each input mutated once or twice), seeded by `seed`.
pub fn pass(execs: u64, seed: u64) -> Tally {
    let current: Current = Arc::new(Mutex::new(None));
    watchdog(current.clone());
    let corpus = corpus();
    assert!(!corpus.is_empty(), "the seed corpus is empty");
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut tally = Tally::default();
    for _ in 0..execs {
        let (kind, base) = &corpus[rng.random_range(0..corpus.len())];
        let (_, other) = &corpus[rng.random_range(0..corpus.len())];
        let mut text = base.clone();
        for _ in 0..rng.random_range(1..3) {
            text = mutate(&text, other, &mut rng);
        }
        if let Ok(mut c) = current.lock() {
            *c = Some((Instant::now(), text.clone()));
        }
        execute(kind, &text, &mut tally);
        if let Ok(mut c) = current.lock() {
            *c = None;
        }
        if tally.execs.is_multiple_of(PROGRESS_EVERY) {
            eprintln!(
                "fuzz: {} executions, {} findings, slowest {:?}",
                tally.execs,
                tally.findings.len(),
                tally.slowest
            );
        }
    }
    tally
}

/// A progress line every this many executions.
const PROGRESS_EVERY: u64 = 10_000;
