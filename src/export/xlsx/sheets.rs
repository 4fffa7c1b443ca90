//! One sheet per table of a result ([`crate::results::table::tables`]), named after its CSV
//! file without `.csv`, written from the typed cells: numbers as numbers, text as text,
//! months as dates, undefined values as empty cells, exactly as the CSV file holds them.
//! Every number keeps its full value (dollars stay dollars, so formulas work on them); an
//! Excel number format shows it in the unit people read ([`Shown`], from the metric
//! catalogue): money in $B, or $M for a metric whose every figure is under $1B (`-26908355916`
//! shows as `-$26.91B`), counts in millions, shares as percentages, correlations signed,
//! months with one decimal, other numbers from 1,000 up with thousands separators. The
//! header row is bold and frozen with the columns that identify a row, has a filter, and
//! column widths fit the contents as shown. Rows beyond Excel's limit are left out with a
//! note (the CSV file has them all). Each sheet prints its first rows and columns
//! ([`super::print::data_sheet`]).

use std::collections::HashMap;

use anyhow::Result;
use rust_xlsxwriter::{Workbook, Worksheet};

use super::{Formats, month_date, print};
use crate::engine::Layout;
use crate::engine::metrics::Unit;
use crate::format::Excel;
use crate::results::table::{Cell, NamedTable, tables};
use crate::results::{Results, files};

/// Excel's last row (0-based): 1,048,576 rows in all.
const MAX_ROW: u32 = 1_048_575;
/// Excel's columns.
const MAX_COLUMNS: usize = 16_384;
/// The sheets in workbook order (a sweep's best points before its trials).
const ORDER: [&str; 13] = [
    files::SUMMARY,
    files::MONTHLY,
    files::YEARLY,
    files::TRIALS,
    files::SWEEP,
    files::SWEEP_BEST,
    files::SWEEP_TRIALS,
    files::COMPARE,
    files::TORNADO,
    files::SENSITIVITY_BY_PERIOD,
    files::BACKTEST,
    files::CALIBRATION,
    files::POSTERIOR,
];

/// Adds one sheet per table of `results`, in [`ORDER`].
pub(super) fn write(wb: &mut Workbook, results: &Results, f: &Formats) -> Result<()> {
    let mut named = tables(results);
    named.sort_by_key(|n| ORDER.iter().position(|&o| o == n.file));
    let layout = layout(results);
    for n in &named {
        let ws = wb.add_worksheet();
        ws.set_name(n.file.strip_suffix(".csv").unwrap_or(n.file))?;
        let shown = Shown::of(layout.as_ref(), n);
        sheet(ws, n, id_columns(results, n), &shown, f)?;
    }
    Ok(())
}

/// The metric catalogue of a result (none for a backtest or a calibration, whose figures are
/// shown plain).
fn layout(results: &Results) -> Option<Layout> {
    match results {
        Results::Run(r) => Some(r.stats.layout.clone()),
        Results::Sweep(r) => Some(r.layout.clone()),
        Results::Compare(r) => Some(r.layout.clone()),
        Results::Sensitivity(r) => Some(Layout::new(&r.scenario)),
        Results::Backtest(_) | Results::Calibrate(_) => None,
    }
}

/// Columns of a table whose rows are metrics (`metric` column) that hold values in the
/// row metric's unit.
const IN_METRIC_UNIT: [&str; 17] = [
    "mean",
    "sd",
    "p05",
    "p50",
    "p95",
    "mean_se",
    "mean_ci95_half_width",
    "diff_mean",
    "diff_p05",
    "diff_p95",
    "base_mean",
    "mean_at_p10",
    "mean_at_p90",
    "swing",
    "swing_se",
    "mean_low_decile",
    "mean_high_decile",
];
/// The statistics of a scalar in `sweep.csv`'s columns (`<scalar>_<statistic>`).
const SWEEP_STATISTICS: [&str; 4] = ["_mean", "_p05", "_p50", "_p95"];

/// How a column's numbers are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Col {
    /// Always this way.
    Fixed(Excel),
    /// In the unit of the row's metric ([`Shown::rows`]).
    Metric,
    /// Whole numbers as written (a year, a trial, a flag, a period).
    Whole,
    /// Not known to the catalogue (a parameter's value): thousands separators from
    /// 1,000 up, else Excel's General.
    Default,
}

