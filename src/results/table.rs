//! The tabular view of results: one typed [`Table`] per CSV file.
//!
//! [`tables`] turns any [`Results`] into its named tables, in the order the files are
//! written. The CSV exporter writes them as text, the workbook as sheets, and the reader of
//! a folder parses the same layouts back; the columns of each file are defined here once.
//! What the results leave undefined is an empty cell: a share of trials when the two sides
//! are equal in every trial (`share_better`, `share_of_trials_best`), and the best point of
//! a sweep's metric that is the same at every point (`best_by_mean`).

use crate::compare::Period;
use crate::results::files;
use crate::results::{
    BacktestResults, CalibrateResults, CompareResults, Results, RunResults, SensitivityResults,
    SweepResults,
};
use crate::scenario::YearMonth;
use crate::sensitivity::{Index, Method};
use crate::stats::Summary;

/// The columns of `summary.csv`.
pub const SUMMARY_COLUMNS: [&str; 9] = [
    "metric",
    "mean",
    "sd",
    "p05",
    "p50",
    "p95",
    "mean_se",
    "mean_ci95_half_width",
    "household_noise_share",
];
/// The columns of `summary.csv` written before the household-noise share.
pub const LEGACY_SUMMARY: usize = 8;
/// The columns of `compare.csv`: the horizon's rows (`period` = `horizon`, one per scalar),
/// then per calendar year (`period` = the year) one per metric. Its columns without
/// [`COMPARE_PERIOD`] are those of folders written before the years.
pub const COMPARE_COLUMNS: [&str; 12] = [
    "metric",
    "period",
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
];
/// The column of `compare.csv` that names the period.
pub const COMPARE_PERIOD: usize = 1;
/// The columns of `decision.csv`.
pub const DECISION_COLUMNS: [&str; 6] = [
    "metric",
    "option",
    "expected_value",
    "p_best",
    "expected_regret",
    "chosen",
];
/// The columns of `voi.csv` (the row whose parameter is `*` holds the EVPI).
pub const VOI_COLUMNS: [&str; 5] = ["metric", "parameter", "evppi", "evppi_se", "clipped"];
/// The columns of `tornado.csv`. Given data leaves `mean_at_p10` and `mean_at_p90` empty
/// and fills the decile means; swing the other way round, with no first-order index. Its
/// first [`LEGACY_TORNADO`] columns are those of folders written before the methods, its
/// first [`PRE_GROUP_TORNADO`] those written before the groups. `group` is empty on a
/// parameter's row; a group's row (given data, after the parameters) has `table` or
/// `correlated` there, the group's name as `parameter`, and only `base_mean`, the
/// first-order index and `method` filled.
pub const TORNADO_COLUMNS: [&str; 17] = [
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
    "first_order",
    "first_order_low",
    "first_order_high",
    "mean_low_decile",
    "mean_high_decile",
    "method",
    "group",
];
/// The column of `tornado.csv` that names the method.
pub const TORNADO_METHOD: usize = 15;
/// The columns of `tornado.csv` written before the groups.
pub const PRE_GROUP_TORNADO: usize = 16;
/// The columns of `tornado.csv` written before the methods (swing only).
pub const LEGACY_TORNADO: usize = 10;
/// The columns of `sensitivity_by_period.csv` (the first-order index empty under swing).
pub const BY_PERIOD_COLUMNS: [&str; 7] = [
    "metric",
    "period",
    "parameter",
    "rank_correlation",
    "first_order",
    "first_order_low",
    "first_order_high",
];
/// The columns of `sensitivity_by_period.csv` written before the methods.
pub const LEGACY_BY_PERIOD: usize = 4;
/// The columns of `backtest.csv`.
pub const BACKTEST_COLUMNS: [&str; 14] = [
    "id",
    "target",
    "period",
    "statistic",
    "low",
    "high",
    "mean",
    "p05",
    "p50",
    "p95",
    "value",
    "hit",
    "required",
    "source",
];
/// The columns of `calibration.csv`: one row per calibrated parameter, then one per
/// target; `hit_probability` is blank for parameters. `status` says whether a parameter's
/// posterior moved (`updated`) or `keeps prior`, and whether a target is `fitted` or
/// `informational`.
pub const CALIBRATION_COLUMNS: [&str; 10] = [
    "kind",
    "name",
    "prior_p05",
    "prior_p50",
    "prior_p95",
    "posterior_p05",
    "posterior_p50",
    "posterior_p95",
    "hit_probability",
    "status",
];
/// The columns of `posterior.csv` around the parameter and target columns: `round` and
/// `trial` first, then every uncertain parameter by key, every target as `target_<id>`,
/// and `weight` last.
pub const POSTERIOR_FIRST: [&str; 2] = ["round", "trial"];
/// The last column of `posterior.csv`.
pub const POSTERIOR_WEIGHT: &str = "weight";
/// The prefix of a target's column in `posterior.csv`.
pub const POSTERIOR_TARGET_PREFIX: &str = "target_";

