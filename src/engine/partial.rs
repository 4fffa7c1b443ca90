//! Partial results of a block of households, merged with exact integer arithmetic.
//!
//! A [`Partial`] holds only integers: event counts, difference arrays of levels (active
//! households, plan and premium subscribers) and money in fixed point (2^-32 dollars, each
//! addend rounded once when it is recorded). Merging is integer addition, which is
//! associative and commutative, so any split of a trial into blocks, shards or threads
//! merges to the same bits. Prices, costs and margins are applied to the counts only when a
//! trial is finalised.

/// Fixed-point scale of money amounts: 2^32 units per dollar.
pub const MONEY_SCALE: f64 = 4_294_967_296.0;

/// A dollar amount in fixed point (rounded to the nearest 2^-32 dollar).
#[inline]
pub fn to_fixed(x: f64) -> i128 {
    // Amounts recorded in the hot loop are never negative: add a half and truncate.
    (x * MONEY_SCALE + 0.5) as i128
}

/// Fixed-point scale of interaction rates: 2^20 units per expected interaction.
pub const RATE_SCALE: f64 = 1_048_576.0;

/// An expected-interaction rate in fixed point (rounded to the nearest 2^-20 interaction).
/// Rates are never negative.
#[inline]
pub fn rate_to_fixed(x: f64) -> i64 {
    (x * RATE_SCALE + 0.5) as i64
}

/// A fixed-point amount back in dollars.
#[inline]
pub fn from_fixed(x: i128) -> f64 {
    x as f64 / MONEY_SCALE
}

/// Sizes that determine a partial's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub months: usize,
    pub years: usize,
    pub devices: usize,
    pub intents: usize,
    pub purchases: usize,
    pub plans: usize,
}

/// Offsets of each counter region inside `counts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offsets {
    pub active_diff: usize,
    pub new_adopters: usize,
    pub units: usize,
    pub interactions: usize,
    pub premium_interactions: usize,
    pub orders: usize,
    pub buyers_month: usize,
    pub buyers_year: usize,
    pub buyers_total: usize,
    pub plans_diff: usize,
    pub premium_diff: usize,
    pub paying_diff: usize,
    pub counts_len: usize,
    pub gmv: usize,
    pub spend_diff: usize,
    pub money_len: usize,
    /// Expected interactions per (month, intent), all households and subscribed ones,
    /// in fixed point; turned into counts by [`Partial::close`].
    pub rate: usize,
    pub rate_sub: usize,
    pub rates_len: usize,
}

impl Shape {
    pub(crate) fn offsets(&self) -> Offsets {
        let m = self.months;
        let mut at = 0;
        let mut take = |n: usize| {
            let o = at;
            at += n;
            o
        };
        let active_diff = take(m + 1);
        let new_adopters = take(m);
        let units = take(m * self.devices);
        let interactions = take(m * self.intents);
        let premium_interactions = take(m);
        let orders = take(m * self.purchases);
        let buyers_month = take(m * self.purchases);
        let buyers_year = take(self.years * self.purchases);
        let buyers_total = take(self.purchases);
        let plans_diff = take((m + 1) * self.plans);
        let premium_diff = take(m + 1);
        let paying_diff = take(m + 1);
        let counts_len = at;
        let gmv = 0;
        let spend_diff = m * self.purchases;
        let money_len = spend_diff + m + 1;
        let rate = 0;
        let rate_sub = m * self.intents;
        let rates_len = 2 * m * self.intents;
        Offsets {
            active_diff,
            new_adopters,
            units,
            interactions,
            premium_interactions,
            orders,
            buyers_month,
            buyers_year,
            buyers_total,
            plans_diff,
            premium_diff,
            paying_diff,
            counts_len,
            gmv,
            spend_diff,
            money_len,
            rate,
            rate_sub,
            rates_len,
        }
    }
}

/// Integer partial results of some households of one trial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    shape: Shape,
    pub(crate) counts: Vec<i64>,
    pub(crate) money: Vec<i128>,
    pub(crate) rates: Vec<i64>,
}

