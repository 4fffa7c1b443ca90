//! Statistical integration tests of the model (docs/scenario-format.md §5, "The model"): on simplified scenarios (no
//! household heterogeneity, fixed parameters) the simulated figures must agree with closed
//! forms.
//!
//! **Tolerance.** With fixed parameters the households of every trial are independent and
//! identically distributed, so a monthly count summed over all trials is a sum of
//! `n = households × trials` i.i.d. per-household counts. For each household we know the
//! distribution of the month's count exactly as a *mixture* over its state (installed or
//! adopted in month `a`, still active, subscribed or not): a mixture of Poisson, Bernoulli or
//! compound-Poisson laws. Its first two moments give the expectation `n·E[X]` and the exact
//! standard error `sqrt(n·Var X)`. Every statistical assertion requires the simulated total to
//! lie **within 4 standard errors** of the formula (|z| ≤ 4). Horizon totals (which add the
//! same household over many months, so the per-month variances do not add up) use instead
//! the trial-to-trial sample standard deviation of the per-trial figure divided by
//! `sqrt(trials)`, again with 4 standard errors.
//!
//! Accounting identities (prices, margins, P&L, fixed costs, calendar years, NPV) are checked
//! **exactly**, per trial and per month, to 1e-9 relative.
//!
//! All seeds are fixed, so the tests are deterministic. Every scenario uses a weight
//! `w = market.households / households = 100`, and sample counts are recovered as
//! `figure / 100`, so a missing or wrong scaling fails the statistical checks.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use downstream::engine::{Engine, Kind, RunResult};
use downstream::scenario::Scenario;

/// Days per simulated month (docs/scenario-format.md §5, "The model").
const D: f64 = 30.4375;
/// Largest admissible |z| of a statistical check.
const Z_MAX: f64 = 4.0;
/// Relative tolerance of the exact identities.
const REL: f64 = 1e-9;
/// Every scenario here has `market.households / simulation.households = 100`.
const W: f64 = 100.0;

// ---------------------------------------------------------------------------------------
// Running scenarios and reading results.

/// A finished run with the few facts the checks need.
struct Sim {
    run: RunResult,
    households: f64,
    months: usize,
    /// Calendar year and month (1-12) of month 0.
    start_year: i32,
    start_month: usize,
    /// Keys of the drawn parameters, in the order of `TrialResult::draws`.
    param_keys: Vec<String>,
}

fn simulate(origin: &str, text: &str) -> Sim {
    let s = Scenario::parse(origin, text, &[]).unwrap_or_else(|e| panic!("{origin}: {e}"));
    let sim = s.simulation();
    let engine = Engine::new(&s);
    let run = engine.run(0..sim.trials, &mut |_| {});
    assert_eq!(run.trials.len() as u64, sim.trials);
    Sim {
        run,
        households: sim.households as f64,
        months: s.months() as usize,
        start_year: s.start().year(),
        start_month: s.start().month() as usize,
        param_keys: s
            .params()
            .iter()
            .map(|(_, p)| p.key().to_string())
            .collect(),
    }
}

impl Sim {
    fn n(&self) -> usize {
        self.run.layout.len()
    }
    fn trials(&self) -> usize {
        self.run.trials.len()
    }
    /// Households over all trials: the i.i.d. sample size of a pooled count.
    fn pooled(&self) -> f64 {
        self.households * self.trials() as f64
    }
    fn col(&self, name: &str) -> usize {
        self.run
            .layout
            .index_of(name)
            .unwrap_or_else(|| panic!("no metric {name}"))
    }
    fn sidx(&self, name: &str) -> usize {
        self.run
            .layout
            .scalar_index(name)
            .unwrap_or_else(|| panic!("no scalar {name}"))
    }
    fn at(&self, t: usize, m: usize, name: &str) -> f64 {
        self.run.trials[t].monthly[m * self.n() + self.col(name)]
    }
    /// Sample count of a metric in month `m`, summed over the trials (figure / w).
    fn count(&self, m: usize, name: &str) -> f64 {
        (0..self.trials()).map(|t| self.at(t, m, name)).sum::<f64>() / W
    }
    fn year_index(&self, m: usize) -> usize {
        (self.start_month - 1 + m) / 12
    }
    fn calendar_year(&self, m: usize) -> i32 {
        self.start_year + self.year_index(m) as i32
    }
    fn years(&self) -> usize {
        self.year_index(self.months - 1) + 1
    }
    fn yearly(&self, t: usize, y: usize, name: &str) -> f64 {
        self.run.trials[t].yearly[y * self.n() + self.col(name)]
    }
    fn scalar(&self, t: usize, name: &str) -> f64 {
        self.run.trials[t].scalars[self.sidx(name)]
    }
    /// The value drawn in trial `t` for the parameter with this dotted key.
    fn draw(&self, t: usize, key: &str) -> f64 {
        let i = self
            .param_keys
            .iter()
            .position(|k| k == key)
            .unwrap_or_else(|| panic!("no parameter {key} in {:?}", self.param_keys));
        self.run.trials[t].draws[i]
    }
}

// ---------------------------------------------------------------------------------------
// Checks that collect every failure before failing, with their figures.

struct Checks {
    name: &'static str,
    fails: Vec<String>,
    stats: usize,
    exact: usize,
    max_z: f64,
    max_z_at: String,
    sum_z2: f64,
}

impl Checks {
    fn new(name: &'static str) -> Checks {
        Checks {
            name,
            fails: Vec::new(),
            stats: 0,
            exact: 0,
            max_z: 0.0,
            max_z_at: String::new(),
            sum_z2: 0.0,
        }
    }

    /// Statistical check: `observed` within `Z_MAX` standard errors of `expected`.
    fn stat(&mut self, what: impl Into<String>, observed: f64, expected: f64, se: f64) {
        self.stats += 1;
        let what = what.into();
        if se <= 0.0 {
            // A degenerate law: the figure is certain.
            if (observed - expected).abs() > REL * expected.abs().max(1.0) {
                self.fails.push(format!(
                    "{what}: observed {observed}, expected exactly {expected}"
                ));
            }
            return;
        }
        let z = (observed - expected) / se;
        self.sum_z2 += z * z;
        if z.abs() > self.max_z || !z.is_finite() {
            self.max_z = z.abs();
            self.max_z_at = what.clone();
        }
        if z.is_nan() || z.abs() > Z_MAX {
            self.fails.push(format!(
                "{what}: observed {observed:.6}, expected {expected:.6}, se {se:.4}, z = {z:+.2}"
            ));
        }
    }

    /// A pooled count of `n` i.i.d. households whose per-household count has moments `mom`.
    fn pooled(&mut self, what: impl Into<String>, observed: f64, n: f64, mom: Mom) {
        self.stat(what, observed, n * mom.e1, (n * mom.var()).max(0.0).sqrt());
    }

    /// A per-trial figure whose mean over trials must match `expected`; standard error from
    /// the trial-to-trial sample standard deviation.
    fn across_trials(&mut self, what: impl Into<String>, per_trial: &[f64], expected: f64) {
        let k = per_trial.len() as f64;
        assert!(
            k >= 4.0,
            "need several trials for an empirical standard error"
        );
        let mean = per_trial.iter().sum::<f64>() / k;
        let var = per_trial.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
        self.stat(what, mean, expected, (var / k).sqrt());
    }

    /// Exact identity up to `REL` relative to `scale` (the size of the terms involved).
    fn eq(&mut self, what: impl FnOnce() -> String, a: f64, b: f64, scale: f64) {
        self.exact += 1;
        let tol = REL * (scale.abs() + a.abs() + b.abs()) + 1e-12;
        if (a - b).is_nan() || (a - b).abs() > tol {
            self.fails
                .push(format!("{}: {a} != {b} (diff {:e})", what(), a - b));
        }
    }

    fn holds(&mut self, what: impl FnOnce() -> String, ok: bool) {
        self.exact += 1;
        if !ok {
            self.fails.push(what());
        }
    }

