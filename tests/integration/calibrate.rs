//! `downstream calibrate`: the posterior against a closed form, the effective sample size
//! against a direct computation, determinism over threads and shards, the calibrated
//! scenario, and bad inputs.
//!
//! The closed form: the baseline's 2018 fixed cost (which 2019–2021 also take) gets a
//! uniform prior U(3.0e9, 6.0e9), and one target reads the 2021 `fixed_cost`, which is
//! that parameter exactly (no household noise), with a band [2.8e9, 3.4e9] read as a normal
//! error (mean 3.1e9, sd 0.3e9 / 1.645). The posterior is then that normal truncated to
//! [3.0e9, 6.0e9]. Its mean and 5th/95th percentiles are checked within 3 Monte Carlo
//! standard errors: for the mean `sd / sqrt(ESS)`; for a percentile q
//! `sqrt(q (1 - q) / ESS) / f(x_q)` (the asymptotic sd of a sample quantile, with the
//! Kish ESS as the sample size). A second calibrated parameter,
//! `ecosystem.attributed_share` (uniform 0.1 to 0.25), enters no target: its weighted 5th,
//! 50th and 95th percentiles are checked within 3 such standard errors of the prior's, and
//! the tool must name it as keeping its prior. Seeds are fixed, so the checks are
//! deterministic; 3 standard errors fail with probability about 0.3% each for a correct
//! estimator.

use std::path::Path;

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::common::{TempDir, downstream, ok, snapshot};

const TAG: &str = "calibrate";
const TARGETS: &str = r#"
[[target]]
id = "F"
metric = "fixed_cost"
year = 2021
low = 2.8e9
high = 3.4e9
source = "closed-form test"

[[target]]
id = "U"
informational = true
metric = "units_sold"
year = 2018
low = 1.0
high = 2.0
source = "informational: reported, not fitted"
"#;
const LOW: f64 = 3.0e9;
/// The normal error's sd: the band [2.8e9, 3.4e9] as a central 90% interval.
const SD: f64 = 0.6e9 / (2.0 * 1.6448536269514722);
const HIGH: f64 = 6.0e9;

/// The prior: the baseline with the 2018 fixed cost uniform.
fn prior(dir: &TempDir) -> (String, String) {
    let text = std::fs::read_to_string(crate::common::root().join("scenarios/echo_2017_2021.toml"))
        .unwrap()
        .replace(
            "2018 = { dist = \"pert\", min = 3.15e9, mode = 4.2e9, max = 5.25e9 }",
            "2018 = { dist = \"uniform\", min = 3.0e9, max = 6.0e9 }",
        );
    assert!(text.contains("min = 3.0e9, max = 6.0e9"));
    let prior = dir.join("prior.toml");
    std::fs::write(&prior, text).unwrap();
    let targets = dir.join("targets.toml");
    std::fs::write(&targets, TARGETS).unwrap();
    (prior.display().to_string(), targets.display().to_string())
}

fn calibrate(prior: &str, targets: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "calibrate",
        prior,
        "--targets",
        targets,
        "--households",
        "20",
        "--params",
        "costs.fixed_per_year.2018,ecosystem.attributed_share",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// The rows of a CSV file as maps from column to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap()
}

/// Weighted mean, ESS and quantiles of a column of posterior.csv.
struct Weighted {
    x: Vec<f64>,
    w: Vec<f64>,
}

impl Weighted {
    fn new(dir: &Path, column: &str) -> Weighted {
        let rows = rows(&dir.join("posterior.csv"));
        Weighted {
            x: rows.iter().map(|r| num(&r[column])).collect(),
            w: rows.iter().map(|r| num(&r["weight"])).collect(),
        }
    }
    fn ess(&self) -> f64 {
        let s: f64 = self.w.iter().sum();
        s * s / self.w.iter().map(|w| w * w).sum::<f64>()
    }
    fn mean(&self) -> f64 {
        self.x.iter().zip(&self.w).map(|(x, w)| x * w).sum::<f64>() / self.w.iter().sum::<f64>()
    }
}

/// The calibration.csv row of `name`: prior and posterior p05, p50, p95.
fn row(dir: &Path, name: &str) -> ([f64; 3], [f64; 3], String) {
    let all = rows(&dir.join("calibration.csv"));
    let r = all.iter().find(|r| r["name"] == name).unwrap();
    let q = |k: &str| {
        [
            num(&r[&format!("{k}_p05")]),
            num(&r[&format!("{k}_p50")]),
            num(&r[&format!("{k}_p95")]),
        ]
    };
    (q("prior"), q("posterior"), r["status"].clone())
}

