//! `sensitivity`: which uncertain assumption drives a result, over the horizon and period by
//! period, by one of two methods.
//!
//! **Given data** (the default) uses only the trials of the plain run. For every uncertain
//! parameter it estimates the **first-order variance-based index**, the share of the
//! metric's variance the parameter explains alone, as the correlation ratio of the metric
//! over equiprobable classes of the parameter's ranks (Plischke, Borgonovo & Smith, "Global
//! sensitivity measures from given data", EJOR 226, 2013), bias-corrected as Kelley's
//! epsilon-squared ([`crate::stats::first_order_index`]), with a 95% bootstrap interval over
//! trials ([`BOOTSTRAP`] resamples drawn from a stream keyed by the seed). An index whose
//! interval reaches 0 is indistinguishable from noise. Beside it: the metric's mean in the
//! trials of the parameter's lowest and highest deciles (the tornado bar) with the standard
//! error of their difference, and the rank correlation (Spearman).
//!
//! **Swing** holds each parameter at its 10th percentile and at its 90th, every other
//! parameter drawn as usual, on common random numbers (the same trials, households and
//! draws; see [`crate::engine::run_pinned_until`]), and reports the metric's mean at each,
//! with the Monte Carlo standard error of the difference, and the rank correlation. A
//! variant shares the plain run's work wherever that is exact: one that pins a parameter
//! only finalisation reads is priced again from the plain run's counts, one that pins a
//! parameter of the premium tier re-simulates only the households whose tier it changes;
//! each gives the figures of its full simulation to the bit.
//!
//! With a period (`--by year|month`) the rank correlation and, given data, the first-order
//! index are also computed per period, with the metric's value in that period.
//!
//! Given data also reports **groups** ([`Group`]): each per-year table with more than one
//! uncertain entry (`costs.fixed_per_year`), and each cluster of parameters tied by
//! `[[correlation]]` (a connected component of the correlation graph), with the first-order
//! index of the members together ([`crate::stats::group_first_order_index`]) and its
//! interval from the same bootstrap resamples. A member of a correlated cluster carries its
//! partners' influence in its own index (the trials where it is high are those where they
//! are high too); the cluster's index is the share the cluster explains.

use rayon::prelude::*;

use crate::engine::{Layout, Pin, PinnedRuns, RunResult};
use crate::results::{month_labels, year_labels};
use crate::sampling::name_key;
use crate::scenario::{ParamId, Scenario};
use crate::stats::{
    decile_summaries, first_order_index, group_classes, group_first_order_index, index_classes,
    percentile_sorted, rank_classes, rank_order, recentred_interval, spearman, summarize,
};

/// Quantiles at which each parameter is held for its swing (and, given data, its decile
/// boundaries).
pub const LOW: f64 = 0.1;
pub const HIGH: f64 = 0.9;

/// Bootstrap resamples of the trials behind each first-order index's interval.
pub const BOOTSTRAP: usize = 200;
/// The component key of the bootstrap's random streams.
const BOOTSTRAP_STREAM: u64 = name_key("sensitivity.bootstrap");

/// How `sensitivity` measures a parameter's influence.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// First-order indices, decile means and rank correlations from the plain run's trials.
    #[default]
    GivenData,
    /// Each parameter held at its p10 and at its p90: up to two more runs per parameter.
    Swing,
}

impl Method {
    /// The name on the command line and in `tornado.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Method::GivenData => "given-data",
            Method::Swing => "swing",
        }
    }

    /// The method named `name` (see [`Method::name`]).
    pub fn parse(name: &str) -> Option<Method> {
        [Method::GivenData, Method::Swing]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// A first-order index with its 95% bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Index {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Index {
    /// Whether the index is distinguishable from 0: its interval lies above 0.
    pub fn distinguishable(&self) -> bool {
        self.low > 0.0
    }
}

/// Whether an optional index is distinguishable from 0.
fn driver(index: &Option<Index>) -> bool {
    index.as_ref().is_some_and(Index::distinguishable)
}

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
    /// Swing: the values the parameter is held at (its p10 and p90); given data: the
    /// boundaries of its lowest and highest deciles in the trials.
    pub low: f64,
    pub high: f64,
    /// The metric's mean with the parameter held at `low` and at `high` (swing), or in the
    /// trials of its lowest and highest deciles (given data).
    pub mean_at_low: f64,
    pub mean_at_high: f64,
    /// `|mean_at_high - mean_at_low|` and its standard error.
    pub swing: f64,
    pub swing_se: f64,
    /// `None` when undefined (the metric does not vary).
    pub rank_correlation: Option<f64>,
    /// Given data: the first-order index; `None` under swing or when undefined.
    pub first_order: Option<Index>,
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
    /// Per period, per tornado row: the first-order index (`None` under swing).
    pub first_order: Vec<Vec<Option<Index>>>,
}

