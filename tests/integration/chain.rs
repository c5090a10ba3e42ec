//! The sample chain: pooled tubes, couriers, labs, results.

use proptest::prelude::*;
use swabsim::runner::run_one;

use crate::support::{assert_in_ci, figure, model, run};

/// A site open round the clock with Poisson walk-ins, pool size `k`, prevalence `p`, a courier
/// every hour and a lab large enough never to be the bottleneck; arrivals stop at 40 h and the
/// run goes on to 60 h so that every closed tube has its result.
pub fn chain_text(k: u32, p: f64, sensitivity: f64, rate: &str) -> String {
    format!(
        r#"version = 1
[scenario]
name = "dorfman"
start = 2022-11-02T00:00:00
horizon = "60h"
seed = 11
report_every = "1h"

[[site]]
name = "s"
desks = 8
pool = {k}
[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "20s" }}

[[route]]
name = "van"
sites = ["s"]
lab = "lab"
every = "1h"
box = 5000
travel = {{ dist = "constant", value = "15min" }}

[[lab]]
name = "lab"
machines = 20
plate = 94
run = {{ dist = "constant", value = "2h" }}
sensitivity = {sensitivity}

[[area]]
name = "walk-ins"
sites = ["s"]
prevalence = {p}
walkin = {{ rate = "{rate}", end = "40h" }}
"#
    )
}

/// Dorfman's two-stage pooling: a pool of k is tested once, and each member again when it is
/// positive, so the expected lab tests per person are E = 1/k + 1 − (1 − p)^k.
#[test]
fn lab_tests_per_person_match_dorfman() {
    for (k, p) in [(10, 0.02), (20, 0.01), (5, 0.05), (10, 0.001), (1, 0.02)] {
        let reps = run(&model(&chain_text(k, p, 1.0, "500/h")), 12);
        let theory = 1.0 / f64::from(k)
            + if k > 1 {
                1.0 - (1.0 - p).powi(k as i32)
            } else {
                0.0
            };
        let xs = figure(&reps, "lab_tests_per_person");
        if k == 1 {
            assert!(xs.iter().all(|&x| x == 1.0), "single tubes: one test each");
        } else {
            assert_in_ci(
                &format!("Dorfman k={k} p={p}: lab tests per person"),
                &xs,
                theory,
            );
        }
    }
}

/// With a perfect test every infected person swabbed is found, through their pool's re-test.
#[test]
fn sensitivity_one_finds_every_infected_person() {
    for k in [1, 10] {
        let rep = run_one(&model(&chain_text(k, 0.02, 1.0, "300/h")), 0, false, &|| {}).unwrap();
        let s = &rep.figures.summary;
        let infected = s.get("infected_tested").unwrap();
        assert!(infected > 100.0, "{infected}");
        assert_eq!(s.get("positives_found").unwrap(), infected, "pool size {k}");
    }
    // An imperfect test misses some.
    let rep = run_one(
        &model(&chain_text(10, 0.02, 0.7, "300/h")),
        0,
        false,
        &|| {},
    )
    .unwrap();
    let s = &rep.figures.summary;
    assert!(s.get("positives_found").unwrap() < s.get("infected_tested").unwrap());
}

/// Every tube goes through its steps in order, and its result comes no sooner than the
/// courier's wait, one 15 min leg and the 2 h run after it was closed.
#[test]
fn turnaround_is_never_below_pickup_travel_and_run() {
    let rep = run_one(&model(&chain_text(10, 0.02, 1.0, "300/h")), 0, true, &|| {}).unwrap();
    let tubes = &rep.figures.tubes;
    assert!(tubes.len() > 1000);
    for t in tubes {
        let [first, closed, picked, received, run_start, result] = t.times.map(|x| x.0);
        assert!(
            first <= closed && closed <= picked && picked <= received,
            "{t:?}"
        );
        assert!(
            received <= run_start && run_start + 2 * 3_600_000 == result,
            "{t:?}"
        );
        if !t.retest {
            assert!(received - picked >= 15 * 60_000, "{t:?}");
            assert!(
                result - closed >= (picked - closed) + 15 * 60_000 + 2 * 3_600_000,
                "{t:?}"
            );
        }
    }
    let s = &rep.figures.summary;
    assert!(s.get("turnaround_mean_h").unwrap() >= 2.25);
    assert!(s.get("turnaround_p95_h").unwrap() >= s.get("turnaround_mean_h").unwrap());
}

