//! The uncertainty toolkit: correlated inputs (Iman–Conover), Latin hypercube sampling,
//! convergence (standard errors, `run --precision`) and `sensitivity` (tornado, swings on
//! common random numbers, rank correlations by period).
//!
//! Every statistical check states its tolerance next to it; all seeds are fixed.

use std::path::Path;

use downstream::design::Sampling;
use downstream::engine::{Engine, Pin, PinnedRuns, RunResult, run_pinned_until};
use downstream::scenario::{Override, Scenario};
use downstream::sensitivity::{self, By};
use downstream::stats::{spearman, summarize};

use crate::common::{downstream, ok, temp_dir};

const PREMIUM: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/scenarios/premium_5usd_2024.toml"
));
const CORRELATED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/correlated.toml"
));

fn scenario(text: &str, sets: &[String], households: u64, trials: u64, seed: u64) -> Scenario {
    let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let mut s = Scenario::parse("test.toml", text, &sets).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = s.simulation();
    sim.households = households;
    sim.trials = trials;
    sim.seed = seed;
    s.set_simulation(sim).unwrap();
    s
}

fn with_sampling(mut s: Scenario, sampling: Sampling) -> Scenario {
    let mut sim = s.simulation();
    sim.sampling = sampling;
    s.set_simulation(sim).unwrap();
    s
}

fn run(s: &Scenario) -> RunResult {
    Engine::new(s).run(0..s.simulation().trials, &mut |_| {})
}

fn draws(s: &Scenario, r: &RunResult, key: &str) -> Vec<f64> {
    let i = s
        .params()
        .iter()
        .position(|(_, p)| p.key() == key)
        .unwrap_or_else(|| panic!("no parameter {key}"));
    r.trials.iter().map(|t| t.draws[i]).collect()
}

/// The plain run and the pinned variants of all the scenario's trials.
fn pinned(s: &Scenario, pins: &[Pin]) -> PinnedRuns {
    let never = std::sync::atomic::AtomicBool::new(false);
    run_pinned_until(s, pins, 0..s.simulation().trials, &mut |_| {}, &never).unwrap()
}

/// Values as bits, so that an undefined (NaN) breakeven compares equal to itself.
fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn scalar(r: &RunResult, name: &str) -> Vec<f64> {
    r.scalar(r.layout.scalar_index(name).unwrap())
}

#[test]
fn correlations_are_reached_and_marginals_are_unchanged() {
    // One household: only the parameter draws matter here. 5,000 trials = 50 design blocks.
    let correlated = scenario(CORRELATED, &[], 1, 5000, 3);
    let r = run(&correlated);
    // The same scenario without [[correlation]] (cut off at its first entry).
    let plain_text = &CORRELATED[..CORRELATED.find("# Households that adopt").unwrap()];
    let plain = scenario(plain_text, &[], 1, 5000, 3);
    let p = run(&plain);
    let pairs = [
        ("adoption.potential", "usage.interactions_per_day", 0.6),
        ("adoption.potential", "adoption.imitation", 0.3),
        ("usage.interactions_per_day", "adoption.imitation", 0.2),
        (
            "purchase.voice_shopping.conversion",
            "usage.interactions_per_day",
            -0.4,
        ),
        // Not correlated with each other (only through the matrix: 0.3 x -0.4 is not asked).
        (
            "adoption.potential",
            "purchase.voice_shopping.conversion",
            0.0,
        ),
    ];
    for (a, b, target) in pairs {
        let rho = spearman(&draws(&correlated, &r, a), &draws(&correlated, &r, b)).unwrap();
        // Iman–Conover fixes the correlation of the normal scores exactly in every block (0
        // for the pair not asked for); the rank correlation of a block of 100 varies around
        // it with sd about 0.02, so over 50 blocks with sd about 0.003; 0.015 is 5 of those.
        // Without the rank adjustment of the scores the 0.6 pair would come out near 0.58.
        let tolerance = 0.015;
        eprintln!("{a} ~ {b}: rank correlation {rho:.4}, asked {target}");
        assert!(
            (rho - target).abs() < tolerance,
            "{a} ~ {b}: rank correlation {rho:.3}, asked {target}"
        );
    }
    // Marginals: every parameter takes exactly the same set of values as without the
    // correlation (Iman–Conover only permutes values among the trials of a block).
    for (_, param) in correlated.params().iter() {
        let mut x = draws(&correlated, &r, param.key());
        let mut y = draws(&plain, &p, param.key());
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        assert_eq!(x, y, "{} changed its values", param.key());
    }
}

