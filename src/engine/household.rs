//! The hot path: simulating a block of households of one trial, month by month.
//!
//! Each household draws its life once from streams keyed by (seed, trial, household,
//! component): adoption month, lifetime, activity, intent mix, spend, plans, premium
//! history, device purchases ([`prepare`]). Then one loop over its active months
//! accumulates usage, given its premium subscription spells ([`usage`]). The loop does no
//! allocation, hashing or dynamic dispatch.
//!
//! The split lets a sweep of `premium.price_month` share everything upstream of the premium
//! decision: a household has only two possible histories (never subscribes, or subscribes
//! in the spells its premium stream dictates), whichever the price, so a block is simulated
//! once with each household's contribution going to the grid points whose price it accepts
//! ([`simulate_block_price_sweep`]). All accumulators are integers, so each point's block
//! is exactly the block a plain run at that price produces.
//!
//! Exact sampling shortcuts (each reported figure keeps the distribution the model of docs/scenario-format.md §5 gives it):
//! * **Lifetimes by geometric draws.** Abandonment, plan churn: one geometric draw instead
//!   of a Bernoulli per month.
//! * **Device units as a Poisson process.** Later units arrive with exponential gaps at
//!   `extra_devices_per_year / 12` per month, so each month's count is Poisson.
//! * **Poisson superposition of interactions.** Interactions that no per-household rule
//!   reads are not drawn per household: the block accumulates each intent's rate (in fixed
//!   point, 2^-20 interaction per addend) and draws one Poisson count per (block, month,
//!   intent), split into premium and non-premium with a binomial on the subscribed share of
//!   the rate. A household adds its rate per segment of constant premium state, not per
//!   month: the rate is a constant plus a novelty part decaying geometrically with tenure,
//!   so four additions per intent into difference arrays carry the whole segment, and the
//!   block's monthly sums are rebuilt at close.
//! * **Purchase clocks.** Interactions of an intent that order in a given set of channels
//!   are an independent Poisson process (thinning), simulated per household by an
//!   exponential clock against the cumulative rate (the trial's cumulative novelty table),
//!   so orders and buyers are exact per household; a segment without an order costs one
//!   multiplication per clock, and a clock's orders in one month are counted before they
//!   are recorded, once per month. Those interactions are counted as interactions too, so
//!   orders never exceed their intent's interactions.
//! * **Order values at block close.** Each order's value is an independent lognormal, so a
//!   block draws its orders' values from a stream of the block once their number per
//!   (month, channel) is known, in vectorised batches (see [`OrderValues`]).

use super::model::{DAYS_PER_MONTH, PremiumModel, TrialModel, component};
use super::partial::{Offsets, OrderValues, Partial, Shape, rate_to_fixed, to_fixed};
use crate::sampling::{self, Rng, UnitKey, UnitRng, name_key};
use crate::scenario::{MAX_INTENTS, Scenario};

/// Households per block: fixed, never derived from the thread count.
pub const BLOCK_SIZE: u64 = 4096;

/// Most purchase clocks a household can carry.
pub const MAX_CLOCKS: usize = 64;
/// Most purchase channels.
pub const MAX_PURCHASES: usize = 64;

/// Stream components of the block-level interaction draws, one pair per intent.
pub(crate) fn interaction_keys(s: &Scenario) -> Vec<(u64, u64)> {
    s.intent_names()
        .map(|k| {
            (
                name_key(&format!("block.interactions.{k}")),
                name_key(&format!("block.premium_interactions.{k}")),
            )
        })
        .collect()
}

fn close(tm: &TrialModel, keys: &[(u64, u64)], block: u64, partial: &mut Partial) {
    let mut streams: Vec<(Rng, Rng)> = keys
        .iter()
        .map(|&(k, ks)| {
            (
                sampling::stream(tm.seed, tm.trial, block, k),
                sampling::stream(tm.seed, tm.trial, block, ks),
            )
        })
        .collect();
    let mut values: Vec<OrderValues> = tm
        .order_value
        .iter()
        .map(|ov| OrderValues {
            mu: ov.mu,
            sigma: ov.sigma,
            rng: sampling::stream(tm.seed, tm.trial, block, ov.key),
        })
        .collect();
    partial.close(&mut streams, tm.novelty_q, &mut values);
}

