//! Bad input: every malformed scenario gets its exact message, with file:line:column, the key,
//! what is wrong and how to fix it.

use swabsim::load_str;

/// A valid scenario; each case below breaks one thing in it.
pub const GOOD: &str = r#"version = 1
[scenario]
name = "errors"
start = 2022-11-02T08:00:00
horizon = "12h"
seed = 1

[[site]]
name = "east-gate"
desks = 2
hours = ["08:00-12:00"]

[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "15s" }

[[area]]
name = "block-{i}"
count = 2
residents = 100
sites = ["east-gate"]
callup = [{ at = "0h", share = 1.0 }]
"#;

/// The error text for `GOOD` with `from` replaced by `to`.
fn error_of(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "case does not apply: {from}");
    let text = GOOD.replacen(from, to, 1);
    match load_str("bad.toml", &text, &[]) {
        Ok(_) => panic!("accepted a bad scenario: {to}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_good_scenario_is_good() {
    assert!(load_str("good.toml", GOOD, &[]).is_ok());
}

macro_rules! bad {
    ($name:ident, $from:expr, $to:expr, $expected:expr) => {
        #[test]
        fn $name() {
            let got = error_of($from, $to);
            assert_eq!(got, $expected, "\n--- got:\n{got}\n");
        }
    };
}

bad!(
    malformed_toml,
    "desks = 2",
    "desks = = 2",
    r#"bad.toml has 1 problem:
bad.toml:10:9: extra `=`, expected nothing
    fix: fix the TOML syntax here; docs/scenario.md has examples of every table"#
);
bad!(
    unknown_key,
    "desks = 2",
    "deskz = 2",
    r#"bad.toml has 1 problem:
bad.toml:10:1: unknown field `deskz`, expected one of `name`, `count`, `desks`, `hours`, `desks_by_time`, `days`, `queue_capacity`, `green_lane`, `when_closed`, `patience`, `on_full`, `stage`, `kind`, `staff`, `marshals`, `pool`, `tubes`, `kits`, `resupply`, `x`, `y`, `lat`, `lon`, `then`, `then_walk`, `except` (did you mean `desks`?)
    fix: check the spelling of the key; docs/scenario.md lists every key"#
);
// serde lists two variants as "`a` or `b`": one problem, with its suggestion (it was reported
// twice, the second time garbled).
bad!(
    unknown_variant_of_two,
    "desks = 2\n",
    "desks = 2\nkind = \"chekpoint\"\n",
    r#"bad.toml has 1 problem:
bad.toml:11:8: `site.east-gate.kind`: unknown variant `chekpoint`, expected `sampling` or `checkpoint` (did you mean `checkpoint`?)
    fix: use one of the values listed"#
);
bad!(
    missing_key,
    "desks = 2\n",
    "",
    r#"bad.toml has 1 problem:
bad.toml:8:1: missing field `desks`
    fix: add the key; docs/scenario.md says what it means and gives an example"#
);
bad!(
    duration_without_unit,
    "horizon = \"12h\"",
    "horizon = \"12\"",
    r#"bad.toml has 1 problem:
bad.toml:5:11: `scenario.horizon`: `12` is not a duration: write a number with a unit, e.g. "12s", "5min", "4h", "1h30m" (units: ms, s, min or m, h, d)
    fix: write the duration in quotes with its unit, e.g. "15min""#
);
bad!(
    duration_as_number,
    "horizon = \"12h\"",
    "horizon = 12",
    r#"bad.toml has 1 problem:
bad.toml:5:11: `scenario.horizon`: a duration is text with a unit in quotes, e.g. "12s", "5min", "4h"
    fix: write the duration in quotes with its unit, e.g. "15min""#
);
bad!(
    unknown_distribution,
    "dist = \"exponential\"",
    "dist = \"exponentail\"",
    r#"bad.toml has 1 problem:
bad.toml:15:20: `site.east-gate.stage.swab.service.dist`: unknown variant `exponentail`, expected one of `constant`, `uniform`, `triangular`, `exponential`, `normal`, `lognormal`, `gamma`, `erlang`, `empirical` (did you mean `exponential`?)
    fix: use one of the values listed"#
);
bad!(
    missing_distribution_parameter,
    "mean = \"15s\"",
    "average = \"15s\"",
    r#"bad.toml has 2 problems:
bad.toml:15:11: `site.east-gate.stage.swab.service`: unknown field `average`, expected `mean`
    fix: check the spelling of the key; docs/scenario.md lists every key
bad.toml:15:11: `site.east-gate.stage.swab.service`: missing field `mean`
    fix: add the key; docs/scenario.md says what it means and gives an example"#
);
bad!(
    zero_desks,
    "desks = 2",
    "desks = 0",
    r#"bad.toml has 1 problem:
bad.toml:10:9: `site.east-gate.desks`: must be at least 1, found 0
    fix: give the number of desks that sample at the same time, e.g. desks = 4"#
);
bad!(
    missing_site,
    "sites = [\"east-gate\"]",
    "sites = [\"west-gate\"]",
    r#"bad.toml has 1 problem:
bad.toml:21:10: `area.block-{i}.sites`: names the site `west-gate`, but no [[site]] has that name
    fix: use the name of a [[site]]: east-gate"#
);
bad!(
    shares_above_one,
    "share = 1.0",
    "share = 1.2",
    r#"bad.toml has 1 problem:
bad.toml:22:32: `area.block-{i}.callup.0.share`: must be a share between 0 and 1, found 1.2
    fix: write a share as a fraction, e.g. 0.15 for 15%"#
);
bad!(
    turnout_outside_share,
    "residents = 100",
    "residents = 100\nturnout = 1.5",
    r#"bad.toml has 1 problem:
bad.toml:21:11: `area.block-{i}.turnout`: must be a share between 0 and 1, found 1.5
    fix: write a share as a fraction, e.g. 0.15 for 15%"#
);
bad!(
    bad_clock_range,
    "\"08:00-12:00\"",
    "\"8-12\"",
    r#"bad.toml has 1 problem:
bad.toml:11:9: `site.east-gate.hours`: `8-12` is not a clock range: write "HH:MM-HH:MM", e.g. "07:00-12:00" ("22:00-06:00" runs past midnight)
    fix: write daily hours as "HH:MM-HH:MM", e.g. hours = ["08:00-12:00", "14:30-18:00"]"#
);
bad!(
    empty_closing,
    "\"08:00-12:00\"",
    "\"08:00-08:00\"",
    r#"bad.toml has 1 problem:
bad.toml:11:9: `site.east-gate.hours`: `08:00-08:00` opens and closes at the same time: for a site open all day write "00:00-24:00"
    fix: write daily hours as "HH:MM-HH:MM", e.g. hours = ["08:00-12:00", "14:30-18:00"]"#
);
bad!(
    rounds_without_interval,
    "residents = 100",
    "residents = 100\nrounds = 3",
    r#"bad.toml has 1 problem:
bad.toml:21:10: `area.block-{i}.round_every`: 3 rounds need `round_every`, the time between round starts
    fix: add e.g. round_every = "24h""#
);
bad!(
    triangle_out_of_order,
    "{ dist = \"exponential\", mean = \"15s\" }",
    "{ dist = \"triangular\", min = \"20s\", mode = \"10s\", max = \"30s\" }",
    r#"bad.toml has 1 problem:
bad.toml:15:11: `site.east-gate.stage.swab.service`: triangular needs min ≤ mode ≤ max, found 20s, 10s, 30s
    fix: order the three values"#
);
bad!(
    bad_template,
    "block-{i}",
    "block-{n}",
    r#"bad.toml has 1 problem:
bad.toml:18:8: `area.block-{n}.name`: `{n}` in `block-{n}` is not `{i}` or `{i/N}`
    fix: write `{i}` for the entry's number, or `{i/N}` for groups of N"#
);
bad!(
    neither_callup_nor_walkin,
    "callup = [{ at = \"0h\", share = 1.0 }]",
    "",
    r#"bad.toml has 1 problem:
bad.toml:17:1: `area.block-{i}`: the area has neither `callup` nor `walkin`: nobody from it comes
    fix: add callup = [{ at = "0h", share = 1.0 }], or walkin = { rate = "60/h" }"#
);
bad!(
    bad_rate,
    "callup = [{ at = \"0h\", share = 1.0 }]",
    "walkin = { rate = \"60 per hour\" }",
    r#"bad.toml has 1 problem:
bad.toml:22:19: `area.block-{i}.walkin.rate`: `60 per hour` is not a rate: write arrivals per unit of time, e.g. "300/h", "9/min", "4000/d"
    fix: write the rate in quotes, e.g. "120/h""#
);

/// Every problem of a file is reported at once, in file order.
#[test]
fn every_problem_at_once() {
    let text = GOOD
        .replacen("desks = 2", "desks = 0", 1)
        .replacen("share = 1.0", "share = 1.5", 1)
        .replacen("sites = [\"east-gate\"]", "sites = [\"nowhere\"]", 1);
    let err = load_str("bad.toml", &text, &[]).unwrap_err();
    let lines: Vec<usize> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines, [10, 21, 22]);
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{err}");
}

