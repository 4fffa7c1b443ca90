//! Sweep points without re-parsing: a dotted key resolved once to a [`Target`] (what it
//! varies), and the scenario with targets set to numbers ([`Scenario::with_values`]),
//! validated again by the section validators with the values substituted into the kept
//! raw form — the rules of a file, the meaning of `--set KEY=VALUE`, and no TOML text.

use std::sync::Arc;

use super::check::Checker;
use super::overrides::{self, Override};
use super::raw::year_key;
use super::{Diagnostic, ParamId, Scenario, ScenarioError, sections};

/// What a sweep axis (or a `--set` of a number) varies: one parameter, a whole per-year
/// table, or one year of a per-year table. Keeps the dotted key it was given for messages.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// The key as given, e.g. `costs.fixed_per_year.2024`.
    key: String,
    /// Dotted key of the value or per-year table it replaces, e.g. `costs.fixed_per_year`.
    pub(super) slot: String,
    /// For a per-year table: the year whose entry it sets (`None`: the whole table).
    pub(super) year: Option<i32>,
    /// The parameter it sets in the scenario it was resolved in, when it is exactly one.
    param: Option<ParamId>,
}

impl Target {
    /// The dotted key as given.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The one existing parameter this target sets, if it sets exactly one (not a whole
    /// per-year table, a new year, or a key the file leaves out).
    pub fn param(&self) -> Option<ParamId> {
        self.param
    }

    /// Whether two targets set some value in common: the same parameter, or the same value
    /// or per-year table where one of them sets all of it or both set the same year.
    pub fn overlaps(&self, other: &Target) -> bool {
        let same_param = self.param.is_some() && self.param == other.param;
        let same_slot = self.slot == other.slot
            && (self.year.is_none() || other.year.is_none() || self.year == other.year);
        same_param || same_slot
    }
}

impl Scenario {
    /// Resolves a dotted key (as given to `--vary`/`--set`) to what it varies, once.
    ///
    /// A per-year table key (`costs.fixed_per_year`) replaced by one number means the whole
    /// series takes that value; a year key (`costs.fixed_per_year.2020`) replaces that
    /// year, as `--set` does. `Err(message)` if the key names no parameter: the message
    /// reads as `--set KEY=VALUE` reports the key today, without its `--set KEY=VALUE: `
    /// prefix (and without the value), e.g. ``foo.bar: the scenario has no `foo`; add the
    /// section to the file first``.
    pub fn target(&self, key: &str) -> Result<Target, String> {
        let params = &self.params;
        let make = |slot: &str, year: Option<i32>, param: Option<ParamId>| Target {
            key: key.to_string(),
            slot: slot.to_string(),
            year,
            param,
        };
        let split = key
            .rsplit_once('.')
            .and_then(|(base, y)| Some((base, year_key(y)?)));
        if let Some(id) = params.find(key) {
            // A parameter, a per-year table written as one value, or a year's entry.
            return Ok(match split {
                Some((base, year)) if params.is_table(base) => make(base, Some(year), Some(id)),
                _ => make(key, None, Some(id)),
            });
        }
        if params.is_table(key) {
            return Ok(make(key, None, None));
        }
        if let Some((base, year)) = split {
            let start = self.start.year();
            let one_value = params.find(base);
            if params.is_table(base) {
                // A year at or before the start replaces a table written as one value;
                // a later one is an entry of the table.
                return Ok(match one_value {
                    Some(id) if year <= start => make(base, Some(year), Some(id)),
                    _ => make(base, Some(year), None),
                });
            } else if let Some(id) = one_value
                && year <= start
            {
                // `--set` replaces a single value by a year up to the first simulated one.
                return Ok(make(base, None, Some(id)));
            }
        }
        self.target_by_set(key)
    }

    /// Resolves a key that names no parameter of this scenario as `--set` would: its
    /// message if `--set` refuses it, else a target if it names a parameter the file
    /// leaves out (e.g. `usage.activity_shape`).
    fn target_by_set(&self, key: &str) -> Result<Target, String> {
        let placeholder = format!("{key}=0");
        let o = Override::parse(&placeholder).map_err(|e| {
            e.strip_prefix(&format!("--set {placeholder}: "))
                .map_or(e.clone(), str::to_string)
        })?;
        let mut raw = overrides::apply((*self.resolved).clone(), &[o]).map_err(|d| {
            let d = Diagnostic {
                origin: String::new(),
                position: None,
                value: None,
                ..*d
            };
            d.to_string().trim_start_matches(": ").to_string()
        })?;
        let mut c = Checker::new(&[]);
        sections::validate(&mut c, &mut raw, Some(self.simulation));
        if c.params.find(key).is_some() {
            return Ok(Target {
                key: key.to_string(),
                slot: key.to_string(),
                year: None,
                param: None,
            });
        }
        Err(format!(
            "{key}: expected the dotted key of a model parameter (a number, an uncertain value or a per-year table), e.g. premium.price_month or costs.fixed_per_year.2024"
        ))
    }

