//! The command line end to end, in temporary directories.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

/// The `swabsim` binary, run from the repository root.
pub fn swabsim() -> Command {
    let mut cmd = Command::cargo_bin("swabsim").expect("binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Every file of a directory and its subdirectories, by path relative to it.
pub fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            out.extend(
                files_of(&p)
                    .into_iter()
                    .map(|(k, v)| (format!("{name}/{k}"), v)),
            );
        } else {
            out.insert(name, std::fs::read(&p).unwrap());
        }
    }
    out
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn run_writes_a_complete_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("tut");
    swabsim()
        .args(["run", "scenarios/tutorial.toml", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("tested").and(predicate::str::contains("wait p95")));
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(
        &header[..4],
        ["replication", "residents", "rounds", "called"]
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], "1200");
    let (sh, srows) = read_csv(&out.join("sites.csv"));
    assert_eq!(sh[1], "site");
    assert_eq!(srows[0][1], "east-gate");
    let (th, trows) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(th[..4], ["replication", "time_h", "clock", "site"]);
    assert_eq!(trows.len(), 14 * 4, "one row per 15 min over 14 h");
    assert_eq!(trows[0][2], "2022-11-02 07:15");
    let (ph, prows) = read_csv(&out.join("progress.csv"));
    assert_eq!(ph[3], "called_cum");
    let last = prows.last().unwrap();
    assert_eq!(last[1], "14", "the last row is at the horizon");
    assert_eq!(
        last[5],
        rows[0][header.iter().position(|h| h == "tested").unwrap()]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "tutorial");
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    for chart in ["coverage", "queues", "waits", "staff"] {
        let svg = std::fs::read_to_string(out.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart}.svg"
        );
        assert!(
            svg.contains(r#"width="1000" height="560""#),
            "{chart}.svg size"
        );
        let png = std::fs::read(out.join(format!("charts/{chart}.png"))).unwrap();
        assert_eq!(png_size(&png), (1000, 560), "{chart}.png");
    }
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("<title>Tutorial: one sampling point, two blocks</title>"));
    assert!(page.contains(r#"<img src="charts/coverage.svg""#));
    assert!(page.contains("<td>wait_p95_min</td>"));
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary directory left behind: {leftovers:?}"
    );
}

#[test]
fn existing_results_are_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let run = || {
        let mut c = swabsim();
        c.args(["run", "scenarios/tutorial.toml", "--quiet", "--out"])
            .arg(&out);
        c
    };
    run().assert().success();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    run().assert().code(1).stderr(predicate::str::contains(
        "already holds results; pass --force to replace them, or --out DIR to write elsewhere",
    ));
    assert!(out.join("notes.txt").exists());
    // --force replaces only what swabsim wrote: a file of the user's stops it.
    run()
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "holds notes.txt, which swabsim did not write, so swabsim will not replace it",
        ));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    run().arg("--force").assert().success();
    assert!(out.join("summary.csv").exists());
}

#[test]
fn replications_add_a_mean_row_with_confidence_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    swabsim()
        .args(["run", "scenarios/tutorial.toml", "-q", "-r", "3", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = read_csv(&out.join("summary.csv"));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3][0], "mean");
    assert!(header.contains(&"wait_p95_min_ci95".to_string()));
    let col = header.iter().position(|h| h == "tested").unwrap();
    let mean: f64 = rows[..3]
        .iter()
        .map(|r| r[col].parse::<f64>().unwrap())
        .sum::<f64>()
        / 3.0;
    assert!((rows[3][col].parse::<f64>().unwrap() - mean).abs() < 1e-3);
}

#[test]
fn set_overrides_values_and_bad_values_name_the_set() {
    let tmp = tempfile::tempdir().unwrap();
    swabsim()
        .args([
            "run",
            "scenarios/tutorial.toml",
            "-q",
            "--set",
            "site.east-gate.desks=6",
            "--out",
        ])
        .arg(tmp.path().join("six"))
        .assert()
        .success();
    let (h, rows) = read_csv(&tmp.path().join("six/sites.csv"));
    let col = h.iter().position(|c| c == "desks").unwrap();
    assert_eq!(rows[0][col], "6");
    swabsim()
        .args([
            "run",
            "scenarios/tutorial.toml",
            "--set",
            "site.east-gate.desks=0",
            "--out",
        ])
        .arg(tmp.path().join("zero"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--set site.east-gate.desks=0: `site.east-gate.desks`: must be at least 1, found 0",
        ));
    assert!(
        !tmp.path().join("zero").exists(),
        "a refused run writes nothing"
    );
    swabsim()
        .args([
            "run",
            "scenarios/tutorial.toml",
            "--set",
            "site.west-gate.desks=2",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--set site.west-gate.desks=2: there is no `west-gate` in `site`",
        ));
}