    fn finish(self) {
        eprintln!(
            "[{}] {} statistical checks (rms z = {:.2}, max |z| = {:.2} at {}), {} exact checks, {} failures",
            self.name,
            self.stats,
            (self.sum_z2 / self.stats.max(1) as f64).sqrt(),
            self.max_z,
            self.max_z_at,
            self.exact,
            self.fails.len()
        );
        if !self.fails.is_empty() {
            let shown: Vec<&String> = self.fails.iter().take(40).collect();
            panic!(
                "[{}] {} of {} checks failed:\n  {}",
                self.name,
                self.fails.len(),
                self.stats + self.exact,
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Closed forms.

/// First two moments of a per-household count, accumulated over disjoint household states.
#[derive(Clone, Copy, Debug, Default)]
struct Mom {
    e1: f64,
    e2: f64,
}

impl Mom {
    /// Adds a state of probability `p` in which the count has mean `m1` and second moment `m2`.
    fn add(&mut self, p: f64, (m1, m2): (f64, f64)) {
        self.e1 += p * m1;
        self.e2 += p * m2;
    }
    fn var(&self) -> f64 {
        self.e2 - self.e1 * self.e1
    }
}

/// Mean and second moment of Poisson(mu).
fn poisson(mu: f64) -> (f64, f64) {
    (mu, mu + mu * mu)
}

/// Mean and second moment of Bernoulli(p).
fn bernoulli(p: f64) -> (f64, f64) {
    (p, p)
}

/// Mean and second moment of a compound Poisson sum of `Poisson(mu)` lognormal order values
/// with median `median` and log-sd `sigma`.
fn compound_lognormal(mu: f64, median: f64, sigma: f64) -> (f64, f64) {
    let v1 = median * (sigma * sigma / 2.0).exp();
    let v2 = median * median * (2.0 * sigma * sigma).exp();
    (mu * v1, mu * v2 + mu * mu * v1 * v1)
}

/// Monthly probability from an annual one (docs/scenario-format.md §5: `p_m = 1 − (1 − p)^(1/12)`).
fn monthly_prob(p: f64) -> f64 {
    1.0 - (1.0 - p).powf(1.0 / 12.0)
}

/// `1 + boost·exp(-t/decay)`.
fn novelty(boost: f64, decay: f64, tenure: usize) -> f64 {
    1.0 + boost * (-(tenure as f64) / decay).exp()
}

/// The household population of docs/scenario-format.md §5 without heterogeneity: who is active when, with
/// which tenure.
struct Pop {
    months: usize,
    installed: f64,
    /// P(adopt in month a), a = 0..months.
    adopt: Vec<f64>,
    /// 1 - monthly abandonment probability.
    stay: f64,
}

/// A household type: probability, first active month, tenure in that month.
#[derive(Clone, Copy, Debug)]
struct Type {
    p: f64,
    start: usize,
    tenure0: usize,
    installed: bool,
}

impl Pop {
    fn new(months: usize, installed: f64, potential: f64, p: f64, q: f64, abandon: f64) -> Pop {
        // Bass CDF at t years.
        let f = |t: f64| {
            let e = (-(p + q) * t).exp();
            (1.0 - e) / (1.0 + q / p * e)
        };
        let adopt = (0..months)
            .map(|a| {
                (1.0 - installed) * potential * (f((a + 1) as f64 / 12.0) - f(a as f64 / 12.0))
            })
            .collect();
        Pop {
            months,
            installed,
            adopt,
            stay: 1.0 - monthly_prob(abandon),
        }
    }

    fn types(&self) -> Vec<Type> {
        let mut v = vec![Type {
            p: self.installed,
            start: 0,
            tenure0: 12,
            installed: true,
        }];
        for (a, &p) in self.adopt.iter().enumerate() {
            v.push(Type {
                p,
                start: a,
                tenure0: 0,
                installed: false,
            });
        }
        v
    }

    /// Types active in month `m`, each with P(type and still active in m), and its tenure.
    fn active(&self, m: usize) -> Vec<(Type, f64, usize)> {
        self.types()
            .into_iter()
            .filter(|t| t.start <= m)
            .map(|t| {
                let k = m - t.start;
                (t, t.p * self.stay.powi(k as i32), t.tenure0 + k)
            })
            .collect()
    }

    /// P(active in m).
    fn p_active(&self, m: usize) -> f64 {
        self.active(m).iter().map(|x| x.1).sum()
    }

    /// For a household of type `t`, the probability of at least one event over the months
    /// of `window` when its events in month `m` are Poisson(`mu(m)`) while it is active:
    /// `E_L[1 - exp(-Σ_{m ∈ window, active} mu(m))]` over its geometric lifetime `L`.
    fn p_any(&self, t: &Type, window: std::ops::Range<usize>, mu: impl Fn(usize) -> f64) -> f64 {
        let k = self.months - t.start;
        let (mut acc, mut cum) = (0.0, 0.0);
        for l in 1..=k {
            let m = t.start + l - 1;
            if window.contains(&m) {
                cum += mu(m);
            }
            // P(L = l) for l < k; P(L >= k) absorbs the tail (activity capped by the horizon).
            let pl = if l < k {
                (1.0 - self.stay) * self.stay.powi(l as i32 - 1)
            } else {
                self.stay.powi(k as i32 - 1)
            };
            acc += pl * (1.0 - (-cum).exp());
        }
        acc
    }
}

// ---------------------------------------------------------------------------------------
// Exact accounting identities (docs/scenario-format.md §5 "Metrics"), per trial and month, year and horizon.

struct Purchase {
    name: &'static str,
    intent: &'static str,
    margin: f64,
    incremental: f64,
    /// Some(order_value) when order_value_sigma = 0: every order is worth exactly that.
    fixed_value: Option<f64>,
}

struct Plan {
    name: &'static str,
    price: fn(i32) -> f64,
    margin: f64,
    incremental: f64,
    in_device_pnl: bool,
}

/// A per-calendar-year value.
type ByYear = fn(i32) -> f64;

struct Econ {
    /// name, price(year), unit_cost(year)
    devices: Vec<(&'static str, ByYear, ByYear)>,
    intents: Vec<&'static str>,
    purchases: Vec<Purchase>,
    plans: Vec<Plan>,
    /// margin, uplift, attributed_share
    ecosystem: Option<(f64, f64, f64)>,
    serving: fn(i32) -> f64,
    fixed: fn(i32) -> f64,
    discount_rate: f64,
    /// `premium_revenue = premium_subscribers × price` (no Prime-included households).
    premium_all_paying: Option<f64>,
    has_premium: bool,
}

/// The kind of a metric as docs/scenario-format.md §5 "Metrics" and README "Output files" define it, from its name.
fn spec_kind(name: &str) -> Kind {
    if name == "active_households"
        || name.starts_with("subscribers_")
        || name == "premium_subscribers"
    {
        Kind::Stock
    } else if name.starts_with("buyers_") {
        Kind::Buyers
    } else {
        Kind::Flow
    }
}

fn check_identities(c: &mut Checks, s: &Sim, e: &Econ) {
    let n = s.n();
    let layout = &s.run.layout;
    for def in &layout.defs {
        c.holds(
            || format!("metric {} has kind {:?}", def.name, def.kind),
            def.kind == spec_kind(&def.name),
        );
    }
    for (t, trial) in s.run.trials.iter().enumerate() {
        let v = |m: usize, name: &str| s.at(t, m, name);
        for m in 0..s.months {
            let year = s.calendar_year(m);
            let at = |what: &str| format!("trial {t} month {m} ({year}): {what}");

            // Devices.
            let (mut units, mut revenue, mut cost) = (0.0, 0.0, 0.0);
            for &(d, price, unit_cost) in &e.devices {
                let u = v(m, &format!("units_{d}"));
                units += u;
                revenue += u * price(year);
                cost += u * unit_cost(year);
            }
            c.eq(
                || at("units_sold = Σ units_<d>"),
                v(m, "units_sold"),
                units,
                0.0,
            );
            c.eq(
                || at("device_revenue = Σ units × price(year)"),
                v(m, "device_revenue"),
                revenue,
                0.0,
            );
            c.eq(
                || at("device_cost = Σ units × unit_cost(year)"),
                v(m, "device_cost"),
                cost,
                0.0,
            );
            c.eq(
                || at("hardware_subsidy = device_cost - device_revenue"),
                v(m, "hardware_subsidy"),
                cost - revenue,
                cost + revenue,
            );

            // Usage.
            let interactions: f64 = e
                .intents
                .iter()
                .map(|k| v(m, &format!("interactions_{k}")))
                .sum();
            c.eq(
                || at("interactions = Σ interactions_<k>"),
                v(m, "interactions"),
                interactions,
                0.0,
            );
            let serving = interactions * (e.serving)(year);
            c.eq(
                || at("serving_cost = interactions × cost(year)"),
                v(m, "serving_cost"),
                serving,
                0.0,
            );

            // Purchases.
            let (mut claimed, mut incremental, mut scale) = (0.0, 0.0, 0.0);
            for p in &e.purchases {
                let orders = v(m, &format!("orders_{}", p.name));
                let gmv = v(m, &format!("gmv_{}", p.name));
                let margin = v(m, &format!("margin_{}", p.name));
                let buyers = v(m, &format!("buyers_{}", p.name));
                c.eq(|| at("margin = gmv × margin"), margin, gmv * p.margin, 0.0);
                if let Some(value) = p.fixed_value {
                    c.eq(
                        || at("gmv = orders × order_value when sigma = 0"),
                        gmv,
                        orders * value,
                        0.0,
                    );
                }
                c.holds(
                    || at(&format!("buyers {buyers} <= orders {orders}")),
                    buyers <= orders,
                );
                c.holds(
                    || at(&format!("buyers {buyers} > 0 when orders {orders} > 0")),
                    (orders > 0.0) == (buyers > 0.0),
                );
                let intent = v(m, &format!("interactions_{}", p.intent));
                c.holds(
                    || at(&format!("orders {orders} <= interactions {intent}")),
                    orders <= intent,
                );
                claimed += margin;
                incremental += margin * p.incremental;
                scale += margin.abs();
            }

            // Plans.
            let mut plans_in_pnl = 0.0;
            for plan in &e.plans {
                let subs = v(m, &format!("subscribers_{}", plan.name));
                let rev = v(m, &format!("revenue_{}", plan.name));
                c.eq(
                    || {
                        at(&format!(
                            "revenue_{} = subscribers × price(year)",
                            plan.name
                        ))
                    },
                    rev,
                    subs * (plan.price)(year),
                    0.0,
                );
                if plan.in_device_pnl {
                    plans_in_pnl += rev;
                } else {
                    claimed += rev * plan.margin;
                    incremental += rev * plan.margin * plan.incremental;
                    scale += rev.abs();
                }
            }

            // Ecosystem.
            let spend = v(m, "ecosystem_spend");
            match e.ecosystem {
                Some((margin, uplift, attributed)) => {
                    claimed += spend * attributed * margin;
                    incremental += spend * uplift / (1.0 + uplift) * margin;
                    scale += spend.abs() * margin;
                }
                None => c.eq(|| at("no ecosystem: spend 0"), spend, 0.0, 0.0),
            }
            c.eq(
                || at("downstream_claimed"),
                v(m, "downstream_claimed"),
                claimed,
                scale,
            );
            c.eq(
                || at("downstream_incremental"),
                v(m, "downstream_incremental"),
                incremental,
                scale,
            );

            // Premium.
            let premium_revenue = v(m, "premium_revenue");
            let premium_serving = v(m, "premium_serving_cost");
            if !e.has_premium {
                for name in [
                    "premium_subscribers",
                    "premium_revenue",
                    "premium_serving_cost",
                ] {
                    c.eq(
                        || at(&format!("no premium: {name} = 0")),
                        v(m, name),
                        0.0,
                        0.0,
                    );
                }
            }
            if let Some(price) = e.premium_all_paying {
                c.eq(
                    || at("premium_revenue = premium_subscribers × price"),
                    premium_revenue,
                    v(m, "premium_subscribers") * price,
                    0.0,
                );
            }

            // Fixed costs: the year's entry / 12, not scaled by w.
            let fixed = (e.fixed)(year) / 12.0;
            c.eq(
                || at("fixed_cost = fixed(year) / 12"),
                v(m, "fixed_cost"),
                fixed,
                0.0,
            );

            // P&L.
            let pnl =
                revenue - cost - serving - premium_serving - fixed + premium_revenue + plans_in_pnl;
            let pnl_scale = revenue
                + cost
                + serving
                + premium_serving
                + fixed
                + premium_revenue.abs()
                + plans_in_pnl.abs();
            c.eq(|| at("device_pnl"), v(m, "device_pnl"), pnl, pnl_scale);
            c.eq(
                || at("net_claimed = device_pnl + downstream_claimed"),
                v(m, "net_claimed"),
                pnl + claimed,
                pnl_scale + scale,
            );
            c.eq(
                || at("net_incremental = device_pnl + downstream_incremental"),
                v(m, "net_incremental"),
                pnl + incremental,
                pnl_scale + scale,
            );
        }

        // Calendar years and horizon: flows summed, stocks at the last month, buyers
        // between the largest sub-period count and the sum of sub-period counts.
        for (j, def) in layout.defs.iter().enumerate() {
            let name = def.name.as_str();
            let mut horizon_sum = 0.0;
            let mut horizon_abs = 0.0;
            let mut max_year: f64 = 0.0;
            let mut sum_years = 0.0;
            for y in 0..s.years() {
                let ms: Vec<usize> = (0..s.months).filter(|&m| s.year_index(m) == y).collect();
                let vals: Vec<f64> = ms.iter().map(|&m| trial.monthly[m * n + j]).collect();
                let got = s.yearly(t, y, name);
                let sum: f64 = vals.iter().sum();
                let abs: f64 = vals.iter().map(|x| x.abs()).sum();
                match spec_kind(name) {
                    Kind::Flow => c.eq(
                        || format!("trial {t} year {y}: {name} = Σ months"),
                        got,
                        sum,
                        abs,
                    ),
                    Kind::Stock => c.eq(
                        || format!("trial {t} year {y}: {name} = last month"),
                        got,
                        *vals.last().unwrap(),
                        0.0,
                    ),
                    Kind::Buyers => {
                        let max = vals.iter().cloned().fold(0.0, f64::max);
                        c.holds(
                            || format!("trial {t} year {y}: {name} {got} in [max month {max}, Σ months {sum}]"),
                            got >= max && got <= sum + 1e-9,
                        );
                    }
                }
                horizon_sum += sum;
                horizon_abs += abs;
                max_year = max_year.max(got);
                sum_years += got;
            }
            let total = s.scalar(t, name);
            match spec_kind(name) {
                Kind::Flow => c.eq(
                    || format!("trial {t}: horizon {name} = Σ months = Σ years"),
                    total,
                    horizon_sum,
                    horizon_abs,
                ),
                Kind::Stock => c.eq(
                    || format!("trial {t}: horizon {name} = last month"),
                    total,
                    trial.monthly[(s.months - 1) * n + j],
                    0.0,
                ),
                Kind::Buyers => c.holds(
                    || {
                        format!(
                            "trial {t}: horizon {name} {total} in [max year {max_year}, Σ years {sum_years}]"
                        )
                    },
                    total >= max_year && total <= sum_years + 1e-9,
                ),
            }
            if def.money() {
                let npv: f64 = (0..s.months)
                    .map(|m| {
                        trial.monthly[m * n + j] * (1.0 + e.discount_rate).powf(-(m as f64) / 12.0)
                    })
                    .sum();
                c.eq(
                    || format!("trial {t}: npv_{name} = Σ x_m (1+r)^(-m/12)"),
                    s.scalar(t, &format!("npv_{name}")),
                    npv,
                    horizon_abs,
                );
            }
        }

        // Breakeven: the first month whose cumulative net_incremental is >= 0.
        let mut cum = 0.0;
        let mut expected = None;
        for m in 0..s.months {
            cum += trial.monthly[m * n + s.col("net_incremental")];
            if cum >= 0.0 {
                expected = Some(m as f64);
                break;
            }
        }
        let got = s.scalar(t, "breakeven_month");
        c.holds(
            || format!("trial {t}: breakeven_month {got} vs {expected:?}"),
            match expected {
                Some(m) => got == m,
                None => got.is_nan(),
            },
        );
    }
}

// ---------------------------------------------------------------------------------------
// The base scenario: adoption, devices, usage with novelty, purchases, plans, ecosystem,
// per-year tables, discounting. No heterogeneity, every parameter fixed.

const BASE: &str = r#"
[scenario]
name = "model base"
start = "2019-07"
months = 36

[simulation]
households = 50000
trials = 40
seed = 20240611

[market]
households = 5e6

[adoption]
installed_share = 0.1
potential = 0.6
innovation = 0.05
imitation = 0.6
devices_at_adoption = 1.7
extra_devices_per_year = 3.0
abandon_per_year = 0.2

[[device]]
name = "dot"
mix = 0.7
price = 30.0
unit_cost = 45.0

[[device]]
name = "show"
mix = 0.3
unit_cost = 90.0
[device.price]
2019 = 80.0
2021 = 70.0

[usage]
interactions_per_day = 3.0
novelty_boost = 1.5
novelty_decay_months = 4.0

[intents]
alarms = 0.45
music = 0.3
weather = 0.1
shopping = 0.15

[[purchase]]
name = "voice_shopping"
intent = "shopping"
conversion = 0.05
order_value = 30.0
order_value_sigma = 0.8
margin = 0.25
incremental_share = 0.3

[[purchase]]
name = "reorder"
intent = "shopping"
conversion = 0.1
order_value = 12.0
order_value_sigma = 0.5
margin = 0.2
incremental_share = 0.6

[[purchase]]
name = "music_store"
intent = "music"
conversion = 0.002
order_value = 1.29
order_value_sigma = 0.0
margin = 0.3
incremental_share = 0.9

[[subscription]]
name = "ring"
attach = 0.3
churn_per_year = 0.4
margin = 0.6
incremental_share = 0.5
[subscription.price_month]
2019 = 3.99
2021 = 4.99

[[subscription]]
name = "unlimited"
attach = 0.5
price_month = 9.99
churn_per_year = 0.0
margin = 0.3
incremental_share = 0.2
in_device_pnl = true

[ecosystem]
spend_per_year = 1200.0
spend_sigma = 0.8
margin = 0.05
uplift = 0.1
attributed_share = 0.15

[costs]
serving_cost_per_interaction = { 2019 = 0.001, 2020 = 0.0008 }
fixed_per_year = { 2019 = 1.2e9, 2021 = 2.4e9 }

[finance]
discount_rate = 0.08
"#;

// The same numbers, for the formulas.
const B_INSTALLED: f64 = 0.1;
const B_POTENTIAL: f64 = 0.6;
const B_P: f64 = 0.05;
const B_Q: f64 = 0.6;
const B_DEVICES_AT_ADOPTION: f64 = 1.7;
const B_EXTRA_PER_YEAR: f64 = 3.0;
const B_ABANDON: f64 = 0.2;
const B_MIX_SHOW: f64 = 0.3;
const B_LAMBDA: f64 = 3.0;
const B_BOOST: f64 = 1.5;
const B_DECAY: f64 = 4.0;
const B_INTENTS: [(&str, f64); 4] = [
    ("alarms", 0.45),
    ("music", 0.3),
    ("weather", 0.1),
    ("shopping", 0.15),
];
/// name, intent share, conversion, median order value, sigma
const B_PURCHASES: [(&str, f64, f64, f64, f64); 3] = [
    ("voice_shopping", 0.15, 0.05, 30.0, 0.8),
    ("reorder", 0.15, 0.1, 12.0, 0.5),
    ("music_store", 0.3, 0.002, 1.29, 0.0),
];
/// name, attach, churn per year
const B_PLANS: [(&str, f64, f64); 2] = [("ring", 0.3, 0.4), ("unlimited", 0.5, 0.0)];
const B_SPEND: f64 = 1200.0;
const B_SPEND_SIGMA: f64 = 0.8;
const B_UPLIFT: f64 = 0.1;

fn base() -> &'static Sim {
    static RUN: OnceLock<Sim> = OnceLock::new();
    RUN.get_or_init(|| simulate("base.toml", BASE))
}

fn base_pop() -> Pop {
    Pop::new(36, B_INSTALLED, B_POTENTIAL, B_P, B_Q, B_ABANDON)
}

fn base_econ() -> Econ {
    Econ {
        devices: vec![
            ("dot", |_| 30.0, |_| 45.0),
            ("show", |y| if y >= 2021 { 70.0 } else { 80.0 }, |_| 90.0),
        ],
        intents: B_INTENTS.iter().map(|x| x.0).collect(),
        purchases: vec![
            Purchase {
                name: "voice_shopping",
                intent: "shopping",
                margin: 0.25,
                incremental: 0.3,
                fixed_value: None,
            },
            Purchase {
                name: "reorder",
                intent: "shopping",
                margin: 0.2,
                incremental: 0.6,
                fixed_value: None,
            },
            Purchase {
                name: "music_store",
                intent: "music",
                margin: 0.3,
                incremental: 0.9,
                fixed_value: Some(1.29),
            },
        ],
        plans: vec![
            Plan {
                name: "ring",
                price: |y| if y >= 2021 { 4.99 } else { 3.99 },
                margin: 0.6,
                incremental: 0.5,
                in_device_pnl: false,
            },
            Plan {
                name: "unlimited",
                price: |_| 9.99,
                margin: 0.3,
                incremental: 0.2,
                in_device_pnl: true,
            },
        ],
        ecosystem: Some((0.05, 0.1, 0.15)),
        serving: |y| if y >= 2020 { 0.0008 } else { 0.001 },
        fixed: |y| if y >= 2021 { 2.4e9 } else { 1.2e9 },
        discount_rate: 0.08,
        premium_all_paying: None,
        has_premium: false,
    }
}

/// Check 1: Adoption: new adopters by month from the inverse Bass CDF, installed households,
/// and active households under geometric abandonment. Binomial standard errors; |z| ≤ 4.
#[test]
fn adoption_follows_bass_and_geometric_abandonment() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let mut c = Checks::new("adoption");
    for m in 0..s.months {
        let p = pop.adopt[m];
        c.pooled(
            format!("new_adopters month {m}"),
            s.count(m, "new_adopters"),
            n,
            {
                let mut mom = Mom::default();
                mom.add(1.0, bernoulli(p));
                mom
            },
        );
        let mut active = Mom::default();
        active.add(1.0, bernoulli(pop.p_active(m)));
        c.pooled(
            format!("active_households month {m}"),
            s.count(m, "active_households"),
            n,
            active,
        );
    }
    // Installed households: everyone active in month 0 who did not adopt in month 0.
    let installed = s.count(0, "active_households") - s.count(0, "new_adopters");
    let mut mom = Mom::default();
    mom.add(1.0, bernoulli(B_INSTALLED));
    c.pooled("installed households", installed, n, mom);
    // Everyone who ever adopts within the horizon: (1 - installed) · potential · F(3 years).
    let adopted: f64 = (0..s.months).map(|m| s.count(m, "new_adopters")).sum();
    let mut mom = Mom::default();
    mom.add(1.0, bernoulli(pop.adopt.iter().sum()));
    c.pooled("adopters over the horizon", adopted, n, mom);
    c.finish();
}

/// Check 2: Device units: `devices_at_adoption` on average in the adoption month, then
/// `extra_devices_per_year / 12` per later active month (every active month for installed
/// households); units split by `mix` (binomial given the total); prices by calendar year
/// (checked exactly in `accounting_identities_hold_exactly`). |z| ≤ 4.
#[test]
fn device_units_follow_adoption_extra_purchases_and_mix() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let r = B_EXTRA_PER_YEAR / 12.0;
    let d = B_DEVICES_AT_ADOPTION;
    let mut c = Checks::new("devices");
    let (mut all, mut show) = (0.0, 0.0);
    for m in 0..s.months {
        let mut mom = Mom::default();
        for (t, p, _) in pop.active(m) {
            if !t.installed && t.start == m {
                // 1 + Poisson(d - 1): mean d, variance d - 1.
                mom.add(p, (d, d - 1.0 + d * d));
            } else {
                mom.add(p, poisson(r));
            }
        }
        let units = s.count(m, "units_sold");
        c.pooled(format!("units_sold month {m}"), units, n, mom);
        // Given the month's units, units of a model are Binomial(units, mix).
        let u_show = s.count(m, "units_show");
        c.stat(
            format!("units_show month {m} given units_sold {units}"),
            u_show,
            units * B_MIX_SHOW,
            (units * B_MIX_SHOW * (1.0 - B_MIX_SHOW)).sqrt(),
        );
        all += units;
        show += u_show;
    }
    c.stat(
        "units_show over the horizon",
        show,
        all * B_MIX_SHOW,
        (all * B_MIX_SHOW * (1.0 - B_MIX_SHOW)).sqrt(),
    );
    c.finish();
}

/// Check 3: Interactions per intent: Poisson with mean
/// `interactions_per_day × D × share × (1 + boost·exp(-t/decay))` per active household-month,
/// tenure `t = m - a` for adopters and `12 + m` for installed households; scaled by w.
/// |z| ≤ 4.
#[test]
fn interactions_follow_rate_share_and_novelty() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let mut c = Checks::new("interactions");
    for m in 0..s.months {
        for &(k, share) in &B_INTENTS {
            let mut mom = Mom::default();
            for (_, p, tenure) in pop.active(m) {
                mom.add(
                    p,
                    poisson(B_LAMBDA * D * share * novelty(B_BOOST, B_DECAY, tenure)),
                );
            }
            let name = format!("interactions_{k}");
            c.pooled(format!("{name} month {m}"), s.count(m, &name), n, mom);
        }
    }
    // Horizon total, with the trial-to-trial standard error.
    let expected: f64 = (0..s.months)
        .map(|m| {
            pop.active(m)
                .iter()
                .map(|(_, p, t)| p * B_LAMBDA * D * novelty(B_BOOST, B_DECAY, *t))
                .sum::<f64>()
        })
        .sum::<f64>()
        * s.households
        * W;
    let per_trial: Vec<f64> = (0..s.trials())
        .map(|t| s.scalar(t, "interactions"))
        .collect();
    c.across_trials("horizon interactions (trial sd)", &per_trial, expected);
    c.finish();
}

/// Check 4: Orders, GMV and buyers: orders Poisson with mean interactions × conversion; GMV
/// compound Poisson with mean orders × order_value × exp(sigma²/2); buyers of a period
/// Bernoulli(1 - exp(-expected orders of the household in the period)), including the
/// household's random lifetime for years and horizon. |z| ≤ 4.
#[test]
fn orders_gmv_and_buyers_follow_conversion_and_lognormal_values() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let mut c = Checks::new("orders");
    let types = pop.types();
    for &(name, share, conv, value, sigma) in &B_PURCHASES {
        // Expected orders of a household of type `t` in month m (while active).
        let mu = |t: &Type, m: usize| {
            B_LAMBDA * D * share * conv * novelty(B_BOOST, B_DECAY, t.tenure0 + m - t.start)
        };
        for m in 0..s.months {
            let (mut orders, mut gmv, mut buyers) =
                (Mom::default(), Mom::default(), Mom::default());
            for (t, p, _) in pop.active(m) {
                let x = mu(&t, m);
                orders.add(p, poisson(x));
                gmv.add(p, compound_lognormal(x, value, sigma));
                buyers.add(p, bernoulli(1.0 - (-x).exp()));
            }
            c.pooled(
                format!("orders_{name} month {m}"),
                s.count(m, &format!("orders_{name}")),
                n,
                orders,
            );
            c.pooled(
                format!("gmv_{name} month {m}"),
                s.count(m, &format!("gmv_{name}")),
                n,
                gmv,
            );
            c.pooled(
                format!("buyers_{name} month {m}"),
                s.count(m, &format!("buyers_{name}")),
                n,
                buyers,
            );
        }
        // Calendar-year and horizon buyers.
        for y in 0..s.years() {
            let months: Vec<usize> = (0..s.months).filter(|&m| s.year_index(m) == y).collect();
            let window = months[0]..months[months.len() - 1] + 1;
            let p: f64 = types
                .iter()
                .filter(|t| t.start < window.end)
                .map(|t| t.p * pop.p_any(t, window.clone(), |m| mu(t, m)))
                .sum();
            let observed: f64 = (0..s.trials())
                .map(|t| s.yearly(t, y, &format!("buyers_{name}")))
                .sum::<f64>()
                / W;
            let mut mom = Mom::default();
            mom.add(1.0, bernoulli(p));
            c.pooled(format!("buyers_{name} year {y}"), observed, n, mom);
        }
        let p: f64 = types
            .iter()
            .map(|t| t.p * pop.p_any(t, 0..s.months, |m| mu(t, m)))
            .sum();
        let observed: f64 = (0..s.trials())
            .map(|t| s.scalar(t, &format!("buyers_{name}")))
            .sum::<f64>()
            / W;
        let mut mom = Mom::default();
        mom.add(1.0, bernoulli(p));
        c.pooled(format!("buyers_{name} horizon"), observed, n, mom);

        // Horizon GMV with the trial-to-trial standard error.
        let expected: f64 = (0..s.months)
            .map(|m| {
                pop.active(m)
                    .iter()
                    .map(|(t, p, _)| p * compound_lognormal(mu(t, m), value, sigma).0)
                    .sum::<f64>()
            })
            .sum::<f64>()
            * s.households
            * W;
        let per_trial: Vec<f64> = (0..s.trials())
            .map(|t| s.scalar(t, &format!("gmv_{name}")))
            .collect();
        c.across_trials(
            format!("horizon gmv_{name} (trial sd)"),
            &per_trial,
            expected,
        );
    }
    c.finish();
}