    /// This scenario with each target's value replaced by a fixed number, validated again
    /// through exactly the rules of a file, without any TOML text parsing or serde round
    /// trip: the values are substituted into the kept raw form as the section validators
    /// reach them. Run settings are kept. Problems read as those of `--set KEY=VALUE`
    /// would, and `resolved_toml` is what `--set KEY=VALUE` gives.
    pub fn with_values(&self, values: &[(&Target, f64)]) -> Result<Scenario, ScenarioError> {
        let raw = (*self.resolved).clone();
        Scenario::build(raw, values, Some(self.simulation), Arc::clone(&self.source)).map_err(
            |issues| {
                let mut overrides = self.source.overrides.clone();
                overrides.extend(values.iter().map(|(t, x)| Override::number(&t.key, *x)));
                self.source.place(issues, &overrides)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::check::fmt_num;

    /// The shipped scenarios (and the correlated fixture): (origin, text).
    fn sources() -> Vec<(String, String)> {
        crate::scenario::shipped_scenario_files()
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p.display().to_string(), text)
            })
            .collect()
    }

    /// Equal in everything but where they were read from.
    fn same(a: &Scenario, b: &Scenario) -> bool {
        let strip = |s: &Scenario| Scenario {
            source: Arc::default(),
            ..s.clone()
        };
        strip(a) == strip(b)
    }

    /// `with_values` against `--set KEY=VALUE` for one key and value: the same scenario
    /// (and resolved TOML), or the same error message.
    fn check_against_set(origin: &str, text: &str, base: &Scenario, key: &str, x: f64) {
        let prefix = format!("--set {key}={}: ", fmt_num(x));
        let set = match Override::parse(&format!("{key}={}", fmt_num(x))) {
            Ok(set) => set,
            Err(e) => {
                assert_eq!(
                    Some(base.target(key).unwrap_err().as_str()),
                    e.strip_prefix(&prefix)
                );
                return;
            }
        };
        let by_set = Scenario::parse(origin, text, &[set]).map(|mut s| {
            s.set_simulation(base.simulation()).unwrap();
            s
        });
        let target = base.target(key);
        match (&by_set, target) {
            (Ok(a), Ok(t)) => {
                let b = base
                    .with_values(&[(&t, x)])
                    .unwrap_or_else(|e| panic!("{key}={x}: {e}"));
                assert!(same(a, &b), "{origin}: {key}={x}");
                assert_eq!(a.resolved_toml(None), b.resolved_toml(None), "{key}={x}");
            }
            (Err(e), Ok(t)) => {
                let b = base.with_values(&[(&t, x)]);
                assert_eq!(
                    b.map(|_| ()).unwrap_err().to_string(),
                    e.to_string(),
                    "{origin}: {key}={x}"
                );
            }
            (Err(e), Err(why)) => {
                // The key itself is refused: the same words, after `--set KEY=VALUE: `.
                let told = e.to_string();
                let told = told.strip_prefix(&prefix).unwrap_or(&told);
                let value = format!(" = {}: ", fmt_num(x));
                assert_eq!(told.replacen(&value, ": ", 1), why, "{origin}: {key}");
            }
            (Ok(_), Err(why)) => panic!("{origin}: {key}={x}: --set accepts it, target: {why}"),
        }
    }

    #[test]
    fn with_values_is_set_for_every_parameter_and_table() {
        for (origin, text) in sources() {
            let base = Scenario::parse(&origin, &text, &[]).unwrap();
            let start = base.start().year();
            let mut keys: Vec<String> = base.params().iter().map(|(_, p)| p.key.clone()).collect();
            for t in &base.params().tables {
                keys.push(t.clone());
                for year in [start - 3, start, start + 2, start + 3, 1899, 2300] {
                    keys.push(format!("{t}.{year}"));
                }
            }
            for key in [
                "market.households",
                "premium.price_month",
                "adoption.potential",
            ] {
                for year in [start - 1, start, start + 1] {
                    keys.push(format!("{key}.{year}"));
                }
            }
            for key in &keys {
                for x in [-1.0, 0.0, 0.05, 0.5, 2.0, 150.0, 3e9, 2e13] {
                    check_against_set(&origin, &text, &base, key, x);
                }
            }
        }
    }

