//! The report of a `sensitivity` analysis: the settings with the metric and its mean, the
//! tornado chart (the metric's mean with each parameter held at its p10 and at its p90,
//! around the plain run's mean), every parameter's swing and rank correlation in a table,
//! and with `--by year|month` a heat map of the rank correlations period by period. Given
//! data adds a bar chart of the first-order indices with their 95% intervals (the groups
//! included) and, by period, a heat map of the indices.

use anyhow::Result;
use plotters::prelude::*;

use super::chart::{
    Area, Axis, BLUE, FONT, GREEN, INK, LABEL_SIZE, Layer, ORANGE, Plot, RED, Swatch, ZERO,
    draw_plot, legend, nice_axis, single, svg, text_width, top_down, top_down_axis, x_extent,
};
use super::page::Page;
use crate::engine::Layout;
use crate::engine::metrics::Unit;
use crate::export::TOP_PARAMETERS;
use crate::format::{fixed, grouped};
use crate::results::SensitivityResults;
use crate::scenario::YearMonth;
use crate::sensitivity::{Analysis, ByPeriod, GroupKind, Index, Method, Row};

/// Heat-map cells with no value (an undefined rank correlation).
const NO_VALUE: RGBColor = RGBColor(190, 190, 196);
/// Height of the colour scale above a heat map.
const SCALE_HEIGHT: u32 = 56;

/// The words of a method: what the low and high ends of a bar are.
fn ends(method: Method) -> [&'static str; 2] {
    match method {
        Method::Swing => ["parameter held at its p10", "parameter held at its p90"],
        Method::GivenData => [
            "trials in the parameter's lowest decile",
            "trials in the parameter's highest decile",
        ],
    }
}

/// "year" when every period is a year, else "month".
fn period_name(b: &ByPeriod) -> &'static str {
    if b.periods.iter().all(|p| YearMonth::parse(p).is_none()) {
        "year"
    } else {
        "month"
    }
}

pub(super) fn page(r: &SensitivityResults, settings: &[(String, String)]) -> Result<Page> {
    let a = &r.analysis;
    let layout = Layout::new(&r.scenario);
    let unit = layout.scalar(&a.metric).map_or(Unit::Count, |d| d.unit);
    let s = &r.scenario;
    let mut page = Page::new("sensitivity", s.name(), s.description().map(String::from));
    page.h2("Settings");
    let mut settings = settings.to_vec();
    settings.push(("Metric".into(), a.metric.clone()));
    settings.push((
        "Mean in the plain run".into(),
        format!("{} {}", fixed(a.base_mean * unit.scale(), 2), unit.label()),
    ));
    settings.push(("Uncertain parameters".into(), a.rows.len().to_string()));
    if let Some(b) = &a.by_period
        && let (Some(first), Some(last)) = (b.periods.first(), b.periods.last())
    {
        settings.push((
            format!("By {}", period_name(b)),
            format!("{} from {first} to {last}", b.metric),
        ));
    }
    page.kv(&settings);
    page.note(match a.method {
        Method::Swing => "Each uncertain parameter is held at its 10th and then at its 90th percentile (p10, p90); the swing is the change in the metric's mean between the two, with its Monte Carlo standard error.",
        Method::GivenData => "From the trials of the plain run alone. First-order index: the share of the metric's variance a parameter explains alone, the correlation ratio over equiprobable rank classes of the parameter (Plischke, Borgonovo & Smith, EJOR 226, 2013), bias-corrected (Kelley's epsilon-squared), with a 95% bootstrap interval; an index whose interval reaches 0 is noise. Swing: the change in the metric's mean between the trials in the parameter's lowest and highest deciles, with its standard error.",
    });
    if a.rows.is_empty() {
        page.note("tornado.csv lists no uncertain parameters.");
        return Ok(page);
    }
    let order = a.order();
    let rows: Vec<&Row> = order.iter().map(|&i| &a.rows[i]).collect();
    if a.method == Method::GivenData {
        shares(&mut page, a, &rows)?;
    }
    tornado(&mut page, a, &rows, unit)?;
    table(&mut page, a.method, &rows, unit);
    groups_table(&mut page, a);
    if let Some(b) = &a.by_period {
        // The parameters shown first, with one value per period.
        let shown = |value: &dyn Fn(usize, usize) -> f64| -> Vec<(&str, Vec<f64>)> {
            order
                .iter()
                .take(TOP_PARAMETERS)
                .map(|&i| {
                    let values = (0..b.periods.len()).map(|p| value(p, i)).collect();
                    (a.rows[i].parameter.as_str(), values)
                })
                .collect()
        };
        let period = period_name(b);
        // One heat map of the shown parameters by period, under its heading and caption.
        let mut heat = |values: Vec<(&str, Vec<f64>)>, scale, title: String, caption: String| {
            if let Some(svg) = heat_map(&b.periods, &values, scale)? {
                page.h2(&title);
                page.figure(svg, &caption);
            }
            anyhow::Ok(())
        };
        if a.method == Method::GivenData {
            heat(
                shown(&|p, i| {
                    b.first_order
                        .get(p)
                        .and_then(|period| period[i])
                        .map_or(f64::NAN, |x| x.value)
                }),
                Scale::Index,
                format!(
                    "Share of {} explained by each assumption in each {period}",
                    b.metric
                ),
                format!(
                    "The first-order index of each parameter on {} in each {period} (the share of that {period}'s variance across trials the parameter explains alone; white 0, dark red 1), for the parameters shown first in the table; their intervals are in sensitivity_by_period.csv.",
                    b.metric
                ),
            )?;
        }
        heat(
            shown(&|p, i| {
                b.rank_correlation
                    .get(p)
                    .and_then(|period| period[i])
                    .unwrap_or(f64::NAN)
            }),
            Scale::RankCorrelation,
            format!("Which assumption drives {} in each {period}", b.metric),
            format!(
                "Which assumption drives the result in each {period}: the rank correlation (Spearman) between each parameter's draws and {} in that {period} across trials, for the parameters shown first in the table (the first-order indices per {period} are in sensitivity_by_period.csv); red: trials with a higher value of the parameter tend to have a higher result, blue: a lower one, grey: undefined.",
                b.metric
            ),
        )?;
    }
    Ok(page)
}

