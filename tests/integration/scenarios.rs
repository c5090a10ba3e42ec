//! Every scenario shipped in `scenarios/` validates and runs with its books balanced.

use std::path::Path;

use swabsim::runner::run_one;

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "expected the default and the tutorial scenario"
    );
    for f in files {
        let (_, m) = swabsim::load_path(&f, &[]).unwrap_or_else(|e| panic!("{e}"));
        let rep = run_one(&m, 0, false, &|| {}).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let tested = rep.figures.summary.get("tested").unwrap();
        assert!(tested > 0.0, "{}: nobody tested", f.display());
    }
}

/// The default scenario stays close to the founding case: three daily rounds of ~13,300
/// residents, the third door to door, "nearly 40,000" tests, and every round tested well before
/// its 24 h deadline.
#[test]
fn default_scenario_matches_the_founding_case() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let (_, m) = swabsim::load_path(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = run_one(&m, 0, false, &|| {}).unwrap().figures.summary;
    assert_eq!(s.get("residents"), Some(13_300.0));
    assert_eq!(s.get("rounds"), Some(3.0));
    // Two rounds at the points, the third (4 November, sealed) at home.
    let tested = s.get("tested").unwrap() + s.get("tested_at_home").unwrap();
    assert!((37_000.0..40_000.0).contains(&tested), "tested {tested}");
    assert_eq!(s.get("called_at_home"), Some(13_300.0));
    assert!(s.get("hours_to_95pct").unwrap() < 24.0);
}
