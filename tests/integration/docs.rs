//! The documents match the code: every `swabsim` command shown in the README and `docs/` runs,
//! the README's sample output is what the default run prints, the tutorial's file is the one
//! the walk-through shows, and every column of `summary.csv` is documented.

use std::path::{Path, PathBuf};

const DOCUMENTS: [&str; 9] = [
    "README.md",
    "docs/scenario.md",
    "docs/outputs.md",
    "docs/sweep.md",
    "docs/plan.md",
    "docs/files.md",
    "docs/engine.md",
    "docs/performance.md",
    "docs/sources.md",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Splits a command line as a POSIX shell would for the quoting the documents use: words
/// separated by blanks, '…' and "…" quoted, a `#` word starting a comment.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quote, mut started) = (None, false);
    for ch in line.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                started = true;
            }
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// A command of the documents, as arguments to `swabsim`, if it is one to run: it names a
/// subcommand and its arguments, without placeholders (`SCENARIO`, `[--out DIR]`, `…`), globs,
/// pipes or redirections, and its files are in the repository (not a generated `/tmp` city).
fn runnable(text: &str) -> Option<Vec<String>> {
    let text = text.replace('\n', " ");
    let rest = text
        .strip_prefix("cargo run --release -- ")
        .or_else(|| text.strip_prefix("swabsim "))?;
    let args = words(rest);
    let placeholder = |w: &String| {
        w.chars().any(|c| "[]|*…<>".contains(c))
            || w.contains("...")
            || (w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            || w.starts_with("/tmp")
    };
    (args.len() >= 2 && !args.iter().any(placeholder)).then_some(args)
}

/// Every command of the documents in order, once each: lines of fenced blocks and inline code.
fn commands() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for doc in DOCUMENTS {
        let Ok(text) = std::fs::read_to_string(root().join(doc)) else {
            continue;
        };
        let mut found: Vec<(usize, String)> = Vec::new();
        let mut fence = false;
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            if line.trim_start().starts_with("```") {
                fence = !fence;
            } else if fence {
                found.push((at, line.trim().to_string()));
            } else {
                // Inline code spans of this line (a span may wrap to the next: joined below).
                let mut rest = line;
                let mut offset = at;
                while let Some(open) = rest.find('`') {
                    let after = &rest[open + 1..];
                    let Some(close) = after.find('`') else { break };
                    found.push((offset + open, after[..close].to_string()));
                    let used = open + close + 2;
                    offset += used;
                    rest = &rest[used..];
                }
            }
            at += line.len();
        }
        found.sort_by_key(|(at, _)| *at);
        for (_, span) in found {
            if let Some(args) = runnable(&span)
                && !out.iter().any(|(_, a)| *a == args)
            {
                out.push((doc.to_string(), args));
            }
        }
    }
    out
}

/// A scratch copy of what the commands read: scenarios, sweeps, plans and the benches' scenarios.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["scenarios", "sweeps", "plans", "benches"] {
        copy_dir(&root().join(sub), &dir.path().join(sub));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        } else if kind.is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        }
    }
}

/// Runs `swabsim ARGS` in `dir`; it must succeed (`from` says where the command was shown).
fn run_ok(dir: &Path, from: &str, args: &[String]) {
    if args.first().is_some_and(|a| a == "serve") {
        return serves(dir, from, args);
    }
    let out = assert_cmd::Command::cargo_bin("swabsim")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{from}: `swabsim {}` failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("ran ({from}): swabsim {}", args.join(" "));
}

/// `swabsim serve` runs until stopped: it must start and listen (on a free port instead of the
/// one shown, which may be taken), then it is stopped.
fn serves(dir: &Path, from: &str, args: &[String]) {
    use std::io::BufRead as _;
    let mut args = args.to_vec();
    match args.iter().position(|a| a == "--port") {
        Some(i) if i + 1 < args.len() => args[i + 1] = "0".into(),
        _ => args.extend(["--port".into(), "0".into()]),
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("swabsim"))
        .current_dir(dir)
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let status = child.wait().unwrap();
    assert!(
        line.contains("on http://127.0.0.1:"),
        "{from}: `swabsim {}` did not start ({status}): {line:?}",
        args.join(" ")
    );
    eprintln!("served ({from}): swabsim {}", args.join(" "));
}