/// Simulates households `first..last` (block number `block`) of one trial.
pub(crate) fn simulate_block(
    tm: &TrialModel,
    shape: Shape,
    keys: &[(u64, u64)],
    block: u64,
    first: u64,
    last: u64,
) -> Partial {
    let mut out = Partial::new(shape);
    let o = shape.offsets();
    let mut spells = Vec::with_capacity(16);
    let (mut scratch, mut slot) = (Scratch::new(), Household::empty());
    for h in first..last {
        if !prepare(tm, &shape, &o, h, &mut out, &mut slot) {
            continue;
        }
        let hh = &mut slot;
        spells.clear();
        if let Some(pm) = &tm.premium
            && (hh.free || hh.wtp >= pm.price)
        {
            premium_history(tm, hh, &mut spells);
        }
        usage::<1>(tm, &shape, &o, hh, &spells, &mut out, &mut scratch);
    }
    close(tm, keys, block, &mut out);
    out
}

/// Simulates one block for several premium prices at once. `tm` is the model of any of
/// the points (they differ only in the premium price); returns one closed partial per
/// price, each equal to what [`simulate_block`] gives at that price.
pub(crate) fn simulate_block_price_sweep(
    tm: &TrialModel,
    prices: &[f64],
    shape: Shape,
    keys: &[(u64, u64)],
    block: u64,
    first: u64,
    last: u64,
) -> Vec<Partial> {
    let o = shape.offsets();
    // Points sorted by price: a household accepts a prefix of them (price <= its WTP).
    let mut order: Vec<usize> = (0..prices.len()).collect();
    order.sort_by(|&a, &b| prices[a].total_cmp(&prices[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| prices[i]).collect();
    let mut base = Partial::new(shape);
    // delta[j]: contributions of households that accept exactly the j cheapest prices.
    let mut delta: Vec<Partial> = (0..=prices.len()).map(|_| Partial::new(shape)).collect();
    let mut spells = Vec::with_capacity(16);
    let (mut scratch, mut slot) = (Scratch::new(), Household::empty());
    for h in first..last {
        if !prepare(tm, &shape, &o, h, &mut base, &mut slot) {
            continue;
        }
        let hh = &mut slot;
        spells.clear();
        let accepted = match &tm.premium {
            None => 0,
            Some(_) if hh.free => prices.len(),
            Some(_) => sorted.partition_point(|&p| p <= hh.wtp),
        };
        if accepted == prices.len() && accepted > 0 {
            premium_history(tm, hh, &mut spells);
            usage::<1>(tm, &shape, &o, hh, &spells, &mut base, &mut scratch);
            continue;
        }
        usage::<1>(tm, &shape, &o, hh, &[], &mut base, &mut scratch);
        if accepted > 0 {
            premium_history(tm, hh, &mut spells);
            if !spells.is_empty() {
                usage::<1>(
                    tm,
                    &shape,
                    &o,
                    hh,
                    &spells,
                    &mut delta[accepted],
                    &mut scratch,
                );
                usage::<-1>(tm, &shape, &o, hh, &[], &mut delta[accepted], &mut scratch);
            }
        }
    }
    // Point at sorted position k gets base + every delta[j] with j > k.
    let mut out: Vec<Option<Partial>> = vec![None; prices.len()];
    let mut acc = base;
    for k in (0..prices.len()).rev() {
        acc.merge(&delta[k + 1]);
        let mut point = acc.clone();
        close(tm, keys, block, &mut point);
        out[order[k]] = Some(point);
    }
    out.into_iter()
        .map(|p| p.expect("every point filled"))
        .collect()
}

/// Simulates one block of the model `tm` and, on the same households, of `variants`: models
/// that differ from `tm` only in what the premium tier reads (parameters declared
/// `Effect::PremiumTier`: willingness to pay, consideration, churn, the uplifts of
/// subscribed months; the premium price) and in what only finalisation reads. Returns
/// `tm`'s closed partial and one per variant, each equal to what [`simulate_block`] gives
/// for that model.
///
/// Each household's life upstream of the premium decision is drawn once. A variant's block
/// is `tm`'s plus, for the households whose premium tier differs in it (another decision,
/// other spells, or spells whose subscribed months it weighs otherwise), their usage under
/// the variant minus their usage under `tm`: integer accumulators, so exact.
pub(crate) fn simulate_block_premium_variants(
    tm: &TrialModel,
    variants: &[&TrialModel],
    shape: Shape,
    keys: &[(u64, u64)],
    block: u64,
    first: u64,
    last: u64,
) -> (Partial, Vec<Partial>) {
    let o = shape.offsets();
    let mut plain = Partial::new(shape);
    let mut deltas: Vec<Partial> = variants.iter().map(|_| Partial::new(shape)).collect();
    // Per variant: whether its premium spells come from the same draws as tm's (the same
    // consideration and churn), and whether it weighs subscribed months alike.
    let same_history: Vec<bool> = variants
        .iter()
        .map(|v| match (&tm.premium, &v.premium) {
            (Some(a), Some(b)) => a.consider == b.consider && a.churn == b.churn,
            _ => true,
        })
        .collect();
    let same_subscribed: Vec<bool> = variants
        .iter()
        .map(|v| {
            v.usage_mult == tm.usage_mult && v.no_order == tm.no_order && v.clocks == tm.clocks
        })
        .collect();
    // Scratch reused by every household: the spells of tm's history (whether or not tm
    // accepts), tm's own, a variant's; which variants accept.
    let (mut history, mut own, mut theirs) = (
        Vec::with_capacity(16),
        Vec::with_capacity(16),
        Vec::with_capacity(16),
    );
    let mut accepted = vec![false; variants.len()];
    let (mut scratch, mut slot) = (Scratch::new(), Household::empty());
    for h in first..last {
        if !prepare(tm, &shape, &o, h, &mut plain, &mut slot) {
            continue;
        }
        let hh = &mut slot;
        let Some(pm) = &tm.premium else {
            usage::<1>(tm, &shape, &o, hh, &[], &mut plain, &mut scratch);
            continue;
        };
        let rng = hh.premium_rng.clone();
        let (free, lambda, z) = (hh.free, hh.lambda, hh.wtp_z);
        let accepts = |m: &PremiumModel| free || willingness_to_pay(tm, m, lambda, z) >= m.price;
        for (a, v) in accepted.iter_mut().zip(variants) {
            *a = v.premium.as_ref().is_some_and(accepts);
        }
        let plain_accepts = accepts(pm);
        history.clear();
        if plain_accepts || accepted.iter().zip(&same_history).any(|(&a, &s)| a && s) {
            premium_history(tm, hh, &mut history);
        }
        own.clear();
        if plain_accepts {
            own.extend_from_slice(&history);
        }
        usage::<1>(tm, &shape, &o, hh, &own, &mut plain, &mut scratch);
        for (k, v) in variants.iter().enumerate() {
            theirs.clear();
            if accepted[k] {
                if same_history[k] {
                    theirs.extend_from_slice(&history);
                } else {
                    hh.premium_rng.clone_from(&rng);
                    premium_history(v, hh, &mut theirs);
                }
            }
            if theirs == own && (own.is_empty() || same_subscribed[k]) {
                continue;
            }
            usage::<1>(v, &shape, &o, hh, &theirs, &mut deltas[k], &mut scratch);
            usage::<-1>(tm, &shape, &o, hh, &own, &mut deltas[k], &mut scratch);
        }
    }
    let variants = deltas
        .into_iter()
        .zip(variants)
        .map(|(mut p, v)| {
            p.merge(&plain);
            close(v, keys, block, &mut p);
            p
        })
        .collect();
    close(tm, keys, block, &mut plain);
    (plain, variants)
}

/// A household's life upstream of the premium decision.
#[derive(Clone, Debug)]
pub(crate) struct Household {
    /// The household's streams' key.
    key: UnitKey,
    start: u32,
    end: u32,
    tenure0: u32,
    lambda: f64,
    mix: [f64; MAX_INTENTS],
    /// Willingness to pay for the premium tier (from its normal draw `wtp_z`), and whether
    /// it gets the tier free.
    wtp: f64,
    wtp_z: f64,
    free: bool,
    /// The premium stream, positioned after the draws of `wtp` and Prime.
    premium_rng: Option<UnitRng>,
}

impl Household {
    /// An empty slot for [`prepare`] to fill.
    fn empty() -> Household {
        Household {
            key: UnitKey::default(),
            start: 0,
            end: 0,
            tenure0: 0,
            lambda: 0.0,
            mix: [0.0; MAX_INTENTS],
            wtp: 0.0,
            wtp_z: 0.0,
            free: false,
            premium_rng: None,
        }
    }
}

/// Draws a household's life into `hh` and records everything that does not depend on the
/// premium: activity, adoptions, device units, plans, spend. `false` if it never adopts.
/// (`hh` is a slot reused by the block's households, so its intent mix is never copied.)
#[inline]
fn prepare(
    tm: &TrialModel,
    shape: &Shape,
    o: &Offsets,
    h: u64,
    out: &mut Partial,
    hh: &mut Household,
) -> bool {
    let key = tm.key.unit(h);
    let u = sampling::uniform(&mut key.stream(component::ADOPTION));
    let Some((start, installed)) = tm.adoption_month(u) else {
        return false;
    };
    let months = tm.months;
    let c = &mut out.counts;

    // Lifetime: active months [start, end).
    let life = tm.abandon.sample(&mut key.stream(component::ABANDON));
    let end = (start as u64).saturating_add(life).min(months as u64) as u32;
    c[o.active_diff + start as usize] += 1;
    c[o.active_diff + end as usize] -= 1;
    if !installed {
        c[o.new_adopters + start as usize] += 1;
    }

    // Activity and intent mix.
    let lambda = match &tm.activity {
        Some(g) => g.sample(&mut key.stream(component::ACTIVITY)),
        None => tm.lambda_mean,
    };
    let n_int = shape.intents;
    let mix = &mut hh.mix;
    match &tm.mix_gamma {
        Some(gammas) => {
            let mut r = key.stream(component::MIX);
            let mut total = 0.0;
            for (x, g) in mix.iter_mut().zip(gammas) {
                *x = g.sample(&mut r);
                total += *x;
            }
            if total > 0.0 {
                for x in &mut mix[..n_int] {
                    *x /= total;
                }
            } else {
                mix[..n_int].copy_from_slice(&tm.base_mix);
            }
        }
        None => mix[..n_int].copy_from_slice(&tm.base_mix),
    }

    // Ecosystem spend: a level over the active months.
    if let Some((mu, sigma)) = tm.spend {
        let mut r = key.stream(component::SPEND);
        let s = sampling::exp::exp(mu + sigma * sampling::standard_normal(&mut r));
        let fx = to_fixed(s);
        out.money[o.spend_diff + start as usize] += fx;
        out.money[o.spend_diff + end as usize] -= fx;
    }

    // Plans attach at adoption and last until churn or abandonment.
    for (i, plan) in tm.plans.iter().enumerate() {
        let mut r = key.stream(plan.key);
        if plan.attach.sample(&mut r) {
            let life = plan.churn.sample(&mut r);
            let stop = (start as u64).saturating_add(life).min(end as u64) as usize;
            c[o.plans_diff + start as usize * shape.plans + i] += 1;
            c[o.plans_diff + stop * shape.plans + i] -= 1;
        }
    }

    // Device units: at adoption, then a Poisson process over the later active months.
    {
        let mut r = key.stream(component::DEVICES);
        let nd = shape.devices;
        if !installed {
            let n = 1 + tm.adopt_extra.sample(&mut r);
            for _ in 0..n {
                c[o.units + start as usize * nd + tm.device_mix.sample(&mut r)] += 1;
            }
        }
        if tm.extra_rate > 0.0 {
            let mut t = if installed {
                start as f64
            } else {
                start as f64 + 1.0
            };
            loop {
                t += sampling::exp1(&mut r) / tm.extra_rate;
                if t >= end as f64 {
                    break;
                }
                c[o.units + t as usize * nd + tm.device_mix.sample(&mut r)] += 1;
            }
        }
    }

    // Premium: willingness to pay and Prime; the history is drawn only if needed.
    let (mut wtp, mut wtp_z, mut free, mut premium_rng) = (0.0, 0.0, false, None);
    if let Some(pm) = &tm.premium {
        let mut r = key.stream(component::PREMIUM);
        let prime = tm.prime.sample(&mut r);
        wtp_z = sampling::standard_normal(&mut r);
        free = pm.included_with_prime && prime;
        wtp = willingness_to_pay(tm, pm, lambda, wtp_z);
        premium_rng = Some(r);
    }
    hh.key = key;
    (hh.start, hh.end) = (start, end);
    hh.tenure0 = if installed { 12 } else { 0 };
    hh.lambda = lambda;
    (hh.wtp, hh.wtp_z, hh.free) = (wtp, wtp_z, free);
    hh.premium_rng = premium_rng;
    true
}

/// A household's willingness to pay for the premium tier, from its activity `lambda` and
/// its normal draw `z`: `median * (lambda / mean)^elasticity * exp(sigma z)`, as one
/// exponential of the summed logarithms.
#[inline]
fn willingness_to_pay(tm: &TrialModel, pm: &PremiumModel, lambda: f64, z: f64) -> f64 {
    let activity = if pm.elasticity == 0.0 {
        0.0
    } else {
        pm.elasticity * (lambda / tm.lambda_mean).ln()
    };
    pm.wtp_median * sampling::exp::exp(activity + pm.wtp_sigma * z)
}

/// The subscription spells [from, to) of a household that accepts the premium price:
/// from the launch, each month a non-subscriber considers it with its monthly probability;
/// a subscriber churns at the end of a month with its monthly probability.
fn premium_history(tm: &TrialModel, hh: &mut Household, spells: &mut Vec<(u32, u32)>) {
    let (Some(pm), Some(r)) = (&tm.premium, hh.premium_rng.as_mut()) else {
        return;
    };
    if pm.launch >= hh.end {
        return;
    }
    let mut from = None;
    for m in pm.launch.max(hh.start)..hh.end {
        if from.is_none() && pm.consider.sample(r) {
            from = Some(m);
        }
        if let Some(f) = from
            && pm.churn.sample(r)
        {
            spells.push((f, m + 1));
            from = None;
        }
    }
    if let Some(f) = from {
        spells.push((f, hh.end));
    }
}

/// Working arrays of [`usage`], sized for the most clocks and channels and reused by every
/// household of a block: a household sets only the entries of its trial's clocks and
/// channels, so none zeroes the whole arrays.
struct Scratch {
    /// Per premium state, the rate weight of each aggregated intent (see [`usage`]).
    agg: [[f64; MAX_INTENTS]; 2],
    clock_w: [[f64; MAX_CLOCKS]; 2],
    clock: [f64; MAX_CLOCKS],
    orders: Orders,
    /// [`Segments::ring`]'s ringing clocks (only the first entries it counts are read).
    live: [(usize, f64, f64, usize); MAX_CLOCKS],
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            agg: [[0.0; MAX_INTENTS]; 2],
            clock_w: [[0.0; MAX_CLOCKS]; 2],
            clock: [0.0; MAX_CLOCKS],
            orders: Orders {
                rng: UnitKey::default().stream(0),
                last_month: [u32::MAX; MAX_PURCHASES],
                last_year: [u16::MAX; MAX_PURCHASES],
                ever: [false; MAX_PURCHASES],
            },
            live: [(0, 0.0, 0.0, 0); MAX_CLOCKS],
        }
    }
}

