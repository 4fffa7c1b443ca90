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

use super::check::Checker;
use super::params::ParamId;
use super::path::KeyPath;
use super::raw::RawScenario;
use super::{Simulation, YearMonth};
use crate::design::Design;

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