/// The columns of `monthly.csv` and `yearly.csv` after the period.
pub const PERIOD_COLUMNS: [&str; 6] = ["metric", "mean", "sd", "p05", "p50", "p95"];

/// One cell, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text from a user or a name (neutralised for spreadsheets when written as CSV, see
    /// [`crate::export::csv::safe_text`]).
    Text(String),
    /// A number; NaN or infinite when undefined or not applicable (an empty cell).
    Number(f64),
    /// A whole number (a trial index, a year, a 0/1 flag).
    Int(i64),
    /// A calendar month: `YYYY-MM` in CSV, a date in the workbook.
    Month(YearMonth),
}

impl Cell {
    /// A value given as text (a sweep's varied value, a period): a [`Cell::Number`] when
    /// it reads as a finite number (`+1` is the number 1, `-0` the number -0, `7.50` the
    /// number 7.5, in CSV and in the workbook alike), else [`Cell::Text`].
    pub fn value(text: &str) -> Cell {
        match text.trim().parse::<f64>() {
            Ok(number) if number.is_finite() => Cell::Number(number),
            _ => Cell::Text(text.to_string()),
        }
    }
    fn opt(x: Option<f64>) -> Cell {
        Cell::Number(x.unwrap_or(f64::NAN))
    }
    fn flag(b: bool) -> Cell {
        Cell::Int(b as i64)
    }
}

/// A table: a header and rows of typed cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }
}

/// A named table of a result: its file name (e.g. `summary.csv`) and contents.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTable {
    pub file: &'static str,
    pub table: Table,
}

/// The tables of a result, in the order their files are written.
pub fn tables(results: &Results) -> Vec<NamedTable> {
    match results {
        Results::Run(r) => run_tables(r),
        Results::Sweep(r) => {
            let mut t = sweep_tables(r);
            t.extend(decision_tables(r.decision.as_ref()));
            t
        }
        Results::Compare(r) => {
            let mut t = vec![compare_table(r)];
            t.extend(decision_tables(r.decision.as_ref()));
            t
        }
        Results::Sensitivity(r) => sensitivity_tables(r),
        Results::Backtest(r) => vec![backtest_table(r)],
        Results::Calibrate(r) => calibrate_tables(r),
    }
}

fn stats_cells(s: &Summary) -> [Cell; 5] {
    [s.mean, s.sd, s.p05, s.p50, s.p95].map(Cell::Number)
}

