//! Entries from spreadsheets: `[[area]]`, `[[site]]` and `[[team]]` with `from = "file.csv"`.

use std::path::Path;

use assert_cmd::Command;

/// The scenario around the entries: a header, stages for every site, a rota.
const HEAD: &str = r#"version = 1
[scenario]
name = "register"
start = 2022-11-02T07:00:00
horizon = "14h"
seed = 7

[[rota]]
name = "day"
shift = "14h"
start = "07:00"
"#;

/// The same entries written in the scenario file.
const WRITTEN: &str = r#"
[[site]]
name = "north"
desks = 2
staff = { sampler = 1 }
hours = ["07:00-12:00", "13:00-19:00"]
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[site]]
name = "south"
desks = 3
staff = { sampler = 1 }
hours = ["07:00-19:00"]
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[team]]
name = "north-samplers"
role = "sampler"
rota = "day"
headcount = 2
sites = ["north"]

[[team]]
name = "south-samplers"
role = "sampler"
rota = "day"
headcount = 3
sites = ["south"]

[[area]]
name = "building-1"
residents = 300
households = 120
sites = ["north"]
walk = { dist = "uniform", min = "2min", max = "6min" }
response = { dist = "exponential", mean = "20min" }
callup = [{ at = "0h", share = 1.0 }]

[[area]]
name = "building-2"
residents = 450
households = 160
sites = ["south"]
walk = { dist = "uniform", min = "2min", max = "6min" }
response = { dist = "exponential", mean = "20min" }
callup = [{ at = "1h", share = 1.0 }]

[[area]]
name = "building-3"
residents = 200
households = 90
sites = ["north", "south"]
walk = { dist = "uniform", min = "3min", max = "12min" }
response = { dist = "exponential", mean = "20min" }
callup = [{ at = "2h", share = 1.0 }]
"#;

/// The same entries from three CSV files; the blocks give what every row shares.
const FROM_CSV: &str = r#"
[[site]]
name = "{i}"
from = "sites.csv"
staff = { sampler = 1 }
[[site.stage]]
name = "swab"
service = { dist = "exponential", mean = "1min" }

[[team]]
name = "samplers-{i}"
from = "teams.csv"
role = "sampler"
rota = "day"

[[area]]
name = "building-{i}"
from = "buildings.csv"
walk = { dist = "uniform", min = "2min", max = "6min" }
response = { dist = "exponential", mean = "20min" }
callup = [{ at = "0h", share = 1.0 }]
"#;

