//! `swabsim schema`: the JSON Schemas editors use to complete and check the input files.
//!
//! The schemas are generated from the loader's own serde types; these tests check that every
//! file the repository ships validates against them (with an independent JSON Schema validator,
//! the `jsonschema` crate), that a misspelt key or a malformed value fails them, and that the
//! copies kept in `schema/` (which the files' `#:schema` lines point at) are current.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn printed(format: &str) -> String {
    let out = Command::cargo_bin("swabsim")
        .unwrap()
        .args(["schema", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "swabsim schema {format} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// A TOML document as the JSON value taplo checks: tables are objects, arrays arrays, and a
/// date-time is its text.
fn to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.into_iter().map(to_json).collect()),
        toml::Value::Table(t) => J::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
    }
}

fn validator(format: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&printed(format)).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is itself valid")
}

fn document(text: &str) -> serde_json::Value {
    to_json(toml::Value::Table(toml::from_str(text).unwrap()))
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator
        .iter_errors(&document(text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no TOML files in {}", dir.display());
    files
}

#[test]
fn every_shipped_file_validates_against_its_schema() {
    for (format, dirs) in [
        (
            "scenario",
            &["scenarios", "scenarios/register", "tests/fuzz-corpus"][..],
        ),
        ("sweep", &["sweeps"][..]),
        ("plan", &["plans"][..]),
    ] {
        let v = validator(format);
        for dir in dirs {
            for file in toml_files(&root().join(dir)) {
                let text = std::fs::read_to_string(&file).unwrap();
                let found = errors(&v, &text);
                assert!(found.is_empty(), "{}: {found:#?}", file.display());
            }
        }
    }
}

#[test]
fn a_misspelt_key_or_a_malformed_value_fails_the_schema() {
    let v = validator("scenario");
    let good = std::fs::read_to_string(root().join("scenarios/tutorial.toml")).unwrap();
    assert!(errors(&v, &good).is_empty());

    // The misspelt key of the README's error example: `deks` for `desks`.
    let misspelt = good.replacen("desks =", "deks =", 1);
    assert_ne!(misspelt, good);
    let found = errors(&v, &misspelt);
    assert!(
        found.iter().any(|e| e.contains("deks")),
        "no error names `deks`: {found:#?}"
    );

    // A duration without a unit, a duration as a number, an unknown distribution, a count as
    // text: each fails, as it fails the loader.
    for (from, to) in [
        ("horizon = \"14h\"", "horizon = \"14\""),
        ("horizon = \"14h\"", "horizon = 14"),
        ("dist = \"exponential\"", "dist = \"exponentail\""),
        ("desks = 2", "desks = \"2\""),
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "`{from}` is not in the tutorial any more");
        assert!(!errors(&v, &bad).is_empty(), "`{to}` passed the schema");
    }
    // A block read from a CSV file needs none of the keys its columns may give.
    let from_csv = good.replacen("count = 2\n", "from = \"blocks.csv\"\n", 1);
    let from_csv = from_csv.replacen("sites = [\"east-gate\"]\n", "", 1);
    assert!(from_csv.contains("from = "));
    assert!(
        errors(&v, &from_csv).is_empty(),
        "{:#?}",
        errors(&v, &from_csv)
    );
    let without = good.replacen("sites = [\"east-gate\"]\n", "", 1);
    assert!(
        !errors(&v, &without).is_empty(),
        "a block without sites passed"
    );

    let sweep = validator("sweep");
    let text = std::fs::read_to_string(root().join("sweeps/desks-and-crews.toml")).unwrap();
    assert!(errors(&sweep, &text).is_empty());
    assert!(!errors(&sweep, &text.replacen("replications", "replication", 1)).is_empty());
}

#[test]
fn the_schemas_in_the_repository_are_what_swabsim_prints() {
    for format in ["scenario", "sweep", "plan"] {
        let kept =
            std::fs::read_to_string(root().join(format!("schema/{format}.schema.json"))).unwrap();
        assert!(
            kept == printed(format),
            "schema/{format}.schema.json is out of date: run `swabsim schema {format} > schema/{format}.schema.json`"
        );
    }
}

#[test]
fn a_duration_pattern_accepts_what_the_loader_accepts() {
    // The schema's patterns against the loader's parser on the same texts, both ways.
    let schema: serde_json::Value = serde_json::from_str(&printed("scenario")).unwrap();
    let pattern = |name: &str| {
        let p = schema["definitions"][name]["pattern"]
            .as_str()
            .unwrap()
            .to_string();
        jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": p })).unwrap()
    };
    let duration = pattern("Duration");
    for (text, ok) in [
        ("12s", true),
        ("5min", true),
        ("1h30m", true),
        ("1h 30m", true),
        ("1.5d", true),
        ("250ms", true),
        ("12", false),
        ("5 min", false),
        ("h", false),
        ("4 hours", false),
    ] {
        assert_eq!(
            duration.is_valid(&serde_json::json!(text)),
            ok,
            "schema on {text:?}"
        );
        assert_eq!(
            swabsim::time::parse_duration(text).is_ok(),
            ok,
            "loader on {text:?}"
        );
    }
    let range = pattern("ClockRange");
    for (text, ok) in [
        ("07:00-12:00", true),
        ("22:00-06:00", true),
        ("00:00-24:00", true),
        ("7-12", false),
        ("07:00", false),
    ] {
        assert_eq!(range.is_valid(&serde_json::json!(text)), ok, "{text:?}");
    }
}