/// A lab with too few machines: tubes arrive at 30 an hour and one machine runs 10 an hour
/// (plates of 10, constant 1 h runs), so the backlog grows by 20 an hour. Arrivals are Poisson:
/// over 20 h the count has sd √600 ≈ 24.5, so the slope has sd ≈ 1.2 an hour; ±5 is 4 sd.
#[test]
fn an_overloaded_lab_builds_its_backlog_at_the_rate_the_inputs_imply() {
    let text = chain_text(1, 0.0, 1.0, "30/h")
        .replace("machines = 20", "machines = 1")
        .replace("plate = 94", "plate = 10")
        .replace("value = \"2h\"", "value = \"1h\"")
        .replace("every = \"1h\"", "every = \"10min\"");
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let at = |h: f64| {
        rep.figures
            .labs
            .iter()
            .find(|r| (r.t.hours() - h).abs() < 1e-9)
            .unwrap()
            .backlog as f64
    };
    let slope = (at(30.0) - at(10.0)) / 20.0;
    assert!((slope - 20.0).abs() < 5.0, "backlog grows {slope} an hour");
    let util = rep
        .figures
        .labs
        .iter()
        .filter(|r| r.t.hours() > 5.0 && r.t.hours() <= 40.0);
    assert!(
        util.clone().all(|r| r.utilisation == 1.0),
        "the machine never rests"
    );
}

/// Tubes run out: sampling stops until the next delivery, and the stock-out is counted.
#[test]
fn a_stock_out_stops_sampling_until_resupply() {
    let text = chain_text(10, 0.0, 1.0, "300/h").replace(
        "pool = 10\n",
        "pool = 10\ntubes = 50\nresupply = { every = \"10h\", tubes = 50 }\n",
    );
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    // Deliveries at 0 (the stock), 10, 20, 30, 40 and 50 h bring 6 × 50 tubes of 10, and the
    // queue (12,000 walk-ins) is never empty: exactly 3,000 are swabbed, each batch in about
    // 500 ÷ (8 desks × 3 a minute) ≈ 21 min, so the site is out of tubes ~58 of its 60 h.
    assert_eq!(s.get("tested"), Some(3000.0));
    assert_eq!(s.get("tubes"), Some(300.0));
    let out = s.get("stockout_hours").unwrap();
    assert!((55.0..59.0).contains(&out), "stock-out hours {out}");
}