#[test]
fn latin_hypercube_draws_every_stratum_once_per_block() {
    let s = with_sampling(scenario(PREMIUM, &[], 1, 300, 5), Sampling::LatinHypercube);
    let r = run(&s);
    for (_, param) in s.params().iter().filter(|(_, p)| p.is_uncertain()) {
        let values = draws(&s, &r, param.key());
        for block in values.chunks(100) {
            // The stratum of a value is where it falls between the 100 quantiles of its
            // distribution: each of the 100 strata exactly once.
            let mut strata: Vec<usize> = block
                .iter()
                .map(|&x| {
                    (1..100)
                        .filter(|&k| param.dist().quantile(k as f64 / 100.0) < x)
                        .count()
                })
                .collect();
            strata.sort();
            assert_eq!(strata, (0..100).collect::<Vec<_>>(), "{}", param.key());
        }
    }
}

#[test]
fn latin_hypercube_reduces_the_spread_of_the_estimated_mean() {
    // 40 repeats (seeds) of a 100-trial run, plain Monte Carlo and Latin hypercube; the
    // spread of the 40 estimates of the mean NPV. Under equal variances the ratio of the
    // two sample variances follows F(39, 39), below 0.5 with probability 1.7%; the NPV is
    // driven mostly by fixed costs and prices (nearly additive in the inputs), where LHS
    // removes most of the variance, so the expected ratio is far below 0.5.
    let means = |sampling: Sampling| -> Vec<f64> {
        (0..40)
            .map(|seed| {
                let s = with_sampling(scenario(PREMIUM, &[], 200, 100, 1000 + seed), sampling);
                summarize(&scalar(&run(&s), "npv_net_incremental")).mean
            })
            .collect()
    };
    let mc = summarize(&means(Sampling::MonteCarlo)).sd;
    let lhs = summarize(&means(Sampling::LatinHypercube)).sd;
    let ratio = (lhs / mc).powi(2);
    eprintln!(
        "spread of the estimated mean NPV: MC sd {mc:.4e}, LHS sd {lhs:.4e}, variance ratio {ratio:.3}"
    );
    assert!(ratio < 0.5, "variance ratio LHS / MC = {ratio:.3}");
}

#[test]
fn designs_do_not_depend_on_threads_or_on_how_trials_are_split() {
    let s = scenario(CORRELATED, &[], 300, 250, 9);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let whole = pool(1).install(|| run(&s));
    let two = pool(2).install(|| run(&s));
    let engine = Engine::new(&s);
    let mut split = engine.run(0..70, &mut |_| {}).trials;
    split.extend(engine.run(70..250, &mut |_| {}).trials);
    for ((a, b), c) in whole.trials.iter().zip(&two.trials).zip(&split) {
        assert_eq!(a.draws, b.draws);
        assert_eq!(bits(&a.scalars), bits(&b.scalars));
        assert_eq!(a.draws, c.draws);
        assert_eq!(bits(&a.scalars), bits(&c.scalars));
    }
    // And a trial's draws do not depend on how many trials the run has.
    let short = run(&scenario(CORRELATED, &[], 300, 130, 9));
    for (a, b) in short.trials.iter().zip(&whole.trials) {
        assert_eq!(a.draws, b.draws);
    }
}

#[test]
fn a_pinned_variant_is_the_run_with_that_value_set() {
    // Common random numbers: holding a parameter at a value in every trial (the swings of
    // `sensitivity`) gives, trial by trial, exactly the scalars of a run with `--set`.
    let s = scenario(PREMIUM, &[], 500, 6, 2);
    let id = |key: &str| {
        s.params()
            .iter()
            .find(|(_, p)| p.key() == key)
            .map(|(id, _)| id)
            .unwrap()
    };
    // One parameter the households see (adoption), one only the finalisation reads.
    let pins = [
        Pin {
            param: id("adoption.potential"),
            value: 0.2,
        },
        Pin {
            param: id("costs.fixed_per_year.2024"),
            value: 4.1e9,
        },
    ];
    let runs = pinned(&s, &pins);
    assert_eq!(
        runs.simulated, 1,
        "only the adoption pin needs its own households"
    );
    let plain = run(&s);
    for (a, b) in runs.base.trials.iter().zip(&plain.trials) {
        assert_eq!(bits(&a.scalars), bits(&b.scalars));
    }
    for (k, set) in ["adoption.potential=0.2", "costs.fixed_per_year.2024=4.1e9"]
        .iter()
        .enumerate()
    {
        let fixed = run(&scenario(PREMIUM, &[set.to_string()], 500, 6, 2));
        for (t, trial) in fixed.trials.iter().enumerate() {
            assert_eq!(
                bits(&runs.pinned[k][t]),
                bits(&trial.scalars),
                "{set}, trial {t}"
            );
        }
    }
}

