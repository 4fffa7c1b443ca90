//! `[premium]`: a paid tier launched in some month. Willingness to pay, consideration and
//! churn decide each household's subscription spells, and the uplifts its subscribed
//! months: none of them reaches the rest of a household's life (a pinned variant shares
//! it); the price only decides which households accept it (so a price sweep shares
//! everything upstream of that decision); the extra serving cost is applied only when a
//! trial is finalised.

use super::super::YearMonth;
use super::super::check::{Checker, Domain, cap, quote};
use super::super::params::{Effect, ParamId, Yearly};
use super::super::path::KeyPath;
use super::super::raw::{RawPremium, defaults};

#[derive(Clone, Debug, PartialEq)]
pub struct Premium {
    /// Month index of the launch within the horizon.
    pub(crate) launch: u32,
    pub(crate) price_month: ParamId,
    pub(crate) included_with_prime: bool,
    pub(crate) wtp_median: ParamId,
    pub(crate) wtp_sigma: ParamId,
    pub(crate) wtp_activity_elasticity: ParamId,
    pub(crate) consider_per_month: ParamId,
    pub(crate) churn_per_year: ParamId,
    pub(crate) usage_uplift: ParamId,
    pub(crate) conversion_uplift: ParamId,
    pub(crate) serving_cost_per_interaction: Yearly,
}

/// The month index of the launch within the horizon `start`, `months`.
fn launch(c: &mut Checker, at: &KeyPath, raw: &str, start: YearMonth, months: u32) -> u32 {
    match YearMonth::parse(raw) {
        None => {
            c.issue(
                at.clone(),
                Some(quote(raw)),
                "expected a month \"YYYY-MM\" (years 1900-2200)",
            );
            0
        }
        Some(l) => {
            let idx = start.months_until(l);
            if c.horizon_known && (idx < 0 || idx >= months as i64) {
                c.issue(
                    at.clone(),
                    Some(quote(raw)),
                    format!(
                        "expected a month within the horizon {} to {}",
                        start,
                        start.plus(months - 1)
                    ),
                );
                0
            } else {
                idx.clamp(0, months as i64 - 1) as u32
            }
        }
    }
}

pub(crate) fn premium(
    c: &mut Checker,
    at: &KeyPath,
    r: &mut RawPremium,
    (start, months): (YearMonth, u32),
) -> Premium {
    // Willingness to pay, consideration, churn and uplifts reach only the premium tier.
    let h = Effect::PremiumTier;
    Premium {
        launch: launch(c, &at.key("launch"), &r.launch, start, months),
        price_month: c.value(
            &at.key("price_month"),
            &mut r.price_month,
            Domain::non_negative(cap::PRICE),
            Effect::PremiumPrice,
        ),
        included_with_prime: *r
            .included_with_prime
            .get_or_insert(defaults::INCLUDED_WITH_PRIME),
        wtp_median: c.value(
            &at.key("wtp_median"),
            &mut r.wtp_median,
            Domain::positive(cap::PRICE),
            h,
        ),
        wtp_sigma: c.value(
            &at.key("wtp_sigma"),
            &mut r.wtp_sigma,
            Domain::non_negative(cap::SIGMA),
            h,
        ),
        wtp_activity_elasticity: c.value_or(
            &at.key("wtp_activity_elasticity"),
            &mut r.wtp_activity_elasticity,
            defaults::WTP_ACTIVITY_ELASTICITY,
            Domain::non_negative(cap::SIGMA),
            h,
        ),
        consider_per_month: c.value(
            &at.key("consider_per_month"),
            &mut r.consider_per_month,
            Domain::PROBABILITY,
            h,
        ),
        churn_per_year: c.value(
            &at.key("churn_per_year"),
            &mut r.churn_per_year,
            Domain::PROBABILITY,
            h,
        ),
        usage_uplift: c.value_or(
            &at.key("usage_uplift"),
            &mut r.usage_uplift,
            defaults::USAGE_UPLIFT,
            Domain::positive(cap::MULTIPLIER),
            h,
        ),
        conversion_uplift: c.value_or(
            &at.key("conversion_uplift"),
            &mut r.conversion_uplift,
            defaults::CONVERSION_UPLIFT,
            Domain::positive(cap::MULTIPLIER),
            h,
        ),
        serving_cost_per_interaction: c.yearly(
            &at.key("serving_cost_per_interaction"),
            &mut r.serving_cost_per_interaction,
            Domain::non_negative(cap::SERVING),
            Effect::Pricing,
        ),
    }
}
