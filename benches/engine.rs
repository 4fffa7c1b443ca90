//! Engine throughput per scenario kind, with one and two worker threads, in household-months
//! per second: nominal (households × months × trials ÷ wall time, every sample household in
//! every month) and per *active* household-month (only the months a household is active,
//! where the model's per-month work happens).
//!
//! Scenario kinds: every shipped scenario — the baseline (`scenarios/echo_2017_2021.toml`),
//! the $5 paid tier (`scenarios/premium_5usd_2024.toml`), the status quo it is compared with
//! (`scenarios/status_quo_2022_2028.toml`) and Alexa+ (`scenarios/alexa_plus_2025.toml`) —
//! and an order-heavy one: the baseline with
//! `purchase.voice_shopping.conversion=0.9`, about 2.4 orders per active household-month
//! (the bench prints the measured figure). `scripts/bench-peer.sh` runs the baseline, the $5
//! tier and the order-heavy kind against the NumPy benchmark peer.
//!
//! Run: `cargo bench --bench engine` (or `-- baseline` for one kind). Criterion's
//! "elements/s" is household-months/s: `<kind>/nominal_<t>_threads` counts nominal ones,
//! `<kind>/active_<t>_threads` active ones (ns per active household-month = 1e9 / that).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downstream::engine::Engine;
use downstream::scenario::{Override, Scenario};

const HOUSEHOLDS: u64 = 100_000;
const TRIALS: u64 = 4;

/// The override that makes the order-heavy kind from the baseline (also used by
/// `scripts/bench-peer.sh`).
pub const ORDER_HEAVY: &str = "purchase.voice_shopping.conversion=0.9";

/// (kind, scenario file, overrides)
const KINDS: [(&str, &str, &[&str]); 5] = [
    ("baseline", "scenarios/echo_2017_2021.toml", &[]),
    ("premium_5usd", "scenarios/premium_5usd_2024.toml", &[]),
    ("status_quo", "scenarios/status_quo_2022_2028.toml", &[]),
    ("alexa_plus", "scenarios/alexa_plus_2025.toml", &[]),
    (
        "order_heavy",
        "scenarios/echo_2017_2021.toml",
        &[ORDER_HEAVY],
    ),
];

fn scenario(file: &str, overrides: &[&str]) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).expect("a valid override"))
        .collect();
    let mut s = Scenario::load(&path, &overrides).expect("a valid shipped scenario");
    let mut sim = s.simulation();
    sim.households = HOUSEHOLDS;
    sim.trials = TRIALS;
    s.set_simulation(sim).expect("valid settings");
    s
}

/// Active household-months and orders of the bench's trials (one extra pass).
fn active_and_orders(engine: &Engine) -> (u64, u64) {
    let (mut active, mut orders) = (0, 0);
    for t in 0..TRIALS {
        let model = engine.trial_model(t);
        for b in 0..engine.blocks() {
            let p = engine.simulate_block(&model, b);
            active += p.active_household_months();
            orders += p.orders();
        }
    }
    (active, orders)
}

fn engine(c: &mut Criterion) {
    for (kind, file, overrides) in KINDS {
        let s = scenario(file, overrides);
        let engine = Engine::new(&s);
        let nominal = HOUSEHOLDS * TRIALS * s.months() as u64;
        let (active, orders) = active_and_orders(&engine);
        eprintln!(
            "{kind}: {nominal} nominal and {active} active household-months ({:.1}% active), \
             {:.2} orders per active household-month",
            100.0 * active as f64 / nominal as f64,
            orders as f64 / active as f64
        );
        let mut group = c.benchmark_group(kind);
        group.sample_size(10);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for (what, n) in [("nominal", nominal), ("active", active)] {
                group.throughput(Throughput::Elements(n));
                group.bench_function(format!("{what}_{threads}_threads"), |b| {
                    b.iter(|| pool.install(|| engine.run(0..TRIALS, &mut |_| {})))
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
