//! `[usage]`: how much households talk to the assistant (mean rate, heterogeneity, the
//! novelty burst of new owners) and how their intent mix varies. All shape the household
//! loop.

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId};
use super::super::path::KeyPath;
use super::super::raw::{RawUsage, defaults};

#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub(crate) interactions_per_day: ParamId,
    pub(crate) activity_shape: Option<ParamId>,
    pub(crate) novelty_boost: ParamId,
    pub(crate) novelty_decay_months: ParamId,
    pub(crate) mix_concentration: Option<ParamId>,
}

pub(crate) fn usage(c: &mut Checker, at: &KeyPath, raw: &mut RawUsage) -> Usage {
    let h = Effect::Households;
    Usage {
        interactions_per_day: c.value(
            &at.key("interactions_per_day"),
            &mut raw.interactions_per_day,
            Domain::positive(cap::RATE),
            h,
        ),
        activity_shape: c.optional(
            &at.key("activity_shape"),
            &mut raw.activity_shape,
            Domain::positive(cap::SHAPE),
            h,
        ),
        novelty_boost: c.value_or(
            &at.key("novelty_boost"),
            &mut raw.novelty_boost,
            defaults::NOVELTY_BOOST,
            Domain::non_negative(cap::MULTIPLIER),
            h,
        ),
        novelty_decay_months: c.value_or(
            &at.key("novelty_decay_months"),
            &mut raw.novelty_decay_months,
            defaults::NOVELTY_DECAY_MONTHS,
            Domain::positive(cap::MONTHS),
            h,
        ),
        mix_concentration: c.optional(
            &at.key("mix_concentration"),
            &mut raw.mix_concentration,
            Domain::positive(cap::SHAPE),
            h,
        ),
    }
}