/// The truncated normal posterior of the closed form: mean, quantile and density.
struct Truncated {
    n: Normal,
    a: f64,
    mass: f64,
}

impl Truncated {
    fn new() -> Truncated {
        let n = Normal::new(3.1e9, SD).unwrap();
        let (a, b) = (n.cdf(LOW), n.cdf(HIGH));
        Truncated { n, a, mass: b - a }
    }
    fn quantile(&self, q: f64) -> f64 {
        self.n.inverse_cdf(self.a + q * self.mass)
    }
    fn pdf(&self, x: f64) -> f64 {
        self.n.pdf(x) / self.mass
    }
    fn mean(&self) -> f64 {
        let sd = SD;
        3.1e9 + sd * sd * (self.n.pdf(LOW) - self.n.pdf(HIGH)) / self.mass
    }
    fn sd(&self) -> f64 {
        // By quadrature on a fine grid (the closed form has more terms than it is worth).
        let m = self.mean();
        let steps = 200_000;
        let h = (HIGH - LOW) / steps as f64;
        (0..steps)
            .map(|i| {
                let x = LOW + (i as f64 + 0.5) * h;
                (x - m) * (x - m) * self.pdf(x) * h
            })
            .sum::<f64>()
            .sqrt()
    }
}

fn check_closed_form(dir: &Path) -> f64 {
    let t = Truncated::new();
    let f = Weighted::new(dir, "costs.fixed_per_year.2018");
    let ess = f.ess();
    let se_mean = t.sd() / ess.sqrt();
    assert!(
        (f.mean() - t.mean()).abs() < 3.0 * se_mean,
        "posterior mean {} vs truncated normal {} (3 se = {})",
        f.mean(),
        t.mean(),
        3.0 * se_mean
    );
    let (_, post, status) = row(dir, "costs.fixed_per_year.2018");
    assert_eq!(status, "updated");
    for (k, q) in [(0, 0.05), (2, 0.95)] {
        let exact = t.quantile(q);
        let se = (q * (1.0 - q) / ess).sqrt() / t.pdf(exact);
        assert!(
            (post[k] - exact).abs() < 3.0 * se,
            "posterior p{q}: {} vs {exact} (3 se = {})",
            post[k],
            3.0 * se
        );
    }
    // The parameter in no target keeps its uniform prior U(0.1, 0.25).
    let (prior, post, status) = row(dir, "ecosystem.attributed_share");
    assert_eq!(status, "keeps prior");
    for (k, q) in [0.05, 0.5, 0.95].into_iter().enumerate() {
        let exact = 0.1 + 0.15 * q;
        assert!((prior[k] - exact).abs() < 1e-12);
        let se = (q * (1.0 - q) / ess).sqrt() * 0.15;
        assert!(
            (post[k] - exact).abs() < 3.0 * se,
            "attributed_share p{q}: {} vs the prior's {exact} (3 se = {})",
            post[k],
            3.0 * se
        );
    }
    ess
}

#[test]
fn one_round_matches_the_truncated_normal_and_a_direct_ess() {
    let dir = TempDir::new(TAG, "one-round");
    let (prior, targets) = prior(&dir);
    let out = dir.join("out");
    let stdout = calibrate(
        &prior,
        &targets,
        &out,
        &["--draws", "4000", "--max-rounds", "1"],
    );
    let ess = check_closed_form(&out);
    // The weights are the normal likelihood of the target's value, normalised: computed
    // here directly from posterior.csv's own columns.
    let rows = rows(&out.join("posterior.csv"));
    let sd = SD;
    let lik: Vec<f64> = rows
        .iter()
        .map(|r| {
            let z = (num(&r["target_F"]) - 3.1e9) / sd;
            (-0.5 * z * z).exp()
        })
        .collect();
    let total: f64 = lik.iter().sum();
    for (r, l) in rows.iter().zip(&lik) {
        let w = num(&r["weight"]);
        assert!(
            (w - l / total).abs() <= 1e-12 * (l / total).max(1e-300),
            "{w} vs {}",
            l / total
        );
    }
    let direct = total * total / lik.iter().map(|l| l * l).sum::<f64>();
    assert!((ess - direct).abs() < 1e-9 * direct, "{ess} vs {direct}");
    assert!(
        stdout.contains(&format!("effective sample size {direct:.1} of 4000 draws")),
        "{stdout}"
    );
    // The informational target is reported, not fitted.
    let (_, _, status) = row(&out, "U");
    assert_eq!(status, "informational");
    assert!(stdout.contains("(informational)"));
}

