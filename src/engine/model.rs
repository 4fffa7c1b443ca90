//! One trial's concrete model: every uncertain parameter drawn, every per-trial table built.
//!
//! Parameters are drawn by inverse CDF from the uniforms of the scenario's sampling
//! [design](crate::design) (plain Monte Carlo: a stream keyed by (seed, trial, parameter
//! key)), so a parameter's draw does not depend on which other parameters a scenario has. The
//! [`TrialModel`] then holds exactly what the household loop reads, precomputed: monthly
//! probabilities, the novelty factor per tenure, Bernoulli thresholds and the purchase
//! "clocks" (see [`super::household`]).

use crate::sampling::{
    Bernoulli, Categorical, Dist, Gamma, Geometric, SmallPoisson, TrialKey, name_key, trial_key,
};
use crate::scenario::{MAX_CHANNELS_PER_INTENT, ParamId, Scenario, Yearly};

/// Days in a simulated month.
pub const DAYS_PER_MONTH: f64 = 30.4375;

pub use crate::design::PARAM_UNIT;

/// Component keys of the household and block streams.
pub(crate) mod component {
    use crate::sampling::name_key;
    pub const ADOPTION: u64 = name_key("household.adoption");
    pub const ABANDON: u64 = name_key("household.abandon");
    pub const ACTIVITY: u64 = name_key("household.activity");
    pub const MIX: u64 = name_key("household.mix");
    pub const SPEND: u64 = name_key("household.spend");
    pub const DEVICES: u64 = name_key("household.devices");
    pub const PREMIUM: u64 = name_key("household.premium");
    pub const ORDERS: u64 = name_key("household.orders");
}

/// Monthly probability from an annual one: `1 - (1 - p)^(1/12)`.
pub fn monthly(p_year: f64) -> f64 {
    if p_year >= 1.0 {
        1.0
    } else {
        1.0 - (1.0 - p_year).powf(1.0 / 12.0)
    }
}

/// Draws every parameter of a scenario for one trial, in [`crate::scenario::ParamSet`] order:
/// each uncertain one by inverse CDF of its uniform in the scenario's design.
pub fn draw_params(s: &Scenario, seed: u64, trial: u64) -> Vec<f64> {
    let mut uniforms = s.design().uniforms(seed, trial).into_iter();
    s.params()
        .iter()
        .map(|(_, p)| match p.dist() {
            Dist::Fixed(x) => *x,
            d => d.quantile(
                uniforms
                    .next()
                    .expect("one uniform per uncertain parameter"),
            ),
        })
        .collect()
}

/// A parameter held at a value in every trial, all others drawn as usual (the swings of
/// `sensitivity`): common random numbers with the unpinned run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pin {
    pub param: ParamId,
    pub value: f64,
}

/// A purchase clock: the interactions of one intent that order in exactly the channels of
/// `mask` (and in no other channel on that intent) form a Poisson process of their own.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Clock {
    pub intent: usize,
    /// Bit i set: channel i (index into purchases) orders.
    pub mask: u64,
    /// Probability of this pattern per interaction, not subscribed / subscribed.
    pub prob: [f64; 2],
}

/// A purchase channel's order values: `LogNormal(mu, sigma)`, drawn when a block closes
/// from the block's stream with component `key`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OrderValue {
    pub mu: f64,
    pub sigma: f64,
    pub key: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub key: u64,
    pub attach: Bernoulli,
    /// Months until churn.
    pub churn: Geometric,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PremiumModel {
    pub launch: u32,
    pub price: f64,
    pub included_with_prime: bool,
    pub wtp_median: f64,
    pub wtp_sigma: f64,
    pub elasticity: f64,
    pub consider: Bernoulli,
    pub churn: Bernoulli,
}

