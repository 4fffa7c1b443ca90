//! Scenarios: loading a TOML file, applying `--set` overrides, and validating it into the
//! domain types the engine runs on.
//!
//! Configuration happens in two stages. [`raw`] mirrors the file format with serde
//! (unknown keys are errors); [`Scenario::from_raw`] checks every rule of SPEC §2 and
//! builds validated types whose fields cannot be set from outside the crate. Every
//! numeric model parameter becomes a [`Param`] in one flat, ordered [`ParamSet`], so that
//! a trial's draws are a plain `Vec<f64>` indexed by [`ParamId`]. Errors carry the dotted
//! key; [`error`] adds the file, line and column.

mod accessors;
pub mod error;
mod overrides;
pub mod path;
pub mod raw;

use std::fmt;

pub use error::{Diagnostic, ScenarioError};
pub use overrides::Override;
pub use path::KeyPath;

use crate::design::{Correlation, Design, MAX_CORRELATED, Matrix, Sampling};
use crate::sampling::{Dist, name_key};
use raw::{RawCorrelation, RawDist, RawScenario, RawValue, RawYearly};

/// Hard limits checked at load time (a later hardening pass lets users raise them).
pub const MAX_MONTHS: u32 = 1200;
/// Most simulated households per trial.
pub const MAX_HOUSEHOLDS: u64 = 1_000_000_000;
/// Most trials.
pub const MAX_TRIALS: u64 = 1_000_000;
/// Most intents in `[intents]` (the engine keeps per-household intent shares on the stack).
pub const MAX_INTENTS: usize = 32;
/// Most device models.
pub const MAX_DEVICES: usize = 64;
/// Most purchase channels on one intent.
pub const MAX_CHANNELS_PER_INTENT: usize = 4;

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// Parses `YYYY-MM` (years 1900–2200).
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((1900..=2200).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }
    /// Months since year 0, for arithmetic.
    fn ordinal(self) -> i64 {
        self.year as i64 * 12 + (self.month as i64 - 1)
    }
    /// The month `n` months later.
    pub fn plus(self, n: u32) -> Self {
        let o = self.ordinal() + n as i64;
        YearMonth {
            year: (o.div_euclid(12)) as i32,
            month: (o.rem_euclid(12) + 1) as u32,
        }
    }
    /// Months from `self` to `later` (negative if earlier).
    pub fn months_until(self, later: YearMonth) -> i64 {
        later.ordinal() - self.ordinal()
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The values a parameter may take: a lower bound that is part of its meaning (a
/// probability is never negative) and an upper bound that is either part of its meaning
/// (a probability is at most 1) or a plausibility cap that keeps a run finite (nobody
/// talks to an assistant a million times a day).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Domain {
    lower: Lower,
    max: f64,
    /// The upper bound is part of the meaning: a distribution must not exceed it at all.
    /// Otherwise it is a plausibility cap, checked against the 99.9999th percentile.
    hard_max: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lower {
    /// >= 0
    Zero,
    /// > 0
    AboveZero,
    /// >= 1
    One,
}

/// Quantile at which plausibility caps are checked for uncertain values.
const CAP_QUANTILE: f64 = 1.0 - 1e-6;

impl Domain {
    /// [0, 1]
    pub const PROBABILITY: Domain = Domain {
        lower: Lower::Zero,
        max: 1.0,
        hard_max: true,
    };
    /// [0, max]
    pub const fn non_negative(max: f64) -> Domain {
        Domain {
            lower: Lower::Zero,
            max,
            hard_max: false,
        }
    }
    /// (0, max]
    pub const fn positive(max: f64) -> Domain {
        Domain {
            lower: Lower::AboveZero,
            max,
            hard_max: false,
        }
    }
    /// [1, max]
    pub const fn at_least_one(max: f64) -> Domain {
        Domain {
            lower: Lower::One,
            max,
            hard_max: false,
        }
    }

    fn contains(self, x: f64) -> bool {
        let above = match self.lower {
            Lower::Zero => x >= 0.0,
            Lower::AboveZero => x > 0.0,
            Lower::One => x >= 1.0,
        };
        above && x <= self.max
    }

    fn expected(self) -> String {
        if self.hard_max {
            return "a probability in [0, 1]".into();
        }
        let max = fmt_num(self.max);
        match self.lower {
            Lower::Zero => format!("a number from 0 to {max}"),
            Lower::AboveZero => format!("a number > 0 and at most {max}"),
            Lower::One => format!("a number from 1 to {max}"),
        }
    }

    /// The interval a distribution must stay in (the plausibility cap is checked apart).
    fn interval(self) -> String {
        if self.hard_max {
            return "[0, 1]".into();
        }
        match self.lower {
            Lower::Zero => "[0, inf)".into(),
            Lower::AboveZero => "(0, inf)".into(),
            Lower::One => "[1, inf)".into(),
        }
    }

    fn suggestion(self) -> &'static str {
        if self.hard_max {
            "use a bounded form such as { dist = \"beta\", alpha = 2, beta = 40 } or { dist = \"pert\", min = 0.01, mode = 0.02, max = 0.05 }"
        } else {
            "use a bounded form such as { dist = \"pert\", min = 1, mode = 2, max = 4 }, or a normal with `min`"
        }
    }

    /// Whether every value a distribution can produce lies above the lower bound (and, for
    /// a hard upper bound, below it).
    fn admits(self, dist: &Dist) -> bool {
        let (lo, hi) = dist.support();
        // LogNormal and Gamma have support (0, inf): 0 itself is never drawn.
        let open_at_zero = matches!(dist, Dist::LogNormal { .. } | Dist::Gamma { .. });
        let lower_ok = match self.lower {
            Lower::Zero => lo >= 0.0,
            Lower::AboveZero => lo > 0.0 || (lo == 0.0 && open_at_zero),
            Lower::One => lo >= 1.0,
        };
        lower_ok && (!self.hard_max || hi <= self.max)
    }

    /// Whether a distribution stays under a plausibility cap (but for one draw in a million).
    fn plausible(self, dist: &Dist) -> bool {
        self.hard_max || dist.quantile(CAP_QUANTILE) <= self.max
    }
}

/// Plausibility caps: far above any real value, low enough that a run stays finite.
mod cap {
    pub const HOUSEHOLDS: f64 = 1e10;
    pub const RATE: f64 = 1e3;
    pub const COUNT: f64 = 1e2;
    pub const MULTIPLIER: f64 = 1e2;
    pub const PRICE: f64 = 1e6;
    pub const SPEND: f64 = 1e7;
    pub const FIXED: f64 = 1e13;
    pub const SERVING: f64 = 1e2;
    pub const SIGMA: f64 = 10.0;
    pub const SHAPE: f64 = 1e6;
    pub const MONTHS: f64 = 1e4;
    pub const DISCOUNT: f64 = 10.0;
}

/// Index of a parameter in the scenario's [`ParamSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub(crate) u32);

/// One numeric model parameter: its dotted key and its distribution (fixed or uncertain).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    key: String,
    dist: Dist,
}

