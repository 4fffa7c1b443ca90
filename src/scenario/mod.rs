//! Scenarios: loading a TOML file, applying `--set` overrides, and validating it into the
//! domain types the engine runs on.
//!
//! Configuration happens in two stages. [`raw`] mirrors the file format with serde
//! (unknown keys are errors); [`Scenario::from_raw`] checks every rule of the format (docs/scenario-format.md), one
//! section validator per section of the file (`sections`), and builds validated types
//! whose fields cannot be set from outside the crate. Every numeric model parameter
//! becomes a [`Param`] in one flat, ordered [`ParamSet`], so that a trial's draws are a
//! plain `Vec<f64>` indexed by [`ParamId`]; each declares its [`Effect`] where it is
//! defined. Errors carry the dotted key; [`error`] adds the file, line and column.
//!
//! The points of a sweep are the scenario with some parameters set to numbers
//! ([`Scenario::target`], [`Scenario::with_values`]): the values are substituted into the
//! kept raw form while it is validated again, with no TOML text or serde round trip.

mod accessors;
mod check;
pub mod error;
mod overrides;
mod params;
pub mod path;
pub mod raw;
mod sections;
mod targets;
pub mod units;

use std::fmt;
use std::sync::Arc;

pub use check::Domain;
pub(crate) use check::hidden_text;
pub use error::{Diagnostic, ScenarioError};
pub use overrides::Override;
pub use params::{Effect, Param, ParamId, ParamSet, Yearly};
pub use path::KeyPath;
pub use sections::{
    Adoption, Costs, Device, Ecosystem, Intent, Premium, Purchase, Subscription, Usage,
};
pub use targets::Target;

use crate::design::{Design, Sampling};
use check::Checker;
use raw::{RawScenario, defaults};

/// Hard limits checked at load time (a later hardening pass lets users raise them).
pub const MAX_MONTHS: u32 = 1200;
/// Most simulated households per trial.
pub const MAX_HOUSEHOLDS: u64 = 1_000_000_000;
/// Most trials.
pub const MAX_TRIALS: u64 = 1_000_000;
/// Largest seed: the largest whole number a TOML file holds (a signed 64-bit integer), so
/// that `[simulation] seed` in `scenario.resolved.toml` repeats the run.
pub const MAX_SEED: u64 = i64::MAX as u64;
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

/// The months a scenario reports, within the months it simulates: by default its whole
/// horizon. A comparison of scenarios with different horizons reports each over their
/// common months ([`Scenario::report_over`]): the months before are still simulated (they
/// carry the installed base and the plans into the window) but are not reported, nor are
/// the months after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    start: YearMonth,
    months: u32,
    /// Months simulated before the first reported one.
    skip: u32,
}

impl Window {
    /// All the `months` from `start`.
    fn whole(start: YearMonth, months: u32) -> Window {
        Window {
            start,
            months,
            skip: 0,
        }
    }
    /// The first reported month.
    pub fn start(self) -> YearMonth {
        self.start
    }
    /// How many months are reported.
    pub fn months(self) -> u32 {
        self.months
    }
    /// The last reported month.
    pub fn end(self) -> YearMonth {
        self.start.plus(self.months - 1)
    }
    /// The simulated months reported, as offsets from the simulation's first month.
    pub fn range(self) -> std::ops::Range<u32> {
        self.skip..self.skip + self.months
    }
}

impl fmt::Display for Window {
    /// `2023-01 to 2028-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.start, self.end())
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
            households: defaults::HOUSEHOLDS,
            trials: defaults::TRIALS,
            seed: defaults::SEED,
            sampling: Sampling::default(),
        }
    }
}

/// Where a scenario came from, to locate the problems of its variants: the file's name
/// and text, and the `--set` overrides applied to it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Source {
    origin: String,
    text: String,
    overrides: Vec<Override>,
}

