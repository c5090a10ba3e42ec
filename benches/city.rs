//! City-scale throughput: rounds of 1, 5 and 25.7 million residents (points with crews, couriers
//! and labs; see `tests/common/city.rs`), each run on a pool of 1 and of 2 threads, alternately,
//! in one process, so that the ratio between thread counts is measured side by side on this
//! shared machine. Prints the best wall time of the rounds and every round's, residents per
//! second of the best, the 2-thread speed-up, the peak memory of the process so far, and the
//! parallelism the partitions offer.
//!
//! Run with `cargo bench --bench city` (about 10 minutes); `SWABSIM_CITY_POINTS=800,4000` picks
//! the sizes; `SWABSIM_CITY_ROUNDS=4` runs four rounds of (1 thread, 2 threads) instead of two:
//! the other tenants of the machine only ever slow a run down, so the best of more rounds comes
//! nearer the code's own speed, and the list shows the spread;
//! `SWABSIM_CITY_TOML=DIR` instead writes each city as `DIR/city-POINTS.toml`, to
//! run with `swabsim run`, and measures nothing; `SWABSIM_CITY_ROUTE_POINTS=1` gives every point
//! its own courier route (20 by default). Figures are in docs/performance.md.

use std::time::Instant;

#[path = "../tests/common/city.rs"]
mod city;

/// The `swabsim` binary's allocator (see `src/main.rs`): the figures measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Peak resident set of this process so far, from /proc (Linux), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A count above zero from the environment variable `name`, if it holds one.
fn env_count(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SWABSIM_CITY_POINTS")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![800, 4_000, 20_560]);
    let per_route = env_count("SWABSIM_CITY_ROUTE_POINTS").unwrap_or(20);
    let rounds = env_count("SWABSIM_CITY_ROUNDS").unwrap_or(2);
    println!(
        "| residents | threads | wall s | every round, s | residents/s | speed-up | partitions | parallelism | peak RSS MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for points in sizes {
        let text = city::city(points, per_route);
        if let Ok(dir) = std::env::var("SWABSIM_CITY_TOML") {
            let path = std::path::Path::new(&dir).join(format!("city-{points}.toml"));
            std::fs::write(&path, &text).expect("write the city's scenario");
            println!("wrote {}", path.display());
            continue;
        }
        let (_, m) = swabsim::load_str("city.toml", &text, &[]).expect("valid city");
        let residents = m.residents() as f64;
        // Rounds of (1 thread, 2 threads): the ratio comes from runs next to each other.
        let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        let mut info = None;
        for _ in 0..rounds {
            for (k, threads) in [1usize, 2].into_iter().enumerate() {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("thread pool");
                let started = Instant::now();
                let rep = pool
                    .install(|| swabsim::runner::run_one(&m, 0, false, &|| {}))
                    .expect("conservation");
                times[k].push(started.elapsed().as_secs_f64());
                info = Some(rep.info);
            }
        }
        let info = info.expect("ran");
        let best = times
            .each_ref()
            .map(|t| t.iter().copied().fold(f64::INFINITY, f64::min));
        for (k, threads) in [1, 2].into_iter().enumerate() {
            let every: Vec<String> = times[k].iter().map(|t| format!("{t:.2}")).collect();
            println!(
                "| {:.1} M | {threads} | {:.2} | {} | {:.2} M | {} | {} | {:.0} | {:.0} |",
                residents / 1e6,
                best[k],
                every.join(", "),
                residents / best[k] / 1e6,
                if k == 0 {
                    "—".to_string()
                } else {
                    format!("{:.2}×", best[0] / best[1])
                },
                info.partitions,
                info.parallelism(),
                peak_rss_mb()
            );
        }
    }
}
