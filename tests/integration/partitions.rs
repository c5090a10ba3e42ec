//! One run, many partitionings: every scenario gives byte-identical files whether it runs as one
//! partition, as finely as its structure allows, or anything between, on 1, 2, 3 or 8 threads.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use swabsim::engine::{Granularity, Plan};
use swabsim::model::Model;
use swabsim::runner::run_all_with;

fn load(path: &str) -> Model {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    swabsim::load_path(&p, &[]).unwrap().1
}

/// Every table a run writes (charts and manifest aside), by file name.
fn tables(
    m: &Model,
    reps: u32,
    g: Granularity,
    threads: usize,
    trace: bool,
) -> BTreeMap<String, Vec<u8>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let reps = pool
        .install(|| run_all_with(m, reps, trace, &|| {}, g))
        .expect("conservation holds");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    swabsim::report::write_summary(&d.join("summary.csv"), &reps).unwrap();
    swabsim::report::write_sites(&d.join("sites.csv"), m, &reps).unwrap();
    swabsim::report::write_rounds(&d.join("rounds.csv"), &reps).unwrap();
    swabsim::report::write_series(&d.join("timeseries.csv"), m, &reps).unwrap();
    swabsim::report::write_progress(&d.join("progress.csv"), m, &reps).unwrap();
    swabsim::report::write_distributions(&d.join("distributions.csv"), &reps).unwrap();
    if !m.teams.is_empty() {
        swabsim::report::write_staff(&d.join("staff.csv"), m, &reps).unwrap();
    }
    if !m.labs.is_empty() {
        swabsim::report::write_tubes(&d.join("tubes.csv"), m, &reps).unwrap();
        swabsim::report::write_labs(&d.join("labs.csv"), m, &reps).unwrap();
    }
    if trace {
        swabsim::report::write_trace(&d.join("trace.csv"), m, &reps).unwrap();
    }
    crate::cli::files_of(d)
}

fn assert_same(what: &str, a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (name, bytes) in a {
        if b[name] != *bytes {
            let (x, y) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&b[name]),
            );
            let line = x.lines().zip(y.lines()).position(|(p, q)| p != q);
            panic!(
                "{what}: {name} differs at line {line:?}:\n{}\n{}",
                line.and_then(|l| x.lines().nth(l)).unwrap_or(""),
                line.and_then(|l| y.lines().nth(l)).unwrap_or("")
            );
        }
    }
}

/// The scenario with structure splits, and crosses between partitions.
#[test]
fn the_districts_scenario_splits_along_its_routes() {
    let m = load("tests/fuzz-corpus/districts.toml");
    let finest = Plan::new(&m, Granularity::Finest);
    // Four route components (with their points, areas and crews; the tower's team is with
    // p-7's route) and two labs.
    assert_eq!(finest.components, 6);
    assert_eq!(finest.parts.len(), 6);
    assert_eq!(finest.lookahead.map(|d| d.0), Some(10 * 60_000));
}

/// Same files for every partitioning and thread count, replications and trace included.
#[test]
fn every_partitioning_and_thread_count_gives_the_same_files() {
    for path in [
        "tests/fuzz-corpus/districts.toml",
        "scenarios/lingling.toml",
        "scenarios/dongyuegong.toml",
        "scenarios/tutorial.toml",
        "tests/fuzz-corpus/chain-and-homes.toml",
        "tests/fuzz-corpus/handover.toml",
        "tests/fuzz-corpus/session.toml",
    ] {
        let m = load(path);
        // One queue for everything, against which the lanes (and the partitions) are checked.
        let base = tables(&m, 2, Granularity::OneQueue, 1, true);
        for (g, threads) in [
            (Granularity::One, 1),
            (Granularity::Finest, 1),
            (Granularity::Finest, 2),
            (Granularity::Finest, 3),
            (Granularity::Finest, 8),
            (Granularity::Auto, 2),
            (Granularity::Parts(2), 2),
            (Granularity::Parts(3), 3),
        ] {
            let other = tables(&m, 2, g, threads, true);
            assert_same(&format!("{path} {g:?} on {threads} threads"), &base, &other);
        }
    }
}