/// Check 4b: Horizon buyers of a fixed population (everyone installed, nobody abandons): every
/// household is a buyer with probability `1 - exp(-Σ_m expected orders in m)`, and a buyer of a
/// calendar year with `1 - exp(-Σ_{m in year})`. Installed households have tenure 12 + m.
/// Binomial standard errors, |z| ≤ 4.
#[test]
fn buyers_of_a_fixed_population() {
    const FIXED: &str = r#"
[scenario]
name = "fixed population"
start = "2019-10"
months = 24

[simulation]
households = 40000
trials = 16
seed = 77

[market]
households = 4e6

[adoption]
installed_share = 1.0
potential = 0.5
innovation = 0.05
imitation = 0.5
devices_at_adoption = 1.0
extra_devices_per_year = 0.0
abandon_per_year = 0.0

[[device]]
name = "speaker"
mix = 1.0
price = 30.0
unit_cost = 30.0

[usage]
interactions_per_day = 2.0
novelty_boost = 3.0
novelty_decay_months = 6.0

[intents]
other = 0.95
shopping = 0.05

[[purchase]]
name = "shop"
intent = "shopping"
conversion = 0.01
order_value = 20.0
order_value_sigma = 1.0
margin = 0.3
incremental_share = 0.5

[costs]
serving_cost_per_interaction = 0.0
fixed_per_year = 0.0
"#;
    let s = simulate("fixed.toml", FIXED);
    let n = s.pooled();
    let mu = |m: usize| 2.0 * D * 0.05 * 0.01 * novelty(3.0, 6.0, 12 + m);
    let mut c = Checks::new("fixed population buyers");
    let one = |p: f64| {
        let mut mom = Mom::default();
        mom.add(1.0, bernoulli(p));
        mom
    };
    for m in 0..s.months {
        c.pooled(
            format!("active month {m}"),
            s.count(m, "active_households"),
            n,
            one(1.0),
        );
        let mut orders = Mom::default();
        orders.add(1.0, poisson(mu(m)));
        c.pooled(
            format!("orders month {m}"),
            s.count(m, "orders_shop"),
            n,
            orders,
        );
        c.pooled(
            format!("buyers month {m}"),
            s.count(m, "buyers_shop"),
            n,
            one(1.0 - (-mu(m)).exp()),
        );
    }
    for y in 0..s.years() {
        let total: f64 = (0..s.months)
            .filter(|&m| s.year_index(m) == y)
            .map(mu)
            .sum();
        let observed: f64 = (0..s.trials())
            .map(|t| s.yearly(t, y, "buyers_shop"))
            .sum::<f64>()
            / W;
        c.pooled(
            format!("buyers year {y}"),
            observed,
            n,
            one(1.0 - (-total).exp()),
        );
    }
    let total: f64 = (0..s.months).map(mu).sum();
    let observed: f64 = (0..s.trials())
        .map(|t| s.scalar(t, "buyers_shop"))
        .sum::<f64>()
        / W;
    c.pooled("buyers horizon", observed, n, one(1.0 - (-total).exp()));
    // No units: installed households buy no adoption unit and extra_devices_per_year = 0.
    for t in 0..s.trials() {
        c.eq(
            || format!("trial {t}: no units"),
            s.scalar(t, "units_sold"),
            0.0,
            0.0,
        );
    }
    c.finish();
}

