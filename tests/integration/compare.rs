//! `swabsim compare`: runs side by side.

use predicates::prelude::*;

use crate::cli::swabsim;

#[test]
fn compare_sets_runs_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &str, desks: &str| {
        swabsim()
            .args(["run", "scenarios/tutorial.toml", "-q", "--set"])
            .arg(format!("site.east-gate.desks={desks}"))
            .arg("--out")
            .arg(tmp.path().join(dir))
            .assert()
            .success();
    };
    run("two", "2");
    run("three", "3");
    let out = tmp.path().join("two-vs-three");
    swabsim()
        .arg("compare")
        .args([tmp.path().join("two"), tmp.path().join("three")])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("compared 2 runs"));
    let mut r = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "figure",
            "two",
            "two_ci95",
            "three",
            "three_ci95",
            "three_minus_two"
        ]
    );
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    let wait = rows.iter().find(|r| r[0] == "wait_p95_min").unwrap();
    let (two, three, diff): (f64, f64, f64) = (
        wait[1].parse().unwrap(),
        wait[3].parse().unwrap(),
        wait[5].parse().unwrap(),
    );
    assert!(three < two, "a third desk shortens the wait");
    assert!((diff - (three - two)).abs() < 1e-3);
    for chart in ["coverage", "waiting", "desks", "waits"] {
        assert!(out.join(format!("charts/{chart}.svg")).is_file());
        assert!(out.join(format!("charts/{chart}.png")).is_file());
    }
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("<title>Comparing two, three</title>"));
}

#[test]
fn compare_refuses_what_is_not_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    swabsim()
        .arg("compare")
        .args([&empty, &empty])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{} is not a run directory: it has no manifest.json. Give directories written by `swabsim run`",
            empty.display()
        )));
}

#[test]
fn compare_refuses_different_scenarios_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, file) in [
        ("tut", "scenarios/tutorial.toml"),
        ("dong", "scenarios/dongyuegong.toml"),
    ] {
        swabsim()
            .args(["run", file, "-q", "--out"])
            .arg(tmp.path().join(dir))
            .assert()
            .success();
    }
    let runs = [tmp.path().join("tut"), tmp.path().join("dong")];
    swabsim()
        .arg("compare")
        .args(&runs)
        .arg("--out")
        .arg(tmp.path().join("x"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("is a run of `tutorial` but")
                .and(predicate::str::contains("pass --allow-different")),
        );
    swabsim()
        .arg("compare")
        .args(&runs)
        .args(["--allow-different", "--out"])
        .arg(tmp.path().join("x"))
        .assert()
        .success();
}