/// Everything the household loop needs for one trial.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialModel {
    pub(crate) seed: u64,
    pub(crate) trial: u64,
    /// The hashed (seed, trial) stages of every household stream key of this trial.
    pub(crate) key: TrialKey,
    pub(crate) months: u32,
    /// Calendar-year index (0 = first simulated year) of each month.
    pub(crate) year_of: Vec<u16>,
    /// The reported months `[from, to)` (the whole horizon unless a comparison reports
    /// common months): buyers are counted only in them.
    pub(crate) reported: (u32, u32),
    pub(crate) values: Vec<f64>,
    pub(crate) installed: f64,
    pub(crate) potential: f64,
    pub(crate) p: f64,
    pub(crate) q: f64,
    /// `adoption_cut[m]` (m = 1..=months): the smallest uniform whose Bass adoption time is
    /// at least `m` months (`adoption_cut[0]` = `installed`); see [`TrialModel::adoption_month`].
    pub(crate) adoption_cut: Vec<f64>,
    /// Extra units bought at adoption.
    pub(crate) adopt_extra: SmallPoisson,
    pub(crate) extra_rate: f64,
    /// Active months until abandonment.
    pub(crate) abandon: Geometric,
    pub(crate) device_mix: Categorical,
    pub(crate) lambda_mean: f64,
    /// `Gamma(activity_shape, lambda_mean / activity_shape)`, when activity varies.
    pub(crate) activity: Option<Gamma>,
    pub(crate) novelty_boost: f64,
    /// `exp(-1 / novelty_decay_months)`: the novelty's decay per month.
    pub(crate) novelty_q: f64,
    /// `exp(-t / novelty_decay_months)` for tenure t = 0..=months+13.
    pub(crate) novelty_pow: Vec<f64>,
    /// Cumulative novelty: `novelty_cum[t]` = sum over tenures s < t of
    /// `1 + novelty_boost * exp(-s / decay)`, t = 0..=months+13.
    pub(crate) novelty_cum: Vec<f64>,
    pub(crate) base_mix: Vec<f64>,
    /// Per intent, `Gamma(mix_concentration * share, 1)`: the intent mix's Dirichlet.
    pub(crate) mix_gamma: Option<Vec<Gamma>>,
    /// Per intent: probability that an interaction orders in no channel (not sub / sub).
    pub(crate) no_order: Vec<[f64; 2]>,
    pub(crate) clocks: Vec<Clock>,
    /// Per channel: the order values' distribution and the key of their block stream.
    pub(crate) order_value: Vec<OrderValue>,
    pub(crate) plans: Vec<Plan>,
    /// ln-mean and sigma of household spend, when there is an ecosystem.
    pub(crate) spend: Option<(f64, f64)>,
    pub(crate) premium: Option<PremiumModel>,
    pub(crate) prime: Bernoulli,
    /// Usage multiplier, not subscribed / subscribed.
    pub(crate) usage_mult: [f64; 2],
}

impl TrialModel {
    pub fn new(s: &Scenario, seed: u64, trial: u64) -> TrialModel {
        TrialModel::with_values(s, seed, trial, draw_params(s, seed, trial))
    }

    /// The model of one trial with one parameter pinned, from the trial's draws.
    pub fn pinned(s: &Scenario, seed: u64, trial: u64, draws: &[f64], pin: Pin) -> TrialModel {
        let mut values = draws.to_vec();
        values[pin.param.0 as usize] = pin.value;
        TrialModel::with_values(s, seed, trial, values)
    }

