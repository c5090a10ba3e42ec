//! Door-to-door sampling of sealed buildings and homebound residents.

use proptest::prelude::*;
use swabsim::runner::run_one;

use crate::support::model;

fn sealed(extra_area: &str, pool: &str) -> String {
    format!(
        r#"version = 1
[scenario]
name = "sealed"
start = 2022-11-04T08:00:00
horizon = "12h"

[[site]]
name = "point"
desks = 1
[[site.stage]]
name = "swab"
service = {{ dist = "constant", value = "15s" }}

[[route]]
name = "van"
sites = ["point"]
lab = "lab"
every = "1h"
box = 500
travel = {{ dist = "constant", value = "20min" }}

[[lab]]
name = "lab"
machines = 2
run = {{ dist = "constant", value = "3h" }}

[[rota]]
name = "day"
shift = "10h"
start = "08:00"
every = "24h"

[[team]]
name = "pairs"
role = "door-to-door"
headcount = 2
rota = "day"
areas = ["building"]
visit = {{ household = {{ dist = "constant", value = "3min" }}, travel = {{ dist = "constant", value = "5min" }}, drop = "point"{pool} }}

[[area]]
name = "building"
residents = 133
households = 49
sites = ["point"]
sealed_from_round = 1
callup = [{{ at = "0h", share = 1.0 }}]
{extra_area}"#
    )
}

/// 133 residents in 49 households (35 of 3, 14 of 2), two sampling units, 5 min to reach the
/// building and 3 min a household: the units alternate households, so the last one ends at
/// 5 + 25 × 3 = 80 min; every household gets its own tube.
#[test]
fn a_sealed_building_is_sampled_household_by_household() {
    let rep = run_one(&model(&sealed("", "")), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("called_at_home"), Some(133.0));
    assert_eq!(s.get("tested_at_home"), Some(133.0));
    assert_eq!(s.get("arrived"), Some(0.0), "nobody walks to the point");
    assert_eq!(s.get("coverage"), Some(1.0));
    assert_eq!(s.get("hours_to_99pct"), Some(80.0 / 60.0));
    assert_eq!(s.get("tubes"), Some(49.0));
    assert_eq!(s.get("partial_tubes"), Some(0.0));
    let busy = rep.figures.staff[0].2.get("busy_person_hours").unwrap();
    assert!(
        (busy - (2.0 * 5.0 + 49.0 * 3.0) / 60.0).abs() < 1e-9,
        "busy {busy}"
    );
}

/// Ten-in-one across households: each unit fills its own tubes, so the 68 swabs of the first
/// unit (its 25 households) and the 65 of the second make 6 full tubes each and two partial ones,
/// closed when the crew goes off duty: 14 tubes for 133 people.
#[test]
fn door_to_door_pools_across_households() {
    // A day long, so that the partial tubes closed at 18:00 have their results too.
    let text = sealed("", ", pool = 10").replace("horizon = \"12h\"", "horizon = \"24h\"");
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    assert_eq!(s.get("tubes"), Some(14.0));
    assert_eq!(s.get("partial_tubes"), Some(2.0));
    assert_eq!(s.get("lab_tests_per_person"), Some(14.0 / 133.0));
}

