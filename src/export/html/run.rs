//! The report of a `run`: the verdict in words, the settings and horizon totals side by
//! side, then the device P&L and nets month by month (fan charts and their cumulative
//! means), the P&L and the downstream by year, what households ask the assistant, the paid
//! tier and adoption.
//!
//! The run's statistics are across trials per period, not per-trial paths, so a cumulative
//! percentile over months cannot be rebuilt from them (percentiles do not add up): the page
//! shows monthly fan charts (p05–p95 and p50 of each month) and the cumulative *mean* (the
//! sum of monthly means, exact because means add up), with the exact horizon p05–p95 at
//! its end.

use anyhow::Result;
use plotters::prelude::*;

use super::chart::{
    Axis, BLUE, GREEN, INK, Layer, ORANGE, PALETTE, PURPLE, Plot, RED, Swatch, category_axis,
    draw_legend, draw_plot, extent, fan, fit_y, legend, month_axis, month_x, nice_axis, single,
    svg, y_extent,
};
use super::page::Page;
use crate::engine::Layout;
use crate::engine::metrics::Unit;
use crate::export::key_figures;
use crate::format::{fixed_in_unit, percent, price};
use crate::results::{RunResults, RunStats};
use crate::scenario::{Scenario, YearMonth};
use crate::stats::Summary;

/// The statistics of a run with the positions of its months on a time axis.
struct Series<'a> {
    scenario: &'a Scenario,
    stats: &'a RunStats,
    months: Vec<YearMonth>,
    /// Per month: the fractional year of its middle.
    xs: Vec<f64>,
    /// The years, as labels.
    years: Vec<String>,
}

impl Series<'_> {
    fn layout(&self) -> &Layout {
        &self.stats.layout
    }

    /// A statistic of metric `metric` in every month.
    fn monthly(&self, metric: usize, f: fn(&Summary) -> f64) -> Vec<f64> {
        self.stats.monthly_of(metric).map(f).collect()
    }

    /// The p05, p50 and p95 of metric `metric` in every month.
    fn fan(&self, metric: usize) -> [Vec<f64>; 3] {
        [
            self.monthly(metric, |s| s.p05),
            self.monthly(metric, |s| s.p50),
            self.monthly(metric, |s| s.p95),
        ]
    }

    /// A statistic of metric `metric` in every year.
    fn yearly(&self, metric: usize, f: fn(&Summary) -> f64) -> Vec<f64> {
        self.stats.yearly_of(metric).map(f).collect()
    }

    /// The device P&L and the two nets, each with its colour.
    fn nets(&self) -> [(usize, RGBColor); 3] {
        let l = self.layout();
        [
            (l.device_pnl, BLUE),
            (l.net_claimed, ORANGE),
            (l.net_incremental, GREEN),
        ]
    }
}

pub(super) fn page(r: &RunResults, settings: &[(String, String)]) -> Result<Page> {
    let s = &r.scenario;
    let months: Vec<YearMonth> = (0..s.months()).map(|m| s.start().plus(m)).collect();
    let series = Series {
        scenario: s,
        stats: &r.stats,
        xs: months.iter().map(|m| month_x(*m)).collect(),
        months,
        years: r.stats.years.iter().map(|y| y.to_string()).collect(),
    };
    let mut page = Page::new("run", s.name(), s.description().map(String::from));
    let verdict = crate::export::verdict::run(r);
    if !verdict.is_empty() {
        page.note(&verdict);
    }
    page.raw("<div class=\"cols\"><div>");
    page.h2("Settings");
    page.kv(settings);
    page.raw("</div><div>");
    horizon_totals(&mut page, &r.stats);
    page.raw("</div></div>\n");
    month_by_month(&mut page, &series)?;
    by_year(&mut page, &series)?;
    activity(&mut page, &series)?;
    Ok(page)
}