/// Every misspelt key and enum value of a file is reported in one go, each at its own line,
/// with the closest name suggested.
#[test]
fn every_misspelling_is_reported_at_once() {
    let text = GOOD
        .replacen("horizon = ", "horizn = ", 1)
        .replacen("hours = ", "hour = ", 1)
        .replacen("dist = \"exponential\"", "dist = \"exponentail\"", 1)
        .replacen("residents = 100", "residnets = 100", 1);
    let got = load_str("bad.toml", &text, &[]).unwrap_err().to_string();
    for expected in [
        "bad.toml:5:1: unknown field `horizn`",
        "(did you mean `horizon`?)",
        "bad.toml:11:1: unknown field `hour`",
        "(did you mean `hours`?)",
        "bad.toml:15:20: `site.east-gate.stage.swab.service.dist`: unknown variant `exponentail`",
        "(did you mean `exponential`?)",
        "bad.toml:20:1: unknown field `residnets`",
        "(did you mean `residents`?)",
    ] {
        assert!(got.contains(expected), "missing {expected:?} in:\n{got}");
    }
}

/// A value given by `--set` that does not parse points at the argument, not at a line.
#[test]
fn a_bad_set_value_points_at_the_argument() {
    let sets = ["site.east-gate.desks=many".parse().unwrap()];
    let got = load_str("good.toml", GOOD, &sets).unwrap_err().to_string();
    assert!(
        got.contains("--set site.east-gate.desks=many: `site.east-gate.desks`: invalid type: string \"many\", expected u32"),
        "{got}"
    );
    assert!(!got.contains("good.toml:"), "{got}");
}

