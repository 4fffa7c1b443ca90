//! `sensitivity`: which uncertain assumption drives a result, over the horizon and period by
//! period.
//!
//! For every uncertain parameter it reports two measures. The **rank correlation**
//! (Spearman) of the parameter's draws with the metric across the trials of the plain run:
//! how much of the metric's spread moves with that input. The **swing**: the metric's mean
//! with the parameter held at its 10th percentile and at its 90th, every other parameter
//! drawn as usual, on common random numbers (the same trials, households and draws; see
//! [`crate::engine::run_pinned_until`]), with the Monte Carlo standard error of the
//! difference. The tornado lists parameters by swing. With a period (`--by year|month`) the
//! rank correlation is also computed per period, with the metric's value in that period.

use crate::engine::{Layout, Pin, PinnedRuns};
use crate::results::{month_labels, year_labels};
use crate::scenario::{ParamId, Scenario};
use crate::stats::{spearman, summarize};

/// Quantiles at which each parameter is held for its swing.
pub const LOW: f64 = 0.1;
pub const HIGH: f64 = 0.9;

/// The periods of `--by`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Year,
    Month,
}

/// One tornado row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub parameter: String,
    pub id: ParamId,
    pub low: f64,
    pub high: f64,
    pub mean_at_low: f64,
    pub mean_at_high: f64,
    pub swing: f64,
    pub swing_se: f64,
    /// `None` when undefined (the metric does not vary).
    pub rank_correlation: Option<f64>,
}

/// Rank correlations per period.
#[derive(Clone, Debug, PartialEq)]
pub struct ByPeriod {
    /// The metric whose per-period value is correlated (e.g. `net_incremental` for
    /// `npv_net_incremental`).
    pub metric: String,
    pub periods: Vec<String>,
    /// Per period, per tornado row.
    pub rank_correlation: Vec<Vec<Option<f64>>>,
}

/// The result of a sensitivity analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub metric: String,
    pub money: bool,
    pub base_mean: f64,
    pub trials: usize,
    /// Sorted by swing, largest first (ties in file order).
    pub rows: Vec<Row>,
    pub by_period: Option<ByPeriod>,
}

/// The scalar index of `metric`, and with a period the index of its per-period metric.
pub fn metric_indices(
    layout: &Layout,
    metric: &str,
    by: Option<By>,
) -> Result<(usize, Option<usize>), String> {
    let Some(j) = layout.scalar_index(metric) else {
        let names: Vec<&str> = layout.scalar_names().collect();
        let hint = crate::scenario::error::nearest(metric, &names)
            .map(|k| format!("; did you mean {k}?"))
            .unwrap_or_default();
        return Err(format!(
            "--metric {metric}: no such metric{hint} (the metrics are the rows of summary.csv)"
        ));
    };
    if metric == "breakeven_month" {
        return Err(format!(
            "--metric {metric}: a trial may never break even, so the metric has no mean; choose a money metric such as npv_net_incremental"
        ));
    }
    let period = match by {
        None => None,
        Some(_) => Some(
            layout.scalars[j]
                .metric
                .ok_or_else(|| format!("--metric {metric}: has no value per period for --by"))?,
        ),
    };
    Ok((j, period))
}

/// The uncertain parameters and the pins of their swings: for parameter `i` of the
/// returned list, pins `2i` (held at p10) and `2i + 1` (held at p90).
pub fn pins(scenario: &Scenario) -> (Vec<ParamId>, Vec<Pin>) {
    let mut ids = Vec::new();
    let mut pins = Vec::new();
    for (id, p) in scenario.params().iter() {
        if p.is_uncertain() {
            ids.push(id);
            for q in [LOW, HIGH] {
                pins.push(Pin {
                    param: id,
                    value: p.dist().quantile(q),
                });
            }
        }
    }
    (ids, pins)
}

/// Analyses runs made with the pins of [`pins`]: `metric` is a scalar index, `period` the
/// per-period metric of `--by`.
pub fn analyse(
    scenario: &Scenario,
    runs: &PinnedRuns,
    metric: usize,
    period: Option<(By, usize)>,
) -> Analysis {
    let layout = &runs.base.layout;
    let name = layout.scalars[metric].name.clone();
    let values = runs.base.scalar(metric);
    let draws = |id: ParamId| -> Vec<f64> {
        runs.base
            .trials
            .iter()
            .map(|t| t.draws[id.0 as usize])
            .collect()
    };
    let mut rows: Vec<Row> = runs
        .pins
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let id = pair[0].param;
            let at = |k: usize| -> Vec<f64> {
                runs.pinned[k]
                    .iter()
                    .map(|scalars| scalars[metric])
                    .collect()
            };
            let (lo, hi) = (at(2 * i), at(2 * i + 1));
            let diff: Vec<f64> = hi.iter().zip(&lo).map(|(h, l)| h - l).collect();
            let d = summarize(&diff);
            Row {
                parameter: scenario.params().get(id).key().to_string(),
                id,
                low: pair[0].value,
                high: pair[1].value,
                mean_at_low: summarize(&lo).mean,
                mean_at_high: summarize(&hi).mean,
                swing: d.mean.abs(),
                swing_se: d.se(),
                rank_correlation: spearman(&draws(id), &values),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    let by_period = period.map(|(by, m)| {
        let n = layout.len();
        let periods: Vec<String> = match by {
            By::Year => year_labels(scenario)
                .iter()
                .map(|y| y.to_string())
                .collect(),
            By::Month => month_labels(scenario),
        };
        let rank_correlation = (0..periods.len())
            .map(|p| {
                let values: Vec<f64> = runs
                    .base
                    .trials
                    .iter()
                    .map(|t| match by {
                        By::Year => t.yearly[p * n + m],
                        By::Month => t.monthly[p * n + m],
                    })
                    .collect();
                rows.iter()
                    .map(|r| spearman(&draws(r.id), &values))
                    .collect()
            })
            .collect();
        ByPeriod {
            metric: layout.defs[m].name.clone(),
            periods,
            rank_correlation,
        }
    });
    Analysis {
        money: layout.scalars[metric].money(),
        metric: name,
        base_mean: summarize(&values).mean,
        trials: values.len(),
        rows,
        by_period,
    }
}

/// The 95% band of a rank correlation between independent variables over `n` trials,
/// `1.96 / sqrt(n - 1)`.
pub fn noise(n: usize) -> f64 {
    1.96 / ((n as f64) - 1.0).sqrt()
}
