//! Compare and sweep on common random numbers (README "Reproducibility"): a scenario compared with itself
//! differs by exactly 0; horizons must match; in a premium-price sweep subscriber-months
//! never rise with the price, untouched metrics are identical at every point, and a sweep
//! point is byte for byte a plain run with that value set — also through the one-pass
//! price-sweep path of the engine.

use downstream::engine::{Engine, RunResult, run_points};
use downstream::scenario::{Override, Scenario};

use crate::common::{downstream, root, temp_dir};

fn load(path: &str, sets: &[String]) -> Scenario {
    let overrides: Vec<Override> = sets.iter().map(|o| Override::parse(o).unwrap()).collect();
    let mut s = Scenario::load(&root().join(path), &overrides).unwrap();
    let mut sim = s.simulation();
    sim.households = 6000;
    sim.trials = 6;
    sim.seed = 17;
    s.set_simulation(sim).unwrap();
    s
}

fn bits(r: &RunResult) -> Vec<u64> {
    r.trials
        .iter()
        .flat_map(|t| {
            t.draws
                .iter()
                .chain(&t.monthly)
                .chain(&t.yearly)
                .chain(&t.scalars)
        })
        .map(|x| x.to_bits())
        .collect()
}

const PRICES: [f64; 6] = [1.0, 3.0, 4.5, 5.0, 9.0, 20.0];

fn price_points(extra: &[&str]) -> Vec<Scenario> {
    PRICES
        .iter()
        .map(|p| {
            let mut sets: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            sets.push(format!("premium.price_month={p}"));
            load("scenarios/premium_5usd_2024.toml", &sets)
        })
        .collect()
}

#[test]
fn one_pass_price_sweep_equals_separate_runs() {
    // With and without premium uplifts (the uplifts make a subscriber's usage differ).
    for extra in [
        &[][..],
        &["premium.usage_uplift=1", "premium.conversion_uplift=1"][..],
    ] {
        let points = price_points(extra);
        let swept = run_points(&points, 0..6, &mut |_| {});
        for (p, r) in points.iter().zip(&swept) {
            let alone = Engine::new(p).run(0..6, &mut |_| {});
            assert!(
                bits(r) == bits(&alone),
                "price sweep point differs from a plain run ({extra:?})"
            );
        }
    }
}

#[test]
fn premium_price_sweep_has_crn_properties() {
    let points = price_points(&["premium.usage_uplift=1", "premium.conversion_uplift=1"]);
    let runs = run_points(&points, 0..6, &mut |_| {});
    let l = &runs[0].layout;
    let n = l.len();
    let subs = l.index_of("premium_subscribers").unwrap();
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
    let months = points[0].months() as usize;
    let mut strictly_fewer = false;
    for t in 0..6 {
        let subscriber_months = |r: &RunResult| {
            (0..months)
                .map(|m| r.trials[t].monthly[m * n + subs])
                .sum::<f64>()
        };
        for k in 1..runs.len() {
            // Prices ascend: subscriber-months never rise.
            assert!(
                subscriber_months(&runs[k]) <= subscriber_months(&runs[k - 1]),
                "trial {t} point {k}"
            );
            strictly_fewer |= subscriber_months(&runs[k]) < subscriber_months(&runs[k - 1]);
            for (i, (a, b)) in runs[k].trials[t]
                .monthly
                .iter()
                .zip(&runs[0].trials[t].monthly)
                .enumerate()
            {
                if !premium_dependent(&l.defs[i % n].name) {
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{} moved with the price",
                        l.defs[i % n].name
                    );
                }
            }
        }
    }
    assert!(
        strictly_fewer,
        "a higher price should lose some subscriber-months"
    );
}