impl Param {
    /// Dotted key, e.g. `purchase.voice_shopping.conversion`; also keys its random stream.
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn dist(&self) -> &Dist {
        &self.dist
    }
    /// True unless the value is a plain number.
    pub fn is_uncertain(&self) -> bool {
        !matches!(self.dist, Dist::Fixed(_))
    }
}

/// All parameters of a scenario, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamSet {
    params: Vec<Param>,
}

impl ParamSet {
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Param)> {
        self.params
            .iter()
            .enumerate()
            .map(|(i, p)| (ParamId(i as u32), p))
    }
    pub fn len(&self) -> usize {
        self.params.len()
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
    pub fn get(&self, id: ParamId) -> &Param {
        &self.params[id.0 as usize]
    }
    fn push(&mut self, key: String, dist: Dist) -> ParamId {
        self.params.push(Param { key, dist });
        ParamId(self.params.len() as u32 - 1)
    }
}

/// A parameter that may differ by calendar year.
#[derive(Clone, Debug, PartialEq)]
pub struct Yearly {
    /// Sorted by year; the first entry's year is the first year it covers.
    entries: Vec<(i32, ParamId)>,
}

impl Yearly {
    /// The parameter in force in `year` (nearest earlier listed year). Validation
    /// guarantees no simulated year precedes the first entry.
    pub fn at(&self, year: i32) -> ParamId {
        let mut id = self.entries[0].1;
        for &(y, p) in &self.entries {
            if y <= year {
                id = p;
            }
        }
        id
    }
}

/// Run settings: `[simulation]` after defaults and command-line overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Simulation {
    pub households: u64,
    pub trials: u64,
    pub seed: u64,
    pub sampling: Sampling,
}

impl Default for Simulation {
    fn default() -> Self {
        Simulation {
            households: 200_000,
            trials: 200,
            seed: 1,
            sampling: Sampling::MonteCarlo,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Adoption {
    pub(crate) installed_share: ParamId,
    pub(crate) potential: ParamId,
    pub(crate) innovation: ParamId,
    pub(crate) imitation: ParamId,
    pub(crate) devices_at_adoption: ParamId,
    pub(crate) extra_devices_per_year: ParamId,
    pub(crate) abandon_per_year: ParamId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub(crate) name: String,
    pub(crate) mix: f64,
    pub(crate) price: Yearly,
    pub(crate) unit_cost: Yearly,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub(crate) interactions_per_day: ParamId,
    pub(crate) activity_shape: Option<ParamId>,
    pub(crate) novelty_boost: ParamId,
    pub(crate) novelty_decay_months: ParamId,
    pub(crate) mix_concentration: Option<ParamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    pub(crate) name: String,
    pub(crate) share: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Purchase {
    pub(crate) name: String,
    pub(crate) intent: usize,
    pub(crate) conversion: ParamId,
    pub(crate) order_value: ParamId,
    pub(crate) order_value_sigma: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) incremental_share: ParamId,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub(crate) name: String,
    pub(crate) attach: ParamId,
    pub(crate) price_month: Yearly,
    pub(crate) churn_per_year: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) incremental_share: ParamId,
    pub(crate) in_device_pnl: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ecosystem {
    pub(crate) spend_per_year: ParamId,
    pub(crate) spend_sigma: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) uplift: ParamId,
    pub(crate) attributed_share: ParamId,
}

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

#[derive(Clone, Debug, PartialEq)]
pub struct Costs {
    pub(crate) serving_cost_per_interaction: Yearly,
    pub(crate) fixed_per_year: Yearly,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) start: YearMonth,
    pub(crate) months: u32,
    pub(crate) simulation: Simulation,
    pub(crate) params: ParamSet,
    pub(crate) market_households: ParamId,
    pub(crate) prime_share: ParamId,
    pub(crate) adoption: Adoption,
    pub(crate) devices: Vec<Device>,
    pub(crate) usage: Usage,
    pub(crate) intents: Vec<Intent>,
    pub(crate) purchases: Vec<Purchase>,
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) ecosystem: Option<Ecosystem>,
    pub(crate) premium: Option<Premium>,
    pub(crate) costs: Costs,
    pub(crate) discount_rate: ParamId,
    /// How trials draw the uncertain parameters (sampling method, correlations).
    pub(crate) design: Design,
    /// The raw form with defaults filled in, for `scenario.resolved.toml`.
    resolved: RawScenario,
}