/// Records a household's usage over its active months, given its premium spells, with
/// weight `SIGN` (+1 to add it, -1 to take it back out in a sweep).
#[inline]
fn usage<const SIGN: i64>(
    tm: &TrialModel,
    shape: &Shape,
    o: &Offsets,
    hh: &Household,
    spells: &[(u32, u32)],
    out: &mut Partial,
    scratch: &mut Scratch,
) {
    let sign = SIGN;
    let c = &mut out.counts;
    for &(a, b) in spells {
        c[o.premium_diff + a as usize] += sign;
        c[o.premium_diff + b as usize] -= sign;
        if !hh.free {
            c[o.paying_diff + a as usize] += sign;
            c[o.paying_diff + b as usize] -= sign;
        }
    }

    // Per-household weights: rate per unit of (lambda * novelty) of each aggregated intent
    // and of each purchase clock, in each premium state.
    let n_int = shape.intents;
    let n_clocks = tm.clocks.len();
    let Scratch {
        agg,
        clock_w,
        clock,
        orders,
        live,
    } = scratch;
    for (state, weights) in agg.iter_mut().enumerate() {
        for (k, w) in weights[..n_int].iter_mut().enumerate() {
            *w = DAYS_PER_MONTH * hh.mix[k] * tm.no_order[k][state] * tm.usage_mult[state];
        }
    }
    if n_clocks > 0 {
        let n_pur = shape.purchases;
        orders.rng = hh.key.stream(component::ORDERS);
        orders.last_month[..n_pur].fill(u32::MAX);
        orders.last_year[..n_pur].fill(u16::MAX);
        orders.ever[..n_pur].fill(false);
        for (j, cl) in tm.clocks.iter().enumerate() {
            for (state, weights) in clock_w.iter_mut().enumerate() {
                weights[j] =
                    DAYS_PER_MONTH * hh.mix[cl.intent] * cl.prob[state] * tm.usage_mult[state];
            }
            clock[j] = sampling::exp1(&mut orders.rng);
        }
    }

    // The household's active months in segments of constant premium state.
    let mut seg = Segments {
        tm,
        shape,
        o,
        hh,
        sign,
        agg,
        clock_w,
        clock: &mut clock[..n_clocks],
        orders: (n_clocks > 0).then_some(orders),
        live,
    };
    let mut a = hh.start;
    for &(from, to) in spells {
        if a < from {
            seg.run(a, from, 0, out);
        }
        seg.run(from, to, 1, out);
        a = to;
    }
    if a < hh.end {
        seg.run(a, hh.end, 0, out);
    }
}