    /// The model of one trial with the given parameter values (in parameter order).
    pub(crate) fn with_values(s: &Scenario, seed: u64, trial: u64, values: Vec<f64>) -> TrialModel {
        let v = |id: ParamId| values[id.0 as usize];
        let a = &s.adoption;
        let months = s.months;
        let first_month = s.start.month() as usize - 1;
        let year_of = (0..months as usize)
            .map(|m| ((first_month + m) / 12) as u16)
            .collect();
        let boost = v(s.usage.novelty_boost);
        let decay = v(s.usage.novelty_decay_months);
        let novelty_pow: Vec<f64> = (0..months as usize + 14)
            .map(|t| (-(t as f64) / decay).exp())
            .collect();
        let mut novelty_cum = Vec::with_capacity(novelty_pow.len());
        let mut cum = 0.0;
        for &x in &novelty_pow {
            novelty_cum.push(cum);
            cum += 1.0 + boost * x;
        }
        let mixes: Vec<f64> = s.devices.iter().map(|d| d.mix).collect();

        let (premium, usage_mult, conv_mult) = match &s.premium {
            Some(p) => (
                Some(PremiumModel {
                    launch: p.launch,
                    price: v(p.price_month),
                    included_with_prime: p.included_with_prime,
                    wtp_median: v(p.wtp_median),
                    wtp_sigma: v(p.wtp_sigma),
                    elasticity: v(p.wtp_activity_elasticity),
                    consider: Bernoulli::new(v(p.consider_per_month)),
                    churn: Bernoulli::new(monthly(v(p.churn_per_year))),
                }),
                [1.0, v(p.usage_uplift)],
                v(p.conversion_uplift),
            ),
            None => (None, [1.0, 1.0], 1.0),
        };

        let (no_order, clocks) = purchase_clocks(s, &v, conv_mult);

        TrialModel {
            seed,
            trial,
            key: trial_key(seed, trial),
            months,
            year_of,
            reported: (s.reported().range().start, s.reported().range().end),
            installed: v(a.installed_share),
            potential: v(a.potential),
            p: v(a.innovation),
            q: v(a.imitation),
            adoption_cut: adoption_cuts(
                v(a.installed_share),
                v(a.potential),
                v(a.innovation),
                v(a.imitation),
                months,
            ),
            adopt_extra: SmallPoisson::new(v(a.devices_at_adoption) - 1.0),
            extra_rate: v(a.extra_devices_per_year) / 12.0,
            abandon: Geometric::new(monthly(v(a.abandon_per_year))),
            device_mix: Categorical::new(&mixes),
            lambda_mean: v(s.usage.interactions_per_day),
            activity: s.usage.activity_shape.map(|k| {
                let k = v(k);
                Gamma::new(k, v(s.usage.interactions_per_day) / k)
            }),
            novelty_boost: boost,
            novelty_q: (-1.0 / decay).exp(),
            novelty_pow,
            novelty_cum,
            base_mix: s.intents.iter().map(|i| i.share).collect(),
            mix_gamma: s.usage.mix_concentration.map(|c| {
                let c = v(c);
                s.intents
                    .iter()
                    .map(|i| Gamma::new(c * i.share, 1.0))
                    .collect()
            }),
            no_order,
            clocks,
            order_value: s
                .purchases
                .iter()
                .map(|p| OrderValue {
                    mu: v(p.order_value).ln(),
                    sigma: v(p.order_value_sigma),
                    key: name_key(&format!("block.order_values.{}", p.name)),
                })
                .collect(),
            plans: s
                .subscriptions
                .iter()
                .map(|p| Plan {
                    key: name_key(&format!("subscription.{}", p.name)),
                    attach: Bernoulli::new(v(p.attach)),
                    churn: Geometric::new(monthly(v(p.churn_per_year))),
                })
                .collect(),
            spend: s.ecosystem.as_ref().map(|e| {
                let sigma = v(e.spend_sigma);
                (v(e.spend_per_year).ln() - sigma * sigma / 2.0, sigma)
            }),
            premium,
            prime: Bernoulli::new(v(s.prime_share)),
            usage_mult,
            values,
        }
    }

    /// The drawn value of a parameter.
    pub fn value(&self, id: ParamId) -> f64 {
        self.values[id.0 as usize]
    }

    /// The value of a per-year parameter in a month.
    pub fn yearly(&self, s: &Scenario, y: &Yearly, month: usize) -> f64 {
        self.value(y.at(s.start.plus(month as u32).year()))
    }

