//! What swabsim promises about files (docs/files.md): `--force` replaces only what swabsim wrote;
//! sweep names cannot leave `output/`; a resume must match the sweep that started; damaged
//! partial files never give short results; one writer per directory; interrupted commands
//! leave the old results recoverable; a sweep killed at any moment resumes to the same bytes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use predicates::prelude::*;

use crate::cli::{files_of, swabsim};

fn run_into(out: &Path) -> assert_cmd::Command {
    let mut c = swabsim();
    c.args(["run", "scenarios/tutorial.toml", "-q", "--out"])
        .arg(out);
    c
}

/// A directory of someone else's work survives `--force` of every command that writes.
#[test]
fn force_never_touches_a_directory_swabsim_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let thesis = tmp.path().join("d/ch/thesis.tex");
    std::fs::create_dir_all(thesis.parent().unwrap()).unwrap();
    std::fs::write(&thesis, "\\chapter{Results}").unwrap();
    let d = tmp.path().join("d");
    run_into(&d)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "has no manifest.json, so it is not a run or comparison that swabsim wrote, so swabsim will not replace it, not even with --force",
        ));
    let a = tmp.path().join("a");
    run_into(&a).assert().success();
    swabsim()
        .arg("compare")
        .args([&a, &a])
        .arg("--out")
        .arg(&d)
        .arg("--force")
        .assert()
        .code(1);
    let sweep = sweep_file(tmp.path(), "s", 2);
    swabsim()
        .arg("sweep")
        .arg(&sweep)
        .args(["-q", "--force", "--out"])
        .arg(&d)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("has no sweep.json"));
    swabsim()
        .arg("merge")
        .arg(&a)
        .arg("--out")
        .arg(&d)
        .arg("--force")
        .assert()
        .code(1);
    assert_eq!(
        std::fs::read_to_string(&thesis).unwrap(),
        "\\chapter{Results}"
    );
    assert_eq!(files_of(&d).len(), 1, "nothing added to the directory");
}

/// A plain file, a socket (standing in for a device) and a link are never replaced, and `.` is
/// not an output directory.
#[test]
fn force_never_replaces_files_devices_or_links() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain.txt");
    std::fs::write(&file, "keep").unwrap();
    for force in [false, true] {
        let mut c = run_into(&file);
        if force {
            c.arg("--force");
        }
        c.assert().code(1);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    #[cfg(unix)]
    {
        let socket = tmp.path().join("device");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        run_into(&socket)
            .arg("--force")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("is not a directory"));
        use std::os::unix::fs::FileTypeExt;
        assert!(
            std::fs::symlink_metadata(&socket)
                .unwrap()
                .file_type()
                .is_socket()
        );
        let real = tmp.path().join("real");
        run_into(&real).assert().success();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        run_into(&link)
            .arg("--force")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("is a symbolic link"));
        assert!(real.join("summary.csv").is_file());
    }
    run_into(Path::new("."))
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot be an output directory"));
}

const SWEEP: &str = r#"version = 1
[sweep]
name = "NAME"
scenario = "SCENARIO"
replications = REPS

[[parameter]]
path = "site.east-gate.desks"
values = [2, 3]

[[parameter]]
path = "area.block-{i}.turnout"
values = [0.8, 0.9, 1.0]
"#;

fn sweep_file(dir: &Path, name: &str, reps: u32) -> PathBuf {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let path = dir.join(format!("sweep-{}-{reps}.toml", name.len()));
    let text = SWEEP
        .replace("NAME", name)
        .replace("REPS", &reps.to_string())
        .replace("SCENARIO", &scenario.display().to_string());
    std::fs::write(&path, text).unwrap();
    path
}

