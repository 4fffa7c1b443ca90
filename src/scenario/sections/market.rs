//! `[market]`: the real households the sample stands for (a scale applied when a trial is
//! finalised) and the Prime share (which decides who gets the premium tier free).

use super::super::check::{Checker, Domain, cap};
use super::super::params::{Effect, ParamId};
use super::super::path::KeyPath;
use super::super::raw::{RawMarket, defaults};

/// `market.households` and `market.prime_share`.
pub(crate) fn market(c: &mut Checker, at: &KeyPath, raw: &mut RawMarket) -> (ParamId, ParamId) {
    let households = c.value(
        &at.key("households"),
        &mut raw.households,
        Domain::positive(cap::HOUSEHOLDS),
        // Only the weight of a sample household, market.households / households.
        Effect::Pricing,
    );
    let prime_share = c.value_or(
        &at.key("prime_share"),
        &mut raw.prime_share,
        defaults::PRIME_SHARE,
        Domain::PROBABILITY,
        Effect::Households,
    );
    (households, prime_share)
}