impl Scenario {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn start(&self) -> YearMonth {
        self.start
    }
    pub fn months(&self) -> u32 {
        self.months
    }
    pub fn simulation(&self) -> Simulation {
        self.simulation
    }
    /// Replaces the run settings (command-line `--households`, `--trials`, `--seed`).
    pub fn set_simulation(&mut self, sim: Simulation) -> Result<(), String> {
        check_simulation(&sim)?;
        self.simulation = sim;
        self.design = self.design.with_sampling(sim.sampling);
        self.resolved.simulation = Some(raw_simulation(sim));
        Ok(())
    }
    pub fn params(&self) -> &ParamSet {
        &self.params
    }
    pub fn device_names(&self) -> impl Iterator<Item = &str> {
        self.devices.iter().map(|d| d.name.as_str())
    }
    pub fn intent_names(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(|d| d.name.as_str())
    }
    pub fn purchase_names(&self) -> impl Iterator<Item = &str> {
        self.purchases.iter().map(|d| d.name.as_str())
    }
    pub fn subscription_names(&self) -> impl Iterator<Item = &str> {
        self.subscriptions.iter().map(|d| d.name.as_str())
    }
    pub fn has_premium(&self) -> bool {
        self.premium.is_some()
    }
    pub fn has_ecosystem(&self) -> bool {
        self.ecosystem.is_some()
    }
    /// True if two scenarios have the same structure, settings and parameters, but for the
    /// value of the parameter `key`.
    pub fn same_except(&self, other: &Scenario, key: &str) -> bool {
        let params_match = self.params.len() == other.params.len()
            && self
                .params
                .params
                .iter()
                .zip(&other.params.params)
                .all(|(a, b)| a.key == b.key && (a.key == key || a.dist == b.dist));
        params_match
            && self.start == other.start
            && self.months == other.months
            && self.simulation == other.simulation
            && self.market_households == other.market_households
            && self.prime_share == other.prime_share
            && self.adoption == other.adoption
            && self.devices == other.devices
            && self.usage == other.usage
            && self.intents == other.intents
            && self.purchases == other.purchases
            && self.subscriptions == other.subscriptions
            && self.ecosystem == other.ecosystem
            && self.premium == other.premium
            && self.costs == other.costs
            && self.discount_rate == other.discount_rate
            && self.design == other.design
    }

    /// The design of the uncertain parameters' draws.
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// The scenario as TOML with defaults filled in, overrides applied and an optional
    /// `[run]` table appended.
    pub fn resolved_toml(&self, run: Option<raw::RawRun>) -> String {
        let mut raw = self.resolved.clone();
        raw.run = run;
        let mut doc =
            toml_edit::ser::to_document(&raw).expect("a validated scenario always serialises");
        expand_sections(&mut doc);
        doc.to_string()
    }

    /// Parses and validates scenario text. `origin` names the file in messages.
    pub fn parse(
        origin: &str,
        text: &str,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let raw = error::deserialize(origin, text)?;
        let raw = overrides::apply(raw, overrides).map_err(|d| ScenarioError::new(vec![d]))?;
        Scenario::from_raw(raw).map_err(|issues| {
            ScenarioError::new(
                issues
                    .into_iter()
                    .map(|i| error::place(origin, text, overrides, i))
                    .collect(),
            )
        })
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &std::path::Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let text = error::read_source(path)?;
        Scenario::parse(&origin, &text, overrides)
    }