/// Given data: the first-order indices of the parameters shown first and of every group,
/// as bars with their 95% intervals.
fn shares(page: &mut Page, a: &Analysis, rows: &[&Row]) -> Result<()> {
    let mut bars: Vec<(String, Index, bool)> = rows
        .iter()
        .take(TOP_PARAMETERS)
        .filter_map(|r| r.first_order.map(|i| (r.parameter.clone(), i, false)))
        .collect();
    bars.extend(a.groups.iter().filter_map(|g| {
        let kind = match g.kind {
            GroupKind::Table => "per-year table",
            GroupKind::Correlated => "correlated",
        };
        g.first_order
            .map(|i| (format!("{} ({kind})", g.name), i, true))
    }));
    let Some(svg) = share_chart(&bars, &a.metric)? else {
        return Ok(());
    };
    page.h2(&format!(
        "Share of the variance of {} each assumption explains",
        a.metric
    ));
    page.figure(
        svg,
        "First-order index of each parameter (blue: the share of the metric's variance it explains alone) and of each group (green: a per-year table's entries, or a cluster of correlated parameters, together), with its 95% bootstrap interval (whiskers); an interval reaching 0 is noise. A member of a correlated cluster carries its partners' influence in its own index. The parameters' indices add up to about 1 when they act additively.",
    );
    Ok(())
}

