//! The section validators: one function per section of the file format, from its raw
//! section ([`super::raw`]) to its domain type, run in file order by [`validate`].
//!
//! Every validator reports problems through the shared [`Checker`] (so all of a file's
//! problems are collected, in a fixed order) and registers each numeric parameter there
//! with its domain and its [`super::Effect`]. Validators take their raw section mutably:
//! they write each optional key's default into it and substitute the values of a sweep
//! point's targets, so the raw form left behind is exactly what was validated (the
//! resolved scenario).

mod adoption;
mod correlation;
mod costs;
mod devices;
mod ecosystem;
mod intents;
mod market;
mod meta;
mod premium;
mod purchases;
mod subscriptions;
mod usage;

pub use adoption::Adoption;
pub use costs::Costs;
pub use devices::Device;
pub use ecosystem::Ecosystem;
pub use intents::Intent;
pub use premium::Premium;
pub use purchases::Purchase;
pub use subscriptions::Subscription;
pub use usage::Usage;

use super::check::{Checker, quote};
use super::params::ParamId;
use super::path::KeyPath;
use super::raw::RawScenario;
use super::{Simulation, YearMonth};
use crate::design::Design;
use crate::engine::metrics::{ItemNames, Origin, Section, clashes};

/// The validated sections of a scenario (its parameters stay in the [`Checker`]).
pub(super) struct Sections {
    pub start: YearMonth,
    pub months: u32,
    pub simulation: Simulation,
    pub market_households: ParamId,
    pub prime_share: ParamId,
    pub adoption: Adoption,
    pub devices: Vec<Device>,
    pub usage: Usage,
    pub intents: Vec<Intent>,
    pub purchases: Vec<Purchase>,
    pub subscriptions: Vec<Subscription>,
    pub ecosystem: Option<Ecosystem>,
    pub premium: Option<Premium>,
    pub costs: Costs,
    pub discount_rate: ParamId,
    pub design: Design,
}

/// Refuses item names that would give two metrics (or per-trial scalars) the same name: a
/// device named `sold` would make `units_sold` both its units and the total, so every file
/// and `--format json` would show one for the other. The later name is the one reported,
/// with what it clashes with.
fn metric_names(c: &mut Checker, root: &KeyPath, names: &ItemNames) {
    // Where an item's name is written, the name, and how a message names the item.
    let item = |(section, i): (Section, usize)| -> (KeyPath, &str, String) {
        let (key, list) = match section {
            Section::Device => ("device", &names.devices),
            Section::Intent => ("intents", &names.intents),
            Section::Purchase => ("purchase", &names.purchases),
            Section::Subscription => ("subscription", &names.subscriptions),
        };
        let name = list[i];
        match section {
            Section::Intent => (root.key(key).key(name), name, format!("intent `{name}`")),
            _ => (
                root.key(key).index(i, None).key("name"),
                name,
                format!("[[{key}]] `{name}`"),
            ),
        }
    };
    for clash in clashes(names) {
        let (path, name, _) = item(clash.second);
        let other = match clash.first {
            Origin::Core => format!("the core metric ({})", clash.first_label),
            Origin::Item(s, i) => format!("a metric of {}", item((s, i)).2),
        };
        let message = format!(
            "its metric `{}` would have the same name as {other}; choose another name",
            clash.name
        );
        match clash.second.0 {
            Section::Intent => c.issue_at_key(path, Some(quote(name)), message),
            _ => c.issue(path, Some(quote(name)), message),
        }
    }
}

/// Validates every section of `raw` in file order. `simulation`, when given, replaces
/// `[simulation]` (run settings already checked, e.g. from the command line).
pub(super) fn validate(
    c: &mut Checker,
    raw: &mut RawScenario,
    simulation: Option<Simulation>,
) -> Sections {
    let root = KeyPath::root();
    let (start, months) = meta::horizon(c, &root.key("scenario"), &raw.scenario);
    let simulation = match simulation {
        Some(s) => s,
        None => meta::simulation(c, &root.key("simulation"), raw.simulation.as_ref()),
    };
    let (market_households, prime_share) = market::market(c, &root.key("market"), &mut raw.market);
    let adoption = adoption::adoption(c, &root.key("adoption"), &mut raw.adoption);
    let devices = devices::devices(c, &root.key("device"), &mut raw.device);
    let usage = usage::usage(c, &root.key("usage"), &mut raw.usage);
    let intents = intents::intents(c, &root.key("intents"), &raw.intents);
    let purchases = purchases::purchases(c, &root.key("purchase"), &mut raw.purchase, &intents);
    let subscriptions =
        subscriptions::subscriptions(c, &root.key("subscription"), &mut raw.subscription);
    let names = ItemNames {
        devices: devices.iter().map(|d| d.name.as_str()).collect(),
        intents: intents.iter().map(|d| d.name.as_str()).collect(),
        purchases: purchases.iter().map(|d| d.name.as_str()).collect(),
        subscriptions: subscriptions.iter().map(|d| d.name.as_str()).collect(),
    };
    metric_names(c, &root, &names);
    let ecosystem = raw
        .ecosystem
        .as_mut()
        .map(|e| ecosystem::ecosystem(c, &root.key("ecosystem"), e));
    let premium = raw
        .premium
        .as_mut()
        .map(|p| premium::premium(c, &root.key("premium"), p, (start, months)));
    let costs = costs::costs(c, &root.key("costs"), &mut raw.costs);
    let discount_rate = costs::discount_rate(c, &root.key("finance"), &mut raw.finance);
    let design = correlation::design(
        c,
        &root.key("correlation"),
        &raw.correlation,
        simulation.sampling,
    );
    Sections {
        start,
        months,
        simulation,
        market_households,
        prime_share,
        adoption,
        devices,
        usage,
        intents,
        purchases,
        subscriptions,
        ecosystem,
        premium,
        costs,
        discount_rate,
        design,
    }
}