/// Check 5: Subscriptions: a plan attaches at adoption (installed: month 0) with probability
/// `attach` and lasts `min(plan life, household life)`, both geometric; revenue is subscribers
/// × the year's price (exact, in `accounting_identities_hold_exactly`). |z| ≤ 4.
#[test]
fn subscriptions_follow_attach_churn_and_household_life() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let mut c = Checks::new("subscriptions");
    for &(name, attach, churn) in &B_PLANS {
        let keep = 1.0 - monthly_prob(churn);
        for m in 0..s.months {
            let mut mom = Mom::default();
            for (t, p, _) in pop.active(m) {
                mom.add(p, bernoulli(attach * keep.powi((m - t.start) as i32)));
            }
            let metric = format!("subscribers_{name}");
            c.pooled(format!("{metric} month {m}"), s.count(m, &metric), n, mom);
        }
    }
    c.finish();
}

/// Check 7: Ecosystem spend: per active household-month `s_h (1 + uplift) / 12` with `s_h`
/// lognormal of mean `spend_per_year` (second moment `mean² e^{sigma²}`); scaled by w. |z| ≤ 4.
/// The downstream formulas and P&L identities are checked exactly in
/// `accounting_identities_hold_exactly`.
#[test]
fn ecosystem_spend_follows_mean_spend_and_uplift() {
    let s = base();
    let pop = base_pop();
    let n = s.pooled();
    let mut c = Checks::new("ecosystem");
    let k = (1.0 + B_UPLIFT) / 12.0;
    let m1 = B_SPEND * k;
    let m2 = B_SPEND * B_SPEND * (B_SPEND_SIGMA * B_SPEND_SIGMA).exp() * k * k;
    for m in 0..s.months {
        let mut mom = Mom::default();
        mom.add(pop.p_active(m), (m1, m2));
        c.pooled(
            format!("ecosystem_spend month {m}"),
            s.count(m, "ecosystem_spend"),
            n,
            mom,
        );
    }
    let expected: f64 = (0..s.months).map(|m| pop.p_active(m)).sum::<f64>() * m1 * s.households * W;
    let per_trial: Vec<f64> = (0..s.trials())
        .map(|t| s.scalar(t, "ecosystem_spend"))
        .collect();
    c.across_trials("horizon ecosystem_spend (trial sd)", &per_trial, expected);
    c.finish();
}

