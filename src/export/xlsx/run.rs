//! The charts sheet of a run: the settings, then per month the device P&L and the net
//! incremental at p05/p50/p95 across trials, the net claimed p50, and the cumulative means
//! of the device P&L, the net claimed and the net incremental, in $B; drawn as two monthly
//! fan charts and one chart of the cumulative means, on date axes labelled by year. The
//! charts come first, below the settings, each on one printed page; the table follows on
//! a page of its own.
//! Percentiles do not add up over months, so the cumulative figures are means only.

use anyhow::Result;
use rust_xlsxwriter::{ChartAxisDateUnitType, ChartType, Worksheet};

use super::chart::{CHART_ROWS, Rows, SIZE, Series, band, line_chart};
use super::print::Page;
use super::{Formats, month_date, settings, verdict, verdict_block, write_header, write_opt};
use crate::results::{Results, RunResults};
use crate::stats::Summary;

/// The statistic a column of the chart table shows.
type Pick = fn(&Summary) -> f64;

/// The charts sheet of a run: the settings, the three charts (each on one printed page),
/// then from a new page the table they are drawn from.
pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &RunResults,
    f: &Formats,
    page: &mut Page,
) -> Result<()> {
    let next = verdict_block(
        ws,
        r.scenario.name(),
        &verdict(results),
        &settings(results),
        f,
    )?;
    // The charts come first; their table starts on the page after them.
    let charts_at = next;
    let note_row = charts_at + 3 * (CHART_ROWS + 1);
    let header_row = note_row + 1;
    let rows = Rows {
        header: header_row,
        first: header_row + 1,
        last: header_row + r.stats.months.len().max(1) as u32,
        categories: 0,
    };
    let fan = |title: &str, c0: u16, color: &str, light: &str| {
        let mut chart = line_chart(
            ChartType::Line,
            title,
            "$B per month",
            &rows,
            &band(c0 + 2, c0 + 1, c0, color, light),
        );
        by_year(&mut chart);
        chart
    };
    let device = fan(
        "Device P&L per month, $B: p05, p50, p95 across trials",
        1,
        "1F6EB4",
        "7FAEDB",
    );
    let net = fan(
        "Net, incremental, per month, $B: p05, p50, p95",
        4,
        "28963C",
        "8CC99A",
    );
    ws.write_string_with_format(
        note_row,
        0,
        "Per month, across trials, in $B. Cumulative: the running sum of monthly means (percentiles do not add up, so there is no cumulative p05/p95 per month; the horizon totals' percentiles are in summary).",
        &f.note,
    )?;
    let c0 = table(ws, header_row, r, f, page)?;
    let mut cum = line_chart(
        ChartType::Line,
        "Cumulative mean, $B",
        "cumulative $B",
        &rows,
        &[
            Series::solid(c0, "1F6EB4", 2.5),
            Series::solid(c0 + 1, "E27616", 2.5),
            Series::solid(c0 + 2, "28963C", 2.5),
        ],
    );
    by_year(&mut cum);
    let mut row = charts_at;
    for chart in [&device, &net, &cum] {
        row = page.chart(ws, row, chart, SIZE)?;
    }
    debug_assert!(row <= note_row);
    page.break_at(note_row);
    page.extend_to(rows.last);
    Ok(())
}

/// A date x axis labelled once a year.
fn by_year(chart: &mut rust_xlsxwriter::Chart) {
    chart
        .x_axis()
        .set_name("calendar month")
        .set_date_axis(true)
        .set_num_format("yyyy")
        .set_major_unit(1)
        .set_major_unit_date_type(ChartAxisDateUnitType::Years);
}

/// The chart table below `header_row`: months, seven percentile columns and three
/// cumulative means, in $B; returns the first cumulative column.
fn table(
    ws: &mut Worksheet,
    header_row: u32,
    r: &RunResults,
    f: &Formats,
    page: &mut Page,
) -> Result<u16> {
    let st = &r.stats;
    let l = &st.layout;
    let columns: [(&str, usize, Pick); 7] = [
        ("device P&L p05", l.device_pnl, |s| s.p05),
        ("device P&L p50", l.device_pnl, |s| s.p50),
        ("device P&L p95", l.device_pnl, |s| s.p95),
        ("net incremental p05", l.net_incremental, |s| s.p05),
        ("net incremental p50", l.net_incremental, |s| s.p50),
        ("net incremental p95", l.net_incremental, |s| s.p95),
        ("net claimed p50", l.net_claimed, |s| s.p50),
    ];
    let cumulative = [
        ("cumulative mean device P&L", l.device_pnl),
        ("cumulative mean net claimed", l.net_claimed),
        ("cumulative mean net incremental", l.net_incremental),
    ];
    let mut names = vec!["month".to_string()];
    names.extend(columns.iter().map(|c| format!("{} ($B)", c.0)));
    names.extend(cumulative.iter().map(|c| format!("{} ($B)", c.0)));
    write_header(ws, header_row, &names, f)?;
    let scale = |metric: usize| l.defs[metric].unit.scale();
    let start = r.scenario.start();
    let mut acc = [0.0f64; 3];
    for i in 0..st.months.len() {
        let row = header_row + 1 + i as u32;
        let at = |metric: usize| &st.monthly[i * l.len() + metric];
        ws.write_datetime_with_format(row, 0, month_date(start.plus(i as u32))?, &f.month)?;
        for (c, (_, metric, pick)) in columns.iter().enumerate() {
            let x = pick(at(*metric)) * scale(*metric);
            write_opt(ws, row, c as u16 + 1, x, &f.billions)?;
        }
        for (k, (_, metric)) in cumulative.iter().enumerate() {
            let x = at(*metric).mean;
            if x.is_finite() {
                acc[k] += x;
            }
            let col = (columns.len() + 1 + k) as u16;
            write_opt(ws, row, col, acc[k] * scale(*metric), &f.billions)?;
        }
    }
    for c in 1..names.len() {
        page.column(ws, c as u16, 15.0)?;
    }
    page.column(ws, 0, 26.0)?;
    Ok(columns.len() as u16 + 1)
}
