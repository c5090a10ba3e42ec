//! `swabsim plan`: the planner's answer is the cheapest feasible candidate of an exhaustive
//! sweep judged by the same confidence rule; targets are reported by `run`; bad plan files are
//! refused with their location.

use swabsim::plan::Plan;
use swabsim::plan::search::{Verdict, exhaustive, search};

/// Three independent sites of different loads, each with its own area and sampler team.
const THREE_SITES: &str = r#"
version = 1
[scenario]
name = "three-sites"
start = 2022-11-02T08:00:00
horizon = "8h"
seed = 7
report_every = "1h"

[[site]]
name = "small"
desks = 1
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[site]]
name = "middle"
desks = 1
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[site]]
name = "large"
desks = 1
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[area]]
name = "a-small"
residents = 90
sites = ["small"]
callup = [{ at = "0h", share = 1.0 }]
response = { dist = "uniform", min = "0min", max = "1h" }

[[area]]
name = "a-middle"
residents = 160
sites = ["middle"]
callup = [{ at = "0h", share = 1.0 }]
response = { dist = "uniform", min = "0min", max = "1h" }

[[area]]
name = "a-large"
residents = 230
sites = ["large"]
callup = [{ at = "0h", share = 1.0 }]
response = { dist = "uniform", min = "0min", max = "1h" }

[[rota]]
name = "day"
shift = "8h"
start = "08:00"

[[team]]
name = "t-small"
role = "sampler"
headcount = 1
rota = "day"
sites = ["small"]

[[team]]
name = "t-middle"
role = "sampler"
headcount = 1
rota = "day"
sites = ["middle"]

[[team]]
name = "t-large"
role = "sampler"
headcount = 1
rota = "day"
sites = ["large"]

[[target]]
figure = "wait_p95_min"
site = "*"
at_most = 20
"#;

/// Two decisions per site: its desks (cost 1) and its team's headcount (cost 10).
fn plan_text(max_evaluations: u32) -> String {
    let mut t = format!(
        "version = 1\n[plan]\nname = \"three\"\nmin_replications = 4\nmax_replications = 16\nmax_evaluations = {max_evaluations}\n"
    );
    for s in ["small", "middle", "large"] {
        t += &format!(
            "[[decision]]\npath = \"site.{s}.desks\"\nmin = 1\nmax = 3\ncost = 1\n\
             [[decision]]\npath = \"team.t-{s}.headcount\"\nmin = 1\nmax = 3\ncost = 10\n"
        );
    }
    t
}

