//! Value stability: a few figures of fixed-seed runs of the shipped scenarios, pinned.
//!
//! Any change to the model, the sampling or the random streams moves these numbers; such a
//! change must be deliberate, and the pins updated in the same commit (run with
//! `--nocapture` to print the current values). The pins allow a relative difference of
//! 1e-12 only, for last-digit differences of libm functions across platforms.

use downstream::engine::Engine;
use downstream::scenario::Scenario;
use downstream::stats::summarize;

use crate::common::root;

fn scalars(
    path: &str,
    households: u64,
    trials: u64,
    seed: u64,
    names: &[&str],
) -> Vec<(String, f64)> {
    let mut s = Scenario::load(&root().join(path), &[]).unwrap();
    let mut sim = s.simulation();
    sim.households = households;
    sim.trials = trials;
    sim.seed = seed;
    s.set_simulation(sim).unwrap();
    let run = Engine::new(&s).run(0..trials, &mut |_| {});
    names
        .iter()
        .map(|name| {
            let j = run
                .layout
                .scalar_index(name)
                .unwrap_or_else(|| panic!("no scalar {name}"));
            let values: Vec<f64> = run.trials.iter().map(|t| t.scalars[j]).collect();
            (name.to_string(), summarize(&values).mean)
        })
        .collect()
}

fn check(actual: &[(String, f64)], pinned: &[(&str, f64)]) {
    for (name, value) in actual {
        println!("(\"{name}\", {value:?}),");
    }
    for ((name, value), (pname, pvalue)) in actual.iter().zip(pinned) {
        assert_eq!(name, pname);
        let tolerance = 1e-12 * pvalue.abs().max(1.0);
        assert!(
            (value - pvalue).abs() <= tolerance,
            "{name}: {value:?} != pinned {pvalue:?}"
        );
    }
    assert_eq!(actual.len(), pinned.len());
}

const NAMES: [&str; 8] = [
    "units_sold",
    "active_households",
    "interactions_shopping",
    "orders_voice_shopping",
    "gmv_voice_shopping",
    "device_pnl",
    "downstream_incremental",
    "npv_net_incremental",
];

#[test]
fn baseline_figures_are_stable() {
    let actual = scalars("scenarios/echo_2017_2021.toml", 20_000, 4, 2024, &NAMES);
    check(&actual, &PINNED_BASELINE);
}

#[test]
fn premium_figures_are_stable() {
    let names = [
        "premium_subscribers",
        "premium_revenue",
        "premium_serving_cost",
        "net_incremental",
    ];
    let actual = scalars("scenarios/premium_5usd_2024.toml", 20_000, 4, 2024, &names);
    check(&actual, &PINNED_PREMIUM);
}

#[test]
fn correlated_latin_hypercube_figures_are_stable() {
    // Latin hypercube and Iman–Conover (tests/fixtures/correlated.toml), over one full and
    // one partial design block.
    let names = [
        "units_sold",
        "interactions",
        "orders_voice_shopping",
        "net_incremental",
    ];
    let actual = scalars("tests/fixtures/correlated.toml", 2_000, 150, 2024, &names);
    check(&actual, &PINNED_CORRELATED);
}

const PINNED_CORRELATED: [(&str, f64); 4] = [
    ("units_sold", 78940.0),
    ("interactions", 118742903.33333333),
    ("orders_voice_shopping", 10770.0),
    ("net_incremental", -220154407.0779605),
];

const PINNED_BASELINE: [(&str, f64); 8] = [
    ("units_sold", 186937500.0),
    ("active_households", 56535000.0),
    ("interactions_shopping", 4105132500.0),
    ("orders_voice_shopping", 3330000.0),
    ("gmv_voice_shopping", 111159165.88453749),
    ("device_pnl", -21702991025.834625),
    ("downstream_incremental", 531949171.26052046),
    ("npv_net_incremental", -17511699020.062336),
];

const PINNED_PREMIUM: [(&str, f64); 4] = [
    ("premium_subscribers", 6326250.0),
    ("premium_revenue", 1797956250.0),
    ("premium_serving_cost", 298543201.46068823),
    ("net_incremental", -26030910334.186737),
];
