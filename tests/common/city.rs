//! A synthetic city at any scale, written as a scenario: points of 4 desks with sampler and
//! registrar crews in two 8-hour shifts, 10 buildings of 125 residents per point called one every
//! 30 minutes, 10-in-1 pools, a courier route per 20 points (two vans, a trip every 90 minutes,
//! 10-30 minutes a leg) and a lab of 60 machines per 200 points. `points = 20,560` is the
//! Shanghai-scale round of 25.7 million residents (domain.md V8: ~20,000 points, 25.7 million).
//! Shared by `tests/integration/scale.rs` and `benches/city.rs`.

/// The scenario text of a city of `points` sampling points with a courier route per `per_route`
/// points (20 in the tests and the bench; a lab serves 200 points either way). With one, no
/// route joins two points, and each can run in a partition of its own (docs/performance.md,
/// issue 10's thirteenth session).
pub fn city(points: usize, per_route: usize) -> String {
    let buildings_per_point = 10;
    let routes = points.div_ceil(per_route);
    let labs = points.div_ceil(200);
    let mut t = format!(
        r#"version = 1
[scenario]
name = "city"
start = 2022-04-04T06:00:00
horizon = "24h"
seed = 2022
report_every = "1h"

[[site]]
name = "point-{{i}}"
count = {points}
desks = 4
queue_capacity = 200
green_lane = true
on_full = {{ action = "come-back", after = {{ dist = "uniform", min = "20min", max = "40min" }}, tries = 5 }}
staff = {{ sampler = 1, registrar = 1 }}
pool = 10

[[site.stage]]
name = "register"
role = "registrar"
service = {{ dist = "lognormal", mean = "30s", sd = "12s" }}

[[site.stage]]
name = "swab"
role = "sampler"
service = {{ dist = "triangular", min = "10s", mode = "13s", max = "20s" }}

[[rota]]
name = "shifts"
shift = "8h"
crews = 2
start = "06:00"
every = "24h"
stride = "8h"
overlap = "10min"

[[team]]
name = "samplers-{{i}}"
count = {points}
role = "sampler"
headcount = 4
rota = "shifts"
sites = ["point-{{i}}"]

[[team]]
name = "registrars-{{i}}"
count = {points}
role = "registrar"
headcount = 4
rota = "shifts"
sites = ["point-{{i}}"]

[[area]]
name = "building-{{i}}"
count = {areas}
residents = 125
sites = ["point-{{i/{buildings_per_point}}}"]
walk = {{ dist = "uniform", min = "3min", max = "15min" }}
priority_share = 0.15
turnout = 0.98
prevalence = 0.0002
response = {{ dist = "lognormal", mean = "20min", sd = "10min" }}
stagger = "30min"
stagger_cycle = {buildings_per_point}
callup = [{{ at = "0h", share = 1.0 }}]
"#,
        areas = points * buildings_per_point
    );
    for l in 1..=labs {
        t += &format!(
            "\n[[lab]]\nname = \"lab-{l}\"\nmachines = 60\nplate = 94\nrun = {{ dist = \"uniform\", min = \"2h30min\", max = \"3h30min\" }}\n"
        );
    }
    for r in 0..routes {
        let stops: Vec<String> = (r * per_route..((r + 1) * per_route).min(points))
            .map(|p| format!("\"point-{}\"", p + 1))
            .collect();
        t += &format!(
            "\n[[route]]\nname = \"van-{}\"\nsites = [{}]\nlab = \"lab-{}\"\nevery = \"1h30min\"\nwhen_waiting = 40\nbox = 300\nvehicles = 2\ntravel = {{ dist = \"uniform\", min = \"10min\", max = \"30min\" }}\n",
            r + 1,
            stops.join(", "),
            r * per_route / 200 + 1
        );
    }
    t
}
