//! `run --precision`: add trials until a metric's mean is known well enough.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, Layout, RunResult};
use crate::results::{Results, RunFacts, RunResults};
use crate::scenario::{MAX_TRIALS, Scenario};

use super::{Control, JobError};

/// Trials added per step (one design block).
const BATCH: u64 = crate::design::BLOCK;

/// The stopping rule of `run --precision`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// The scalar whose mean is watched.
    pub metric: String,
    /// The 95% half-width of the mean, as a share of the mean (0.01 for 1%).
    pub target: f64,
    /// At most this many trials (default: 10,000, or the scenario's trials if more).
    pub max_trials: Option<u64>,
}

/// How a precision run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionOutcome {
    pub metric: String,
    pub mean: f64,
    pub half_width: f64,
    pub target: f64,
    pub trials: u64,
    /// Whether the target was reached (else the cap of trials was).
    pub reached: bool,
}

impl Precision {
    /// Parses `--precision`: a percentage such as `1%` or `0.5%`.
    pub fn parse_target(text: &str) -> Result<f64, String> {
        let bad = || {
            format!(
                "--precision {}: expected a percentage of the mean above 0%, such as 1% or 0.5%",
                crate::format::escape(text)
            )
        };
        let pct: f64 = text
            .trim()
            .strip_suffix('%')
            .ok_or_else(bad)?
            .trim()
            .parse()
            .map_err(|_| bad())?;
        if !(pct > 0.0 && pct <= 100.0) {
            return Err(bad());
        }
        Ok(pct / 100.0)
    }

    /// The metric's scalar index and the cap of trials, checked against the scenario.
    pub(super) fn check(&self, scenario: &Scenario) -> Result<(usize, u64), JobError> {
        let trials = scenario.simulation().trials;
        let max_trials = self.max_trials.unwrap_or(trials.max(10_000));
        if max_trials < trials || max_trials > MAX_TRIALS {
            return Err(JobError::Input(format!(
                "--max-trials {max_trials}: expected a whole number from the first batch's {trials} trials to {MAX_TRIALS}"
            )));
        }
        let layout = Layout::new(scenario);
        let (j, _) = crate::sensitivity::metric_indices(&layout, &self.metric, None)
            .map_err(JobError::Input)?;
        Ok((j, max_trials))
    }

    /// The scenario's trials, then batches until the 95% half-width of the metric's mean
    /// is within the target share of the mean or the cap is reached. Every decision
    /// depends only on the results so far, and a trial's results do not depend on how many
    /// trials run, so the results are those of `run --trials N` with the N it stopped at.
    pub(super) fn run(
        &self,
        scenario: &Scenario,
        metric: usize,
        max_trials: u64,
        control: &Control,
        started: Instant,
    ) -> Result<Results, JobError> {
        let mut scenario = scenario.clone();
        let mut sim = scenario.simulation();
        let per_trial = sim.households * scenario.months() as u64;
        let engine = Engine::new(&scenario);
        let mut trials = Vec::new();
        let mut end = sim.trials;
        let (reached, summary) = loop {
            let batch = trials.len() as u64..end;
            let done = per_trial * batch.start;
            let result =
                engine.run_until(batch, &mut |d| (control.progress)(done + d), control.cancel)?;
            trials.extend(result.trials);
            let values: Vec<f64> = trials.iter().map(|t| t.scalars[metric]).collect();
            let s = crate::stats::summarize(&values);
            let half = s.ci95_half_width();
            if half.is_finite() && half <= self.target * s.mean.abs() {
                break (true, s);
            }
            if end >= max_trials {
                break (false, s);
            }
            // The next multiple of the batch: whole design blocks from then on.
            end = ((end / BATCH + 1) * BATCH).min(max_trials);
        };
        let layout = engine.layout().clone();
        sim.trials = trials.len() as u64;
        scenario.set_simulation(sim).map_err(JobError::Input)?;
        let run = RunResult {
            layout,
            first_trial: 0,
            trials,
        };
        let facts = RunFacts::new(
            &scenario,
            rayon::current_num_threads(),
            started.elapsed().as_secs_f64(),
        );
        let mut results = RunResults::new(scenario, &run, facts);
        results.precision = Some(PrecisionOutcome {
            metric: self.metric.clone(),
            mean: summary.mean,
            half_width: summary.ci95_half_width(),
            target: self.target,
            trials: sim.trials,
            reached,
        });
        Ok(Results::Run(results))
    }
}