#[test]
fn adaptive_rounds_reach_the_ess_and_match_the_truncated_normal() {
    let dir = TempDir::new(TAG, "adaptive");
    let (prior, targets) = prior(&dir);
    let out = dir.join("out");
    let stdout = calibrate(
        &prior,
        &targets,
        &out,
        &["--draws", "1500", "--min-ess", "2500", "--max-rounds", "6"],
    );
    let ess = check_closed_form(&out);
    assert!(ess >= 2500.0, "{stdout}");
    assert!(stdout.contains("reached"), "{stdout}");
    let rounds: Vec<u32> = rows(&out.join("posterior.csv"))
        .iter()
        .map(|r| num(&r["round"]) as u32)
        .collect();
    assert!(rounds.iter().any(|&r| r >= 1), "no adaptive round ran");
    // Every draw has its own trial index.
    let mut trials: Vec<u64> = rows(&out.join("posterior.csv"))
        .iter()
        .map(|r| num(&r["trial"]) as u64)
        .collect();
    let n = trials.len();
    trials.sort_unstable();
    trials.dedup();
    assert_eq!(trials.len(), n);
}

#[test]
fn a_round_limit_says_why_it_stopped() {
    let dir = TempDir::new(TAG, "limit");
    let (prior, targets) = prior(&dir);
    let out = dir.join("out");
    let stdout = calibrate(
        &prior,
        &targets,
        &out,
        &["--draws", "200", "--min-ess", "100000", "--max-rounds", "2"],
    );
    assert!(
        stdout.contains("NOT reached: stopped at the round limit (--max-rounds 2)"),
        "{stdout}"
    );
    let calibrated = std::fs::read_to_string(out.join("calibrated.toml")).unwrap();
    assert!(calibrated.contains("not reached within --max-rounds"));
}