/// A household's purchase stream and its buyer bookkeeping.
struct Orders {
    rng: UnitRng,
    last_month: [u32; MAX_PURCHASES],
    last_year: [u16; MAX_PURCHASES],
    ever: [bool; MAX_PURCHASES],
}

/// What [`usage`] needs to record the segments of one household.
struct Segments<'a> {
    tm: &'a TrialModel,
    shape: &'a Shape,
    o: &'a Offsets,
    hh: &'a Household,
    sign: i64,
    agg: &'a [[f64; MAX_INTENTS]; 2],
    clock_w: &'a [[f64; MAX_CLOCKS]; 2],
    clock: &'a mut [f64],
    orders: Option<&'a mut Orders>,
    live: &'a mut [(usize, f64, f64, usize); MAX_CLOCKS],
}

impl Segments<'_> {
    /// Records the months `[a, b)`, all in premium state `sub` (1: subscribed).
    ///
    /// The household's rate in month m is `lambda * (1 + boost * q^t) * w` with tenure t,
    /// so each aggregated intent's rate over the segment is a constant plus a geometric
    /// decay: both go into the block's difference arrays with four integer additions
    /// instead of one per month (see [`Offsets::rate`]). Each purchase clock runs against
    /// the cumulative novelty (`novelty_cum`): a segment in which the clock does not ring
    /// costs one multiplication, and each order is placed in the month where the cumulative
    /// rate passes its exponential clock.
    #[inline]
    fn run(&mut self, a: u32, b: u32, sub: usize, out: &mut Partial) {
        let (tm, hh, o, sign) = (self.tm, self.hh, self.o, self.sign);
        let n_int = self.shape.intents;
        let ta = (hh.tenure0 + (a - hh.start)) as usize;
        let tb = ta + (b - a) as usize;
        let (pow_a, pow_b) = (
            tm.novelty_boost * tm.novelty_pow[ta],
            tm.novelty_boost * tm.novelty_pow[tb],
        );
        let (ra, rb) = (a as usize * n_int, b as usize * n_int);
        for (k, &w) in self.agg[sub][..n_int].iter().enumerate() {
            let base = hh.lambda * w;
            let flat = sign * rate_to_fixed(base);
            let dec_a = sign * rate_to_fixed(base * pow_a);
            let dec_b = sign * rate_to_fixed(base * pow_b);
            let r = &mut out.rates;
            r[o.rate + ra + k] += flat;
            r[o.rate + rb + k] -= flat;
            r[o.rate_decay + ra + k] += dec_a;
            r[o.rate_decay + rb + k] -= dec_b;
            if sub == 1 {
                r[o.rate_sub + ra + k] += flat;
                r[o.rate_sub + rb + k] -= flat;
                r[o.rate_sub_decay + ra + k] += dec_a;
                r[o.rate_sub_decay + rb + k] -= dec_b;
            }
        }

        let cum = &tm.novelty_cum;
        let (pa, pb) = (cum[ta], cum[tb]);
        let rings = |(j, clock): (usize, &f64)| {
            let w = hh.lambda * self.clock_w[sub][j];
            w > 0.0 && *clock < w * (pb - pa)
        };
        if self.clock.iter().enumerate().any(rings) {
            self.ring(ta, tb, sub, out);
        } else {
            for (j, clock) in self.clock.iter_mut().enumerate() {
                *clock -= hh.lambda * self.clock_w[sub][j] * (pb - pa);
            }
        }
    }

    /// The orders of the clocks that ring in the segment of tenures `[ta, tb)`, in month
    /// order across clocks (so that buyers are counted once per month, year and horizon):
    /// each ringing clock's next order sits at a position on the cumulative novelty scale,
    /// and the earliest is recorded first.
    #[cold]
    fn ring(&mut self, ta: usize, tb: usize, sub: usize, out: &mut Partial) {
        let (tm, hh) = (self.tm, self.hh);
        let cum = &tm.novelty_cum;
        let (pa, pb) = (cum[ta], cum[tb]);
        let orders = self.orders.as_deref_mut().expect("clocks have a stream");
        // A local copy of the stream (written back at the end) stays in registers.
        let (mut rng, exp1) = (orders.rng.clone(), sampling::Exp1::new());
        // Per ringing clock: index, 1 / weight, next position, its tenure.
        let live = &mut *self.live;
        let mut n = 0;
        for (j, clock) in self.clock.iter_mut().enumerate() {
            let w = hh.lambda * self.clock_w[sub][j];
            if w > 0.0 && *clock < w * (pb - pa) {
                let inv_w = 1.0 / w;
                let at = pa + *clock * inv_w;
                live[n] = (j, inv_w, at, advance(cum, ta, tb, at));
                n += 1;
            } else {
                *clock -= w * (pb - pa);
            }
        }
        while n > 0 {
            let mut first = 0;
            for i in 1..n {
                if live[i].3 < live[first].3 {
                    first = i;
                }
            }
            // The earliest clock's orders in its month: the one at `at` and every next one
            // before the month ends (`cum[t + 1]`; `cum[tb]` is `pb`). Drawn in the order
            // one-at-a-time recording would draw them: the same clock stays the earliest
            // until it leaves the month.
            let (j, inv_w, mut at, t) = live[first];
            let end = cum[t + 1];
            let mut count = 0;
            loop {
                count += 1;
                at += exp1.sample(&mut rng) * inv_w;
                if at >= end {
                    break;
                }
            }
            let m = hh.start + (t - hh.tenure0 as usize) as u32;
            record_order(
                tm,
                self.shape,
                self.o,
                &tm.clocks[j],
                m,
                count,
                sub,
                self.sign,
                orders,
                out,
            );
            if at >= pb {
                self.clock[j] = ((at - pb) / inv_w).max(0.0);
                live[first] = live[n - 1];
                n -= 1;
            } else {
                live[first].2 = at;
                live[first].3 = advance(cum, t + 1, tb, at);
            }
        }
        orders.rng = rng;
    }
}