    /// Validates the raw form, collecting every problem.
    pub fn from_raw(raw: RawScenario) -> Result<Scenario, Vec<Issue>> {
        let mut c = Checker::default();
        let root = KeyPath::root();

        // [scenario]
        let meta = root.key("scenario");
        let start = YearMonth::parse(&raw.scenario.start);
        if start.is_none() {
            c.issue(
                meta.key("start"),
                Some(format!("{:?}", raw.scenario.start)),
                "expected a month \"YYYY-MM\" (years 1900-2200)",
            );
        }
        let months = raw.scenario.months;
        if !(1..=MAX_MONTHS as i64).contains(&months) {
            c.issue(
                meta.key("months"),
                Some(months.to_string()),
                format!("expected a horizon of 1 to {MAX_MONTHS} months"),
            );
        }
        if raw.scenario.name.trim().is_empty() {
            c.issue(
                meta.key("name"),
                Some("\"\"".into()),
                "expected a non-empty name",
            );
        }
        // Checks that depend on the horizon are skipped when it is itself wrong, so that one
        // mistake does not produce a cascade of false errors.
        c.horizon_known = start.is_some() && (1..=MAX_MONTHS as i64).contains(&months);
        let start = start.unwrap_or(YearMonth {
            year: 2000,
            month: 1,
        });
        let months = months.clamp(1, MAX_MONTHS as i64) as u32;
        c.first_year = start.year;
        c.last_year = start.plus(months - 1).year;

        // [simulation]
        let mut sim = Simulation::default();
        if let Some(s) = &raw.simulation {
            let p = root.key("simulation");
            for (key, value, max, target) in [
                (
                    "households",
                    s.households,
                    MAX_HOUSEHOLDS,
                    &mut sim.households,
                ),
                ("trials", s.trials, MAX_TRIALS, &mut sim.trials),
            ] {
                if let Some(v) = value {
                    if v < 1 || v as u64 > max {
                        c.issue(
                            p.key(key),
                            Some(v.to_string()),
                            format!("expected a whole number from 1 to {max}"),
                        );
                    } else {
                        *target = v as u64;
                    }
                }
            }
            if let Some(v) = s.seed {
                if v < 0 {
                    c.issue(
                        p.key("seed"),
                        Some(v.to_string()),
                        "expected a whole number >= 0",
                    );
                } else {
                    sim.seed = v as u64;
                }
            }
            if let Some(v) = &s.sampling {
                match Sampling::parse(v) {
                    Some(m) => sim.sampling = m,
                    None => c.issue(
                        p.key("sampling"),
                        Some(format!("{v:?}")),
                        "expected \"mc\" (plain Monte Carlo) or \"lhs\" (Latin hypercube)",
                    ),
                }
            }
        }

        // [market]
        let mk = root.key("market");
        let market_households = c.value(
            &mk.key("households"),
            &raw.market.households,
            Domain::positive(cap::HOUSEHOLDS),
        );
        let prime_share = c.opt_value(
            &mk.key("prime_share"),
            raw.market.prime_share.as_ref(),
            Domain::PROBABILITY,
            0.0,
        );

        // [adoption]
        let a = root.key("adoption");
        let ra = &raw.adoption;
        let adoption = Adoption {
            installed_share: c.value(
                &a.key("installed_share"),
                &ra.installed_share,
                Domain::PROBABILITY,
            ),
            potential: c.value(&a.key("potential"), &ra.potential, Domain::PROBABILITY),
            innovation: c.value(
                &a.key("innovation"),
                &ra.innovation,
                Domain::positive(cap::MULTIPLIER),
            ),
            imitation: c.value(
                &a.key("imitation"),
                &ra.imitation,
                Domain::non_negative(cap::MULTIPLIER),
            ),
            devices_at_adoption: c.value(
                &a.key("devices_at_adoption"),
                &ra.devices_at_adoption,
                Domain::at_least_one(cap::COUNT),
            ),
            extra_devices_per_year: c.value(
                &a.key("extra_devices_per_year"),
                &ra.extra_devices_per_year,
                Domain::non_negative(cap::COUNT),
            ),
            abandon_per_year: c.value(
                &a.key("abandon_per_year"),
                &ra.abandon_per_year,
                Domain::PROBABILITY,
            ),
        };

        // [[device]]
        let dp = root.key("device");
        if raw.device.is_empty() {
            c.issue(
                dp.clone(),
                None,
                "missing required section: at least one [[device]] is needed",
            );
        }
        if raw.device.len() > MAX_DEVICES {
            c.issue(
                dp.clone(),
                None,
                format!(
                    "expected at most {MAX_DEVICES} devices, found {}",
                    raw.device.len()
                ),
            );
        }
        c.unique_names(&dp, raw.device.iter().map(|d| d.name.as_str()));
        let mut devices = Vec::new();
        for (i, d) in raw.device.iter().enumerate() {
            let p = dp.index(i, Some(&d.name));
            c.plain(&p.key("mix"), d.mix, Domain::PROBABILITY);
            devices.push(Device {
                name: d.name.clone(),
                mix: d.mix,
                price: c.yearly(&p.key("price"), &d.price, Domain::non_negative(cap::PRICE)),
                unit_cost: c.yearly(
                    &p.key("unit_cost"),
                    &d.unit_cost,
                    Domain::non_negative(cap::PRICE),
                ),
            });
        }
        c.sums_to_one(
            &dp,
            "the device mixes",
            raw.device.iter().map(|d| (d.name.as_str(), d.mix)),
        );

        // [usage]
        let u = root.key("usage");
        let ru = &raw.usage;
        let usage = Usage {
            interactions_per_day: c.value(
                &u.key("interactions_per_day"),
                &ru.interactions_per_day,
                Domain::positive(cap::RATE),
            ),
            activity_shape: ru
                .activity_shape
                .as_ref()
                .map(|v| c.value(&u.key("activity_shape"), v, Domain::positive(cap::SHAPE))),
            novelty_boost: c.opt_value(
                &u.key("novelty_boost"),
                ru.novelty_boost.as_ref(),
                Domain::non_negative(cap::MULTIPLIER),
                0.0,
            ),
            novelty_decay_months: c.opt_value(
                &u.key("novelty_decay_months"),
                ru.novelty_decay_months.as_ref(),
                Domain::positive(cap::MONTHS),
                1.0,
            ),
            mix_concentration: ru
                .mix_concentration
                .as_ref()
                .map(|v| c.value(&u.key("mix_concentration"), v, Domain::positive(cap::SHAPE))),
        };

        // [intents]
        let ip = root.key("intents");
        if raw.intents.0.is_empty() {
            c.issue(
                ip.clone(),
                None,
                "expected at least one intent with a share > 0",
            );
        }
        if raw.intents.0.len() > MAX_INTENTS {
            c.issue(
                ip.clone(),
                None,
                format!(
                    "expected at most {MAX_INTENTS} intents, found {}",
                    raw.intents.0.len()
                ),
            );
        }
        let mut intents = Vec::new();
        for (name, share) in &raw.intents.0 {
            let p = ip.key(name);
            c.check_name_of(&p, name, true);
            if !share.is_finite() || *share <= 0.0 || *share > 1.0 {
                c.issue(
                    p,
                    Some(fmt_num(*share)),
                    "expected an intent share in (0, 1]",
                );
            }
            intents.push(Intent {
                name: name.clone(),
                share: *share,
            });
        }
        c.sums_to_one(
            &ip,
            "the intent shares",
            raw.intents.0.iter().map(|(n, s)| (n.as_str(), *s)),
        );

        // [[purchase]]
        let pp = root.key("purchase");
        c.unique_names(&pp, raw.purchase.iter().map(|d| d.name.as_str()));
        let mut purchases = Vec::new();
        let mut per_intent = vec![0usize; intents.len()];
        for (i, r) in raw.purchase.iter().enumerate() {
            let p = pp.index(i, Some(&r.name));
            let intent = intents.iter().position(|x| x.name == r.intent);
            match intent {
                None if intents.is_empty() => {}
                None => {
                    let known: Vec<&str> = intents.iter().map(|x| x.name.as_str()).collect();
                    let mut message = format!(
                        "expected one of the intents in [intents]: {}",
                        known.join(", ")
                    );
                    if let Some(best) = error::nearest(&r.intent, &known) {
                        message.push_str(&format!(" (did you mean `{best}`?)"));
                    }
                    c.issue(p.key("intent"), Some(format!("{:?}", r.intent)), message);
                }
                Some(k) => {
                    per_intent[k] += 1;
                    if per_intent[k] == MAX_CHANNELS_PER_INTENT + 1 {
                        c.issue(p.key("intent"), Some(format!("{:?}", r.intent)), format!("expected at most {MAX_CHANNELS_PER_INTENT} purchase channels on one intent"));
                    }
                }
            }
            purchases.push(Purchase {
                name: r.name.clone(),
                intent: intent.unwrap_or(0),
                conversion: c.value(&p.key("conversion"), &r.conversion, Domain::PROBABILITY),
                order_value: c.value(
                    &p.key("order_value"),
                    &r.order_value,
                    Domain::positive(cap::PRICE),
                ),
                order_value_sigma: c.value(
                    &p.key("order_value_sigma"),
                    &r.order_value_sigma,
                    Domain::non_negative(cap::SIGMA),
                ),
                margin: c.value(&p.key("margin"), &r.margin, Domain::PROBABILITY),
                incremental_share: c.value(
                    &p.key("incremental_share"),
                    &r.incremental_share,
                    Domain::PROBABILITY,
                ),
            });
        }

        // [[subscription]]
        let sp = root.key("subscription");
        c.unique_names(&sp, raw.subscription.iter().map(|d| d.name.as_str()));
        let mut subscriptions = Vec::new();
        for (i, r) in raw.subscription.iter().enumerate() {
            let p = sp.index(i, Some(&r.name));
            subscriptions.push(Subscription {
                name: r.name.clone(),
                attach: c.value(&p.key("attach"), &r.attach, Domain::PROBABILITY),
                price_month: c.yearly(
                    &p.key("price_month"),
                    &r.price_month,
                    Domain::non_negative(cap::PRICE),
                ),
                churn_per_year: c.value(
                    &p.key("churn_per_year"),
                    &r.churn_per_year,
                    Domain::PROBABILITY,
                ),
                margin: c.value(&p.key("margin"), &r.margin, Domain::PROBABILITY),
                incremental_share: c.value(
                    &p.key("incremental_share"),
                    &r.incremental_share,
                    Domain::PROBABILITY,
                ),
                in_device_pnl: r.in_device_pnl.unwrap_or(false),
            });
        }

        // [ecosystem]
        let ecosystem = raw.ecosystem.as_ref().map(|e| {
            let p = root.key("ecosystem");
            Ecosystem {
                spend_per_year: c.value(
                    &p.key("spend_per_year"),
                    &e.spend_per_year,
                    Domain::positive(cap::SPEND),
                ),
                spend_sigma: c.value(
                    &p.key("spend_sigma"),
                    &e.spend_sigma,
                    Domain::non_negative(cap::SIGMA),
                ),
                margin: c.value(&p.key("margin"), &e.margin, Domain::PROBABILITY),
                uplift: c.value(
                    &p.key("uplift"),
                    &e.uplift,
                    Domain::non_negative(cap::MULTIPLIER),
                ),
                attributed_share: c.value(
                    &p.key("attributed_share"),
                    &e.attributed_share,
                    Domain::PROBABILITY,
                ),
            }
        });

        // [premium]
        let premium = raw.premium.as_ref().map(|r| {
            let p = root.key("premium");
            let launch = match YearMonth::parse(&r.launch) {
                None => {
                    c.issue(
                        p.key("launch"),
                        Some(format!("{:?}", r.launch)),
                        "expected a month \"YYYY-MM\" (years 1900-2200)",
                    );
                    0
                }
                Some(l) => {
                    let idx = start.months_until(l);
                    if c.horizon_known && (idx < 0 || idx >= months as i64) {
                        c.issue(
                            p.key("launch"),
                            Some(format!("{:?}", r.launch)),
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
            };
            Premium {
                launch,
                price_month: c.value(
                    &p.key("price_month"),
                    &r.price_month,
                    Domain::non_negative(cap::PRICE),
                ),
                included_with_prime: r.included_with_prime.unwrap_or(false),
                wtp_median: c.value(
                    &p.key("wtp_median"),
                    &r.wtp_median,
                    Domain::positive(cap::PRICE),
                ),
                wtp_sigma: c.value(
                    &p.key("wtp_sigma"),
                    &r.wtp_sigma,
                    Domain::non_negative(cap::SIGMA),
                ),
                wtp_activity_elasticity: c.opt_value(
                    &p.key("wtp_activity_elasticity"),
                    r.wtp_activity_elasticity.as_ref(),
                    Domain::non_negative(cap::SIGMA),
                    0.0,
                ),
                consider_per_month: c.value(
                    &p.key("consider_per_month"),
                    &r.consider_per_month,
                    Domain::PROBABILITY,
                ),
                churn_per_year: c.value(
                    &p.key("churn_per_year"),
                    &r.churn_per_year,
                    Domain::PROBABILITY,
                ),
                usage_uplift: c.opt_value(
                    &p.key("usage_uplift"),
                    r.usage_uplift.as_ref(),
                    Domain::positive(cap::MULTIPLIER),
                    1.0,
                ),
                conversion_uplift: c.opt_value(
                    &p.key("conversion_uplift"),
                    r.conversion_uplift.as_ref(),
                    Domain::positive(cap::MULTIPLIER),
                    1.0,
                ),
                serving_cost_per_interaction: c.yearly(
                    &p.key("serving_cost_per_interaction"),
                    &r.serving_cost_per_interaction,
                    Domain::non_negative(cap::SERVING),
                ),
            }
        });

        // [costs], [finance]
        let cp = root.key("costs");
        let costs = Costs {
            serving_cost_per_interaction: c.yearly(
                &cp.key("serving_cost_per_interaction"),
                &raw.costs.serving_cost_per_interaction,
                Domain::non_negative(cap::SERVING),
            ),
            fixed_per_year: c.yearly(
                &cp.key("fixed_per_year"),
                &raw.costs.fixed_per_year,
                Domain::non_negative(cap::FIXED),
            ),
        };
        let discount_rate = c.opt_value(
            &root.key("finance").key("discount_rate"),
            raw.finance.as_ref().map(|f| &f.discount_rate),
            Domain::non_negative(cap::DISCOUNT),
            0.0,
        );

        let design = c.design(&root.key("correlation"), &raw.correlation, sim.sampling);

        if !c.issues.is_empty() {
            return Err(c.issues);
        }
        let resolved = fill_defaults(raw, sim);
        Ok(Scenario {
            name: resolved.scenario.name.clone(),
            start,
            months,
            simulation: sim,
            params: c.params,
            market_households,
            prime_share,
            adoption,
            devices,
            usage,
            intents,
            purchases,
            subscriptions,
            ecosystem,
            premium,
            costs,
            discount_rate,
            design,
            resolved,
        })
    }
}

/// Turns the sections of a serialised scenario (inline tables at the top level) into
/// `[section]` and `[[array]]` tables, keeping uncertain values and per-year tables inline
/// as people write them.
fn expand_sections(doc: &mut toml_edit::DocumentMut) {
    for (_, item) in doc.as_table_mut().iter_mut() {
        let value = std::mem::replace(item, toml_edit::Item::None);
        *item = match value {
            toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
                toml_edit::Item::Table(t.into_table())
            }
            toml_edit::Item::Value(toml_edit::Value::Array(a))
                if a.iter().all(|v| v.is_inline_table()) =>
            {
                let mut tables = toml_edit::ArrayOfTables::new();
                for v in a.into_iter() {
                    if let toml_edit::Value::InlineTable(t) = v {
                        tables.push(t.into_table());
                    }
                }
                toml_edit::Item::ArrayOfTables(tables)
            }
            other => other,
        };
    }
}

fn check_simulation(sim: &Simulation) -> Result<(), String> {
    if sim.households < 1 || sim.households > MAX_HOUSEHOLDS {
        return Err(format!(
            "households must be from 1 to {MAX_HOUSEHOLDS}, got {}",
            sim.households
        ));
    }
    if sim.trials < 1 || sim.trials > MAX_TRIALS {
        return Err(format!(
            "trials must be from 1 to {MAX_TRIALS}, got {}",
            sim.trials
        ));
    }
    Ok(())
}

/// The `[simulation]` table of the run settings, every key written out.
fn raw_simulation(sim: Simulation) -> raw::RawSimulation {
    raw::RawSimulation {
        households: Some(sim.households as i64),
        trials: Some(sim.trials as i64),
        seed: Some(sim.seed as i64),
        sampling: Some(sim.sampling.name().into()),
    }
}

/// The raw scenario with every optional key written out.
fn fill_defaults(mut raw: RawScenario, sim: Simulation) -> RawScenario {
    let num = RawValue::Number;
    raw.simulation = Some(raw_simulation(sim));
    raw.market.prime_share.get_or_insert(num(0.0));
    raw.usage.novelty_boost.get_or_insert(num(0.0));
    raw.usage.novelty_decay_months.get_or_insert(num(1.0));
    for s in &mut raw.subscription {
        s.in_device_pnl.get_or_insert(false);
    }
    if let Some(p) = &mut raw.premium {
        p.included_with_prime.get_or_insert(false);
        p.wtp_activity_elasticity.get_or_insert(num(0.0));
        p.usage_uplift.get_or_insert(num(1.0));
        p.conversion_uplift.get_or_insert(num(1.0));
    }
    raw.finance.get_or_insert(raw::RawFinance {
        discount_rate: num(0.0),
    });
    raw.run = None;
    raw
}

/// One validation problem, located by key path (the file position is added later).
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub path: KeyPath,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    pub message: String,
    /// Point at the key rather than the value (unknown or duplicate keys).
    pub at_key: bool,
}

/// Formats a number the way TOML would show it.
pub(crate) fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x}")
    }
}

