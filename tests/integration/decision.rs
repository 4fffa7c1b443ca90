//! The decision view and the value of information of `compare` and `sweep`: `decision.csv`
//! against a direct computation on `sweep_trials.csv`, the same files for any thread count
//! (shards: `shard.rs` compares every file of a sharded sweep and compare, these
//! included), `--metric`, and `compare --set-for` with its errors.

use crate::common::{TempDir, downstream, ok};

const SMALL: [&str; 7] = [
    "--households",
    "2000",
    "--trials",
    "40",
    "--seed",
    "5",
    "--quiet",
];

/// A CSV file of the tool (no quoted cells in these) as a header and rows.
fn csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect());
    let header: Vec<String> = lines.next().unwrap();
    (header, lines.collect())
}

fn sweep(dir: &std::path::Path, extra: &[&str]) -> String {
    ok(&[
        &[
            "sweep",
            "scenarios/premium_5usd_2024.toml",
            "--vary",
            "premium.price_month=3:8:1",
            "--out",
            dir.to_str().unwrap(),
        ][..],
        &SMALL,
        extra,
    ]
    .concat())
}

/// P(best) (ties split equally) and the expected regret, computed here from the per-trial
/// values in `sweep_trials.csv`, equal those in `decision.csv` to rounding; the EVPI is the
/// chosen point's regret.
#[test]
fn p_best_and_regret_match_a_direct_computation_on_sweep_trials() {
    for (metric, higher) in [
        ("npv_net_incremental", true),
        ("premium_serving_cost", false),
    ] {
        let dir = TempDir::new("decision", metric);
        sweep(dir.path(), &["--metric", metric]);
        let (header, rows) = csv(&dir.join("sweep_trials.csv"));
        let col = header.iter().position(|h| h == metric).unwrap();
        let points = 6;
        let trials = rows.len() / points;
        assert_eq!(trials, 40);
        let value = |k: usize, t: usize| -> f64 { rows[k * trials + t][col].parse().unwrap() };
        let (mut p_best, mut regret) = (vec![0.0; points], vec![0.0; points]);
        for t in 0..trials {
            let v: Vec<f64> = (0..points).map(|k| value(k, t)).collect();
            let top = if higher {
                v.iter().copied().fold(f64::MIN, f64::max)
            } else {
                v.iter().copied().fold(f64::MAX, f64::min)
            };
            let tied: Vec<usize> = (0..points).filter(|&k| v[k] == top).collect();
            for &k in &tied {
                p_best[k] += 1.0 / tied.len() as f64 / trials as f64;
            }
            for k in 0..points {
                regret[k] += (top - v[k]).abs() / trials as f64;
            }
        }
        let (dh, drows) = csv(&dir.join("decision.csv"));
        assert_eq!(
            dh,
            [
                "metric",
                "option",
                "expected_value",
                "p_best",
                "expected_regret",
                "chosen"
            ]
        );
        assert_eq!(drows.len(), points);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let mut chosen_regret = None;
        for (k, r) in drows.iter().enumerate() {
            assert_eq!(r[0], metric);
            assert_eq!(r[1], format!("premium.price_month={}", k + 3));
            let got_p: f64 = r[3].parse().unwrap();
            let got_r: f64 = r[4].parse().unwrap();
            assert!(
                close(got_p, p_best[k]),
                "{metric} point {k}: {got_p} vs {}",
                p_best[k]
            );
            assert!(
                close(got_r, regret[k]),
                "{metric} point {k}: {got_r} vs {}",
                regret[k]
            );
            if r[5] == "1" {
                chosen_regret = Some(got_r);
            }
        }
        assert!(close(p_best.iter().sum::<f64>(), 1.0));
        let (vh, vrows) = csv(&dir.join("voi.csv"));
        assert_eq!(vh, ["metric", "parameter", "evppi", "evppi_se", "clipped"]);
        assert_eq!(vrows[0][1], "*");
        let evpi: f64 = vrows[0][2].parse().unwrap();
        assert!(close(evpi, chosen_regret.unwrap()), "EVPI {evpi}");
        // Sorted by value, each within [0, EVPI].
        let values: Vec<f64> = vrows[1..].iter().map(|r| r[2].parse().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
        assert!(values.iter().all(|&v| (0.0..=evpi).contains(&v)));
    }
}

/// The decision files (and every other) are identical for 1 and 2 threads.
#[test]
fn decision_files_do_not_depend_on_threads() {
    let one = TempDir::new("decision", "threads-1");
    let two = TempDir::new("decision", "threads-2");
    sweep(one.path(), &["--threads", "1"]);
    sweep(two.path(), &["--threads", "2"]);
    for file in ["decision.csv", "voi.csv", "sweep_trials.csv"] {
        assert_eq!(
            std::fs::read(one.join(file)).unwrap(),
            std::fs::read(two.join(file)).unwrap(),
            "{file}"
        );
    }
}

fn compare(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    downstream(
        &[
            &[
                "compare",
                "scenarios/status_quo_2022_2028.toml",
                "scenarios/premium_5usd_2024.toml",
                "scenarios/premium_5usd_2024.toml",
                "--out",
                dir.to_str().unwrap(),
            ][..],
            &SMALL,
            extra,
        ]
        .concat(),
    )
}

/// `--set-for` changes one scenario only: the same file compared twice differs only where
/// the override applies; the base without `[premium]` is not touched.
#[test]
fn set_for_changes_one_scenario_of_a_comparison() {
    let dir = TempDir::new("decision", "set-for");
    let out = compare(dir.path(), &["--set-for", "2:premium.price_month=9"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resolved = |i: usize| {
        std::fs::read_to_string(dir.join(&format!("{i}-premium_5usd_2024.resolved.toml"))).unwrap()
    };
    assert!(resolved(1).contains("price_month = 5"));
    assert!(resolved(2).contains("price_month = 9"));
    let (_, rows) = csv(&dir.join("decision.csv"));
    assert_eq!(rows.len(), 3);
    assert_ne!(
        rows[1][2], rows[2][2],
        "the override changes the second copy"
    );
    // By stem, a name that fits two scenarios is refused; so are unknown ones.
    let bad = [
        (
            "premium_5usd_2024:premium.price_month=9",
            "--set-for premium_5usd_2024:premium.price_month=9: `premium_5usd_2024` names several compared scenarios; give its position (0 = the base) instead",
        ),
        (
            "nosuch:premium.price_month=9",
            "--set-for nosuch:premium.price_month=9: no compared scenario is `nosuch`; expected one of 0 (status_quo_2022_2028), 1 (premium_5usd_2024), 2 (premium_5usd_2024)",
        ),
        (
            "3:premium.price_month=9",
            "--set-for 3:premium.price_month=9: there is no scenario 3: the positions are 0 (the base) to 2",
        ),
        (
            "premium.price_month=9",
            "--set-for premium.price_month=9: expected SCENARIO:KEY=VALUE, where SCENARIO is a position (0 = the base), a file as given or its stem",
        ),
    ];
    for (arg, message) in bad {
        let out = compare(&dir.join("bad"), &["--set-for", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{arg}: {err}");
        assert!(!dir.join("bad").exists());
    }
    // The base has no [premium]: a --set-for on it fails as --set would, naming the key.
    let out = compare(&dir.join("bad"), &["--set-for", "0:premium.price_month=9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("premium"));
}

#[test]
fn an_unknown_metric_is_refused_before_any_work() {
    let dir = TempDir::new("decision", "metric");
    let out = compare(&dir.join("out"), &["--metric", "npv_net_incremantal"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--metric npv_net_incremantal: no such metric; did you mean npv_net_incremental?"
        ),
        "{err}"
    );
    assert!(!dir.join("out").exists());
}