/// Check 2, 7, 8: Exact accounting: units × price/unit_cost of the calendar year, hardware
/// subsidy, serving cost, margins, plan revenue, downstream claimed/incremental, device P&L and
/// net figures, fixed costs from the per-year table (nearest earlier year, not scaled by w),
/// calendar-year and horizon aggregation, NPV and breakeven — per trial and month, to a
/// relative 1e-9.
#[test]
fn accounting_identities_hold_exactly() {
    let s = base();
    let mut c = Checks::new("identities");
    check_identities(&mut c, s, &base_econ());
    // The per-year tables really differ between years (so the checks above can fail).
    let fixed: BTreeMap<i32, f64> = (0..s.months)
        .map(|m| (s.calendar_year(m), s.at(0, m, "fixed_cost")))
        .collect();
    let expected: BTreeMap<i32, f64> = [(2019, 1.0e8), (2020, 1.0e8), (2021, 2.0e8), (2022, 2.0e8)]
        .into_iter()
        .collect();
    c.holds(
        || format!("fixed_cost by year {fixed:?}, expected {expected:?}"),
        fixed == expected,
    );
    // Discounting matters: NPV of fixed costs is below their sum.
    let npv = s.scalar(0, "npv_fixed_cost");
    let sum = s.scalar(0, "fixed_cost");
    c.eq(
        || "horizon fixed cost = 6 × 1e8 + 12 × 1e8 + 12 × 2e8 + 6 × 2e8".into(),
        sum,
        5.4e9,
        0.0,
    );
    c.holds(|| format!("npv {npv} < sum {sum}"), npv < sum);
    c.finish();
}