/// The table of the key figures over the horizon.
fn horizon_totals(page: &mut Page, st: &RunStats) {
    page.h2("Horizon totals");
    let rows: Vec<Vec<String>> = key_figures(&st.layout)
        .filter_map(|def| {
            let s = st.scalar(&def.name)?;
            let cell = |x: f64| {
                if def.unit == Unit::Months && !x.is_finite() {
                    "never".to_string()
                } else {
                    fixed_in_unit(x, def.unit)
                }
            };
            Some(vec![
                def.label.clone(),
                def.unit.column_label().to_string(),
                cell(s.p05),
                cell(s.p50),
                cell(s.p95),
                cell(s.mean),
            ])
        })
        .collect();
    page.table(
        &["horizon total", "unit", "p05", "p50", "p95", "mean"],
        &rows,
    );
    page.note("Levels (households, subscribers): the last month. Breakeven: months from the start (0 = the first month); \"never\": later than any simulated month.");
}

fn month_by_month(page: &mut Page, m: &Series) -> Result<()> {
    page.h2("Device P&L and net, month by month");
    page.figure(
        fan_trio(m)?,
        "Per month: the band spans p05–p95 across trials, the line is the p50. Net = device P&L + downstream margin, as a \"downstream impact\" metric claims it and as the devices really caused it (incremental).",
    );
    page.h3("Cumulative");
    page.figure(
        cumulative_chart(m)?,
        "Cumulative mean: the running sum of monthly means (exact for the mean). Cumulative percentiles cannot be added up from monthly percentiles, so the only cumulative spread shown is the horizon total's p05–p95 (whiskers, with its p50 as a dot) from summary.csv.",
    );
    Ok(())
}

fn by_year(page: &mut Page, y: &Series) -> Result<()> {
    page.h2("By year");
    if let Some(svg) = yearly_components(y)? {
        page.figure(
            svg,
            "Device P&L by year, mean across trials, split into its components: costs below zero, revenues above; the dot is the device P&L (their sum). Plan revenue counts here only for plans with in_device_pnl = true; the rest of the downstream is in the next chart.",
        );
    }
    page.figure(
        yearly_downstream(y)?,
        "Downstream margin by year, mean across trials: what a \"downstream impact\" metric credits to the devices (claimed) against what the devices really caused (incremental).",
    );
    page.table(
        &[
            "year (p50)",
            "units M",
            "device P&L $B",
            "claimed $B",
            "incremental $B",
            "net incr. $B",
        ],
        &yearly_table(y),
    );
    Ok(())
}

/// What households ask, the paid tier and adoption.
fn activity(page: &mut Page, m: &Series) -> Result<()> {
    let l = m.layout();
    let s = m.scenario;
    if let Some(svg) = intent_mix(m)? {
        page.h2("What households ask the assistant");
        page.figure(
            svg,
            "Share of interactions by intent per month: each intent's mean interactions over the mean total (means add up, so the shares sum to 100%). The legend gives each intent's share in the last month.",
        );
    }
    let premium_seen = m
        .stats
        .monthly_of(l.premium_subscribers)
        .any(|x| x.p95 > 0.0);
    if s.has_premium() || premium_seen {
        let svg = fan_single(
            m,
            l.premium_subscribers,
            "Premium subscribers (M)",
            PURPLE,
            s.premium_launch(),
        )?;
        page.h2("Paid tier");
        let tier = s
            .premium_price()
            .and_then(|p| p.fixed())
            .map(|p| format!(" (tier at ${}/month)", price(p)))
            .unwrap_or_default();
        page.figure(
            svg,
            &format!("Premium subscribers{tier}, month by month: p05–p95 band and p50 line across trials."),
        );
    }
    let svg = fan_single(m, l.active_households, "Active households (M)", BLUE, None)?;
    page.h2("Adoption");
    page.figure(
        svg,
        "Households with an active device per month: p05–p95 band and p50 line across trials.",
    );
    Ok(())
}

