//! Exceptions inside compact blocks: one entry of a `count` block changed in the file
//! (`except`), with `--set site.point-3.desks=6`, and as a sweep variable.

use predicates::prelude::*;

use crate::cli::{read_csv, swabsim};
use crate::support::model;

const CITY: &str = r#"version = 1
[scenario]
name = "except"
start = 2022-11-02T07:00:00
horizon = "6h"
seed = 3
[[site]]
name = "point-{i}"
count = 4
desks = 1
queue_capacity = 30
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }
[[area]]
name = "block-{i}"
count = 4
residents = 300
households = 100
sites = ["point-{i}"]
walk = { dist = "uniform", min = "1min", max = "5min" }
response = { dist = "exponential", mean = "30min" }
callup = [{ at = "0h", share = 1.0 }]
"#;

/// `except` changes one entry; the others keep the block's values; without it nothing moves.
#[test]
fn an_exception_changes_one_entry_of_a_block() {
    let plain = model(CITY);
    let text = CITY.replace(
        "queue_capacity = 30\n",
        "queue_capacity = 30\nexcept = { point-3 = { desks = 6, hours = [\"08:00-12:00\"] } }\n",
    );
    let m = model(&text);
    let desks: Vec<u32> = m.sites.iter().map(|s| s.desks).collect();
    assert_eq!(desks, [1, 1, 6, 1]);
    let names: Vec<&str> = m.sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["point-1", "point-2", "point-3", "point-4"]);
    assert_eq!(
        m.sites[2].queue_capacity,
        Some(30),
        "the block's other keys"
    );
    assert_ne!(
        format!("{:?}", m.sites[2].hours),
        format!("{:?}", m.sites[1].hours)
    );
    assert_eq!(
        format!("{:?}", m.sites[1]),
        format!("{:?}", plain.sites[1]),
        "the other entries are untouched"
    );
}