/// Two districts whose parcels cross both ways: each lab is next door to one district (a route
/// with no least travel time joins them) and receives from the other district's second point.
const CROSSING: &str = r#"version = 1
[scenario]
name = "crossing"
start = 2022-11-02T07:00:00
horizon = "16h"
seed = 11
report_every = "1h"
[[site]]
name = "p-{i}"
count = 4
desks = 2
hours = ["07:00-17:00"]
pool = 5
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "40s" }
[[area]]
name = "north"
sites = ["p-1", "p-2"]
choice = "random"
residents = 600
prevalence = 0.03
response = { dist = "exponential", mean = "2h" }
callup = [{ at = "30min", share = 1.0 }]
[[area]]
name = "south"
sites = ["p-3", "p-4"]
choice = "random"
residents = 600
prevalence = 0.03
response = { dist = "exponential", mean = "2h" }
callup = [{ at = "30min", share = 1.0 }]
[[lab]]
name = "north-lab"
machines = 1
plate = 20
run = { dist = "uniform", min = "1h", max = "2h" }
[[lab]]
name = "south-lab"
machines = 1
plate = 20
run = { dist = "uniform", min = "1h", max = "2h" }
[[route]]
name = "north-near"
sites = ["p-1"]
lab = "north-lab"
every = "1h"
box = 50
travel = { dist = "uniform", min = "0min", max = "20min" }
[[route]]
name = "north-far"
sites = ["p-2"]
lab = "south-lab"
every = "1h"
box = 50
travel = { dist = "uniform", min = "10min", max = "40min" }
[[route]]
name = "south-near"
sites = ["p-3"]
lab = "south-lab"
every = "1h"
box = 50
travel = { dist = "uniform", min = "0min", max = "20min" }
[[route]]
name = "south-far"
sites = ["p-4"]
lab = "north-lab"
every = "1h"
box = 50
travel = { dist = "uniform", min = "10min", max = "30min" }
"#;

/// Runs by stages where parcels only go one way, by windows of one lookahead where they go both
/// ways; either way the files are those of one partition.
#[test]
fn stages_where_parcels_go_one_way_and_windows_where_they_circle() {
    let stages = |m: &Model, g| {
        run_all_with(m, 1, false, &|| {}, g).expect("conservation holds")[0]
            .info
            .stages
    };
    // The districts: points send to two labs, which send nothing.
    let districts = load("tests/fuzz-corpus/districts.toml");
    assert_eq!(stages(&districts, Granularity::Finest), 2);
    assert_eq!(stages(&districts, Granularity::One), 1);
    let crossing = crate::support::model(CROSSING);
    let plan = Plan::new(&crossing, Granularity::Finest);
    assert_eq!(plan.parts.len(), 2);
    assert_eq!(plan.lookahead.map(|d| d.0), Some(10 * 60_000));
    let fine =
        run_all_with(&crossing, 1, false, &|| {}, Granularity::Finest).expect("conservation holds");
    assert_eq!(fine[0].info.stages, 0);
    // The marks found at the barriers are there to compare: most were tested, 90% in time.
    let figure = |name| crate::support::figure(&fine, name)[0];
    assert!(figure("coverage") > 0.9, "coverage {}", figure("coverage"));
    assert!(!figure("hours_to_90pct").is_nan(), "no 90% mark");
    let one = tables(&crossing, 2, Granularity::OneQueue, 1, true);
    let lanes = tables(&crossing, 2, Granularity::One, 1, true);
    assert_same("crossing in lanes", &one, &lanes);
    for threads in [1, 2] {
        let fine = tables(&crossing, 2, Granularity::Finest, threads, true);
        assert_same(&format!("crossing on {threads} threads"), &one, &fine);
    }
}

/// Stages run pipelined: the receiving district runs each hour one phase after the sending one.
/// Here the receiver also tests residents, so at each barrier the sender has tests an hour ahead
/// of it; the coverage marks count only the tests before the hour both have reached (merging the
/// sender's later tests at once moves the 90% mark: checked), and the files are those of one
/// partition.
#[test]
fn a_receiver_that_tests_residents_runs_a_step_behind_its_sender() {
    // South's far point now sends to its own lab: parcels only go north to south.
    let text = CROSSING.replace(
        "sites = [\"p-4\"]\nlab = \"north-lab\"",
        "sites = [\"p-4\"]\nlab = \"south-lab\"",
    );
    assert_ne!(text, CROSSING);
    let one_way = crate::support::model(&text);
    let fine =
        run_all_with(&one_way, 1, false, &|| {}, Granularity::Finest).expect("conservation holds");
    assert_eq!((fine[0].info.partitions, fine[0].info.stages), (2, 2));
    // 16 reporting steps and one more phase for the second stage.
    assert_eq!(fine[0].info.windows, 17);
    let figure = |name| crate::support::figure(&fine, name)[0];
    assert!(!figure("hours_to_90pct").is_nan(), "no 90% mark");
    let one = tables(&one_way, 2, Granularity::OneQueue, 1, true);
    let lanes = tables(&one_way, 2, Granularity::One, 1, true);
    assert_same("one way in lanes", &one, &lanes);
    for threads in [1, 2] {
        let fine = tables(&one_way, 2, Granularity::Finest, threads, true);
        assert_same(&format!("one way on {threads} threads"), &one, &fine);
    }
}