    #[test]
    fn keys_that_name_no_parameter_read_as_set_does() {
        let (origin, text) = sources()
            .into_iter()
            .find(|(o, _)| o.ends_with("premium_5usd_2024.toml"))
            .unwrap();
        let base = Scenario::parse(&origin, &text, &[]).unwrap();
        for key in [
            "foo.bar",
            "premium.price_mont",
            "device.nope.price",
            "premium",
            "market.households.x",
            "premium.price_month.2030",
            "costs.fixed_per_year.2300",
            "a..b",
        ] {
            assert!(base.target(key).is_err(), "{key}");
            check_against_set(&origin, &text, &base, key, 1.0);
        }
        // Keys `--set` takes that are not parameters: plain numbers, a distribution's
        // field, a whole number.
        for key in [
            "device.echo_dot.mix",
            "intents.shopping",
            "scenario.months",
            "adoption.potential.max",
        ] {
            assert_eq!(
                base.target(key).unwrap_err(),
                format!(
                    "{key}: expected the dotted key of a model parameter (a number, an uncertain value or a per-year table), e.g. premium.price_month or costs.fixed_per_year.2024"
                )
            );
        }
        assert_eq!(
            base.target("foo.bar").unwrap_err(),
            "foo.bar: the scenario has no `foo`; add the section to the file first"
        );
        assert_eq!(
            base.target("premium").unwrap_err(),
            "premium: wrong type; expected a table of keys"
        );
    }

    #[test]
    fn absent_optional_parameters_can_be_set() {
        let (origin, text) = sources()
            .into_iter()
            .find(|(o, _)| o.ends_with("echo_2017_2021.toml"))
            .unwrap();
        let base = Scenario::parse(&origin, &text, &[]).unwrap();
        for key in ["usage.activity_shape", "usage.mix_concentration"] {
            for x in [-1.0, 2.0] {
                check_against_set(&origin, &text, &base, key, x);
            }
        }
    }

    #[test]
    fn several_targets_apply_in_order_and_errors_name_their_set() {
        let (origin, text) = sources()
            .into_iter()
            .find(|(o, _)| o.ends_with("premium_5usd_2024.toml"))
            .unwrap();
        let user = [Override::parse("costs.fixed_per_year=2e9").unwrap()];
        let base = Scenario::parse(&origin, &text, &user).unwrap();
        let whole = base.target("costs.fixed_per_year").unwrap();
        let year = base.target("costs.fixed_per_year.2025").unwrap();
        let price = base.target("premium.price_month").unwrap();
        let point = base
            .with_values(&[(&whole, 1e9), (&year, 3e9), (&price, 7.0)])
            .unwrap();
        let sets: Vec<Override> = user
            .iter()
            .cloned()
            .chain(
                [
                    "costs.fixed_per_year=1e9",
                    "costs.fixed_per_year.2025=3e9",
                    "premium.price_month=7",
                ]
                .map(|s| Override::parse(s).unwrap()),
            )
            .collect();
        let by_set = Scenario::parse(&origin, &text, &sets).unwrap();
        assert!(same(&point, &by_set));
        let bad = base.with_values(&[(&price, -1.0)]).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "--set premium.price_month=-1: premium.price_month = -1: expected a number from 0 to 1000000"
        );
    }

    /// Times 4,000 sweep points (`cargo test --release -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn time_4000_points() {
        let (origin, text) = sources()
            .into_iter()
            .find(|(o, _)| o.ends_with("premium_5usd_2024.toml"))
            .unwrap();
        let mut base = Scenario::parse(&origin, &text, &[]).unwrap();
        let sim = crate::scenario::Simulation {
            households: 1,
            trials: 1,
            ..base.simulation()
        };
        base.set_simulation(sim).unwrap();
        let t = base.target("premium.price_month").unwrap();
        let started = std::time::Instant::now();
        let points: Vec<Scenario> = (1..=4000)
            .map(|i| base.with_values(&[(&t, i as f64 / 100.0)]).unwrap())
            .collect();
        let with_values = started.elapsed();
        let rss = |what: &str| {
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let line = status
                .lines()
                .find(|l| l.starts_with("VmRSS"))
                .unwrap_or("");
            println!("{what}: {line}");
        };
        rss("after building the points");
        let started = std::time::Instant::now();
        for i in 1..=4000 {
            drop(base.with_values(&[(&t, i as f64 / 100.0)]).unwrap());
        }
        println!(
            "dropping each point: {:.3} s",
            started.elapsed().as_secs_f64()
        );
        let started = std::time::Instant::now();
        assert_eq!(Scenario::varied_params(&points).map(|v| v.len()), Some(1));
        let differing = started.elapsed();
        let started = std::time::Instant::now();
        let runs = crate::engine::run_points(&points, 0..1, &mut |_| {});
        assert_eq!(runs.len(), points.len());
        rss("after running them");
        println!(
            "with_values: {} points in {:.3} s; varied_params: {:.3} s; run_points (1 household, 1 trial): {:.3} s",
            points.len(),
            with_values.as_secs_f64(),
            differing.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
}
