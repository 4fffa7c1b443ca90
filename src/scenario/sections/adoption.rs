//! `[adoption]`: the installed base at the start, the Bass diffusion of new households,
//! device units per household and abandonment. Every parameter shapes the household loop.

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId};
use super::super::path::KeyPath;
use super::super::raw::RawAdoption;

#[derive(Clone, Debug, PartialEq)]
pub struct Adoption {
    pub(crate) installed_share: ParamId,
    pub(crate) potential: ParamId,
    pub(crate) innovation: ParamId,
    pub(crate) imitation: ParamId,
    pub(crate) devices_at_adoption: ParamId,
    pub(crate) extra_devices_per_year: ParamId,
    pub(crate) abandon_per_year: ParamId,
}

pub(crate) fn adoption(c: &mut Checker, at: &KeyPath, raw: &mut RawAdoption) -> Adoption {
    let h = Effect::Households;
    Adoption {
        installed_share: c.value(
            &at.key("installed_share"),
            &mut raw.installed_share,
            Domain::PROBABILITY,
            h,
        ),
        potential: c.value(
            &at.key("potential"),
            &mut raw.potential,
            Domain::PROBABILITY,
            h,
        ),
        innovation: c.value(
            &at.key("innovation"),
            &mut raw.innovation,
            Domain::positive(cap::MULTIPLIER),
            h,
        ),
        imitation: c.value(
            &at.key("imitation"),
            &mut raw.imitation,
            Domain::non_negative(cap::MULTIPLIER),
            h,
        ),
        devices_at_adoption: c.value(
            &at.key("devices_at_adoption"),
            &mut raw.devices_at_adoption,
            Domain::at_least_one(cap::COUNT),
            h,
        ),
        extra_devices_per_year: c.value(
            &at.key("extra_devices_per_year"),
            &mut raw.extra_devices_per_year,
            Domain::non_negative(cap::COUNT),
            h,
        ),
        abandon_per_year: c.value(
            &at.key("abandon_per_year"),
            &mut raw.abandon_per_year,
            Domain::PROBABILITY,
            h,
        ),
    }
}