/// Sweep names are checked like scenario names: they cannot point outside `output/`.
#[test]
fn sweep_names_cannot_leave_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("../../x", "cannot be used as a name"),
        ("", "cannot be used as a name"),
        ("a\\u0007b", "cannot be used as a name"),
    ] {
        let file = sweep_file(tmp.path(), name, 1);
        swabsim()
            .current_dir(tmp.path())
            .arg("sweep")
            .arg(&file)
            .args(["-q", "--force"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(why))
            .stderr(predicate::str::contains("`sweep.name`"));
    }
    let long = "x".repeat(201);
    let file = sweep_file(tmp.path(), &long, 1);
    swabsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a name of 201 bytes is too long"));
    assert!(!tmp.path().join("x").exists() && !tmp.path().join("output").exists());
}

/// A resume of a directory started by a different sweep is refused, saying what changed.
#[test]
fn a_changed_sweep_refuses_to_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = sweep_file(tmp.path(), "s", 2);
    swabsim()
        .arg("sweep")
        .arg(&first)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let before = files_of(&out);
    let more = sweep_file(tmp.path(), "s", 3);
    swabsim()
        .arg("sweep")
        .arg(&more)
        .args(["-q", "--resume", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "was started by a different sweep, so its points cannot be resumed: replications 2 → 3",
        ));
    let other_values = tmp.path().join("v.toml");
    std::fs::write(
        &other_values,
        std::fs::read_to_string(&first)
            .unwrap()
            .replace("[0.8, 0.9, 1.0]", "[0.8, 0.95, 1.0]"),
    )
    .unwrap();
    swabsim()
        .arg("sweep")
        .arg(&other_values)
        .args(["-q", "--resume", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the parameters' values changed"));
    assert_eq!(
        files_of(&out),
        before,
        "the refused resumes changed nothing"
    );
    // The same sweep resumes (with nothing to do) to the same files.
    swabsim()
        .arg("sweep")
        .arg(&first)
        .args(["-q", "--resume", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(files_of(&out), before);
}

/// FNV-1a, 64 bit: the checksum of a partial-file line.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The final files of a sweep directory: everything but the append-order partial file.
fn finals(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut f = files_of(dir);
    f.remove("points.partial.csv");
    f
}

/// A damaged partial file (a flipped byte, a line with cells missing, a variant that does not
/// exist) never yields short results: the bad lines are reported and their points run again.
#[test]
fn a_damaged_partial_file_never_empties_results() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "s", 2);
    let good = tmp.path().join("good");
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--jobs", "1", "--out"])
        .arg(&good)
        .assert()
        .success();
    let partial = std::fs::read_to_string(good.join("points.partial.csv")).unwrap();
    let lines: Vec<&str> = partial.lines().collect();
    assert_eq!(lines.len(), 12);
    let damaged = [
        // A stray byte in a number.
        lines[0].replacen("=c", "=c9", 1),
        // Cells missing.
        lines[1].split(',').take(10).collect::<Vec<_>>().join(","),
        // A variant that does not exist, with a checksum that matches its text.
        {
            let body = lines[2].rsplit_once(",#").unwrap().1;
            let _ = body;
            let body = format!("9,{}", lines[2].split_once(',').unwrap().1);
            let body = body.rsplit_once(",#").unwrap().0.to_string();
            format!("{body},#{:016x}", fnv1a(&body))
        },
        // A byte that is not UTF-8 is written below.
        String::new(),
    ];
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::copy(good.join("sweep.json"), bad.join("sweep.json")).unwrap();
    let mut text = Vec::new();
    for l in &damaged[..3] {
        text.extend(l.as_bytes());
        text.push(b'\n');
    }
    text.extend(b"\xff\xfe\n");
    for l in &lines[3..] {
        text.extend(l.as_bytes());
        text.push(b'\n');
    }
    std::fs::write(bad.join("points.partial.csv"), text).unwrap();
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--resume", "--out"])
        .arg(&bad)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "points.partial.csv:1: line dropped: its checksum does not match its text; its point runs again",
        ))
        .stderr(predicate::str::contains("points.partial.csv:2: line dropped"))
        .stderr(predicate::str::contains(
            "points.partial.csv:3: line dropped: variant 9 replication",
        ))
        .stderr(predicate::str::contains(
            "points.partial.csv:4: line dropped: it is not UTF-8 text",
        ));
    assert_eq!(finals(&bad), finals(&good));
}

