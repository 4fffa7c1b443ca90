//! `[[subscription]]`: plans a household may attach when it adopts. Attach and churn
//! shape the household loop; prices, margins and incremental shares are applied only when
//! a trial is finalised.

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId, Yearly};
use super::super::path::KeyPath;
use super::super::raw::{RawSubscription, defaults};

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub(crate) name: String,
    pub(crate) attach: ParamId,
    pub(crate) price_month: Yearly,
    pub(crate) churn_per_year: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) incremental_share: ParamId,
    pub(crate) in_device_pnl: bool,
}

pub(crate) fn subscriptions(
    c: &mut Checker,
    at: &KeyPath,
    raw: &mut [RawSubscription],
) -> Vec<Subscription> {
    c.unique_names(at, raw.iter().map(|d| d.name.as_str()));
    let mut subscriptions = Vec::new();
    for (i, r) in raw.iter_mut().enumerate() {
        let p = at.index(i, Some(&r.name));
        subscriptions.push(Subscription {
            name: r.name.clone(),
            attach: c.value(
                &p.key("attach"),
                &mut r.attach,
                Domain::PROBABILITY,
                Effect::Households,
            ),
            price_month: c.yearly(
                &p.key("price_month"),
                &mut r.price_month,
                Domain::non_negative(cap::PRICE),
                Effect::Pricing,
            ),
            churn_per_year: c.value(
                &p.key("churn_per_year"),
                &mut r.churn_per_year,
                Domain::PROBABILITY,
                Effect::Households,
            ),
            margin: c.value(
                &p.key("margin"),
                &mut r.margin,
                Domain::PROBABILITY,
                Effect::Pricing,
            ),
            incremental_share: c.value(
                &p.key("incremental_share"),
                &mut r.incremental_share,
                Domain::PROBABILITY,
                Effect::Pricing,
            ),
            in_device_pnl: *r.in_device_pnl.get_or_insert(defaults::IN_DEVICE_PNL),
        });
    }
    subscriptions
}
