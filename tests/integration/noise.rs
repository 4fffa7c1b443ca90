//! The household-noise share of every scalar (`summary.csv`'s `household_noise_share`):
//! the batch-means variance between household blocks scales as 1/households, is exactly 0
//! for a figure no household changes, explains the whole spread when no parameter is
//! uncertain, and is the same for any thread count or shard split.
//!
//! Every statistical check states its tolerance next to it; all seeds are fixed.

use downstream::engine::{Engine, RunResult};
use downstream::results::RunStats;
use downstream::scenario::Scenario;

use crate::common::{fresh_dir, ok, root};

fn load(path: &str, households: u64, trials: u64) -> Scenario {
    let mut s = Scenario::load(&root().join(path), &[]).unwrap();
    let mut sim = s.simulation();
    sim.households = households;
    sim.trials = trials;
    sim.seed = 5;
    s.set_simulation(sim).unwrap();
    s
}

/// The per-trial sampling variances of scalar `j`: their mean and its standard error.
fn mean_and_se(run: &RunResult, j: usize) -> (f64, f64) {
    let v: Vec<f64> = run.trials.iter().map(|t| t.noise[j]).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn sampling_variance_scales_as_one_over_households() {
    // 8 and 32 blocks of households, the same 100 trials (common random numbers: the same
    // parameter draws), so the per-trial sampling variance should drop 4-fold.
    let (small, large) = (8 * 4096, 32 * 4096);
    let runs: Vec<(Scenario, RunResult)> = [small, large]
        .iter()
        .map(|&h| {
            let s = load("scenarios/echo_2017_2021.toml", h, 100);
            let r = Engine::new(&s).run(0..100, &mut |_| {});
            (s, r)
        })
        .collect();
    let layout = &runs[0].1.layout;
    for name in ["units_sold", "active_households", "downstream_claimed"] {
        let j = layout.scalar_index(name).unwrap();
        let (a, sa) = mean_and_se(&runs[0].1, j);
        let (b, sb) = mean_and_se(&runs[1].1, j);
        let ratio = a / b;
        // Delta-method standard error of the ratio; tolerance 4 standard errors, and the
        // test must be able to fail (the standard error well under the effect).
        let se = ratio * ((sa / a).powi(2) + (sb / b).powi(2)).sqrt();
        assert!(
            se < 0.5,
            "{name}: ratio {ratio}, se {se}: too noisy to test"
        );
        assert!(
            (ratio - 4.0).abs() <= 4.0 * se,
            "{name}: sampling variance at {small} vs {large} households: ratio {ratio:.3} (se {se:.3}), expected 4"
        );
        // The share's odds (noise over the rest of the spread) scale the same way.
        let odds = |(s, r): &(Scenario, RunResult)| {
            let x = RunStats::new(s, r).household_noise_share[j];
            x / (1.0 - x)
        };
        let odds_ratio = odds(&runs[0]) / odds(&runs[1]);
        assert!(
            (odds_ratio - 4.0).abs() <= 4.0 * se + 0.1 * 4.0,
            "{name}: odds of the share, ratio {odds_ratio:.3}, expected 4"
        );
        eprintln!("{name}: variance ratio {ratio:.3} ± {se:.3}, share odds ratio {odds_ratio:.3}");
    }
}

#[test]
fn fixed_cost_has_no_household_noise_and_a_certain_scenario_is_all_noise() {
    // Every uncertain parameter of the baseline held at its median: the spread across
    // trials is the household sample's alone.
    let base = load("scenarios/echo_2017_2021.toml", 8 * 4096, 300);
    let targets: Vec<_> = base
        .params()
        .iter()
        .filter(|(_, p)| p.is_uncertain())
        .map(|(_, p)| (base.target(p.key()).unwrap(), p.dist().quantile(0.5)))
        .collect();
    let values: Vec<_> = targets.iter().map(|(t, x)| (t, *x)).collect();
    let certain = base.with_values(&values).unwrap();
    assert!(certain.params().iter().all(|(_, p)| !p.is_uncertain()));
    let run = Engine::new(&certain).run(0..300, &mut |_| {});
    let stats = RunStats::new(&certain, &run);
    let l = &run.layout;
    for name in ["fixed_cost", "npv_fixed_cost"] {
        let j = l.scalar_index(name).unwrap();
        assert_eq!(stats.household_noise_share[j].to_bits(), 0f64.to_bits());
        assert!(run.trials.iter().all(|t| t.noise[j] == 0.0));
    }
    for name in [
        "units_sold",
        "active_households",
        "downstream_claimed",
        "device_pnl",
    ] {
        let j = l.scalar_index(name).unwrap();
        let share = stats.household_noise_share[j];
        // Unclipped: mean sampling variance over the variance across trials. Standard
        // errors: the sample variance's, s²·√(2/(T−1)) (normal approximation), and the
        // mean's, from the per-trial estimates; tolerance 4 standard errors.
        let (within, se_within) = mean_and_se(&run, j);
        let across = stats.summary[j].sd.powi(2);
        let se_across = across * (2.0 / 299.0f64).sqrt();
        let se = ((se_within / across).powi(2) + (within * se_across / (across * across)).powi(2))
            .sqrt();
        let ratio = within / across;
        assert!(se < 0.1, "{name}: se {se}");
        assert!(
            (ratio - 1.0).abs() <= 4.0 * se,
            "{name}: sampling variance {within:e} vs variance across trials {across:e}: ratio {ratio:.3} (se {se:.3})"
        );
        assert!(share >= 1.0 - 4.0 * se, "{name}: share {share}");
        eprintln!("{name}: within/across {ratio:.3} ± {se:.3}, share {share:.3}");
    }
    // The base scenario, with its uncertain parameters, on the same households: fixed cost
    // still exactly 0, the other figures' spread mostly the parameters'.
    let run = Engine::new(&base).run(0..300, &mut |_| {});
    let stats = RunStats::new(&base, &run);
    let j = l.scalar_index("fixed_cost").unwrap();
    assert_eq!(stats.household_noise_share[j].to_bits(), 0f64.to_bits());
    let j = l.scalar_index("units_sold").unwrap();
    assert!(stats.household_noise_share[j] < 0.1);
}

/// `summary.csv`'s last column: written, read back by `report`, the same for 1 and 2
/// threads and for 1, 3 and 7 shards merged.
#[test]
fn the_share_is_the_same_for_threads_and_shards_and_reads_back() {
    let dir = fresh_dir("noise", "shards");
    let command = [
        "run",
        "scenarios/premium_5usd_2024.toml",
        "--households",
        "9000",
        "--trials",
        "7",
        "--seed",
        "3",
        "--quiet",
    ];
    let run = |extra: &[&str], out: &str| {
        let out = dir.join(out);
        ok(&[&command[..], &["--out", out.to_str().unwrap()], extra].concat());
        out
    };
    let whole = run(&["--threads", "1"], "whole");
    let summary = std::fs::read_to_string(whole.join("summary.csv")).unwrap();
    assert!(summary.starts_with(
        "metric,mean,sd,p05,p50,p95,mean_se,mean_ci95_half_width,household_noise_share\n"
    ));
    let share = |text: &str, metric: &str| -> String {
        text.lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(share(&summary, "fixed_cost"), "0");
    let units: f64 = share(&summary, "units_sold").parse().unwrap();
    assert!(units > 0.0 && units < 1.0, "{units}");
    let two = run(&["--threads", "2"], "two");
    assert_eq!(
        std::fs::read(two.join("summary.csv")).unwrap(),
        summary.as_bytes()
    );
    for count in [1u64, 3, 7] {
        let parts = format!("parts-{count}");
        for i in 0..count {
            run(&["--shard", &format!("{i}/{count}")], &parts);
        }
        let merged = dir.join(format!("merged-{count}"));
        ok(&[
            "merge",
            dir.join(&parts).to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read_to_string(merged.join("summary.csv")).unwrap(),
            summary,
            "{count} shards"
        );
    }
    // In --format json too.
    let json_out = dir.join("json");
    let json = ok(&[
        &command[..],
        &["--format", "json", "--out", json_out.to_str().unwrap()],
    ]
    .concat());
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["scalars"]["fixed_cost"]["household_noise_share"], 0.0);
    assert_eq!(
        doc["scalars"]["units_sold"]["household_noise_share"].as_f64(),
        Some(units)
    );
    // Read back by `report` (the share rides along into the report's results).
    ok(&["report", whole.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(whole.join("summary.csv")).unwrap(),
        summary
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The stdout table flags a key figure whose share is over 10% with the households that
/// would bring it under, from the share and the 1/households scaling.
#[test]
fn the_table_flags_noisy_figures_with_the_households_that_would_do() {
    let out = ok(&[
        "run",
        "scenarios/alexa_plus_2025.toml",
        "--households",
        "9000",
        "--trials",
        "100",
        "--quiet",
        "--out",
        fresh_dir("noise", "flags").to_str().unwrap(),
    ]);
    // The verdict in words comes first, then the table's title and header.
    let header = out
        .lines()
        .find(|l| l.starts_with("horizon total"))
        .unwrap();
    assert!(header.ends_with("±95%  noise"), "{header}");
    let flagged: Vec<&str> = out.lines().filter(|l| l.starts_with("* ")).collect();
    assert!(!flagged.is_empty(), "{out}");
    for line in flagged {
        // "* LABEL: S% of its spread ... --households N would bring it under 10%"
        let share: f64 = line
            .split(": ")
            .nth(1)
            .unwrap()
            .split('%')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let n: f64 = line
            .split("--households ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let s = share / 100.0;
        let expected = 9000.0 * s / (1.0 - s) * 9.0;
        // The share is printed rounded to a whole percent; N is rounded up to 2 digits.
        assert!(
            n >= expected * 0.9 && n <= expected * 1.25,
            "{line}: expected about {expected}"
        );
        let label = line[2..].split(':').next().unwrap();
        let row = out.lines().find(|l| l.starts_with(label)).unwrap();
        assert!(row.ends_with('*'), "{row}");
    }
}
