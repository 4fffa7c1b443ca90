//! Reproducibility and common random numbers (README "Reproducibility"): byte-identical files for any thread
//! count, exact merging of trial and block subsets, different seeds differ, and a premium
//! price change leaves every non-premium figure of every trial unchanged.

use std::path::Path;

use downstream::engine::{Engine, Partial, RunResult, TrialResult};
use downstream::scenario::{Override, Scenario};

use crate::common::{ok, root, temp_dir};

const FILES: [&str; 4] = ["summary.csv", "monthly.csv", "yearly.csv", "trials.csv"];

/// The resolved scenario without the lines that legitimately differ between runs.
fn resolved_without_run_facts(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("scenario.resolved.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("threads =") && !l.starts_with("wall_seconds ="))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The size, seed and quietness of the thread-count comparisons.
const COMMON: [&str; 7] = [
    "--households",
    "9000",
    "--trials",
    "6",
    "--seed",
    "11",
    "--quiet",
];

#[test]
fn output_files_are_identical_for_one_and_two_threads() {
    for scenario in [
        "scenarios/echo_2017_2021.toml",
        "scenarios/premium_5usd_2024.toml",
    ] {
        let (a, b) = (temp_dir("repro", "t1"), temp_dir("repro", "t2"));
        ok(&[
            &[
                "run",
                scenario,
                "--threads",
                "1",
                "--out",
                a.to_str().unwrap(),
            ][..],
            &COMMON,
        ]
        .concat());
        ok(&[
            &[
                "run",
                scenario,
                "--threads",
                "2",
                "--out",
                b.to_str().unwrap(),
            ][..],
            &COMMON,
        ]
        .concat());
        for f in FILES {
            let (x, y) = (
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap(),
            );
            assert!(
                x == y,
                "{scenario}: {f} differs between --threads 1 and --threads 2"
            );
        }
        assert_eq!(
            resolved_without_run_facts(&a),
            resolved_without_run_facts(&b)
        );
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }
}

#[test]
fn compare_files_are_identical_for_one_and_two_threads() {
    let out = |threads: &str| {
        let dir = temp_dir("repro", &format!("compare-t{threads}"));
        ok(&[
            &[
                "compare",
                "scenarios/status_quo_2022_2028.toml",
                "scenarios/premium_5usd_2024.toml",
                "--threads",
                threads,
                "--out",
                dir.to_str().unwrap(),
            ][..],
            &COMMON,
        ]
        .concat());
        dir
    };
    let (a, b) = (out("1"), out("2"));
    for f in ["compare.csv", "decision.csv", "voi.csv"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --threads 1 and --threads 2");
    }
    // The year rows are in it: 2022..=2028 after the horizon's.
    let text = std::fs::read_to_string(a.join("compare.csv")).unwrap();
    for year in 2022..=2028 {
        assert!(
            text.contains(&format!("\nnet_incremental,{year},")),
            "{year}"
        );
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

fn load(path: &str, households: u64, trials: u64, seed: u64, overrides: &[&str]) -> Scenario {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    let mut s = Scenario::load(&root().join(path), &overrides).unwrap();
    let mut sim = s.simulation();
    sim.households = households;
    sim.trials = trials;
    sim.seed = seed;
    s.set_simulation(sim).unwrap();
    s
}

/// Every figure of every trial as bits (NaN-safe equality, short failure messages).
fn bits(trials: &[TrialResult]) -> Vec<(u64, Vec<u64>)> {
    trials
        .iter()
        .map(|t| {
            let all = t
                .draws
                .iter()
                .chain(&t.monthly)
                .chain(&t.yearly)
                .chain(&t.scalars);
            (t.trial, all.map(|x| x.to_bits()).collect())
        })
        .collect()
}

fn run(s: &Scenario, trials: std::ops::Range<u64>) -> RunResult {
    Engine::new(s).run(trials, &mut |_| {})
}

#[test]
fn different_seeds_give_different_results() {
    let a = run(
        &load("scenarios/echo_2017_2021.toml", 5000, 2, 1, &[]),
        0..2,
    );
    let b = run(
        &load("scenarios/echo_2017_2021.toml", 5000, 2, 2, &[]),
        0..2,
    );
    let units = a.layout.scalar_index("units_sold").unwrap();
    assert_ne!(a.trials[0].scalars[units], b.trials[0].scalars[units]);
    assert_ne!(a.trials[0].draws, b.trials[0].draws);
    // ... and different trials of one seed differ too.
    assert_ne!(a.trials[0].scalars[units], a.trials[1].scalars[units]);
}

#[test]
fn trial_subsets_reproduce_the_whole_run() {
    let s = load("scenarios/premium_5usd_2024.toml", 6000, 5, 3, &[]);
    let whole = run(&s, 0..5);
    let first = run(&s, 0..2);
    let rest = run(&s, 2..5);
    let joined: Vec<_> = first.trials.iter().chain(&rest.trials).cloned().collect();
    assert!(
        bits(&whole.trials) == bits(&joined),
        "trials 0..2 + 2..5 differ from 0..5"
    );
}

#[test]
fn blocks_merge_exactly_in_any_order() {
    // 3 blocks of households (the last one partial).
    let s = load(
        "scenarios/echo_2017_2021.toml",
        2 * downstream::engine::BLOCK_SIZE + 777,
        1,
        5,
        &[],
    );
    let engine = Engine::new(&s);
    let model = engine.trial_model(0);
    let parts: Vec<Partial> = (0..engine.blocks())
        .map(|b| engine.simulate_block(&model, b))
        .collect();
    let mut forward = Partial::new(engine.shape());
    for p in &parts {
        forward.merge(p);
    }
    let mut backward = Partial::new(engine.shape());
    for p in parts.iter().rev() {
        backward.merge(p);
    }
    let mut grouped = parts[2].clone();
    let mut head = parts[0].clone();
    head.merge(&parts[1]);
    grouped.merge(&head);
    assert_eq!(forward, backward);
    assert_eq!(forward, grouped);
    let whole = engine.run(0..1, &mut |_| {});
    assert!(bits(&[engine.finalize(&model, &forward)]) == bits(&whole.trials));
}

/// Common random numbers (README "Reproducibility"): with no premium uplifts, the premium price changes nothing outside the premium.
#[test]
fn premium_price_leaves_non_premium_metrics_unchanged() {
    let base = ["premium.usage_uplift=1", "premium.conversion_uplift=1"];
    let cheap = load(
        "scenarios/premium_5usd_2024.toml",
        8000,
        4,
        7,
        &[&base[..], &["premium.price_month=2"]].concat(),
    );
    let dear = load(
        "scenarios/premium_5usd_2024.toml",
        8000,
        4,
        7,
        &[&base[..], &["premium.price_month=9"]].concat(),
    );
    let (a, b) = (run(&cheap, 0..4), run(&dear, 0..4));
    let l = &a.layout;
    let premium_dependent = |name: &str| {
        [
            "premium_",
            "device_pnl",
            "net_claimed",
            "net_incremental",
            "breakeven",
        ]
        .iter()
        .any(|p| name.contains(p))
    };
    let p = l.index_of("premium_subscribers").unwrap();
    let mut premium_differs = false;
    for (ta, tb) in a.trials.iter().zip(&b.trials) {
        let n = l.len();
        for (i, (x, y)) in ta.monthly.iter().zip(&tb.monthly).enumerate() {
            let def = &l.defs[i % n];
            if !premium_dependent(&def.name) {
                assert_eq!(
                    x.to_bits(),
                    y.to_bits(),
                    "trial {} month {} {}",
                    ta.trial,
                    i / n,
                    def.name
                );
            }
        }
        for (j, name) in l.scalar_names().enumerate() {
            if !premium_dependent(name) {
                assert_eq!(
                    ta.scalars[j].to_bits(),
                    tb.scalars[j].to_bits(),
                    "trial {} {name}",
                    ta.trial
                );
            }
        }
        // Subscriber-months never rise with the price, month by month.
        for m in 0..cheap.months() as usize {
            assert!(tb.monthly[m * n + p] <= ta.monthly[m * n + p]);
            premium_differs |= tb.monthly[m * n + p] < ta.monthly[m * n + p];
        }
    }
    assert!(
        premium_differs,
        "a higher price should lose some subscribers"
    );
}

#[test]
fn comparing_a_scenario_with_itself_gives_identical_trials() {
    let s = load("scenarios/alexa_plus_2025.toml", 5000, 3, 9, &[]);
    assert!(bits(&run(&s, 0..3).trials) == bits(&run(&s, 0..3).trials));
}

/// The workbook carries no clock: the same result written twice, seconds apart, gives the
/// same bytes (its creation date is fixed).
#[test]
fn the_workbook_is_the_same_bytes_whenever_it_is_written() {
    let dir = temp_dir("repro", "xlsx");
    let d = dir.to_str().unwrap();
    let run = format!(
        "run scenarios/echo_2017_2021.toml --households 500 --trials 2 --xlsx --quiet --out {d}"
    );
    ok(&run.split(' ').collect::<Vec<_>>());
    let first = std::fs::read(dir.join("results.xlsx")).unwrap();
    // The creation date is stamped to the second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&["report", d, "--xlsx"]);
    assert!(first == std::fs::read(dir.join("results.xlsx")).unwrap());
}