#[test]
fn same_bytes_for_threads_and_merged_shards() {
    let dir = TempDir::new(TAG, "determinism");
    let (prior, targets) = prior(&dir);
    let common = ["--draws", "300", "--max-rounds", "1"];
    let (one, two) = (dir.join("one"), dir.join("two"));
    calibrate(
        &prior,
        &targets,
        &one,
        &[&common[..], &["--threads", "1"]].concat(),
    );
    calibrate(
        &prior,
        &targets,
        &two,
        &[&common[..], &["--threads", "2"]].concat(),
    );
    let parts = dir.join("parts");
    for shard in ["0/2", "1/2"] {
        calibrate(
            &prior,
            &targets,
            &parts,
            &[&common[..], &["--shard", shard]].concat(),
        );
    }
    let merged = dir.join("merged");
    ok(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    let results = |d: &Path| -> Vec<(String, Vec<u8>)> {
        snapshot(d)
            .into_iter()
            .filter(|(n, _)| n != "scenario.resolved.toml" && !n.starts_with('.'))
            .collect()
    };
    let a = results(&one);
    assert_eq!(
        a.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["calibrated.toml", "calibration.csv", "posterior.csv"]
    );
    assert_eq!(a, results(&two), "1 and 2 threads");
    assert_eq!(a, results(&merged), "merged shards");
    // Adaptive rounds: the same bytes on 1 and 2 threads, and refused as shards.
    let adaptive = ["--draws", "300", "--min-ess", "5000", "--max-rounds", "3"];
    let (a1, a2) = (dir.join("a1"), dir.join("a2"));
    calibrate(
        &prior,
        &targets,
        &a1,
        &[&adaptive[..], &["--threads", "1"]].concat(),
    );
    calibrate(
        &prior,
        &targets,
        &a2,
        &[&adaptive[..], &["--threads", "2"]].concat(),
    );
    assert_eq!(results(&a1), results(&a2), "adaptive, 1 and 2 threads");
    let out = downstream(&[
        "calibrate",
        &prior,
        "--targets",
        &targets,
        "--draws",
        "300",
        "--shard",
        "0/2",
        "--quiet",
        "--out",
        dir.join("refused").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot run as shards") && err.contains("--max-rounds 1"),
        "{err}"
    );
}

#[test]
fn the_calibrated_scenario_validates_round_trips_and_hits_its_targets() {
    let dir = TempDir::new(TAG, "calibrated");
    let (prior, targets) = prior(&dir);
    let out = dir.join("out");
    calibrate(
        &prior,
        &targets,
        &out,
        &["--draws", "2000", "--max-rounds", "1"],
    );
    let path = out.join("calibrated.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Calibrated by downstream "), "{text}");
    assert!(text.contains(&format!("on the targets of {targets}")));
    assert!(text.contains("effective sample size"));
    // The uniform prior is replaced by the fitted metalog; the kept prior stays as written.
    assert!(!text.contains("2018 = { dist = \"uniform\", min = 3.0e9, max = 6.0e9 }"));
    assert!(text.contains("dist = \"metalog\""));
    assert!(text.contains("attributed_share = { dist = \"uniform\", min = 0.1, max = 0.25 }"));
    // Comments of the prior are kept.
    assert!(text.contains("# Fixed costs per calendar year (US dollars)"));
    ok(&["validate", path.to_str().unwrap()]);
    let s = downstream::scenario::Scenario::parse("calibrated.toml", &text, &[]).unwrap();
    let resolved = s.resolved_toml(None);
    let again = downstream::scenario::Scenario::parse("resolved", &resolved, &[]).unwrap();
    assert_eq!(again.resolved_toml(None), resolved, "round trip");
    // Its backtest hits the fitted target.
    let bt = dir.join("bt");
    let stdout = ok(&[
        "backtest",
        path.to_str().unwrap(),
        "--targets",
        &targets,
        "--trials",
        "200",
        "--households",
        "20",
        "--quiet",
        "--out",
        bt.to_str().unwrap(),
    ]);
    assert!(stdout.contains("1 of 1 required"), "{stdout}");
}

#[test]
fn bad_targets_and_priors_are_refused_with_exit_2() {
    let dir = TempDir::new(TAG, "bad");
    let (prior, _) = prior(&dir);
    let cases = [
        ("error = \"gaussian\"", "expected \"normal\" or \"uniform\""),
        ("sd = -1.0", "expected a standard deviation > 0"),
        (
            "error = \"uniform\"\nsd = 1e8",
            "`sd` is for a normal error",
        ),
        ("tolerance = 1", "target[0].tolerance: unknown key"),
    ];
    for (i, (extra, expected)) in cases.iter().enumerate() {
        let t = dir.join(&format!("bad{i}.toml"));
        std::fs::write(
            &t,
            format!(
                "[[target]]\nid = \"F\"\nmetric = \"fixed_cost\"\nyear = 2021\nlow = 2.8e9\nhigh = 3.4e9\nsource = \"x\"\n{extra}\n"
            ),
        )
        .unwrap();
        let out = downstream(&[
            "calibrate",
            &prior,
            "--targets",
            t.to_str().unwrap(),
            "--draws",
            "10",
            "--quiet",
            "--out",
            dir.join("o").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{extra}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{extra}: {err}");
        assert!(
            err.contains(&format!("bad{i}.toml")),
            "names the file: {err}"
        );
        assert!(!dir.join("o").exists(), "no output folder");
    }
    // A band of zero width has no default sd.
    let zero = dir.join("zero.toml");
    std::fs::write(
        &zero,
        "[[target]]\nid = \"F\"\nmetric = \"fixed_cost\"\nyear = 2021\nlow = 3e9\nhigh = 3e9\nsource = \"x\"\n",
    )
    .unwrap();
    let out = downstream(&[
        "calibrate",
        &prior,
        "--targets",
        zero.to_str().unwrap(),
        "--quiet",
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("zero.toml:6:8: target[0].high") && err.contains("needs its own `sd`"),
        "{err}"
    );
    // A prior without uncertain values.
    let fixed = dir.join("fixed-targets.toml");
    std::fs::write(
        &fixed,
        &TARGETS[..TARGETS.find("[[target]]\nid = \"U\"").unwrap()],
    )
    .unwrap();
    let out = downstream(&[
        "calibrate",
        "tests/bad_scenarios/valid/base.toml",
        "--targets",
        fixed.to_str().unwrap(),
        "--set",
        "adoption.imitation=0.4",
        "--set",
        "purchase.voice_shopping.conversion=0.005",
        "--quiet",
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no parameter is uncertain"), "{err}");
    // A pattern that matches nothing, and only informational targets.
    let out = downstream(&[
        "calibrate",
        &prior,
        "--targets",
        dir.join("targets.toml").to_str().unwrap(),
        "--params",
        "adoption.nothing*",
        "--quiet",
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches no uncertain parameter"));
}

#[test]
fn report_and_workbook_show_prior_against_posterior() {
    use calamine::{Reader, Xlsx};
    let dir = TempDir::new(TAG, "report");
    let (prior, targets) = prior(&dir);
    let out = dir.join("out");
    calibrate(
        &prior,
        &targets,
        &out,
        &["--draws", "200", "--max-rounds", "1", "--report", "--xlsx"],
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for heading in [
        "Parameters: prior against posterior",
        "Targets: predictive against band",
        "costs.fixed_per_year.2018",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    let wb: Xlsx<_> = calamine::open_workbook(out.join("results.xlsx")).unwrap();
    // The summary before the draws (the workbook order of results::files).
    assert_eq!(wb.sheet_names(), ["charts", "calibration", "posterior"]);
}
