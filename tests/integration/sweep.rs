//! Sweeps: sharded + merged = unsharded = resumed, for any thread count; common random numbers;
//! bad sweep files.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::cli::swabsim;

const SWEEP: &str = r#"version = 1
[sweep]
name = "tut"
scenario = "SCENARIO"
replications = 4

[[parameter]]
path = "site.east-gate.desks"
values = [2, 3]

[[parameter]]
path = "area.block-{i}.turnout"
range = { from = 0.8, to = 1.0, step = 0.1 }

[[target]]
figure = "wait_p95_min"
at_most = 40
"#;

fn sweep_file(dir: &Path, text: &str) -> PathBuf {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let path = dir.join("sweep.toml");
    std::fs::write(
        &path,
        text.replace("SCENARIO", &scenario.display().to_string()),
    )
    .unwrap();
    path
}

fn finals(dir: &Path) -> (String, String) {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    (read("points.csv"), read("aggregate.csv"))
}

#[test]
fn sharded_merged_resumed_and_threaded_sweeps_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), SWEEP);
    let sweep = |out: &str, extra: &[&str]| {
        swabsim()
            .arg("sweep")
            .arg(&file)
            .args(["-q", "--out"])
            .arg(tmp.path().join(out))
            .args(extra)
            .assert()
            .success();
    };
    sweep("one-thread", &["--jobs", "1"]);
    sweep("two-threads", &["--jobs", "2"]);
    let base = finals(&tmp.path().join("one-thread"));
    assert_eq!(
        finals(&tmp.path().join("two-threads")),
        base,
        "1 thread = 2 threads"
    );
    let (points, aggregate) = &base;
    let text = points.clone();
    assert_eq!(
        text.lines().count(),
        1 + 2 * 3 * 4,
        "6 variants × 4 replications"
    );
    assert!(
        text.starts_with(
            "variant,site.east-gate.desks,area.block-{i}.turnout,replication,residents"
        )
    );
    assert!(aggregate.lines().nth(1).unwrap().starts_with("0,2,0.8,4,"));
    let page = std::fs::read_to_string(tmp.path().join("one-thread/index.html")).unwrap();
    assert!(
        page.contains("<title>Sweep tut</title>")
            && page.contains("<h2>Targets: wait_p95_min ≤ 40</h2>")
    );
    for chart in ["wait_p95_min", "wait_p95_min_heat", "coverage"] {
        assert!(
            tmp.path()
                .join(format!("one-thread/charts/{chart}.svg"))
                .is_file(),
            "{chart}"
        );
        assert!(
            tmp.path()
                .join(format!("one-thread/charts/{chart}.png"))
                .is_file(),
            "{chart}"
        );
    }

    for s in 0..3 {
        sweep(&format!("shard-{s}"), &["--shard", &format!("{s}/3")]);
    }
    let shards: Vec<PathBuf> = (0..3)
        .map(|s| tmp.path().join(format!("shard-{s}")))
        .collect();
    swabsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .assert()
        .success();
    assert_eq!(
        finals(&tmp.path().join("merged")),
        base,
        "sharded + merged = unsharded"
    );

    // An interrupted sweep: half the points written, the last line cut off mid-way.
    let resumed = tmp.path().join("resumed");
    std::fs::create_dir(&resumed).unwrap();
    let partial =
        std::fs::read_to_string(tmp.path().join("one-thread/points.partial.csv")).unwrap();
    let lines: Vec<&str> = partial.lines().collect();
    let kept = lines[..12].join("\n") + "\n" + &lines[12][..20];
    std::fs::write(resumed.join("points.partial.csv"), kept).unwrap();
    std::fs::copy(
        tmp.path().join("one-thread/sweep.json"),
        resumed.join("sweep.json"),
    )
    .unwrap();
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--out"])
        .arg(&resumed)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--resume"));
    sweep("resumed", &["--resume"]);
    assert_eq!(finals(&resumed), base, "resumed = uninterrupted");
}

#[test]
fn merge_refuses_missing_and_foreign_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), SWEEP);
    for s in 0..2 {
        swabsim()
            .arg("sweep")
            .arg(&file)
            .args(["-q", "--shard", &format!("{s}/3"), "--out"])
            .arg(tmp.path().join(format!("s{s}")))
            .assert()
            .success();
    }
    swabsim()
        .arg("merge")
        .args([tmp.path().join("s0"), tmp.path().join("s1")])
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "8 points are in no shard (the first: variant 0, replication 2)",
        ));
    swabsim()
        .arg("merge")
        .args([tmp.path().join("s0"), tmp.path().join("s0")])
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("are the same shard (0/3)"));
}

/// Common random numbers: two variants that differ only at site B give site A the same
/// figures, replication by replication.
#[test]
fn variants_share_random_numbers() {
    let text = r#"version = 1
[scenario]
name = "crn"
start = 2022-11-02T07:00:00
horizon = "10h"
seed = 3

[[site]]
name = "a"
desks = 2
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "50s" }

[[site]]
name = "b"
desks = 2
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "50s" }

[[area]]
name = "to-a"
sites = ["a"]
walkin = { rate = "100/h" }