fn run_tables(r: &RunResults) -> Vec<NamedTable> {
    let st = &r.stats;
    let l = &st.layout;
    let mut summary = Table::new(SUMMARY_COLUMNS);
    for ((name, s), &noise) in l
        .scalar_names()
        .zip(&st.summary)
        .zip(&st.household_noise_share)
    {
        let mut row = vec![Cell::Text(name.into())];
        row.extend(stats_cells(s));
        row.extend([Cell::Number(s.se()), Cell::Number(s.ci95_half_width())]);
        row.push(Cell::Number(noise));
        summary.rows.push(row);
    }
    let period = |what: &str, labels: Vec<Cell>, stats: &[Summary]| {
        let mut t = Table::new([what]);
        t.header.extend(PERIOD_COLUMNS.map(String::from));
        for (i, label) in labels.into_iter().enumerate() {
            for (j, def) in l.defs.iter().enumerate() {
                let mut row = vec![label.clone(), Cell::Text(def.name.clone())];
                row.extend(stats_cells(&stats[i * l.len() + j]));
                t.rows.push(row);
            }
        }
        t
    };
    let start = r.scenario.start();
    let months = (0..st.months.len())
        .map(|m| Cell::Month(start.plus(m as u32)))
        .collect();
    let years = st.years.iter().map(|&y| Cell::Int(y.into())).collect();
    let mut trials = Table::new(["trial".to_string()]);
    trials.header.extend(r.parameters.iter().cloned());
    trials.header.extend(l.scalar_names().map(String::from));
    for t in &r.trials {
        let mut row = vec![Cell::Int(t.trial as i64)];
        row.extend(t.draws.iter().map(|&x| Cell::Number(x)));
        row.extend(t.scalars.iter().map(|&x| Cell::Number(x)));
        trials.rows.push(row);
    }
    vec![
        NamedTable {
            file: files::SUMMARY,
            table: summary,
        },
        NamedTable {
            file: files::MONTHLY,
            table: period("month", months, &st.monthly),
        },
        NamedTable {
            file: files::YEARLY,
            table: period("year", years, &st.yearly),
        },
        NamedTable {
            file: files::TRIALS,
            table: trials,
        },
    ]
}

fn sweep_tables(r: &SweepResults) -> Vec<NamedTable> {
    let axis_keys = || r.axes.iter().map(|a| a.key.clone());
    let point_cells = |k: usize| -> Vec<Cell> {
        r.axes
            .iter()
            .zip(&r.grid[k])
            .map(|(a, &i)| Cell::value(&a.values[i]))
            .collect()
    };
    let mut sweep = Table::new(axis_keys());
    for s in r.layout.scalar_names() {
        for stat in ["mean", "p05", "p50", "p95"] {
            sweep.header.push(format!("{s}_{stat}"));
        }
    }
    for (k, stats) in r.points.iter().enumerate() {
        let mut row = point_cells(k);
        for s in stats {
            row.extend([s.mean, s.p05, s.p50, s.p95].map(Cell::Number));
        }
        sweep.rows.push(row);
    }
    let mut trials = Table::new(axis_keys());
    trials.header.push("trial".into());
    trials
        .header
        .extend(r.layout.scalar_names().map(String::from));
    for (k, point) in r.trials.iter().enumerate() {
        for (trial, scalars) in point {
            let mut row = point_cells(k);
            row.push(Cell::Int(*trial as i64));
            row.extend(scalars.iter().map(|&x| Cell::Number(x)));
            trials.rows.push(row);
        }
    }
    let mut best = Table::new(["metric".to_string()]);
    best.header.extend(axis_keys());
    best.header.extend([
        "best_by_mean".to_string(),
        "share_of_trials_best".to_string(),
    ]);
    for b in &r.best {
        for k in 0..r.grid.len() {
            let mut row = vec![Cell::Text(b.metric.clone())];
            row.extend(point_cells(k));
            // The same at every point: no best point, both cells empty.
            row.push(if b.points.is_empty() {
                Cell::opt(None)
            } else {
                Cell::flag(b.points.contains(&k))
            });
            row.push(Cell::opt(b.share_of(k)));
            best.rows.push(row);
        }
    }
    vec![
        NamedTable {
            file: files::SWEEP,
            table: sweep,
        },
        NamedTable {
            file: files::SWEEP_TRIALS,
            table: trials,
        },
        NamedTable {
            file: files::SWEEP_BEST,
            table: best,
        },
    ]
}