/// How the numbers of one table are shown: per column, and for a table whose rows are
/// metrics, per row in the unit of the row's metric, $B or $M by the largest figure of
/// that metric in the table (so a metric reads in one unit down the sheet).
struct Shown {
    cols: Vec<Col>,
    rows: Vec<Option<Excel>>,
}

impl Shown {
    fn of(layout: Option<&Layout>, n: &NamedTable) -> Shown {
        let header = &n.table.header;
        let unit = |name: &str| -> Option<Unit> {
            let l = layout?;
            l.scalar(name)
                .map(|d| d.unit)
                .or_else(|| l.index_of(name).map(|i| l.defs[i].unit))
        };
        let metric_col = header.iter().position(|h| h == "metric");
        // Wide tables: a column per scalar (`trials`, `sweep_trials`) or per scalar and
        // statistic (`sweep`), each in its scalar's unit sized by its own largest value.
        let column_unit = |h: &str| {
            unit(h).or_else(|| {
                SWEEP_STATISTICS
                    .iter()
                    .find_map(|s| h.strip_suffix(s))
                    .and_then(unit)
            })
        };
        let cols: Vec<Col> = header
            .iter()
            .enumerate()
            .map(|(c, h)| match h.as_str() {
                _ if metric_col.is_some() && IN_METRIC_UNIT.contains(&h.as_str()) => Col::Metric,
                "share_better" | "share_of_trials_best" => Col::Fixed(Excel::Share),
                "rank_correlation" => Col::Fixed(Excel::Correlation),
                "first_order" | "first_order_low" | "first_order_high" => Col::Fixed(Excel::Index),
                "year" | "period" | "trial" | "best_by_mean" | "hit" | "required" => Col::Whole,
                _ if metric_col.is_none() => match column_unit(h) {
                    Some(u) => Col::Fixed(Excel::for_unit(u, largest(n, c))),
                    None => Col::Default,
                },
                _ => Col::Default,
            })
            .collect();
        let mut rows = Vec::new();
        if let Some(m) = metric_col {
            let name = |row: &[Cell]| match row.get(m) {
                Some(Cell::Text(s)) => Some(s.clone()),
                _ => None,
            };
            let mut biggest: HashMap<String, f64> = HashMap::new();
            for row in &n.table.rows {
                let Some(metric) = name(row) else { continue };
                let slot = biggest.entry(metric).or_insert(0.0);
                for (c, cell) in row.iter().enumerate() {
                    if cols.get(c) == Some(&Col::Metric)
                        && let Some(x) = number(cell)
                    {
                        *slot = slot.max(x.abs());
                    }
                }
            }
            rows = n
                .table
                .rows
                .iter()
                .map(|row| {
                    let metric = name(row)?;
                    Some(Excel::for_unit(unit(&metric)?, biggest[&metric]))
                })
                .collect();
        }
        Shown { cols, rows }
    }

    /// How the number in row `i` (of the table's rows), column `c` is shown.
    fn at(&self, i: usize, c: usize) -> Col {
        match self.cols.get(c) {
            Some(Col::Metric) => match self.rows.get(i).copied().flatten() {
                Some(e) => Col::Fixed(e),
                None => Col::Default,
            },
            Some(&col) => col,
            None => Col::Default,
        }
    }
}

