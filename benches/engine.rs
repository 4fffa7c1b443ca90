//! Engine throughput on the shipped baseline scenario, in nominal household-months per
//! second (households × months × trials ÷ wall time), with one and two worker threads.
//!
//! Run: `cargo bench --bench engine`. Criterion reports "elements/s" = household-months/s.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downstream::engine::Engine;
use downstream::scenario::Scenario;

const HOUSEHOLDS: u64 = 200_000;
const TRIALS: u64 = 4;

fn baseline() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/echo_2017_2021.toml");
    let mut s = Scenario::load(&path, &[]).expect("the shipped baseline is valid");
    let mut sim = s.simulation();
    sim.households = HOUSEHOLDS;
    sim.trials = TRIALS;
    s.set_simulation(sim).expect("valid settings");
    s
}

fn engine(c: &mut Criterion) {
    let s = baseline();
    let engine = Engine::new(&s);
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(
        HOUSEHOLDS * TRIALS * s.months() as u64,
    ));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_function(format!("household_months_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| engine.run(0..TRIALS, &mut |_| {})))
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