fn compare_table(r: &CompareResults) -> NamedTable {
    let mut t = Table::new(COMPARE_COLUMNS);
    for row in r.all_rows() {
        let period = match row.period {
            Period::Horizon => Cell::Text(Period::HORIZON.into()),
            Period::Year(y) => Cell::Int(y.into()),
        };
        let mut cells = vec![
            Cell::Text(row.metric.clone()),
            period,
            Cell::Text(row.scenario.clone()),
        ];
        cells.extend(stats_cells(&row.stats));
        cells.extend([row.diff.mean, row.diff.p05, row.diff.p95].map(Cell::Number));
        cells.push(Cell::opt(row.share_better));
        t.rows.push(cells);
    }
    NamedTable {
        file: files::COMPARE,
        table: t,
    }
}

/// `decision.csv` and `voi.csv` of a decision view (none for a folder written before it).
fn decision_tables(d: Option<&crate::decision::Decision>) -> Vec<NamedTable> {
    let Some(d) = d else {
        return Vec::new();
    };
    let mut decision = Table::new(DECISION_COLUMNS);
    for o in &d.options {
        decision.rows.push(vec![
            Cell::Text(d.metric.clone()),
            Cell::Text(o.option.clone()),
            Cell::Number(o.expected_value),
            Cell::Number(o.p_best),
            Cell::Number(o.expected_regret),
            Cell::flag(o.chosen),
        ]);
    }
    let mut voi = Table::new(VOI_COLUMNS);
    for v in d.voi_rows() {
        voi.rows.push(vec![
            Cell::Text(d.metric.clone()),
            Cell::Text(v.parameter.clone()),
            Cell::Number(v.evppi),
            Cell::Number(v.se),
            Cell::flag(v.clipped),
        ]);
    }
    vec![
        NamedTable {
            file: files::DECISION,
            table: decision,
        },
        NamedTable {
            file: files::VOI,
            table: voi,
        },
    ]
}

/// The cells of a first-order index and its interval (empty when undefined).
fn index_cells(index: Option<Index>) -> [Cell; 3] {
    let i = index.unwrap_or(Index {
        value: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    });
    [i.value, i.low, i.high].map(Cell::Number)
}

fn sensitivity_tables(r: &SensitivityResults) -> Vec<NamedTable> {
    let a = &r.analysis;
    let mut tornado = Table::new(TORNADO_COLUMNS);
    for row in &a.rows {
        let means = [row.mean_at_low, row.mean_at_high];
        let none = [f64::NAN; 2];
        let (held, deciles) = match a.method {
            Method::Swing => (means, none),
            Method::GivenData => (none, means),
        };
        let mut cells = vec![
            Cell::Text(a.metric.clone()),
            Cell::Text(row.parameter.clone()),
        ];
        cells.extend(
            [
                row.low,
                row.high,
                a.base_mean,
                held[0],
                held[1],
                row.swing,
                row.swing_se,
            ]
            .map(Cell::Number),
        );
        cells.push(Cell::opt(row.rank_correlation));
        cells.extend(index_cells(row.first_order));
        cells.extend(deciles.map(Cell::Number));
        cells.push(Cell::Text(a.method.name().to_string()));
        cells.push(Cell::Text(String::new()));
        tornado.rows.push(cells);
    }
    for g in &a.groups {
        let mut cells = vec![Cell::Text(a.metric.clone()), Cell::Text(g.name.clone())];
        cells.extend([f64::NAN, f64::NAN, a.base_mean].map(Cell::Number));
        cells.extend([f64::NAN; 5].map(Cell::Number));
        cells.extend(index_cells(g.first_order));
        cells.extend([f64::NAN; 2].map(Cell::Number));
        cells.push(Cell::Text(a.method.name().to_string()));
        cells.push(Cell::Text(g.kind.name().to_string()));
        tornado.rows.push(cells);
    }
    let mut out = vec![NamedTable {
        file: files::TORNADO,
        table: tornado,
    }];
    if let Some(b) = &a.by_period {
        let mut t = Table::new(BY_PERIOD_COLUMNS);
        for ((period, row), indices) in b
            .periods
            .iter()
            .zip(&b.rank_correlation)
            .zip(&b.first_order)
        {
            for ((r, rho), index) in a.rows.iter().zip(row).zip(indices) {
                let mut cells = vec![
                    Cell::Text(b.metric.clone()),
                    Cell::value(period),
                    Cell::Text(r.parameter.clone()),
                    Cell::opt(*rho),
                ];
                cells.extend(index_cells(*index));
                t.rows.push(cells);
            }
        }
        out.push(NamedTable {
            file: files::SENSITIVITY_BY_PERIOD,
            table: t,
        });
    }
    out
}