/// Formats an uncertain value as an inline TOML table.
pub(crate) fn fmt_dist(d: &RawDist) -> String {
    let fields: Vec<(&str, f64)> = match d {
        RawDist::Uniform { min, max } => vec![("min", *min), ("max", *max)],
        RawDist::Triangular { min, mode, max } | RawDist::Pert { min, mode, max } => {
            vec![("min", *min), ("mode", *mode), ("max", *max)]
        }
        RawDist::Normal { mean, sd, min, max } => {
            let mut v = vec![("mean", *mean), ("sd", *sd)];
            if let Some(m) = min {
                v.push(("min", *m));
            }
            if let Some(m) = max {
                v.push(("max", *m));
            }
            v
        }
        RawDist::Lognormal { median, sigma } => vec![("median", *median), ("sigma", *sigma)],
        RawDist::Beta { alpha, beta } => vec![("alpha", *alpha), ("beta", *beta)],
        RawDist::Gamma { shape, scale } => vec![("shape", *shape), ("scale", *scale)],
    };
    let mut s = format!("{{ dist = \"{}\"", dist_of(d).kind());
    for (k, v) in fields {
        s.push_str(&format!(", {k} = {}", fmt_num(v)));
    }
    s.push_str(" }");
    s
}

fn fmt_value(v: &RawValue) -> String {
    match v {
        RawValue::Number(x) => fmt_num(*x),
        RawValue::Dist(d) => fmt_dist(d),
    }
}

