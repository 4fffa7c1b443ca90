//! `[[device]]`: the device models sold, their share of units (`mix`, summing to 1) and
//! their per-year prices and unit costs. The mix shapes the household loop; prices and
//! costs are applied only when a trial is finalised.

use super::super::MAX_DEVICES;
use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, Yearly};
use super::super::path::KeyPath;
use super::super::raw::RawDevice;

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub(crate) name: String,
    pub(crate) mix: f64,
    pub(crate) price: Yearly,
    pub(crate) unit_cost: Yearly,
}

pub(crate) fn devices(c: &mut Checker, at: &KeyPath, raw: &mut [RawDevice]) -> Vec<Device> {
    if raw.is_empty() {
        c.issue(
            at.clone(),
            None,
            "missing required section: at least one [[device]] is needed",
        );
    }
    if raw.len() > MAX_DEVICES {
        c.issue(
            at.clone(),
            None,
            format!(
                "expected at most {MAX_DEVICES} devices, found {}",
                raw.len()
            ),
        );
    }
    c.unique_names(at, raw.iter().map(|d| d.name.as_str()));
    let mut devices = Vec::new();
    for (i, d) in raw.iter_mut().enumerate() {
        let p = at.index(i, Some(&d.name));
        c.plain(&p.key("mix"), d.mix, Domain::PROBABILITY);
        devices.push(Device {
            name: d.name.clone(),
            mix: d.mix,
            price: c.yearly(
                &p.key("price"),
                &mut d.price,
                Domain::non_negative(cap::PRICE),
                Effect::Pricing,
            ),
            unit_cost: c.yearly(
                &p.key("unit_cost"),
                &mut d.unit_cost,
                Domain::non_negative(cap::PRICE),
                Effect::Pricing,
            ),
        });
    }
    c.sums_to_one(
        at,
        "the device mixes",
        raw.iter().map(|d| (d.name.as_str(), d.mix)),
    );
    devices
}
