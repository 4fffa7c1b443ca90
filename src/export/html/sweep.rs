//! The report of a `sweep`: the settings with the varied values, the net incremental,
//! device P&L and net claimed over the horizon against the first varied value (mean with
//! the p05–p95 band, one line per combination of the other varied values, the best point
//! ringed), how often each point is the best (one varied key), and the best point of every
//! money metric.

use anyhow::Result;
use plotters::prelude::*;

use super::chart::{
    Axis, BLUE, GREEN, Layer, ORANGE, PALETTE, Plot, RED, Swatch, category_axis, extent, fit_y,
    legend, nice_axis, single, y_extent,
};
use super::page::Page;
use crate::engine::Layout;
use crate::export::{best_points, share_best};
use crate::format::{fixed, fixed_in_unit};
use crate::results::SweepResults;
use crate::stats::Summary;
use crate::sweep::Best;

/// Most lines in a sweep chart (combinations of the other varied values).
const MAX_LINES: usize = 10;

pub(super) fn page(r: &SweepResults, settings: &[(String, String)]) -> Result<Page> {
    let s = &r.scenario;
    let mut page = Page::new("sweep", s.name(), s.description().map(String::from));
    let verdict = crate::export::verdict::sweep(r);
    if !verdict.is_empty() {
        page.note(&verdict);
    }
    page.h2("Settings");
    let mut settings = settings.to_vec();
    for (k, axis) in r.axes.iter().enumerate() {
        let mut values: Vec<&str> = Vec::new();
        for p in 0..r.grid.len() {
            let v = value(r, p, k);
            if !values.contains(&v) {
                values.push(v);
            }
        }
        let shown = if values.len() > 8 {
            format!(
                "{}, {}, … , {} ({} values)",
                values[0],
                values[1],
                values[values.len() - 1],
                values.len()
            )
        } else {
            values.join(", ")
        };
        settings.push((format!("Varied: {}", axis.key), shown));
    }
    settings.push(("Points".into(), r.grid.len().to_string()));
    page.kv(&settings);
    page.note("Every point is the scenario with the varied values set, run on common random numbers (the same trials at every point).");
    curves(&mut page, r)?;
    best_table(&mut page, r);
    if let Some(d) = &r.decision {
        super::compare::decision_section(&mut page, d, &r.layout)?;
    }
    Ok(page)
}

/// The value of axis `axis` at point `point`.
fn value(r: &SweepResults, point: usize, axis: usize) -> &str {
    &r.axes[axis].values[r.grid[point][axis]]
}

/// `key = value, ...` of a point's values on the axes from `from` on.
fn label_from(r: &SweepResults, point: usize, from: usize) -> String {
    (from..r.axes.len())
        .map(|k| format!("{} = {}", r.axes[k].key, value(r, point, k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `key = value, ...` of a point.
fn label(r: &SweepResults, point: usize) -> String {
    label_from(r, point, 0)
}

/// The scalar of a metric's horizon value.
fn horizon(layout: &Layout, metric: usize) -> usize {
    layout
        .scalars
        .iter()
        .position(|d| d.metric == Some(metric))
        .expect("every metric has its horizon value")
}

/// The statistics of scalar `j` at every point.
fn stats(r: &SweepResults, j: usize) -> Vec<&Summary> {
    r.points.iter().map(|p| &p[j]).collect()
}

/// The best point of a scalar by mean, if it depends on the varied values at all.
fn best_of<'a>(r: &'a SweepResults, scalar: &str) -> Option<&'a Best> {
    r.best.iter().find(|b| b.metric == scalar)
}

/// The curves of the nets and the device P&L, and how often each point is the best.
fn curves(page: &mut Page, r: &SweepResults) -> Result<()> {
    let l = &r.layout;
    for (metric, color) in [
        (l.net_incremental, GREEN),
        (l.device_pnl, BLUE),
        (l.net_claimed, ORANGE),
    ] {
        let j = horizon(l, metric);
        let def = &l.scalars[j];
        let best = best_of(r, &def.name).map_or(&[][..], |b| &b.points);
        let title = &l.defs[metric].label;
        page.h2(&format!("{title} against the varied value"));
        page.figure(
            sweep_curve(r, j, best, color)?,
            &format!("{title} over the horizon ($B): mean across trials (line) with the p05–p95 band; the ringed point is the best by mean."),
        );
    }
    let net = &l.scalars[horizon(l, l.net_incremental)].name;
    if r.axes.len() == 1
        && let Some(b) = best_of(r, net)
        && let Some(shares) = &b.share_best
        && let Some(svg) = sweep_pbest(r, shares)?
    {
        page.h3("How sure: the share of trials in which each point is the best");
        page.figure(
            svg,
            "Net, incremental: per point, the share of trials in which it is the best point (trial by trial, on common random numbers; a trial in which several points tie for the best counts for none of them).",
        );
    }
    Ok(())
}

/// The table of the best point of every money scalar.
fn best_table(page: &mut Page, r: &SweepResults) {
    page.h2("Best point of each money metric");
    let mut rows = Vec::new();
    for b in &r.best {
        let Some(j) = r.layout.scalar_index(&b.metric) else {
            continue;
        };
        let unit = r.layout.scalars[j].unit;
        let stats = stats(r, j);
        let cells = |s: &Summary| [s.mean, s.p05, s.p95].map(|x| fixed_in_unit(x, unit));
        let point = best_points(&b.points, |k| label(r, k));
        let mut row = vec![
            b.metric.clone(),
            point.unwrap_or_else(|| "identical at every point".into()),
        ];
        row.extend(cells(stats[b.point().unwrap_or(0)]));
        row.push(share_best(b));
        rows.push(row);
    }
    page.table(
        &[
            "metric",
            "best point (by mean)",
            "mean $B",
            "p05 $B",
            "p95 $B",
            "P(best)",
        ],
        &rows,
    );
    page.note("P(best): the share of trials in which that point alone is the best (costs: the lowest); a trial in which several points tie for the best counts for none of them. same: the metric is identical at every point in every trial; tied: several points share the best.");
}

/// Positions of the first axis's values: numeric when all parse, else categories.
fn sweep_x(r: &SweepResults) -> (Vec<f64>, Axis) {
    let key = &r.axes[0].key;
    let values: Vec<&str> = (0..r.grid.len()).map(|p| value(r, p, 0)).collect();
    let nums: Vec<Option<f64>> = values
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    if nums.iter().all(Option::is_some) {
        let xs: Vec<f64> = nums.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
        let (lo, hi) = extent(&xs);
        let mut axis = nice_axis(lo, hi, 10, key);
        let pad = if hi > lo {
            (hi - lo) * 0.04
        } else {
            lo.abs().max(1.0) * 0.1
        };
        axis.lo = lo - pad;
        axis.hi = hi + pad;
        let (a, b) = (axis.lo, axis.hi);
        axis.ticks.retain(|(t, _)| *t >= a && *t <= b);
        (xs, axis)
    } else {
        let mut distinct: Vec<String> = Vec::new();
        for v in &values {
            if !distinct.iter().any(|d| d == v) {
                distinct.push(v.to_string());
            }
        }
        let xs = values
            .iter()
            .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0) as f64)
            .collect();
        (xs, category_axis(&distinct, key))
    }
}