/// `merge` checks every shard before it writes, refuses an output that is one of its inputs and
/// a shard with a damaged line, naming the file and line.
#[test]
fn merge_checks_its_shards_before_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "s", 2);
    let shards: Vec<PathBuf> = (0..2)
        .map(|s| {
            let dir = tmp.path().join(format!("shard-{s}"));
            swabsim()
                .arg("sweep")
                .arg(&file)
                .args(["-q", "--shard", &format!("{s}/2"), "--out"])
                .arg(&dir)
                .assert()
                .success();
            dir
        })
        .collect();
    let before = files_of(&shards[0]);
    swabsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&shards[0])
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is one of the shards"));
    assert_eq!(files_of(&shards[0]), before);
    let partial = shards[1].join("points.partial.csv");
    let text = std::fs::read_to_string(&partial).unwrap();
    std::fs::write(&partial, text.replacen(",1,", ",7,", 1)).unwrap();
    let out = tmp.path().join("merged");
    swabsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "points.partial.csv:1: its checksum does not match",
        ))
        .stderr(predicate::str::contains("--resume"));
    assert!(
        !out.exists(),
        "nothing written before every shard checked out"
    );
}

/// Two commands on one directory: the second refuses while the first holds the lock.
#[test]
fn a_second_writer_of_the_same_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let lock = swabsim::report::OutputLock::acquire(&out).unwrap();
    run_into(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is being written by another swabsim command (process",
        ));
    drop(lock);
    run_into(&out).assert().success();
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["out".to_string()], "the lock file is gone");
}

/// A directory that appears while a run is going is not written over: the run's results are
/// kept beside it.
#[test]
fn a_directory_that_appears_during_a_run_is_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dir = swabsim::report::RunDir::create(&out, false).unwrap();
    std::fs::write(dir.path().join("summary.csv"), "new").unwrap();
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "someone else's").unwrap();
    let err = dir.commit().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("appeared while this command was running"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "someone else's"
    );
    let kept = tmp
        .path()
        .join(format!("out.unsaved-{}", std::process::id()));
    assert_eq!(
        std::fs::read_to_string(kept.join("summary.csv")).unwrap(),
        "new"
    );
}

/// A `--force` interrupted between its two renames leaves the old results aside; the next
/// command on the directory puts them back and removes stale temporary directories.
#[test]
fn an_interrupted_force_leaves_the_old_results_recoverable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    run_into(&out).assert().success();
    let before = files_of(&out);
    std::fs::rename(&out, tmp.path().join(".r.old-99999")).unwrap();
    std::fs::create_dir(tmp.path().join(".r.partial-99998")).unwrap();
    run_into(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("put back"))
        .stderr(predicate::str::contains("already holds results"));
    assert_eq!(files_of(&out), before);
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["r".to_string()]);
    run_into(&out).arg("--force").assert().success();
}

/// A sweep killed (SIGKILL) at several moments, then resumed each time, ends with the same
/// files as a sweep that ran straight through.
#[test]
fn a_sweep_killed_at_any_moment_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "s", 6);
    let straight = tmp.path().join("straight");
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--out"])
        .arg(&straight)
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("swabsim");
    let killed = tmp.path().join("killed");
    let mut kills = 0;
    // Delays spread over the sweep's run time; each kill lands at a different moment (while
    // points run, while a line is appended, while the final files are written).
    for ms in [15u64, 40, 70, 110, 160, 220, 300, 400] {
        let mut args = vec!["sweep".to_string(), file.display().to_string(), "-q".into()];
        args.extend(["--jobs".into(), "2".into(), "--out".into()]);
        args.push(killed.display().to_string());
        if killed.exists() {
            args.push("--resume".into());
        }
        let mut child = std::process::Command::new(&bin)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--resume", "--out"])
        .arg(&killed)
        .assert()
        .success();
    assert!(kills > 0, "no run was interrupted");
    assert_eq!(finals(&killed), finals(&straight));
}

