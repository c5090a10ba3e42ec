//! A run is a pure function of (scenario, seed): byte-identical reruns, and the same files for
//! any number of threads.

use std::path::Path;

use swabsim::runner::run_one;

use crate::cli::{files_of, swabsim};

#[test]
fn same_seed_same_figures_in_the_library() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let (_, m) = swabsim::load_path(&path, &[]).unwrap();
    let a = run_one(&m, 0, false, &|| {}).unwrap();
    let b = run_one(&m, 0, false, &|| {}).unwrap();
    assert_eq!(format!("{:?}", a.figures), format!("{:?}", b.figures));
    let c = run_one(&m, 1, false, &|| {}).unwrap();
    assert_ne!(
        format!("{:?}", a.figures.summary),
        format!("{:?}", c.figures.summary)
    );
}

#[test]
fn reruns_and_thread_counts_give_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &str, jobs: &str| {
        swabsim()
            .args([
                "run",
                "scenarios/dongyuegong.toml",
                "--replications",
                "4",
                "--quiet",
                "--jobs",
                jobs,
                "--out",
            ])
            .arg(tmp.path().join(dir))
            .assert()
            .success();
        files_of(&tmp.path().join(dir))
    };
    let one = run("one", "1");
    let again = run("again", "1");
    let four = run("four", "4");
    // Charts included: the SVG files must be byte-identical too (PNG as well, as it happens).
    let charts = one.keys().filter(|k| k.starts_with("charts/")).count();
    assert_eq!(
        charts, 16,
        "eight charts (crews and chain among them) as SVG and PNG"
    );
    assert_eq!(
        one.len(),
        12 + charts,
        "summary, sites, rounds, timeseries, progress, distributions, staff, labs, targets, results.xlsx, index, manifest (tubes.csv comes with --trace)"
    );
    for (name, bytes) in &one {
        if name == "manifest.json" {
            continue; // holds the wall time and the thread count
        }
        assert!(!bytes.is_empty(), "{name} is empty");
        assert!(again[name] == *bytes, "{name} differs between two runs");
        assert!(
            four[name] == *bytes,
            "{name} differs between 1 and 4 threads"
        );
    }
}
