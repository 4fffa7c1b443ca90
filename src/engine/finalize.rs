//! From a trial's integer counts to its reported figures.
//!
//! Applies the trial's prices, costs and margins, scales sample counts by
//! `w = market.households / households`, builds the P&L identities of the model (docs/scenario-format.md §5), and
//! aggregates months into calendar years and the horizon (flows summed, stocks at the
//! last month, buyers counted once per household), plus NPVs and the breakeven month.
//! Everything but the monthly figures' own computation covers only the reported months
//! (`TrialModel::reported`: the whole horizon, or a comparison's common months), so NPVs
//! discount to the first reported month and the breakeven month counts from it.

use super::metrics::{Kind, Layout};
use super::model::TrialModel;
use super::partial::{Partial, from_fixed};
use crate::scenario::Scenario;

/// The figures of one trial.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialResult {
    pub trial: u64,
    /// Every parameter's drawn value, in parameter order.
    pub draws: Vec<f64>,
    /// `months × metrics`, row-major by month.
    pub monthly: Vec<f64>,
    /// `years × metrics`, row-major by calendar year.
    pub yearly: Vec<f64>,
    /// One value per [`Layout::scalars`]; `NaN` where undefined (breakeven never reached).
    pub scalars: Vec<f64>,
    /// Per scalar, the variance of the trial's figure that comes from its household sample,
    /// estimated between its household blocks ([`super::noise`]); `NaN` where undefined
    /// (a single block). Empty when the run did not estimate it (sweep points, pinned
    /// variants).
    pub noise: Vec<f64>,
}

pub(super) fn finalize(s: &Scenario, l: &Layout, tm: &TrialModel, p: &Partial) -> TrialResult {
    // Real households per sample household.
    let w = tm.value(s.market_households) / s.simulation().households as f64;
    let monthly = monthly_figures(s, l, tm, p, w);
    let yearly = calendar_years(l, tm, p, w, &monthly);
    let scalars = horizon(s, l, tm, p, w, &monthly);
    let (from, to) = tm.reported;
    let n = l.len();
    TrialResult {
        trial: tm.trial,
        draws: tm.values().to_vec(),
        monthly: monthly[from as usize * n..to as usize * n].to_vec(),
        yearly,
        scalars,
        noise: Vec::new(),
    }
}

/// The scalars of a trial computed from the partial `p` of `households` sample households
/// alone, as if they were the whole sample (scaled to the market by their own number): a
/// block's estimate of every scalar, for [`super::noise`].
pub(super) fn sample_scalars(
    s: &Scenario,
    l: &Layout,
    tm: &TrialModel,
    p: &Partial,
    households: u64,
) -> Vec<f64> {
    let w = tm.value(s.market_households) / households as f64;
    let monthly = monthly_figures(s, l, tm, p, w);
    horizon(s, l, tm, p, w, &monthly)
}

/// `months × metrics`: each month's figures, with the P&L identities.
fn monthly_figures(s: &Scenario, l: &Layout, tm: &TrialModel, p: &Partial, w: f64) -> Vec<f64> {
    let shape = p.shape();
    let o = shape.offsets();
    let (months, n) = (shape.months, l.len());
    let c = &p.counts;
    let mut monthly = vec![0.0; months * n];

    let active = p.levels(o.active_diff, 1, 0);
    let premium = p.levels(o.premium_diff, 1, 0);
    let paying = p.levels(o.paying_diff, 1, 0);
    let plans: Vec<Vec<i64>> = (0..shape.plans)
        .map(|i| p.levels(o.plans_diff, shape.plans, i))
        .collect();
    let mut spend_level: i128 = 0;

    for m in 0..months {
        let row = &mut monthly[m * n..(m + 1) * n];
        let at = |y: &crate::scenario::Yearly| tm.yearly(s, y, m);
        row[l.active_households] = active[m] as f64 * w;
        row[l.new_adopters] = c[o.new_adopters + m] as f64 * w;

        let (mut units, mut revenue, mut cost) = (0.0, 0.0, 0.0);
        for (d, dev) in s.devices.iter().enumerate() {
            let u = c[o.units + m * shape.devices + d] as f64 * w;
            row[l.units[d]] = u;
            units += u;
            revenue += u * at(&dev.price);
            cost += u * at(&dev.unit_cost);
        }
        row[l.units_sold] = units;
        row[l.device_revenue] = revenue;
        row[l.device_cost] = cost;
        row[l.hardware_subsidy] = cost - revenue;

        let mut interactions = 0.0;
        for k in 0..shape.intents {
            let x = c[o.interactions + m * shape.intents + k] as f64 * w;
            row[l.interactions_by_intent[k]] = x;
            interactions += x;
        }
        row[l.interactions] = interactions;

        let (mut claimed, mut incremental) = (0.0, 0.0);
        for (i, pur) in s.purchases.iter().enumerate() {
            let at_p = m * shape.purchases + i;
            row[l.orders[i]] = c[o.orders + at_p] as f64 * w;
            let gmv = from_fixed(p.money[o.gmv + at_p]) * w;
            let margin = gmv * tm.value(pur.margin);
            row[l.gmv[i]] = gmv;
            row[l.margin[i]] = margin;
            row[l.buyers[i]] = c[o.buyers_month + at_p] as f64 * w;
            claimed += margin;
            incremental += margin * tm.value(pur.incremental_share);
        }

        let mut plans_in_pnl = 0.0;
        for (i, plan) in s.subscriptions.iter().enumerate() {
            let subs = plans[i][m] as f64 * w;
            let rev = subs * at(&plan.price_month);
            row[l.subscribers[i]] = subs;
            row[l.revenue[i]] = rev;
            if plan.in_device_pnl {
                plans_in_pnl += rev;
            } else {
                let contribution = rev * tm.value(plan.margin);
                claimed += contribution;
                incremental += contribution * tm.value(plan.incremental_share);
            }
        }

        let (mut premium_revenue, mut premium_serving) = (0.0, 0.0);
        row[l.premium_subscribers] = premium[m] as f64 * w;
        if let Some(pr) = &s.premium {
            premium_revenue = paying[m] as f64 * w * tm.value(pr.price_month);
            premium_serving =
                c[o.premium_interactions + m] as f64 * w * at(&pr.serving_cost_per_interaction);
        }
        row[l.premium_revenue] = premium_revenue;
        row[l.premium_serving_cost] = premium_serving;

        let serving = interactions * at(&s.costs.serving_cost_per_interaction);
        row[l.serving_cost] = serving;

        spend_level += p.money[o.spend_diff + m];
        if let Some(e) = &s.ecosystem {
            let uplift = tm.value(e.uplift);
            let spend = from_fixed(spend_level) * (1.0 + uplift) / 12.0 * w;
            let margin = tm.value(e.margin);
            row[l.ecosystem_spend] = spend;
            claimed += spend * tm.value(e.attributed_share) * margin;
            incremental += spend * uplift / (1.0 + uplift) * margin;
        }

        let fixed = at(&s.costs.fixed_per_year) / 12.0;
        row[l.fixed_cost] = fixed;
        let pnl =
            revenue - cost - serving - premium_serving - fixed + premium_revenue + plans_in_pnl;
        row[l.device_pnl] = pnl;
        row[l.downstream_claimed] = claimed;
        row[l.downstream_incremental] = incremental;
        row[l.net_claimed] = pnl + claimed;
        row[l.net_incremental] = pnl + incremental;
    }
    monthly
}

