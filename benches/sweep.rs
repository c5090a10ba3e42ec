//! Sweep throughput: runs of the default scenario per second, with 1 and 2 worker threads.
//!
//! A sweep's points are independent runs on a rayon pool; this measures 8 replications of the
//! default scenario on pools of 1 and 2 threads (the machine has 2 cores).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use swabsim::runner::run_all;

/// The `swabsim` binary's allocator (see `src/main.rs`): the figures measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dongyuegong.toml");
    let (_, model) = swabsim::load_path(&path, &[]).expect("default scenario");
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(8));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        g.bench_function(format!("dongyuegong_8_runs_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| run_all(&model, 8, false, &|| {}).expect("conservation")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
