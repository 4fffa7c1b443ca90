//! The charts sheet of a sweep: the settings with the varied keys and the number of
//! points, then the sweep curve over the horizon in $B against the first varied key, for
//! the net incremental and the device P&L. With one varied key each chart shows the mean
//! between p05 and p95 across trials; with more, one mean line per combination of the
//! other keys' values (the first ten). The x axis is named after the first key with its
//! unit from the scenario-format reference (`premium.price_month ($/month)`) and has a
//! tick at each value of the grid: a numeric axis (a scatter chart) from the first to the
//! last value in steps of the grid's when the values are numbers evenly spaced in
//! increasing order (every k-th value when there are more than [`MAX_TICKS`]), else a
//! category axis (a line chart) labelled with every value. The charts come first, each on
//! one printed page; their table follows on a page of its own.

use anyhow::Result;
use rust_xlsxwriter::{Chart, ChartType, Worksheet};

use super::chart::{CHART_ROWS, Rows, SIZE, Series, band, fit_axes, line_chart};
use super::print::Page;
use super::{Formats, settings, verdict, verdict_block, write_header, write_opt};
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
/// Most labelled ticks on a numeric x axis.
const MAX_TICKS: usize = 12;

/// The charts sheet of a sweep.
pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &SweepResults,
    f: &Formats,
    page: &mut Page,
) -> Result<()> {
    let mut rows = settings(results);
    let keys: Vec<&str> = r.axes.iter().map(|a| a.key.as_str()).collect();
    rows.push(("Varied".into(), keys.join(", ")));
    rows.push(("Points".into(), r.grid.len().to_string()));
    let next = verdict_block(ws, r.scenario.name(), &verdict(results), &rows, f)?;
    if r.axes.is_empty() || r.grid.is_empty() {
        return Ok(());
    }
    let groups = groups(r);
    // The charts first, then the table on the page after them.
    let note_row = next + METRICS.len() as u32 * (CHART_ROWS + 1);
    ws.write_string_with_format(
        note_row,
        0,
        "Over the horizon, across trials, in $B, against the first varied key.",
        &f.note,
    )?;
    let points = &groups[0].1;
    let rows = Rows {
        header: note_row + 1,
        first: note_row + 2,
        last: note_row + 1 + points.len() as u32,
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
    let step = (xs.len() == x_cells.len())
        .then(|| even_step(&xs))
        .flatten();
    let plot = Plot {
        x_key: &r.axes[0].key,
        rows: &rows,
        chart_type: if step.is_some() {
            ChartType::ScatterStraightWithMarkers
        } else {
            ChartType::Line
        },
        xs: step.map(|step| (xs.as_slice(), step)),
    };
    let mut names = vec![plot.x_key.to_string()];
    let charts = if groups.len() == 1 {
        bands(ws, r, points, &plot, &mut names, f)?
    } else {
        means(ws, r, &groups, &plot, &mut names, f)?
    };
    write_header(ws, rows.header, &names, f)?;
    page.column(ws, 0, 26.0)?;
    for c in 1..names.len() {
        page.column(ws, c as u16, 16.0)?;
    }
    let mut row = next;
    for chart in &charts {
        row = page.chart(ws, row, chart, SIZE)?;
    }
    debug_assert!(row <= note_row);
    page.break_at(note_row);
    page.extend_to(rows.last);
    Ok(())
}

/// The step between numbers evenly spaced in increasing order (within 1e-9 of the span),
/// `None` for other values or fewer than two.
fn even_step(xs: &[f64]) -> Option<f64> {
    let (first, last) = (*xs.first()?, *xs.last()?);
    if xs.len() < 2 || last <= first {
        return None;
    }
    let step = (last - first) / (xs.len() - 1) as f64;
    let even = xs
        .iter()
        .enumerate()
        .all(|(i, &x)| (x - (first + step * i as f64)).abs() <= 1e-9 * (last - first));
    even.then_some(step)
}

/// The x axis's title: the varied key and, when the reference gives one, its unit.
fn axis_title(key: &str) -> String {
    let key = escape(key);
    match crate::scenario::units::unit_of(&key) {
        Some(unit) => format!("{key} ({unit})"),
        None => key.into_owned(),
    }
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
/// type and, for a numeric x axis, the x values and the grid's step.
struct Plot<'a> {
    x_key: &'a str,
    rows: &'a Rows,
    chart_type: ChartType,
    xs: Option<(&'a [f64], f64)>,
}

impl Plot<'_> {
    /// A chart of `series` against the first key, its axes fitted to `ys` and, on a
    /// numeric axis, a tick at every value of the grid (every k-th past [`MAX_TICKS`]).
    fn chart(&self, title: &str, series: &[Series<'_>], ys: &[f64]) -> Chart {
        let mut chart = line_chart(
            self.chart_type,
            title,
            "$B over the horizon",
            self.rows,
            series,
        );
        chart.x_axis().set_name(&axis_title(self.x_key));
        fit_axes(&mut chart, self.xs.map(|(xs, _)| xs), ys);
        if let Some((xs, step)) = self.xs {
            let every = xs.len().div_ceil(MAX_TICKS).max(1);
            chart
                .x_axis()
                .set_major_unit(step * every as f64)
                .set_num_format("General");
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_step_through_an_even_grid_only() {
        assert_eq!(even_step(&[2.0, 4.0, 6.0, 8.0, 10.0]), Some(2.0));
        assert_eq!(
            even_step(&[0.1, 0.2, 0.3]).map(|s| (s * 10.0).round()),
            Some(1.0)
        );
        assert_eq!(even_step(&[1.0, 2.0, 4.0]), None, "uneven: a category axis");
        assert_eq!(even_step(&[3.0, 2.0, 1.0]), None, "decreasing");
        assert_eq!(even_step(&[3.0]), None);
        assert_eq!(
            axis_title("premium.price_month"),
            "premium.price_month ($/month)"
        );
        assert_eq!(axis_title("premium.wtp_sigma"), "premium.wtp_sigma");
    }
}
