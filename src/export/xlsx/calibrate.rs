//! The charts sheet of a calibration: the settings with the targets file and the
//! effective sample size, then per calibrated parameter its prior and posterior 5th, 50th
//! and 95th percentiles drawn as two ranges side by side (prior against posterior), and
//! per target its band against the posterior predictive percentiles and the probability of
//! a hit. The posterior and calibration sheets hold every figure.

use anyhow::Result;
use rust_xlsxwriter::{Chart, ChartType, Worksheet};

use super::chart::style;
use super::print::Page;
use super::{CHARTS, Formats, settings, settings_block, write_header, write_opt};
use crate::results::{CalibrateResults, Results};

/// The chart's size, pixels: fits a landscape page at the charts sheet's scale.
const CHART_SIZE: (u32, u32) = (860, 400);

pub(super) fn charts(
    ws: &mut Worksheet,
    results: &Results,
    r: &CalibrateResults,
    f: &Formats,
    page: &mut Page,
) -> Result<()> {
    let p = &r.posterior;
    let mut rows = settings(results);
    rows.push(("Targets".into(), r.targets_file.clone()));
    rows.push(("Draws (all rounds)".into(), p.draws.len().to_string()));
    rows.push(("Effective sample size".into(), format!("{:.1}", p.ess)));
    let mut next = settings_block(ws, r.scenario.name(), &rows, f)?;
    ws.write_string_with_format(
        next,
        0,
        "Prior against posterior per calibrated parameter (5th, 50th, 95th percentiles; posterior weighted).",
        &f.note,
    )?;
    let header: Vec<String> = std::iter::once("parameter")
        .chain(crate::export::PRIOR_POSTERIOR)
        .chain(["status"])
        .map(String::from)
        .collect();
    write_header(ws, next + 1, &header, f)?;
    let first = next + 2;
    for (i, q) in p.params.iter().enumerate() {
        let row = first + i as u32;
        ws.write_string(row, 0, crate::format::escape(&q.key))?;
        for (c, x) in q.prior_q.iter().chain(&q.post_q).enumerate() {
            write_opt(ws, row, 1 + c as u16, *x, &f.general)?;
        }
        ws.write_string(row, 7, q.status())?;
    }
    next = first + p.params.len() as u32 + 1;
    ws.write_string_with_format(
        next,
        0,
        "Targets: band against the posterior predictive percentiles and the probability of a hit.",
        &f.note,
    )?;
    let header = [
        "target",
        "low",
        "high",
        "prior p50",
        "posterior p05",
        "posterior p50",
        "posterior p95",
        "P(in band)",
    ]
    .map(String::from);
    write_header(ws, next + 1, &header, f)?;
    let first_t = next + 2;
    for (i, t) in p.targets.iter().enumerate() {
        let row = first_t + i as u32;
        ws.write_string(row, 0, crate::format::escape(&t.target.id))?;
        let cells = [
            t.target.low,
            t.target.high,
            t.prior_q[1],
            t.post_q[0],
            t.post_q[1],
            t.post_q[2],
        ];
        for (c, x) in cells.iter().enumerate() {
            write_opt(ws, row, 1 + c as u16, *x, &f.general)?;
        }
        write_opt(ws, row, 7, t.hit_probability, &f.percent)?;
    }
    if !p.targets.is_empty() {
        // The probability that each target's value is inside its band, as bars.
        let last = first_t + p.targets.len() as u32 - 1;
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories((CHARTS, first_t, 0, last, 0))
            .set_values((CHARTS, first_t, 7, last, 7))
            .set_name("P(in band), posterior");
        style(
            &mut chart,
            "Targets: posterior probability of a hit",
            "probability",
        );
        chart.set_width(CHART_SIZE.0).set_height(CHART_SIZE.1);
        page.extend_to(last);
        page.chart(ws, last + 2, &chart, CHART_SIZE)?;
    }
    page.column(ws, 0, 40.0)?;
    for c in 1..=7 {
        page.column(ws, c, 13.0)?;
    }
    Ok(())
}
