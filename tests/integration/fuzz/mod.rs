//! Fuzzing: mutated scenario and sweep files never panic, never hang, never break the books.
//! A short deterministic pass runs in `cargo test`; CI runs a longer one in release
//! (`SWABSIM_FUZZ_EXECS`, ignored in debug); `fuzz/` holds a cargo-fuzz target on the same
//! harness.

pub mod harness;

fn report(t: &harness::Tally) {
    eprintln!(
        "fuzz: {} executions: {} refused, {} validated only, {} run; slowest {:?}; {} findings",
        t.execs,
        t.refused,
        t.validated,
        t.ran,
        t.slowest,
        t.findings.len()
    );
    for (what, input) in t.findings.iter().take(3) {
        eprintln!("--- finding: {what}\n{input}\n---");
    }
}

/// A fixed-seed pass: the same inputs on every machine.
#[test]
fn a_short_fuzz_pass_finds_nothing() {
    let t = harness::pass(1_500, 20221102);
    report(&t);
    assert!(t.findings.is_empty(), "{} findings", t.findings.len());
    assert!(
        t.refused > 100 && t.ran > 100,
        "the pass exercises both refusals and runs"
    );
}

/// A longer pass for release builds: `SWABSIM_FUZZ_EXECS` executions (default 30,000) from
/// `SWABSIM_FUZZ_SEED` (default 1).
#[test]
#[ignore = "long; CI runs it in release"]
fn a_long_fuzz_pass_finds_nothing() {
    let execs = std::env::var("SWABSIM_FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let seed = std::env::var("SWABSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let t = harness::pass(execs, seed);
    report(&t);
    assert!(t.findings.is_empty(), "{} findings", t.findings.len());
}