/// Horizontal bars of indices from 0, top down, with their intervals as whiskers; groups
/// in green after the parameters.
fn share_chart(bars: &[(String, Index, bool)], metric: &str) -> Result<Option<String>> {
    if bars.is_empty() {
        return Ok(None);
    }
    let n = bars.len();
    let rect = |i: usize, v: f64| {
        let y = top_down(i, n);
        [(v.min(0.0), y - 0.34), (v.max(0.0), y + 0.34)]
    };
    let bars_of = |group: bool, color| Layer::Rects {
        rects: bars
            .iter()
            .enumerate()
            .filter(|(_, b)| b.2 == group)
            .map(|(i, b)| rect(i, b.1.value))
            .collect(),
        color,
    };
    let layers = vec![
        bars_of(false, BLUE),
        bars_of(true, GREEN),
        Layer::HWhiskers {
            items: bars
                .iter()
                .enumerate()
                .map(|(i, b)| (top_down(i, n), b.1.low, b.1.high))
                .collect(),
            color: INK,
            cap: 0.2,
        },
        Layer::VRule {
            x: 0.0,
            color: INK,
            dashed: false,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let plot = Plot {
        title: None,
        x: nice_axis(
            lo.min(0.0),
            hi.max(0.0),
            8,
            &format!("first-order index on {metric} (share of its variance)"),
        ),
        y: top_down_axis(&labels, 0.1),
        layers,
        legend: vec![
            legend("a parameter alone", BLUE, Swatch::Box),
            legend("a group together", GREEN, Swatch::Box),
            legend("95% interval", INK, Swatch::Whisker),
        ],
        x_grid: true,
        y_zero: false,
    };
    let height = 130 + 34 * n as u32;
    Ok(Some(single(1100, height, &plot)?))
}

/// The tornado chart's section.
fn tornado(page: &mut Page, a: &Analysis, rows: &[&Row], unit: Unit) -> Result<()> {
    let metric = &a.metric;
    if let Some((svg, shown)) = tornado_chart(a, rows, unit)? {
        page.h2(&format!("What moves {metric} most"));
        let which = if shown == rows.len() {
            "each parameter".to_string()
        } else {
            match a.method {
                Method::Swing => format!("each of the {shown} parameters with the largest swing"),
                Method::GivenData => {
                    format!("each of the {shown} parameters shown first in the table")
                }
            }
        };
        let [low, high] = ends(a.method);
        page.figure(
            svg,
            &format!(
                "Which assumptions move the result most: for {which}, the bar runs from the mean of {metric} with the {low} to its mean with the {high}, around the mean of the plain run (vertical line)."
            ),
        );
    }
    Ok(())
}

/// Every parameter's row, in the analysis' order.
fn table(page: &mut Page, method: Method, rows: &[&Row], unit: Unit) {
    let (s, u) = (unit.scale(), unit.label());
    page.h2("All uncertain parameters");
    let at = match method {
        Method::Swing => ["mean at p10", "mean at p90"],
        Method::GivenData => ["mean in lowest decile", "mean in highest decile"],
    };
    let mut header = vec!["parameter".to_string()];
    if method == Method::GivenData {
        header.extend(["first-order index".into(), "95% interval".into()]);
    }
    header.extend([
        "p10".into(),
        "p90".into(),
        format!("{} {u}", at[0]),
        format!("{} {u}", at[1]),
        format!("swing {u}"),
        format!("swing s.e. {u}"),
        "rank correlation".into(),
    ]);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.parameter.clone()];
            if method == Method::GivenData {
                cells.extend(match r.first_order {
                    Some(i) => [
                        fixed(i.value, 3),
                        format!(
                            "{} to {}{}",
                            fixed(i.low, 3),
                            fixed(i.high, 3),
                            if i.distinguishable() { "" } else { " (noise)" }
                        ),
                    ],
                    None => ["–".into(), "–".into()],
                });
            }
            cells.extend([
                grouped(r.low),
                grouped(r.high),
                fixed(r.mean_at_low * s, 2),
                fixed(r.mean_at_high * s, 2),
                fixed(r.swing * s, 2),
                fixed(r.swing_se * s, 3),
                fixed(r.rank_correlation.unwrap_or(f64::NAN), 2),
            ]);
            cells
        })
        .collect();
    page.table(
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    page.note(match method {
        Method::Swing => "Largest swing first. Rank correlation: Spearman's, between the parameter's draws and the metric across the trials of the plain run (– where undefined).",
        Method::GivenData => "Drivers (index distinguishable from 0) first, by index; then the parameters whose interval reaches 0 (noise). p10, p90: the parameter's decile boundaries in the trials. Rank correlation: Spearman's, between the parameter's draws and the metric (– where undefined).",
    });
}

/// Given data: every group with its members and first-order index.
fn groups_table(page: &mut Page, a: &Analysis) {
    if a.groups.is_empty() {
        return;
    }
    page.h2("Groups of parameters");
    let rows: Vec<Vec<String>> = a
        .groups
        .iter()
        .map(|g| {
            let (index, interval) = match g.first_order {
                Some(i) => (
                    fixed(i.value, 3),
                    format!(
                        "{} to {}{}",
                        fixed(i.low, 3),
                        fixed(i.high, 3),
                        if i.distinguishable() { "" } else { " (noise)" }
                    ),
                ),
                None => ("–".into(), "–".into()),
            };
            let kind = match g.kind {
                GroupKind::Table => "per-year table",
                GroupKind::Correlated => "correlated",
            };
            vec![
                g.name.clone(),
                kind.into(),
                g.members.join(", "),
                index,
                interval,
            ]
        })
        .collect();
    page.table(
        &[
            "group",
            "tied by",
            "members",
            "first-order index",
            "95% interval",
        ],
        &rows,
    );
    page.note("A group's index is the share of the metric's variance its members explain together (their effects fitted jointly by regression on the members, bias-corrected; Li, Rabitz et al., J. Phys. Chem. A 114, 2010). A member of a correlated cluster carries its partners' influence in its own index: read the cluster's.");
}