prop_compose! {
    fn chain_case()(k in prop::sample::select(vec![1u32, 5, 10, 20]), tubes in prop::option::of(5u32..80),
                    every in prop::option::of(20u32..180), waiting in prop::option::of(1u32..30),
                    machines in 1u32..4, plate in 1u32..100, lab_open in any::<bool>(),
                    staffed in any::<bool>(), p in 0.0f64..0.2, seed in 0u64..300) -> String {
        let every = if every.is_none() && waiting.is_none() { Some(60) } else { every };
        let mut route = String::from("[[route]]\nname = \"van\"\nsites = [\"s\", \"t\"]\nlab = \"lab\"\nbox = 40\ntravel = { dist = \"uniform\", min = \"5min\", max = \"25min\" }\n");
        if let Some(e) = every { route += &format!("every = \"{e}min\"\n"); }
        if let Some(w) = waiting { route += &format!("when_waiting = {w}\n"); }
        let stock = tubes.map_or(String::new(), |t| format!("tubes = {t}\nresupply = {{ every = \"2h\", tubes = {t} }}\n"));
        let hours = if lab_open { "" } else { "hours = [\"08:00-20:00\"]\n" };
        let staff = if staffed {
            "[[rota]]\nname = \"r\"\nshift = \"4h\"\ncrews = 3\nstart = \"06:00\"\ngap = \"20min\"\n[[team]]\nname = \"m\"\nrole = \"sampler\"\nheadcount = 2\nrota = \"r\"\nsites = [\"s\", \"t\"]\n"
        } else { "" };
        let site_staff = if staffed { "staff = { sampler = 1 }\n" } else { "" };
        format!(r#"version = 1
[scenario]
name = "chainprop"
start = 2022-11-02T06:00:00
horizon = "30h"
seed = {seed}
report_every = "1h"

[[site]]
name = "s"
desks = 2
hours = ["07:00-12:00", "13:00-21:00"]
pool = {k}
{stock}{site_staff}[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "40s" }}

[[site]]
name = "t"
desks = 1
pool = {k}
{site_staff}[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "40s" }}

{route}
[[lab]]
name = "lab"
machines = {machines}
plate = {plate}
run = {{ dist = "uniform", min = "1h", max = "3h" }}
batch_wait = "20min"
{hours}
{staff}
[[area]]
name = "a{{i}}"
count = 2
sites = ["s", "t"]
choice = "random"
prevalence = {p}
walkin = {{ rate = "80/h", end = "24h" }}
"#)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random pools, stock, couriers, labs and crews: every tube is in exactly one place and
    /// every swab in exactly one tube at the end of every run (the run fails otherwise).
    #[test]
    fn the_chain_conserves_tubes_and_swabs(text in chain_case()) {
        let m = model(&text);
        let rep = run_one(&m, 0, false, &|| {});
        prop_assert!(rep.is_ok(), "{}\n{}", rep.err().map(|e| e.to_string()).unwrap_or_default(), text);
    }
}

/// Inputs that cannot work are refused with their exact messages.
#[test]
fn impossible_chains_are_refused() {
    let good = chain_text(10, 0.02, 1.0, "100/h");
    assert!(swabsim::load_str("chain.toml", &good, &[]).is_ok());
    let cases = [
        (
            "sites = [\"s\"]\nlab",
            "sites = [\"s\", \"nowhere\"]\nlab",
            r#"chain.toml has 1 problem:
chain.toml:19:15: `route.van.sites`: names the site `nowhere`, but no [[site]] has that name
    fix: use the name of a [[site]] (expanded, e.g. "point-3")"#,
        ),
        (
            "lab = \"lab\"",
            "lab = \"lavb\"",
            r#"chain.toml has 1 problem:
chain.toml:20:7: `route.van.lab`: names the lab `lavb`, but no [[lab]] has that name
    fix: use one of: lab"#,
        ),
        (
            "machines = 20",
            "machines = 0",
            r#"chain.toml has 1 problem:
chain.toml:20:7: `route.van.lab`: sends tubes to the lab `lab`, which has no machines
    fix: give lab `lab` at least one machine, or send this route elsewhere"#,
        ),
        (
            "prevalence = 0.02",
            "prevalence = 1.5",
            r#"chain.toml has 1 problem:
chain.toml:35:14: `area.walk-ins.prevalence`: must be a share between 0 and 1, found 1.5
    fix: write a share as a fraction, e.g. 0.15 for 15%"#,
        ),
        (
            "pool = 10",
            "pool = 0",
            r#"chain.toml has 1 problem:
chain.toml:12:8: `site.s.pool`: a tube holds from 1 to 50 swabs, found 0
    fix: use a validated pool size: 1 (single tube), 5, 10 or 20"#,
        ),
        (
            "sites = [\"s\"]\nlab",
            "sites = []\nlab",
            r#"chain.toml has 1 problem:
chain.toml:17:1: `route`: site `s` is on no courier route: its tubes would never reach a lab
    fix: add "s" to the `sites` of a [[route]]"#,
        ),
    ];
    for (from, to, expected) in cases {
        assert!(good.contains(from), "{from}");
        let err = swabsim::load_str("chain.toml", &good.replacen(from, to, 1), &[])
            .unwrap_err()
            .to_string();
        assert_eq!(err, expected, "\n--- got:\n{err}\n");
    }
}