fn backtest_table(r: &BacktestResults) -> NamedTable {
    let mut t = Table::new(BACKTEST_COLUMNS);
    for o in &r.outcomes {
        let tg = &o.target;
        let mut cells = vec![
            Cell::Text(tg.id.clone()),
            Cell::Text(tg.what.clone()),
            Cell::Text(tg.period_label.clone()),
            Cell::Text(tg.statistic.name().to_string()),
        ];
        cells.extend(
            [
                tg.low,
                tg.high,
                o.summary.mean,
                o.summary.p05,
                o.summary.p50,
                o.summary.p95,
                o.value,
            ]
            .map(Cell::Number),
        );
        cells.extend([Cell::flag(o.hit), Cell::flag(!tg.informational)]);
        cells.push(Cell::Text(tg.source.clone()));
        t.rows.push(cells);
    }
    NamedTable {
        file: files::BACKTEST,
        table: t,
    }
}

fn calibrate_tables(r: &CalibrateResults) -> Vec<NamedTable> {
    let p = &r.posterior;
    let mut header: Vec<String> = POSTERIOR_FIRST.map(String::from).to_vec();
    header.extend(p.keys.iter().cloned());
    header.extend(
        p.targets
            .iter()
            .map(|t| format!("{POSTERIOR_TARGET_PREFIX}{}", t.target.id)),
    );
    header.push(POSTERIOR_WEIGHT.into());
    let mut draws = Table::new(header);
    for (d, &w) in p.draws.iter().zip(&p.weights) {
        let mut cells = vec![Cell::Int(d.round as i64), Cell::Int(d.trial as i64)];
        cells.extend(d.values.iter().chain(&d.targets).map(|&x| Cell::Number(x)));
        cells.push(Cell::Number(w));
        draws.rows.push(cells);
    }
    let mut summary = Table::new(CALIBRATION_COLUMNS);
    let row = |kind: &str, name: &str, prior: [f64; 3], post: [f64; 3], hit: f64, status: &str| {
        let mut cells = vec![Cell::Text(kind.into()), Cell::Text(name.into())];
        cells.extend(prior.iter().chain(&post).map(|&x| Cell::Number(x)));
        cells.push(Cell::Number(hit));
        cells.push(Cell::Text(status.into()));
        cells
    };
    for q in &p.params {
        let status = q.status();
        summary.rows.push(row(
            "parameter",
            &q.key,
            q.prior_q,
            q.post_q,
            f64::NAN,
            status,
        ));
    }
    for t in &p.targets {
        let status = t.status();
        summary.rows.push(row(
            "target",
            &t.target.id,
            t.prior_q,
            t.post_q,
            t.hit_probability,
            status,
        ));
    }
    vec![
        NamedTable {
            file: files::POSTERIOR,
            table: draws,
        },
        NamedTable {
            file: files::CALIBRATION,
            table: summary,
        },
    ]
}