/// Horizontal bars, largest swing at the top: from the metric's mean with the parameter at
/// its p10 and at its p90 to the plain run's mean (a vertical line), each side coloured by
/// the percentile it holds the parameter at. With the number of parameters shown.
fn tornado_chart(a: &Analysis, rows: &[&Row], unit: Unit) -> Result<Option<(String, usize)>> {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.mean_at_low.is_finite() && r.mean_at_high.is_finite())
        .take(TOP_PARAMETERS)
        .copied()
        .collect();
    if rows.is_empty() || !a.base_mean.is_finite() {
        return Ok(None);
    }
    let s = unit.scale();
    let base = a.base_mean * s;
    let n = rows.len();
    let bar = |i: usize, end: f64| {
        let y = top_down(i, n);
        [(base.min(end), y - 0.34), (base.max(end), y + 0.34)]
    };
    // Where both sides lie on one side of the base, the shorter bar is drawn over the longer.
    let p10_longer =
        |r: &Row| (r.mean_at_low - a.base_mean).abs() >= (r.mean_at_high - a.base_mean).abs();
    let p10_bars = |longer: bool| Layer::Rects {
        rects: rows
            .iter()
            .enumerate()
            .filter(|(_, r)| p10_longer(r) == longer)
            .map(|(i, r)| bar(i, r.mean_at_low * s))
            .collect(),
        color: BLUE,
    };
    let layers = vec![
        p10_bars(true),
        Layer::Rects {
            rects: rows
                .iter()
                .enumerate()
                .map(|(i, r)| bar(i, r.mean_at_high * s))
                .collect(),
            color: ORANGE,
        },
        p10_bars(false),
        Layer::VRule {
            x: base,
            color: INK,
            dashed: false,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let labels: Vec<String> = rows.iter().map(|r| r.parameter.clone()).collect();
    let plot = Plot {
        title: None,
        x: nice_axis(
            lo,
            hi,
            8,
            &format!("mean of {}, {}", a.metric, unit.label()),
        ),
        y: top_down_axis(&labels, 0.1),
        layers,
        legend: vec![
            legend(ends(a.method)[0], BLUE, Swatch::Box),
            legend(ends(a.method)[1], ORANGE, Swatch::Box),
            legend(
                &format!("mean of the plain run: {} {}", fixed(base, 2), unit.label()),
                INK,
                Swatch::Line,
            ),
        ],
        x_grid: true,
        y_zero: false,
    };
    let height = 130 + 34 * n as u32;
    Ok(Some((single(1100, height, &plot)?, n)))
}

/// The colour scale of a heat map.
#[derive(Clone, Copy)]
enum Scale {
    /// Rank correlations, [`diverging`] from −1 to +1.
    RankCorrelation,
    /// First-order indices, [`sequential`] from 0 to 1.
    Index,
}

impl Scale {
    fn colour(self, x: f64) -> RGBColor {
        match self {
            Scale::RankCorrelation => diverging(x),
            Scale::Index => sequential(x),
        }
    }
}

/// White (0 or less) to red (1); grey when undefined.
fn sequential(x: f64) -> RGBColor {
    if x.is_finite() {
        diverging(x.max(0.0))
    } else {
        NO_VALUE
    }
}

/// Blue (−1) through white (0) to red (+1); grey when undefined.
fn diverging(x: f64) -> RGBColor {
    if !x.is_finite() {
        return NO_VALUE;
    }
    let end = if x < 0.0 { BLUE } else { RED };
    let a = x.abs().min(1.0);
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * a).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// The x axis of a heat map, period j at j: every period labelled when the labels fit in
/// `width` pixels; else monthly periods get their year on 1 January (the left edge of the
/// January column), others every k-th label.
fn period_axis(periods: &[String], width: i32) -> Axis {
    let n = periods.len();
    let label = periods
        .iter()
        .map(|p| text_width(p, LABEL_SIZE))
        .max()
        .unwrap_or(0)
        + 16;
    let fit = (width / label.max(1)).max(1) as usize;
    let months: Option<Vec<YearMonth>> = periods.iter().map(|p| YearMonth::parse(p)).collect();
    let every = |stride: usize| -> Vec<(f64, String)> {
        periods
            .iter()
            .enumerate()
            .step_by(stride)
            .map(|(j, p)| (j as f64, p.clone()))
            .collect()
    };
    let ticks = match months {
        _ if n <= fit => every(1),
        Some(months) if months.iter().any(|m| m.month() == 1) => {
            let januaries: Vec<(f64, String)> = months
                .iter()
                .enumerate()
                .filter(|(_, m)| m.month() == 1)
                .map(|(j, m)| (j as f64 - 0.5, m.year().to_string()))
                .collect();
            let stride = januaries.len().div_ceil(fit).max(1);
            januaries.into_iter().step_by(stride).collect()
        }
        _ => every(n.div_ceil(fit)),
    };
    Axis {
        lo: -0.5,
        hi: n as f64 - 0.5,
        ticks,
        desc: String::new(),
    }
}

/// The colour scale of [`diverging`]: a bar from −1 to +1 with its ticks, and the grey of
/// an undefined cell.
fn draw_colour_scale(area: &Area<'_>, scale: Scale) -> Result<()> {
    let font = (FONT, 15.0).into_font().color(&INK);
    let (title, from) = match scale {
        Scale::RankCorrelation => ("rank correlation", -1.0),
        Scale::Index => ("first-order index", 0.0),
    };
    area.draw(&Text::new(title, (14, 12), font.clone()))?;
    let (x0, width, top) = (14 + text_width(title, 15.0) + 16, 320, 10);
    let steps = 64;
    for k in 0..steps {
        let v = from + (1.0 - from) * (f64::from(k) + 0.5) / f64::from(steps);
        let (a, b) = (x0 + k * width / steps, x0 + (k + 1) * width / steps);
        area.draw(&Rectangle::new(
            [(a, top), (b, top + 18)],
            scale.colour(v).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, top), (x0 + width, top + 18)],
        ZERO.stroke_width(1),
    ))?;
    let ticks: &[(f64, &str)] = match scale {
        Scale::RankCorrelation => &[
            (-1.0, "−1"),
            (-0.5, "−0.5"),
            (0.0, "0"),
            (0.5, "0.5"),
            (1.0, "1"),
        ],
        Scale::Index => &[
            (0.0, "0"),
            (0.25, "0.25"),
            (0.5, "0.5"),
            (0.75, "0.75"),
            (1.0, "1"),
        ],
    };
    for &(v, l) in ticks {
        let x = x0 + ((v - from) / (1.0 - from) * f64::from(width)).round() as i32;
        area.draw(&PathElement::new(
            vec![(x, top + 18), (x, top + 23)],
            ZERO.stroke_width(1),
        ))?;
        area.draw(&Text::new(
            l,
            (x - text_width(l, 15.0) / 2, top + 25),
            font.clone(),
        ))?;
    }
    let x = x0 + width + 40;
    area.draw(&Rectangle::new(
        [(x, top), (x + 24, top + 18)],
        NO_VALUE.filled(),
    ))?;
    area.draw(&Text::new("undefined", (x + 30, top + 1), font))?;
    Ok(())
}