// ---------------------------------------------------------------------------------------
// 6. Premium.

const PREMIUM: &str = r#"
[scenario]
name = "premium"
start = "2022-01"
months = 30

[simulation]
households = HOUSEHOLDS
trials = TRIALS
seed = 4242

[market]
households = MARKET
prime_share = 0.4

[adoption]
installed_share = 0.2
potential = 0.5
innovation = 0.05
imitation = 0.5
devices_at_adoption = 1.0
extra_devices_per_year = 0.0
abandon_per_year = 0.15

[[device]]
name = "speaker"
mix = 1.0
price = 40.0
unit_cost = 40.0

[usage]
interactions_per_day = 2.0
novelty_boost = 0.8
novelty_decay_months = 3.0

[intents]
chat = 0.9
shopping = 0.1

[[purchase]]
name = "voice"
intent = "shopping"
conversion = 0.03
order_value = 25.0
order_value_sigma = 0.6
margin = 0.2
incremental_share = 0.5

[premium]
launch = "2022-07"
price_month = PRICE
included_with_prime = INCLUDED
wtp_median = 8.0
wtp_sigma = 0.0
consider_per_month = 0.2
churn_per_year = 0.5
usage_uplift = 1.5
conversion_uplift = 2.0
serving_cost_per_interaction = 0.01

[costs]
serving_cost_per_interaction = 0.0005
fixed_per_year = 1.2e6
"#;

const P_INSTALLED: f64 = 0.2;
const P_POTENTIAL: f64 = 0.5;
const P_P: f64 = 0.05;
const P_Q: f64 = 0.5;
const P_ABANDON: f64 = 0.15;
const P_PRIME: f64 = 0.4;
const P_LAMBDA: f64 = 2.0;
const P_BOOST: f64 = 0.8;
const P_DECAY: f64 = 3.0;
const P_INTENTS: [(&str, f64); 2] = [("chat", 0.9), ("shopping", 0.1)];
const P_CONV: f64 = 0.03;
const P_CONV_UPLIFT: f64 = 2.0;
const P_USAGE_UPLIFT: f64 = 1.5;
const P_LAUNCH: usize = 6;
const P_CONSIDER: f64 = 0.2;
const P_CHURN: f64 = 0.5;
const P_SERVING: f64 = 0.01;
const P_MONTHS: usize = 30;

fn premium_sim(price: f64, included: bool, households: u64, trials: u64) -> Sim {
    let text = PREMIUM
        .replace("HOUSEHOLDS", &households.to_string())
        .replace("TRIALS", &trials.to_string())
        .replace("MARKET", &format!("{:.1}", households as f64 * W))
        .replace("PRICE", &format!("{price:.2}"))
        .replace("INCLUDED", if included { "true" } else { "false" });
    simulate("premium.toml", &text)
}

fn premium_econ(all_paying: Option<f64>) -> Econ {
    Econ {
        devices: vec![("speaker", |_| 40.0, |_| 40.0)],
        intents: P_INTENTS.iter().map(|x| x.0).collect(),
        purchases: vec![Purchase {
            name: "voice",
            intent: "shopping",
            margin: 0.2,
            incremental: 0.5,
            fixed_value: None,
        }],
        plans: vec![],
        ecosystem: None,
        serving: |_| 0.0005,
        fixed: |_| 1.2e6,
        discount_rate: 0.0,
        premium_all_paying: all_paying,
        has_premium: true,
    }
}

/// P(subscribed in the k-th month since a household could first subscribe), for an
/// eligible household: a non-subscriber subscribes with probability `consider` in a month
/// (and is subscribed that month); a subscriber churns at the end of each month.
fn premium_chain(months: usize) -> Vec<f64> {
    let c = P_CONSIDER;
    let keep = 1.0 - monthly_prob(P_CHURN);
    let mut x = Vec::with_capacity(months);
    let mut prev = 0.0;
    for _ in 0..months {
        let carried = prev * keep;
        let now = carried + (1.0 - carried) * c;
        x.push(now);
        prev = now;
    }
    x
}

