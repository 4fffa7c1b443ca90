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

use std::fmt::Write as _;

use crate::engine::{Layout, Pin, PinnedRuns};
use crate::output::{billions, finish, millions, month_labels, num, safe_text, year_labels};
use crate::scenario::{ParamId, Scenario};
use crate::stats::{spearman, summarize};

/// Quantiles at which each parameter is held for its swing.
pub const LOW: f64 = 0.1;
pub const HIGH: f64 = 0.9;

/// The periods of `--by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
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
    let period =
        match by {
            None => None,
            Some(_) => {
                Some(layout.scalars[j].metric.ok_or_else(|| {
                    format!("--metric {metric}: has no value per period for --by")
                })?)
            }
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

fn opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, num)
}

/// `tornado.csv`: one row per uncertain parameter, by swing.
pub fn tornado_csv(a: &Analysis) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "parameter",
        "p10",
        "p90",
        "base_mean",
        "mean_at_p10",
        "mean_at_p90",
        "swing",
        "swing_se",
        "rank_correlation",
    ])?;
    for r in &a.rows {
        w.write_record([
            safe_text(&a.metric),
            safe_text(&r.parameter),
            num(r.low),
            num(r.high),
            num(a.base_mean),
            num(r.mean_at_low),
            num(r.mean_at_high),
            num(r.swing),
            num(r.swing_se),
            opt(r.rank_correlation),
        ])?;
    }
    finish(w)
}

/// `sensitivity_by_period.csv`: per period and parameter (tornado order), the rank
/// correlation with the metric's value in that period.
pub fn by_period_csv(a: &Analysis) -> Option<Result<Vec<u8>, csv::Error>> {
    let b = a.by_period.as_ref()?;
    let write = || {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["metric", "period", "parameter", "rank_correlation"])?;
        for (period, row) in b.periods.iter().zip(&b.rank_correlation) {
            for (r, rho) in a.rows.iter().zip(row) {
                w.write_record([
                    safe_text(&b.metric),
                    period.clone(),
                    safe_text(&r.parameter),
                    opt(*rho),
                ])?;
            }
        }
        finish(w)
    };
    Some(write())
}

/// The 95% band of a rank correlation between independent variables over `n` trials,
/// `1.96 / sqrt(n - 1)`.
pub fn noise(n: usize) -> f64 {
    1.96 / ((n as f64) - 1.0).sqrt()
}

/// A parameter value with four significant digits.
fn value(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1e6 || x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    }
}

/// The tornado's top `top` rows and, by period, the strongest drivers, for stdout.
pub fn table(scenario: &Scenario, a: &Analysis, top: usize) -> String {
    let sim = scenario.simulation();
    let (unit, money): (&str, fn(f64) -> String) = if a.money {
        ("$B", billions)
    } else {
        ("M", millions)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: sensitivity of {} ({unit}), {} trials x {} households, seed {}; mean {}",
        scenario.name(),
        a.metric,
        a.trials,
        sim.households,
        sim.seed,
        money(a.base_mean)
    );
    let width = a
        .rows
        .iter()
        .take(top)
        .map(|r| r.parameter.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(
        out,
        "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9}",
        "parameter", "p10", "p90", "at p10", "at p90", "swing", "rank corr"
    );
    for r in a.rows.iter().take(top) {
        let _ = writeln!(
            out,
            "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9}",
            r.parameter,
            value(r.low),
            value(r.high),
            money(r.mean_at_low),
            money(r.mean_at_high),
            money(r.swing),
            r.rank_correlation
                .map_or_else(|| "-".into(), |x| format!("{x:+.2}"))
        );
    }
    if a.rows.len() > top {
        let _ = writeln!(
            out,
            "({} more parameters in tornado.csv)",
            a.rows.len() - top
        );
    }
    if a.trials > 2 {
        let _ = writeln!(
            out,
            "a rank correlation within ±{:.2} is indistinguishable from 0 with {} trials (95%)",
            noise(a.trials),
            a.trials
        );
    }
    if let Some(b) = &a.by_period {
        if b.periods.len() <= 20 {
            let _ = writeln!(
                out,
                "\nstrongest drivers of {} in each period (rank correlation)",
                b.metric
            );
            for (period, row) in b.periods.iter().zip(&b.rank_correlation) {
                let mut order: Vec<usize> = (0..row.len()).filter(|&i| row[i].is_some()).collect();
                order.sort_by(|&i, &j| {
                    let key = |k: usize| row[k].map_or(0.0, f64::abs);
                    key(j).total_cmp(&key(i))
                });
                let drivers: Vec<String> = order
                    .iter()
                    .take(2)
                    .map(|&i| {
                        format!(
                            "{} ({:+.2})",
                            a.rows[i].parameter,
                            row[i].expect("filtered")
                        )
                    })
                    .collect();
                let _ = writeln!(out, "{period:<8} {}", drivers.join(", "));
            }
        } else {
            let _ = writeln!(
                out,
                "\nrank correlations of {} in each of {} periods: sensitivity_by_period.csv",
                b.metric,
                b.periods.len()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn values_have_four_significant_digits() {
        assert_eq!(value(0.31234), "0.3123");
        assert_eq!(value(12.5), "12.50");
        assert_eq!(value(4.2e9), "4.200e9");
        assert_eq!(value(0.0), "0");
        assert_eq!(value(2.5e-4), "2.500e-4");
    }
}