#[test]
fn validate_reports_each_file() {
    swabsim()
        .args([
            "validate",
            "scenarios/dongyuegong.toml",
            "scenarios/tutorial.toml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok: scenarios/dongyuegong.toml (100 areas, 5 sites, 13300 residents, 3 rounds)",
        ));
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "version = 1\n[scenario]\nname = \"x\"\n").unwrap();
    swabsim()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad.toml:2:1: `scenario`: missing field `start`",
        ));
    swabsim()
        .args(["validate", "no/such/file.toml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no/such/file.toml: cannot read the scenario file",
        ));
}

#[test]
fn usage_errors_exit_with_2_and_help_explains_options() {
    swabsim().arg("run").assert().code(2);
    swabsim()
        .args(["run", "x.toml", "--set", "nonsense"])
        .assert()
        .code(2);
    swabsim()
        .args(["run", "x.toml", "--replications", "0"])
        .assert()
        .code(2);
    swabsim().args(["run", "--help"]).assert().success().stdout(
        predicate::str::contains("--set <PATH=VALUE>")
            .and(predicate::str::contains("--replications")),
    );
}

#[test]
fn trace_has_a_row_per_person_who_left() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    swabsim()
        .args(["run", "scenarios/tutorial.toml", "-q", "--trace", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (sh, s) = read_csv(&out.join("summary.csv"));
    let get = |n: &str| {
        s[0][sh.iter().position(|h| h == n).unwrap()]
            .parse::<usize>()
            .unwrap()
    };
    let (th, rows) = read_csv(&out.join("trace.csv"));
    assert_eq!(th.last().unwrap(), "outcome");
    assert_eq!(rows.len(), get("tested") + get("gave_up"));
}

#[test]
fn a_font_for_png_text_must_be_a_font() {
    let tmp = tempfile::tempdir().unwrap();
    swabsim()
        .args(["run", "scenarios/tutorial.toml", "-q", "--font", "README.md", "--out"])
        .arg(tmp.path().join("bad"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "README.md: it is not a TrueType or OpenType font; give a .ttf or .otf file, e.g. a CJK font",
        ));
    assert!(!tmp.path().join("bad").exists());
    swabsim()
        .args([
            "run",
            "scenarios/tutorial.toml",
            "-q",
            "--font",
            "assets/fonts/DejaVuSans.ttf",
            "--out",
        ])
        .arg(tmp.path().join("good"))
        .assert()
        .success();
    assert!(tmp.path().join("good/charts/coverage.png").is_file());
}

/// `validate` checks sweep files too, and a closed standard output ends it quietly.
#[test]
fn validate_takes_sweeps_and_a_closed_pipe() {
    swabsim()
        .args([
            "validate",
            "sweeps/desks-and-crews.toml",
            "scenarios/tutorial.toml",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok: sweeps/desks-and-crews.toml (sweep of 4 variants × 10 replications = 40 points)",
        ));
    let bin = assert_cmd::cargo::cargo_bin("swabsim");
    let mut child = std::process::Command::new(bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate"])
        .args(std::iter::repeat_n("scenarios/tutorial.toml", 2000))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
}

/// Names that a spreadsheet would read as a formula are written with a leading `'`; names that
/// are numbers are not touched.
#[test]
fn formula_like_names_are_not_formulas_in_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml"),
    )
    .unwrap()
    .replace("\"east-gate\"", "\"=SUM(1;2)\"")
    .replace("name = \"block-{i}\"", "name = \"-7{i}\"");
    let file = tmp.path().join("f.toml");
    std::fs::write(&file, text).unwrap();
    swabsim()
        .args(["run", "-q", "--trace", "--out"])
        .arg(tmp.path().join("o"))
        .arg(&file)
        .assert()
        .success();
    let (h, rows) = read_csv(&tmp.path().join("o/sites.csv"));
    let site = h.iter().position(|c| c == "site").unwrap();
    assert_eq!(rows[0][site], "'=SUM(1;2)");
    let (h, rows) = read_csv(&tmp.path().join("o/trace.csv"));
    let area = h.iter().position(|c| c == "area").unwrap();
    assert!(
        rows.iter().all(|r| r[area] == "-71" || r[area] == "-72"),
        "numbers stay numbers"
    );
}

/// A scenario read from standard input is hashed as read (not re-read as an empty pipe).
#[test]
fn the_manifest_hashes_the_bytes_that_were_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let bytes = std::fs::read(&path).unwrap();
    swabsim()
        .args(["run", "-", "-q", "--out"])
        .arg(tmp.path().join("o"))
        .write_stdin(bytes.clone())
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("o/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["scenario_sha256"],
        swabsim::scenario::sha256_hex(&bytes).as_str()
    );
    assert_ne!(
        manifest["scenario_sha256"],
        swabsim::scenario::sha256_hex(b"").as_str()
    );
    assert!(manifest["wall_time_s"].as_f64().unwrap() > 0.0);
}