/// The points grouped by the values of the axes after the first, in order of appearance.
fn groups(r: &SweepResults) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for i in 0..r.grid.len() {
        let key = label_from(r, i, 1);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups
}

/// Mean with p05–p95 band of scalar `j` against the first varied key (one line per
/// combination of the other keys), the best point marked.
fn sweep_curve(
    r: &SweepResults,
    j: usize,
    best: &[usize],
    single_color: RGBColor,
) -> Result<String> {
    let stats = stats(r, j);
    let s = r.layout.scalars[j].unit.scale();
    let (xs, x_axis) = sweep_x(r);
    let groups = groups(r);
    let mut layers = Vec::new();
    let mut items = Vec::new();
    for (g, (key, idx)) in groups.iter().take(MAX_LINES).enumerate() {
        let color = if groups.len() == 1 {
            single_color
        } else {
            PALETTE[g % PALETTE.len()]
        };
        let mut idx = idx.clone();
        idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
        let gx: Vec<f64> = idx.iter().map(|&i| xs[i]).collect();
        let pick =
            |f: fn(&Summary) -> f64| -> Vec<f64> { idx.iter().map(|&i| f(stats[i]) * s).collect() };
        layers.push(Layer::Band {
            xs: gx.clone(),
            lo: pick(|s| s.p05),
            hi: pick(|s| s.p95),
            color,
            alpha: if groups.len() == 1 { 0.22 } else { 0.08 },
        });
        layers.push(Layer::Line {
            xs: gx.clone(),
            ys: pick(|s| s.mean),
            color,
            width: 3,
            dashed: false,
        });
        layers.push(Layer::Dots {
            pts: gx
                .iter()
                .zip(pick(|s| s.mean))
                .map(|(x, y)| (*x, y))
                .collect(),
            color,
            size: 3,
        });
        let label = if key.is_empty() {
            "mean (line) and p05–p95 across trials (band)".to_string()
        } else {
            format!("mean at {key}")
        };
        items.push(legend(&label, color, Swatch::Line));
    }
    if let (Some(&b), Some(shown)) = (best.first(), best_points(best, |k| label(r, k))) {
        let pts: Vec<(f64, f64)> = best.iter().map(|&k| (xs[k], stats[k].mean * s)).collect();
        for (color, size) in [(RED, 8), (WHITE, 5), (RED, 3)] {
            layers.push(Layer::Dots {
                pts: pts.clone(),
                color,
                size,
            });
        }
        items.push(legend(
            &format!("best by mean: {shown} ({} $B)", fixed(stats[b].mean * s, 2)),
            RED,
            Swatch::Dot,
        ));
    }
    if groups.len() > MAX_LINES {
        items.push(legend(
            &format!("(first {MAX_LINES} of {} combinations shown)", groups.len()),
            WHITE,
            Swatch::Box,
        ));
    }
    let plot = Plot {
        title: None,
        x: x_axis,
        y: fit_y(&layers, "$B over the horizon"),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    single(1100, 420, &plot)
}

/// Bars of the share of trials in which each point is the best (one varied key).
fn sweep_pbest(r: &SweepResults, shares: &[f64]) -> Result<Option<String>> {
    if shares.iter().all(|s| !s.is_finite()) {
        return Ok(None);
    }
    let (xs, x_axis) = sweep_x(r);
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let gap = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let half = if gap.is_finite() { gap * 0.38 } else { 0.38 };
    let rects = xs
        .iter()
        .zip(shares)
        .map(|(x, s)| [(x - half, 0.0), (x + half, s * 100.0)])
        .collect();
    let layers = vec![Layer::Rects {
        rects,
        color: GREEN,
    }];
    let (_, hi) = y_extent(&layers);
    let mut y = nice_axis(0.0, hi.max(1.0), 5, "share of trials best");
    for t in &mut y.ticks {
        t.1.push('%');
    }
    let plot = Plot {
        title: None,
        x: x_axis,
        y,
        layers,
        legend: Vec::new(),
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 300, &plot)?))
}
