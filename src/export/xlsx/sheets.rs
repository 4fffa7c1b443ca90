//! One sheet per table of a result ([`crate::results::table::tables`]), named after its CSV
//! file without `.csv`, written from the typed cells: numbers as numbers (from 1,000 up
//! shown with thousands separators, full precision kept), text as text, months as dates,
//! undefined values as empty cells, exactly as the CSV file holds them. The
//! header row is bold and frozen with the columns that identify a row, has a filter, and
//! column widths fit the contents. Rows beyond Excel's limit are left out with a note (the
//! CSV file has them all).

use anyhow::Result;
use rust_xlsxwriter::{Workbook, Worksheet};

use super::{Formats, month_date};
use crate::results::table::{Cell, NamedTable, tables};
use crate::results::{Results, files};

/// Excel's last row (0-based): 1,048,576 rows in all.
const MAX_ROW: u32 = 1_048_575;
/// Excel's columns.
const MAX_COLUMNS: usize = 16_384;
/// The sheets in workbook order (a sweep's best points before its trials).
const ORDER: [&str; 11] = [
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
];

/// Adds one sheet per table of `results`, in [`ORDER`].
pub(super) fn write(wb: &mut Workbook, results: &Results, f: &Formats) -> Result<()> {
    let mut named = tables(results);
    named.sort_by_key(|n| ORDER.iter().position(|&o| o == n.file));
    for n in &named {
        let ws = wb.add_worksheet();
        ws.set_name(n.file.strip_suffix(".csv").unwrap_or(n.file))?;
        sheet(ws, n, id_columns(results, n), f)?;
    }
    Ok(())
}

/// How many leading columns identify a row (frozen with the header).
fn id_columns(results: &Results, n: &NamedTable) -> u16 {
    let axes = match results {
        Results::Sweep(r) => r.axes.len(),
        _ => 0,
    };
    let columns = match n.file {
        files::MONTHLY | files::YEARLY | files::COMPARE | files::TORNADO => 2,
        files::SENSITIVITY_BY_PERIOD => 3,
        files::SUMMARY | files::TRIALS | files::BACKTEST => 1,
        // The varied keys, and the trial or the metric.
        files::SWEEP_TRIALS | files::SWEEP_BEST => axes + 1,
        files::SWEEP => axes,
        _ => 0,
    };
    columns.min(n.table.header.len()).min(8) as u16
}

/// Width in characters of a number as shown.
fn number_width(x: f64) -> usize {
    if x.abs() >= 1000.0 {
        let digits = format!("{:.0}", x.abs()).len();
        digits + (digits - 1) / 3 + usize::from(x < 0.0)
    } else {
        format!("{x}").len().min(11)
    }
}

/// Writes one cell; returns its width in characters, `None` when it stays empty.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
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
    let fmt = if number.abs() >= 1000.0 {
        &f.thousands
    } else {
        &f.general
    };
    ws.write_number_with_format(row, col, number, fmt)?;
    Ok(Some(number_width(number)))
}

/// One table as a sheet.
fn sheet(ws: &mut Worksheet, n: &NamedTable, frozen: u16, f: &Formats) -> Result<()> {
    let header = &n.table.header;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count() + 2).collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
    }
    let shown = n.table.rows.len().min(MAX_ROW as usize);
    for (i, cells) in n.table.rows[..shown].iter().enumerate() {
        let row = i as u32 + 1;
        for (c, cell) in cells.iter().enumerate().take(MAX_COLUMNS) {
            if let Some(w) = write_cell(ws, row, c as u16, cell, f)?
                && let Some(slot) = widths.get_mut(c)
            {
                *slot = (*slot).max(w + 1);
            }
        }
    }
    let last_col = header.len().saturating_sub(1) as u16;
    if !header.is_empty() {
        ws.autofilter(0, 0, shown as u32, last_col)?;
    }
    ws.set_freeze_panes(1, frozen)?;
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).clamp(8, 48) as f64)?;
    }
    let dropped = n.table.rows.len() - shown;
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
        assert_eq!(number_width(1234.0), 5);
        assert_eq!(number_width(-1_234_567.0), 10);
        assert_eq!(number_width(0.5), 3);
        assert_eq!(number_width(0.123_456_789_012_3), 11);
    }
}