/// `years × metrics` over the reported months' calendar years: flows summed over each
/// year's reported months, stocks at its last, buyers counted once per household.
fn calendar_years(l: &Layout, tm: &TrialModel, p: &Partial, w: f64, monthly: &[f64]) -> Vec<f64> {
    let shape = p.shape();
    let o = shape.offsets();
    let n = l.len();
    let c = &p.counts;
    let (from, to) = (tm.reported.0 as usize, tm.reported.1 as usize);
    let first = tm.year_of[from] as usize;
    let years = tm.year_of[to - 1] as usize + 1 - first;
    let mut yearly = vec![0.0; years * n];
    for m in from..to {
        let y = tm.year_of[m] as usize - first;
        for (j, def) in l.defs.iter().enumerate() {
            let v = monthly[m * n + j];
            let cell = &mut yearly[y * n + j];
            match def.kind {
                Kind::Flow => *cell += v,
                Kind::Stock => *cell = v,
                Kind::Buyers => {}
            }
        }
    }
    for y in 0..years {
        for (i, &j) in l.buyers.iter().enumerate() {
            yearly[y * n + j] = c[o.buyers_year + (first + y) * shape.purchases + i] as f64 * w;
        }
    }
    yearly
}

/// One value per [`Layout::scalars`] over the reported months: totals and levels, NPVs
/// and the breakeven month.
fn horizon(
    s: &Scenario,
    l: &Layout,
    tm: &TrialModel,
    p: &Partial,
    w: f64,
    monthly: &[f64],
) -> Vec<f64> {
    let shape = p.shape();
    let o = shape.offsets();
    let n = l.len();
    let c = &p.counts;
    let reported = tm.reported.0 as usize..tm.reported.1 as usize;
    let mut scalars = vec![0.0; l.scalars.len()];
    for m in reported.clone() {
        for (j, def) in l.defs.iter().enumerate() {
            let v = monthly[m * n + j];
            match def.kind {
                Kind::Flow => scalars[j] += v,
                Kind::Stock => scalars[j] = v,
                Kind::Buyers => {}
            }
        }
    }
    for (i, &j) in l.buyers.iter().enumerate() {
        scalars[j] = c[o.buyers_total + i] as f64 * w;
    }
    let rate = tm.value(s.discount_rate);
    // Discounted to the first reported month.
    let factors: Vec<f64> = (0..reported.len())
        .map(|k| (1.0 + rate).powf(-(k as f64) / 12.0))
        .collect();
    let mut slot = n;
    for (j, def) in l.defs.iter().enumerate() {
        if def.money() {
            scalars[slot] = reported
                .clone()
                .zip(&factors)
                .map(|(m, f)| monthly[m * n + j] * f)
                .sum();
            slot += 1;
        }
    }
    let mut cumulative = 0.0;
    let mut breakeven = f64::NAN;
    for (k, m) in reported.enumerate() {
        cumulative += monthly[m * n + l.net_incremental];
        if cumulative >= 0.0 {
            breakeven = k as f64;
            break;
        }
    }
    scalars[slot] = breakeven;
    scalars
}
