//! The report of a `compare`: the settings with every scenario, then per scenario against
//! the base the paired differences of the key figures (mean and p05–p95 across trials, money
//! and counts in separate charts) and a table with the share of trials in which the
//! scenario beats the base, then year by year the paired differences of the decision's
//! metric and the device P&L (a chart per unit and a table).

use std::collections::HashMap;

use anyhow::Result;

use super::chart::{
    BLUE, Layer, PALETTE, Plot, Swatch, ZERO, category_axis, extent, legend, nice_axis, single,
    top_down, top_down_axis, x_extent,
};
use super::page::Page;
use crate::compare::{Period, Row};
use crate::engine::metrics::{MetricDef, ScalarDef, Unit};
use crate::export::{key_figures, nonzero, share_better};
use crate::format::fixed_in_unit;
use crate::results::CompareResults;

/// The rows of a comparison by (scalar, scenario index): the files may name one scenario
/// twice (a file compared with itself), so rows are matched to scenarios in order.
fn index(r: &CompareResults) -> HashMap<(&str, usize), &Row> {
    let mut out = HashMap::new();
    let mut next: HashMap<&str, usize> = HashMap::new();
    for row in &r.rows {
        let from = next.get(row.metric.as_str()).copied().unwrap_or(0);
        if let Some(i) = (from..r.names.len()).find(|&i| r.names[i] == row.scenario) {
            out.insert((row.metric.as_str(), i), row);
            next.insert(row.metric.as_str(), i + 1);
        }
    }
    out
}

