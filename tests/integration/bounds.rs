//! Bounded work for bounded input: every count, rate and interval has a bound, and a run's
//! size is estimated before it starts. Each case the trust issue found (a validate that hung or
//! exhausted memory, a run that aborted) is refused at load with exit code 1, naming the key.

use predicates::prelude::*;
use swabsim::load_str;

use crate::cli::swabsim;
use crate::errors::GOOD;

/// The problems of `GOOD` with `from` replaced by `to` (or `to` appended when `from` is empty).
fn problems_of(from: &str, to: &str) -> String {
    let text = if from.is_empty() {
        format!("{GOOD}{to}")
    } else {
        assert!(GOOD.contains(from), "case does not apply: {from}");
        GOOD.replacen(from, to, 1)
    };
    match load_str("big.toml", &text, &[]) {
        Ok(_) => panic!("accepted: {to}"),
        Err(e) => e.to_string(),
    }
}

const ROTA: &str =
    "\n[[rota]]\nname = \"r\"\nshift = \"SHIFT\"\ncrews = CREWS\nstart = \"08:00\"\n";

fn rota(shift: &str, crews: &str) -> String {
    ROTA.replace("SHIFT", shift).replace("CREWS", crews)
}

#[test]
fn huge_counts_rates_and_tiny_intervals_are_refused_at_load() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "count = 2",
            "count = 4294967295".into(),
            "`area`: the [[area]] blocks stand for 4294967295 entries, more than 5000000",
        ),
        (
            "callup = [",
            "rounds = 4294967295\nround_every = \"24h\"\ncallup = [".into(),
            "`area.block-{i}.rounds`: must be at most 1000, found 4294967295",
        ),
        (
            "",
            rota("1h", "4294967295"),
            "`rota.r.crews`: must be at most 1000, found 4294967295",
        ),
        (
            "",
            rota("1ms", "1"),
            "`rota.r.shift`: a shift must be at least 1m, found 1ms",
        ),
        (
            "desks = 2",
            "desks = 4294967295".into(),
            "`site.east-gate.desks`: must be at most 10000, found 4294967295",
        ),
        (
            "",
            "\n[[area]]\nname = \"w\"\nsites = [\"east-gate\"]\nwalkin = { rate = \"1e12/h\" }\n"
                .into(),
            "`area.w.walkin`: a rate of 1000000000000/h is more than 1000000/h",
        ),
        (
            "desks = 2",
            "desks = 2\ntubes = 10\nresupply = { every = \"1ms\", tubes = 4000000000 }".into(),
            "`site.east-gate.resupply.every`: the time between deliveries must be at least 1m, found 1ms",
        ),
        (
            "horizon = \"12h\"",
            "horizon = \"9000h\"".into(),
            "`scenario.horizon`: must be at most 366d",
        ),
        (
            "service = { dist = \"exponential\", mean = \"15s\" }",
            "service = { dist = \"erlang\", k = 4294967295, mean = \"15s\" }".into(),
            "erlang k must be at most 1000",
        ),
        (
            "residents = 100",
            "residents = 4000000000".into(),
            "`area.block-{i}.residents`: the run would bring about 8.000e9 people",
        ),
        (
            "residents = 100",
            "residents = 100\nhouseholds = 500".into(),
            "500 households for 100 residents",
        ),
    ];
    for (from, to, expected) in cases {
        let got = problems_of(from, &to);
        assert!(
            got.contains(expected),
            "for {to:?}:\n--- got:\n{got}\n--- expected to contain:\n{expected}"
        );
    }
}

/// The CLI refuses with exit code 1 in `validate` and in `run`, and `--replications` counts in
/// the memory estimate.
#[test]
fn the_command_line_refuses_oversized_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("big.toml");
    std::fs::write(&file, GOOD.replace("desks = 2", "desks = 4294967295")).unwrap();
    swabsim()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("must be at most 10000"));
    swabsim()
        .args(["run", "-q", "--out"])
        .arg(tmp.path().join("o"))
        .arg(&file)
        .assert()
        .code(1);
    // 4,000 reporting steps (8,000 h every 2 h) of one site and the whole round, kept for each
    // of 100,000 replications: 4,000 × 2 rows × 120 bytes × 10^5 ≈ 90 GiB, far above 16 GiB.
    let many = GOOD.replace(
        "horizon = \"12h\"",
        "horizon = \"8000h\"\nreport_every = \"2h\"",
    );
    std::fs::write(&file, many).unwrap();
    swabsim()
        .args(["run", "-q", "-r", "100000", "--out"])
        .arg(tmp.path().join("o"))
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("100000 replication(s) could need"));
}

/// Sweep ranges that are huge, infinite or of a vanishing step are refused, never a 0-point or
/// endless sweep.
#[test]
fn sweep_ranges_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    for (range, expected) in [
        (
            "{ from = 1, to = 1e12, step = 1 }",
            "has more than 10000 values",
        ),
        (
            "{ from = 1, to = inf, step = 1 }",
            "a range needs finite numbers",
        ),
        (
            "{ from = 1, to = 2, step = 1e-300 }",
            "has more than 10000 values",
        ),
        (
            "{ from = 1, to = 2, step = nan }",
            "a range needs finite numbers",
        ),
        (
            "{ from = 2, to = 1, step = 1 }",
            "a range needs step > 0 and to ≥ from",
        ),
    ] {
        let text = format!(
            "version = 1\n[sweep]\nname = \"r\"\nscenario = \"{}\"\nreplications = 2\n\n[[parameter]]\npath = \"site.east-gate.desks\"\nrange = {range}\n",
            scenario.display()
        );
        let file = tmp.path().join("r.toml");
        std::fs::write(&file, text).unwrap();
        swabsim()
            .arg("validate")
            .arg(&file)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(expected));
    }
}