prop_compose! {
    /// A random city: districts of points on routes to labs, with random travel floors (some of
    /// them zero, which joins a route to its lab), pools, crews and walk-ins.
    fn city()(districts in 1usize..5, points in 1usize..4, labs in 1usize..3,
              floors in prop::collection::vec(0u32..30, 4), residents in 20u32..400,
              pool in prop::sample::select(vec![1u32, 5, 10]), seed in 0u64..1000,
              retest_home in any::<bool>()) -> String {
        let mut t = format!(r#"version = 1
[scenario]
name = "city"
start = 2022-11-02T07:00:00
horizon = "20h"
seed = {seed}
report_every = "1h"
[[site]]
name = "p-{{i}}"
count = {n}
desks = 2
hours = ["07:00-18:00"]
pool = {pool}
staff = {{ sampler = 1 }}
[[site.stage]]
name = "swab"
role = "sampler"
service = {{ dist = "exponential", mean = "40s" }}
[[rota]]
name = "day"
shift = "6h"
crews = 2
start = "07:00"
every = "24h"
stride = "6h"
[[team]]
name = "s-{{i}}"
count = {n}
role = "sampler"
headcount = 2
rota = "day"
sites = ["p-{{i}}"]
[[area]]
name = "b-{{i}}"
count = {n}
residents = {residents}
sites = ["p-{{i}}"]
prevalence = 0.02
response = {{ dist = "exponential", mean = "30min" }}
callup = [{{ at = "30min", share = 1.0 }}]
[[area]]
name = "walkers"
sites = ["p-1"]
walkin = {{ rate = "30/h" }}
"#, n = districts * points);
        for l in 0..labs {
            let retest = if retest_home && l == 0 { "home" } else { "lab" };
            t += &format!("[[lab]]\nname = \"lab-{l}\"\nmachines = 2\nplate = 20\nrun = {{ dist = \"uniform\", min = \"1h\", max = \"2h\" }}\nretest = \"{retest}\"\n");
        }
        if retest_home {
            t += "[[rota]]\nname = \"watch\"\nshift = \"12h\"\ncrews = 2\nstart = \"07:00\"\n";
            t += "[[team]]\nname = \"reswab\"\nrole = \"door-to-door\"\nheadcount = 2\nrota = \"watch\"\nareas = [\"b-*\", \"walkers\"]\nvisit = { household = { dist = \"constant\", value = \"5min\" }, travel = { dist = \"constant\", value = \"5min\" }, drop = \"p-1\" }\n";
        }
        for d in 0..districts {
            let stops: Vec<String> = (0..points).map(|p| format!("\"p-{}\"", d * points + p + 1)).collect();
            let floor = floors[d % floors.len()];
            t += &format!("[[route]]\nname = \"r-{d}\"\nsites = [{}]\nlab = \"lab-{}\"\nevery = \"1h\"\nbox = 50\ntravel = {{ dist = \"uniform\", min = \"{floor}min\", max = \"40min\" }}\n", stops.join(", "), d % labs);
        }
        t
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random cities give the same figures in one queue, in one partition of lanes, and as
    /// finely split as they allow.
    #[test]
    fn random_cities_do_not_depend_on_the_partitioning(text in city()) {
        let m = crate::support::model(&text);
        let queue = tables(&m, 1, Granularity::OneQueue, 1, false);
        let one = tables(&m, 1, Granularity::One, 1, false);
        let fine = tables(&m, 1, Granularity::Finest, 2, false);
        assert_same("random city, lanes", &queue, &one);
        assert_same("random city", &queue, &fine);
    }
}
