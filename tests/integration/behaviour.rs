//! The processes a planner relies on: opening hours and closing, site choice, giving up.

use swabsim::observe::Outcome;
use swabsim::runner::run_one;
use swabsim::time::{DAY, HOUR};

use crate::support::model;

fn site_scenario(when_closed: &str) -> String {
    format!(
        r#"version = 1
[scenario]
name = "hours"
start = 2022-11-02T06:00:00
horizon = "48h"
seed = 3

[[site]]
name = "gate"
desks = 2
hours = ["08:00-12:00", "14:00-17:00"]
when_closed = "{when_closed}"

[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "40s" }}

[[area]]
name = "street"
sites = ["gate"]
walkin = {{ rate = "100/h", end = "40h" }}
"#
    )
}

/// Milliseconds since midnight of a run time, for a 06:00 start.
fn clock(ms: u64) -> u64 {
    (6 * HOUR + ms) % DAY
}

fn open(tod: u64) -> bool {
    (8 * HOUR..12 * HOUR).contains(&tod) || (14 * HOUR..17 * HOUR).contains(&tod)
}

/// The closing time (run ms, may be before the start) at or before `t` while the site is closed.
fn last_closing(t: u64) -> i64 {
    let tod = clock(t);
    let midnight = t as i64 - tod as i64;
    let close = if tod >= 17 * HOUR {
        17 * HOUR as i64
    } else if tod >= 12 * HOUR {
        12 * HOUR as i64
    } else {
        17 * HOUR as i64 - DAY as i64 // 17:00 the day before
    };
    midnight + close
}

/// Desks start a person only in opening hours, or after closing for someone who came before
/// closing; with "come-back" nobody is lost to the hours.
#[test]
fn desks_serve_in_hours_and_finish_the_queue_at_closing() {
    let m = model(&site_scenario("come-back"));
    let rep = run_one(&m, 0, true, &|| {}).unwrap();
    let rows = rep.trace.unwrap().rows;
    let mut after_closing = 0;
    for r in rows.iter().filter(|r| r.outcome == Outcome::Tested) {
        let start = r.visit.service_start.0;
        if !open(clock(start)) {
            after_closing += 1;
            assert!(
                (r.visit.arrival.0 as i64) < last_closing(start),
                "{r:?} served while closed"
            );
        }
    }
    assert!(
        after_closing > 0,
        "the queue at closing is finished after closing"
    );
    assert_eq!(rep.figures.summary.get("gave_up"), Some(0.0));
}

/// With "give-up", exactly the people who arrive outside the hours leave untested.
#[test]
fn closed_sites_turn_people_away_when_asked_to() {
    let m = model(&site_scenario("give-up"));
    let rep = run_one(&m, 0, true, &|| {}).unwrap();
    for r in &rep.trace.unwrap().rows {
        let arrived_open = open(clock(r.visit.arrival.0));
        match r.outcome {
            Outcome::GaveUp(_) => assert!(!arrived_open, "{r:?}"),
            Outcome::Tested => assert!(arrived_open, "{r:?}"),
        }
    }
    let s = &rep.figures.summary;
    // Walk-ins come 40 h at 100/h; the site is open 7 of every 24 h.
    let share = s.get("gave_up_closed").unwrap() / s.get("arrived").unwrap();
    assert!((0.6..0.8).contains(&share), "share turned away {share}");
}

/// Shortest-queue choice sends more people to the site with more desks; "first" sends everyone
/// to the first site listed; "random" splits evenly (within 4 standard deviations of a binomial).
#[test]
fn site_choice_rules() {
    let text = |choice: &str| {
        format!(
            r#"version = 1
[scenario]
name = "choice"
start = 2022-11-02T08:00:00
horizon = "10h"
seed = 5

[[site]]
name = "small"
desks = 1
[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "60s" }}

[[site]]
name = "large"
desks = 4
[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "60s" }}

[[area]]
name = "block"
residents = 2000
sites = ["small", "large"]
choice = "{choice}"
response = {{ dist = "uniform", min = "0s", max = "8h" }}
callup = [{{ at = "0h", share = 1.0 }}]
"#
        )
    };
    let arrivals = |choice: &str| {
        let rep = run_one(&model(&text(choice)), 0, false, &|| {}).unwrap();
        let a = |s: usize| rep.figures.sites[s].get("arrived").unwrap();
        (a(0), a(1))
    };
    let (small, large) = arrivals("shortest-queue");
    assert!(large > 2.0 * small, "small {small}, large {large}");
    let (small, large) = arrivals("first");
    assert_eq!((small, large), (2000.0, 0.0));
    let (small, large) = arrivals("random");
    let sd = (2000.0_f64 * 0.25).sqrt();
    assert!(
        (small - 1000.0).abs() < 4.0 * sd && small + large == 2000.0,
        "small {small}"
    );
}

