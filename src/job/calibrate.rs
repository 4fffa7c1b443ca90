//! `calibrate`: the prior scenario's trials as draws, weighted by the targets, in adaptive
//! rounds; then the calibrated scenario.
//!
//! Round 0 is a plain run of the prior scenario (so it shards and merges like any run).
//! Each adaptive round is a run of the *proposal scenario*: the prior scenario with every
//! calibrated parameter's distribution replaced by its proposal (through the same path as
//! `--set KEY={ dist = ... }`), over trials `r*N .. (r+1)*N`, so that every draw of every
//! round has streams of its own. Rounds are simulated in chunks of trials and reduced at
//! once to their parameter and target values ([`calibrate::Draw`]), so memory does not
//! grow with the figures of each trial. The statistics are in [`crate::calibrate`].

use serde::{Deserialize, Serialize};

use crate::backtest::{self, Target};
use crate::calibrate::{self, Draw, Posterior, Problem, Round, RoundSummary};
use crate::engine::{Engine, RunResult};
use crate::format::escape;
use crate::sampling::Dist;
use crate::scenario::Scenario;
use crate::scenario::raw::RawDist;

use super::{Control, Input, JobError, Settings};

/// Trials simulated at a time within a round (a multiple of the design block).
const CHUNK: u64 = 500;

/// The options of a calibration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalibrateOptions {
    /// Patterns of the uncertain parameters to calibrate (`*` matches any text, e.g.
    /// `adoption.*`); empty: all of them.
    pub params: Vec<String>,
    /// Adaptive rounds run until the effective sample size reaches this.
    pub min_ess: u64,
    /// At most this many rounds, the prior's included (1: no adaptive round).
    pub max_rounds: u32,
}

impl Default for CalibrateOptions {
    fn default() -> CalibrateOptions {
        CalibrateOptions {
            params: Vec::new(),
            min_ess: calibrate::DEFAULT_MIN_ESS as u64,
            max_rounds: calibrate::DEFAULT_MAX_ROUNDS,
        }
    }
}