/// What ties the parameters of a [`Group`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// The uncertain entries of one per-year table.
    Table,
    /// A cluster of parameters tied by `[[correlation]]`.
    Correlated,
}

impl GroupKind {
    /// The name in `tornado.csv`'s `group` column.
    pub fn name(self) -> &'static str {
        match self {
            GroupKind::Table => "table",
            GroupKind::Correlated => "correlated",
        }
    }

    /// The kind named `name` (see [`GroupKind::name`]).
    pub fn parse(name: &str) -> Option<GroupKind> {
        [GroupKind::Table, GroupKind::Correlated]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// Parameters reported together (given data): their first-order index as a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// A table's dotted key (`costs.fixed_per_year`), or a cluster's members joined by
    /// ` + `.
    pub name: String,
    pub kind: GroupKind,
    /// The members' dotted keys, in file order.
    pub members: Vec<String>,
    /// The share of the metric's variance the members explain together; `None` when
    /// undefined.
    pub first_order: Option<Index>,
}

/// The result of a sensitivity analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub method: Method,
    pub metric: String,
    pub money: bool,
    pub base_mean: f64,
    pub trials: usize,
    /// Swing: sorted by swing, largest first. Given data: the parameters whose index is
    /// distinguishable from 0 by index, largest first, then the others by index (ties in
    /// file order).
    pub rows: Vec<Row>,
    pub by_period: Option<ByPeriod>,
    /// Given data: per-year tables and correlated clusters, in that order (none under
    /// swing).
    pub groups: Vec<Group>,
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

/// The uncertain parameters of `scenario`, in file order.
pub fn uncertain(scenario: &Scenario) -> Vec<ParamId> {
    pins(scenario).0
}

/// The draws of parameter `id` in every trial of `run`.
fn draws(run: &RunResult, id: ParamId) -> Vec<f64> {
    run.trials.iter().map(|t| t.draws[id.0 as usize]).collect()
}

/// The labels of the periods of `by`.
fn period_labels(scenario: &Scenario, by: By) -> Vec<String> {
    match by {
        By::Year => year_labels(scenario)
            .iter()
            .map(|y| y.to_string())
            .collect(),
        By::Month => month_labels(scenario),
    }
}

/// Per-period metric `m` in period `p` of every trial of `run`.
fn period_values(run: &RunResult, by: By, p: usize, m: usize) -> Vec<f64> {
    let n = run.layout.len();
    run.trials
        .iter()
        .map(|t| match by {
            By::Year => t.yearly[p * n + m],
            By::Month => t.monthly[p * n + m],
        })
        .collect()
}

/// The first-order index of the input of rank `order` on `y`, with its interval from
/// `resamples`; `None` when undefined.
fn index(order: &[usize], y: &[f64], resamples: &[Vec<u32>]) -> Option<Index> {
    let m = index_classes(y.len());
    let value = first_order_index(order, y, None, m)?;
    let replicates: Vec<Option<f64>> = resamples
        .iter()
        .map(|c| first_order_index(order, y, Some(c), m))
        .collect();
    let (low, high) = recentred_interval(value, &replicates)?;
    Some(Index { value, low, high })
}

/// The groups of `scenario`'s uncertain parameters: each per-year table with at least two
/// uncertain entries, then each correlated cluster.
pub fn groups(scenario: &Scenario) -> Vec<(String, GroupKind, Vec<ParamId>)> {
    let params = scenario.params();
    let mut out = Vec::new();
    for table in params.tables() {
        let members: Vec<ParamId> = params
            .table_entries(table)
            .into_iter()
            .filter(|&id| params.get(id).is_uncertain())
            .collect();
        if members.len() > 1 {
            out.push((table.clone(), GroupKind::Table, members));
        }
    }
    let ids = uncertain(scenario);
    for cluster in scenario.design().clusters() {
        let members: Vec<ParamId> = cluster.iter().map(|&u| ids[u]).collect();
        let name = members
            .iter()
            .map(|&id| params.get(id).key())
            .collect::<Vec<_>>()
            .join(" + ");
        out.push((name, GroupKind::Correlated, members));
    }
    out
}