pub(super) fn page(r: &CompareResults, settings: &[(String, String)]) -> Result<Page> {
    let name = |i: usize| r.scenarios[i].name();
    let title = format!(
        "{} vs {}",
        name(0),
        (1..r.scenarios.len())
            .map(name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut page = Page::new("compare", &title, None);
    let verdict = crate::export::verdict::compare(r);
    if !verdict.is_empty() {
        page.note(&verdict);
    }
    page.h2("Settings");
    let mut settings = settings.to_vec();
    for (i, file) in r.names.iter().enumerate() {
        let role = if i == 0 { "Base" } else { "Scenario" };
        settings.push((format!("{role} {i}"), format!("{} ({file})", name(i))));
    }
    page.kv(&settings);
    page.note("All scenarios run with the base's seed, households and trials on common random numbers, so trial t of each shares every draw they have in common: the paired per-trial difference is the effect of what differs, not sampling noise.");
    let rows = index(r);
    for i in 1..r.scenarios.len() {
        page.h2(&format!("{} − {}", name(i), name(0)));
        differences(&mut page, r, &rows, i)?;
    }
    if let Some(d) = &r.decision {
        decision_section(&mut page, d, &r.layout)?;
    }
    Ok(page)
}

/// The decision view (per option: expected value, P(best), expected regret, the choice)
/// and the value of information as bars of EVPPI with their 95% intervals (± 1.96
/// bootstrap standard errors), the EVPI first; shared by the compare and sweep pages.
pub(super) fn decision_section(
    page: &mut Page,
    d: &crate::decision::Decision,
    layout: &crate::engine::Layout,
) -> Result<()> {
    let Some(def) = layout.scalar(&d.metric) else {
        return Ok(());
    };
    let u = def.unit;
    page.h2(&format!("Decision on {}", def.label));
    let rows: Vec<Vec<String>> = d
        .options
        .iter()
        .map(|o| {
            vec![
                o.option.clone(),
                fixed_in_unit(o.expected_value, u),
                crate::format::percent(o.p_best),
                fixed_in_unit(o.expected_regret, u),
                if o.chosen {
                    "chosen".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    page.table(
        &["option", "expected value", "P(best)", "expected regret", ""],
        &rows,
    );
    page.note(&format!(
        "Risk neutral: the chosen option has the best expected value ({}). P(best): the share of trials in which the option is the best, a tie for the best split equally among the tied options. Expected regret: the mean over trials of the best option's value minus this option's. Money in {}.",
        match d.better {
            crate::engine::metrics::Better::Higher => "highest",
            crate::engine::metrics::Better::Lower => "lowest",
        },
        u.label()
    ));
    page.h2("Value of information");
    let shown: Vec<&crate::decision::Voi> = d.voi_rows().take(21).collect();
    let s = u.scale();
    let n = shown.len();
    let pos = |i: usize| top_down(i, n);
    let labels: Vec<String> = shown
        .iter()
        .map(|v| {
            if v.parameter == crate::decision::ALL {
                "perfect information (EVPI)".to_string()
            } else {
                v.parameter.clone()
            }
        })
        .collect();
    let layers = vec![
        Layer::Rects {
            rects: shown
                .iter()
                .enumerate()
                .map(|(i, v)| [(0.0, pos(i) - 0.3), (v.evppi * s, pos(i) + 0.3)])
                .collect(),
            color: BLUE,
        },
        Layer::HWhiskers {
            items: shown
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let half = 1.96 * v.se * s;
                    (pos(i), (v.evppi * s - half).max(0.0), v.evppi * s + half)
                })
                .collect(),
            color: crate::export::html::chart::INK,
            cap: 0.18,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let plot = Plot {
        title: None,
        x: nice_axis(
            lo.min(0.0),
            hi.max(0.0),
            8,
            &format!("EVPPI, {}", u.label()),
        ),
        y: top_down_axis(&labels, 0.1),
        layers,
        legend: vec![legend(
            "EVPPI, 95% interval (± 1.96 bootstrap standard errors)",
            BLUE,
            Swatch::Whisker,
        )],
        x_grid: true,
        y_zero: false,
    };
    let height = 110 + 34 * n as u32;
    page.figure(
        single(1100, height, &plot)?,
        "What learning each uncertain input exactly before choosing is worth (EVPPI), the largest first; the top bar is the value of learning everything (EVPI). Estimated from the simulated trials by nonparametric regression (Strong, Oakley & Brennan 2014); see voi.csv for every parameter.",
    );
    Ok(())
}

/// The charts and the table of scenario `i` against the base.
fn differences(
    page: &mut Page,
    r: &CompareResults,
    rows: &HashMap<(&str, usize), &Row>,
    i: usize,
) -> Result<()> {
    let figures: Vec<&ScalarDef> = key_figures(&r.layout)
        .filter(|d| d.unit != Unit::Months)
        .collect();
    for (unit, desc) in [
        (Unit::Dollars, "difference to the base, $B over the horizon"),
        (Unit::Count, "difference to the base, M"),
    ] {
        let items: Vec<(String, &Row)> = figures
            .iter()
            .filter(|d| d.unit == unit)
            .filter_map(|d| {
                rows.get(&(d.name.as_str(), i))
                    .map(|r| (d.label.clone(), *r))
            })
            .collect();
        if let Some(svg) = compare_chart(&items, unit, desc)? {
            page.figure(
                svg,
                "Paired difference per trial (scenario − base): the dot is the mean, the whisker spans p05–p95 across trials.",
            );
        }
    }
    let table: Vec<Vec<String>> = key_figures(&r.layout)
        .filter_map(|d| {
            let base = rows.get(&(d.name.as_str(), 0))?;
            let row = rows.get(&(d.name.as_str(), i))?;
            let u = d.unit;
            let difference = |x: f64| {
                let shown = match u {
                    Unit::Months => x,
                    _ => x * u.scale(),
                };
                nonzero(shown, fixed_in_unit(x, u))
            };
            Some(vec![
                d.label.clone(),
                u.column_label().to_string(),
                fixed_in_unit(base.stats.p50, u),
                fixed_in_unit(row.stats.p50, u),
                difference(row.diff.mean),
                format!(
                    "[{}, {}]",
                    difference(row.diff.p05),
                    difference(row.diff.p95)
                ),
                share_better(row.share_better),
            ])
        })
        .collect();
    page.table(
        &[
            "horizon total",
            "unit",
            "base p50",
            "p50",
            "difference (mean)",
            "[p05, p95]",
            "P(better)",
        ],
        &table,
    );
    page.note("P(better): the share of trials in which the scenario beats the base (is higher; lower for costs and the breakeven month); a trial in which they are equal counts as neither better nor worse. same: equal in every trial. A difference shown as 0.00 is exactly 0.");
    by_year(page, r, i)
}

/// Scenario `i` against the base year by year: for the comparison's year figures
/// ([`CompareResults::year_figures`]) the paired difference per calendar year (mean with
/// its p05–p95 whisker, one chart per unit) and a table with P(better).
fn by_year(page: &mut Page, r: &CompareResults, i: usize) -> Result<()> {
    let figures = r.year_figures();
    if r.years.is_empty() || figures.is_empty() {
        return Ok(());
    }
    let row = |def: &MetricDef, year: i32| r.row(&def.name, Period::Year(year), i);
    page.h3("Year by year");
    for unit in [Unit::Dollars, Unit::Count] {
        let shown: Vec<&MetricDef> = figures.iter().copied().filter(|d| d.unit == unit).collect();
        if let Some(svg) = year_chart(r, &shown, unit, &row)? {
            page.figure(
                svg,
                "Paired difference per trial (scenario − base) in each calendar year: the dot is the mean, the whisker spans p05–p95 across trials. Flows are the year's sums, levels the year's last month.",
            );
        }
    }
    let mut header = vec!["year".to_string()];
    for def in &figures {
        let unit = def.unit.column_label();
        header.push(format!("{} {unit}", def.label).trim_end().to_string());
        header.extend(["[p05, p95]".to_string(), "P(better)".to_string()]);
    }
    let table: Vec<Vec<String>> = r
        .years
        .iter()
        .map(|&year| {
            let mut cells = vec![year.to_string()];
            for def in &figures {
                match row(def, year) {
                    Some(x) => {
                        let u = def.unit;
                        let d = |v: f64| nonzero(v * u.scale(), fixed_in_unit(v, u));
                        cells.push(d(x.diff.mean));
                        cells.push(format!("[{}, {}]", d(x.diff.p05), d(x.diff.p95)));
                        cells.push(share_better(x.share_better));
                    }
                    None => cells.extend(["-", "-", "-"].map(String::from)),
                }
            }
            cells
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    page.table(&header, &table);
    page.note("Per calendar year: the mean paired difference, its p05–p95 across trials and P(better). compare.csv has every metric year by year (its rows whose period is a year).");
    Ok(())
}

/// Dots (means) and whiskers (p05–p95) of the paired differences per year, one colour per
/// figure side by side within a year; `None` when no figure has this unit.
fn year_chart<'a>(
    r: &CompareResults,
    figures: &[&MetricDef],
    unit: Unit,
    row: &dyn Fn(&MetricDef, i32) -> Option<&'a Row>,
) -> Result<Option<String>> {
    if figures.is_empty() {
        return Ok(None);
    }
    let s = unit.scale();
    let m = figures.len();
    let mut layers = Vec::new();
    let mut legends = Vec::new();
    for (j, def) in figures.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let offset = (j as f64 - (m as f64 - 1.0) / 2.0) * 0.22;
        let items: Vec<(f64, &Row)> = r
            .years
            .iter()
            .enumerate()
            .filter_map(|(k, &y)| row(def, y).map(|x| (k as f64 + offset, x)))
            .collect();
        layers.push(Layer::VWhiskers {
            items: items
                .iter()
                .map(|(x, d)| (*x, d.diff.p05 * s, d.diff.p95 * s))
                .collect(),
            color,
            cap: 0.06,
        });
        layers.push(Layer::Dots {
            pts: items.iter().map(|(x, d)| (*x, d.diff.mean * s)).collect(),
            color,
            size: 5,
        });
        legends.push(legend(&def.label, color, Swatch::Whisker));
    }
    let mut all = vec![0.0];
    for l in &layers {
        l.ys(&mut all);
    }
    let (lo, hi) = extent(&all);
    let labels: Vec<String> = r.years.iter().map(|y| y.to_string()).collect();
    let plot = Plot {
        title: None,
        x: category_axis(&labels, "calendar year"),
        y: nice_axis(
            lo,
            hi,
            6,
            &format!("difference to the base, {} per year", unit.label()),
        ),
        layers,
        legend: legends,
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 360, &plot)?))
}

/// Whiskers of the paired differences (p05–p95, the mean as a dot), one row per figure.
fn compare_chart(items: &[(String, &Row)], unit: Unit, desc: &str) -> Result<Option<String>> {
    if items.is_empty() {
        return Ok(None);
    }
    let s = unit.scale();
    let n = items.len();
    let pos = |i: usize| top_down(i, n);
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let y = top_down_axis(&labels, 0.1);
    let layers = vec![
        Layer::VRule {
            x: 0.0,
            color: ZERO,
            dashed: false,
        },
        Layer::HWhiskers {
            items: items
                .iter()
                .enumerate()
                .map(|(i, (_, r))| (pos(i), r.diff.p05 * s, r.diff.p95 * s))
                .collect(),
            color: BLUE,
            cap: 0.18,
        },
        Layer::Dots {
            pts: items
                .iter()
                .enumerate()
                .map(|(i, (_, r))| (r.diff.mean * s, pos(i)))
                .collect(),
            color: BLUE,
            size: 5,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let plot = Plot {
        title: None,
        x: nice_axis(lo.min(0.0), hi.max(0.0), 8, desc),
        y,
        layers,
        legend: vec![legend(
            "mean difference, p05–p95 across trials",
            BLUE,
            Swatch::Whisker,
        )],
        x_grid: true,
        y_zero: false,
    };
    let height = 110 + 34 * n as u32;
    Ok(Some(single(1100, height, &plot)?))
}