/// Monthly fan charts of device P&L, net claimed and net incremental on one y scale.
fn fan_trio(m: &Series) -> Result<String> {
    let l = m.layout();
    let mut plots: Vec<Plot> = m
        .nets()
        .into_iter()
        .map(|(metric, color)| {
            let def = &l.defs[metric];
            let [lo, mid, hi] = m.fan(metric);
            Plot {
                title: Some(def.label.clone()),
                x: month_axis(&m.months, 0.0),
                y: nice_axis(0.0, 1.0, 6, ""),
                layers: fan(m.xs.clone(), [&lo, &mid, &hi], def.unit.scale(), color, 2).into(),
                legend: Vec::new(),
                x_grid: true,
                y_zero: true,
            }
        })
        .collect();
    let mut all = Vec::new();
    for p in &plots {
        for l in &p.layers {
            l.ys(&mut all);
        }
    }
    let (lo, hi) = extent(&all);
    let y = nice_axis(lo, hi, 7, "$B per month");
    for (k, p) in plots.iter_mut().enumerate() {
        p.y = y.clone();
        if k > 0 {
            p.y.desc.clear();
        }
    }
    let n = plots.len();
    svg(1100, 420, |root| {
        let items = vec![
            legend("p05–p95 across trials", INK, Swatch::Band),
            legend("p50", INK, Swatch::Line),
        ];
        let h = draw_legend(root, &items, 6)?;
        let (_, rest) = root.split_vertically(h + 4);
        for (area, p) in rest.split_evenly((1, n)).iter().zip(&plots) {
            draw_plot(area, p)?;
        }
        Ok(())
    })
}

