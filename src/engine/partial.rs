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
    let y = x * MONEY_SCALE + 0.5;
    // Below 2^63 (amounts under $2.1e9) the conversion through i64 is one instruction and
    // truncates exactly like the i128 one (a library call); larger amounts, and NaN, take
    // the i128 path.
    if y < 9_223_372_036_854_775_808.0 && y > -9_223_372_036_854_775_808.0 {
        y as i64 as i128
    } else {
        y as i128
    }
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

/// The values of one purchase channel's orders, drawn when a block closes: each order's
/// value is `LogNormal(mu, sigma)`, independent of everything else, so the values of a
/// block's orders are drawn from a stream of the block (keyed by the channel) once their
/// number is known, and summed in fixed point (each rounded once, as it is recorded).
pub(crate) struct OrderValues {
    pub mu: f64,
    pub sigma: f64,
    pub rng: crate::sampling::Rng,
}

impl OrderValues {
    /// The summed value of `n` orders, in fixed point.
    fn sum(&mut self, n: u64) -> i128 {
        const BATCH: usize = 64;
        let mut buf = [0.0f64; BATCH];
        let mut total = 0i128;
        let mut left = n as usize;
        while left > 0 {
            let len = left.min(BATCH);
            for x in &mut buf[..len] {
                *x = self.mu + self.sigma * crate::sampling::standard_normal(&mut self.rng);
            }
            for x in &buf[..len] {
                total += to_fixed(x.exp());
            }
            left -= len;
        }
        total
    }
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
    /// Expected interactions per (month, intent), all households and subscribed ones, in
    /// fixed point, as two difference arrays over months each: `rate` holds the constant
    /// part (an active segment adds its rate where it starts and takes it back where it
    /// ends), `rate_decay` the novelty part, which decays by the trial's `novelty_q` per
    /// month (a segment adds its novelty rate at its first month and takes back what is
    /// left of it at its end). Turned into counts by [`Partial::close`].
    pub rate: usize,
    pub rate_decay: usize,
    pub rate_sub: usize,
    pub rate_sub_decay: usize,
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
        let region = (m + 1) * self.intents;
        let rate = 0;
        let rate_decay = region;
        let rate_sub = 2 * region;
        let rate_sub_decay = 3 * region;
        let rates_len = 4 * region;
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
            rate_decay,
            rate_sub,
            rate_sub_decay,
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
    /// rates; then draws the value of every order (see [`OrderValues`]). `streams` gives each
    /// intent's two streams for this block, `novelty_q` the novelty's decay per month.
    pub(crate) fn close(
        &mut self,
        streams: &mut [(crate::sampling::Rng, crate::sampling::Rng)],
        novelty_q: f64,
        values: &mut [OrderValues],
    ) {
        let o = self.shape.offsets();
        let k_n = self.shape.intents;
        for (k, (rng, rng_sub)) in streams.iter_mut().enumerate() {
            let (mut flat, mut decay, mut flat_sub, mut decay_sub) = (0i64, 0.0f64, 0i64, 0.0f64);
            for m in 0..self.shape.months {
                let i = m * k_n + k;
                flat += self.rates[o.rate + i];
                decay = decay * novelty_q + self.rates[o.rate_decay + i] as f64;
                flat_sub += self.rates[o.rate_sub + i];
                decay_sub = decay_sub * novelty_q + self.rates[o.rate_sub_decay + i] as f64;
                // The summed rate in fixed point; rounding removes what is left of segments
                // that ended (their decayed rate is taken back rounded).
                let r = (flat as f64 + decay).round();
                if r <= 0.0 {
                    continue;
                }
                let n = crate::sampling::poisson(rng, r / RATE_SCALE);
                self.counts[o.interactions + i] += n as i64;
                let rs = (flat_sub as f64 + decay_sub).round();
                if rs > 0.0 {
                    let share = (rs / r).min(1.0);
                    self.counts[o.premium_interactions + m] +=
                        crate::sampling::binomial(rng_sub, n, share) as i64;
                }
            }
        }
        self.rates.iter_mut().for_each(|r| *r = 0);
        let n_pur = self.shape.purchases;
        for (p, ov) in values.iter_mut().enumerate() {
            for m in 0..self.shape.months {
                let n = self.counts[o.orders + m * n_pur + p];
                if n > 0 {
                    self.money[o.gmv + m * n_pur + p] += ov.sum(n as u64);
                }
            }
        }
    }

    /// Household-months in which a household was active (the sum of the active level).
    pub fn active_household_months(&self) -> u64 {
        let o = self.shape.offsets();
        self.levels(o.active_diff, 1, 0).iter().sum::<i64>() as u64
    }

    /// Orders in every channel and month.
    pub fn orders(&self) -> u64 {
        let o = self.shape.offsets();
        let n = self.shape.months * self.shape.purchases;
        self.counts[o.orders..o.orders + n].iter().sum::<i64>() as u64
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
