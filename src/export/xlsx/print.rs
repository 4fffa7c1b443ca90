//! How the workbook prints: every sheet landscape, fitted to the page width, with the sheet
//! name and "page N of M" in the footer ([`defaults`], applied to every sheet of the
//! workbook, whoever wrote it); data sheets with their header row repeated on every page and
//! a print area of at most [`MAX_PRINTED_ROWS`] rows and the columns that fit one page at
//! [`MIN_SCALE`] or more, saying in the page header what is left out ([`data_sheet`]); and
//! the charts sheet laid out top to bottom by a [`Page`], which starts a new page before a
//! chart that would not fit on the current one, so no chart is cut across pages.
//!
//! Excel ignores manual page breaks on a sheet fitted to its pages, so the charts sheet
//! gets a print scale computed from its widest content instead of "fit to width".
//! Geometry is that of the smaller of US Letter and A4 in landscape, so the layout holds
//! on either paper.

use anyhow::Result;
use rust_xlsxwriter::{Chart, Worksheet};

/// Printable width of a landscape page, in points: the narrower of US Letter (11 in) and
/// A4 (11.69 in) less the 0.5 in side margins.
const PAGE_WIDTH_PT: f64 = (11.0 - 2.0 * MARGIN_SIDE) * 72.0;
/// Printable height, in points: the shorter of A4 (8.27 in) and Letter (8.5 in) less the
/// top and bottom margins (which hold the header and footer), less one row for rounding.
const PAGE_HEIGHT_PT: f64 = (8.27 - 2.0 * MARGIN_TOP_BOTTOM) * 72.0 - ROW_PT;
// A page holds a line chart (18 rows) below the settings, but not two charts.
const _: () = assert!(PAGE_HEIGHT_PT > 30.0 * ROW_PT && PAGE_HEIGHT_PT < 36.0 * ROW_PT);
/// Left and right margins, inches.
const MARGIN_SIDE: f64 = 0.5;
/// Top and bottom margins, inches (the header and footer sit 0.3 in from the edge).
const MARGIN_TOP_BOTTOM: f64 = 0.75;
/// The default row height, points (Excel's and LibreOffice's for an 11 pt font).
const ROW_PT: f64 = 15.0;
/// The share of the page width the charts sheet's content is scaled to: the rest absorbs
/// other fonts' wider columns (LibreOffice with Carlito for Calibri measured about 1 %
/// wider than Excel's rule; without Carlito, DejaVu Sans about 30 %).
const WIDTH_SLACK: f64 = 0.9;
/// The smallest print scale of a data sheet: columns beyond those that fit one page width
/// at this scale are not printed (the text would be too small to read).
pub(super) const MIN_SCALE: f64 = 0.6;
/// The most data rows a data sheet prints (about 4 pages at 100 %; the sheet has them all).
pub(super) const MAX_PRINTED_ROWS: u32 = 200;

/// The printed width of a column `chars` characters wide, in points (Excel's rule for an
/// 11 pt Calibri: 7 pixels a character and 5 of padding, 0.75 pt a pixel).
pub(super) fn column_pt(chars: f64) -> f64 {
    (chars * 7.0 + 5.0).round() * 0.75
}

/// Print settings of every sheet: landscape, margins, the sheet name and the page number
/// in the footer, fitted to one page wide (as many pages tall as it takes). Sheets with a
/// layout of their own ([`data_sheet`], [`Page::finish`]) add to it afterwards.
pub(super) fn defaults(ws: &mut Worksheet) {
    ws.set_landscape()
        .set_margins(
            MARGIN_SIDE,
            MARGIN_SIDE,
            MARGIN_TOP_BOTTOM,
            MARGIN_TOP_BOTTOM,
            0.3,
            0.3,
        )
        .set_footer("&L&A&Rpage &P of &N")
        .set_print_fit_to_pages(1, 0);
}

/// The print layout of a data sheet of `rows` data rows (below the header row) whose
/// columns are `widths` characters wide: the header row repeated on every page, and a print
/// area of the first [`MAX_PRINTED_ROWS`] rows and the columns that fit one page at
/// [`MIN_SCALE`]; when that leaves something out, the page header says what and that the
/// sheet and `file` have it all.
pub(super) fn data_sheet(ws: &mut Worksheet, file: &str, widths: &[f64], rows: u32) -> Result<()> {
    if widths.is_empty() {
        return Ok(());
    }
    let mut total = 0.0;
    let mut cols = 0;
    for &w in widths {
        let next = total + column_pt(w);
        if cols > 0 && next > PAGE_WIDTH_PT / MIN_SCALE {
            break;
        }
        total = next;
        cols += 1;
    }
    let printed = rows.min(MAX_PRINTED_ROWS);
    ws.set_print_area(0, 0, printed, (cols - 1) as u16)?;
    ws.set_repeat_rows(0, 0)?;
    let mut left_out = Vec::new();
    if printed < rows {
        left_out.push(format!(
            "the first {printed} of {} rows",
            crate::format::grouped(rows as f64)
        ));
    }
    if cols < widths.len() {
        left_out.push(format!("the first {cols} of {} columns", widths.len()));
    }
    if !left_out.is_empty() {
        ws.set_header(format!(
            "&L&9Printed: {}; the sheet and {file} have them all",
            left_out.join(" and ")
        ));
    }
    Ok(())
}