fn three_sites(max_evaluations: u32) -> Plan {
    Plan::from_text(
        "three.toml",
        &plan_text(max_evaluations),
        "three-sites.toml",
        THREE_SITES,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// On three sites with two decisions each, the search finds the cheapest feasible candidate of
/// the whole 3^6 = 729-candidate grid judged by the same rule, with fewer evaluations.
#[test]
fn the_plan_is_the_cheapest_feasible_candidate_of_the_exhaustive_sweep() {
    let plan = three_sites(1_000);
    let (cheapest, all) = exhaustive(&plan).unwrap();
    assert_eq!(all.len(), 729);
    let cheapest = cheapest.expect("the grid has a feasible plan");
    // The answer is not trivial: neither the smallest nor the largest candidate.
    assert!(all.iter().any(|j| j.verdict == Verdict::Infeasible));
    assert_ne!(cheapest.values, plan.top());
    let found = search(&plan, false).unwrap();
    let best = found.best.expect("a feasible plan");
    assert_eq!(
        best.values, cheapest.values,
        "search {:?} vs grid {:?}",
        best.values, cheapest.values
    );
    assert_eq!(best.cost, cheapest.cost);
    assert_eq!(
        found.groups.len(),
        3,
        "one group per site: {:?}",
        found.groups
    );
    assert!(
        found.evaluations < 729 / 2,
        "{} evaluations",
        found.evaluations
    );
}

/// The same plan for any number of threads, and the same record of the search.
#[test]
fn the_search_does_not_depend_on_the_threads() {
    let plan = three_sites(1_000);
    let at = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
            .install(|| search(&plan, true).unwrap())
    };
    let (a, b) = (at(1), at(3));
    let key = |o: &swabsim::plan::search::Outcome| {
        o.steps
            .iter()
            .map(|s| {
                (
                    s.phase.clone(),
                    s.judged.values.clone(),
                    s.judged.replications,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b));
    assert_eq!(a.best.map(|x| x.values), b.best.map(|x| x.values));
    assert_eq!(a.without, b.without);
}

/// A plan whose largest candidate misses a target says so, and names the target.
#[test]
fn no_plan_within_the_bounds_is_reported() {
    let text = plan_text(1_000).replace("max = 3", "max = 1");
    let plan = Plan::from_text("three.toml", &text, "three-sites.toml", THREE_SITES).unwrap();
    let out = search(&plan, false).unwrap();
    assert!(out.best.is_none());
    let said = swabsim::plan::output::answer_text(&plan, &out, &[], &[]);
    assert!(
        said.starts_with("no plan within the bounds meets every target"),
        "{said}"
    );
}

#[test]
fn bad_plan_files_are_refused_with_their_location() {
    let cases = [
        (
            plan_text(10).replace("cost = 10", "cost = \"person-days\""),
            "three.toml:16:1: `decision.team.t-small.headcount.cost`: \"person-days\" is not a cost\n    fix: give a number ≥ 0 per unit, or \"person-hours\" for a team's headcount",
        ),
        (
            plan_text(10).replace("site.small.desks", "site.smal.desks"),
            "three.toml:8:1: `decision.site.smal.desks`: with site.smal.desks = 1 the scenario is not valid",
        ),
        (
            plan_text(10).replace("min_replications = 4", "min_replications = 1"),
            "three.toml:4:1: `plan.min_replications`: a confidence bound needs at least 2 replications, found 1",
        ),
    ];
    for (text, want) in cases {
        let e = Plan::from_text("three.toml", &text, "three-sites.toml", THREE_SITES).unwrap_err();
        let got = e.to_string();
        assert!(got.contains(want), "expected\n{want}\nin\n{got}");
    }
    let no_targets = THREE_SITES.split("[[target]]").next().unwrap();
    let e = Plan::from_text("three.toml", &plan_text(10), "three-sites.toml", no_targets)
        .unwrap_err()
        .to_string();
    assert!(e.contains("the scenario has no [[target]]"), "{e}");
}

/// `swabsim plan` writes its files; the chosen plan's `scenario.toml` runs, and `swabsim run`
/// reports every target met on the same replications.
#[test]
fn the_plan_command_writes_a_runnable_scenario_that_meets_the_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("three-sites.toml");
    let plan = tmp.path().join("three.toml");
    std::fs::write(&scenario, THREE_SITES).unwrap();
    std::fs::write(&plan, plan_text(1_000)).unwrap();
    let out = tmp.path().join("plan");
    let said = crate::cli::swabsim()
        .arg("plan")
        .arg(&scenario)
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let said = String::from_utf8(said).unwrap();
    assert!(
        said.starts_with("cheapest plan meeting every target with 95% confidence"),
        "{said}"
    );
    for f in [
        "plan.csv",
        "targets.csv",
        "scenario.toml",
        "index.html",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} is missing");
    }
    let rows = std::fs::read_to_string(out.join("plan.csv")).unwrap();
    let chosen: Vec<&str> = rows.lines().filter(|l| l.contains(",yes,")).collect();
    assert!(
        !chosen.is_empty(),
        "the chosen candidate is marked in plan.csv"
    );
    assert!(chosen.iter().all(|l| l.contains(",feasible,")));
    // The chosen scenario, run with the plan's replications, meets its target.
    let run = tmp.path().join("run");
    crate::cli::swabsim()
        .arg("run")
        .arg(out.join("scenario.toml"))
        .args(["--replications", "4", "-q", "--out"])
        .arg(&run)
        .assert()
        .success();
    let targets = std::fs::read_to_string(run.join("targets.csv")).unwrap();
    let statuses: Vec<&str> = targets
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(statuses, ["met", "met", "met"], "{targets}");
    // `--force` replaces the plan directory it wrote.
    crate::cli::swabsim()
        .arg("plan")
        .arg(&scenario)
        .arg(&plan)
        .args(["-q", "--no-target-costs", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
}

/// Targets in the scenario are checked like every other key.
#[test]
fn bad_targets_are_refused_with_their_location() {
    let cases = [
        (
            "[[target]]\nfigure = \"wait_p59_min\"\nat_most = 30\n",
            "`target.wait_p59_min.figure`: `wait_p59_min` is not a figure of summary.csv (did you mean `wait_p95_min`?)",
        ),
        (
            "[[target]]\nfigure = \"wait_p95_min\"\nsite = \"smal\"\nat_most = 30\n",
            "`target.wait_p95_min.site`: there is no site named `smal` (did you mean `small`?)",
        ),
        (
            "[[target]]\nfigure = \"hours_to_95pct\"\nround = 2\nat_most = 30\n",
            "`target.hours_to_95pct.round`: the scenario has 1 call-up round in its horizon, not 2",
        ),
        (
            "[[target]]\nfigure = \"coverage\"\n",
            "`target.coverage`: a target needs `at_most` or `at_least`",
        ),
    ];
    let base = THREE_SITES.split("[[target]]").next().unwrap();
    for (extra, want) in cases {
        let text = format!("{base}{extra}");
        let e = swabsim::load_str("t.toml", &text, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "expected\n{want}\nin\n{e}");
    }
}

/// Writing a compact block as entries of their own changes nothing: the default scenario with
/// its points, samplers and registrars exploded gives the same tables, byte for byte. Areas are
/// refused: their call-up slots depend on their number in the block.
#[test]
fn an_exploded_block_is_the_same_scenario() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (once, points) = swabsim::scenario::explode(&text, "site", "point-{i}").unwrap();
    assert_eq!(
        points,
        ["point-1", "point-2", "point-3", "point-4", "point-5"]
    );
    let (twice, _) = swabsim::scenario::explode(&once, "team", "samplers-{i}").unwrap();
    let (thrice, _) = swabsim::scenario::explode(&twice, "team", "registrars-{i}").unwrap();
    let e = swabsim::scenario::explode(&text, "area", "north-{i}").unwrap_err();
    assert!(
        e.starts_with("[[area]] blocks cannot be decided entry by entry"),
        "{e}"
    );
    let tables = |t: &str| {
        let m = crate::support::model(t);
        let reps = crate::support::run(&m, 2);
        let dir = tempfile::tempdir().unwrap();
        swabsim::report::write_summary(&dir.path().join("s.csv"), &reps).unwrap();
        swabsim::report::write_sites(&dir.path().join("t.csv"), &m, &reps).unwrap();
        (
            std::fs::read_to_string(dir.path().join("s.csv")).unwrap(),
            std::fs::read_to_string(dir.path().join("t.csv")).unwrap(),
        )
    };
    assert!(
        thrice.matches("[[site.stage]]").count() == 10,
        "two stages per point"
    );
    let (a, b) = (tables(&text), tables(&thrice));
    assert!(
        a == b,
        "{}\n---\n{}",
        a.1.lines().nth(1).unwrap(),
        b.1.lines().nth(1).unwrap()
    );
    let e = swabsim::scenario::explode(&text, "site", "point-9").unwrap_err();
    assert_eq!(e, "there is no [[site]] named `point-9`");
    let m = crate::support::model(&thrice);
    assert_eq!(
        m.teams
            .iter()
            .filter(|t| t.name.starts_with("samplers-"))
            .count(),
        5
    );
}

/// The figures a target may name are the columns the tables have (a scenario with the whole
/// chain, so that every column is there).
#[test]
fn target_figures_are_the_tables_columns() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let (_, m) = swabsim::load_path(&path, &[]).unwrap();
    let rep = swabsim::runner::run_one(&m, 0, false, &|| {}).unwrap();
    assert_eq!(
        rep.figures.summary.names(),
        swabsim::observe::SUMMARY_COLUMNS
    );
    assert_eq!(rep.figures.sites[0].names(), swabsim::targets::SITE_COLUMNS);
    assert_eq!(
        rep.figures.rounds[0].names()[1..],
        swabsim::targets::ROUND_COLUMNS
    );
}

/// A sweep with targets lists the variants that meet them on the terminal, as `aggregate.csv`
/// marks them.
#[test]
fn a_sweep_lists_its_passing_variants() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("three-sites.toml");
    std::fs::write(&scenario, THREE_SITES).unwrap();
    let sweep = tmp.path().join("s.toml");
    std::fs::write(
        &sweep,
        "version = 1\n[sweep]\nname = \"s\"\nscenario = \"three-sites.toml\"\nreplications = 2\n\
         [[parameter]]\npath = \"area.a-large.residents\"\nvalues = [10, 230]\n\
         [[target]]\nfigure = \"tested\"\nat_most = 300\n",
    )
    .unwrap();
    let out = crate::cli::swabsim()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("1 of 2 variants meet every target on the mean:\n  variant 0: area.a-large.residents=10\n"),
        "{out}"
    );
}