/// Runs the documents' commands that `keep` selects, in document order, in one scratch
/// directory (a command may read what an earlier one wrote); each must succeed.
fn run_commands(keep: impl Fn(&[String]) -> bool) -> usize {
    let dir = scratch();
    let mut ran = 0;
    for (doc, args) in commands().into_iter().filter(|(_, a)| keep(a)) {
        run_ok(dir.path(), &doc, &args);
        ran += 1;
    }
    ran
}

/// A plan searches many candidates: minutes in a debug build, so it runs in release only.
fn slow(args: &[String]) -> bool {
    args.first().is_some_and(|a| a == "plan")
}

#[test]
fn every_command_in_the_documents_runs() {
    let ran = run_commands(|a| !slow(a));
    assert!(
        ran >= 8,
        "only {ran} commands found: is the extraction broken?"
    );
}

/// The plans the documents show (in CI, in release).
#[test]
#[ignore]
fn every_plan_in_the_documents_runs() {
    let ran = run_commands(slow);
    assert!(ran >= 2, "only {ran} plan commands found");
    let dir = scratch();
    for (sub, line) in help_examples() {
        if let Some(args) = runnable(&line).filter(|a| slow(a)) {
            run_ok(dir.path(), &format!("{sub} --help"), &args);
        }
    }
}

/// The README's sample output is exactly what its first command prints.
#[test]
fn the_readme_shows_what_the_default_run_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("\n```\n东岳宫")
        .expect("the README shows the default run's output")
        + 5;
    let end = start + readme[start..].find("```").unwrap();
    let shown = &readme[start..end];
    let dir = scratch();
    let out = assert_cmd::Command::cargo_bin("swabsim")
        .unwrap()
        .current_dir(dir.path())
        .args(["run", "scenarios/dongyuegong.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}

/// The tutorial's walk-through shows the file as it is: each TOML block of that section is a
/// piece of `scenarios/tutorial.toml`.
#[test]
fn the_tutorial_walk_through_is_the_file() {
    let doc = std::fs::read_to_string(root().join("docs/scenario.md")).unwrap();
    let file = std::fs::read_to_string(root().join("scenarios/tutorial.toml")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("A walk through `scenarios/tutorial.toml`"))
        .expect("the tutorial section");
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    assert!(blocks.len() >= 3);
    for b in blocks {
        assert!(file.contains(b), "not in scenarios/tutorial.toml:\n{b}");
    }
}

/// Every column of `summary.csv` has a row in the summary table of `docs/outputs.md` (a table
/// that a blank line would break is one table here).
#[test]
fn every_summary_column_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/outputs.md")).unwrap();
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("`summary.csv`"))
        .unwrap();
    let table: String = section
        .lines()
        .skip_while(|l| !l.starts_with("| column"))
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    for column in swabsim::observe::SUMMARY_COLUMNS {
        assert!(
            table.contains(&format!("`{column}`")),
            "`{column}` is not in docs/outputs.md's summary table"
        );
    }
}

#[test]
fn command_lines_split_like_a_shell() {
    assert_eq!(
        words("run x.toml --set 'site.point-{i}.desks=5'   # a comment"),
        ["run", "x.toml", "--set", "site.point-{i}.desks=5"]
    );
    assert_eq!(runnable("swabsim validate SCENARIO..."), None);
    assert_eq!(runnable("swabsim run"), None);
    assert_eq!(
        runnable("cargo run --release -- run scenarios/tutorial.toml"),
        Some(vec![
            "run".to_string(),
            "scenarios/tutorial.toml".to_string()
        ])
    );
}

