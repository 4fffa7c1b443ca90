//! The charts sheet of a sensitivity analysis: the settings with the metric, its mean in
//! the plain run and the number of uncertain parameters, then the parameters with the
//! largest swing (at most [`TOP_PARAMETERS`]; the tornado sheet has all) with the metric's
//! mean at each parameter's p10 and p90, the swing and its standard error in the metric's
//! unit, and the rank correlation; drawn below the table as horizontal bars, largest swing
//! on top, with ± one standard error as whiskers, on one printed page. The plot area
//! leaves room for the longest parameter name, so no label is cut off. Given data adds the
//! first-order indices of those parameters and of every group as bars with their 95%
//! intervals, and with `--by` the indices per period as a table coloured from white (0) to
//! red (1), a heat map.

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartAxisLabelPosition, ChartErrorBars, ChartErrorBarsType,
    ChartFont, ChartLayout, ChartRange, ChartType, ConditionalFormat2ColorScale,
    ConditionalFormatType, Worksheet,
};

use super::chart::{bounds, style};
use super::print::Page;
use super::{CHARTS, Formats, settings, settings_block, write_header, write_opt};
use crate::engine::Layout;
use crate::export::TOP_PARAMETERS;
use crate::results::{Results, SensitivityResults};
use crate::sensitivity::{Analysis, GroupKind, Index, Method, Row};

/// The charts sheet of a sensitivity analysis.
pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &SensitivityResults,
    f: &Formats,
    page: &mut Page,
) -> Result<()> {
    let a = &r.analysis;
    let layout = Layout::new(&r.scenario);
    let unit = layout
        .scalar(&a.metric)
        .with_context(|| format!("sensitivity of {}: no such metric", a.metric))?
        .unit;
    let (s, u) = (unit.scale(), unit.label());
    let mut rows = settings(results);
    rows.push(("Metric".into(), a.metric.clone()));
    rows.push((
        format!("Mean in the plain run ({u})"),
        crate::format::places(a.base_mean * s, 3),
    ));
    rows.push(("Uncertain parameters".into(), a.rows.len().to_string()));
    let next = settings_block(ws, r.scenario.name(), &rows, f)?;
    let shown = a.rows.len().min(TOP_PARAMETERS);
    ws.write_string_with_format(
        next,
        0,
        format!(
            "{}: the first {shown} parameters of the tornado sheet (which has all), in {u}. {}",
            a.metric,
            match a.method {
                Method::Swing => "Swing: the change in the mean between the parameter held at its p10 and at its p90.",
                Method::GivenData => "Mean at p10/p90: in the trials of the parameter's lowest/highest decile; swing: their difference. First-order index: share of the variance explained alone, with its 95% bootstrap interval (noise when it reaches 0).",
            }
        ),
        &f.note,
    )?;
    let header_row = next + 1;
    write_header(
        ws,
        header_row,
        &[
            "parameter".into(),
            format!("mean at p10 ({u})"),
            format!("mean at p90 ({u})"),
            format!("swing ({u})"),
            format!("swing s.e. ({u})"),
            "rank correlation".into(),
        ]
        .into_iter()
        .chain(
            (a.method == Method::GivenData)
                .then(|| {
                    [
                        "first-order index".to_string(),
                        "index 95% low".into(),
                        "index 95% high".into(),
                    ]
                })
                .into_iter()
                .flatten(),
        )
        .collect::<Vec<_>>(),
        f,
    )?;
    let mut swings = vec![0.0];
    let mut longest = 0;
    let ordered: Vec<&Row> = a.order().into_iter().map(|k| &a.rows[k]).collect();
    for (i, p) in ordered.into_iter().take(shown).enumerate() {
        let row = header_row + 1 + i as u32;
        ws.write_string(row, 0, crate::format::escape(&p.parameter))?;
        write_opt(ws, row, 1, p.mean_at_low * s, &f.billions)?;
        write_opt(ws, row, 2, p.mean_at_high * s, &f.billions)?;
        write_opt(ws, row, 3, p.swing * s, &f.billions)?;
        write_opt(ws, row, 4, p.swing_se * s, &f.billions)?;
        let rho = p.rank_correlation.unwrap_or(f64::NAN);
        write_opt(ws, row, 5, rho, &f.general)?;
        if let Some(index) = p.first_order {
            for (c, x) in [index.value, index.low, index.high].into_iter().enumerate() {
                write_opt(ws, row, 6 + c as u16, x, &f.general)?;
            }
        }
        swings.extend([
            p.swing * s,
            (p.swing + p.swing_se) * s,
            (p.swing - p.swing_se) * s,
        ]);
        longest = longest.max(crate::format::escape(&p.parameter).chars().count());
    }
    page.column(ws, 0, 30.0)?;
    for c in 1..9 {
        page.column(ws, c, 16.0)?;
    }
    if shown == 0 {
        return Ok(());
    }
    let (chart, size) = swing_chart(&a.metric, u, header_row, (shown as u32, longest), &swings);
    let next = page.chart(ws, header_row + shown as u32 + 2, &chart, size)?;
    if a.method == Method::GivenData {
        let next = shares(ws, a, next, f, page)?;
        heat_map(ws, a, next + 1, f, page)?;
    }
    Ok(())
}