/// The sampling distribution of a raw uncertain value.
fn dist_of(d: &RawDist) -> Dist {
    match *d {
        RawDist::Uniform { min, max } => Dist::Uniform { min, max },
        RawDist::Triangular { min, mode, max } => Dist::Triangular { min, mode, max },
        RawDist::Pert { min, mode, max } => Dist::Pert { min, mode, max },
        RawDist::Normal { mean, sd, min, max } => Dist::Normal { mean, sd, min, max },
        RawDist::Lognormal { median, sigma } => Dist::LogNormal { median, sigma },
        RawDist::Beta { alpha, beta } => Dist::Beta { alpha, beta },
        RawDist::Gamma { shape, scale } => Dist::Gamma { shape, scale },
    }
}

/// Collects issues and registers parameters while validating.
#[derive(Default)]
struct Checker {
    issues: Vec<Issue>,
    params: ParamSet,
    first_year: i32,
    last_year: i32,
    /// `[scenario] start` and `months` are valid, so horizon checks are meaningful.
    horizon_known: bool,
}

impl Checker {
    /// The design of the uncertain parameters: `sampling`, and the `[[correlation]]`
    /// entries checked and combined into one positive semi-definite target matrix.
    fn design(&mut self, at: &KeyPath, entries: &[RawCorrelation], sampling: Sampling) -> Design {
        let uncertain: Vec<usize> = (0..self.params.len())
            .filter(|&i| self.params.params[i].is_uncertain())
            .collect();
        let keys = uncertain
            .iter()
            .map(|&i| name_key(&self.params.params[i].key))
            .collect();
        // Members (positions among the uncertain parameters) and the pairs given.
        let mut members: Vec<usize> = Vec::new();
        let mut pairs: Vec<(usize, usize, f64, usize)> = Vec::new();
        let issues_before = self.issues.len();
        for (e, entry) in entries.iter().enumerate() {
            if self.issues.len() - issues_before >= 20 {
                // Enough to act on; a file of thousands of bad entries need not list them all.
                break;
            }
            let path = at.index(e, None);
            if entry.between.len() > MAX_CORRELATED {
                self.issue(
                    path.key("between"),
                    None,
                    format!(
                        "expected at most {MAX_CORRELATED} parameters, got {}",
                        entry.between.len()
                    ),
                );
                continue;
            }
            let mut ids = Vec::new();
            for key in &entry.between {
                let found = self.params.params.iter().position(|p| &p.key == key);
                match found {
                    None => {
                        let known: Vec<&str> =
                            self.params.params.iter().map(|p| p.key.as_str()).collect();
                        let hint = error::nearest(key, &known)
                            .map(|k| format!("; did you mean \"{k}\"?"))
                            .unwrap_or_default();
                        self.issue(
                            path.key("between"),
                            Some(format!("{key:?}")),
                            format!("expected the dotted key of a model parameter: {key} is none{hint}"),
                        );
                    }
                    Some(i) if !self.params.params[i].is_uncertain() => self.issue(
                        path.key("between"),
                        Some(format!("{key:?}")),
                        format!("expected uncertain parameters: {key} is a plain number here (in the file, by default, or by --set or --vary), and a constant cannot be correlated"),
                    ),
                    Some(i) if ids.contains(&i) => self.issue(
                        path.key("between"),
                        Some(format!("{key:?}")),
                        format!("expected each parameter once: {key} is repeated"),
                    ),
                    Some(i) => ids.push(i),
                }
            }
            let n = entry.between.len();
            if n < 2 {
                self.issue(
                    path.key("between"),
                    Some(format!("{:?}", entry.between)),
                    "expected at least two parameter keys",
                );
                continue;
            }
            let matrix: Vec<Vec<f64>> = match (&entry.rank, &entry.matrix) {
                (Some(r), None) => {
                    if n != 2 {
                        self.issue(
                            path.key("rank"),
                            Some(fmt_num(*r)),
                            format!("expected `matrix` for {n} parameters: `rank` correlates exactly two"),
                        );
                        continue;
                    }
                    if !(-1.0..=1.0).contains(r) {
                        self.issue(
                            path.key("rank"),
                            Some(fmt_num(*r)),
                            "expected a rank correlation from -1 to 1",
                        );
                        continue;
                    }
                    vec![vec![1.0, *r], vec![*r, 1.0]]
                }
                (None, Some(m)) => {
                    let shape_ok = m.len() == n && m.iter().all(|row| row.len() == n);
                    if !shape_ok {
                        self.issue(
                            path.key("matrix"),
                            None,
                            format!("expected a {n} x {n} matrix, one row and column per key of `between`"),
                        );
                        continue;
                    }
                    let mut ok = true;
                    for (i, row) in m.iter().enumerate() {
                        for (j, &x) in row.iter().enumerate() {
                            let why = if i == j && x != 1.0 {
                                Some("expected 1 on the diagonal")
                            } else if !(-1.0..=1.0).contains(&x) {
                                Some("expected rank correlations from -1 to 1")
                            } else if m[j][i] != x {
                                Some("expected a symmetric matrix")
                            } else {
                                None
                            };
                            if let (Some(why), true) = (why, ok) {
                                self.issue(
                                    path.key("matrix"),
                                    Some(fmt_num(x)),
                                    format!("{why} (row {}, column {})", i + 1, j + 1),
                                );
                                ok = false;
                            }
                        }
                    }
                    if !ok {
                        continue;
                    }
                    m.clone()
                }
                (Some(_), Some(_)) => {
                    self.issue(
                        path.key("rank"),
                        None,
                        "expected either `rank` (two parameters) or `matrix`, not both",
                    );
                    continue;
                }
                (None, None) => {
                    self.issue(
                        path.clone(),
                        None,
                        "expected `rank = ...` (two parameters) or `matrix = [[...], ...]`",
                    );
                    continue;
                }
            };
            if ids.len() != n {
                continue;
            }
            for (a, &pa) in ids.iter().enumerate() {
                let ua = uncertain.iter().position(|&u| u == pa).expect("uncertain");
                if !members.contains(&ua) {
                    members.push(ua);
                }
                for (b, &pb) in ids.iter().enumerate().skip(a + 1) {
                    let ub = uncertain.iter().position(|&u| u == pb).expect("uncertain");
                    if let Some(&(_, _, _, earlier)) = pairs
                        .iter()
                        .find(|&&(x, y, _, _)| (x, y) == (ua, ub) || (x, y) == (ub, ua))
                    {
                        self.issue(
                            path.key("between"),
                            Some(format!("{:?}", [&entry.between[a], &entry.between[b]])),
                            format!("expected each pair of parameters in one entry only: this pair is also in correlation[{earlier}]"),
                        );
                    }
                    pairs.push((ua, ub, matrix[a][b], e));
                }
            }
            if members.len() > MAX_CORRELATED {
                break;
            }
        }
        let mut correlation = None;
        if self.issues.len() == issues_before && !members.is_empty() {
            if members.len() > MAX_CORRELATED {
                self.issue(
                    at.clone(),
                    None,
                    format!(
                        "expected at most {MAX_CORRELATED} correlated parameters, got {}",
                        members.len()
                    ),
                );
            } else {
                let mut m = Matrix::identity(members.len());
                for &(a, b, r, _) in &pairs {
                    let i = members.iter().position(|&x| x == a).expect("member");
                    let j = members.iter().position(|&x| x == b).expect("member");
                    m.set(i, j, r);
                }
                match Correlation::new(members, &m) {
                    Ok(c) => correlation = Some(c),
                    Err(smallest) => self.issue(
                        if entries.len() == 1 { at.index(0, None) } else { at.clone() },
                        None,
                        format!(
                            "expected rank correlations that some set of inputs can have together: the matrix they form is not positive semi-definite (smallest eigenvalue {}); weaken the strongest correlations or make them consistent (e.g. if a and b, and b and c, move together strongly, a and c cannot move strongly apart)",
                            if smallest.abs() >= 1e-3 { format!("{smallest:.3}") } else { format!("{smallest:.1e}") }
                        ),
                    ),
                }
            }
        }
        Design::new(sampling, keys, correlation)
    }

