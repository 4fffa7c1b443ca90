//! `[scenario]` and `[simulation]`: the horizon (start month and months), the name, and the
//! run settings (households, trials, seed, sampling method) with their defaults.

use super::super::check::{Checker, hidden_text, quote};
use super::super::path::KeyPath;
use super::super::raw::{RawMeta, RawSimulation};
use super::super::{MAX_HOUSEHOLDS, MAX_MONTHS, MAX_TRIALS, Simulation, YearMonth};
use crate::design::Sampling;

/// The horizon of `[scenario]`: the first month and the number of months. When either is
/// wrong, checks that depend on the horizon are switched off (so that one mistake does not
/// produce a cascade of false errors) and a placeholder horizon is returned.
pub(crate) fn horizon(c: &mut Checker, at: &KeyPath, raw: &RawMeta) -> (YearMonth, u32) {
    let start = YearMonth::parse(&raw.start);
    if start.is_none() {
        c.issue(
            at.key("start"),
            Some(quote(&raw.start)),
            "expected a month \"YYYY-MM\" (years 1900-2200)",
        );
    }
    let months = raw.months;
    if !(1..=MAX_MONTHS as i64).contains(&months) {
        c.issue(
            at.key("months"),
            Some(months.to_string()),
            format!("expected a horizon of 1 to {MAX_MONTHS} months"),
        );
    }
    if raw.name.trim().is_empty() {
        c.issue(
            at.key("name"),
            Some("\"\"".into()),
            "expected a non-empty name",
        );
    } else if let Some(hidden) = hidden_text("a name", &raw.name) {
        c.issue(at.key("name"), Some(quote(&raw.name)), hidden);
    }
    c.horizon_known = start.is_some() && (1..=MAX_MONTHS as i64).contains(&months);
    let start = start.unwrap_or(YearMonth {
        year: 2000,
        month: 1,
    });
    let months = months.clamp(1, MAX_MONTHS as i64) as u32;
    c.first_year = start.year();
    c.last_year = start.plus(months - 1).year();
    (start, months)
}

/// The run settings of `[simulation]`, each key defaulting to [`Simulation::default`].
pub(crate) fn simulation(c: &mut Checker, at: &KeyPath, raw: Option<&RawSimulation>) -> Simulation {
    let mut sim = Simulation::default();
    let Some(s) = raw else {
        return sim;
    };
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
                    at.key(key),
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
                at.key("seed"),
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
                at.key("sampling"),
                Some(quote(v)),
                "expected \"mc\" (plain Monte Carlo) or \"lhs\" (Latin hypercube)",
            ),
        }
    }
    sim
}