#[test]
fn swings_and_period_correlations_of_fixed_costs_have_closed_forms() {
    // The fixed cost of a year is fixed_per_year (of the year in force) x months / 12, and
    // nothing else; so its swing is exact and every other parameter's swing is exactly 0,
    // and in each year the parameter in force has rank correlation exactly 1.
    let s = scenario(PREMIUM, &[], 200, 40, 4);
    let (metric, period) = sensitivity::metric_indices(
        &Engine::new(&s).layout().clone(),
        "fixed_cost",
        Some(By::Year),
    )
    .unwrap();
    let (_, pins) = sensitivity::pins(&s);
    let runs = pinned(&s, &pins);
    let a = sensitivity::analyse(&s, &runs, metric, Some((By::Year, period.unwrap())));
    // Months of 2022..2028 under each fixed_per_year key of the scenario.
    let months_in_force = [
        ("costs.fixed_per_year.2022", 12.0),
        ("costs.fixed_per_year.2023", 12.0),
        ("costs.fixed_per_year.2024", 24.0),
        ("costs.fixed_per_year.2026", 36.0),
    ];
    for row in &a.rows {
        match months_in_force.iter().find(|(k, _)| *k == row.parameter) {
            Some((_, months)) => {
                let expected = (row.high - row.low) * months / 12.0;
                assert!(
                    (row.swing - expected).abs() <= 1e-9 * expected,
                    "{}: swing {} expected {expected}",
                    row.parameter,
                    row.swing
                );
            }
            None => assert_eq!(row.swing, 0.0, "{}", row.parameter),
        }
    }
    // Sorted by swing: the 2026 key (36 months) cannot come after a zero-swing parameter.
    assert!(a.rows.windows(2).all(|w| w[0].swing >= w[1].swing));
    let by = a.by_period.as_ref().unwrap();
    assert_eq!(
        by.periods,
        ["2022", "2023", "2024", "2025", "2026", "2027", "2028"]
    );
    for (year, row) in by.periods.iter().zip(&by.rank_correlation) {
        let in_force = match year.as_str() {
            "2022" => "costs.fixed_per_year.2022",
            "2023" => "costs.fixed_per_year.2023",
            "2024" | "2025" => "costs.fixed_per_year.2024",
            _ => "costs.fixed_per_year.2026",
        };
        let i = a.rows.iter().position(|r| r.parameter == in_force).unwrap();
        assert!(
            (row[i].unwrap() - 1.0).abs() < 1e-12,
            "{year}: {:?}",
            row[i]
        );
    }
}