/// The first-order index of a group of inputs (their draws' rank `orders`) on `y`, with
/// its interval from `resamples`; `None` when undefined.
fn group_index(orders: &[&[usize]], y: &[f64], resamples: &[Vec<u32>]) -> Option<Index> {
    let m = group_classes(y.len(), orders.len());
    let classes: Vec<Vec<usize>> = orders.iter().map(|o| rank_classes(o, m)).collect();
    let value = group_first_order_index(&classes, y, None, m)?;
    let replicates: Vec<Option<f64>> = resamples
        .iter()
        .map(|c| group_first_order_index(&classes, y, Some(c), m))
        .collect();
    let (low, high) = recentred_interval(value, &replicates)?;
    Some(Index { value, low, high })
}

/// Sorts rows for the given-data tornado: drivers (index distinguishable from 0) first,
/// each group by index, largest first, undefined last; ties keep file order.
fn given_data_order(indices: &[Option<Index>]) -> Vec<usize> {
    let key = |k: usize| {
        (
            driver(&indices[k]),
            indices[k].map_or(f64::NEG_INFINITY, |i| i.value),
        )
    };
    let mut order: Vec<usize> = (0..indices.len()).collect();
    order.sort_by(|&a, &b| {
        let ((da, va), (db, vb)) = (key(a), key(b));
        db.cmp(&da).then(vb.total_cmp(&va))
    });
    order
}

/// The given-data analysis of the plain run `run`: `metric` is a scalar index, `period`
/// the per-period metric of `--by`.
pub fn analyse_given_data(
    scenario: &Scenario,
    run: &RunResult,
    metric: usize,
    period: Option<(By, usize)>,
) -> Analysis {
    let layout = &run.layout;
    let values = run.scalar(metric);
    let resamples = crate::stats::bootstrap_counts(
        scenario.simulation().seed,
        BOOTSTRAP,
        BOOTSTRAP_STREAM,
        values.len(),
    );
    let ids = uncertain(scenario);
    let orders: Vec<Vec<usize>> = ids
        .par_iter()
        .map(|&id| rank_order(&draws(run, id)))
        .collect();
    let unsorted: Vec<Row> = ids
        .par_iter()
        .zip(&orders)
        .map(|(&id, order)| {
            let x = draws(run, id);
            let sorted: Vec<f64> = order.iter().map(|&i| x[i]).collect();
            let (lo, hi) = decile_summaries(order, &values);
            Row {
                parameter: scenario.params().get(id).key().to_string(),
                id,
                low: percentile_sorted(&sorted, LOW),
                high: percentile_sorted(&sorted, HIGH),
                mean_at_low: lo.mean,
                mean_at_high: hi.mean,
                swing: (hi.mean - lo.mean).abs(),
                swing_se: (lo.sd * lo.sd / lo.n as f64 + hi.sd * hi.sd / hi.n as f64).sqrt(),
                rank_correlation: spearman(&x, &values),
                first_order: index(order, &values, &resamples),
            }
        })
        .collect();
    let groups: Vec<Group> = groups(scenario)
        .into_par_iter()
        .map(|(name, kind, members)| {
            let of: Vec<&[usize]> = members
                .iter()
                .map(|id| orders[ids.iter().position(|i| i == id).expect("uncertain")].as_slice())
                .collect();
            Group {
                name,
                kind,
                members: members
                    .iter()
                    .map(|&id| scenario.params().get(id).key().to_string())
                    .collect(),
                first_order: group_index(&of, &values, &resamples),
            }
        })
        .collect();
    let sorted = given_data_order(&unsorted.iter().map(|r| r.first_order).collect::<Vec<_>>());
    let orders: Vec<&Vec<usize>> = sorted.iter().map(|&k| &orders[k]).collect();
    let rows: Vec<Row> = sorted.iter().map(|&k| unsorted[k].clone()).collect();
    let by_period = period.map(|(by, m)| {
        let periods = period_labels(scenario, by);
        let (rank_correlation, first_order) = (0..periods.len())
            .map(|p| {
                let y = period_values(run, by, p, m);
                rows.par_iter()
                    .zip(&orders)
                    .map(|(r, order)| {
                        (
                            spearman(&draws(run, r.id), &y),
                            index(order, &y, &resamples),
                        )
                    })
                    .unzip::<_, _, Vec<_>, Vec<_>>()
            })
            .unzip();
        ByPeriod {
            metric: layout.defs[m].name.clone(),
            periods,
            rank_correlation,
            first_order,
        }
    });
    Analysis {
        method: Method::GivenData,
        money: layout.scalars[metric].money(),
        metric: layout.scalars[metric].name.clone(),
        base_mean: summarize(&values).mean,
        trials: values.len(),
        rows,
        by_period,
        groups,
    }
}

