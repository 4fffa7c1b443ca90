//! `[costs]` and `[finance]`: the serving cost per interaction, fixed costs per year and
//! the discount rate of the NPVs, all applied only when a trial is finalised.

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId, Yearly};
use super::super::path::KeyPath;
use super::super::raw::{RawCosts, RawFinance, RawValue, defaults};

#[derive(Clone, Debug, PartialEq)]
pub struct Costs {
    pub(crate) serving_cost_per_interaction: Yearly,
    pub(crate) fixed_per_year: Yearly,
}

pub(crate) fn costs(c: &mut Checker, at: &KeyPath, raw: &mut RawCosts) -> Costs {
    Costs {
        serving_cost_per_interaction: c.yearly(
            &at.key("serving_cost_per_interaction"),
            &mut raw.serving_cost_per_interaction,
            Domain::non_negative(cap::SERVING),
            Effect::Pricing,
        ),
        fixed_per_year: c.yearly(
            &at.key("fixed_per_year"),
            &mut raw.fixed_per_year,
            Domain::non_negative(cap::FIXED),
            Effect::Pricing,
        ),
    }
}

/// `finance.discount_rate`, written out with its default when `[finance]` is absent.
pub(crate) fn discount_rate(
    c: &mut Checker,
    at: &KeyPath,
    raw: &mut Option<RawFinance>,
) -> ParamId {
    let finance = raw.get_or_insert(RawFinance {
        discount_rate: RawValue::Number(defaults::DISCOUNT_RATE),
    });
    c.value(
        &at.key("discount_rate"),
        &mut finance.discount_rate,
        Domain::non_negative(cap::DISCOUNT),
        Effect::Pricing,
    )
}