/// Cumulative means of device P&L and nets, with the horizon p05–p95 at the end.
fn cumulative_chart(m: &Series) -> Result<String> {
    let l = m.layout();
    let mut layers = Vec::new();
    let mut items = Vec::new();
    let last = m.xs.last().copied().unwrap_or(0.0);
    for (k, (metric, color)) in m.nets().into_iter().enumerate() {
        let def = &l.defs[metric];
        let s = def.unit.scale();
        let mut acc = 0.0;
        let cum: Vec<f64> = m
            .monthly(metric, |x| x.mean)
            .iter()
            .map(|x| {
                acc += x;
                acc * s
            })
            .collect();
        layers.push(Layer::Line {
            xs: m.xs.clone(),
            ys: cum,
            color,
            width: 3,
            dashed: false,
        });
        items.push(legend(
            &format!("{} (cumulative mean)", def.label),
            color,
            Swatch::Line,
        ));
        if let Some(h) = m.stats.scalar(&def.name) {
            let x = last + 0.12 + 0.1 * k as f64;
            layers.push(Layer::VWhiskers {
                items: vec![(x, h.p05 * s, h.p95 * s)],
                color,
                cap: 0.035,
            });
            layers.push(Layer::Dots {
                pts: vec![(x, h.p50 * s)],
                color,
                size: 4,
            });
        }
    }
    items.push(legend(
        "horizon total p05–p95 (p50 dot)",
        INK,
        Swatch::Whisker,
    ));
    let plot = Plot {
        title: None,
        x: month_axis(&m.months, 0.42),
        y: fit_y(&layers, "cumulative $B"),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    single(1100, 440, &plot)
}

/// Year labels and positions.
fn year_axis(y: &Series) -> Axis {
    category_axis(&y.years, "")
}

/// The device P&L's components by year: label, sign and metric.
fn pnl_parts(y: &Series) -> Vec<(String, f64, usize)> {
    let l = y.layout();
    let mut parts: Vec<(String, f64, usize)> = [
        (l.hardware_subsidy, -1.0),
        (l.serving_cost, -1.0),
        (l.premium_serving_cost, -1.0),
        (l.fixed_cost, -1.0),
        (l.premium_revenue, 1.0),
    ]
    .into_iter()
    .map(|(metric, sign)| (l.defs[metric].label.clone(), sign, metric))
    .collect();
    let in_pnl: Vec<&str> = y.scenario.plans_in_device_pnl().collect();
    for (plan, &metric) in y.scenario.subscription_names().zip(&l.revenue) {
        if in_pnl.contains(&plan) {
            parts.push((format!("Plan revenue: {plan}"), 1.0, metric));
        }
    }
    parts
}

/// Stacked signed bars of the device P&L components per year, with the P&L as a dot.
fn yearly_components(y: &Series) -> Result<Option<String>> {
    let n = y.years.len();
    if n == 0 {
        return Ok(None);
    }
    let l = y.layout();
    let s = Unit::Dollars.scale();
    let mut pos = vec![0.0; n];
    let mut neg = vec![0.0; n];
    let mut layers = Vec::new();
    let mut items = Vec::new();
    let mut k = 0;
    for (label, sign, metric) in &pnl_parts(y) {
        let means = y.yearly(*metric, |s| s.mean);
        if means.iter().all(|v| !v.is_finite() || *v == 0.0) {
            continue;
        }
        let color = PALETTE[[3, 1, 4, 7, 2, 0, 9, 5, 6, 8][k % 10]];
        k += 1;
        let mut rects = Vec::new();
        for (i, v) in means.iter().enumerate() {
            let v = sign * v * s;
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let base = if v >= 0.0 { &mut pos[i] } else { &mut neg[i] };
            rects.push([(i as f64 - 0.34, *base), (i as f64 + 0.34, *base + v)]);
            *base += v;
        }
        layers.push(Layer::Rects { rects, color });
        items.push(legend(label, color, Swatch::Box));
    }
    let pnl = y.yearly(l.device_pnl, |s| s.mean);
    layers.push(Layer::Dots {
        pts: pnl
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v * s))
            .collect(),
        color: INK,
        size: 6,
    });
    items.push(legend("Device P&L (mean)", INK, Swatch::Dot));
    let mut all = Vec::new();
    for l in &layers {
        l.ys(&mut all);
    }
    all.push(0.0);
    let (lo, hi) = extent(&all);
    let plot = Plot {
        title: None,
        x: year_axis(y),
        y: nice_axis(lo, hi, 7, "$B per year"),
        layers,
        legend: items,
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 440, &plot)?))
}

/// Grouped bars of downstream claimed and incremental per year.
fn yearly_downstream(y: &Series) -> Result<String> {
    let l = y.layout();
    let s = Unit::Dollars.scale();
    let claimed = y.yearly(l.downstream_claimed, |s| s.mean);
    let incr = y.yearly(l.downstream_incremental, |s| s.mean);
    let bars = |v: &[f64], off: f64| -> Vec<[(f64, f64); 2]> {
        v.iter()
            .enumerate()
            .map(|(i, x)| [(i as f64 + off - 0.17, 0.0), (i as f64 + off + 0.17, x * s)])
            .collect()
    };
    let layers = vec![
        Layer::Rects {
            rects: bars(&claimed, -0.18),
            color: ORANGE,
        },
        Layer::Rects {
            rects: bars(&incr, 0.18),
            color: GREEN,
        },
    ];
    let mut all = vec![0.0];
    for l in &layers {
        l.ys(&mut all);
    }
    let (lo, hi) = extent(&all);
    let plot = Plot {
        title: None,
        x: year_axis(y),
        y: nice_axis(lo, hi, 6, "$B per year"),
        layers,
        legend: vec![
            legend("Downstream claimed", ORANGE, Swatch::Box),
            legend("Downstream incremental (really caused)", GREEN, Swatch::Box),
        ],
        x_grid: false,
        y_zero: true,
    };
    single(1100, 360, &plot)
}

