//! Engine throughput in residents served per second of one core, with the real observers.
//!
//! - `mm10`: one site, 10 desks, Poisson walk-ins at load 0.9, one exponential stage (M/M/10):
//!   the kernel's hot loop. Target: at least 5 million residents per second.
//! - `dongyuegong`: the default scenario (three daily rounds of 13,300 residents, two at
//!   pipelined desks with crews, the third door to door; tubes, couriers, a lab, re-swabs).
//!
//! Run with `cargo bench --bench engine`; figures are in docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use swabsim::model::Model;
use swabsim::runner::run_one;

/// The `swabsim` binary's allocator (see `src/main.rs`): the figures measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The M/M/10 scenario at load 0.9 over `hours` (9 arrivals per minute).
pub fn mm10(hours: u32) -> Model {
    let text = format!(
        r#"version = 1
[scenario]
name = "mm10"
start = 2022-11-02T00:00:00
horizon = "{hours}h"
seed = 1
report_every = "1h"

[[site]]
name = "s"
desks = 10

[[site.stage]]
name = "swab"
service = {{ dist = "exponential", mean = "1min" }}

[[area]]
name = "walk-ins"
sites = ["s"]
walkin = {{ rate = "9/min" }}
"#
    );
    swabsim::load_str("mm10.toml", &text, &[])
        .expect("valid benchmark scenario")
        .1
}

/// People swabbed in one run, at sites and at home.
fn served(model: &Model) -> u64 {
    let s = run_one(model, 0, false, &|| {})
        .expect("conservation")
        .figures
        .summary;
    (s.get("tested").unwrap_or(0.0) + s.get("tested_at_home").unwrap_or(0.0)) as u64
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    let m = mm10(200);
    g.throughput(Throughput::Elements(served(&m)));
    g.bench_function("mm10_load0.9_200h", |b| {
        b.iter(|| run_one(black_box(&m), 0, false, &|| {}))
    });

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let (_, d) = swabsim::load_path(&path, &[]).expect("default scenario");
    g.throughput(Throughput::Elements(served(&d)));
    g.bench_function("dongyuegong", |b| {
        b.iter(|| run_one(black_box(&d), 0, false, &|| {}))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
