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
