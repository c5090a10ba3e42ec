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
            "three_minus_two",
            "three_minus_two_ci95"
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

/// The per-replication values of a figure in a run's summary.csv.
fn per_replication(dir: &std::path::Path, figure: &str) -> Vec<f64> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = header.iter().position(|h| h == figure).unwrap();
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| x[0].parse::<u32>().is_ok())
        .map(|x| x[col].parse().unwrap())
        .collect()
}

/// The difference and its CI half-width in compare.csv.
fn difference(out: &std::path::Path, figure: &str) -> (f64, f64) {
    let mut r = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let row = r
        .records()
        .map(|x| x.unwrap())
        .find(|x| &x[0] == figure)
        .unwrap();
    (row[5].parse().unwrap(), row[6].parse().unwrap())
}

/// Runs with the same seed and replications are paired replication by replication (common
/// random numbers): the difference's CI is Student's t on the paired differences, which is far
/// narrower than Welch's for independent runs. Runs with another seed get Welch's interval.
#[test]
fn compare_pairs_common_random_numbers_and_falls_back_to_welch() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &str, desks: &str, seed: &str| {
        swabsim()
            .args([
                "run",
                "scenarios/tutorial.toml",
                "-q",
                "-r",
                "4",
                "--seed",
                seed,
            ])
            .arg("--set")
            .arg(format!("site.east-gate.desks={desks}"))
            .arg("--out")
            .arg(tmp.path().join(dir))
            .assert()
            .success();
    };
    run("two", "2", "1");
    run("three", "3", "1");
    run("three-other-seed", "3", "9");
    let compare = |a: &str, b: &str, out: &str| {
        swabsim()
            .arg("compare")
            .args([tmp.path().join(a), tmp.path().join(b)])
            .arg("--out")
            .arg(tmp.path().join(out))
            .assert()
            .success();
        tmp.path().join(out)
    };
    let t3 = 3.182_446_305_284_263; // Student's t, 0.975 quantile, 3 degrees of freedom
    let a = per_replication(&tmp.path().join("two"), "wait_mean_min");
    let b = per_replication(&tmp.path().join("three"), "wait_mean_min");
    assert_eq!((a.len(), b.len()), (4, 4));
    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
    let mean = d.iter().sum::<f64>() / 4.0;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let paired = compare("two", "three", "paired");
    let (got, half) = difference(&paired, "wait_mean_min");
    // compare.csv cells have 4 decimals (fmt_real) and the summaries it reads do too.
    assert!((got - mean).abs() < 1e-3, "{got} vs {mean}");
    assert!(
        (half - t3 * sd / 2.0).abs() < 1e-3,
        "{half} vs {}",
        t3 * sd / 2.0
    );
    let page = std::fs::read_to_string(paired.join("index.html")).unwrap();
    assert!(page.contains("paired replication by replication"));
    assert!(
        page.contains("<code>site.east-gate.desks=3</code>"),
        "the --set shown"
    );
    assert!(
        page.contains("- desks = 2") && page.contains("+ desks = 3"),
        "the scenario line"
    );
    // Another seed: Welch's interval on the two samples.
    let c = per_replication(&tmp.path().join("three-other-seed"), "wait_mean_min");
    let var = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        (
            m,
            xs.iter().map(|x| (x - m).powi(2)).sum::<f64>()
                / (xs.len() - 1) as f64
                / xs.len() as f64,
        )
    };
    let ((ma, va), (mc, vc)) = (var(&a), var(&c));
    let df = (va + vc).powi(2) / (va.powi(2) / 3.0 + vc.powi(2) / 3.0);
    let welch = compare("two", "three-other-seed", "welch");
    let (got, half) = difference(&welch, "wait_mean_min");
    assert!((got - (mc - ma)).abs() < 1e-3);
    let t = {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        StudentsT::new(0.0, 1.0, df.floor())
            .unwrap()
            .inverse_cdf(0.975)
    };
    assert!(
        (half - t * (va + vc).sqrt()).abs() < 1e-3,
        "{half} vs {}",
        t * (va + vc).sqrt()
    );
    assert!(
        half > difference(&paired, "wait_mean_min").1,
        "pairing narrows the interval"
    );
}