    fn issue(&mut self, path: KeyPath, value: Option<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            path,
            value,
            message: message.into(),
            at_key: false,
        });
    }

    /// Checks a plain number against a domain.
    fn plain(&mut self, path: &KeyPath, x: f64, domain: Domain) {
        if !x.is_finite() {
            self.issue(
                path.clone(),
                Some(fmt_num(x)),
                format!("expected a finite number ({})", domain.expected()),
            );
        } else if !domain.contains(x) {
            self.issue(
                path.clone(),
                Some(fmt_num(x)),
                format!("expected {}", domain.expected()),
            );
        }
    }

    /// Validates a parameter and registers it under its dotted key.
    fn value(&mut self, path: &KeyPath, v: &RawValue, domain: Domain) -> ParamId {
        let key = path.to_string();
        let dist = match v {
            RawValue::Number(x) => {
                self.plain(path, *x, domain);
                Dist::Fixed(*x)
            }
            RawValue::Dist(d) => {
                let dist = dist_of(d);
                if let Err(why) = dist.check() {
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!("bad {} distribution: {why}", dist.kind()),
                    );
                } else if !domain.admits(&dist) {
                    let (lo, hi) = dist.support();
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!(
                            "this distribution can leave the parameter's domain {} (its values range over [{}, {}]); {}",
                            domain.interval(),
                            fmt_num(lo),
                            fmt_num(hi),
                            domain.suggestion()
                        ),
                    );
                } else if !domain.plausible(&dist) {
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!(
                            "this distribution reaches implausibly large values (its 99.9999th percentile is {}); expected values of at most {}",
                            fmt_num(dist.quantile(CAP_QUANTILE)),
                            fmt_num(domain.max)
                        ),
                    );
                }
                dist
            }
        };
        self.params.push(key, dist)
    }

    fn opt_value(
        &mut self,
        path: &KeyPath,
        v: Option<&RawValue>,
        domain: Domain,
        default: f64,
    ) -> ParamId {
        match v {
            Some(v) => self.value(path, v, domain),
            None => self.params.push(path.to_string(), Dist::Fixed(default)),
        }
    }

    fn yearly(&mut self, path: &KeyPath, v: &RawYearly, domain: Domain) -> Yearly {
        match v {
            RawYearly::One(v) => Yearly {
                entries: vec![(i32::MIN, self.value(path, v, domain))],
            },
            RawYearly::ByYear(years) => {
                let first = years[0].0;
                if self.horizon_known && first > self.first_year {
                    self.issue(
                        path.key(&first.to_string()),
                        Some(fmt_value(&years[0].1)),
                        format!(
                            "the per-year table starts in {first} but the scenario simulates {}; expected an entry for {} or earlier",
                            self.first_year, self.first_year
                        ),
                    );
                }
                let entries = years
                    .iter()
                    .map(|(y, v)| (*y, self.value(&path.key(&y.to_string()), v, domain)))
                    .collect();
                Yearly { entries }
            }
        }
    }

    /// Checks a name; `is_key` when the name is itself a TOML key (an intent), so that the
    /// message points at the key rather than its value.
    fn check_name_of(&mut self, path: &KeyPath, name: &str, is_key: bool) {
        if name.is_empty()
            || name.chars().count() > 64
            || name.contains('.')
            || name.chars().any(char::is_control)
        {
            self.issues.push(Issue {
                path: path.clone(),
                value: Some(format!("{name:?}")),
                message: "expected a name of 1 to 64 characters without dots or control characters"
                    .into(),
                at_key: is_key,
            });
        }
    }

    fn check_name(&mut self, path: &KeyPath, name: &str) {
        self.check_name_of(path, name, false);
    }

    fn unique_names<'a>(&mut self, path: &KeyPath, names: impl Iterator<Item = &'a str>) {
        let names: Vec<&str> = names.collect();
        for (i, n) in names.iter().enumerate() {
            let p = path.index(i, None).key("name");
            self.check_name(&p, n);
            if let Some(first) = names[..i].iter().position(|m| m == n) {
                self.issue(
                    p,
                    Some(format!("{n:?}")),
                    format!("duplicate name: {path}[{first}] already uses it"),
                );
            }
        }
    }

    /// Checks that shares sum to 1; the message lists each term so the fix is obvious.
    fn sums_to_one<'a>(
        &mut self,
        path: &KeyPath,
        what: &str,
        terms: impl Iterator<Item = (&'a str, f64)>,
    ) {
        let terms: Vec<(&str, f64)> = terms.collect();
        if terms.is_empty() || terms.iter().any(|(_, x)| !x.is_finite()) {
            return;
        }
        let sum: f64 = terms.iter().map(|(_, x)| x).sum();
        if (sum - 1.0).abs() > 1e-9 {
            let listed: Vec<String> = terms
                .iter()
                .map(|(n, x)| format!("{n} {}", fmt_num(*x)))
                .collect();
            self.issue(
                path.clone(),
                None,
                format!(
                    "expected {what} to sum to 1 (within 1e-9), but they sum to {} ({})",
                    fmt_num((sum * 1e12).round() / 1e12),
                    listed.join(" + ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_arithmetic() {
        let ym = YearMonth::parse("2017-11").unwrap();
        assert_eq!(ym.plus(2).to_string(), "2018-01");
        assert_eq!(ym.months_until(YearMonth::parse("2019-01").unwrap()), 14);
        for bad in [
            "2017-13", "2017-00", "17-01", "2017-1", "abcd-ef", "2017/01", "1800-01",
        ] {
            assert!(YearMonth::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn yearly_takes_nearest_earlier_year() {
        let y = Yearly {
            entries: vec![(2017, ParamId(0)), (2019, ParamId(1))],
        };
        assert_eq!(y.at(2017), ParamId(0));
        assert_eq!(y.at(2018), ParamId(0));
        assert_eq!(y.at(2019), ParamId(1));
        assert_eq!(y.at(2030), ParamId(1));
    }

    #[test]
    fn domains_admit_supports() {
        let normal = Dist::Normal {
            mean: 0.5,
            sd: 0.1,
            min: None,
            max: None,
        };
        assert!(!Domain::PROBABILITY.admits(&normal));
        let trunc = Dist::Normal {
            mean: 0.5,
            sd: 0.1,
            min: Some(0.0),
            max: Some(1.0),
        };
        assert!(Domain::PROBABILITY.admits(&trunc));
        assert!(Domain::positive(1e6).admits(&Dist::LogNormal {
            median: 1.0,
            sigma: 1.0
        }));
        assert!(!Domain::positive(1e6).admits(&Dist::Uniform { min: 0.0, max: 1.0 }));
        assert!(!Domain::PROBABILITY.admits(&Dist::Gamma {
            shape: 2.0,
            scale: 0.1
        }));
        assert!(Domain::PROBABILITY.admits(&Dist::Beta {
            alpha: 2.0,
            beta: 3.0
        }));
    }
}
