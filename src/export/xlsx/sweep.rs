//! The charts sheet of a sweep: the settings with the varied keys and the number of
//! points, then the sweep curve over the horizon in $B against the first varied key, for
//! the net incremental and the device P&L. With one varied key each chart shows the mean
//! between p05 and p95 across trials; with more, one mean line per combination of the
//! other keys' values (the first ten). The x axis is numeric (a scatter chart) when every
//! value of the first key is a number, else a category axis (a line chart).

use anyhow::Result;
use rust_xlsxwriter::{Chart, ChartType, Worksheet};

use super::chart::{Rows, Series, band, fit_axes, line_chart};
use super::{Formats, settings, settings_block, write_header, write_opt};
use crate::format::escape;
use crate::results::table::Cell;
use crate::results::{Results, SweepResults};

/// The metrics charted, each with its line colour and the light colour of its band.
const METRICS: [(&str, &str, &str); 2] = [
    ("net_incremental", "28963C", "8CC99A"),
    ("device_pnl", "1F6EB4", "7FAEDB"),
];
/// Line colours of the combinations of the other keys.
const PALETTE: [&str; 10] = [
    "1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F", "BCBD22",
    "17BECF",
];
/// Most lines per chart with several varied keys.
const MAX_GROUPS: usize = 10;

/// The charts sheet of a sweep.
pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &SweepResults,
    f: &Formats,
) -> Result<()> {
    let mut rows = settings(results);
    let keys: Vec<&str> = r.axes.iter().map(|a| a.key.as_str()).collect();
    rows.push(("Varied".into(), keys.join(", ")));
    rows.push(("Points".into(), r.grid.len().to_string()));
    let next = settings_block(ws, r.scenario.name(), &rows, f)?;
    if r.axes.is_empty() || r.grid.is_empty() {
        return Ok(());
    }
    let groups = groups(r);
    ws.write_string_with_format(
        next,
        0,
        "Over the horizon, across trials, in $B, against the first varied key.",
        &f.note,
    )?;
    let points = &groups[0].1;
    let rows = Rows {
        header: next + 1,
        first: next + 2,
        last: next + 1 + points.len() as u32,
        categories: 0,
    };
    // The first key's values, as numbers when they all are.
    let x_cells: Vec<Cell> = points.iter().map(|&p| x_value(r, p)).collect();
    let xs: Vec<f64> = x_cells.iter().filter_map(number).collect();
    for (i, cell) in x_cells.iter().enumerate() {
        let row = rows.first + i as u32;
        match cell {
            Cell::Number(number) => ws.write_number(row, 0, *number)?,
            Cell::Text(s) => ws.write_string(row, 0, escape(s))?,
            _ => unreachable!("Cell::value gives a number or text"),
        };
    }
    let numeric = xs.len() == x_cells.len();
    let plot = Plot {
        x_key: &r.axes[0].key,
        rows: &rows,
        chart_type: if numeric {
            ChartType::ScatterStraightWithMarkers
        } else {
            ChartType::Line
        },
        xs: numeric.then_some(xs.as_slice()),
    };
    let mut names = vec![plot.x_key.to_string()];
    let charts = if groups.len() == 1 {
        bands(ws, r, points, &plot, &mut names, f)?
    } else {
        means(ws, r, &groups, &plot, &mut names, f)?
    };
    write_header(ws, rows.header, &names, f)?;
    for c in 1..names.len() {
        ws.set_column_width(c as u16, 16)?;
    }
    let chart_col = names.len() as u16 + 1;
    for (k, chart) in charts.iter().enumerate() {
        ws.insert_chart(k as u32 * 19, chart_col, chart)?;
    }
    ws.set_freeze_panes(rows.header + 1, 1)?;
    Ok(())
}

/// The points grouped by the values of the varied keys after the first (`key=value ...`),
/// in order of first appearance.
fn groups(r: &SweepResults) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (p, point) in r.grid.iter().enumerate() {
        let key = r.axes[1..]
            .iter()
            .zip(&point[1..])
            .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
            .collect::<Vec<_>>()
            .join(" ");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    groups
}

