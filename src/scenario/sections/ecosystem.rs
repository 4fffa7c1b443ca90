//! `[ecosystem]`: household retail spend, what the devices add to it (the uplift) and what
//! a downstream-impact metric would claim. Spend levels are drawn per household; margins,
//! the uplift and the attributed share are applied only when a trial is finalised.

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId};
use super::super::path::KeyPath;
use super::super::raw::RawEcosystem;

#[derive(Clone, Debug, PartialEq)]
pub struct Ecosystem {
    pub(crate) spend_per_year: ParamId,
    pub(crate) spend_sigma: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) uplift: ParamId,
    pub(crate) attributed_share: ParamId,
}

pub(crate) fn ecosystem(c: &mut Checker, at: &KeyPath, raw: &mut RawEcosystem) -> Ecosystem {
    Ecosystem {
        spend_per_year: c.value(
            &at.key("spend_per_year"),
            &mut raw.spend_per_year,
            Domain::positive(cap::SPEND),
            Effect::Households,
        ),
        spend_sigma: c.value(
            &at.key("spend_sigma"),
            &mut raw.spend_sigma,
            Domain::non_negative(cap::SIGMA),
            Effect::Households,
        ),
        margin: c.value(
            &at.key("margin"),
            &mut raw.margin,
            Domain::PROBABILITY,
            Effect::Pricing,
        ),
        uplift: c.value(
            &at.key("uplift"),
            &mut raw.uplift,
            Domain::non_negative(cap::MULTIPLIER),
            Effect::Pricing,
        ),
        attributed_share: c.value(
            &at.key("attributed_share"),
            &mut raw.attributed_share,
            Domain::PROBABILITY,
            Effect::Pricing,
        ),
    }
}