/// Given data: the first-order indices of the parameters shown and of every group, with
/// the distances to their interval's ends, and a bar chart of them below on one printed
/// page; returns the next free row.
fn shares(ws: &mut Worksheet, a: &Analysis, at: u32, f: &Formats, page: &mut Page) -> Result<u32> {
    let mut bars: Vec<(String, Index)> = a
        .order()
        .into_iter()
        .take(TOP_PARAMETERS)
        .filter_map(|k| {
            a.rows[k]
                .first_order
                .map(|i| (a.rows[k].parameter.clone(), i))
        })
        .collect();
    bars.extend(a.groups.iter().filter_map(|g| {
        let kind = match g.kind {
            GroupKind::Table => "per-year table",
            GroupKind::Correlated => "correlated",
        };
        g.first_order.map(|i| (format!("{} ({kind})", g.name), i))
    }));
    if bars.is_empty() {
        return Ok(at);
    }
    ws.write_string_with_format(
        at,
        0,
        "First-order index: the share of the metric's variance a parameter explains alone, or a group (a per-year table's entries, a cluster of correlated parameters) together; whiskers: its 95% bootstrap interval. A member of a correlated cluster carries its partners' influence.",
        &f.note,
    )?;
    let header = at + 1;
    write_header(
        ws,
        header,
        &[
            "parameter or group".into(),
            "first-order index".into(),
            "to interval low".into(),
            "to interval high".into(),
        ],
        f,
    )?;
    for (k, (name, i)) in bars.iter().enumerate() {
        let row = header + 1 + k as u32;
        ws.write_string(row, 0, crate::format::escape(name))?;
        write_opt(ws, row, 1, i.value, &f.general)?;
        write_opt(ws, row, 2, i.value - i.low, &f.general)?;
        write_opt(ws, row, 3, i.high - i.value, &f.general)?;
    }
    let (first, last) = (header + 1, header + bars.len() as u32);
    let mut interval = ChartErrorBars::new();
    interval
        .set_type(ChartErrorBarsType::Custom(
            ChartRange::new_from_range(CHARTS, first, 3, last, 3),
            ChartRange::new_from_range(CHARTS, first, 2, last, 2),
        ))
        .set_end_cap(true);
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name((CHARTS, header, 1))
        .set_categories((CHARTS, first, 0, last, 0))
        .set_values((CHARTS, first, 1, last, 1))
        .set_x_error_bars(&interval);
    style(
        &mut chart,
        &format!("{}: first-order index (share of the variance)", a.metric),
        "parameter or group",
    );
    chart
        .x_axis()
        .set_name("first-order index")
        .set_label_position(ChartAxisLabelPosition::Low);
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(ChartAxisCrossing::Max);
    chart.legend().set_hidden();
    let size = (860, 140 + 24 * bars.len() as u32);
    chart.set_width(size.0).set_height(size.1);
    page.extend_to(last);
    page.chart(ws, last + 2, &chart, size)
}

