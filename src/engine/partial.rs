//! Partial results of a block of households, merged with exact integer arithmetic.
//!
//! A [`Partial`] holds only integers: event counts, difference arrays of levels (active
//! households, plan and premium subscribers) and money in fixed point (2^-32 dollars, each
//! addend rounded once when it is recorded). Merging is integer addition, which is
//! associative and commutative, so any split of a trial into blocks, shards or threads
//! merges to the same bits. Prices, costs and margins are applied to the counts only when a
//! trial is finalised.

use crate::sampling::exp::{BATCH, EXP_FAST_MAX, EXP_FAST_MIN, fixed_exp, lognormal_batch};

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
    /// The summed value of `n` orders, in fixed point, in batches of up to 256: the batch's
    /// `u64`s from the stream, then at once their normal draws `z` by the first test of
    /// the ziggurat of [`crate::sampling::fill_standard_normal`] and the fixed-point values
    /// of `exp(mu + sigma z)` ([`lognormal_batch`]), then the draws that the first test
    /// rejected, in order, from the stream's next numbers. The draws are exactly those of
    /// `fill_standard_normal` on the same stream. When some `mu + sigma z` falls outside
    /// the fast range, the batch's values go through `f64::exp` and [`to_fixed`] instead.
    /// `words` and `xs` are scratch space, reused from call to call.
    fn sum(&mut self, n: u64, words: &mut [u64; EXP_BATCH], xs: &mut [f64; EXP_BATCH]) -> i128 {
        let edges = crate::sampling::normal_layer_edges();
        let mut total = 0i128;
        let mut left = n as usize;
        while left > 0 {
            let len = left.min(EXP_BATCH);
            let (words, xs) = (&mut words[..len], &mut xs[..len]);
            crate::sampling::fill_u64(&mut self.rng, words);
            let batch = lognormal_batch(edges, self.mu, self.sigma, words, xs);
            let (mut sum, mut out_of_range) = (batch.sum, batch.out_of_range);
            for (k, mut rejected) in batch.rejected.into_iter().enumerate() {
                while rejected != 0 {
                    let i = 64 * k + rejected.trailing_zeros() as usize;
                    rejected &= rejected - 1;
                    let z = crate::sampling::normal_finish(&mut self.rng, words[i]);
                    let x = self.mu + self.sigma * z;
                    xs[i] = x;
                    out_of_range |= !(EXP_FAST_MIN..=EXP_FAST_MAX).contains(&x);
                    sum = sum.wrapping_add(fixed_exp(x));
                }
            }
            total += if out_of_range {
                xs.iter().map(|x| to_fixed(x.exp())).sum()
            } else {
                // At most 256 values below 2^51 each: the sum is below 2^59.
                sum as i128
            };
            left -= len;
        }
        total
    }
}

/// Orders per batch of [`OrderValues::sum`].
const EXP_BATCH: usize = BATCH;

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
        let (mut words, mut xs) = ([0u64; EXP_BATCH], [0.0f64; EXP_BATCH]);
        for (p, ov) in values.iter_mut().enumerate() {
            for m in 0..self.shape.months {
                let n = self.counts[o.orders + m * n_pur + p];
                if n > 0 {
                    self.money[o.gmv + m * n_pur + p] += ov.sum(n as u64, &mut words, &mut xs);
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

    /// Each order value's fixed-point amount on the fast path is within one unit (2^-32
    /// dollar) of [`to_fixed`]`(exp(x))`, at typical values and at the top of the range.
    #[test]
    fn fixed_exp_matches_to_fixed() {
        let mut rng = crate::sampling::stream(11, 0, 0, 0);
        for _ in 0..200_000 {
            let x = 3.0 + 2.0 * crate::sampling::standard_normal(&mut rng);
            let x = x.clamp(EXP_FAST_MIN, EXP_FAST_MAX);
            let got = fixed_exp(x) as i128;
            assert!((got - to_fixed(x.exp())).abs() <= 1, "x = {x}");
        }
        // The AVX2 kernel gives a rejected word the bottom of the range: worth nothing.
        assert_eq!(fixed_exp(EXP_FAST_MIN), 0);
        let top = fixed_exp(EXP_FAST_MAX);
        assert!(top < 1 << 51);
        // A full batch at the top of the fast range does not overflow a 64-bit sum.
        assert!(top.checked_mul(EXP_BATCH as u64).is_some());
    }

    /// What [`OrderValues::sum`] must give, written plainly: the normal draws of
    /// `fill_standard_normal` on the same stream, 64 at a time; a batch whose every
    /// `mu + sigma z` is in the fast range sums [`fixed_exp`], any other batch
    /// `to_fixed(exp(x))`.
    fn order_values_reference(
        mu: f64,
        sigma: f64,
        rng: &mut crate::sampling::Rng,
        n: usize,
    ) -> i128 {
        let mut zs = vec![0.0; n];
        let mut total = 0i128;
        for chunk in zs.chunks_mut(EXP_BATCH) {
            crate::sampling::fill_standard_normal(rng, chunk);
            let xs: Vec<f64> = chunk.iter().map(|z| mu + sigma * z).collect();
            total += if xs.iter().all(|x| (EXP_FAST_MIN..=EXP_FAST_MAX).contains(x)) {
                xs.iter().map(|&x| fixed_exp(x) as i128).sum::<i128>()
            } else {
                xs.iter().map(|x| to_fixed(x.exp())).sum::<i128>()
            };
        }
        total
    }

    /// [`OrderValues::sum`] (batch kernel, rejected draws finished afterwards, range
    /// fallback) gives exactly the reference's sums and leaves the stream where the
    /// reference does, over counts that cut batches anywhere, for typical log-values, for
    /// ones near the top of the fast range (some batches fall back) and beyond it (all do).
    #[test]
    fn order_values_sum_is_fill_standard_normal_then_fixed_exp() {
        use rand::Rng as _;
        for (mu, sigma) in [
            (3.4, 0.9),
            (0.0, 1.0),
            (11.5, 0.8),
            (12.5, 0.1),
            (20.0, 1.0),
            (-698.0, 1.0),
        ] {
            let mut ov = OrderValues {
                mu,
                sigma,
                rng: crate::sampling::stream(5, 1, 2, 3),
            };
            let mut rng = ov.rng.clone();
            for n in [1usize, 3, 4, 5, 63, 64, 65, 130, 255, 256, 257, 1000, 4097] {
                let got = ov.sum(n as u64, &mut [0; EXP_BATCH], &mut [0.0; EXP_BATCH]);
                let want = order_values_reference(mu, sigma, &mut rng, n);
                assert_eq!(got, want, "mu {mu}, sigma {sigma}, n {n}");
            }
            assert_eq!(ov.rng.next_u64(), rng.next_u64());
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