impl Source {
    /// Locates validation issues in the file, or at the override that set their key.
    fn place(&self, issues: Vec<Issue>, overrides: &[Override]) -> ScenarioError {
        ScenarioError::new(
            issues
                .into_iter()
                .map(|i| error::place(&self.origin, &self.text, overrides, i))
                .collect(),
        )
    }
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub(crate) name: String,
    pub(crate) start: YearMonth,
    pub(crate) months: u32,
    /// The months reported (by default, all of them).
    window: Window,
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
    /// The raw form with defaults filled in, for `scenario.resolved.toml` and variants.
    resolved: Arc<RawScenario>,
    /// The file and overrides it was read from, shared by its variants.
    source: Arc<Source>,
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
    /// The months the scenario reports: its whole horizon unless restricted by
    /// [`Scenario::report_over`].
    pub fn reported(&self) -> Window {
        self.window
    }
    /// The horizon as simulated, whatever is reported.
    pub fn horizon(&self) -> Window {
        Window::whole(self.start, self.months)
    }
    /// Reports only `window`'s months (the common months of a comparison); the scenario
    /// is still simulated from its own start. `window` must lie within the horizon.
    pub fn report_over(&mut self, start: YearMonth, months: u32) -> Result<(), String> {
        let skip = self.start.months_until(start);
        if months == 0 || skip < 0 || skip + months as i64 > self.months as i64 {
            return Err(format!(
                "{}: cannot report {} months from {}: the horizon is {}",
                self.name,
                months,
                start,
                self.horizon()
            ));
        }
        self.window = Window {
            start,
            months,
            skip: skip as u32,
        };
        Ok(())
    }
    pub fn simulation(&self) -> Simulation {
        self.simulation
    }
    /// Replaces the run settings (command-line `--households`, `--trials`, `--seed`).
    pub fn set_simulation(&mut self, sim: Simulation) -> Result<(), String> {
        check_simulation(&sim)?;
        self.simulation = sim;
        self.design = self.design.with_sampling(sim.sampling);
        Arc::make_mut(&mut self.resolved).simulation = Some(raw_simulation(sim));
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

    /// The parameters whose distributions differ between the first of `variants` and any
    /// other, if the variants differ in nothing else: the same structure, settings, design,
    /// and parameter keys and effects (names aside). Compares whole scenarios with their distributions
    /// normalised, so a field added to [`Scenario`] takes part without being listed here.
    pub(crate) fn varied_params(variants: &[Scenario]) -> Option<Vec<ParamId>> {
        let first = variants.first()?;
        let structure = |s: &Scenario| Scenario {
            params: s.params.normalised(),
            // A name (a compared file's own) is read by no simulation.
            name: first.name.clone(),
            // What the scenario was read from, not what it is.
            resolved: Arc::clone(&first.resolved),
            source: Arc::clone(&first.source),
            ..s.clone()
        };
        let shape = structure(first);
        let mut varied: Vec<ParamId> = Vec::new();
        for v in &variants[1..] {
            if structure(v) != shape {
                return None;
            }
            for ((id, a), (_, b)) in first.params.iter().zip(v.params.iter()) {
                if a.dist() != b.dist() && !varied.contains(&id) {
                    varied.push(id);
                }
            }
        }
        varied.sort_by_key(|id| id.0);
        Some(varied)
    }

    /// The design of the uncertain parameters' draws.
    pub fn design(&self) -> &Design {
        &self.design
    }

    /// The scenario as TOML with defaults filled in, overrides applied and an optional
    /// `[run]` table appended.
    pub fn resolved_toml(&self, run: Option<raw::RawRun>) -> String {
        let mut raw = (*self.resolved).clone();
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
        let raw = overrides::apply(raw, overrides).map_err(|d| ScenarioError::new(vec![*d]))?;
        let source = Arc::new(Source {
            origin: origin.to_string(),
            text: text.to_string(),
            overrides: overrides.to_vec(),
        });
        Scenario::build(raw, &[], None, Arc::clone(&source))
            .map_err(|issues| source.place(issues, overrides))
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &std::path::Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let text = error::read_source(path)?;
        Scenario::parse(&origin, &text, overrides)
    }

    /// The domain of every numeric key of `raw` as its section validator checks it, keyed
    /// by its path (elements of arrays by index, per-year entries by year), whether or
    /// not the values are valid: the one source of the bounds `downstream schema` shows.
    pub fn domains(mut raw: RawScenario) -> Vec<(KeyPath, Domain)> {
        let mut c = Checker::new(&[]);
        sections::validate(&mut c, &mut raw, None);
        c.domains
    }

    /// Validates the raw form, collecting every problem.
    pub fn from_raw(raw: RawScenario) -> Result<Scenario, Vec<Issue>> {
        Scenario::build(raw, &[], None, Arc::default())
    }

    /// Validates `raw` with the targets' values substituted (see [`Scenario::with_values`])
    /// and, if given, run settings that replace `[simulation]`.
    fn build(
        mut raw: RawScenario,
        subs: &[(&Target, f64)],
        simulation: Option<Simulation>,
        source: Arc<Source>,
    ) -> Result<Scenario, Vec<Issue>> {
        let mut c = Checker::new(subs);
        let s = sections::validate(&mut c, &mut raw, simulation);
        if !c.issues.is_empty() {
            return Err(c.issues);
        }
        raw.simulation = Some(raw_simulation(s.simulation));
        raw.run = None;
        Ok(Scenario {
            name: raw.scenario.name.clone(),
            start: s.start,
            months: s.months,
            window: Window::whole(s.start, s.months),
            simulation: s.simulation,
            params: c.params,
            market_households: s.market_households,
            prime_share: s.prime_share,
            adoption: s.adoption,
            devices: s.devices,
            usage: s.usage,
            intents: s.intents,
            purchases: s.purchases,
            subscriptions: s.subscriptions,
            ecosystem: s.ecosystem,
            premium: s.premium,
            costs: s.costs,
            discount_rate: s.discount_rate,
            design: s.design,
            resolved: Arc::new(raw),
            source,
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
    if sim.seed > MAX_SEED {
        return Err(format!(
            "the seed must be from 0 to {MAX_SEED}, got {}",
            sim.seed
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

/// The shipped scenarios (not their targets files), sorted, then the correlated test
/// fixture: the inputs the unit tests run every scenario through.
#[cfg(test)]
pub(crate) fn shipped_scenario_files() -> Vec<std::path::PathBuf> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !p.to_string_lossy().ends_with(".targets.toml")
        })
        .collect();
    files.sort();
    files.push(root.join("tests/fixtures/correlated.toml"));
    files
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
}