/// Whether `key` matches `pattern`, where `*` matches any text (also dots).
fn matches(pattern: &str, key: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == key;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !key.starts_with(first) || key.len() < first.len() + last.len() || !key.ends_with(last) {
        return false;
    }
    let mut rest = &key[first.len()..key.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The calibration problem of a job, checked: the uncertain parameters, those that match
/// the patterns, and at least one fitted target.
pub(super) fn problem(
    base: &Scenario,
    input: &Input,
    targets_input: &Input,
    targets: Vec<Target>,
    options: &CalibrateOptions,
) -> Result<Problem, JobError> {
    let bad = |why: String| Err(JobError::Input(why));
    let uncertain: Vec<(String, Dist)> = base
        .params()
        .iter()
        .filter(|(_, p)| p.is_uncertain())
        .map(|(_, p)| (p.key().to_string(), p.dist().clone()))
        .collect();
    if uncertain.is_empty() {
        return bad(format!(
            "{}: no parameter is uncertain, so there is no prior to calibrate; give the parameters to fit a distribution (their prior)",
            escape(&input.origin)
        ));
    }
    for pattern in &options.params {
        if !uncertain.iter().any(|(k, _)| matches(pattern, k)) {
            let keys: Vec<&str> = uncertain.iter().map(|(k, _)| k.as_str()).collect();
            return bad(format!(
                "--params {}: matches no uncertain parameter of {}; expected a dotted key or a pattern with `*`, e.g. adoption.*, among: {}",
                escape(pattern),
                escape(&input.origin),
                keys.join(", ")
            ));
        }
    }
    let calibrated: Vec<usize> = (0..uncertain.len())
        .filter(|&k| {
            options.params.is_empty() || options.params.iter().any(|p| matches(p, &uncertain[k].0))
        })
        .collect();
    if targets.iter().all(|t| t.informational) {
        return bad(format!(
            "{}: every target is informational, so nothing can be fitted; expected at least one target without `informational = true`",
            escape(&targets_input.origin)
        ));
    }
    if options.max_rounds == 0 || options.min_ess == 0 {
        return bad("--max-rounds and --min-ess must be at least 1".into());
    }
    let (keys, priors) = uncertain.into_iter().unzip();
    let problem = Problem {
        keys,
        priors,
        calibrated,
        targets,
    };
    if options.max_rounds > 1
        && let Some(key) = correlated(&input.text, &problem)
    {
        return bad(format!(
            "{}: {} is in a [[correlation]], so its prior has no density an adaptive round could weight by; run one round (--max-rounds 1), or calibrate without it (--params)",
            escape(&input.origin),
            escape(&key)
        ));
    }
    Ok(problem)
}

/// The first calibrated parameter that the scenario text correlates with another.
fn correlated(text: &str, problem: &Problem) -> Option<String> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let entries = doc.get("correlation")?.as_array()?;
    entries
        .iter()
        .filter_map(|e| e.get("between")?.as_array())
        .flatten()
        .filter_map(|k| k.as_str())
        .find(|k| problem.calibrated.iter().any(|&i| problem.keys[i] == *k))
        .map(str::to_string)
}

/// The draws of a run of `scenario` (every trial, reduced).
pub(super) fn draws(
    scenario: &Scenario,
    problem: &Problem,
    run: &RunResult,
    round: u32,
) -> Vec<Draw> {
    let uncertain: Vec<usize> = scenario
        .params()
        .iter()
        .filter(|(_, p)| p.is_uncertain())
        .map(|(id, _)| id.0 as usize)
        .collect();
    let columns: Vec<Vec<f64>> = problem
        .targets
        .iter()
        .map(|t| backtest::values(scenario, t, run))
        .collect();
    run.trials
        .iter()
        .enumerate()
        .map(|(i, t)| Draw {
            round,
            trial: t.trial,
            values: uncertain.iter().map(|&k| t.draws[k]).collect(),
            targets: columns.iter().map(|c| c[i]).collect(),
        })
        .collect()
}

/// The inline TOML of a distribution the calibration fits (a truncated normal or a
/// metalog), through the raw layer.
fn dist_toml(d: &Dist) -> String {
    let raw = match d {
        Dist::Normal { mean, sd, min, max } => RawDist::Normal {
            mean: *mean,
            sd: *sd,
            min: *min,
            max: *max,
        },
        Dist::Metalog(m) => {
            let (min, max) = m.bounds();
            RawDist::Metalog {
                p10: None,
                p50: None,
                p90: None,
                quantiles: Some(m.points().iter().map(|&(p, x)| [p, x]).collect()),
                min,
                max,
            }
        }
        other => unreachable!("the calibration fits normals and metalogs, not {other:?}"),
    };
    serde::Serialize::serialize(&raw, toml_edit::ser::ValueSerializer::new())
        .expect("a distribution serialises")
        .to_string()
}

/// The proposal scenario of a round: the prior with each calibrated parameter's
/// distribution replaced.
fn proposal_scenario(
    input: &Input,
    settings: &Settings,
    problem: &Problem,
    proposals: &[Dist],
) -> Result<Scenario, JobError> {
    let mut s = settings.clone();
    for (&k, q) in problem.calibrated.iter().zip(proposals) {
        if *q == problem.priors[k] {
            continue;
        }
        s.set
            .push(format!("{}={}", problem.keys[k], dist_toml(q).trim()));
    }
    s.load(input)
}

/// Simulates round 0 (the prior's trials) and the adaptive rounds after it: until the ESS
/// reaches `min_ess` or `max_rounds` rounds ran; then the posterior.
pub(super) fn run_rounds(
    base: &Scenario,
    input: &Input,
    settings: &Settings,
    problem: &Problem,
    options: &CalibrateOptions,
    control: &Control,
) -> Result<Posterior, JobError> {
    let sim = base.simulation();
    let n = sim.trials;
    let mut done = 0;
    let mut simulate = |scenario: &Scenario, round: u32| -> Result<Vec<Draw>, JobError> {
        let engine = Engine::new(scenario);
        let first = round as u64 * n;
        let mut out = Vec::with_capacity(n as usize);
        let mut start = first;
        while start < first + n {
            let end = (start + CHUNK).min(first + n);
            let offset = done;
            let run = engine.run_until(
                start..end,
                &mut |d| (control.progress)(offset + d),
                control.cancel,
            )?;
            done += sim.households * base.months() as u64 * (end - start);
            out.extend(draws(scenario, problem, &run, round));
            start = end;
        }
        Ok(out)
    };
    let all = simulate(base, 0)?;
    finish_rounds(all, input, settings, problem, options, &mut simulate)
}

/// Simulates the draws of a round (the scenario to draw from, the round's index).
type SimulateRound<'a> = dyn FnMut(&Scenario, u32) -> Result<Vec<Draw>, JobError> + 'a;

/// The rounds from round 0's draws on: `simulate` runs a round (`None`: no further round
/// can run, e.g. a merge of shards).
pub(super) fn finish_rounds(
    mut all: Vec<Draw>,
    input: &Input,
    settings: &Settings,
    problem: &Problem,
    options: &CalibrateOptions,
    simulate: &mut SimulateRound,
) -> Result<Posterior, JobError> {
    let mut rounds = vec![Round {
        draws: all.len(),
        proposals: None,
    }];
    let mut summaries = Vec::new();
    loop {
        let weights = problem.weights(&all, &rounds).ok_or_else(|| {
            JobError::Input(format!(
                "no draw of {} has a positive likelihood: every one misses a target read as `error = \"uniform\"` (or has an undefined value); widen the prior or the band, or read it as a normal error",
                all.len()
            ))
        })?;
        let ess = calibrate::kish_ess(&weights);
        summaries.push(RoundSummary {
            draws: all.len(),
            ess,
        });
        if ess >= options.min_ess as f64 || rounds.len() >= options.max_rounds as usize {
            return Ok(calibrate::posterior(
                problem,
                all,
                weights,
                summaries,
                options.min_ess as f64,
                options.max_rounds,
            ));
        }
        let proposals = problem.proposals(&all, &weights);
        let scenario = proposal_scenario(input, settings, problem, &proposals)?;
        let round = rounds.len() as u32;
        let new = simulate(&scenario, round)?;
        rounds.push(Round {
            draws: new.len(),
            proposals: Some(proposals),
        });
        all.extend(new);
    }
}

/// `calibrated.toml`: the prior scenario's text with every calibrated parameter that the
/// targets inform replaced by its fitted distribution, `[[correlation]]` entries for the
/// posterior's rank correlations, and a header saying what it was fitted to. Comments and
/// layout of the prior are kept (toml_edit). Checked by parsing it as a scenario; if the
/// pairwise correlations do not make a valid matrix, they are left out (and said so).
pub(super) fn calibrated_toml(
    input: &Input,
    targets: &Input,
    posterior: &Posterior,
    households: u64,
    seed: u64,
) -> Result<String, JobError> {
    let fail = |why: String| {
        JobError::Input(format!(
            "{}: cannot write the calibrated scenario: {why}",
            escape(&input.origin)
        ))
    };
    let mut doc: toml_edit::DocumentMut = input
        .text
        .parse()
        .map_err(|e| fail(format!("the text does not parse: {e}")))?;
    let mut replaced = Vec::new();
    let mut kept = Vec::new();
    for p in &posterior.params {
        if p.keeps_prior {
            kept.push(p.key.clone());
            continue;
        }
        let new: toml_edit::Value = dist_toml(&p.fitted)
            .parse()
            .map_err(|e| fail(format!("{}: {e}", p.key)))?;
        let old = replace(&mut doc, &p.key, new)
            .ok_or_else(|| fail(format!("`{}` is not written in the file", p.key)))?;
        replaced.push((p.key.clone(), old));
    }
    let body = doc.to_string();
    let ess = posterior.ess;
    let total = posterior.draws.len();
    let mut header = format!(
        "# Calibrated by downstream {} (`downstream calibrate`) from {}\n\
         # on the targets of {}: {} draws in {} round(s) x {} households, seed {},\n\
         # effective sample size {:.0} (--min-ess {}{}).\n",
        env!("CARGO_PKG_VERSION"),
        input.origin,
        targets.origin,
        total,
        posterior.rounds.len(),
        households,
        seed,
        ess,
        posterior.min_ess,
        if posterior.reached() {
            ""
        } else {
            "; not reached within --max-rounds"
        },
    );
    for (key, old) in &replaced {
        header.push_str(&format!(
            "# - {key}: posterior fitted (5th/50th/95th percentiles, prior bounds); prior was {old}\n"
        ));
    }
    for key in &kept {
        header.push_str(&format!(
            "# - {key}: keeps its prior (not told apart from it at this effective sample size)\n"
        ));
    }
    header.push_str("#\n");
    let mut pairs = String::new();
    for &(a, b, r) in &posterior.correlations {
        pairs.push_str(&format!(
            "\n# Posterior rank correlation of the calibration (`downstream calibrate`).\n[[correlation]]\nbetween = [\"{}\", \"{}\"]\nrank = {}\n",
            posterior.params[a].key,
            posterior.params[b].key,
            (r * 1000.0).round() / 1000.0
        ));
    }
    let with = format!("{header}{body}{pairs}");
    let origin = "calibrated.toml";
    if Scenario::parse(origin, &with, &[]).is_ok() {
        return Ok(with);
    }
    let without = format!(
        "{header}# The posterior's rank correlations do not form a valid correlation matrix\n# together, so none is written.\n{body}"
    );
    Scenario::parse(origin, &without, &[])
        .map_err(|e| fail(format!("it does not validate: {e}")))?;
    Ok(without)
}

/// Replaces the value at a parameter's dotted key (array-of-table elements by `name`),
/// keeping its comments; returns the old value's text.
fn replace(doc: &mut toml_edit::DocumentMut, key: &str, new: toml_edit::Value) -> Option<String> {
    let segs: Vec<&str> = key.split('.').collect();
    let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
    let mut i = 0;
    while i + 1 < segs.len() {
        let item = table.get_mut(segs[i])?;
        if item.is_array_of_tables() {
            let name = segs[i + 1];
            table = item
                .as_array_of_tables_mut()?
                .iter_mut()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))?;
            i += 2;
        } else {
            table = item.as_table_like_mut()?;
            i += 1;
        }
    }
    let item = table.get_mut(segs.get(i)?)?;
    let value = item.as_value_mut()?;
    let old = value.to_string().trim().to_string();
    let decor = value.decor().clone();
    *value = new;
    *value.decor_mut() = decor;
    Some(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_dotted_keys() {
        assert!(matches("adoption.*", "adoption.potential"));
        assert!(matches("*", "costs.fixed_per_year.2018"));
        assert!(matches("device.*.price.*", "device.echo.price.2019"));
        assert!(matches("adoption.potential", "adoption.potential"));
        assert!(!matches("adoption.*", "usage.activity_shape"));
        assert!(!matches("adoption.pot", "adoption.potential"));
        assert!(!matches("a*a", "a"));
    }

    #[test]
    fn fitted_distributions_are_scenario_toml() {
        let m = crate::sampling::Metalog::quantiles(
            vec![(0.05, 0.2), (0.5, 0.3), (0.95, 0.5)],
            Some(0.0),
            Some(1.0),
        );
        let text = dist_toml(&Dist::Metalog(m));
        assert!(text.contains("dist = \"metalog\""), "{text}");
        assert!(
            text.contains("quantiles = [[0.05, 0.2], [0.5, 0.3], [0.95, 0.5]]"),
            "{text}"
        );
        let n = dist_toml(&Dist::Normal {
            mean: 4.2e9,
            sd: 1e8,
            min: Some(0.0),
            max: None,
        });
        assert!(n.contains("dist = \"normal\""), "{n}");
    }
}