impl Partial {
    /// An empty partial (the identity of [`Partial::merge`]).
    pub fn new(shape: Shape) -> Partial {
        let o = shape.offsets();
        Partial {
            shape,
            counts: vec![0; o.counts_len],
            money: vec![0; o.money_len],
            rates: vec![0; o.rates_len],
        }
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Adds another partial of the same trial. Exact: the result does not depend on the
    /// order or grouping of merges.
    pub fn merge(&mut self, other: &Partial) {
        assert_eq!(
            self.shape, other.shape,
            "merging partials of different shapes"
        );
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.money.iter_mut().zip(&other.money) {
            *a += b;
        }
        for (a, b) in self.rates.iter_mut().zip(&other.rates) {
            *a += b;
        }
    }

    /// Ends a block: draws the aggregated interactions of each (month, intent) as one
    /// Poisson count from the block's summed rate (Poisson superposition), splits off the
    /// premium-subscribed ones with a binomial on their share of the rate, and clears the
    /// rates. `streams` gives each intent's two streams for this block.
    pub(crate) fn close(&mut self, streams: &mut [(crate::sampling::Rng, crate::sampling::Rng)]) {
        let o = self.shape.offsets();
        let k_n = self.shape.intents;
        for (k, (rng, rng_sub)) in streams.iter_mut().enumerate() {
            for m in 0..self.shape.months {
                let r = self.rates[o.rate + m * k_n + k];
                if r <= 0 {
                    continue;
                }
                let n = crate::sampling::poisson(rng, r as f64 / RATE_SCALE);
                self.counts[o.interactions + m * k_n + k] += n as i64;
                let rs = self.rates[o.rate_sub + m * k_n + k];
                if rs > 0 {
                    let share = (rs as f64 / r as f64).min(1.0);
                    self.counts[o.premium_interactions + m] +=
                        crate::sampling::binomial(rng_sub, n, share) as i64;
                }
            }
        }
        self.rates.iter_mut().for_each(|r| *r = 0);
    }

    /// Levels from a difference array region of `len` months.
    pub(crate) fn levels(&self, offset: usize, stride: usize, index: usize) -> Vec<i64> {
        let mut level = 0;
        (0..self.shape.months)
            .map(|m| {
                level += self.counts[offset + m * stride + index];
                level
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shape() -> Shape {
        Shape {
            months: 5,
            years: 1,
            devices: 2,
            intents: 3,
            purchases: 1,
            plans: 2,
        }
    }

    fn partial_from(seed: &[i64]) -> Partial {
        let mut p = Partial::new(shape());
        for (i, c) in p.counts.iter_mut().enumerate() {
            *c = seed[i % seed.len()] * (i as i64 % 7 - 3);
        }
        for (i, c) in p.money.iter_mut().enumerate() {
            *c = to_fixed(seed[i % seed.len()] as f64 * 1.37e3 + 0.1 * i as f64);
        }
        for (i, c) in p.rates.iter_mut().enumerate() {
            *c = seed[i % seed.len()] * 3 + i as i64;
        }
        p
    }

    proptest! {
        /// Merging in any grouping gives identical bits: ((a+b)+c) == (a+(b+c)) == ((c+a)+b).
        #[test]
        fn merge_is_associative_and_commutative(
            a in proptest::collection::vec(-1000i64..1000, 1..8),
            b in proptest::collection::vec(-1000i64..1000, 1..8),
            c in proptest::collection::vec(-1000i64..1000, 1..8),
        ) {
            let (pa, pb, pc) = (partial_from(&a), partial_from(&b), partial_from(&c));
            let mut left = pa.clone();
            left.merge(&pb);
            left.merge(&pc);
            let mut bc = pb.clone();
            bc.merge(&pc);
            let mut right = pa.clone();
            right.merge(&bc);
            let mut other = pc.clone();
            other.merge(&pa);
            other.merge(&pb);
            prop_assert_eq!(&left, &right);
            prop_assert_eq!(&left, &other);
            let mut id = Partial::new(shape());
            id.merge(&pa);
            prop_assert_eq!(&id, &pa);
        }
    }

    #[test]
    fn fixed_point_round_trips_money() {
        for x in [0.0, 1.0, 29.99, 1.0e9, 123_456.789] {
            assert!(
                (from_fixed(to_fixed(x)) - x).abs() <= 0.5 / MONEY_SCALE * (1.0 + x.abs() * 1e-6)
            );
        }
    }

    #[test]
    fn levels_accumulate_differences() {
        let mut p = Partial::new(shape());
        let o = shape().offsets();
        p.counts[o.active_diff + 1] += 2;
        p.counts[o.active_diff + 3] -= 1;
        assert_eq!(p.levels(o.active_diff, 1, 0), vec![0, 2, 2, 1, 1]);
    }
}
