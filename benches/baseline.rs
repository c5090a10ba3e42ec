//! The yardstick: a minimal hand-written event loop for the M/M/10 queue at load 0.9 — a 4-ary
//! heap of (time, sequence) events, one FIFO queue, ten desks, exponential gaps and services from
//! one PCG stream, and the mean wait — against swabsim's full pipeline on the same queue
//! (scenario, model, partitioned engine, observers, figures). The target: the pipeline at
//! 40% or more of the baseline's customers per second, measured side by side in one run.
//!
//! Run with `cargo bench --bench baseline`; figures are in docs/performance.md.

use std::collections::VecDeque;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dary_heap::QuaternaryHeap;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// The `swabsim` binary's allocator (see `src/main.rs`): the figures measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Arrivals per minute and desks: load 9 / 10 with one-minute services.
const LAMBDA_PER_MIN: f64 = 9.0;
const DESKS: usize = 10;
const MEAN_SERVICE_MIN: f64 = 1.0;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// Runs the bare loop for `hours` of simulated time; returns (customers served, mean wait in
/// minutes).
fn bare_mm10(hours: f64) -> (u64, f64) {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let mut exp = |mean_ms: f64| -> u64 {
        let u: f64 = rng.random();
        (-(1.0 - u).ln() * mean_ms).round() as u64
    };
    let horizon = (hours * 3_600_000.0) as u64;
    // Min-heap through Reverse: (time, sequence) orders equal times first in, first out.
    let mut heap: QuaternaryHeap<std::cmp::Reverse<(u64, u64, Kind)>> = QuaternaryHeap::new();
    let mut seq = 0u64;
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut busy = 0usize;
    let (mut served, mut wait_sum) = (0u64, 0u64);
    heap.push(std::cmp::Reverse((
        exp(60_000.0 / LAMBDA_PER_MIN),
        seq,
        Kind::Arrival,
    )));
    while let Some(std::cmp::Reverse((t, _, kind))) = heap.pop() {
        if t >= horizon {
            break;
        }
        seq += 1;
        match kind {
            Kind::Arrival => {
                let next = t + exp(60_000.0 / LAMBDA_PER_MIN);
                heap.push(std::cmp::Reverse((next, seq, Kind::Arrival)));
                if busy < DESKS {
                    busy += 1;
                    served += 1;
                    let done = t + exp(MEAN_SERVICE_MIN * 60_000.0);
                    heap.push(std::cmp::Reverse((done, seq, Kind::Departure)));
                } else {
                    waiting.push_back(t);
                }
            }
            Kind::Departure => match waiting.pop_front() {
                Some(arrived) => {
                    wait_sum += t - arrived;
                    served += 1;
                    let done = t + exp(MEAN_SERVICE_MIN * 60_000.0);
                    heap.push(std::cmp::Reverse((done, seq, Kind::Departure)));
                }
                None => busy -= 1,
            },
        }
    }
    (served, wait_sum as f64 / served.max(1) as f64 / 60_000.0)
}

fn bench(c: &mut Criterion) {
    let hours = 200.0;
    let (served, mean_wait) = bare_mm10(hours);
    // Erlang C, 10 desks, offered load 9: P(wait) = 0.6687, mean wait 0.6687 / (10 − 9) min;
    // over ~108,000 customers the yardstick lands within a few percent (a sanity check).
    assert!(
        (0.6..0.74).contains(&mean_wait),
        "bare loop mean wait {mean_wait}"
    );
    let mut g = c.benchmark_group("baseline");
    g.sample_size(20);
    g.throughput(Throughput::Elements(served));
    g.bench_function("bare_mm10_200h", |b| b.iter(|| bare_mm10(black_box(hours))));
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/mm10.toml"),
    )
    .expect("benches/mm10.toml");
    let (_, m) = swabsim::load_str("mm10.toml", &text, &[]).expect("valid benchmark scenario");
    let rep = swabsim::runner::run_one(&m, 0, false, &|| {}).expect("conservation");
    let tested = rep.figures.summary.get("tested").unwrap_or(0.0) as u64;
    g.throughput(Throughput::Elements(tested));
    g.bench_function("swabsim_mm10_200h", |b| {
        b.iter(|| swabsim::runner::run_one(black_box(&m), 0, false, &|| {}))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
