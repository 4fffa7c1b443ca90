//! The hot path: simulating a block of households of one trial, month by month.
//!
//! Each household draws its life once from streams keyed by (seed, trial, household,
//! component): adoption month, lifetime, activity, intent mix, spend, plans, premium
//! history, device purchases. Then one loop over its active months accumulates usage.
//! The loop does no allocation, hashing or dynamic dispatch; scratch space lives in
//! [`Scratch`], allocated once per block.
//!
//! Exact sampling shortcuts (each reported figure keeps the distribution of SPEC §3):
//! * **Lifetimes by geometric draws.** Abandonment, plan churn: one geometric draw instead
//!   of a Bernoulli per month.
//! * **Device units as a Poisson process.** Later units arrive with exponential gaps at
//!   `extra_devices_per_year / 12` per month, so each month's count is Poisson.
//! * **Poisson superposition of interactions.** Interactions that no per-household rule
//!   reads are not drawn per household: the block accumulates each intent's rate per month
//!   and draws one Poisson count per (block, month, intent), split into premium and
//!   non-premium with a binomial on the subscribed share of the rate.
//! * **Purchase clocks.** Interactions of an intent that order in a given set of channels
//!   are an independent Poisson process (thinning), simulated per household by an
//!   exponential clock against the cumulative rate, so orders, order values and buyers are
//!   exact per household at the cost of a subtraction per month. Those interactions are
//!   counted as interactions too, so orders never exceed their intent's interactions.

use super::model::{DAYS_PER_MONTH, TrialModel, component};
use super::partial::{Offsets, Partial, Shape, to_fixed};
use crate::sampling::{self, Rng, name_key};
use crate::scenario::{MAX_INTENTS, Scenario};

/// Households per block: fixed, never derived from the thread count.
pub const BLOCK_SIZE: u64 = 4096;

/// Most purchase clocks a household can carry.
pub const MAX_CLOCKS: usize = 64;
/// Most purchase channels.
pub const MAX_PURCHASES: usize = 64;

/// Per-block scratch space, reused for every household of the block.
pub(crate) struct Scratch {
    /// Aggregated interaction rate per (month, intent), all households / subscribed ones.
    rate: Vec<f64>,
    rate_sub: Vec<f64>,
    /// Premium subscription spells of the current household, [from, to).
    spells: Vec<(u32, u32)>,
}

impl Scratch {
    pub(crate) fn new(shape: &Shape) -> Scratch {
        Scratch {
            rate: vec![0.0; shape.months * shape.intents],
            rate_sub: vec![0.0; shape.months * shape.intents],
            spells: Vec::with_capacity(16),
        }
    }
}

/// Stream components of the block-level interaction draws, one per intent.
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
    let mut scratch = Scratch::new(&shape);
    for h in first..last {
        simulate_household(tm, &shape, &o, h, &mut out, &mut scratch);
    }
    // Aggregated interactions: one Poisson draw per (month, intent), split by binomial.
    let k_n = shape.intents;
    for (k, &(key, key_sub)) in keys.iter().enumerate() {
        let mut rng = sampling::stream(tm.seed, tm.trial, block, key);
        let mut rng_sub = sampling::stream(tm.seed, tm.trial, block, key_sub);
        for m in 0..shape.months {
            let r = scratch.rate[m * k_n + k];
            if r <= 0.0 {
                continue;
            }
            let n = sampling::poisson(&mut rng, r);
            out.counts[o.interactions + m * k_n + k] += n as i64;
            let rs = scratch.rate_sub[m * k_n + k];
            if rs > 0.0 {
                let share = (rs / r).min(1.0);
                out.counts[o.premium_interactions + m] +=
                    sampling::binomial(&mut rng_sub, n, share) as i64;
            }
        }
    }
    out
}