/// The tenure (from `t`, below `tb`) whose month holds position `at` on the cumulative
/// novelty scale: the last `t` with `cum[t] <= at`.
#[inline]
fn advance(cum: &[f64], mut t: usize, tb: usize, at: f64) -> usize {
    while t + 1 < tb && cum[t + 1] <= at {
        t += 1;
    }
    t
}

/// `count` (>= 1) interactions of a purchase clock's intent that order in its channels, all
/// in month `m`.
#[allow(clippy::too_many_arguments)]
#[inline]
fn record_order(
    tm: &TrialModel,
    shape: &Shape,
    o: &Offsets,
    cl: &super::model::Clock,
    m: u32,
    count: i64,
    sub: usize,
    sign: i64,
    orders: &mut Orders,
    out: &mut Partial,
) {
    let c = &mut out.counts;
    let (n_int, n_pur) = (shape.intents, shape.purchases);
    let y = tm.year_of[m as usize];
    let reported = (tm.reported.0..tm.reported.1).contains(&m);
    let n = sign * count;
    c[o.interactions + m as usize * n_int + cl.intent] += n;
    c[o.premium_interactions + m as usize] += n * sub as i64;
    let mut mask = cl.mask;
    while mask != 0 {
        let p = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        c[o.orders + m as usize * n_pur + p] += n;
        if orders.last_month[p] != m {
            orders.last_month[p] = m;
            c[o.buyers_month + m as usize * n_pur + p] += sign;
        }
        // Buyers of a year and of the horizon count only reported months.
        if !reported {
            continue;
        }
        if orders.last_year[p] != y {
            orders.last_year[p] = y;
            c[o.buyers_year + y as usize * n_pur + p] += sign;
        }
        if !orders.ever[p] {
            orders.ever[p] = true;
            c[o.buyers_total + p] += sign;
        }
    }
}
