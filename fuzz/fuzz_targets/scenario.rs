//! Coverage-guided fuzzing of scenario files: load, validate and a short run, on the harness of
//! the integration tests. Run with `cargo fuzz run scenario` (see fuzz/README.md).
#![no_main]

#[path = "../../tests/integration/fuzz/harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(finding) = harness::check_scenario(text) {
        panic!("{finding}");
    }
});