#[inline]
fn simulate_household(
    tm: &TrialModel,
    shape: &Shape,
    o: &Offsets,
    h: u64,
    out: &mut Partial,
    sc: &mut Scratch,
) {
    let (seed, trial) = (tm.seed, tm.trial);
    let mut rng = sampling::stream(seed, trial, h, component::ADOPTION);
    let u = sampling::uniform(&mut rng);
    let Some((start, installed)) = tm.adoption_month(u) else {
        return;
    };
    let months = tm.months;
    let c = &mut out.counts;

    // Lifetime: active months [start, end).
    let life = sampling::geometric(
        &mut sampling::stream(seed, trial, h, component::ABANDON),
        tm.abandon,
    );
    let end = (start as u64).saturating_add(life).min(months as u64) as u32;
    c[o.active_diff + start as usize] += 1;
    c[o.active_diff + end as usize] -= 1;
    if !installed {
        c[o.new_adopters + start as usize] += 1;
    }
    let tenure0: u32 = if installed { 12 } else { 0 };

    // Activity and intent mix.
    let lambda = match tm.activity_shape {
        Some(k) => {
            let mut r = sampling::stream(seed, trial, h, component::ACTIVITY);
            sampling::gamma(&mut r, k, tm.lambda_mean / k)
        }
        None => tm.lambda_mean,
    };
    let n_int = shape.intents;
    let mut mix = [0.0f64; MAX_INTENTS];
    match tm.concentration {
        Some(conc) => {
            let mut r = sampling::stream(seed, trial, h, component::MIX);
            let mut total = 0.0;
            for (x, &base) in mix.iter_mut().zip(&tm.base_mix) {
                *x = sampling::gamma(&mut r, conc * base, 1.0);
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
        let mut r = sampling::stream(seed, trial, h, component::SPEND);
        let s = (mu + sigma * sampling::standard_normal(&mut r)).exp();
        let fx = to_fixed(s);
        out.money[o.spend_diff + start as usize] += fx;
        out.money[o.spend_diff + end as usize] -= fx;
    }

    // Plans attach at adoption and last until churn or abandonment.
    for (i, plan) in tm.plans.iter().enumerate() {
        let mut r = sampling::stream(seed, trial, h, plan.key);
        if plan.attach.sample(&mut r) {
            let life = sampling::geometric(&mut r, plan.churn);
            let stop = (start as u64).saturating_add(life).min(end as u64) as usize;
            c[o.plans_diff + start as usize * shape.plans + i] += 1;
            c[o.plans_diff + stop * shape.plans + i] -= 1;
        }
    }

    // Device units: at adoption, then a Poisson process over the later active months.
    {
        let mut r = sampling::stream(seed, trial, h, component::DEVICES);
        let nd = shape.devices;
        if !installed {
            let n = 1 + sampling::poisson(&mut r, tm.adopt_extra_mean);
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

    // Premium history: spells of subscription.
    sc.spells.clear();
    if let Some(pm) = &tm.premium {
        let mut r = sampling::stream(seed, trial, h, component::PREMIUM);
        let prime = tm.prime.sample(&mut r);
        let z = sampling::standard_normal(&mut r);
        let free = pm.included_with_prime && prime;
        let wtp = pm.wtp_median
            * (lambda / tm.lambda_mean).powf(pm.elasticity)
            * (pm.wtp_sigma * z).exp();
        if (free || wtp >= pm.price) && pm.launch < end {
            let mut from = None;
            for m in pm.launch.max(start)..end {
                if from.is_none() && pm.consider.sample(&mut r) {
                    from = Some(m);
                }
                if let Some(f) = from
                    && pm.churn.sample(&mut r)
                {
                    sc.spells.push((f, m + 1));
                    from = None;
                }
            }
            if let Some(f) = from {
                sc.spells.push((f, end));
            }
            for &(a, b) in &sc.spells {
                c[o.premium_diff + a as usize] += 1;
                c[o.premium_diff + b as usize] -= 1;
                if !free {
                    c[o.paying_diff + a as usize] += 1;
                    c[o.paying_diff + b as usize] -= 1;
                }
            }
        }
    }

    // Per-household weights: rate per unit of (lambda * novelty) of each aggregated intent
    // and of each purchase clock, in each premium state.
    let mut agg = [[0.0f64; MAX_INTENTS]; 2];
    for (state, weights) in agg.iter_mut().enumerate() {
        for (k, w) in weights[..n_int].iter_mut().enumerate() {
            *w = DAYS_PER_MONTH * mix[k] * tm.no_order[k][state] * tm.usage_mult[state];
        }
    }
    let n_clocks = tm.clocks.len();
    let mut clock_w = [[0.0f64; MAX_CLOCKS]; 2];
    let mut clock = [0.0f64; MAX_CLOCKS];
    let mut orders_rng: Option<Rng> = None;
    if n_clocks > 0 {
        let r = orders_rng.insert(sampling::stream(seed, trial, h, component::ORDERS));
        for (j, cl) in tm.clocks.iter().enumerate() {
            for (state, weights) in clock_w.iter_mut().enumerate() {
                weights[j] =
                    DAYS_PER_MONTH * mix[cl.intent] * cl.prob[state] * tm.usage_mult[state];
            }
            clock[j] = sampling::exp1(r);
        }
    }
    let n_pur = shape.purchases;
    let mut last_month = [u32::MAX; MAX_PURCHASES];
    let mut last_year = [u16::MAX; MAX_PURCHASES];
    let mut ever = [false; MAX_PURCHASES];

    // The household-month loop.
    let mut spell = 0;
    for m in start..end {
        let t = (tenure0 + (m - start)) as usize;
        while spell < sc.spells.len() && sc.spells[spell].1 <= m {
            spell += 1;
        }
        let sub = usize::from(spell < sc.spells.len() && sc.spells[spell].0 <= m);
        let f = lambda * tm.novelty[t];
        let row = m as usize * n_int;
        let rate = &mut sc.rate[row..row + n_int];
        for (r, w) in rate.iter_mut().zip(&agg[sub][..n_int]) {
            *r += f * w;
        }
        if sub == 1 {
            let rate_sub = &mut sc.rate_sub[row..row + n_int];
            for (r, w) in rate_sub.iter_mut().zip(&agg[1][..n_int]) {
                *r += f * w;
            }
        }
        for j in 0..n_clocks {
            clock[j] -= f * clock_w[sub][j];
            if clock[j] < 0.0 {
                let r = orders_rng.as_mut().expect("clocks have a stream");
                let cl = &tm.clocks[j];
                let y = tm.year_of[m as usize];
                while clock[j] < 0.0 {
                    c[o.interactions + row + cl.intent] += 1;
                    c[o.premium_interactions + m as usize] += sub as i64;
                    let mut mask = cl.mask;
                    while mask != 0 {
                        let p = mask.trailing_zeros() as usize;
                        mask &= mask - 1;
                        c[o.orders + m as usize * n_pur + p] += 1;
                        let (mu, sigma) = tm.order_value[p];
                        let value = (mu + sigma * sampling::standard_normal(r)).exp();
                        out.money[o.gmv + m as usize * n_pur + p] += to_fixed(value);
                        if last_month[p] != m {
                            last_month[p] = m;
                            c[o.buyers_month + m as usize * n_pur + p] += 1;
                        }
                        if last_year[p] != y {
                            last_year[p] = y;
                            c[o.buyers_year + y as usize * n_pur + p] += 1;
                        }
                        if !ever[p] {
                            ever[p] = true;
                            c[o.buyers_total + p] += 1;
                        }
                    }
                    clock[j] += sampling::exp1(r);
                }
            }
        }
    }
}