/// Two adjacent top drivers whose intervals overlap, and about how many trials would
/// separate them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overlap {
    /// Rows of the tornado.
    pub first: usize,
    pub second: usize,
    /// The trials at which the intervals would just separate, assuming their width
    /// shrinks as `1 / sqrt(trials)`; `None` when the two estimates are equal.
    pub trials: Option<u64>,
}

/// How many top drivers [`Analysis::overlap`] checks.
pub const TOP_DRIVERS: usize = 3;

impl Analysis {
    /// The rows in the order reports show them: the analysis' order, except that under
    /// swing an undefined swing goes last.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        if self.method == Method::Swing {
            let key = |r: &Row| {
                if r.swing.is_finite() {
                    r.swing
                } else {
                    f64::NEG_INFINITY
                }
            };
            order.sort_by(|&x, &y| key(&self.rows[y]).total_cmp(&key(&self.rows[x])));
        }
        order
    }

    /// Given data: the sum of the defined first-order indices (near 1: the parameters act
    /// additively; well below 1: interactions matter). `None` under swing.
    pub fn first_order_sum(&self) -> Option<f64> {
        let defined: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|r| r.first_order.map(|i| i.value))
            .collect();
        (!defined.is_empty()).then(|| defined.iter().sum())
    }

    /// Parameters whose index is indistinguishable from 0 (or undefined), under given data.
    pub fn indistinguishable(&self) -> usize {
        match self.method {
            Method::GivenData => self.rows.iter().filter(|r| !driver(&r.first_order)).count(),
            Method::Swing => 0,
        }
    }

    /// Given data: among the top [`TOP_DRIVERS`] drivers, the adjacent pair whose
    /// intervals overlap and need the most trials to separate; `None` when the ranking of
    /// the top drivers is clear.
    pub fn overlap(&self) -> Option<Overlap> {
        let drivers: Vec<(usize, Index)> = self
            .rows
            .iter()
            .enumerate()
            .filter_map(|(k, r)| r.first_order.filter(Index::distinguishable).map(|i| (k, i)))
            .take(TOP_DRIVERS)
            .collect();
        let trials = self.trials as f64;
        drivers
            .windows(2)
            .filter(|w| w[0].1.low <= w[1].1.high)
            .map(|w| {
                let ((first, a), (second, b)) = (w[0], w[1]);
                let gap = a.value - b.value;
                let widths = (a.value - a.low) + (b.high - b.value);
                let needed =
                    (gap > 0.0).then(|| (trials * (widths / gap).powi(2)).ceil().min(1e18) as u64);
                Overlap {
                    first,
                    second,
                    trials: needed,
                }
            })
            .max_by_key(|o| o.trials.unwrap_or(u64::MAX))
    }
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
    let draws = |id: ParamId| draws(&runs.base, id);
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
                first_order: None,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    let by_period = period.map(|(by, m)| {
        let periods = period_labels(scenario, by);
        let rank_correlation: Vec<Vec<Option<f64>>> = (0..periods.len())
            .map(|p| {
                let values = period_values(&runs.base, by, p, m);
                rows.iter()
                    .map(|r| spearman(&draws(r.id), &values))
                    .collect()
            })
            .collect();
        ByPeriod {
            metric: layout.defs[m].name.clone(),
            first_order: vec![vec![None; rows.len()]; periods.len()],
            periods,
            rank_correlation,
        }
    });
    Analysis {
        method: Method::Swing,
        money: layout.scalars[metric].money(),
        metric: name,
        base_mean: summarize(&values).mean,
        trials: values.len(),
        rows,
        by_period,
        groups: Vec::new(),
    }
}

/// The 95% band of a rank correlation between independent variables over `n` trials,
/// `1.96 / sqrt(n - 1)`.
pub fn noise(n: usize) -> f64 {
    1.96 / ((n as f64) - 1.0).sqrt()
}