/// Drivers and technicians on rotas: vans leave only with a courier on duty, and a lab runs
/// only as many machines as its technicians on duty can tend (two per machine here).
#[test]
fn couriers_and_technicians_follow_their_rotas() {
    let staff = r#"
[[rota]]
name = "day"
shift = "10h"
start = "08:00"
every = "24h"

[[team]]
name = "drivers"
role = "courier"
headcount = 1
rota = "day"

[[team]]
name = "technicians"
role = "lab"
headcount = 4
rota = "day"
"#;
    let text = chain_text(1, 0.0, 1.0, "60/h")
        .replace("box = 5000", "box = 5000\ndrivers = \"drivers\"")
        .replace(
            "sensitivity = 1",
            "sensitivity = 1\ntechnicians = \"technicians\"\nper_machine = 2",
        )
        + staff;
    let rep = run_one(&model(&text), 0, true, &|| {}).unwrap();
    let on_duty = |t: u64| {
        let tod_h = (t / 60_000) % (24 * 60);
        (8 * 60..18 * 60).contains(&tod_h)
    };
    let tubes = &rep.figures.tubes;
    assert!(tubes.len() > 500);
    for t in tubes {
        let departed = t.times[2].0 - 15 * 60_000; // the one leg to the only stop
        assert!(on_duty(departed), "van left without a driver: {t:?}");
        assert!(
            on_duty(t.times[4].0),
            "plate started without technicians: {t:?}"
        );
    }
    assert!(
        rep.figures
            .labs
            .iter()
            .all(|r| r.utilisation <= 2.0 / 20.0 + 1e-12),
        "4 technicians run 2 of 20 machines"
    );
}

/// An area's own pool size overrides its site's: the isolation group's people get a tube each
/// while everyone else at the same desks shares tubes of 10.
#[test]
fn areas_can_have_their_own_pool_size() {
    let text = chain_text(10, 0.0, 1.0, "300/h")
        + "\n[[area]]\nname = \"isolation-group\"\nsites = [\"s\"]\npool = 1\nwalkin = { rate = \"30/h\", end = \"40h\" }\n";
    let rep = run_one(&model(&text), 0, true, &|| {}).unwrap();
    let singles = rep.figures.tubes.iter().filter(|t| t.swabs == 1).count() as f64;
    let tens = rep.figures.tubes.iter().filter(|t| t.swabs == 10).count() as f64;
    let sites = &rep.figures.sites[0];
    let tested = sites.get("tested").unwrap();
    // About 1 in 11 people is from the isolation group. The site never closes, so each of the 8
    // desks ends with a tube of 10 still open, holding at most 9 swabs without a result.
    assert!(
        singles > 0.07 * tested && singles < 0.11 * tested,
        "{singles} single tubes of {tested}"
    );
    let open = tested - (singles + 10.0 * tens);
    assert!(
        (0.0..=8.0 * 9.0).contains(&open),
        "{singles} + 10 × {tens} vs {tested}"
    );
    assert_eq!(sites.get("tubes"), rep.figures.summary.get("tubes"));
    assert!(sites.get("turnaround_mean_h").unwrap() > 2.25);
}

/// Ten residents swabbed one a minute from 08:00 at a point open 08:00-09:00, one swab per tube;
/// a van whose only scheduled trip is the next morning, 10 minutes each way; a lab that takes
/// `run`. `{HORIZON}` and `{RUN}` are filled in by the tests.
const SESSION: &str = r#"version = 1
[scenario]
name = "session"
start = 2022-11-02T08:00:00
horizon = "HORIZON"
seed = 5
report_every = "15min"

[[site]]
name = "s"
desks = 1
hours = ["08:00-09:00"]
[[site.stage]]
name = "swab"
service = { dist = "constant", value = "1min" }

[[route]]
name = "van"
sites = ["s"]
lab = "lab"
every = "24h"
first = "24h"
box = 100
travel = { dist = "constant", value = "10min" }