/// `--set site.point-3.desks=6` on a block writes the block's `except`: the same model as the
/// file's exception, and the run's sites.csv has 6 desks at point-3 only.
#[test]
fn set_names_an_entry_of_a_block() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("city.toml");
    std::fs::write(&file, CITY).unwrap();
    let out = tmp.path().join("r");
    swabsim()
        .arg("run")
        .arg(&file)
        .args(["-q", "--set", "site.point-3.desks=6", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (h, rows) = read_csv(&out.join("sites.csv"));
    let (site, desks) = (
        h.iter().position(|c| c == "site").unwrap(),
        h.iter().position(|c| c == "desks").unwrap(),
    );
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[site].as_str(), r[desks].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("point-1", "1"),
            ("point-2", "1"),
            ("point-3", "6"),
            ("point-4", "1")
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let effective = manifest["effective_scenario"].as_str().unwrap();
    assert!(
        effective.contains("except = { point-3 = { desks = 6 } }"),
        "{effective}"
    );
    // The effective scenario reruns to the same model.
    let again = model(effective);
    assert_eq!(again.sites[2].desks, 6);
}

/// A sweep over one entry of a block: the variable is the entry's path.
#[test]
fn a_sweep_varies_one_entry_of_a_block() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("city.toml");
    std::fs::write(&scenario, CITY).unwrap();
    let sweep = tmp.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            r#"version = 1
[sweep]
name = "one-point"
scenario = "{}"
replications = 2
[[parameter]]
path = "site.point-3.desks"
values = [1, 3]
"#,
            scenario.display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("s");
    swabsim()
        .arg("sweep")
        .arg(&sweep)
        .args(["-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (h, rows) = read_csv(&out.join("aggregate.csv"));
    let util = h.iter().position(|c| c == "desk_utilisation_mean").unwrap();
    let u: Vec<f64> = rows.iter().map(|r| r[util].parse().unwrap()).collect();
    assert!(
        u[1] < u[0],
        "three desks at one point lower the mean utilisation: {u:?}"
    );
}

#[test]
fn bad_exceptions_are_refused_with_the_entry_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = |except: &str, expect: &str| {
        let file = tmp.path().join("bad.toml");
        std::fs::write(
            &file,
            CITY.replace(
                "queue_capacity = 30\n",
                &format!("queue_capacity = 30\n{except}\n"),
            ),
        )
        .unwrap();
        swabsim()
            .arg("validate")
            .arg(&file)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(expect));
    };
    bad(
        "except = { point-33 = { desks = 2 } }",
        "`point-33` is not an entry of this block (did you mean `point-3`?)",
    );
    bad(
        "except = { point-3 = { count = 2 } }",
        "`count` cannot differ for one entry of a block",
    );
    bad(
        "except = { point-3 = { desks = 0 } }",
        "`site.point-3.desks`: must be at least 1, found 0",
    );
    bad(
        "except = { point-3 = { deks = 2 } }",
        "unknown field `deks`",
    );
    // A site that is not a block has nothing to except.
    swabsim()
        .args([
            "run",
            "scenarios/tutorial.toml",
            "--set",
            "site.gate-9.desks=2",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("there is no `gate-9` in `site`"));
}

/// Desks by time of day: 1 desk from 07:00 to 10:00, then 3 until closing at 19:00. Arrivals
/// stop at 17:00 and are light, so nobody is left at closing: the desk-hours open are exactly
/// 3 × 1 + 9 × 3 = 30, and the time series shows 1 desk at 09:00 and 3 at 11:00.
#[test]
fn desks_follow_the_plan_of_the_day() {
    let text = r#"version = 1
[scenario]
name = "plan"
start = 2022-11-02T07:00:00
horizon = "14h"
seed = 5
report_every = "1h"
[[site]]
name = "hall"
desks = 3
hours = ["07:00-19:00"]
desks_by_time = [{ hours = "07:00-10:00", desks = 1 }]
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "30s" }
[[area]]
name = "walk-ins"
sites = ["hall"]
walkin = { rate = "20/h", end = "10h" }
"#;
    let reps = crate::support::run(&model(text), 1);
    let f = &reps[0].figures;
    let desk_h = crate::support::figure(&reps, "desk_hours_open")[0];
    assert!((desk_h - 30.0).abs() < 1e-9, "{desk_h} desk-hours");
    let at = |h: f64| {
        f.series
            .iter()
            .find(|r| (r.t.hours() - h).abs() < 1e-9)
            .unwrap()
            .desks_open
    };
    assert_eq!((at(2.0), at(4.0), at(13.0)), (1, 3, 0));
    // Windows that overlap or ask for more desks than the site has are refused.
    for (windows, expect) in [
        (
            r#"[{ hours = "07:00-10:00", desks = 1 }, { hours = "09:00-11:00", desks = 2 }]"#,
            "two windows of `desks_by_time` overlap",
        ),
        (
            r#"[{ hours = "07:00-10:00", desks = 4 }]"#,
            "a window asks for 4 desks, but the site has 3",
        ),
    ] {
        let bad = text.replace(r#"[{ hours = "07:00-10:00", desks = 1 }]"#, windows);
        let err = match swabsim::load_str("bad.toml", &bad, &[]) {
            Ok(_) => panic!("accepted: {windows}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expect), "{err}");
    }
}

/// A compact block of routes: 4 vans, each serving its group of 10 of the 40 points, written in
/// three lines instead of a list of 40 names.
#[test]
fn a_count_block_of_routes_serves_groups_of_points() {
    let text = r#"version = 1
[scenario]
name = "vans"
start = 2022-11-02T07:00:00
horizon = "10h"
[[site]]
name = "point-{i}"
count = 40
desks = 1
pool = 10
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }
[[route]]
name = "van-{i}"
count = 4
sites = ["point-{i}"]
sites_per_route = 10
lab = "lab"
every = "2h"
box = 500
travel = { dist = "constant", value = "20min" }
[[lab]]
name = "lab"
machines = 4
run = { dist = "constant", value = "2h" }
[[area]]
name = "block-{i}"
count = 40
residents = 50
households = 20
sites = ["point-{i}"]
walk = { dist = "uniform", min = "1min", max = "5min" }
response = { dist = "exponential", mean = "30min" }
callup = [{ at = "0h", share = 1.0 }]
"#;
    let m = model(text);
    let names: Vec<&str> = m.routes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["van-1", "van-2", "van-3", "van-4"]);
    for (k, r) in m.routes.iter().enumerate() {
        let served: Vec<&str> = r
            .sites
            .iter()
            .map(|s| m.sites[s.0 as usize].name.as_str())
            .collect();
        let want: Vec<String> = (k * 10 + 1..=k * 10 + 10)
            .map(|j| format!("point-{j}"))
            .collect();
        assert_eq!(served, want, "van-{}", k + 1);
    }
    assert!(
        m.sites.iter().all(|s| s.route.is_some()),
        "every point is on a route"
    );
    // The run carries every tube to the lab.
    let reps = crate::support::run(&m, 1);
    assert!(crate::support::figure(&reps, "tubes")[0] > 100.0);
    // A group that runs past the last point is refused, naming the missing site.
    let bad = text.replace("count = 4\nsites", "count = 5\nsites");
    let err = match swabsim::load_str("bad.toml", &bad, &[]) {
        Ok(_) => panic!("five vans of ten for forty points"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(
            "`route.van-5.sites`: names the site `point-41`, but no [[site]] has that name"
        ),
        "{err}"
    );
}

/// `then` names real sites with shares that add up to 1, never leads back, and is not for
/// checkpoints; each mistake is refused with the key and a fix.
#[test]
fn routing_between_sites_is_checked() {
    let base = |gate: &str, extra: &str| {
        format!(
            r#"version = 1
[scenario]
name = "gates"
start = 2022-11-02T07:00:00
horizon = "10h"

[[site]]
name = "gate"
desks = 1
{gate}
[[site.stage]]
name = "check"
service = {{ dist = "constant", value = "20s" }}

[[site]]
name = "hall"
desks = 2
{extra}
[[site.stage]]
name = "swab"
service = {{ dist = "constant", value = "30s" }}

[[area]]
name = "walk-ins"
sites = ["gate"]
walkin = {{ rate = "60/h" }}
"#
        )
    };
    assert!(
        swabsim::load_str(
            "ok.toml",
            &base("then = [{ site = \"hall\", share = 1.0 }]", ""),
            &[]
        )
        .is_ok()
    );
    for (gate, extra, expect) in [
        (
            "then = [{ site = \"hal\", share = 1.0 }]",
            "",
            "`site.gate.then`: names the site `hal`, but no [[site]] has that name (did you mean `hall`?)",
        ),
        (
            "then = [{ site = \"hall\", share = 0.8 }]",
            "",
            "`site.gate.then`: the shares add up to 0.8, not 1",
        ),
        (
            "then = [{ site = \"gate\", share = 1.0 }]",
            "",
            "`site.gate.then`: `gate` sends people back to itself",
        ),
        (
            "then = [{ site = \"hall\", share = 1.0 }]",
            "then = [{ site = \"gate\", share = 1.0 }]",
            "people can go round from `hall` back to `gate`",
        ),
        (
            "kind = \"checkpoint\"\nthen = [{ site = \"hall\", share = 1.0 }]",
            "",
            "a checkpoint passes vehicles, not people, on to another site",
        ),
        (
            "then = [{ site = \"hall\", share = 1.0 }]",
            "kind = \"checkpoint\"",
            "`hall` is a road checkpoint, which checks vehicles, not people passed on from a post",
        ),
    ] {
        let err = match swabsim::load_str("bad.toml", &base(gate, extra), &[]) {
            Ok(_) => panic!("accepted: {gate} / {extra}"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expect), "{err}");
    }
}
