//! Coverage-guided fuzzing of sweep files against the repository's scenarios, on the harness of
//! the integration tests. Run with `cargo fuzz run sweep` (see fuzz/README.md).
#![no_main]

#[path = "../../tests/integration/fuzz/harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(finding) = harness::check_sweep(text) {
        panic!("{finding}");
    }
});
