//! City scale: a 25-million-person round (run in release by `.ci/run`, `--ignored`).

use swabsim::runner::run_one;

use crate::support::model;

/// 200,000 buildings of 125 residents, 10,000 sampling points of 4 desks, one 24 h round.
/// The books balance, nearly everyone is tested, and the person records in memory at once are a
/// small fraction of the population (records are reused as people leave).
#[test]
#[ignore = "city scale: about a minute in release; .ci/run runs it"]
fn a_25_million_person_round() {
    let text = r#"version = 1
[scenario]
name = "city"
start = 2022-04-04T06:00:00
horizon = "24h"
seed = 2022
report_every = "1h"

[[site]]
name = "point-{i}"
count = 10000
desks = 4
queue_capacity = 200
green_lane = true
on_full = { action = "come-back", after = { dist = "uniform", min = "20min", max = "40min" }, tries = 5 }

[[site.stage]]
name = "register"
service = { dist = "lognormal", mean = "30s", sd = "12s" }

[[site.stage]]
name = "swab"
service = { dist = "triangular", min = "10s", mode = "13s", max = "20s" }

[[area]]
name = "building-{i}"
count = 200000
residents = 125
sites = ["point-{i/20}"]
walk = { dist = "uniform", min = "3min", max = "15min" }
priority_share = 0.15
turnout = 0.98
response = { dist = "lognormal", mean = "20min", sd = "10min" }
stagger = "30min"
stagger_cycle = 20
callup = [{ at = "0h", share = 1.0 }]
"#;
    let m = model(text);
    assert_eq!(m.residents(), 25_000_000);
    let rep = run_one(&m, 0, false, &|| {}).expect("conservation holds");
    let s = &rep.figures.summary;
    let tested = s.get("tested").unwrap();
    eprintln!(
        "tested {tested}, events {}, peak person records {}",
        rep.events, rep.peak_people
    );
    assert!(tested > 0.97 * 25_000_000.0, "tested {tested}");
    assert!(
        rep.peak_people < 2_500_000,
        "peak {} person records",
        rep.peak_people
    );
}

#[path = "../common/city.rs"]
mod city;

/// The Shanghai-scale round (domain.md V8): 25.7 million residents, 20,560 points with crews in
/// two shifts, 1,028 courier routes and 103 labs; its partitions cross by tube deliveries. The
/// books balance (in every partition and overall), nearly everyone is tested, the tubes reach the
/// labs, and what is held at once stays far below the population.
#[test]
#[ignore = "city scale: about half a minute in release; .ci/run runs it"]
fn a_shanghai_scale_round_with_crews_couriers_and_labs() {
    let m = model(&city::city(20_560, 20));
    assert_eq!(m.residents(), 25_700_000);
    let rep = run_one(&m, 0, false, &|| {}).expect("conservation holds");
    let s = &rep.figures.summary;
    let tested = s.get("tested").unwrap();
    eprintln!(
        "tested {tested}, events {}, partitions {}, parallelism {:.1}, peak person records {}, peak tube records {}",
        rep.events,
        rep.info.partitions,
        rep.info.parallelism(),
        rep.peak_people,
        rep.peak_tubes
    );
    assert!(tested > 0.97 * 25_700_000.0, "tested {tested}");
    assert!(
        rep.info.partitions > 100,
        "{} partitions",
        rep.info.partitions
    );
    assert!(
        rep.peak_people < 500_000,
        "peak {} person records",
        rep.peak_people
    );
    assert!(s.get("tubes").unwrap() > 2_400_000.0);
    assert!(s.get("positives_found").unwrap() > 0.0);
}