#[test]
fn a_sweep_point_is_a_plain_run_byte_for_byte() {
    let (sweep_dir, run_dir) = (temp_dir("sweep", "sweep"), temp_dir("sweep", "run"));
    let common = [
        "--households",
        "5000",
        "--trials",
        "5",
        "--seed",
        "3",
        "--quiet",
    ];
    let out = downstream(
        &[
            &[
                "sweep",
                "scenarios/premium_5usd_2024.toml",
                "--vary",
                "premium.price_month=3,7.5",
                "--out",
                sweep_dir.to_str().unwrap(),
            ][..],
            &common,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = downstream(
        &[
            &[
                "run",
                "scenarios/premium_5usd_2024.toml",
                "--set",
                "premium.price_month=7.5",
                "--out",
                run_dir.to_str().unwrap(),
            ][..],
            &common,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sweep = std::fs::read_to_string(sweep_dir.join("sweep_trials.csv")).unwrap();
    let run = std::fs::read_to_string(run_dir.join("trials.csv")).unwrap();
    // The run's trials.csv: trial, uncertain parameters, scalars. The sweep's: value, trial, scalars.
    let run_header: Vec<&str> = run.lines().next().unwrap().split(',').collect();
    let first_scalar = run_header
        .iter()
        .position(|h| *h == "active_households")
        .unwrap();
    let run_rows: Vec<String> = run
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{},{}", cells[0], cells[first_scalar..].join(","))
        })
        .collect();
    let sweep_rows: Vec<String> = sweep
        .lines()
        .skip(1)
        .filter_map(|l| l.strip_prefix("7.5,").map(str::to_string))
        .collect();
    assert_eq!(sweep_rows.len(), 5);
    assert_eq!(sweep_rows, run_rows);
    let _ = std::fs::remove_dir_all(&sweep_dir);
    let _ = std::fs::remove_dir_all(&run_dir);
}

#[test]
fn comparing_a_scenario_with_itself_gives_zero_differences() {
    let dir = temp_dir("sweep", "self");
    let out = downstream(&[
        "compare",
        "scenarios/premium_5usd_2024.toml",
        "scenarios/premium_5usd_2024.toml",
        "--households",
        "4000",
        "--trials",
        "4",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "metric",
            "period",
            "scenario",
            "mean",
            "sd",
            "p05",
            "p50",
            "p95",
            "diff_mean",
            "diff_p05",
            "diff_p95",
            "share_better"
        ]
    );
    let (mut rows, mut years) = (0, 0);
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        for diff in &cells[8..11] {
            assert!(
                diff.is_empty() || *diff == "0",
                "non-zero self-difference: {line}"
            );
        }
        // Equal in every trial: no share of trials at all (neither is better).
        assert_eq!(
            cells[11], "",
            "a scenario compared with itself has no share: {line}"
        );
        rows += 1;
        years += usize::from(cells[1] != "horizon");
    }
    assert!(rows > 50);
    assert!(years > 50, "{years} year rows");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn status_quo_versus_premium_shares_everything_but_the_tier() {
    let base = load("scenarios/status_quo_2022_2028.toml", &[]);
    let premium = load(
        "scenarios/premium_5usd_2024.toml",
        &[
            "premium.usage_uplift=1".into(),
            "premium.conversion_uplift=1".into(),
        ],
    );
    let (a, b) = (
        Engine::new(&base).run(0..6, &mut |_| {}),
        Engine::new(&premium).run(0..6, &mut |_| {}),
    );
    for name in [
        "units_sold",
        "active_households",
        "interactions",
        "orders_voice_shopping",
        "ecosystem_spend",
        "fixed_cost",
    ] {
        let (i, j) = (
            a.layout.scalar_index(name).unwrap(),
            b.layout.scalar_index(name).unwrap(),
        );
        for (x, y) in a.trials.iter().zip(&b.trials) {
            assert_eq!(
                x.scalars[i].to_bits(),
                y.scalars[j].to_bits(),
                "{name} differs without uplifts"
            );
        }
    }
}

#[test]
fn sweep_rejects_bad_grids() {
    for (vary, message) in [
        (
            "premium.price_month=1:5:0",
            "error: --vary premium.price_month=1:5:0: the step must not be 0\n",
        ),
        (
            "premium.price_month=5:1:1",
            "error: --vary premium.price_month=5:1:1: the step 1 goes away from the stop: from 5 to 1 it must be negative\n",
        ),
        (
            "premium.prise=1,2",
            "error: --set premium.prise=1: premium.prise: unknown key; expected one of: launch, price_month, included_with_prime, wtp_median, wtp_sigma, wtp_activity_elasticity, consider_per_month, churn_per_year, usage_uplift, conversion_uplift, serving_cost_per_interaction (did you mean `price_month`?)\n",
        ),
    ] {
        let out = downstream(&[
            "sweep",
            "scenarios/premium_5usd_2024.toml",
            "--vary",
            vary,
            "--trials",
            "1",
            "--households",
            "10",
        ]);
        assert_eq!(out.status.code(), Some(2), "{vary}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), message);
    }
}

/// The year rows of a comparison (`compare.csv` with `period` = a year), through the
/// library: a flow's yearly mean differences add up to its horizon row's (a sum of means is
/// the mean of the sums; within 1e-9 relative, for the rounding of the two orders of
/// summation), a level's last year is its horizon row exactly, and one year's row is the
/// statistics of the per-trial differences of the two scenarios run directly.
#[test]
fn compare_year_rows_add_up_to_the_horizon_and_match_the_trials() {
    use downstream::compare::Period;
    use downstream::job::{Control, Input, Job, Settings, execute};
    use downstream::results::Results;

    let input = |p: &str| Input::read(&root().join(p)).unwrap();
    let job = Job::compare(
        vec![
            input("scenarios/status_quo_2022_2028.toml"),
            input("scenarios/premium_5usd_2024.toml"),
        ],
        Settings {
            households: Some(3000),
            trials: Some(12),
            seed: Some(5),
            ..Settings::default()
        },
    );
    let Results::Compare(r) = execute(&job, &Control::none()).unwrap() else {
        panic!("a compare job gives compare results")
    };
    assert_eq!(r.years, (2022..=2028).collect::<Vec<i32>>());
    let l = &r.layout;
    // Per year, every metric of every scenario; no year rows of scalars that are not
    // metrics (NPVs, the breakeven month).
    assert_eq!(r.by_year.len(), r.years.len() * l.len() * 2);
    assert!(r.by_year.iter().all(|x| l.index_of(&x.metric).is_some()));
    assert!(r.rows.iter().all(|x| x.period == Period::Horizon));

    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    for name in [
        "net_incremental",
        "device_pnl",
        "premium_revenue",
        "serving_cost",
    ] {
        let horizon = r.row(name, Period::Horizon, 1).unwrap();
        let summed: f64 = r
            .years
            .iter()
            .map(|&y| r.row(name, Period::Year(y), 1).unwrap().diff.mean)
            .sum();
        assert!(horizon.diff.mean != 0.0, "{name}: the tier changes it");
        assert!(
            close(summed, horizon.diff.mean),
            "{name}: years sum to {summed}, the horizon is {}",
            horizon.diff.mean
        );
    }
    for name in ["premium_subscribers", "active_households"] {
        let (horizon, last) = (
            r.row(name, Period::Horizon, 1).unwrap(),
            r.row(name, Period::Year(2028), 1).unwrap(),
        );
        assert_eq!((&last.stats, &last.diff), (&horizon.stats, &horizon.diff));
        assert_eq!(last.share_better, horizon.share_better);
    }

    // 2026 of the net incremental, from the two scenarios run directly.
    let (a, b) = (
        Engine::new(&r.scenarios[0]).run(0..12, &mut |_| {}),
        Engine::new(&r.scenarios[1]).run(0..12, &mut |_| {}),
    );
    let (y, k, n) = (2026 - 2022, l.net_incremental, l.len());
    let base: Vec<f64> = a.trials.iter().map(|t| t.yearly[y * n + k]).collect();
    let tier: Vec<f64> = b.trials.iter().map(|t| t.yearly[y * n + k]).collect();
    let diffs: Vec<f64> = tier.iter().zip(&base).map(|(x, y)| x - y).collect();
    let row = r.row("net_incremental", Period::Year(2026), 1).unwrap();
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    assert!(close(row.diff.mean, mean), "{} vs {mean}", row.diff.mean);
    let tier_mean = tier.iter().sum::<f64>() / tier.len() as f64;
    assert!(close(row.stats.mean, tier_mean));
    let mut sorted = diffs.clone();
    sorted.sort_by(f64::total_cmp);
    // p05 and p95 interpolate linearly between order statistics (NumPy's default).
    let at = |q: f64| {
        let h = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    };
    assert!(close(row.diff.p05, at(0.05)) && close(row.diff.p95, at(0.95)));
    let better = diffs.iter().filter(|&&d| d > 0.0).count() as f64 / diffs.len() as f64;
    assert_eq!(row.share_better, Some(better));
    assert!(better > 0.5, "the tier raises the 2026 net in most trials");
    // The base against itself: a difference of exactly 0 and no share, in every year.
    for &year in &r.years {
        let own = r.row("net_incremental", Period::Year(year), 0).unwrap();
        assert_eq!((own.diff.mean, own.share_better), (0.0, None));
    }
}