/// Rows: `parameters` (top down) with their value in every period; columns: `periods`;
/// cells: the rank correlation on the [`diverging`] scale (or the index on the
/// [`sequential`] one), with the colour scale above.
fn heat_map(
    periods: &[String],
    parameters: &[(&str, Vec<f64>)],
    scale: Scale,
) -> Result<Option<String>> {
    if periods.is_empty() || parameters.is_empty() {
        return Ok(None);
    }
    let n = parameters.len();
    let cells = parameters
        .iter()
        .enumerate()
        .flat_map(|(i, (_, values))| {
            let y = top_down(i, n);
            values.iter().enumerate().map(move |(j, rho)| {
                let x = j as f64;
                ([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], scale.colour(*rho))
            })
        })
        .collect();
    let width = 1100;
    let labels = parameters
        .iter()
        .map(|(p, _)| text_width(p, LABEL_SIZE))
        .max()
        .unwrap_or(0);
    let names: Vec<String> = parameters.iter().map(|(p, _)| p.to_string()).collect();
    let plot = Plot {
        title: None,
        x: period_axis(periods, width - labels - 60),
        y: top_down_axis(&names, 0.0),
        layers: vec![Layer::Cells { cells }],
        legend: Vec::new(),
        x_grid: false,
        y_zero: false,
    };
    let height = SCALE_HEIGHT + 60 + 30 * n as u32;
    Ok(Some(svg(width as u32, height, |root| {
        let (scale_area, rest) = root.split_vertically(SCALE_HEIGHT);
        draw_colour_scale(&scale_area, scale)?;
        draw_plot(&rest, &plot)
    })?))
}
