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
use crate::scenario::Scenario;
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

/// Restricts every scenario of a comparison to the months all of them simulate (their
/// common months) when their horizons differ: each is still simulated from its own start,
/// but reports, and is compared, only over those months. An error if they have none in
/// common, naming the first scenario (after the base) whose horizon leaves none.
pub fn report_common_months(names: &[String], scenarios: &mut [Scenario]) -> Result<(), String> {
    let Some(base) = scenarios.first().map(Scenario::horizon) else {
        return Ok(());
    };
    let (mut start, mut end) = (base.start(), base.end());
    for (name, s) in names.iter().zip(scenarios.iter()).skip(1) {
        let h = s.horizon();
        start = start.max(h.start());
        end = end.min(h.end());
        if start > end {
            return Err(format!(
                "{name}: its horizon ({h}) has no month in common with the scenarios before it (the base {} runs {base}); compare needs horizons that overlap",
                names[0]
            ));
        }
    }
    let months = start.months_until(end) as u32 + 1;
    for s in scenarios.iter_mut() {
        s.report_over(start, months)?;
    }
    Ok(())
}

/// When the compared horizons differ, says so plainly: which months are compared and each
/// scenario's own horizon. `None` when every scenario reports its whole horizon.
pub fn common_months_note(scenarios: &[Scenario]) -> Option<String> {
    let window = scenarios.first()?.reported();
    if scenarios.iter().all(|s| s.reported() == s.horizon()) {
        return None;
    }
    let own: Vec<String> = scenarios
        .iter()
        .map(|s| format!("{} runs {}", s.name(), s.horizon()))
        .collect();
    Some(format!(
        "The horizons differ, so the scenarios are compared over their common months, {window} ({} months): {}. Each is simulated from its own start; months outside are not counted, NPVs discount to {} and the breakeven month counts from it.",
        window.months(),
        own.join("; "),
        window.start()
    ))
}
