//! Comparing scenarios on common random numbers.
//!
//! Every scenario runs with the same seed, households and trials, so trial `t` of each
//! shares every random draw that the scenarios have in common; the per-trial difference to
//! the base is then the effect of what differs, not sampling noise. This module computes,
//! per scalar and scenario, the statistics, the paired difference to the base and the share
//! of trials in which the scenario beats the base, for `compare.csv` and the printed table;
//! and the same per calendar year for every metric ([`yearly_rows`]), from each trial's
//! yearly values. One function ([`period_rows`]) computes the rows of any period, so a
//! year's row and the horizon's are the same statistics of different per-trial values.
//!
//! That share counts strict wins over all trials (a tied trial is neither a win nor a
//! loss), and when the two are equal in every trial there is no share at all
//! ([`crate::stats::share_better`]).

use std::fmt;

use crate::engine::RunResult;
use crate::engine::metrics::Better;
use crate::scenario::Scenario;
use crate::stats::{Summary, share_better, summarize};

/// The period a row's figures cover: the whole horizon (a per-trial scalar: a metric's
/// horizon total or level, an NPV, the breakeven month) or one calendar year (a metric's
/// value in that year: flows summed over the year's simulated months, levels at its last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Period {
    Horizon,
    Year(i32),
}

impl Period {
    /// How the horizon is written in `compare.csv`'s `period` column.
    pub const HORIZON: &'static str = "horizon";

    /// Reads a `period` cell: `horizon` or a calendar year.
    pub fn parse(text: &str) -> Option<Period> {
        match text {
            Period::HORIZON => Some(Period::Horizon),
            _ => text.parse::<i32>().ok().map(Period::Year),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Horizon => f.write_str(Period::HORIZON),
            Period::Year(y) => write!(f, "{y}"),
        }
    }
}

/// One scalar (or, for a year, one metric) of one scenario against the base.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    pub period: Period,
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

/// The rows of one period: per metric (name and better direction, in order), the base and
/// each other scenario for which `values(i, run, metric)` gives the metric's per-trial
/// values in scenario `i` (a metric the other scenario lacks, e.g. a device it does not
/// sell, is left out for it).
fn period_rows<'m>(
    names: &[String],
    runs: &[RunResult],
    period: Period,
    metrics: impl Iterator<Item = (&'m str, Better)>,
    values: impl Fn(usize, &RunResult, &str) -> Option<Vec<f64>>,
) -> Vec<Row> {
    let mut out = Vec::new();
    for (metric, better) in metrics {
        let Some(base_values) = values(0, &runs[0], metric) else {
            continue;
        };
        for (i, (name, run)) in names.iter().zip(runs).enumerate() {
            let Some(values) = values(i, run, metric) else {
                continue;
            };
            let diffs: Vec<f64> = values
                .iter()
                .zip(&base_values)
                .map(|(a, b)| a - b)
                .collect();
            out.push(Row {
                metric: metric.to_string(),
                period,
                scenario: name.clone(),
                stats: summarize(&values),
                diff: summarize(&diffs),
                share_better: share_better(&values, &base_values, |a, b| better.better(a, b)),
            });
        }
    }
    out
}

/// Rows for every scalar of the base over the horizon, for the base and each other
/// scenario.
pub fn rows(names: &[String], runs: &[RunResult]) -> Vec<Row> {
    let metrics = runs[0]
        .layout
        .scalars
        .iter()
        .map(|d| (d.name.as_str(), d.better));
    period_rows(names, runs, Period::Horizon, metrics, |_, run, name| {
        run.layout.scalar_index(name).map(|k| run.scalar(k))
    })
}

/// Rows per calendar year, then per metric of the base, for the base and each other
/// scenario: `years[i]` are the calendar years of `runs[i]`'s yearly values (its
/// `TrialResult::yearly`, `years × metrics`), and the base's years give the rows. A year
/// a scenario does not simulate is left out for it (the plan gives every scenario of a
/// comparison the same years), and so is a scenario whose yearly values do not match its
/// years.
pub fn yearly_rows(names: &[String], runs: &[RunResult], years: &[Vec<i32>]) -> Vec<Row> {
    let mut out = Vec::new();
    for &year in &years[0] {
        let metrics = runs[0]
            .layout
            .defs
            .iter()
            .map(|d| (d.name.as_str(), d.better));
        let values = |i: usize, run: &RunResult, name: &str| -> Option<Vec<f64>> {
            let y = years[i].iter().position(|&x| x == year)?;
            let k = run.layout.index_of(name)?;
            let n = run.layout.len();
            // Years that do not match the run's yearly values give no rows, never a panic.
            run.trials
                .iter()
                .map(|t| (t.yearly.len() == years[i].len() * n).then(|| t.yearly[y * n + k]))
                .collect()
        };
        out.extend(period_rows(
            names,
            runs,
            Period::Year(year),
            metrics,
            values,
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario::Scenario;

    #[test]
    fn year_rows_follow_the_years_and_never_misread_them() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/status_quo_2022_2028.toml");
        let mut s = Scenario::load(&path, &[]).unwrap();
        let mut sim = s.simulation();
        (sim.households, sim.trials) = (300, 3);
        s.set_simulation(sim).unwrap();
        let run = || Engine::new(&s).run(0..3, &mut |_| {});
        let runs = [run(), run()];
        let names = ["a".to_string(), "b".to_string()];
        let years = crate::results::year_labels(&s);
        let n = runs[0].layout.len();
        let rows = yearly_rows(&names, &runs, &[years.clone(), years.clone()]);
        assert_eq!(rows.len(), years.len() * n * 2);
        assert_eq!(rows[0].period, Period::Year(2022));
        assert_eq!(rows.last().unwrap().period, Period::Year(2028));
        // Identical runs: a difference of 0 and no share, in every year.
        assert!(
            rows.iter()
                .all(|r| r.diff.mean == 0.0 && r.share_better.is_none())
        );
        // Years that do not match the second run's values: no rows for it, no panic.
        let more: Vec<i32> = (2022..=2030).collect();
        let rows = yearly_rows(&names, &runs, &[years.clone(), more]);
        assert_eq!(rows.len(), years.len() * n);
        assert!(rows.iter().all(|r| r.scenario == "a"));
        // Another year set for the second run: only the base's years it shares.
        let fewer: Vec<i32> = vec![2027, 2028];
        let other = yearly_rows(&names, &runs, &[fewer.clone(), years.clone()]);
        assert!(other.is_empty(), "the base's values do not match its years");
        let shared = yearly_rows(&names, &runs, &[years, fewer]);
        assert_eq!(
            shared.len(),
            7 * n,
            "scenario b matches none (7 years of values, 2 labels)"
        );
    }

    #[test]
    fn periods_read_back_as_written() {
        for p in [Period::Horizon, Period::Year(2024), Period::Year(-1)] {
            assert_eq!(Period::parse(&p.to_string()), Some(p));
        }
        assert_eq!(Period::Horizon.to_string(), "horizon");
        assert_eq!(Period::parse("2024-01"), None);
        assert_eq!(Period::parse(""), None);
    }
}