/// The error text of `GOOD` with `to` appended.
fn error_with(to: &str) -> String {
    match load_str("bad.toml", &format!("{GOOD}{to}"), &[]) {
        Ok(_) => panic!("accepted: {to}"),
        Err(e) => e.to_string(),
    }
}

const ROTA: &str = r#"
[[rota]]
name = "day"
shift = "8h"
start = "08:00"
"#;

#[test]
fn teams_that_can_change_nothing_are_refused() {
    let registrars = format!(
        "{ROTA}\n[[team]]\nname = \"registrars\"\nrole = \"registrar\"\nheadcount = 2\nrota = \"day\"\nsites = [\"east-gate\"]\n"
    );
    let got = error_with(&registrars);
    assert!(
        got.contains("`team.registrars.role`: team `registrars` works at site `east-gate`, whose desks need no registrar: it would be counted on duty but open no desk"),
        "{got}"
    );
    let never = format!(
        "{ROTA}days = [5]\n[[team]]\nname = \"samplers\"\nrole = \"sampler\"\nheadcount = 2\nrota = \"day\"\nsites = [\"east-gate\"]\n"
    )
    .replace("desks = 2", "desks = 2\nstaff = { sampler = 1 }");
    let got = match load_str(
        "bad.toml",
        &format!(
            "{}{never}",
            GOOD.replace("desks = 2", "desks = 2\nstaff = { sampler = 1 }")
        ),
        &[],
    ) {
        Ok(_) => panic!("accepted a team never on duty"),
        Err(e) => e.to_string(),
    };
    assert!(
        got.contains(
            "team `samplers` is never on duty: its rota `day` has no shift within the horizon"
        ),
        "{got}"
    );
    let couriers = format!(
        "{ROTA}\n[[team]]\nname = \"vans\"\nrole = \"courier\"\nheadcount = 2\nrota = \"day\"\n"
    );
    let got = error_with(&couriers);
    assert!(
        got.contains(
            "team `vans` is a team of couriers, but no [[route]] names `vans` as its `drivers`"
        ),
        "{got}"
    );
}