    /// All drawn parameter values, in parameter order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Adoption month of a household from its uniform `u`, or `None` if it never adopts
    /// within the horizon. `Some((0, true))` for an installed household.
    ///
    /// The month is `floor(12 T)` with `T` the inverse Bass CDF at
    /// `z = (u - installed) / ((1 - installed) potential)`; it is found by comparing `u`
    /// with the trial's precomputed cuts (the forward CDF at each month boundary) instead of
    /// a logarithm per household, which gives the same month except within rounding
    /// (~1e-16) of a boundary.
    #[inline]
    pub(crate) fn adoption_month(&self, u: f64) -> Option<(u32, bool)> {
        if u < self.installed {
            return Some((0, true));
        }
        // Most households of a sample never adopt within the horizon: one comparison.
        if u >= self.adoption_cut[self.months as usize] {
            return None;
        }
        // Months m with cut[m] <= u, i.e. adoption time at least m months; cut[0] <= u.
        let month = self.adoption_cut.partition_point(|&c| c <= u) - 1;
        (month < self.months as usize).then_some((month as u32, false))
    }
}

/// The uniforms at which the Bass adoption time reaches each month boundary m = 1..=months
/// (with `installed` in front): `installed + (1 - installed) potential F(m / 12)`, with
/// `F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})` the Bass CDF.
fn adoption_cuts(installed: f64, potential: f64, p: f64, q: f64, months: u32) -> Vec<f64> {
    let mut cuts = vec![installed];
    for m in 1..=months {
        let e = (-(p + q) * m as f64 / 12.0).exp();
        let f = (1.0 - e) / (1.0 + (q / p) * e);
        cuts.push(installed + (1.0 - installed) * potential * f);
    }
    cuts
}

/// The purchase clocks of a trial (see [`Clock`]): for each intent, each non-empty subset
/// of its channels, with the probability that an interaction orders in exactly those, not
/// subscribed to the premium tier and subscribed (conversion times `conv_mult`, at most
/// 1); and per intent the probability that it orders in none.
fn purchase_clocks(
    s: &Scenario,
    v: &impl Fn(ParamId) -> f64,
    conv_mult: f64,
) -> (Vec<[f64; 2]>, Vec<Clock>) {
    let mut no_order = vec![[1.0; 2]; s.intents.len()];
    let mut clocks = Vec::new();
    for (k, slot) in no_order.iter_mut().enumerate() {
        let chans: Vec<usize> = (0..s.purchases.len())
            .filter(|&i| s.purchases[i].intent == k)
            .collect();
        debug_assert!(chans.len() <= MAX_CHANNELS_PER_INTENT);
        let conv = |i: usize, state: usize| {
            let c = v(s.purchases[i].conversion);
            if state == 0 {
                c
            } else {
                (c * conv_mult).min(1.0)
            }
        };
        for (state, none) in slot.iter_mut().enumerate() {
            *none = chans.iter().map(|&i| 1.0 - conv(i, state)).product();
        }
        for subset in 1u64..(1 << chans.len()) {
            let mut mask = 0;
            let mut prob = [1.0; 2];
            for (j, &i) in chans.iter().enumerate() {
                let on = subset >> j & 1 == 1;
                if on {
                    mask |= 1 << i;
                }
                for (state, pr) in prob.iter_mut().enumerate() {
                    *pr *= if on {
                        conv(i, state)
                    } else {
                        1.0 - conv(i, state)
                    };
                }
            }
            clocks.push(Clock {
                intent: k,
                mask,
                prob,
            });
        }
    }
    (no_order, clocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_probability_compounds_to_annual() {
        for p in [0.0, 0.12, 0.45, 0.99] {
            let m = monthly(p);
            assert!((1.0 - (1.0 - m).powi(12) - p).abs() < 1e-12);
        }
        assert_eq!(monthly(1.0), 1.0);
    }
}
