//! Comparing scenarios on common random numbers.
//!
//! Every scenario runs with the same seed, households and trials, so trial `t` of each
//! shares every random draw that the scenarios have in common; the per-trial difference to
//! the base is then the effect of what differs, not sampling noise. This module computes,
//! per scalar and scenario, the statistics, the paired difference to the base and the share
//! of trials in which the scenario beats the base, for `compare.csv` and the printed table.
//!
//! That share counts strict wins over all trials (a tied trial is neither a win nor a
//! loss), and when the two are equal in every trial there is no share at all
//! ([`crate::stats::share_better`]).

use crate::engine::RunResult;
use crate::stats::{Summary, share_better, summarize};

/// One scalar of one scenario against the base.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    pub scenario: String,
    pub stats: Summary,
    /// Paired per-trial difference (scenario − base).
    pub diff: Summary,
    /// Share of trials in which the scenario is strictly better than the base (higher, or
    /// lower for costs and the breakeven month); a trial in which they are equal is neither
    /// better nor worse. `None` when they are equal in every trial: the same, neither
    /// better (an empty cell; the tables say "same").
    pub share_better: Option<f64>,
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
            out.push(Row {
                metric: metric.name.clone(),
                scenario: name.clone(),
                stats: summarize(&values),
                diff: summarize(&diffs),
                share_better: share_better(&values, &base_values, |a, b| {
                    metric.better.better(a, b)
                }),
            });
        }
    }
    out
}