/// The layout of the charts sheet from top to bottom: charts in the first column, each on
/// one page, and the widths of the sheet's columns, from which the print scale follows.
#[derive(Default)]
pub(super) struct Page {
    /// Manual page breaks (the first row of each new page).
    breaks: Vec<u32>,
    /// The first row of the current page.
    top: u32,
    /// Column widths set so far, characters.
    columns: Vec<f64>,
    /// The widest chart, points.
    chart_pt: f64,
    /// The last row with content.
    last_row: u32,
}

impl Page {
    pub fn new() -> Page {
        Page::default()
    }

    /// Inserts `chart`, `width` × `height` pixels, at `row` of the first column, after a
    /// page break when the rows from the current page's top to the chart's bottom do not
    /// fit one page at 100 % (at a smaller print scale even more fits, so a chart that
    /// starts a page always fits on it); returns the first free row below the chart and
    /// one empty row.
    pub fn chart(
        &mut self,
        ws: &mut Worksheet,
        row: u32,
        chart: &Chart,
        (width, height): (u32, u32),
    ) -> Result<u32> {
        let rows = (f64::from(height) * 0.75 / ROW_PT).ceil() as u32;
        if row > self.top && f64::from(row + rows - self.top) * ROW_PT > PAGE_HEIGHT_PT {
            self.break_at(row);
        }
        ws.insert_chart(row, 0, chart)?;
        self.chart_pt = self.chart_pt.max(f64::from(width) * 0.75);
        self.extend_to(row + rows);
        Ok(row + rows + 1)
    }

    /// Counts rows down to `row` in the print area (a table below the charts).
    pub fn extend_to(&mut self, row: u32) {
        self.last_row = self.last_row.max(row);
    }

    /// Starts a new page at `row` (a table after the charts).
    pub fn break_at(&mut self, row: u32) {
        if row > self.top {
            self.breaks.push(row);
            self.top = row;
        }
    }

    /// Sets a column's width, in characters, and counts it in the printed width.
    pub fn column(&mut self, ws: &mut Worksheet, col: u16, chars: f64) -> Result<()> {
        ws.set_column_width(col, chars)?;
        let col = usize::from(col);
        if self.columns.len() <= col {
            // Excel's default width for the columns in between.
            self.columns.resize(col + 1, 8.43);
        }
        self.columns[col] = chars;
        Ok(())
    }

    /// The sheet's print layout: the page breaks, and the print scale that fits its widest
    /// content (the columns set, or a chart) to the page width.
    ///
    /// The print area spans the rows used and the columns under the widest chart or
    /// table: LibreOffice otherwise prints only the cells' range and clips a chart wider
    /// than it.
    pub fn finish(&self, ws: &mut Worksheet) -> Result<()> {
        let columns: f64 = self.columns.iter().map(|&w| column_pt(w)).sum();
        let widest = columns.max(self.chart_pt).max(1.0);
        let scale = (PAGE_WIDTH_PT * WIDTH_SLACK / widest * 100.0)
            .floor()
            .clamp(10.0, 100.0);
        ws.set_print_scale(scale as u16);
        ws.set_page_breaks(&self.breaks)?;
        let mut last_col = 0;
        let mut width = 0.0;
        while width < widest {
            width += column_pt(self.columns.get(last_col).copied().unwrap_or(8.43));
            last_col += 1;
        }
        if self.last_row > 0 {
            ws.set_print_area(0, 0, self.last_row, (last_col.max(1) - 1) as u16)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_that_does_not_fit_starts_a_page() {
        let mut ws = Worksheet::new();
        let mut page = Page::new();
        let mut chart = Chart::new_line();
        chart.add_series().set_values(("charts", 0, 0, 2, 0));
        // 360 px = 270 pt = 18 rows; a page holds 487 - 15 = 472 pt, 31 rows.
        let next = page.chart(&mut ws, 12, &chart, (760, 360)).unwrap();
        assert_eq!(next, 31);
        assert!(page.breaks.is_empty(), "rows 12-29 fit the first page");
        let next = page.chart(&mut ws, next, &chart, (760, 360)).unwrap();
        assert_eq!(page.breaks, [31]);
        page.chart(&mut ws, next, &chart, (760, 360)).unwrap();
        assert_eq!(page.breaks, [31, 50]);
        page.break_at(50);
        assert_eq!(page.breaks, [31, 50], "no second break at a page's top");
    }

    #[test]
    fn printed_widths_follow_excel() {
        // 8.43 characters (the default) are 64 pixels.
        assert_eq!(column_pt(8.43), 48.0);
    }
}