/// The first varied key's value at point `p`.
fn x_value(r: &SweepResults, p: usize) -> Cell {
    Cell::value(&r.axes[0].values[r.grid[p][0]])
}

fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Number(number) => Some(*number),
        _ => None,
    }
}

/// Where and how the charts plot: the first key, the rows of the chart table, the chart
/// type and, for a numeric x axis, the x values.
struct Plot<'a> {
    x_key: &'a str,
    rows: &'a Rows,
    chart_type: ChartType,
    xs: Option<&'a [f64]>,
}

impl Plot<'_> {
    /// A chart of `series` against the first key, its axes fitted to `ys`.
    fn chart(&self, title: &str, series: &[Series<'_>], ys: &[f64]) -> Chart {
        let mut chart = line_chart(
            self.chart_type,
            title,
            "$B over the horizon",
            self.rows,
            series,
        );
        chart.x_axis().set_name(escape(self.x_key).as_ref());
        fit_axes(&mut chart, self.xs, ys);
        chart
    }
}

/// One varied key: per metric, columns of the mean, p05 and p95 and a band chart of them.
fn bands(
    ws: &mut Worksheet,
    r: &SweepResults,
    points: &[usize],
    plot: &Plot<'_>,
    names: &mut Vec<String>,
    f: &Formats,
) -> Result<Vec<Chart>> {
    type Pick = fn(&crate::stats::Summary) -> f64;
    let stats: [(&str, Pick); 3] = [("mean", |s| s.mean), ("p05", |s| s.p05), ("p95", |s| s.p95)];
    let mut charts = Vec::new();
    for (metric, color, light) in METRICS {
        let c0 = names.len() as u16;
        let mut ys = Vec::new();
        for (s, pick) in stats {
            let c = names.len() as u16;
            names.push(format!("{metric} {s} ($B)"));
            let Some(j) = r.layout.scalar_index(metric) else {
                continue;
            };
            let scale = r.layout.scalars[j].unit.scale();
            for (i, &p) in points.iter().enumerate() {
                let x = pick(&r.points[p][j]) * scale;
                write_opt(ws, plot.rows.first + i as u32, c, x, &f.billions)?;
                ys.push(x);
            }
        }
        charts.push(plot.chart(
            &format!(
                "{metric}: mean, p05, p95 across trials ($B) vs {}",
                plot.x_key
            ),
            &band(c0 + 2, c0, c0 + 1, color, light),
            &ys,
        ));
    }
    Ok(charts)
}

/// Several varied keys: per metric, one column of means per group and a chart of them.
fn means(
    ws: &mut Worksheet,
    r: &SweepResults,
    groups: &[(String, Vec<usize>)],
    plot: &Plot<'_>,
    names: &mut Vec<String>,
    f: &Formats,
) -> Result<Vec<Chart>> {
    let shown = groups[0].1.len();
    let mut charts = Vec::new();
    for (metric, _, _) in METRICS {
        let Some(j) = r.layout.scalar_index(metric) else {
            continue;
        };
        let scale = r.layout.scalars[j].unit.scale();
        let mut series_cols = Vec::new();
        let mut ys = Vec::new();
        for (key, points) in groups.iter().take(MAX_GROUPS) {
            let c = names.len() as u16;
            names.push(format!("{metric} mean at {key} ($B)"));
            series_cols.push(c);
            for (i, &p) in points.iter().enumerate().take(shown) {
                let x = r.points[p][j].mean * scale;
                write_opt(ws, plot.rows.first + i as u32, c, x, &f.billions)?;
                ys.push(x);
            }
        }
        let series: Vec<Series<'_>> = series_cols
            .iter()
            .enumerate()
            .map(|(k, &c)| Series::solid(c, PALETTE[k % PALETTE.len()], 2.0))
            .collect();
        charts.push(plot.chart(
            &format!("{metric}: mean across trials ($B) vs {}", plot.x_key),
            &series,
            &ys,
        ));
    }
    Ok(charts)
}