// ---------------------------------------------------------------------------------------
// The command line.

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn summary_reports_the_standard_error_and_half_width_of_every_mean() {
    let dir = temp_dir("uncertainty", "se");
    let stdout = ok(&[
        "run",
        "scenarios/premium_5usd_2024.toml",
        "--households",
        "300",
        "--trials",
        "20",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(stdout.contains("     mean      se    ±95%"), "{stdout}");
    let csv = read(&dir, "summary.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "metric,mean,sd,p05,p50,p95,mean_se,mean_ci95_half_width,household_noise_share"
    );
    // t(0.975, 19) = 2.093024054408263 (scipy.stats.t.ppf).
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let (Ok(sd), Ok(se), Ok(half)) = (
            cells[2].parse::<f64>(),
            cells[6].parse::<f64>(),
            cells[7].parse::<f64>(),
        ) else {
            continue;
        };
        assert!(
            (se - sd / 20f64.sqrt()).abs() <= 1e-9 * se.abs().max(1.0),
            "{line}"
        );
        assert!(
            (half - 2.093024054408263 * se).abs() <= 1e-6 * half.abs().max(1.0),
            "{line}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The result files of a run, without the resolved scenario (its [run] table records
/// threads and wall time).
fn results(dir: &Path) -> Vec<(String, String)> {
    ["summary.csv", "monthly.csv", "yearly.csv", "trials.csv"]
        .iter()
        .map(|f| (f.to_string(), read(dir, f)))
        .collect()
}

#[test]
fn precision_stops_at_n_trials_exactly_like_a_plain_run_of_n() {
    let dir = temp_dir("uncertainty", "precision");
    let common = [
        "run",
        "scenarios/premium_5usd_2024.toml",
        "--households",
        "300",
        "--quiet",
    ];
    // `--precision PCT` from 100 trials, with extra arguments, into `dir/name`.
    let precision_run = |name: &str, pct: &str, extra: &[&str]| {
        let out = dir.join(name);
        let args = [
            &common[..],
            &["--trials", "100", "--precision", pct],
            &[
                "--metric",
                "npv_net_incremental",
                "--out",
                out.to_str().unwrap(),
            ],
            extra,
        ]
        .concat();
        let stdout = ok(&args);
        (out, stdout)
    };
    let (precise, stdout) = precision_run("precise", "1%", &[]);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("precision: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("stopped because the precision was reached"),
        "{line}"
    );
    let n: u64 = line
        .split(" after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > 100 && n.is_multiple_of(100), "{line}");
    // The half-width printed is within 1% of the mean.
    let trials = read(&precise, "trials.csv");
    let col = trials
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "npv_net_incremental")
        .unwrap();
    let npv: Vec<f64> = trials
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    let s = summarize(&npv);
    assert_eq!(s.n as u64, n);
    assert!(s.ci95_half_width() <= 0.01 * s.mean.abs());
    let plain = dir.join("plain");
    ok(&[
        &common[..],
        &["--trials", &n.to_string(), "--out", plain.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(results(&precise), results(&plain));

    // A cap that comes first.
    let (_, stdout) = precision_run("capped", "0.01%", &["--max-trials", "200"]);
    assert!(
        stdout.contains("after 200 trials; stopped because the cap of --max-trials was reached"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn precision_and_sensitivity_refuse_bad_requests() {
    for (args, message) in [
        (
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--precision",
                "1",
                "--metric",
                "npv_net_incremental",
            ][..],
            "error: --precision 1: expected a percentage of the mean above 0%, such as 1% or 0.5%\n",
        ),
        (
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--precision",
                "1%",
                "--metric",
                "npv_net_incremental",
                "--max-trials",
                "50",
            ][..],
            "error: --max-trials 50: expected a whole number from the first batch's 200 trials to 1000000\n",
        ),
        (
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--precision",
                "1%",
                "--metric",
                "npv_net_incremetal",
            ][..],
            "error: --metric npv_net_incremetal: no such metric; did you mean npv_net_incremental? (the metrics are the rows of summary.csv)\n",
        ),
        (
            &[
                "sensitivity",
                "scenarios/premium_5usd_2024.toml",
                "--metric",
                "breakeven_month",
            ][..],
            "error: --metric breakeven_month: a trial may never break even, so the metric has no mean; choose a money metric such as npv_net_incremental\n",
        ),
        (
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--precision",
                "1%",
                "--metric",
                "npv_net_incremental",
                "--shard",
                "1/2",
            ][..],
            "error: --precision decides the number of trials as it goes, so it cannot run as shards (--shard or an array job's environment); run it unsharded, or shard a plain run with the --trials it reported\n",
        ),
    ] {
        let out = downstream(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), message, "{args:?}");
    }
}

#[test]
fn sensitivity_counts_every_variant_in_its_budget() {
    // 57 uncertain parameters, 114 variants of which 36 need their own households (the
    // others reuse the plain run's, re-finalised or with the premium tier re-simulated): 37
    // passes of this size are refused before any work.
    let out = downstream(&[
        "sensitivity",
        "scenarios/premium_5usd_2024.toml",
        "--method",
        "swing",
        "--households",
        "100000000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: this request is 6.22e13 household-months (100000000 households x 84 months x 200 trials x 37 run(s))"),
        "{err}"
    );
}

#[test]
fn sensitivity_writes_the_tornado_and_the_periods_whatever_the_threads() {
    let dir = temp_dir("uncertainty", "sensitivity");
    let mut tornado = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(threads);
        let stdout = ok(&[
            "sensitivity",
            "scenarios/premium_5usd_2024.toml",
            "--by",
            "year",
            "--method",
            "swing",
            "--households",
            "300",
            "--trials",
            "50",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            stdout.contains(
                "sensitivity of npv_net_incremental ($B), swing, 50 trials x 300 households"
            ),
            "{stdout}"
        );
        assert!(stdout.contains("strongest drivers of net_incremental in each period"));
        let csv = read(&out, "tornado.csv");
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "metric,parameter,p10,p90,base_mean,mean_at_p10,mean_at_p90,swing,swing_se,rank_correlation,first_order,first_order_low,first_order_high,mean_low_decile,mean_high_decile,method,group"
        );
        let uncertain = PREMIUM.matches("dist = ").count();
        assert_eq!(rows.len() - 1, uncertain);
        let swings: Vec<f64> = rows[1..]
            .iter()
            .map(|r| r.split(',').nth(7).unwrap().parse().unwrap())
            .collect();
        assert!(swings.windows(2).all(|w| w[0] >= w[1]), "sorted by swing");
        // The top rows are printed in tornado order.
        let first = rows[1].split(',').nth(1).unwrap();
        assert!(
            stdout.lines().nth(2).unwrap().starts_with(first),
            "{stdout}"
        );
        let periods = read(&out, "sensitivity_by_period.csv");
        assert_eq!(periods.lines().count(), 1 + 7 * uncertain);
        assert!(
            periods.starts_with("metric,period,parameter,rank_correlation,first_order,first_order_low,first_order_high\nnet_incremental,2022,")
        );
        tornado.push((csv, periods));
    }
    assert_eq!(
        tornado[0], tornado[1],
        "1 and 2 threads give the same files"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