/// Per year, the p50 of units sold, the device P&L, the downstream and the net.
fn yearly_table(y: &Series) -> Vec<Vec<String>> {
    let l = y.layout();
    let cols = [
        l.units_sold,
        l.device_pnl,
        l.downstream_claimed,
        l.downstream_incremental,
        l.net_incremental,
    ];
    let series: Vec<Vec<f64>> = cols.iter().map(|&c| y.yearly(c, |s| s.p50)).collect();
    y.years
        .iter()
        .enumerate()
        .map(|(i, year)| {
            let mut row = vec![year.clone()];
            for (&c, s) in cols.iter().zip(&series) {
                row.push(fixed_in_unit(s[i], l.defs[c].unit));
            }
            row
        })
        .collect()
}

/// Stacked shares of interactions by intent per month (from means).
fn intent_mix(m: &Series) -> Result<Option<String>> {
    let l = m.layout();
    if l.interactions_by_intent.is_empty() {
        return Ok(None);
    }
    let n = m.months.len();
    let means: Vec<Vec<f64>> = l
        .interactions_by_intent
        .iter()
        .map(|&k| m.monthly(k, |s| s.mean))
        .collect();
    let total: Vec<f64> = (0..n)
        .map(|i| {
            means
                .iter()
                .map(|v| v[i].max(0.0))
                .filter(|v| v.is_finite())
                .sum()
        })
        .collect();
    let mut base = vec![0.0; n];
    let mut layers = Vec::new();
    let mut items = Vec::new();
    for (k, (name, v)) in m.scenario.intent_names().zip(&means).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let lo = base.clone();
        for i in 0..n {
            if total[i] > 0.0 && v[i].is_finite() {
                base[i] += 100.0 * v[i].max(0.0) / total[i];
            }
        }
        let hi: Vec<f64> = (0..n)
            .map(|i| if total[i] > 0.0 { base[i] } else { f64::NAN })
            .collect();
        layers.push(Layer::Band {
            xs: m.xs.clone(),
            lo,
            hi,
            color,
            alpha: 0.85,
        });
        let share = (0..n)
            .filter(|&i| total[i] > 0.0 && v[i].is_finite())
            .map(|i| v[i] / total[i])
            .next_back()
            .unwrap_or(f64::NAN);
        items.push(legend(
            &format!("{} ({})", name.replace('_', " "), percent(share)),
            color,
            Swatch::Box,
        ));
    }
    let plot = Plot {
        title: None,
        x: month_axis(&m.months, 0.0),
        y: Axis {
            lo: 0.0,
            hi: 100.0,
            ticks: (0..=5)
                .map(|i| (i as f64 * 20.0, format!("{}%", i * 20)))
                .collect(),
            desc: "share of interactions".into(),
        },
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    Ok(Some(single(1100, 420, &plot)?))
}

/// One fan chart (p05–p95 band, p50 line) of a metric, with an optional launch rule.
fn fan_single(
    m: &Series,
    metric: usize,
    y_desc: &str,
    color: RGBColor,
    launch: Option<YearMonth>,
) -> Result<String> {
    let [lo, mid, hi] = m.fan(metric);
    let s = m.layout().defs[metric].unit.scale();
    let mut layers: Vec<Layer> = fan(m.xs.clone(), [&lo, &mid, &hi], s, color, 3).into();
    let mut items = vec![
        legend("p05–p95 across trials", color, Swatch::Band),
        legend("p50", color, Swatch::Line),
    ];
    if let Some(l) = launch {
        layers.push(Layer::VRule {
            x: month_x(l) - 0.5 / 12.0,
            color: RED,
            dashed: true,
        });
        items.push(legend(&format!("launch {l}"), RED, Swatch::Dashed));
    }
    let (a, b) = y_extent(&layers);
    let plot = Plot {
        title: None,
        x: month_axis(&m.months, 0.0),
        y: nice_axis(a.min(0.0), b, 6, y_desc),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    single(1100, 360, &plot)
}
