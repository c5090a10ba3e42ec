//! Conservation in every run: random scenarios (desks, stages, capacities, opening hours,
//! patience, come-backs, green lanes, call-ups and walk-ins) all balance their books, and the
//! per-person trace agrees with the counters.

use proptest::prelude::*;
use swabsim::observe::Outcome;
use swabsim::runner::run_one;

use crate::support::model;

fn dist() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..120).prop_map(|m| format!("{{ dist = \"exponential\", mean = \"{m}s\" }}")),
        (1u32..60, 1u32..60).prop_map(|(a, b)| format!(
            "{{ dist = \"uniform\", min = \"{a}s\", max = \"{}s\" }}",
            a + b
        )),
        (5u32..60, 1u32..40).prop_map(|(m, s)| format!(
            "{{ dist = \"lognormal\", mean = \"{m}s\", sd = \"{s}s\" }}"
        )),
        (1u32..5, 5u32..90)
            .prop_map(|(k, m)| format!("{{ dist = \"erlang\", k = {k}, mean = \"{m}s\" }}")),
        (0u32..30).prop_map(|v| format!("{{ dist = \"constant\", value = \"{v}s\" }}")),
    ]
}

fn hours() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (6u32..11, 1u32..5).prop_map(|(a, d)| format!("hours = [\"{a:02}:00-{:02}:00\"]\n", a + d)),
        (6u32..9, 1u32..3, 1u32..3, 1u32..4).prop_map(|(a, m, gap, e)| {
            let b = a + m;
            let c = b + gap;
            format!(
                "hours = [\"{a:02}:00-{b:02}:00\", \"{c:02}:30-{:02}:00\"]\n",
                c + e
            )
        }),
        Just("hours = [\"22:00-02:00\"]\n".to_string()),
    ]
}

prop_compose! {
    fn site()(desks in 1u32..4, stages in prop::collection::vec(dist(), 1..4), hours in hours(),
              cap in prop::option::of(0u32..15), green in any::<bool>(),
              closed in prop::sample::select(vec!["come-back", "queue", "give-up"]),
              patience in prop::option::of(1u32..60), come_back in any::<bool>()) -> String {
        let mut s = format!("[[site]]\nname = \"s\"\ndesks = {desks}\n{hours}green_lane = {green}\nwhen_closed = \"{closed}\"\n");
        if let Some(k) = cap { s += &format!("queue_capacity = {k}\n"); }
        if let Some(p) = patience { s += &format!("patience = {{ dist = \"exponential\", mean = \"{p}min\" }}\n"); }
        if come_back {
            s += "on_full = { action = \"come-back\", after = { dist = \"uniform\", min = \"5min\", max = \"20min\" }, tries = 3 }\n";
        }
        for (i, d) in stages.iter().enumerate() {
            s += &format!("[[site.stage]]\nname = \"stage{i}\"\nservice = {d}\n");
        }
        s
    }
}

prop_compose! {
    fn area()(walkin in any::<bool>(), residents in 0u32..400, turnout in 0.5f64..1.0,
              prio in 0.0f64..0.5, rate in 1u32..200, rounds in 1u32..3,
              at in 0u32..10) -> String {
        let head = format!("[[area]]\nname = \"a{{i}}\"\ncount = 2\nsites = [\"s\"]\npriority_share = {prio}\nwalk = {{ dist = \"uniform\", min = \"1min\", max = \"9min\" }}\n");
        if walkin {
            head + &format!("walkin = {{ rate = \"{rate}/h\", end = \"10h\" }}\n")
        } else {
            head + &format!("residents = {residents}\nturnout = {turnout}\nrounds = {rounds}\nround_every = \"12h\"\nresponse = {{ dist = \"exponential\", mean = \"20min\" }}\nstagger = \"30min\"\ncallup = [{{ at = \"{at}h\", share = 0.7 }}, {{ at = \"{}h\", share = 0.3 }}]\n", at + 1)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every random scenario balances (the run would fail otherwise) and the trace has one row
    /// per person who left, with times in order.
    #[test]
    fn random_scenarios_conserve_people(site in site(), areas in prop::collection::vec(area(), 1..3),
                                        horizon in 4u32..30, seed in 0u64..1000) {
        let areas: String = areas.iter().enumerate().map(|(i, a)| a.replace("\"a{i}\"", &format!("\"a{i}-{{i}}\""))).collect();
        let text = format!("version = 1\n[scenario]\nname = \"p\"\nstart = 2022-11-02T07:00:00\nhorizon = \"{horizon}h\"\nseed = {seed}\nreport_every = \"30min\"\n\n{site}\n{areas}");
        let m = model(&text);
        let rep = match run_one(&m, 0, true, &|| {}) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        let s = &rep.figures.summary;
        let trace = rep.trace.expect("trace asked for");
        let tested = trace.rows.iter().filter(|r| r.outcome == Outcome::Tested).count() as f64;
        prop_assert_eq!(tested, s.get("tested").unwrap());
        prop_assert_eq!(trace.rows.len() as f64 - tested, s.get("gave_up").unwrap());
        for r in &trace.rows {
            prop_assert!(r.visit.set_off <= r.visit.first_arrival);
            prop_assert!(r.visit.first_arrival <= r.visit.arrival);
            prop_assert!(r.visit.arrival <= r.end);
            if r.outcome == Outcome::Tested {
                prop_assert!(r.visit.arrival <= r.visit.service_start && r.visit.service_start <= r.end);
            }
        }
        let util = s.get("desk_utilisation").unwrap();
        prop_assert!(util.is_nan() || (0.0..=1.0 + 1e-12).contains(&util), "utilisation {}", util);
    }
}