/// Homebound residents of an open area are visited; the others walk to the point.
#[test]
fn homebound_residents_are_visited_at_home() {
    let open_area = "\n[[area]]\nname = \"block\"\nresidents = 1000\nsites = [\"point\"]\nhomebound = 0.1\ncallup = [{ at = \"0h\", share = 1.0 }]\n";
    let text = sealed(open_area, "").replace(
        "areas = [\"building\"]",
        "areas = [\"building\", \"block\"]",
    );
    let rep = run_one(&model(&text), 0, false, &|| {}).unwrap();
    let s = &rep.figures.summary;
    let home = s.get("called_at_home").unwrap() - 133.0;
    // Binomial(1000, 0.1): sd ≈ 9.5; ±40 is over 4 sd.
    assert!((60.0..140.0).contains(&home), "{home} homebound");
    assert_eq!(s.get("arrived").unwrap() + home, 1000.0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random door-to-door set-ups balance: everyone to be visited is visited or still waits,
    /// and every swab is in one tube.
    #[test]
    fn door_to_door_conserves(units in 1u32..4, pool in prop::option::of(2u32..20), shift in 2u32..12,
                              households in 1u32..80, residents in 1u32..300, homebound in 0.0f64..0.3) {
        let pool = pool.map_or(String::new(), |k| format!(", pool = {k}"));
        // A household has at least one person (the loader refuses more households).
        let households = households.min(residents);
        let open_area = format!("\n[[area]]\nname = \"block\"\nresidents = 400\nsites = [\"point\"]\nprevalence = 0.05\nhomebound = {homebound}\ncallup = [{{ at = \"1h\", share = 1.0 }}]\n");
        let text = sealed(&open_area, &pool)
            .replace("headcount = 2", &format!("headcount = {units}"))
            .replace("shift = \"10h\"", &format!("shift = \"{shift}h\""))
            .replace("residents = 133", &format!("residents = {residents}\nprevalence = 0.05"))
            .replace("households = 49", &format!("households = {households}"))
            .replace("areas = [\"building\"]", "areas = [\"building\", \"block\"]");
        let rep = run_one(&model(&text), 0, false, &|| {});
        prop_assert!(rep.is_ok(), "{}", rep.err().map(|e| e.to_string()).unwrap_or_default());
    }
}

/// With `retest = "home"`, every member of a positive pool is swabbed again at home by the
/// door-to-door team of their area, before any other visit; each re-swab is a single tube, and
/// with a perfect test every infected person tested is found.
#[test]
fn positive_pools_are_reswabbed_at_home() {
    let text = r#"version = 1
[scenario]
name = "reswab"
start = 2022-11-02T06:00:00
horizon = "60h"
seed = 9

[[site]]
name = "point"
desks = 3
pool = 10
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "30s" }

[[route]]
name = "van"
sites = ["point"]
lab = "lab"
every = "1h"
box = 1000
travel = { dist = "constant", value = "20min" }

[[lab]]
name = "lab"
machines = 4
run = { dist = "constant", value = "3h" }
retest = "home"

[[rota]]
name = "round-the-clock"
shift = "12h"
crews = 2
start = "06:00"

[[team]]
name = "reswab-pairs"
role = "door-to-door"
headcount = 3
rota = "round-the-clock"
areas = ["street"]
visit = { household = { dist = "uniform", min = "5min", max = "10min" }, travel = { dist = "constant", value = "10min" }, drop = "point" }

[[area]]
name = "street"
sites = ["point"]
prevalence = 0.02
walkin = { rate = "120/h", end = "24h" }
"#;
    let rep = run_one(&model(text), 0, true, &|| {}).unwrap();
    let s = &rep.figures.summary;
    let positive_pools: Vec<_> = rep
        .figures
        .tubes
        .iter()
        .filter(|t| !t.retest && t.positive)
        .collect();
    assert!(
        positive_pools.len() > 20,
        "{} positive pools",
        positive_pools.len()
    );
    let members: f64 = positive_pools.iter().map(|t| f64::from(t.swabs)).sum();
    assert_eq!(s.get("reswabs_at_home"), Some(members));
    assert_eq!(s.get("positives_found"), s.get("infected_tested"));
    assert!(s.get("reswab_wait_mean_h").unwrap() > 0.0);
    assert!(s.get("reswab_wait_max_h").unwrap() >= s.get("reswab_wait_mean_h").unwrap());
    assert_eq!(
        s.get("called_at_home"),
        Some(0.0),
        "re-swabs are not first visits"
    );
    for t in rep.figures.tubes.iter().filter(|t| t.retest) {
        assert_eq!(t.swabs, 1);
        assert!(
            t.times[0] >= positive_pools[0].times[5],
            "re-swabbed after a pool result"
        );
    }
}

/// Re-swabs at home need a door-to-door team for every area that can have positives.
#[test]
fn reswab_at_home_needs_a_team() {
    let text = crate::chain::chain_text(10, 0.02, 1.0, "100/h")
        .replace("sensitivity = 1", "sensitivity = 1\nretest = \"home\"");
    let err = swabsim::load_str("r.toml", &text, &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "r.toml has 1 problem:\nr.toml:31:10: `lab.lab.retest`: positive pools are re-swabbed at home, but no door-to-door team serves area `walk-ins`, whose people are swabbed into pools\n    fix: add `walk-ins` to the `areas` of a door-to-door [[team]], or set retest = \"lab\""
    );
}

/// Found by the fuzzer: with re-swabs at home, a walk-in stream with no infected people but
/// swabbed into the same pools as infected residents lost its members of positive pools (no
/// team to visit them). Every area whose people share pools now needs a door-to-door team.
#[test]
fn areas_sharing_pools_need_a_team_for_home_reswabs() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-corpus/chain-and-homes.toml"),
    )
    .unwrap()
    .replace(
        "areas = [\"sealed\", \"block-*\", \"walkers\"]",
        "areas = [\"sealed\", \"block-*\"]",
    );
    let err = swabsim::load_str("unserved.toml", &text, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "no door-to-door team serves area `walkers`, whose people are swabbed into pools"
        ),
        "{err}"
    );
}