/// A cell's finite number.
fn number(cell: &Cell) -> Option<f64> {
    let x = match cell {
        Cell::Number(x) => *x,
        Cell::Int(i) => *i as f64,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// The largest magnitude in column `c` (0 when none).
fn largest(n: &NamedTable, c: usize) -> f64 {
    n.table
        .rows
        .iter()
        .filter_map(|r| r.get(c).and_then(number))
        .fold(0.0, |a, x| a.max(x.abs()))
}

/// How many leading columns identify a row (frozen with the header).
fn id_columns(results: &Results, n: &NamedTable) -> u16 {
    let axes = match results {
        Results::Sweep(r) => r.axes.len(),
        _ => 0,
    };
    let columns = match n.file {
        files::MONTHLY | files::YEARLY | files::TORNADO => 2,
        files::COMPARE | files::SENSITIVITY_BY_PERIOD => 3,
        files::SUMMARY | files::TRIALS | files::BACKTEST => 1,
        // The varied keys, and the trial or the metric.
        files::SWEEP_TRIALS | files::SWEEP_BEST => axes + 1,
        files::SWEEP => axes,
        _ => 0,
    };
    columns.min(n.table.header.len()).min(8) as u16
}

/// Thousands separators in the whole part of `x` as shown.
fn separators(x: f64) -> usize {
    let digits = format!("{:.0}", x.abs().trunc()).len();
    (digits - 1) / 3
}

/// Width in characters of a number as shown in format `col`.
fn number_width(x: f64, col: Col) -> usize {
    let sign = usize::from(x < 0.0);
    let scaled = |v: f64, decimals: usize, extra: usize| {
        format!("{:.decimals$}", v.abs()).len() + separators(v) + extra + sign
    };
    match col {
        Col::Fixed(Excel::Billions) => scaled(x / 1e9, 2, 2),
        Col::Fixed(Excel::Millions) => scaled(x / 1e6, 1, 2),
        Col::Fixed(Excel::CountMillions) => scaled(x / 1e6, 1, 1),
        Col::Fixed(Excel::Months) => scaled(x, 1, 0),
        Col::Fixed(Excel::Share) => scaled(x * 100.0, 1, 1),
        Col::Fixed(Excel::Correlation) => 5,
        Col::Fixed(Excel::Index) => scaled(x, 3, 0),
        Col::Whole => format!("{x}").len(),
        _ if x.abs() >= 1000.0 => scaled(x, 0, 0),
        _ => format!("{x}").len().min(11),
    }
}

/// Writes one cell, shown as `col`; returns its width in characters, `None` when it
/// stays empty.
fn write_cell(
    ws: &mut Worksheet,
    (row, col): (u32, u16),
    cell: &Cell,
    shown: Col,
    f: &Formats,
) -> Result<Option<usize>> {
    let number = match cell {
        Cell::Text(s) if s.is_empty() => return Ok(None),
        Cell::Text(s) => {
            ws.write_string(row, col, s)?;
            return Ok(Some(s.chars().count()));
        }
        Cell::Month(m) => {
            ws.write_datetime_with_format(row, col, month_date(*m)?, &f.month)?;
            return Ok(Some(8));
        }
        Cell::Number(x) => *x,
        Cell::Int(i) => *i as f64,
    };
    if !number.is_finite() {
        return Ok(None);
    }
    let fmt = match shown {
        Col::Fixed(e) => f.number(e),
        Col::Default if number.abs() >= 1000.0 => f.number(Excel::Count),
        _ => &f.general,
    };
    ws.write_number_with_format(row, col, number, fmt)?;
    Ok(Some(number_width(number, shown)))
}

/// One table as a sheet.
fn sheet(
    ws: &mut Worksheet,
    n: &NamedTable,
    frozen: u16,
    shown: &Shown,
    f: &Formats,
) -> Result<()> {
    let header = &n.table.header;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count() + 2).collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
    }
    let kept = n.table.rows.len().min(MAX_ROW as usize);
    for (i, cells) in n.table.rows[..kept].iter().enumerate() {
        let row = i as u32 + 1;
        for (c, cell) in cells.iter().enumerate().take(MAX_COLUMNS) {
            if let Some(w) = write_cell(ws, (row, c as u16), cell, shown.at(i, c), f)?
                && let Some(slot) = widths.get_mut(c)
            {
                *slot = (*slot).max(w + 1);
            }
        }
    }
    let last_col = header.len().saturating_sub(1) as u16;
    if !header.is_empty() {
        ws.autofilter(0, 0, kept as u32, last_col)?;
    }
    ws.set_freeze_panes(1, frozen)?;
    let widths: Vec<f64> = widths.iter().map(|w| (*w).clamp(8, 48) as f64).collect();
    for (c, &w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, w)?;
    }
    print::data_sheet(ws, n.file, &widths, kept as u32)?;
    let dropped = n.table.rows.len() - kept;
    if dropped > 0 {
        ws.write_string_with_format(
            0,
            last_col + 1,
            format!(
                "{dropped} more rows of {} do not fit in a sheet (Excel's limit is 1,048,576 rows); the CSV file has them all",
                n.file
            ),
            &f.note,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_widths_count_separators_and_signs() {
        assert_eq!(number_width(1234.0, Col::Default), 5);
        assert_eq!(number_width(-1_234_567.0, Col::Default), 10);
        assert_eq!(number_width(0.5, Col::Default), 3);
        assert_eq!(number_width(0.123_456_789_012_3, Col::Default), 11);
        // -$26.91B, $442.1M, 24.2M, 12.5%
        assert_eq!(
            number_width(-26_908_355_916.0, Col::Fixed(Excel::Billions)),
            8
        );
        assert_eq!(number_width(442.1e6, Col::Fixed(Excel::Millions)), 7);
        assert_eq!(number_width(1_234.5e6, Col::Fixed(Excel::Millions)), 9);
        assert_eq!(number_width(24.2e6, Col::Fixed(Excel::CountMillions)), 5);
        assert_eq!(number_width(0.125, Col::Fixed(Excel::Share)), 5);
        assert_eq!(number_width(2024.0, Col::Whole), 4);
    }

    fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> NamedTable {
        NamedTable {
            file: files::SUMMARY,
            table: crate::results::table::Table {
                header: header.iter().map(|h| h.to_string()).collect(),
                rows,
            },
        }
    }

    #[test]
    fn numbers_are_shown_in_the_unit_of_their_metric() {
        let s = crate::scenario::Scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios/premium_5usd_2024.toml"),
            &[],
        )
        .unwrap();
        let l = Layout::new(&s);
        let text = |t: &str| Cell::Text(t.into());
        // Long: the unit follows the row's metric; a metric under $1B everywhere is in $M.
        let long = table(
            &["metric", "mean", "p05", "share_better"],
            vec![
                vec![
                    text("device_pnl"),
                    Cell::Number(-2.7e10),
                    Cell::Number(-3e10),
                    Cell::Number(0.5),
                ],
                vec![
                    text("premium_serving_cost"),
                    Cell::Number(3.8e8),
                    Cell::Number(1e8),
                    Cell::Number(0.2),
                ],
                vec![
                    text("units_sold"),
                    Cell::Number(2.8e8),
                    Cell::Number(2e8),
                    Cell::Number(f64::NAN),
                ],
                vec![
                    text("breakeven_month"),
                    Cell::Number(40.0),
                    Cell::Number(30.0),
                    Cell::Number(0.1),
                ],
                vec![
                    text("no_such_metric"),
                    Cell::Number(1.0),
                    Cell::Number(2.0),
                    Cell::Number(0.1),
                ],
            ],
        );
        let shown = Shown::of(Some(&l), &long);
        assert_eq!(shown.at(0, 1), Col::Fixed(Excel::Billions));
        assert_eq!(shown.at(1, 2), Col::Fixed(Excel::Millions));
        assert_eq!(shown.at(2, 1), Col::Fixed(Excel::CountMillions));
        assert_eq!(shown.at(3, 1), Col::Fixed(Excel::Months));
        assert_eq!(shown.at(4, 1), Col::Default);
        assert_eq!(shown.at(0, 3), Col::Fixed(Excel::Share));
        // Wide: per column, by the column's scalar and its largest value.
        let wide = table(
            &[
                "trial",
                "premium.price_month",
                "device_pnl",
                "npv_net_incremental_mean",
                "premium_revenue_p05",
            ],
            vec![vec![
                Cell::Int(0),
                Cell::Number(5.0),
                Cell::Number(-2.7e10),
                Cell::Number(-2e10),
                Cell::Number(9e8),
            ]],
        );
        let shown = Shown::of(Some(&l), &wide);
        assert_eq!(shown.at(0, 0), Col::Whole);
        assert_eq!(shown.at(0, 1), Col::Default);
        assert_eq!(shown.at(0, 2), Col::Fixed(Excel::Billions));
        assert_eq!(shown.at(0, 3), Col::Fixed(Excel::Billions));
        assert_eq!(shown.at(0, 4), Col::Fixed(Excel::Millions));
        // Without a catalogue (a backtest) numbers are shown plain.
        assert_eq!(Shown::of(None, &wide).at(0, 2), Col::Default);
    }
}