/// Given data with `--by`: the first-order index of each parameter shown in each period,
/// coloured from white (0 or less) to red (1).
fn heat_map(ws: &mut Worksheet, a: &Analysis, at: u32, f: &Formats, page: &mut Page) -> Result<()> {
    let Some(b) = &a.by_period else {
        return Ok(());
    };
    let order: Vec<usize> = a.order().into_iter().take(TOP_PARAMETERS).collect();
    if order.is_empty() || b.periods.is_empty() {
        return Ok(());
    }
    ws.write_string_with_format(
        at,
        0,
        format!(
            "First-order index of each parameter on {} in each period (white 0, red 1); intervals in the sensitivity_by_period sheet.",
            b.metric
        ),
        &f.note,
    )?;
    let header = at + 1;
    let mut names = vec!["parameter".to_string()];
    names.extend(b.periods.iter().cloned());
    write_header(ws, header, &names, f)?;
    for (k, &i) in order.iter().enumerate() {
        let row = header + 1 + k as u32;
        ws.write_string(row, 0, crate::format::escape(&a.rows[i].parameter))?;
        for (p, period) in b.first_order.iter().enumerate() {
            if let Some(x) = period[i] {
                write_opt(ws, row, 1 + p as u16, x.value, &f.general)?;
            }
        }
    }
    let last_col = b.periods.len().min(16_383) as u16;
    let scale = ConditionalFormat2ColorScale::new()
        .set_minimum(ConditionalFormatType::Number, 0)
        .set_maximum(ConditionalFormatType::Number, 1)
        .set_minimum_color("#FFFFFF")
        .set_maximum_color("#C83232");
    let last = header + order.len() as u32;
    ws.add_conditional_format(header + 1, 1, last, last_col, &scale)?;
    page.extend_to(last);
    Ok(())
}

/// Horizontal bars of the swings in the `shown` rows below `header_row` (parameter names
/// up to `longest` characters), largest on top, with ± one standard error as whiskers; and
/// the chart's size in pixels.
fn swing_chart(
    metric: &str,
    unit: &str,
    header_row: u32,
    (shown, longest): (u32, usize),
    swings: &[f64],
) -> (Chart, (u32, u32)) {
    let (first, last) = (header_row + 1, header_row + shown);
    let mut se = ChartErrorBars::new();
    se.set_type(ChartErrorBarsType::Custom(
        ChartRange::new_from_range(CHARTS, first, 4, last, 4),
        ChartRange::new_from_range(CHARTS, first, 4, last, 4),
    ))
    .set_end_cap(true);
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name((CHARTS, header_row, 3))
        .set_categories((CHARTS, first, 0, last, 0))
        .set_values((CHARTS, first, 3, last, 3))
        .set_x_error_bars(&se);
    style(
        &mut chart,
        &format!("{metric}: swing by parameter, {unit} (whiskers: ± s.e.)"),
        "parameter",
    );
    // Bar charts swap the axes: x is the value axis, y the categories, listed top down with
    // the value axis below them.
    chart
        .x_axis()
        .set_name(&format!("swing, {unit}"))
        .set_label_position(ChartAxisLabelPosition::NextTo);
    let mut labels = ChartFont::new();
    labels.set_size(9);
    // The names at the plot's left edge, wherever the value axis crosses it.
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(ChartAxisCrossing::Max)
        .set_label_position(ChartAxisLabelPosition::Low)
        .set_font(&labels);
    chart.legend().set_hidden();
    if let Some((lo, hi)) = bounds(swings) {
        chart.x_axis().set_min(lo.min(0.0)).set_max(hi);
    }
    // Room for the names: about 7 pixels a character at 9 pt, beside a plot at least 560
    // pixels wide; 50 pixels above the bars for the title, 60 below for the axis.
    let label_px = 7.0 * longest as f64 + 20.0;
    let width = (label_px + 600.0).max(860.0);
    let height = f64::from(140 + 24 * shown);
    let (x, y) = (label_px / width, 50.0 / height);
    chart.plot_area().set_layout(
        &ChartLayout::new()
            .set_offset(x, y)
            .set_dimensions(1.0 - x - 20.0 / width, 1.0 - y - 60.0 / height),
    );
    let size = (width as u32, height as u32);
    chart.set_width(size.0).set_height(size.1);
    (chart, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_widen_the_chart_and_move_the_plot() {
        let (_, (w, h)) = swing_chart("m", "$B", 10, (4, 25), &[0.0, 1.0]);
        assert_eq!((w, h), (860, 236));
        let (_, (w, _)) = swing_chart("m", "$B", 10, (4, 60), &[0.0, 1.0]);
        assert_eq!(w, 1040, "a 60-character name gets 440 pixels");
    }
}