[[area]]
name = "to-b"
sites = ["b"]
walkin = { rate = "100/h" }
"#;
    let run = |b_desks: &str, r: u32| {
        let sets = [format!("site.b.desks={b_desks}").parse().unwrap()];
        let (_, m) = swabsim::load_str("crn.toml", text, &sets).unwrap();
        swabsim::runner::run_one(&m, r, false, &|| {})
            .unwrap()
            .figures
            .sites
    };
    for r in 0..3 {
        let (two, five) = (run("2", r), run("5", r));
        assert_eq!(
            format!("{:?}", two[0]),
            format!("{:?}", five[0]),
            "site a, replication {r}"
        );
        assert_ne!(
            format!("{:?}", two[1]),
            format!("{:?}", five[1]),
            "site b changes"
        );
    }
}

/// Bad sweep files: every message names the file, line and column, the key, what is wrong and
/// how to fix it (`FILE` and `SCENARIO` stand for the paths of the test's files).
#[test]
fn bad_sweep_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            SWEEP.replace("site.east-gate.desks", "site.west-gate.desks"),
            "FILE:8:1: `parameter.site.west-gate.desks`: the variant site.west-gate.desks=2, area.block-{i}.turnout=0.8 is not a valid scenario: SCENARIO: --set site.west-gate.desks=2: there is no `west-gate` in `site`\n    fix: give paths that exist in the scenario and values it accepts",
        ),
        (
            SWEEP.replace("values = [2, 3]", "values = []"),
            "FILE:8:1: `parameter.site.east-gate.desks`: `site.east-gate.desks` needs either a non-empty `values` list or a `range`\n    fix: give values = [..] or range = { from, to, step }",
        ),
        (
            SWEEP.replace("replications = 4", "replications = 4\ncombine = \"zip\""),
            "FILE:6:1: `sweep.combine`: zipped parameters need lists of equal length\n    fix: give every parameter the same number of values, or combine = \"grid\"",
        ),
        (
            SWEEP.replace("at_most = 40", ""),
            "FILE:15:1: `target.wait_p95_min`: a target needs `at_most` or `at_least`\n    fix: e.g. at_most = 30",
        ),
        (
            SWEEP.replace("replications = 4", "replicatons = 4"),
            "FILE:5:1: unknown field `replicatons`, expected one of `name`, `scenario`, `replications`, `seed`, `combine`\n    fix: see docs/sweep.md for the format",
        ),
    ];
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    for (text, expected) in cases {
        let file = sweep_file(tmp.path(), &text);
        let f = file.display().to_string();
        let expected = format!(
            "error: {f} has 1 problem:\n{}\n",
            expected
                .replace("FILE", &f)
                .replace("SCENARIO", &scenario.display().to_string())
        );
        swabsim()
            .arg("sweep")
            .arg(&file)
            .args(["-q", "--out"])
            .arg(tmp.path().join("x"))
            .assert()
            .code(1)
            .stderr(expected);
    }
}

/// The heat map of a two-parameter grid draws the target contour: one thick edge between every
/// pair of neighbouring cells where one variant meets the targets and the other does not (as
/// `aggregate.csv` says), and the band chart draws the target as a dashed line.
#[test]
fn the_heat_map_draws_the_target_contour_of_aggregate_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let grid = r#"version = 1
[sweep]
name = "grid"
scenario = "SCENARIO"
replications = 2
[[parameter]]
path = "site.east-gate.desks"
values = [1, 2, 3]
[[parameter]]
path = "site.east-gate.queue_capacity"
values = [20, 50, 200]
[[target]]
figure = "wait_p95_min"
at_most = 20
"#;
    let file = sweep_file(tmp.path(), grid);
    let out = tmp.path().join("grid");
    swabsim()
        .arg("sweep")
        .arg(&file)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let mut r = csv::Reader::from_path(out.join("aggregate.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let meets = header.iter().position(|h| h == "meets_targets").unwrap();
    // Variants in order: desks outer, capacity inner (the cartesian product).
    let pass: Vec<bool> = r
        .records()
        .map(|x| x.unwrap()[meets].parse().unwrap())
        .collect();
    assert_eq!(pass.len(), 9);
    assert!(
        pass.iter().any(|p| *p) && pass.iter().any(|p| !*p),
        "{pass:?}"
    );
    let at = |desks: usize, cap: usize| pass[desks * 3 + cap];
    let mut edges = 0;
    for d in 0..3 {
        for c in 0..3 {
            if d + 1 < 3 && at(d, c) != at(d + 1, c) {
                edges += 1;
            }
            if c + 1 < 3 && at(d, c) != at(d, c + 1) {
                edges += 1;
            }
        }
    }
    let svg = std::fs::read_to_string(out.join("charts/wait_p95_min_heat.svg")).unwrap();
    let thick = svg
        .matches(r##"stroke="#000000" stroke-width="4""##)
        .count();
    // One more: the contour's key in the legend.
    assert_eq!(thick, edges + 1, "contour edges against aggregate.csv");
    let band = std::fs::read_to_string(out.join("charts/wait_p95_min.svg")).unwrap();
    assert!(band.contains("target ≤ 20"), "the target line's key");
}
