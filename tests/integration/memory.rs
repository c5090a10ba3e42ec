//! Memory grows with the people in the system at once, not with the population served.

use swabsim::runner::run_one;

use crate::support::{Mmc, model};

/// Ten times the residents (10× the horizon of an M/M/10 at load 0.9) must not need ten times
/// the person records: records are reused as people leave. At load 0.9 the number in the
/// system stays below a few hundred, so both peaks are far below the 10,800 and 108,000 served.
#[test]
fn person_records_do_not_grow_with_the_population() {
    let run = |hours| {
        let m = model(
            &Mmc {
                c: 10,
                lambda: 9.0,
                service_min: 1.0,
                capacity: None,
                priority: 0.0,
                hours,
            }
            .text(),
        );
        let r = run_one(&m, 0, false, &|| {}).unwrap();
        (r.peak_people, r.figures.summary.get("tested").unwrap())
    };
    let (small_peak, small_served) = run(20);
    let (big_peak, big_served) = run(200);
    assert!(big_served > 9.0 * small_served);
    assert!(
        big_peak < 400 && small_peak < 400,
        "peaks {small_peak} and {big_peak}"
    );
    assert!(
        (big_peak as f64) < 3.0 * small_peak as f64,
        "peaks {small_peak} and {big_peak}"
    );
}

/// Tube records are kept only while a tube waits for its result, and not at all without labs:
/// memory does not grow with the people swabbed.
#[test]
fn tube_records_do_not_grow_with_the_population() {
    let plain = model(
        &Mmc {
            c: 10,
            lambda: 9.0,
            service_min: 1.0,
            capacity: None,
            priority: 0.0,
            hours: 50,
        }
        .text(),
    );
    let r = run_one(&plain, 0, false, &|| {}).unwrap();
    assert_eq!(r.peak_tubes, 0, "no labs, no tube records");
    let chain = |hours: u32| {
        let text = crate::chain::chain_text(10, 0.01, 1.0, "300/h")
            .replace("horizon = \"60h\"", &format!("horizon = \"{hours}h\""))
            .replace("end = \"40h\"", &format!("end = \"{}h\"", hours - 10));
        let r = run_one(&model(&text), 0, false, &|| {}).unwrap();
        (r.peak_tubes, r.figures.summary.get("tubes").unwrap())
    };
    let (small_peak, small_tubes) = chain(30);
    let (big_peak, big_tubes) = chain(300);
    assert!(big_tubes > 9.0 * small_tubes);
    assert!(
        (big_peak as f64) < 2.0 * small_peak as f64,
        "peaks {small_peak} and {big_peak}"
    );
}