#[test]
fn a_route_without_vehicles_is_refused() {
    let chain = r#"
[[route]]
name = "van"
sites = ["east-gate"]
lab = "lab"
every = "2h"
box = 100
vehicles = 0
travel = { dist = "constant", value = "20min" }

[[lab]]
name = "lab"
machines = 1
run = { dist = "constant", value = "3h" }
"#;
    let got = error_with(chain);
    assert!(
        got.contains(
            "`route.van.vehicles`: must be at least 1, found 0: no tube would ever reach the lab"
        ),
        "{got}"
    );
}

#[test]
fn a_name_with_i_needs_a_count() {
    let got = error_with(
        "\n[[area]]\nname = \"tower-{i}\"\nresidents = 10\nsites = [\"east-gate\"]\ncallup = [{ at = \"0h\", share = 1.0 }]\n",
    );
    assert!(
        got.contains(
            "`area.tower-{i}.name`: `tower-{i}` has `{i}` in it, but the block has no `count`"
        ),
        "{got}"
    );
}

/// A crew on duty only while its site is closed is allowed (a night watch may be meant) but
/// warned about.
#[test]
fn a_crew_only_on_duty_while_closed_is_a_warning() {
    let text = GOOD.replace("desks = 2", "desks = 2\nstaff = { sampler = 1 }")
        + "\n[[rota]]\nname = \"night\"\nshift = \"6h\"\nevery = \"24h\"\nstart = \"13:00\"\n[[team]]\nname = \"samplers\"\nrole = \"sampler\"\nheadcount = 2\nrota = \"night\"\nsites = [\"east-gate\"]\n";
    let (loaded, _) = load_str("w.toml", &text, &[]).unwrap();
    let w: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("`team.samplers.rota`: team `samplers` is on duty only while its sites are closed: it opens no desk"),
        "{w:?}"
    );
}

/// Sweep targets must name a summary figure (with a suggestion) and give a finite bound.
#[test]
fn sweep_targets_must_name_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let text = format!(
        "version = 1\n[sweep]\nname = \"t\"\nscenario = \"{}\"\nreplications = 2\n\n[[parameter]]\npath = \"site.east-gate.desks\"\nvalues = [2, 3]\n\n[[target]]\nfigure = \"wait_p95\"\nat_most = 30\n\n[[target]]\nfigure = \"coverage\"\nat_least = nan\n",
        scenario.display()
    );
    let file = tmp.path().join("t.toml");
    std::fs::write(&file, text).unwrap();
    let err = swabsim::sweep::Sweep::load(&file).unwrap_err().to_string();
    assert!(
        err.contains("`target.wait_p95`: `wait_p95` is not a figure of summary.csv (did you mean `wait_p95_min`?)"),
        "{err}"
    );
    assert!(
        err.contains("`target.coverage.at_least`: `at_least` must be a finite number, found NaN"),
        "{err}"
    );
}