/// The examples at the end of each subcommand's `--help`, in the order the help lists them.
fn help_examples() -> Vec<(String, String)> {
    let subcommands = [
        "init",
        "run",
        "compare",
        "sweep",
        "merge",
        "plan",
        "validate",
        "completions",
        "man",
    ];
    let mut out = Vec::new();
    for sub in subcommands {
        let help = assert_cmd::Command::cargo_bin("swabsim")
            .unwrap()
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(help.status.success());
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        let (_, examples) = text
            .rsplit_once("Examples:\n")
            .unwrap_or_else(|| panic!("`swabsim {sub} --help` ends without examples:\n{text}"));
        let lines: Vec<&str> = examples.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 2, "`swabsim {sub} --help` has two examples");
        for line in lines {
            assert!(line.starts_with("  swabsim "), "{line}");
            out.push((sub.to_string(), line.trim().to_string()));
        }
    }
    out
}

/// Each subcommand's `--help` ends with two examples, and they run, in order, from a copy of
/// the repository (those with a shell glob or redirection are shown, not run; plans in release).
#[test]
fn every_help_ends_with_two_examples_that_run() {
    let dir = scratch();
    let mut ran = 0;
    for (sub, line) in help_examples() {
        let Some(args) = runnable(&line) else {
            continue;
        };
        if slow(&args) {
            continue;
        }
        run_ok(dir.path(), &format!("{sub} --help"), &args);
        ran += 1;
    }
    assert!(ran >= 10, "{ran} examples ran");
}

/// `completions` writes a script for each shell that names every subcommand; `man` writes a
/// roff page for swabsim and for each subcommand, and a wrong name is an input error.
#[test]
fn completions_and_manual_pages() {
    let bin = || assert_cmd::Command::cargo_bin("swabsim").unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in ["run", "sweep", "plan", "validate", "compare", "merge"] {
            assert!(text.contains(sub), "{shell} completions lack `{sub}`");
        }
    }
    let page = bin().arg("man").output().unwrap();
    let text = String::from_utf8_lossy(&page.stdout);
    assert!(text.contains(".TH swabsim 1"), "{text}");
    assert!(
        text.contains("swabsim\\-run") || text.contains("run"),
        "{text}"
    );
    let run = bin().args(["man", "run"]).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains(".TH swabsim-run 1"));
    bin()
        .args(["man", "rn"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "`rn` is not a subcommand of swabsim; the subcommands are init, run, compare, sweep,",
        ));
}

/// `init` writes a starter that validates, runs and meets its own targets; it never writes over
/// a file, and numbers that make no round are refused with a way out.
#[test]
fn init_writes_a_starter_that_runs_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let bin = || {
        let mut c = assert_cmd::Command::cargo_bin("swabsim").unwrap();
        c.current_dir(dir.path());
        c
    };
    bin().args(["init", "mine.toml"]).assert().success();
    let text = std::fs::read_to_string(dir.path().join("mine.toml")).unwrap();
    assert!(text.starts_with("# A starter scenario written by `swabsim init`"));
    bin().args(["validate", "mine.toml"]).assert().success();
    let run = bin()
        .args(["run", "mine.toml", "--out", "out"])
        .output()
        .unwrap();
    assert!(run.status.success());
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("met       hours_to_95pct ≤ 24"), "{said}");
    assert!(said.contains("met       wait_p95_min ≤ 30"), "{said}");
    // Never over a file, whatever it holds.
    std::fs::write(dir.path().join("thesis.toml"), "my work").unwrap();
    bin()
        .args(["init", "thesis.toml"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "thesis.toml exists, and swabsim init does not write over a file",
        ));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("thesis.toml")).unwrap(),
        "my work"
    );
    bin()
        .args(["init", "x.toml", "--buildings", "9", "--points", "4"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "try --points 3, or --buildings 12",
        ));
    assert!(!dir.path().join("x.toml").exists());
    // Without a lab: no pool, no couriers; points not a multiple of 5 get a last short van.
    bin()
        .args(["init", "nolab.toml", "--machines", "0"])
        .assert()
        .success();
    let nolab = std::fs::read_to_string(dir.path().join("nolab.toml")).unwrap();
    assert!(!nolab.contains("[[lab]]") && !nolab.contains("pool ="));
    bin()
        .args(["init", "seven.toml", "--points", "7", "--buildings", "98"])
        .assert()
        .success();
    bin().args(["validate", "seven.toml"]).assert().success();
}