const SITES: &str = "name,desks,hours\nnorth,2,07:00-12:00; 13:00-19:00\nsouth,3,07:00-19:00\n";
const TEAMS: &str = "name,headcount,sites\nnorth-samplers,2,north\nsouth-samplers,3,south\n";
/// Saved by Excel as "CSV UTF-8": a byte-order mark, CRLF line ends.
const BUILDINGS: &str = "\u{feff}residents,households,sites,walk,callup\r\n300,120,north,,\"[{ at = \"\"0h\"\", share = 1.0 }]\"\r\n450,160,south,,\"[{ at = \"\"1h\"\", share = 1.0 }]\"\r\n200,90,north; south,\"{ dist = \"\"uniform\"\", min = \"\"3min\"\", max = \"\"12min\"\" }\",\"[{ at = \"\"2h\"\", share = 1.0 }]\"\r\n";

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn swabsim(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("swabsim")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Runs `swabsim args` in `dir`, expecting exit 1 with `expected` in its message.
fn fails_with(dir: &Path, args: &[&str], expected: &str) {
    let o = swabsim(dir, args);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
}

#[test]
fn entries_from_csv_files_run_exactly_as_the_same_entries_written_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("region")).unwrap();
    write(
        &dir.join("region"),
        &[
            ("written.toml", &format!("{HEAD}{WRITTEN}")),
            ("from-csv.toml", &format!("{HEAD}{FROM_CSV}")),
            ("sites.csv", SITES),
            ("teams.csv", TEAMS),
            ("buildings.csv", BUILDINGS),
        ],
    );
    // Run from the parent folder: the CSV paths are relative to the scenario file.
    for (file, out) in [("written", "a"), ("from-csv", "b")] {
        let o = swabsim(
            dir,
            &[
                "run",
                &format!("region/{file}.toml"),
                "-r",
                "2",
                "-q",
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for table in [
        "summary.csv",
        "sites.csv",
        "areas.csv",
        "staff.csv",
        "progress.csv",
    ] {
        let a = std::fs::read(dir.join("a").join(table));
        let b = std::fs::read(dir.join("b").join(table));
        if let (Ok(a), Ok(b)) = (a, b) {
            assert!(
                a == b,
                "{table} differs between the written and the CSV entries"
            );
        }
    }
    let summary = std::fs::read_to_string(dir.join("b/summary.csv")).unwrap();
    assert!(summary.lines().count() > 1);
    // The effective scenario runs without the CSV files: it holds the rows as entries.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("b/manifest.json")).unwrap()).unwrap();
    let effective = manifest["effective_scenario"].as_str().unwrap();
    assert!(!effective.contains("from ="), "{effective}");
    assert!(effective.contains("name = \"building-3\""));
    std::fs::create_dir(dir.join("elsewhere")).unwrap();
    std::fs::write(dir.join("elsewhere/again.toml"), effective).unwrap();
    let o = swabsim(
        dir,
        &["run", "elsewhere/again.toml", "-r", "2", "-q", "--out", "c"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(dir.join("b/summary.csv")).unwrap(),
        std::fs::read(dir.join("c/summary.csv")).unwrap()
    );
}

#[test]
fn a_problem_in_a_row_names_the_csv_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let check = |buildings: &str, expected: &str| {
        write(
            dir,
            &[
                ("s.toml", &format!("{HEAD}{FROM_CSV}")),
                ("sites.csv", SITES),
                ("teams.csv", TEAMS),
                ("buildings.csv", buildings),
            ],
        );
        fails_with(dir, &["validate", "s.toml"], expected);
    };
    // A count as text, in the third data row (line 4), first column.
    check(
        "residents,households,sites\n300,120,north\n450,160,south\nmany,90,north\n",
        "buildings.csv:4:1: `area.building-3.residents`: invalid type: string \"many\", expected u32",
    );
    // A count too large for the key, with a fix that says what it can hold.
    check(
        "residents,households,sites\n4294967296,120,north\n",
        "buildings.csv:2:1: `area.building-1.residents`: invalid value: integer `4294967296`, expected u32\n    fix: give a value the key can hold (u32: a whole number from 0 to 4294967295)",
    );
    // A site that does not exist: found by the model, reported at the cell.
    check(
        "residents,households,sites\n300,120,north\n450,160,sout\n",
        "buildings.csv:3:3: `area.building-2.sites",
    );
    // A share out of range, found by the model.
    check(
        "residents,households,sites,turnout\n300,120,north,1.5\n",
        "buildings.csv:2:4: `area.building-1.turnout`: must be a share between 0 and 1, found 1.5",
    );
    // A misspelt column.
    check(
        "residents,housholds,sites\n300,120,north\n",
        "buildings.csv:1:2: column `housholds` names no key of an [[area]] (did you mean `households`?)",
    );
    // A row with a missing field.
    check(
        "residents,households,sites\n300,120\n",
        "buildings.csv:2:1: cannot read this row",
    );
    // A table that is not TOML.
    check(
        "residents,households,sites,walk\n300,120,north,{ dist = \n",
        "buildings.csv:2:4: `area.building-{i}.walk`: `{ dist =` is not a TOML value",
    );
    // No such file: reported at the `from` line of the scenario.
    std::fs::remove_file(dir.join("teams.csv")).unwrap();
    let o = swabsim(dir, &["validate", "s.toml"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("s.toml:23:8: `team.samplers-{i}.from`: cannot read `teams.csv`"),
        "{err}"
    );
}

#[test]
fn a_block_can_take_its_file_from_set_and_problems_before_it_keep_their_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        &[
            (
                "s.toml",
                &format!(
                    "{HEAD}{FROM_CSV}[[area]]\nname = \"late\"\nresidents = 10\nsites = [\"nowhere\"]\n"
                ),
            ),
            ("sites.csv", SITES),
            ("teams.csv", TEAMS),
            (
                "buildings.csv",
                "residents,households,sites\n300,120,north\n",
            ),
            (
                "more.csv",
                "residents,households,sites\n300,120,north\n450,160,south\nmany,1,north\n",
            ),
        ],
    );
    // A problem after the expanded blocks is still at its line of the scenario file.
    let o = swabsim(dir, &["validate", "s.toml"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let line = format!("{HEAD}{FROM_CSV}").lines().count() + 4;
    assert!(
        err.contains(&format!(
            "s.toml:{line}:10: `area.late.sites`: names the site `nowhere`"
        )),
        "{err}"
    );
    // `--set` swaps the register; its rows are then read.
    let set = |arg: &str, expected: &str| {
        fails_with(
            dir,
            &["run", "s.toml", "--set", arg, "--out", "x"],
            expected,
        );
    };
    set(
        "area.building-{i}.from=more.csv",
        "more.csv:4:1: `area.building-3.residents`",
    );
    // A `--set` of a key that a column gives for every row would change nothing: refused.
    set(
        "site.{i}.desks=9",
        "--set site.{i}.desks=9: `site.{i}.desks`: would change nothing: column 2 (`desks`) of sites.csv gives `desks` for every row",
    );
    // A file given by `--set` that cannot be read is reported as that argument.
    set(
        "area.building-{i}.from=none.csv",
        "--set area.building-{i}.from=none.csv: `area.building-{i}.from`: cannot read `none.csv`",
    );
}
