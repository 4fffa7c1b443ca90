//! Comparing scenarios on common random numbers.
//!
//! Every scenario runs with the same seed, households and trials, so trial `t` of each
//! shares every random draw that the scenarios have in common; the per-trial difference to
//! the base is then the effect of what differs, not sampling noise. This module computes,
//! per scalar and scenario, the statistics, the paired difference to the base and the share
//! of trials in which the scenario beats the base, for `compare.csv` and the printed table.

use std::fmt::Write as _;

use crate::engine::RunResult;
use crate::output::{KEY_FIGURES, num, safe_text};
use crate::stats::{Summary, summarize};

/// One scalar of one scenario against the base.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    pub scenario: String,
    pub stats: Summary,
    /// Paired per-trial difference (scenario − base).
    pub diff: Summary,
    /// Share of trials in which the scenario is strictly better than the base (higher, or
    /// lower for costs and the breakeven month).
    pub share_better: f64,
}

/// Rows for every scalar of the base, for the base and each other scenario (a scalar the
/// other scenario lacks, e.g. a device it does not sell, is left out for it).
pub fn rows(names: &[String], runs: &[RunResult]) -> Vec<Row> {
    let base = &runs[0];
    let mut out = Vec::new();
    for (j, metric) in base.layout.scalars.iter().enumerate() {
        let base_values = base.scalar(j);
        for (name, run) in names.iter().zip(runs) {
            let Some(k) = run.layout.scalar_index(&metric.name) else {
                continue;
            };
            let values = run.scalar(k);
            let diffs: Vec<f64> = values
                .iter()
                .zip(&base_values)
                .map(|(a, b)| a - b)
                .collect();
            let better = values
                .iter()
                .zip(&base_values)
                .filter(|&(&a, &b)| metric.better.better(a, b))
                .count();
            out.push(Row {
                metric: metric.name.clone(),
                scenario: name.clone(),
                stats: summarize(&values),
                diff: summarize(&diffs),
                share_better: better as f64 / values.len() as f64,
            });
        }
    }
    out
}

/// `compare.csv`, tidy: one row per scalar and scenario.
pub fn compare_csv(rows: &[Row]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "scenario",
        "mean",
        "sd",
        "p05",
        "p50",
        "p95",
        "diff_mean",
        "diff_p05",
        "diff_p95",
        "share_better",
    ])?;
    for r in rows {
        w.write_record([
            safe_text(&r.metric),
            safe_text(&r.scenario),
            num(r.stats.mean),
            num(r.stats.sd),
            num(r.stats.p05),
            num(r.stats.p50),
            num(r.stats.p95),
            num(r.diff.mean),
            num(r.diff.p05),
            num(r.diff.p95),
            num(r.share_better),
        ])?;
    }
    crate::output::finish(w)
}

/// The printed comparison of the key figures.
pub fn table(names: &[String], rows: &[Row], trials: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "base: {} ({} trials, common random numbers). Per scenario: p50, and the paired difference to the base\n(mean [p05, p95]) with the share of trials in which the scenario is better.",
        names[0], trials
    );
    for name in &names[1..] {
        let _ = writeln!(out, "\n{name} vs {}", names[0]);
        let _ = writeln!(
            out,
            "{:<34} {:>5} {:>10} {:>10} {:>24} {:>9}",
            "horizon total", "unit", "base p50", "p50", "difference", "P(better)"
        );
        for (label, unit, metric) in KEY_FIGURES {
            let base = rows
                .iter()
                .find(|r| r.metric == metric && r.scenario == names[0]);
            let row = rows
                .iter()
                .find(|r| r.metric == metric && r.scenario == *name);
            let (Some(base), Some(row)) = (base, row) else {
                continue;
            };
            let scale = match unit {
                "$B" => 1e9,
                "M" => 1e6,
                _ => 1.0,
            };
            let f = |x: f64| {
                if x.is_finite() {
                    format!("{:.2}", x / scale)
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                out,
                "{label:<34} {unit:>5} {:>10} {:>10} {:>24} {:>8.0}%",
                f(base.stats.p50),
                f(row.stats.p50),
                format!(
                    "{} [{}, {}]",
                    f(row.diff.mean),
                    f(row.diff.p05),
                    f(row.diff.p95)
                ),
                100.0 * row.share_better
            );
        }
    }
    out
}