/// Per active state in month `m`: (P(type, active), tenure, P(subscribed | active)) for
/// households eligible with probability `eligible`.
fn premium_states(pop: &Pop, m: usize, eligible: f64) -> Vec<(f64, usize, f64)> {
    let chain = premium_chain(P_MONTHS);
    pop.active(m)
        .into_iter()
        .map(|(t, p, tenure)| {
            let first = t.start.max(P_LAUNCH);
            let sub = if m >= first {
                eligible * chain[m - first]
            } else {
                0.0
            };
            (p, tenure, sub)
        })
        .collect()
}

/// Checks premium subscribers, interactions (usage uplift while subscribed), orders
/// (usage and conversion uplift), premium serving cost and (optionally) paying subscribers
/// against the Markov chain; `eligible` is the share of households that subscribe when they
/// consider, `paying` the share of subscribers that pay.
fn check_premium(c: &mut Checks, s: &Sim, eligible: f64, paying: f64, price: f64) {
    let pop = Pop::new(P_MONTHS, P_INSTALLED, P_POTENTIAL, P_P, P_Q, P_ABANDON);
    let n = s.pooled();
    for m in 0..s.months {
        let states = premium_states(&pop, m, eligible);
        let mut subs = Mom::default();
        let mut paid = Mom::default();
        let mut premium_interactions = Mom::default();
        for &(p, _, sub) in &states {
            subs.add(p, bernoulli(sub));
            paid.add(p, bernoulli(sub * paying));
        }
        c.pooled(
            format!("premium_subscribers month {m}"),
            s.count(m, "premium_subscribers"),
            n,
            subs,
        );
        if price > 0.0 {
            c.pooled(
                format!("paying premium subscribers month {m} (premium_revenue / price)"),
                s.count(m, "premium_revenue") / price,
                n,
                paid,
            );
        }
        for &(k, share) in &P_INTENTS {
            let mut mom = Mom::default();
            for &(p, tenure, sub) in &states {
                let base = P_LAMBDA * D * share * novelty(P_BOOST, P_DECAY, tenure);
                mom.add(p * (1.0 - sub), poisson(base));
                mom.add(p * sub, poisson(base * P_USAGE_UPLIFT));
            }
            let name = format!("interactions_{k}");
            c.pooled(format!("{name} month {m}"), s.count(m, &name), n, mom);
        }
        let mut orders = Mom::default();
        for &(p, tenure, sub) in &states {
            let base = P_LAMBDA * D * 0.1 * novelty(P_BOOST, P_DECAY, tenure);
            orders.add(p * (1.0 - sub), poisson(base * P_CONV));
            orders.add(
                p * sub,
                poisson(base * P_USAGE_UPLIFT * (P_CONV * P_CONV_UPLIFT).min(1.0)),
            );
            let all = P_LAMBDA * D * novelty(P_BOOST, P_DECAY, tenure) * P_USAGE_UPLIFT;
            premium_interactions.add(p * sub, poisson(all));
        }
        c.pooled(
            format!("orders_voice month {m}"),
            s.count(m, "orders_voice"),
            n,
            orders,
        );
        c.pooled(
            format!("premium interactions month {m} (premium_serving_cost / cost)"),
            s.count(m, "premium_serving_cost") / P_SERVING,
            n,
            premium_interactions,
        );
    }
}

/// Check 6a: Price below every household's willingness to pay (wtp_sigma = 0): every active
/// household is eligible from launch; subscribers follow the consider/churn chain; revenue =
/// subscribers × price exactly; usage and conversion uplifts apply in subscribed months. |z| ≤
/// 4.
#[test]
fn premium_below_wtp_follows_consider_churn_chain() {
    let price = 5.0;
    let s = premium_sim(price, false, 30000, 32);
    let mut c = Checks::new("premium below wtp");
    check_premium(&mut c, &s, 1.0, 1.0, price);
    check_identities(&mut c, &s, &premium_econ(Some(price)));
    for t in 0..s.trials() {
        for m in 0..P_LAUNCH {
            c.eq(
                || format!("trial {t} month {m}: no subscriber before launch"),
                s.at(t, m, "premium_subscribers"),
                0.0,
                0.0,
            );
        }
    }
    c.finish();
}

/// Check 6b: Price above every household's willingness to pay: nobody subscribes, in any trial
/// or month; usage has no uplift. A price equal to the WTP is accepted (`wtp >= price`).
#[test]
fn premium_above_wtp_has_no_subscribers() {
    let s = premium_sim(9.0, false, 30000, 8);
    let mut c = Checks::new("premium above wtp");
    for t in 0..s.trials() {
        for m in 0..s.months {
            for name in [
                "premium_subscribers",
                "premium_revenue",
                "premium_serving_cost",
            ] {
                c.eq(
                    || format!("trial {t} month {m}: {name} = 0"),
                    s.at(t, m, name),
                    0.0,
                    0.0,
                );
            }
        }
    }
    check_premium(&mut c, &s, 0.0, 0.0, 9.0);
    check_identities(&mut c, &s, &premium_econ(Some(9.0)));

    let s = premium_sim(8.0, false, 8000, 1);
    let subs: f64 = (0..s.months)
        .map(|m| s.at(0, m, "premium_subscribers"))
        .sum();
    c.holds(
        || format!("price = wtp_median: subscriber-months {subs} > 0"),
        subs > 0.0,
    );
    check_identities(&mut c, &s, &premium_econ(Some(8.0)));
    c.finish();
}

/// Check 6c: Included with Prime, price above WTP: only Prime households (prime_share)
/// subscribe, at no charge: premium_revenue is exactly 0 while premium_serving_cost is not. |z|
/// ≤ 4.
#[test]
fn premium_included_with_prime_above_wtp_only_prime_subscribes() {
    let s = premium_sim(9.0, true, 30000, 32);
    let mut c = Checks::new("premium prime only");
    check_premium(&mut c, &s, P_PRIME, 0.0, 0.0);
    check_identities(&mut c, &s, &premium_econ(None));
    for t in 0..s.trials() {
        c.eq(
            || format!("trial {t}: premium_revenue = 0"),
            s.scalar(t, "premium_revenue"),
            0.0,
            0.0,
        );
        let serving = s.scalar(t, "premium_serving_cost");
        c.holds(
            || format!("trial {t}: premium_serving_cost {serving} > 0"),
            serving > 0.0,
        );
    }
    c.finish();
}

/// Check 6d: Included with Prime, price below WTP: everyone is eligible; only non-Prime
/// subscribers pay (premium_revenue / price ≈ (1 - prime_share) × subscribers). |z| ≤ 4.
#[test]
fn premium_included_with_prime_below_wtp_non_prime_pay() {
    let price = 5.0;
    let s = premium_sim(price, true, 30000, 24);
    let mut c = Checks::new("premium prime free, others pay");
    check_premium(&mut c, &s, 1.0, 1.0 - P_PRIME, price);
    check_identities(&mut c, &s, &premium_econ(None));
    c.finish();
}

// ---------------------------------------------------------------------------------------
// Household heterogeneity and uncertain parameters, on a fixed population.

/// Simpson's rule on [a, b] with `n` (even) intervals.
fn simpson(a: f64, b: f64, n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let h = (b - a) / n as f64;
    let mut acc = f(a) + f(b);
    for i in 1..n {
        let x = a + h * i as f64;
        acc += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    acc * h / 3.0
}

/// `E[g(X)]` for `X ~ Gamma(shape, scale)` (substituting `x = t²`, which keeps the
/// integrand smooth at 0 for shapes >= 1/2).
fn gamma_expect(shape: f64, scale: f64, g: impl Fn(f64) -> f64) -> f64 {
    let dens = |t: f64| {
        let x = t * t;
        if x == 0.0 {
            return 0.0;
        }
        // x^(shape-1) e^(-x) dx with dx = 2 t dt
        2.0 * t * ((shape - 1.0) * x.ln() - x).exp()
    };
    let top = (60.0 + 10.0 * shape).sqrt();
    let norm = simpson(0.0, top, 20_000, dens);
    simpson(0.0, top, 20_000, |t| dens(t) * g(scale * t * t)) / norm
}

/// `E[g(X)]` for `X ~ Beta(a, b)` with `a, b >= 1`.
fn beta_expect(a: f64, b: f64, g: impl Fn(f64) -> f64) -> f64 {
    let dens = |x: f64| {
        if x <= 0.0 || x >= 1.0 {
            if (x <= 0.0 && a == 1.0) || (x >= 1.0 && b == 1.0) {
                return 1.0;
            }
            return 0.0;
        }
        ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p()).exp()
    };
    let norm = simpson(0.0, 1.0, 20_000, dens);
    simpson(0.0, 1.0, 20_000, |x| dens(x) * g(x)) / norm
}

