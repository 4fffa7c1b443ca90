//! Exporters: typed results ([`crate::results::Results`]) into the formats people and
//! programs read, one module per format.
//!
//! - [`csv`] — the CSV files of every result (from [`crate::results::table`]).
//! - [`text`] — the tables printed on stdout.
//! - [`json`] — `run --format json`.
//! - [`html`] — the self-contained `report.html`, one file per page kind.
//! - [`xlsx`] — `results.xlsx`, one file per page kind.
//!
//! Exporters never re-derive what the results type knows: units, labels, money and the
//! better direction come from the metric catalogue ([`crate::engine::metrics`]); numbers
//! for people are formatted by [`crate::format`]. Ties are decided by the results
//! ([`crate::stats`]); exporters show an undefined share of trials as [`SAME`] or [`TIED`].
//! Text from users (file names, scenario and parameter names, varied values) is shown
//! through [`crate::format::escape`] in the terminal, the page and the workbook's charts
//! sheet; the CSV files and the data sheets keep it exactly.

use crate::format;
use crate::results::{Results, files};
use crate::sweep::Best;

/// What the tables show instead of a share of trials when two things are equal in every
/// trial (a comparison's row, a sweep's metric at every point): neither is better.
pub const SAME: &str = "same";
/// What the tables show instead of the share of trials in which a point is the best when
/// several points tie for the best (by mean, or in every trial).
pub const TIED: &str = "tied";

/// A share of trials in which one thing beats another as a percentage, or [`SAME`] when
/// there is none because they are equal in every trial.
pub fn share_better(share: Option<f64>) -> String {
    share.map_or_else(|| SAME.to_string(), format::percent)
}

/// The share of trials in which the best point by mean is the best, as a percentage;
/// [`TIED`] when several points share the best mean or every trial has a tie for the
/// best, [`SAME`] when the metric is the same at every point.
pub fn share_best(b: &Best) -> String {
    match (&b.points[..], b.point().and_then(|k| b.share_of(k))) {
        ([], _) => SAME.to_string(),
        ([_], Some(share)) => format::percent(share),
        _ => TIED.to_string(),
    }
}

/// The best points by mean as one label: the first point's (`label(k)`), and how many more
/// tie with it (`x=5 (+1 tied)`); `None` when there is none (the same at every point).
pub fn best_points(points: &[usize], label: impl Fn(usize) -> String) -> Option<String> {
    let (&first, more) = points.split_first()?;
    Some(match more.len() {
        0 => label(first),
        n => format!("{} (+{n} {TIED})", label(first)),
    })
}

/// A rounded difference as shown (`shown`, of the value `x` in the unit shown), unless it
/// shows a difference that is not 0 as zero (`0.00`): then `x` with four significant
/// digits, so that only an exact 0 reads as 0.
pub fn nonzero(x: f64, shown: String) -> String {
    let zero = shown
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if zero && x != 0.0 && x.is_finite() {
        format::significant(x)
    } else {
        shown
    }
}

pub mod csv;
pub mod html;
pub mod json;
pub mod settings;
pub mod text;
pub mod verdict;
pub mod xlsx;

/// Every file of a result but the reports: its CSV files and resolved scenario(s).
pub fn files(results: &Results) -> Result<Vec<(String, Vec<u8>)>, ::csv::Error> {
    let mut out = csv::files(results)?;
    let run = Some(results.facts().raw());
    match results {
        Results::Compare(r) => {
            for (i, (name, s)) in r.names.iter().zip(&r.scenarios).enumerate() {
                out.push((
                    files::compare_resolved(i, name),
                    s.resolved_toml(run.clone()).into_bytes(),
                ));
            }
        }
        Results::Calibrate(r) => {
            out.push((
                files::CALIBRATED.to_string(),
                r.calibrated.clone().into_bytes(),
            ));
            out.push((
                files::RESOLVED.to_string(),
                results.scenario().resolved_toml(run).into_bytes(),
            ));
        }
        _ => out.push((
            files::RESOLVED.to_string(),
            results.scenario().resolved_toml(run).into_bytes(),
        )),
    }
    Ok(out)
}

/// The key figures every summary shows first, by scalar name, in this order (labels and
/// units come from the catalogue).
pub const KEY_FIGURES: [&str; 16] = [
    "units_sold",
    "active_households",
    "device_revenue",
    "hardware_subsidy",
    "serving_cost",
    "fixed_cost",
    "premium_subscribers",
    "premium_revenue",
    "premium_serving_cost",
    "device_pnl",
    "downstream_claimed",
    "downstream_incremental",
    "net_claimed",
    "net_incremental",
    "npv_net_incremental",
    "breakeven_month",
];

/// The key figures present in `layout`, with their catalogue entries.
pub fn key_figures(
    layout: &crate::engine::Layout,
) -> impl Iterator<Item = &crate::engine::metrics::ScalarDef> {
    KEY_FIGURES.iter().filter_map(|name| layout.scalar(name))
}

/// Parameters shown in the tornado chart of the report and the workbook (the CSV has all).
pub const TOP_PARAMETERS: usize = 15;

/// The prior and posterior percentiles of a calibration, as every report heads them (in
/// the order of `prior_q` then `post_q`).
pub const PRIOR_POSTERIOR: [&str; 6] = [
    "prior p05",
    "prior p50",
    "prior p95",
    "posterior p05",
    "posterior p50",
    "posterior p95",
];
