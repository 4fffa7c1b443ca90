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
//! for people are formatted by [`crate::format`].

use crate::results::{Results, files};

pub mod csv;
pub mod html;
pub mod json;
pub mod settings;
pub mod text;
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
