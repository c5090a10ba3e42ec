//! The engine against queueing theory: M/M/c waits (Erlang C), M/M/c/K blocking, priority
//! classes, utilisation, and Little's law between the time series and the per-person waits.

use crate::support::{Mmc, assert_in_ci, erlang_c, figure, mmcn, model, run};

/// Replications per check: enough for a tight confidence interval, few enough for a fast suite.
const REPS: u32 = 20;

/// Mean wait in the queue for M/M/c at (c, load) pairs up to 0.9, against Erlang C:
/// Wq = C(c, a) / (cμ − λ), with μ = 1 per minute.
#[test]
fn mmc_mean_wait_matches_erlang_c() {
    for (c, load) in [(1, 0.5), (2, 0.8), (5, 0.7), (10, 0.9)] {
        let lambda = load * f64::from(c);
        let text = Mmc {
            c,
            lambda,
            service_min: 1.0,
            capacity: None,
            priority: 0.0,
            hours: 200,
        }
        .text();
        let reps = run(&model(&text), REPS);
        let theory = erlang_c(c, lambda) / (f64::from(c) - lambda);
        assert_in_ci(
            &format!("M/M/{c} at load {load}: mean wait (min)"),
            &figure(&reps, "wait_mean_min"),
            theory,
        );
        assert_in_ci(
            &format!("M/M/{c} at load {load}: desk utilisation"),
            &figure(&reps, "desk_utilisation"),
            load,
        );
    }
}

/// Blocking probability of M/M/c/K: a person who finds every waiting place taken gives up.
/// By PASTA the share of arrivals turned away is p_N, N = c + waiting places.
#[test]
fn finite_queue_blocking_matches_mmck() {
    for (c, cap, load) in [(2, 3, 1.2), (4, 10, 0.95), (1, 0, 0.7)] {
        let lambda = load * f64::from(c);
        let text = Mmc {
            c,
            lambda,
            service_min: 1.0,
            capacity: Some(cap),
            priority: 0.0,
            hours: 200,
        }
        .text();
        let reps = run(&model(&text), REPS);
        let blocked: Vec<f64> = figure(&reps, "gave_up_full")
            .iter()
            .zip(figure(&reps, "arrived"))
            .map(|(b, a)| b / a)
            .collect();
        // The summary's own share is the same ratio, per replication.
        for (share, b) in figure(&reps, "turned_away_share").iter().zip(&blocked) {
            assert!((share - b).abs() < 1e-9, "{share} vs {b}");
        }
        let p = mmcn(c, lambda, c + cap);
        assert_in_ci(
            &format!("M/M/{c}/{} at load {load}: blocking", c + cap),
            &blocked,
            p[(c + cap) as usize],
        );
    }
}

/// Non-preemptive priority with equal exponential service (Cobham): the green lane waits
/// Wq,1 = C(c,a) / (cμ (1 − σ1)), σ1 = λ1/(cμ); the overall mean wait is unchanged from FCFS
/// (Kleinrock's conservation law), Wq = C(c,a)/(cμ − λ).
#[test]
fn green_lane_matches_priority_theory() {
    let (c, lambda, share) = (3, 2.55, 0.3);
    let text = Mmc {
        c,
        lambda,
        service_min: 1.0,
        capacity: None,
        priority: share,
        hours: 300,
    }
    .text();
    let reps = run(&model(&text), REPS);
    let cf = erlang_c(c, lambda);
    let sigma1 = share * lambda / f64::from(c);
    assert_in_ci(
        "green lane mean wait (min)",
        &figure(&reps, "wait_green_mean_min"),
        cf / (f64::from(c) * (1.0 - sigma1)),
    );
    assert_in_ci(
        "overall mean wait with a green lane (min)",
        &figure(&reps, "wait_mean_min"),
        cf / (f64::from(c) - lambda),
    );
    // The other class (Cobham): Wq,2 = C(c,a) / (cμ (1 − σ1)(1 − σ)), σ = λ/(cμ).
    let sigma = lambda / f64::from(c);
    assert_in_ci(
        "other class mean wait (min)",
        &figure(&reps, "wait_other_mean_min"),
        cf / (f64::from(c) * (1.0 - sigma1) * (1.0 - sigma)),
    );
    // Priority does not change who waits: P(wait) is still Erlang C.
    assert_in_ci(
        "P(wait) with a green lane",
        &figure(&reps, "waited_share"),
        cf,
    );
}