/// Pipelined posts: with constant times of 30 s (register) and 10 s (swab) at one desk and ten
/// people waiting at the start, the registrar takes the next person while the sampler swabs, so
/// the last person leaves at 10 × 30 s + 10 s = 310 s (in series it would be 400 s). With the
/// slow post second (10 s then 30 s), registered people wait at the registration post for the
/// sampler (blocking), and the last leaves at 10 s + 10 × 30 s = 310 s as well.
#[test]
fn desk_posts_work_as_a_pipeline() {
    for (first, second) in [(30, 10), (10, 30)] {
        let text = format!(
            r#"version = 1
[scenario]
name = "pipeline"
start = 2022-11-02T08:00:00
horizon = "1h"

[[site]]
name = "desk"
desks = 1
[[site.stage]]
name = "register"
service = {{ dist = "constant", value = "{first}s" }}
[[site.stage]]
name = "swab"
service = {{ dist = "constant", value = "{second}s" }}

[[area]]
name = "ten"
residents = 10
sites = ["desk"]
callup = [{{ at = "0s", share = 1.0 }}]
"#
        );
        let rep = run_one(&model(&text), 0, true, &|| {}).unwrap();
        let rows = rep.trace.unwrap().rows;
        assert_eq!(rows.len(), 10);
        let last = rows.iter().map(|r| r.end.0).max().unwrap();
        assert_eq!(last, 310_000, "stages {first}s, {second}s");
        let starts: Vec<u64> = rows
            .iter()
            .map(|r| r.visit.service_start.0 / 1000)
            .collect();
        // A person enters when the first post frees: every 30 s when registration is the slow
        // post; when the swab is, the second person registers at once, then blocks the post
        // until the sampler is free, so entries are 0, 10, 40, 70, ... s.
        let expected: Vec<u64> = (0..10)
            .map(|k| match (first, k) {
                (30, k) => 30 * k,
                (_, 0) => 0,
                (_, k) => 10 + 30 * (k - 1),
            })
            .collect();
        assert_eq!(starts, expected, "stages {first}s, {second}s");
    }
}

/// A point open on the first day only: people who come after it closed for good go home
/// (gave up, closed) instead of waiting for an opening that never comes, and a second call-up on
/// day 2 finds it closed too.
#[test]
fn a_point_closed_for_good_sends_people_home() {
    let text = r#"version = 1
[scenario]
name = "days"
start = 2022-11-02T08:00:00
horizon = "48h"
seed = 2

[[site]]
name = "p"
desks = 2
hours = ["08:00-12:00"]
days = [1]
when_closed = "come-back"
[[site.stage]]
name = "swab"
service = { dist = "constant", value = "15s" }

[[area]]
name = "early"
residents = 50
sites = ["p"]
callup = [{ at = "0h", share = 1.0 }]

[[area]]
name = "late"
residents = 40
sites = ["p"]
rounds = 2
round_every = "24h"
callup = [{ at = "5h", share = 1.0 }]
"#;
    let m = crate::support::model(text);
    let s = &swabsim::runner::run_one(&m, 0, false, &|| {})
        .unwrap()
        .figures
        .summary;
    assert_eq!(s.get("tested"), Some(50.0));
    assert_eq!(s.get("gave_up_closed"), Some(80.0));
    assert_eq!(s.get("in_system_at_end"), Some(0.0));
    assert_eq!(
        s.get("desk_hours_open"),
        Some(8.0),
        "2 desks × 4 h on day 1 only"
    );
}

/// Found by the fuzzer: `days = []` made the opening-hours search loop for ever in `validate`.
#[test]
fn an_empty_list_of_days_is_refused_at_once() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-corpus/chain-and-homes.toml"),
    )
    .unwrap()
    .replace("days = [1]", "days = []");
    let err = swabsim::load_str("days.toml", &text, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`site.p-{i}.days`: days count from 1"),
        "{err}"
    );
}