/// Standard normal CDF.
fn norm_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

const HETERO: &str = r#"
[scenario]
name = "heterogeneity"
start = "2021-01"
months = 24

[simulation]
households = 40000
trials = 32
seed = 31337

[market]
households = 4e6

[adoption]
installed_share = 1.0
potential = 0.5
innovation = 0.05
imitation = 0.5
devices_at_adoption = 1.0
extra_devices_per_year = 0.0
abandon_per_year = 0.0

[[device]]
name = "speaker"
mix = 1.0
price = 30.0
unit_cost = 30.0

[usage]
interactions_per_day = 2.5
activity_shape = 1.5
novelty_boost = 0.5
novelty_decay_months = 6.0
mix_concentration = 20.0

[intents]
talk = 0.6
music = 0.3
shopping = 0.1

[[purchase]]
name = "shop"
intent = "shopping"
conversion = { dist = "uniform", min = 0.01, max = 0.03 }
order_value = 20.0
order_value_sigma = 0.5
margin = 0.2
incremental_share = 0.5

[premium]
launch = "2021-01"
price_month = 4.0
wtp_median = 5.0
wtp_sigma = 0.7
wtp_activity_elasticity = 0.5
consider_per_month = 0.3
churn_per_year = 0.3
serving_cost_per_interaction = 0.0

[costs]
serving_cost_per_interaction = 0.0
fixed_per_year = 0.0
"#;

/// Heterogeneity (docs/scenario-format.md §5, "The model") on a fixed population (everyone installed, nobody abandons):
/// * `lambda_h ~ Gamma(k, mean)` and `pi_h ~ Dirichlet(c·pi)` leave mean interactions per
///   intent unchanged, and give the per-household variance
///   `E[mu] + Var(mu)` with `E[mu²] = (lambda D nov)² (1 + 1/k) pi(c·pi + 1)/(c + 1)`;
/// * a household buys over a period with probability `1 - E[(1 + (lambda/k)·pi_h·A)^(-k)]`
///   (gamma Laplace transform, then a numerical integral over `pi_h ~ Beta`), `A` the
///   period's expected orders per unit activity and share;
/// * premium eligibility is `P(wtp_median (lambda_h/lambda)^e exp(sigma Z) >= price)
///   = E[Phi((ln(wtp_median/price) + e ln(lambda_h/lambda)) / sigma)]`, subscribers follow
///   the consider/churn chain from launch;
/// * an uncertain `conversion` is drawn once per trial (all households share the draw):
///   orders are checked trial by trial against the trial's draw, summing the trials'
///   expectations and variances.
///
/// All statistical checks |z| ≤ 4 (exact standard errors from the moments above).
#[test]
fn heterogeneity_and_per_trial_draws() {
    let s = simulate("hetero.toml", HETERO);
    let (lambda, k, c, boost, decay) = (2.5, 1.5, 20.0, 0.5, 6.0);
    let n_h = s.households;
    let pooled = s.pooled();
    let nov = |m: usize| novelty(boost, decay, 12 + m);
    let mut ch = Checks::new("heterogeneity");

    // Per-trial draws of the uncertain conversion.
    let conv: Vec<f64> = (0..s.trials())
        .map(|t| s.draw(t, "purchase.shop.conversion"))
        .collect();
    for (t, &x) in conv.iter().enumerate() {
        ch.holds(
            || format!("trial {t}: conversion draw {x} in [0.01, 0.03]"),
            (0.01..=0.03).contains(&x),
        );
    }
    let spread =
        conv.iter().cloned().fold(0.0, f64::max) - conv.iter().cloned().fold(1.0, f64::min);
    ch.holds(
        || format!("conversion draws differ between trials ({conv:?})"),
        spread > 0.0,
    );
    // Uniform(0.01, 0.03): mean 0.02, sd 0.02/sqrt(12), over many trials' models (cheap: no
    // households are simulated).
    let scenario = Scenario::parse("hetero.toml", HETERO, &[]).expect("valid");
    let engine = Engine::new(&scenario);
    let at = s
        .param_keys
        .iter()
        .position(|k| k == "purchase.shop.conversion")
        .expect("conversion is a parameter");
    let many: Vec<f64> = (0..4000)
        .map(|t| engine.trial_model(t).values()[at])
        .collect();
    ch.holds(
        || "the trial model of trial 0 holds the run's draw".into(),
        many[0] == conv[0],
    );
    ch.stat(
        "mean conversion draw over 4000 trials",
        many.iter().sum::<f64>() / many.len() as f64,
        0.02,
        0.02 / 12f64.sqrt() / (many.len() as f64).sqrt(),
    );

    // E[pi²] of a Dirichlet(c·pi) component: Beta(c·pi, c(1 - pi)).
    let pi2 = |p: f64| p * (c * p + 1.0) / (c + 1.0);
    let lambda2 = lambda * lambda * (1.0 + 1.0 / k);
    for m in 0..s.months {
        for (name, share) in [("talk", 0.6), ("music", 0.3), ("shopping", 0.1)] {
            let unit = D * nov(m);
            let e1 = lambda * share * unit;
            let e2_mu = lambda2 * pi2(share) * unit * unit;
            // Poisson given mu: E[X²] = E[mu] + E[mu²].
            let mom = Mom { e1, e2: e1 + e2_mu };
            let metric = format!("interactions_{name}");
            ch.pooled(
                format!("{metric} month {m}"),
                s.count(m, &metric),
                pooled,
                mom,
            );
        }
        // Orders, trial by trial with the trial's conversion.
        let (mut obs, mut exp, mut var) = (0.0, 0.0, 0.0);
        for (t, &cv) in conv.iter().enumerate() {
            let unit = D * nov(m) * cv;
            let e1 = lambda * 0.1 * unit;
            let e2 = e1 + lambda2 * pi2(0.1) * unit * unit;
            obs += s.at(t, m, "orders_shop") / W;
            exp += n_h * e1;
            var += n_h * (e2 - e1 * e1);
        }
        ch.stat(format!("orders_shop month {m}"), obs, exp, var.sqrt());
    }

    // Buyers over the horizon and in month 0, trial by trial.
    let p_buyer = |a: f64| {
        beta_expect(c * 0.1, c * 0.9, |pi| {
            1.0 - (1.0 + lambda / k * pi * a).powf(-k)
        })
    };
    let total_nov: f64 = (0..s.months).map(nov).sum();
    let (mut obs, mut exp, mut var) = (0.0, 0.0, 0.0);
    let (mut obs0, mut exp0, mut var0) = (0.0, 0.0, 0.0);
    for (t, &cv) in conv.iter().enumerate() {
        let p = p_buyer(D * cv * total_nov);
        obs += s.scalar(t, "buyers_shop") / W;
        exp += n_h * p;
        var += n_h * p * (1.0 - p);
        let p0 = p_buyer(D * cv * nov(0));
        obs0 += s.at(t, 0, "buyers_shop") / W;
        exp0 += n_h * p0;
        var0 += n_h * p0 * (1.0 - p0);
    }
    ch.stat("buyers_shop horizon", obs, exp, var.sqrt());
    ch.stat("buyers_shop month 0", obs0, exp0, var0.sqrt());

    // Premium eligibility with lognormal WTP and activity elasticity.
    let eligible = gamma_expect(k, lambda / k, |x| {
        norm_cdf(((5.0f64 / 4.0).ln() + 0.5 * (x / lambda).ln()) / 0.7)
    });
    let keep = 1.0 - monthly_prob(0.3);
    let mut prev = 0.0;
    for m in 0..s.months {
        let carried = prev * keep;
        let x = carried + (1.0 - carried) * 0.3;
        prev = x;
        let mut mom = Mom::default();
        mom.add(1.0, bernoulli(eligible * x));
        ch.pooled(
            format!("premium_subscribers month {m} (eligible share {eligible:.4})"),
            s.count(m, "premium_subscribers"),
            pooled,
            mom,
        );
    }
    ch.finish();
}
