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
bad.toml:10:1: unknown field `deskz`, expected one of `name`, `count`, `desks`, `hours`, `queue_capacity`, `green_lane`, `when_closed`, `patience`, `on_full`, `stage`, `kind`, `staff`, `marshals`, `pool`, `tubes`, `kits`, `resupply`
    fix: check the spelling of the key; docs/scenario.md lists every key"#
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
bad.toml:15:20: `site.east-gate.stage.swab.service.dist`: unknown variant `exponentail`, expected one of `constant`, `uniform`, `triangular`, `exponential`, `normal`, `lognormal`, `gamma`, `erlang`, `empirical`
    fix: use one of the values listed"#
);
bad!(
    missing_distribution_parameter,
    "mean = \"15s\"",
    "average = \"15s\"",
    r#"bad.toml has 1 problem:
bad.toml:15:11: `site.east-gate.stage.swab.service`: unknown field `average`, expected `mean`
    fix: check the spelling of the key; docs/scenario.md lists every key"#
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