/// The share of people who waited at all: Erlang C for M/M/c; for M/M/c/K the arrivals who
/// found every desk busy but a place free, among those admitted: (Σ_{n=c}^{K−1} p_n) / (1 − p_K).
#[test]
fn the_share_who_waited_matches_erlang_c_and_mmck() {
    for (c, cap, load) in [(3, None, 0.8), (2, Some(3), 1.2)] {
        let lambda = load * f64::from(c);
        let text = Mmc {
            c,
            lambda,
            service_min: 1.0,
            capacity: cap,
            priority: 0.0,
            hours: 200,
        }
        .text();
        let reps = run(&model(&text), REPS);
        let theory = match cap {
            None => erlang_c(c, lambda),
            Some(k) => {
                let p = mmcn(c, lambda, c + k);
                let n = (c + k) as usize;
                p[c as usize..n].iter().sum::<f64>() / (1.0 - p[n])
            }
        };
        assert_in_ci(
            &format!("P(wait) at M/M/{c} with {cap:?} places, load {load}"),
            &figure(&reps, "waited_share"),
            theory,
        );
    }
}

/// Little's law, exactly: the area under the queue-length curve equals the sum of the waits
/// when everyone who queued is served before the horizon. The time series (per-step
/// time-weighted means), the summary's person-minutes and the per-person waits are computed by
/// different code paths; they agree to rounding (1e-9 relative).
#[test]
fn littles_law_between_series_and_waits() {
    let text = r#"version = 1
[scenario]
name = "little"
start = 2022-11-02T07:00:00
horizon = "30h"
seed = 7
report_every = "10min"

[[site]]
name = "gate"
desks = 3
hours = ["08:00-12:00", "13:00-18:00"]
when_closed = "queue"
green_lane = true

[[site.stage]]
name = "register"
service = { dist = "lognormal", mean = "40s", sd = "20s" }

[[site.stage]]
name = "swab"
service = { dist = "triangular", min = "10s", mode = "13s", max = "25s" }

[[area]]
name = "block-{i}"
count = 6
residents = 400
sites = ["gate"]
walk = { dist = "uniform", min = "2min", max = "12min" }
priority_share = 0.2
response = { dist = "exponential", mean = "15min" }
stagger = "70min"
callup = [{ at = "0h", share = 0.6 }, { at = "30min", share = 0.4 }]
"#;
    let m = model(text);
    let reps = run(&m, 3);
    for r in &reps {
        let s = &r.figures.summary;
        let tested = s.get("tested").unwrap();
        assert_eq!(tested, 2400.0, "everyone is served before the horizon");
        let waits_min = s.get("wait_mean_min").unwrap() * tested;
        let step_min = m.report_every.minutes();
        let mut last_t = 0.0;
        let mut area_min = 0.0;
        for row in &r.figures.series {
            let t = row.t.0 as f64 / 60_000.0;
            area_min += row.queue_mean * (t - last_t);
            last_t = t;
        }
        assert!(step_min > 0.0);
        let person_min = s.get("queue_person_min").unwrap();
        assert!(
            (area_min - waits_min).abs() <= 1e-9 * waits_min,
            "series {area_min} vs waits {waits_min}"
        );
        assert!(
            (person_min - waits_min).abs() <= 1e-9 * waits_min,
            "summary {person_min} vs waits {waits_min}"
        );
        // L = λW over the run: mean queue = arrivals × mean wait / horizon.
        let horizon_min = m.horizon.0 as f64 / 60_000.0;
        let mean_queue = area_min / horizon_min;
        let lw = tested / horizon_min * s.get("wait_mean_min").unwrap();
        assert!((mean_queue - lw).abs() <= 1e-9 * lw);
    }
}

