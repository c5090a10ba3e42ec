//! The run page's replay: its data are the time series' numbers, a city is grouped to a size a
//! browser draws, and site positions are read and checked.

use std::path::Path;

use predicates::prelude::*;

use crate::cli::{read_csv, swabsim};

/// The replay's JSON, as the page's script reads it.
fn replay(dir: &Path) -> serde_json::Value {
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let tag = r#"id="replay-data">"#;
    let start = page.find(tag).expect("a replay") + tag.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end].replace("<\\/", "</")).unwrap()
}

fn run(scenario: &Path, out: &Path, sets: &[&str]) -> assert_cmd::assert::Assert {
    let mut c = swabsim();
    c.arg("run").arg(scenario).arg("-q").arg("--out").arg(out);
    for s in sets {
        c.args(["--set", s]);
    }
    c.assert()
}

#[test]
fn the_replay_shows_the_queues_of_timeseries_csv_at_every_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    run(Path::new("scenarios/tutorial.toml"), &out, &[]).success();
    let d = replay(&out);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (clock, site, queue, desks) = (col("clock"), col("site"), col("queue"), col("desks_open"));
    let clocks: Vec<&str> = d["clock"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // 14 hours at 15 minutes: every step is a frame (no thinning below 300 frames).
    assert_eq!(clocks.len(), 56);
    let names = d["names"].as_array().unwrap();
    assert_eq!(names.len(), 1);
    let mut compared = 0;
    for r in &rows {
        let f = clocks.iter().position(|c| *c == r[clock]).unwrap();
        let m = names.iter().position(|n| n == &r[site]).unwrap();
        assert_eq!(
            d["queue"][f][m].to_string(),
            r[queue],
            "queue at {}",
            r[clock]
        );
        assert_eq!(
            d["desks"][f][m].to_string(),
            r[desks],
            "desks at {}",
            r[clock]
        );
        compared += 1;
    }
    assert_eq!(compared, 56);
    assert!(
        d["queue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f[0].as_u64().unwrap() > 0),
        "the tutorial has a queue at some time"
    );
    // One round, one site for all 1,200 residents: the share tested at the last frame is the
    // run's tested ÷ 1,200, in thousandths.
    let (sh, srows) = read_csv(&out.join("summary.csv"));
    let tested: f64 = srows[0][sh.iter().position(|c| c == "tested").unwrap()]
        .parse()
        .unwrap();
    let last = d["share"].as_array().unwrap().last().unwrap()[0]
        .as_u64()
        .unwrap();
    assert_eq!(last, (1000.0 * tested / 1200.0).round() as u64);
}

/// A city of 450 points: the replay draws at most 400 marks, each the sum of its sites, and
/// says so on the page.
#[test]
fn a_city_replay_groups_neighbouring_sites_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("city.toml");
    std::fs::write(
        &scenario,
        r#"version = 1
[scenario]
name = "city"
start = 2022-11-02T07:00:00
horizon = "2h"
report_every = "30min"
[[site]]
name = "point-{i}"
count = 450
desks = 1
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }
[[area]]
name = "block-{i}"
count = 450
residents = 20
households = 8
sites = ["point-{i}"]
walk = { dist = "uniform", min = "1min", max = "5min" }
response = { dist = "exponential", mean = "10min" }
callup = [{ at = "0h", share = 1.0 }]
"#,
    )
    .unwrap();
    let out = tmp.path().join("r");
    run(&scenario, &out, &[]).success();
    let d = replay(&out);
    let names = d["names"].as_array().unwrap();
    // 450 sites at ceil(450 / 400) = 2 per mark.
    assert_eq!(names.len(), 225);
    assert_eq!(names[0], "point-1 … point-2");
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("the 450 sites are drawn as 225 marks"),
        "the page says it grouped"
    );
    // Each mark holds the sum of its two sites: compare the total tested at the last frame.
    let (h, rows) = read_csv(&out.join("sites.csv"));
    let tested = h.iter().position(|c| c == "tested").unwrap();
    let total: u64 = rows.iter().map(|r| r[tested].parse::<u64>().unwrap()).sum();
    let last = d["tested"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(last.iter().map(|v| v.as_u64().unwrap()).sum::<u64>(), total);
    // A position on a `count` block would stack its sites on one spot: refused.
    run(
        &scenario,
        &tmp.path().join("stacked"),
        &["site.point-{i}.x=1", "site.point-{i}.y=2"],
    )
    .code(1)
    .stderr(predicate::str::contains(
        "a `count` block with a position would put all its sites on one spot",
    ));
}

#[test]
fn site_positions_place_the_replay_and_bad_ones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let tutorial = Path::new("scenarios/tutorial.toml");
    run(
        tutorial,
        &out,
        &["site.east-gate.lat=26.22", "site.east-gate.lon=111.61"],
    )
    .success();
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("sites are placed by the positions in the scenario"));
    run(tutorial, &tmp.path().join("x"), &["site.east-gate.x=3"])
        .code(1)
        .stderr(predicate::str::contains(
            "a plane position needs both `x` and `y` (finite numbers), and no `lat`/`lon`",
        ));
    run(
        tutorial,
        &tmp.path().join("lat"),
        &["site.east-gate.lat=95", "site.east-gate.lon=1"],
    )
    .code(1)
    .stderr(predicate::str::contains("site.east-gate.lat"));
}

/// A Chinese site name has no glyphs in the shipped font: the run uses a system font that has
/// them, or (on a machine without one, like CI's) warns, naming the site and `--font`.
#[test]
fn chinese_names_get_a_system_font_or_a_warning_that_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/tutorial.toml")
        .unwrap()
        .replace("east-gate", "东门");
    let scenario = tmp.path().join("zh.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = swabsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let warned = err.contains(
        "warning: no font on this machine has the characters 东门 of `东门`: PNG charts show boxes for them (SVG charts and the page are fine); pass --font FILE with a CJK TrueType/OpenType font, e.g. Noto Sans CJK",
    );
    let found = err.contains("note: PNG charts draw names such as `东门` with the system font ");
    assert!(warned != found, "exactly one of the two: {err}");
    // A Latin name needs neither.
    let latin = swabsim()
        .args(["run", "scenarios/tutorial.toml", "--out"])
        .arg(tmp.path().join("latin"))
        .output()
        .unwrap();
    let err = String::from_utf8(latin.stderr).unwrap();
    assert!(!err.contains("font"), "{err}");
}
