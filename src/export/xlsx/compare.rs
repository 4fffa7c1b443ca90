//! The charts sheet of a comparison: the base's settings and the scenarios compared, then
//! per scenario against the base a table of the paired per-trial differences of the money
//! key figures over the horizon in $B (mean, p05, p95, the error bar lengths and the share
//! of trials in which the scenario is better), drawn below it as columns with p05–p95
//! error bars, each chart on one printed page; then the same differences year by year for
//! the decision's metric and the device P&L (mean, p05, p95, P(better) per calendar year).

use std::path::Path;

use anyhow::Result;
use rust_xlsxwriter::{
    Chart, ChartErrorBars, ChartErrorBarsType, ChartRange, ChartType, Worksheet,
};

use super::chart::{fit_axes, style};
use super::print::Page;
use super::{CHARTS, Formats, settings, verdict, verdict_block, write_header, write_opt};
use crate::compare::Period;
use crate::export::{SAME, key_figures};
use crate::format::escape;
use crate::results::{CompareResults, Results};

/// The charts sheet of a comparison.
pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &CompareResults,
    f: &Formats,
    page: &mut Page,
) -> Result<()> {
    let mut rows = settings(results);
    for (i, name) in r.names.iter().enumerate() {
        let label = match i {
            0 => "Base".to_string(),
            _ => format!("Scenario {i}"),
        };
        rows.push((label, name.clone()));
    }
    let mut next = verdict_block(
        ws,
        "Comparison on common random numbers",
        &verdict(results),
        &rows,
        f,
    )?;
    for i in 1..r.names.len() {
        let (last, chart) = differences(ws, next, r, i, f)?;
        next = last + 2;
        if let Some(chart) = chart {
            next = page.chart(ws, next, &chart, CHART_SIZE)?;
        }
        if let Some(last) = by_year(ws, next, r, i, f)? {
            page.extend_to(last);
            next = last + 2;
        }
    }
    page.column(ws, 0, 30.0)?;
    // Six columns of the horizon's table; the year table has four per year figure.
    let columns = 1 + 4 * r.year_figures().len().max(2) as u16;
    for c in 1..columns.max(7) {
        page.column(ws, c, 14.0)?;
    }
    Ok(())
}

/// The size of a chart of differences, pixels.
const CHART_SIZE: (u32, u32) = (860, 400);

/// A scenario file's stem, for short chart titles.
fn stem(file: &str) -> &str {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
}

/// The table of scenario `i`'s differences to the base from row `next` and its chart
/// (none when no money key figure is in both); returns the table's last row and the chart.
fn differences(
    ws: &mut Worksheet,
    next: u32,
    r: &CompareResults,
    i: usize,
    f: &Formats,
) -> Result<(u32, Option<Chart>)> {
    let (base, other) = (&r.names[0], &r.names[i]);
    ws.write_string_with_format(
        next,
        0,
        escape(&format!(
            "{other} − {base}: paired difference per trial, $B over the horizon"
        )),
        &f.note,
    )?;
    let header_row = next + 1;
    let header = [
        "metric",
        "difference mean ($B)",
        "p05 ($B)",
        "p95 ($B)",
        "mean − p05",
        "p95 − mean",
        "P(better)",
    ];
    write_header(ws, header_row, &header.map(String::from), f)?;
    let mut last = header_row;
    let mut ys = vec![0.0];
    for def in key_figures(&r.layout).filter(|d| d.money()) {
        let Some(diff) = r.row(&def.name, Period::Horizon, i) else {
            continue;
        };
        last += 1;
        let s = def.unit.scale();
        let (d, lo, hi) = (diff.diff.mean * s, diff.diff.p05 * s, diff.diff.p95 * s);
        ws.write_string(last, 0, escape(&def.label))?;
        write_opt(ws, last, 1, d, &f.billions)?;
        write_opt(ws, last, 2, lo, &f.billions)?;
        write_opt(ws, last, 3, hi, &f.billions)?;
        write_opt(ws, last, 4, (d - lo).max(0.0), &f.billions)?;
        write_opt(ws, last, 5, (hi - d).max(0.0), &f.billions)?;
        match diff.share_better {
            Some(share) => write_opt(ws, last, 6, share, &f.percent)?,
            None => {
                ws.write_string(last, 6, SAME)?;
            }
        }
        ys.extend([d, lo, hi]);
    }
    if last == header_row {
        return Ok((last, None));
    }
    let mut chart = Chart::new(ChartType::Column);
    let mut bars = ChartErrorBars::new();
    bars.set_type(ChartErrorBarsType::Custom(
        ChartRange::new_from_range(CHARTS, header_row + 1, 5, last, 5),
        ChartRange::new_from_range(CHARTS, header_row + 1, 4, last, 4),
    ))
    .set_end_cap(true);
    chart
        .add_series()
        .set_name("mean difference (whiskers: p05–p95)")
        .set_categories((CHARTS, header_row + 1, 0, last, 0))
        .set_values((CHARTS, header_row + 1, 1, last, 1))
        .set_y_error_bars(&bars);
    style(
        &mut chart,
        &format!("{} − {}, $B", stem(other), stem(base)),
        "$B over the horizon",
    );
    chart
        .x_axis()
        .set_name("key figure (money, over the horizon)");
    fit_axes(&mut chart, None, &ys);
    chart.set_width(CHART_SIZE.0).set_height(CHART_SIZE.1);
    Ok((last, Some(chart)))
}