/// Two posts in tandem (a pre-check hall, then the swab hall): Poisson walk-ins at λ = 0.6/min
/// to one exponential desk (μ₁ = 1/min), every person then on to another (μ₂ = 0.8/min). By
/// Burke's theorem the first queue's departures are Poisson at λ, and by Jackson's theorem the
/// two queues are independent M/M/1 in steady state: mean waits ρᵢ/(μᵢ − λ) = 1.5 and 3.75 min,
/// and the mean time from the first arrival to the swab 1/(μ₁ − λ) + 1/(μ₂ − λ) = 7.5 min.
/// Triage splits the flow: with 10% sent to a fever lane, the swab hall sees Poisson arrivals at
/// 0.9λ = 0.54/min, a mean wait of 0.675/(0.8 − 0.54) = 2.596 min, and the fever lane
/// (μ = 0.5/min) 0.06/min, 0.12/(0.5 − 0.06) = 0.2727 min. Each mean is checked against the 99%
/// interval of the replication means (200 h each); the share sent to the fever lane against
/// 0.1 within 4 binomial sd.
#[test]
fn a_tandem_and_a_triage_split_match_jackson() {
    let text = |then: &str| {
        format!(
            r#"version = 1
[scenario]
name = "tandem"
start = 2022-11-02T00:00:00
horizon = "200h"
seed = 7
report_every = "10h"

[[site]]
name = "precheck"
desks = 1
then = [{then}]
then_walk = {{ dist = "uniform", min = "20s", max = "40s" }}
[[site.stage]]
name = "check"
service = {{ dist = "exponential", mean = "60s" }}

[[site]]
name = "swab-hall"
desks = 1
[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "75s" }}

[[site]]
name = "fever-lane"
desks = 1
[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "120s" }}

[[area]]
name = "walk-ins"
sites = ["precheck"]
walkin = {{ rate = "0.6/min" }}
"#
        )
    };
    let site = |reps: &[swabsim::runner::Replication], s: usize, name: &str| -> Vec<f64> {
        reps.iter()
            .map(|r| r.figures.sites[s].get(name).unwrap())
            .collect()
    };
    let reps = run(
        &model(&text(r#"{ site = "swab-hall", share = 1.0 }"#)),
        REPS,
    );
    assert_in_ci(
        "tandem: pre-check mean wait (min)",
        &site(&reps, 0, "wait_mean_min"),
        1.5,
    );
    assert_in_ci(
        "tandem: swab hall mean wait (min)",
        &site(&reps, 1, "wait_mean_min"),
        3.75,
    );
    // The walk between the halls (uniform 20-40 s, mean 0.5 min) adds to the time in system.
    assert_in_ci(
        "tandem: first arrival to swab (min)",
        &site(&reps, 1, "time_in_system_mean_min"),
        7.5 + 0.5,
    );
    for r in &reps {
        let s = &r.figures.sites;
        assert_eq!(
            s[0].get("tested"),
            Some(0.0),
            "nobody is swabbed at the pre-check"
        );
        // Passed on = arrived at the swab hall, but for those still walking at the horizon
        // (who left in its last 40 s: about 0.4 people at 0.6/min).
        let walking = s[0].get("passed_on").unwrap() - s[1].get("routed_in").unwrap();
        assert!(
            (0.0..=5.0).contains(&walking),
            "{walking} walking at the end"
        );
        assert_eq!(r.figures.summary.get("arrived"), s[0].get("arrived"));
    }

    let split = run(
        &model(&text(
            r#"{ site = "swab-hall", share = 0.9 }, { site = "fever-lane", share = 0.1 }"#,
        )),
        REPS,
    );
    assert_in_ci(
        "triage: swab hall mean wait (min)",
        &site(&split, 1, "wait_mean_min"),
        0.675 / (0.8 - 0.54),
    );
    assert_in_ci(
        "triage: fever lane mean wait (min)",
        &site(&split, 2, "wait_mean_min"),
        0.12 / (0.5 - 0.06),
    );
    let fever: f64 = site(&split, 2, "routed_in").iter().sum();
    let passed: f64 = site(&split, 0, "passed_on").iter().sum();
    let sd = (passed * 0.1 * 0.9).sqrt();
    assert!(
        (fever - 0.1 * passed).abs() < 4.0 * sd,
        "{fever} of {passed} sent to the fever lane"
    );
}
