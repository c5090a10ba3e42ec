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