/// The table of scenario `i`'s differences to the base year by year from row `next`: per
/// calendar year, for each of the comparison's year figures
/// ([`CompareResults::year_figures`]), the mean paired difference, its p05 and p95 in the
/// figure's unit as people read it, and P(better); returns its last row (none without
/// years).
fn by_year(
    ws: &mut Worksheet,
    next: u32,
    r: &CompareResults,
    i: usize,
    f: &Formats,
) -> Result<Option<u32>> {
    let figures = r.year_figures();
    if r.years.is_empty() || figures.is_empty() {
        return Ok(None);
    }
    let (base, other) = (&r.names[0], &r.names[i]);
    ws.write_string_with_format(
        next,
        0,
        escape(&format!(
            "{other} − {base}: paired difference per trial, year by year"
        )),
        &f.note,
    )?;
    // The figures' names over their four columns, then the columns.
    let mut header = vec!["year".to_string()];
    for (j, def) in figures.iter().enumerate() {
        let unit = def.unit.label();
        ws.write_string_with_format(next + 1, 1 + 4 * j as u16, escape(&def.label), &f.header)?;
        header.extend([
            format!("mean ({unit})"),
            format!("p05 ({unit})"),
            format!("p95 ({unit})"),
            "P(better)".to_string(),
        ]);
    }
    write_header(ws, next + 2, &header, f)?;
    let mut row = next + 2;
    for &year in &r.years {
        row += 1;
        ws.write_number(row, 0, f64::from(year))?;
        for (j, def) in figures.iter().enumerate() {
            let c = 1 + 4 * j as u16;
            let Some(x) = r.row(&def.name, Period::Year(year), i) else {
                continue;
            };
            let s = def.unit.scale();
            for (k, v) in [x.diff.mean, x.diff.p05, x.diff.p95]
                .into_iter()
                .enumerate()
            {
                write_opt(ws, row, c + k as u16, v * s, &f.billions)?;
            }
            match x.share_better {
                Some(share) => write_opt(ws, row, c + 3, share, &f.percent)?,
                None => {
                    ws.write_string(row, c + 3, SAME)?;
                }
            }
        }
    }
    Ok(Some(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Row;
    use crate::job::{Control, Input, Job, Settings, execute};

    #[test]
    fn a_file_compared_with_itself_has_its_own_rows() {
        let input = |name: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(name);
            Input::read(&path).unwrap()
        };
        let job = Job::compare(
            vec![
                input("premium_5usd_2024.toml"),
                input("status_quo_2022_2028.toml"),
                input("premium_5usd_2024.toml"),
            ],
            Settings {
                households: Some(300),
                trials: Some(3),
                ..Settings::default()
            },
        );
        let Results::Compare(r) = execute(&job, &Control::none()).unwrap() else {
            unreachable!("a compare job gives compare results")
        };
        let row = |metric: &str, period: Period, i: usize| r.row(metric, period, i);
        let of = |i: usize| row("device_pnl", Period::Horizon, i).unwrap() as *const Row;
        assert_ne!(of(0), of(2), "the third scenario's row, not the base's");
        assert_eq!(
            row("device_pnl", Period::Horizon, 2).unwrap().diff.mean,
            0.0
        );
        assert!(row("no_such_metric", Period::Horizon, 1).is_none());
        // The same in a year: the third scenario's own row, the same as the base's.
        let year = Period::Year(2026);
        let (base, third) = (
            row("device_pnl", year, 0).unwrap(),
            row("device_pnl", year, 2).unwrap(),
        );
        assert!(!std::ptr::eq(base, third));
        assert_eq!((third.period, third.diff.mean), (year, 0.0));
        assert!(row("device_pnl", Period::Year(1999), 1).is_none());
    }
}