/// `results.xlsx` opens as a workbook (read back with calamine) whose sheets hold the CSVs'
/// numbers as numbers: the summary on its side (figure, unit, mean, CI, replications), the other
/// tables as written, under a row of units; and a rerun writes the same bytes.
#[test]
fn the_workbook_holds_the_numbers_of_the_csv_files() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let tmp = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        swabsim()
            .args(["run", "scenarios/lingling.toml", "-r", "2", "-q", "--out"])
            .arg(tmp.path().join(out))
            .assert()
            .success();
    }
    let dir = tmp.path().join("a");
    assert_eq!(
        std::fs::read(dir.join("results.xlsx")).unwrap(),
        std::fs::read(tmp.path().join("b/results.xlsx")).unwrap(),
        "a rerun wrote a different workbook"
    );
    let mut book: Xlsx<_> = open_workbook(dir.join("results.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "summary",
            "sites",
            "rounds",
            "staff",
            "progress",
            "targets",
            "disruptions"
        ]
    );
    let number = |d: &Data| match d {
        Data::Float(x) => *x,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    };
    let text = |d: &Data| d.to_string();

    // Summary: a row per figure; columns figure, unit, mean, ± 95% CI, replication 0, 1.
    let summary = book.worksheet_range("summary").unwrap();
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let head = &rows[0];
    let top: Vec<String> = (0..6).map(|c| text(&summary[(0, c)])).collect();
    assert_eq!(
        top,
        [
            "figure",
            "unit",
            "mean",
            "± 95% CI",
            "replication 0",
            "replication 1"
        ]
    );
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    for figure in ["coverage", "wait_p95_min", "tested"] {
        let row = (1..summary.height())
            .find(|&i| text(&summary[(i, 0)]) == figure)
            .unwrap_or_else(|| panic!("no row {figure}"));
        let mean_csv: f64 = rows[3][col(figure)].parse().unwrap();
        let ci_csv: f64 = rows[3][col(&format!("{figure}_ci95"))].parse().unwrap();
        let rep1_csv: f64 = rows[2][col(figure)].parse().unwrap();
        assert_eq!(number(&summary[(row, 2)]), mean_csv, "{figure} mean");
        assert_eq!(number(&summary[(row, 3)]), ci_csv, "{figure} ci");
        assert_eq!(
            number(&summary[(row, 5)]),
            rep1_csv,
            "{figure} replication 1"
        );
    }
    let unit_of = |figure: &str| {
        (1..summary.height())
            .find(|&i| text(&summary[(i, 0)]) == figure)
            .map(|i| text(&summary[(i, 1)]))
            .unwrap()
    };
    assert_eq!(unit_of("wait_p95_min"), "minutes");
    assert_eq!(unit_of("coverage"), "share");
    assert_eq!(unit_of("hours_to_95pct"), "hours");

    // Sites: the CSV's header, a row of units, then every row with numbers as numbers and
    // names (Chinese included) as text.
    let sites = book.worksheet_range("sites").unwrap();
    let csv = std::fs::read_to_string(dir.join("sites.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let width = header.len();
    for (c, h) in header.iter().enumerate() {
        assert_eq!(text(&sites[(0, c)]), *h);
    }
    let wait = header.iter().position(|h| h == "wait_p95_min").unwrap();
    assert_eq!(text(&sites[(1, wait)]), "minutes");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(sites.height(), records.len() + 2);
    for (r, rec) in records.iter().enumerate() {
        let row = r + 2;
        assert_eq!(text(&sites[(row, 1)]), rec[1].to_string(), "site name");
        for c in 2..width {
            match rec[c].parse::<f64>() {
                Ok(x) => assert_eq!(number(&sites[(row, c)]), x, "{} of {}", header[c], &rec[1]),
                Err(_) if rec[c].is_empty() => assert_eq!(sites[(row, c)], Data::Empty),
                Err(_) => assert_eq!(text(&sites[(row, c)]), rec[c].to_string()),
            }
        }
    }
}