[[lab]]
name = "lab"
machines = 1
plate = 94
batch_wait = "0min"
run = { dist = "constant", value = "RUN" }

[[area]]
name = "block"
residents = 10
sites = ["s"]
callup = [{ at = "0h", share = 1.0 }]
"#;

fn session(horizon: &str, run: &str) -> swabsim::model::Model {
    model(&SESSION.replace("HORIZON", horizon).replace("RUN", run))
}

/// When the point closes for the session with tubes waiting, the route sends a van for them:
/// the ten tubes (closed at 08:01 … 08:10) are picked up at 09:10, not the next morning, and
/// every swab has its result. Waits at the site: 69 … 60 min, mean 64.5 min.
#[test]
fn the_van_collects_what_is_left_when_a_point_closes() {
    let rep = run_one(&session("24h", "1h"), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("tubes"), Some(10.0));
    assert_eq!(s.get("tubes_waiting_max"), Some(10.0));
    let wait = s.get("pickup_wait_mean_h").unwrap();
    assert!((wait - 64.5 / 60.0).abs() < 1e-9, "{wait}");
    assert_eq!(s.get("swabs_pending"), Some(0.0));
    // Results at 09:20 + 1 h = 10:20: swabbed 08:01 … 08:10, so 130 … 139 min after the swab.
    let mean = s.get("turnaround_mean_h").unwrap();
    assert!((mean - 134.5 / 60.0).abs() < 1e-9, "{mean}");
    let waiting: Vec<u64> = rep
        .figures
        .progress
        .iter()
        .map(|p| p.tubes_waiting_pickup)
        .collect();
    assert_eq!(waiting[3], 10, "at 09:00 all ten wait: {waiting:?}");
    assert_eq!(waiting[5], 0, "at 09:30 none: {waiting:?}");
}

/// Swabs still without a result at the horizon are counted, and count in the turnaround with
/// their age then: the lab takes 10 h, the run ends at 12:00 (4 h), so all ten are pending,
/// aged 4 h − 1 … 10 min, mean 4 h − 5.5 min.
#[test]
fn swabs_without_a_result_are_pending_not_forgotten() {
    let rep = run_one(&session("4h", "10h"), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("swabs_pending"), Some(10.0));
    let mean = s.get("turnaround_mean_h").unwrap();
    assert!((mean - (4.0 - 5.5 / 60.0)).abs() < 1e-9, "{mean}");
    let p95 = s.get("turnaround_p95_h").unwrap();
    assert!(p95 >= 4.0 - 2.0 / 60.0 - 0.01, "{p95}");
}

/// The sample chain's flow in `progress.csv`: at every step the tubes closed minus those picked
/// up are the tubes waiting at sites, deliveries never outrun pickups, and with a constant
/// 15-minute drive every tube picked up before the last quarter hour has reached the lab. At
/// the end every tube closed has been delivered (the run goes on 20 h past the last arrival).
#[test]
fn tube_flow_counts_agree_with_the_tubes_waiting_and_the_drive() {
    let rep = run_one(
        &model(&chain_text(10, 0.01, 1.0, "120/h")),
        0,
        false,
        &|| {},
    )
    .unwrap();
    let rows = &rep.figures.progress;
    for w in rows.windows(2) {
        let (prev, p) = (&w[0], &w[1]);
        assert_eq!(
            p.tubes_closed - p.tubes_picked,
            p.tubes_waiting_pickup,
            "at {} h",
            p.t.hours()
        );
        assert!(p.tubes_received <= p.tubes_picked, "at {} h", p.t.hours());
        // Steps are 1 h and the drive 15 min: what was picked by the previous step has arrived.
        assert!(
            p.tubes_received >= prev.tubes_picked,
            "at {} h",
            p.t.hours()
        );
    }
    let last = rows.last().unwrap();
    assert!(last.tubes_closed > 400, "about 4,800 swabs in pools of 10");
    assert_eq!(last.tubes_received, last.tubes_closed);
}
