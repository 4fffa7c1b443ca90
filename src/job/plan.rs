//! A job loaded and checked: the scenarios it simulates, what it keeps, and how simulated
//! trials become typed results.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::backtest;
use crate::engine::{self, Engine, Layout, Pin, PinnedRuns, RunResult, TrialResult};
use crate::format::escape;
use crate::results::{
    BacktestResults, CalibrateResults, CompareResults, Results, RunFacts, RunResults,
    SensitivityResults, SweepResults,
};
use crate::scenario::Scenario;
use crate::scenario::Target;
use crate::sensitivity::{self, By, Method};
use crate::sweep::{Axis, AxisLabels};

use super::{Control, Input, Job, JobError, Settings};

/// What one analysis adds to its scenarios.
#[derive(Clone, Debug)]
enum Detail {
    Run,
    Precision {
        metric: usize,
        max_trials: u64,
    },
    Compare,
    Sweep {
        axes: Vec<AxisLabels>,
        grid: Vec<Vec<usize>>,
    },
    Sensitivity {
        metric: usize,
        period: Option<(By, usize)>,
        /// The pinned variants of a swing analysis; none given data.
        pins: Vec<Pin>,
    },
    Backtest {
        targets: Vec<backtest::Target>,
    },
    Calibrate {
        problem: crate::calibrate::Problem,
        options: super::CalibrateOptions,
    },
}

/// A job ready to run: every scenario validated, every option checked.
#[derive(Clone, Debug)]
pub struct Plan {
    job: Job,
    /// The scenario the run settings and the resolved file come from (a sweep's base).
    base: Scenario,
    /// The scenarios simulated: one per compared file or sweep point; else the base.
    scenarios: Vec<Scenario>,
    detail: Detail,
}

/// Simulated trials of a plan (all of them, or one shard's).
pub enum Simulated {
    /// One run per scenario of the plan.
    Runs(Vec<RunResult>),
    /// A sensitivity analysis' plain run and pinned variants.
    Pinned(Box<PinnedRuns>),
}

/// What a plan will cost: `runs` simulations of `households` × `months` for each of
/// `trials`, keeping `kept` numbers per trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub households: u64,
    pub months: u64,
    pub trials: u64,
    pub runs: u64,
    pub kept: f64,
}

impl Budget {
    /// Household-months simulated.
    pub fn work(&self) -> f64 {
        self.households as f64 * self.months as f64 * self.trials as f64 * self.runs as f64
    }
    /// Bytes of per-trial results kept in memory.
    pub fn memory(&self) -> f64 {
        self.trials as f64 * self.kept * 8.0
    }
}

/// Numbers kept per trial of one run: monthly, yearly and horizon figures of every metric.
fn values_per_trial(scenario: &Scenario) -> f64 {
    let metrics = Layout::new(scenario).len() as f64;
    let years = (scenario.months() as f64 / 12.0).ceil() + 1.0;
    (scenario.months() as f64 + years + 2.0) * metrics
}

/// [`JobError::Cancelled`] once `cancel` is set: planning checks it between scenarios.
fn check_cancel(cancel: &AtomicBool) -> Result<(), JobError> {
    if cancel.load(Ordering::Relaxed) {
        Err(JobError::Cancelled)
    } else {
        Ok(())
    }
}

impl Plan {
    pub(super) fn new(job: &Job, cancel: &AtomicBool) -> Result<Plan, JobError> {
        let settings = job.settings();
        check_cancel(cancel)?;
        let base = job.settings_for(0).load(&job.inputs()[0])?;
        let (scenarios, detail) = match job {
            Job::Run { .. } => (vec![base.clone()], Detail::Run),
            Job::Precision { precision, .. } => {
                let (metric, max_trials) = precision.check(&base)?;
                (vec![base.clone()], Detail::Precision { metric, max_trials })
            }
            Job::Compare { inputs, metric, .. } => {
                crate::decision::metric_index(&Layout::new(&base), metric)
                    .map_err(JobError::Input)?;
                (compared(&base, job, inputs, cancel)?, Detail::Compare)
            }
            Job::Sweep {
                input,
                axes,
                metric,
                ..
            } => {
                crate::decision::metric_index(&Layout::new(&base), metric)
                    .map_err(JobError::Input)?;
                sweep_points(&base, input, settings, axes, cancel)?
            }
            Job::Sensitivity {
                input,
                metric,
                by,
                method,
                ..
            } => (
                vec![base.clone()],
                sensitivity_detail(&base, input, metric, *by, *method)?,
            ),
            Job::Backtest { targets, .. } => {
                let targets = backtest::parse(&targets.origin, &targets.text, &base)?;
                (vec![base.clone()], Detail::Backtest { targets })
            }
            Job::Calibrate {
                input,
                targets,
                options,
                ..
            } => {
                let parsed = backtest::parse(&targets.origin, &targets.text, &base)?;
                let problem = super::calibrate::problem(&base, input, targets, parsed, options)?;
                let options = options.clone();
                (vec![base.clone()], Detail::Calibrate { problem, options })
            }
        };
        Ok(Plan {
            job: job.clone(),
            base,
            scenarios,
            detail,
        })
    }

    /// The job this plan runs.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The scenario whose run settings the job uses (a sweep's base, a comparison's base).
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// Whether the job can run as shards of its trials (`run --precision` decides its
    /// trials as it goes, so it cannot).
    pub fn shardable(&self) -> bool {
        match &self.detail {
            Detail::Precision { .. } => false,
            Detail::Calibrate { options, .. } => options.max_rounds == 1,
            _ => true,
        }
    }

    /// The work and result memory of the whole job, for a budget check before it starts.
    /// Its `runs` are the household passes the engine makes over each trial (shared passes
    /// once), the unit of [`Plan::progress_total`] too.
    pub fn budget(&self) -> Budget {
        let sim = self.base.simulation();
        let per_run = values_per_trial(&self.base);
        let (trials, runs, kept) = match &self.detail {
            Detail::Precision { max_trials, .. } => (*max_trials, 1, per_run),
            Detail::Calibrate { problem, options } => {
                // Rounds keep each draw's parameter and target values, and one chunk of
                // trials' figures at a time.
                let rounds = options.max_rounds as u64;
                let kept = (problem.keys.len() + problem.targets.len() + 3) as f64;
                (sim.trials, rounds, kept * rounds as f64)
            }
            Detail::Sensitivity { pins, .. } => {
                // The variants that need their own households (as in the first trial); only
                // the plain run keeps all its figures, the variants keep their scalars.
                let passes = engine::pinned_passes(&self.base, pins);
                let scalars = Layout::new(&self.base).scalars.len();
                (sim.trials, passes, per_run + (pins.len() * scalars) as f64)
            }
            Detail::Compare | Detail::Sweep { .. } => {
                let n = self.scenarios.len() as u64;
                let passes = engine::point_passes(&self.scenarios);
                (sim.trials, passes, n as f64 * per_run)
            }
            Detail::Run | Detail::Backtest { .. } => (sim.trials, 1, per_run),
        };
        Budget {
            households: sim.households,
            months: self.base.months() as u64,
            trials,
            runs,
            kept,
        }
    }

    /// Household-months that simulating `trials` reports as progress once done: the
    /// [`Plan::budget`]'s household passes over those trials (`run --precision`: over its
    /// most trials, as it decides its trials as it goes; `calibrate`: over its most rounds,
    /// as it stops once the effective sample size is reached).
    pub fn progress_total(&self, trials: &Range<u64>) -> u64 {
        let budget = self.budget();
        let trials = match &self.detail {
            Detail::Precision { .. } => budget.trials,
            _ => trials.end - trials.start,
        };
        budget.households * budget.months * trials * budget.runs
    }

    /// Simulates `trials` (all, or one shard's) on the current rayon pool.
    pub fn simulate(&self, trials: Range<u64>, control: &Control) -> Result<Simulated, JobError> {
        let cancel = control.cancel;
        let progress = control.progress;
        Ok(match &self.detail {
            Detail::Sensitivity { pins, .. } if !pins.is_empty() => Simulated::Pinned(Box::new(
                engine::run_pinned_until(&self.base, pins, trials, &mut |d| progress(d), cancel)?,
            )),
            // Compared scenarios that differ only in parameters the households cannot tell
            // apart share their pass, as a sweep's points do.
            Detail::Compare | Detail::Sweep { .. } => Simulated::Runs(engine::run_points_until(
                &self.scenarios,
                trials,
                &mut |d| progress(d),
                cancel,
            )?),
            Detail::Precision { .. } => {
                return Err(JobError::Input(
                    "--precision decides the number of trials as it goes, so it cannot run as shards (--shard or an array job's environment); run it unsharded, or shard a plain run with the --trials it reported".into(),
                ));
            }
            Detail::Calibrate { options, .. } if options.max_rounds > 1 => {
                return Err(JobError::Input(CALIBRATE_SHARDS.into()));
            }
            Detail::Run
            | Detail::Backtest { .. }
            | Detail::Sensitivity { .. }
            | Detail::Calibrate { .. } => {
                Simulated::Runs(vec![Engine::new(&self.base).run_until(
                    trials,
                    &mut |d| progress(d),
                    cancel,
                )?])
            }
        })
    }

    /// Checks the trials of one part (one list per stored run) against what this plan can
    /// produce: the number of runs, every vector's length, finite figures (the breakeven
    /// month aside, undefined when never reached) and every drawn parameter within its
    /// distribution's support.
    pub fn check_part(&self, runs: &[Vec<TrialResult>]) -> Result<(), String> {
        let pinned = match &self.detail {
            Detail::Sensitivity { pins, .. } => pins.len(),
            _ => 0,
        };
        let expected = if pinned > 0 {
            1 + pinned
        } else {
            self.scenarios.len()
        };
        if runs.len() != expected {
            return Err(format!("holds {} runs, the job has {expected}", runs.len()));
        }
        for (k, trials) in runs.iter().enumerate() {
            // A sensitivity analysis' pinned variants keep only their scalars.
            let full = pinned == 0 || k == 0;
            let scenario = if pinned > 0 {
                &self.base
            } else {
                &self.scenarios[k]
            };
            let layout = Layout::new(scenario);
            for t in trials {
                check_trial(scenario, &layout, t, full)
                    .map_err(|why| format!("trial {}: {why}", t.trial))?;
            }
        }
        Ok(())
    }

    /// Rebuilds the simulated trials of the whole job from the joined trials of its parts
    /// (one list per stored run, in trial order).
    pub fn from_parts(&self, trials: Vec<Vec<TrialResult>>) -> Result<Simulated, String> {
        if let Detail::Sensitivity { pins, .. } = &self.detail
            && !pins.is_empty()
        {
            if trials.len() != 1 + pins.len() {
                return Err(format!(
                    "the parts hold {} runs but the sensitivity has {}",
                    trials.len(),
                    1 + pins.len()
                ));
            }
            let all = 0..self.base.simulation().trials;
            let simulated = engine::pinned_simulations(&self.base, pins, all);
            return Ok(Simulated::Pinned(Box::new(crate::shard::pinned_runs(
                pins,
                Layout::new(&self.base),
                trials,
                simulated,
            ))));
        }
        if trials.len() != self.scenarios.len() {
            return Err(format!(
                "the parts hold {} runs but the job has {}",
                trials.len(),
                self.scenarios.len()
            ));
        }
        let layouts = self.scenarios.iter().map(Layout::new).collect();
        Ok(Simulated::Runs(crate::shard::runs(layouts, trials)))
    }

    /// Runs the whole job: every trial, then its results.
    pub fn execute(&self, control: &Control) -> Result<Results, JobError> {
        let started = Instant::now();
        if let (Job::Precision { precision, .. }, Detail::Precision { metric, max_trials }) =
            (&self.job, &self.detail)
        {
            return precision.run(&self.base, *metric, *max_trials, control, started);
        }
        let sim = self.base.simulation();
        if let (
            Job::Calibrate {
                input, settings, ..
            },
            Detail::Calibrate { problem, options },
        ) = (&self.job, &self.detail)
        {
            let posterior = super::calibrate::run_rounds(
                &self.base, input, settings, problem, options, control,
            )?;
            let facts = RunFacts::new(
                &self.base,
                rayon::current_num_threads(),
                started.elapsed().as_secs_f64(),
            );
            return self.calibration_results(posterior, facts);
        }
        let simulated = self.simulate(0..sim.trials, control)?;
        let facts = RunFacts::new(
            &self.base,
            rayon::current_num_threads(),
            started.elapsed().as_secs_f64(),
        );
        self.results(simulated, facts)
    }

    /// The typed results of the whole job's simulated trials.
    pub fn results(&self, simulated: Simulated, facts: RunFacts) -> Result<Results, JobError> {
        let runs = match simulated {
            Simulated::Pinned(pinned) => {
                let Detail::Sensitivity { metric, period, .. } = &self.detail else {
                    return Err(JobError::Input(
                        "pinned runs of a job that is not a sensitivity analysis".into(),
                    ));
                };
                let analysis = sensitivity::analyse(&self.base, &pinned, *metric, *period);
                return Ok(Results::Sensitivity(SensitivityResults {
                    scenario: self.base.clone(),
                    facts,
                    analysis,
                    variants: pinned.pinned.len(),
                    simulated: pinned.simulated,
                }));
            }
            Simulated::Runs(runs) => runs,
        };
        Ok(match (&self.detail, &self.job) {
            (Detail::Compare, Job::Compare { inputs, metric, .. }) => {
                let seed = facts.seed;
                let mut r = CompareResults::new(
                    inputs.iter().map(|i| i.origin.clone()).collect(),
                    self.scenarios.clone(),
                    facts,
                    &runs,
                );
                r.decision =
                    crate::decision::from_runs(metric, &r.names, &self.scenarios, &runs, seed);
                Results::Compare(r)
            }
            (Detail::Sweep { axes, grid }, job) => {
                let seed = facts.seed;
                let mut r =
                    SweepResults::new(self.base.clone(), facts, axes.clone(), grid.clone(), &runs);
                if let Job::Sweep { metric, .. } = job {
                    let names: Vec<String> = (0..r.grid.len()).map(|k| r.point_label(k)).collect();
                    r.decision =
                        crate::decision::from_runs(metric, &names, &self.scenarios, &runs, seed);
                }
                Results::Sweep(r)
            }
            (Detail::Sensitivity { metric, period, .. }, _) => {
                Results::Sensitivity(SensitivityResults {
                    analysis: sensitivity::analyse_given_data(
                        &self.base, &runs[0], *metric, *period,
                    ),
                    scenario: self.base.clone(),
                    facts,
                    variants: 0,
                    simulated: 0,
                })
            }
            (
                Detail::Calibrate { problem, options },
                Job::Calibrate {
                    input, settings, ..
                },
            ) => {
                // The prior's round only (a merge of shards): no further round can run.
                let draws = super::calibrate::draws(&self.base, problem, &runs[0], 0);
                let posterior = super::calibrate::finish_rounds(
                    draws,
                    input,
                    settings,
                    problem,
                    &super::CalibrateOptions {
                        max_rounds: 1,
                        ..options.clone()
                    },
                    &mut |_, _| unreachable!("one round"),
                )?;
                return self.calibration_results(posterior, facts);
            }
            (Detail::Backtest { targets }, _) => Results::Backtest(BacktestResults {
                outcomes: backtest::evaluate(&self.base, targets, &runs[0]),
                scenario: self.base.clone(),
                facts,
            }),
            _ => Results::Run(RunResults::new(self.base.clone(), &runs[0], facts)),
        })
    }
}

/// Why a calibration with adaptive rounds cannot run as shards.
const CALIBRATE_SHARDS: &str = "calibrate: adaptive rounds draw from proposals fitted to all the draws before them, so they cannot run as shards (--shard or an array job's environment); shard the prior's round alone with --max-rounds 1 (its merge writes exactly what an unsharded --max-rounds 1 run writes)";

impl Plan {
    /// Why this plan cannot run as shards, if it cannot.
    pub fn shard_refusal(&self) -> Option<&'static str> {
        match &self.detail {
            Detail::Calibrate { .. } if !self.shardable() => Some(CALIBRATE_SHARDS),
            _ => None,
        }
    }

    /// The results of a calibration: its posterior and the calibrated scenario.
    fn calibration_results(
        &self,
        posterior: crate::calibrate::Posterior,
        facts: RunFacts,
    ) -> Result<Results, JobError> {
        let Job::Calibrate { input, targets, .. } = &self.job else {
            return Err(JobError::Input("not a calibration".into()));
        };
        let sim = self.base.simulation();
        let calibrated = super::calibrate::calibrated_toml(
            input,
            targets,
            &posterior,
            sim.households,
            sim.seed,
        )?;
        Ok(Results::Calibrate(CalibrateResults {
            scenario: self.base.clone(),
            facts,
            prior_file: input.origin.clone(),
            targets_file: targets.origin.clone(),
            posterior,
            calibrated,
        }))
    }
}

/// The scenarios of a comparison with the base's run settings unless given on the command
/// line (they were applied), each reporting the months all of them simulate.
fn compared(
    base: &Scenario,
    job: &Job,
    inputs: &[Input],
    cancel: &AtomicBool,
) -> Result<Vec<Scenario>, JobError> {
    let mut scenarios = vec![base.clone()];
    for (i, input) in inputs.iter().enumerate().skip(1) {
        check_cancel(cancel)?;
        let mut s = job.settings_for(i).load(input)?;
        s.set_simulation(base.simulation())
            .map_err(JobError::Input)?;
        scenarios.push(s);
    }
    let names: Vec<String> = inputs
        .iter()
        .map(|i| escape(&i.origin).into_owned())
        .collect();
    crate::compare::report_common_months(&names, &mut scenarios).map_err(JobError::Input)?;
    Ok(scenarios)
}

/// The points of a sweep: the base scenario with each point's values set.
fn sweep_points(
    base: &Scenario,
    input: &Input,
    settings: &Settings,
    axes: &[Axis],
    cancel: &AtomicBool,
) -> Result<(Vec<Scenario>, Detail), JobError> {
    let labels: Vec<AxisLabels> = axes.iter().map(|a| a.labels.clone()).collect();
    let grid = crate::sweep::grid(&labels).map_err(JobError::Input)?;
    let point = |pairs: &[(&Axis, usize)]| -> Result<Scenario, JobError> {
        check_cancel(cancel)?;
        let set = |&(a, i): &(&Axis, usize)| format!("{}={}", a.labels.key, a.labels.values[i]);
        let by_set = |sets: Vec<String>| {
            let mut s = settings.clone();
            s.set.extend(sets);
            s.load(input)
        };
        let typed: Vec<(&Target, f64)> = pairs.iter().filter_map(|(a, i)| a.typed(*i)).collect();
        let untyped: Vec<String> = pairs
            .iter()
            .filter(|(a, i)| a.typed(*i).is_none())
            .map(&set)
            .collect();
        let with_sets;
        let start = if untyped.is_empty() {
            base
        } else {
            with_sets = by_set(untyped)?;
            &with_sets
        };
        // A problem is worded as `--set KEY=VALUE` words it, with the value as given.
        start
            .with_values(&typed)
            .or_else(|_| by_set(pairs.iter().map(set).collect()))
    };
    // Every value of every axis is checked on its own, so a bad key or value is reported
    // before the whole grid is built (with one axis, these are the points).
    if axes.len() > 1 {
        for axis in axes {
            for i in 0..axis.labels.values.len() {
                point(&[(axis, i)])?;
            }
        }
    }
    let points = grid
        .iter()
        .map(|p| point(&axes.iter().zip(p.iter().copied()).collect::<Vec<_>>()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((points, Detail::Sweep { axes: labels, grid }))
}

fn sensitivity_detail(
    scenario: &Scenario,
    input: &Input,
    metric: &str,
    by: Option<By>,
    method: Method,
) -> Result<Detail, JobError> {
    let layout = Layout::new(scenario);
    let (metric, period) =
        sensitivity::metric_indices(&layout, metric, by).map_err(JobError::Input)?;
    let (ids, pins) = sensitivity::pins(scenario);
    if ids.is_empty() {
        return Err(JobError::Input(format!(
            "{}: no parameter is uncertain, so nothing can drive the result; give some parameters a distribution",
            escape(&input.origin)
        )));
    }
    Ok(Detail::Sensitivity {
        metric,
        period: by.zip(period),
        pins: match method {
            Method::Swing => pins,
            Method::GivenData => Vec::new(),
        },
    })
}

/// One trial's vectors against the scenario's layout, and its values against what they can
/// be.
fn check_trial(
    scenario: &Scenario,
    layout: &Layout,
    t: &TrialResult,
    full: bool,
) -> Result<(), String> {
    let metrics = layout.len();
    let months = scenario.reported().months() as usize;
    let years = crate::results::year_labels(scenario).len();
    let params = scenario.params();
    let lengths = [
        (
            "drawn parameters",
            t.draws.len(),
            if full { params.len() } else { 0 },
        ),
        (
            "monthly figures",
            t.monthly.len(),
            if full { months * metrics } else { 0 },
        ),
        (
            "yearly figures",
            t.yearly.len(),
            if full { years * metrics } else { 0 },
        ),
        ("scalars", t.scalars.len(), layout.scalars.len()),
    ];
    for (what, got, want) in lengths {
        if got != want {
            return Err(format!("{got} {what}, the job has {want}"));
        }
    }
    if let Some(x) = t.monthly.iter().chain(&t.yearly).find(|x| !x.is_finite()) {
        return Err(format!("a monthly or yearly figure is {x}"));
    }
    for (def, x) in layout.scalars.iter().zip(&t.scalars) {
        let undefined_ok = def.metric.is_none() && x.is_nan();
        if !(x.is_finite() || undefined_ok) {
            return Err(format!("{} is {x}", def.name));
        }
    }
    // The household-noise variances: estimated by plain runs, absent from sweep points and
    // pinned variants; never negative, undefined (NaN) with a single household block.
    if !(t.noise.is_empty() || t.noise.len() == layout.scalars.len()) {
        return Err(format!(
            "{} household-noise variances, the job has {} or none",
            t.noise.len(),
            layout.scalars.len()
        ));
    }
    if let Some(x) = t
        .noise
        .iter()
        .find(|x| !(x.is_nan() || (x.is_finite() && **x >= 0.0)))
    {
        return Err(format!("a household-noise variance is {x}"));
    }
    for ((_, p), &x) in params.iter().zip(&t.draws) {
        let (lo, hi) = (p.dist().quantile(0.0), p.dist().quantile(1.0));
        let slack = 1e-9 * lo.abs().max(hi.abs()).max(1.0);
        if !(x >= lo - slack && x <= hi + slack) {
            return Err(format!(
                "{} = {x} is outside its distribution's support [{lo}, {hi}]",
                p.key()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Control, Input};

    fn plan() -> Plan {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/premium_5usd_2024.toml");
        let settings = Settings {
            households: Some(50),
            trials: Some(2),
            ..Settings::default()
        };
        let job = Job::Run {
            input: Input::read(&path).unwrap(),
            settings,
        };
        job.plan().unwrap()
    }

    /// Figures a part may hold only if it was damaged or crafted, each refused.
    #[test]
    fn parts_with_impossible_figures_are_refused() {
        let plan = plan();
        let Simulated::Runs(runs) = plan.simulate(0..2, &Control::none()).unwrap() else {
            panic!("a run gives runs")
        };
        let good: Vec<Vec<TrialResult>> = runs.into_iter().map(|r| r.trials).collect();
        plan.check_part(&good).unwrap();
        let uncertain = plan
            .base
            .params()
            .iter()
            .position(|(_, p)| p.is_uncertain() && p.dist().quantile(1.0) < 1e6);
        type Spoil = fn(&mut TrialResult, usize);
        let damage: [(&str, Spoil); 6] = [
            ("scalars", |t, _| t.scalars.push(1.0)),
            ("monthly figures", |t, _| {
                t.monthly.pop();
            }),
            ("a scalar is NaN", |t, _| t.scalars[0] = f64::NAN),
            ("is inf", |t, _| t.monthly[3] = f64::INFINITY),
            ("outside its distribution's support", |t, p| {
                t.draws[p] = 1e12
            }),
            ("drawn parameters", |t, _| t.draws.clear()),
        ];
        for (what, spoil) in damage {
            let mut bad = good.clone();
            spoil(&mut bad[0][1], uncertain.expect("an uncertain parameter"));
            let why = plan.check_part(&bad).unwrap_err();
            let expected = if what == "a scalar is NaN" {
                format!("{} is NaN", plan.base_layout_scalar(0))
            } else {
                what.to_string()
            };
            assert!(why.contains(&expected), "{what}: {why}");
        }
        // The breakeven month may be undefined (never reached).
        let mut never = good.clone();
        *never[0][0].scalars.last_mut().unwrap() = f64::NAN;
        plan.check_part(&never).unwrap();
        assert!(plan.check_part(&good[..0]).is_err(), "a missing run");
    }

    fn premium_input(sets: &str) -> Input {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/premium_5usd_2024.toml");
        let mut input = Input::read(&path).unwrap();
        input.text.push_str(sets);
        input
    }

    fn small() -> Settings {
        Settings {
            households: Some(300),
            trials: Some(3),
            ..Settings::default()
        }
    }

    /// The jobs whose progress is checked, by name: a run, sweeps of a money-only parameter,
    /// of the premium price and of a premium-tier parameter, a sweep that shares nothing, a
    /// compare of scenarios that differ only in money, one that differs in households, and
    /// sensitivity by both methods.
    fn jobs() -> Vec<(&'static str, Job)> {
        let input = premium_input("");
        // The same scenario under another name, with other device prices and fixed costs.
        let priced = Input {
            origin: "dearer.toml".into(),
            text: input
                .text
                .replace("Paid Alexa tier at $5/month from 2024-07", "Dearer")
                .replace(
                    "price = { dist = \"pert\", min = 55.0, mode = 70.0, max = 90.0 }",
                    "price = { dist = \"pert\", min = 65.0, mode = 80.0, max = 99.0 }",
                )
                .replace(
                    "2026 = { dist = \"pert\", min = 2.5e9, mode = 3.5e9, max = 5.0e9 }",
                    "2026 = { dist = \"pert\", min = 3e9, mode = 4e9, max = 6e9 }",
                ),
        };
        assert_ne!(priced.text, input.text);
        let other = Input {
            origin: "other.toml".into(),
            text: input
                .text
                .replace("mix = 0.2 ", "mix = 0.25")
                .replace("mix = 0.15 ", "mix = 0.10"),
        };
        let sweep = |spec: &str| Job::sweep(input.clone(), small(), &[spec]).unwrap();
        let sensitivity = |method| Job::Sensitivity {
            input: input.clone(),
            settings: small(),
            metric: "npv_net_incremental".into(),
            by: Some(By::Year),
            method,
        };
        vec![
            (
                "run",
                Job::Run {
                    input: input.clone(),
                    settings: small(),
                },
            ),
            ("money sweep", sweep("device.echo_dot.price=20:40:5")),
            ("price sweep", sweep("premium.price_month=1:9:2")),
            ("wtp sweep", sweep("premium.wtp_median=2,3")),
            ("potential sweep", sweep("adoption.potential=0.2,0.3")),
            (
                "money compare",
                Job::compare(vec![input.clone(), priced], small()),
            ),
            ("compare", Job::compare(vec![input.clone(), other], small())),
            ("given data", sensitivity(Method::GivenData)),
            ("swing", sensitivity(Method::Swing)),
        ]
    }

    /// The progress a job reports ends exactly at the total its plan announced, never
    /// going back, for every kind of job and sharing.
    #[test]
    fn progress_ends_at_the_planned_total() {
        use std::sync::Mutex;
        let mut passes = Vec::new();
        for (name, job) in jobs() {
            let plan = job.plan().unwrap();
            let seen = Mutex::new(Vec::new());
            let record = |d: u64| seen.lock().unwrap().push(d);
            let control = Control {
                progress: &record,
                cancel: &AtomicBool::new(false),
            };
            plan.execute(&control).unwrap();
            let seen = seen.into_inner().unwrap();
            let total = plan.progress_total(&(0..3));
            assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{name}: {seen:?}");
            assert_eq!(seen.last(), Some(&total), "{name}");
            let budget = plan.budget();
            assert_eq!(budget.work(), total as f64, "{name}");
            passes.push((name, budget.runs));
        }
        // Shared passes count once; swing counts the variants with their own households.
        assert_eq!(
            passes,
            [
                ("run", 1),
                ("money sweep", 1),
                ("price sweep", 1),
                ("wtp sweep", 1),
                ("potential sweep", 2),
                ("money compare", 1),
                ("compare", 2),
                ("given data", 1),
                ("swing", 37),
            ]
        );
    }

    /// The files of a sweep or a compare whose points share the household pass are byte
    /// for byte those of the same job with every point simulated on its own.
    #[test]
    fn shared_and_unshared_passes_give_the_same_files() {
        for (name, job) in jobs() {
            if !matches!(job, Job::Sweep { .. } | Job::Compare { .. }) {
                continue;
            }
            let plan = job.plan().unwrap();
            let control = Control::none();
            let shared = plan.simulate(0..3, &control).unwrap();
            let unshared = Simulated::Runs(
                engine::run_points_unshared_until(
                    &plan.scenarios,
                    0..3,
                    &mut |_| {},
                    control.cancel,
                )
                .unwrap(),
            );
            let facts = RunFacts::new(&plan.base, 1, 0.0);
            let files = |simulated| {
                let results = plan.results(simulated, facts.clone()).unwrap();
                crate::export::files(&results).unwrap()
            };
            let (a, b) = (files(shared), files(unshared));
            assert!(a.len() > 2, "{name}");
            assert_eq!(a, b, "{name}");
        }
    }

    impl Plan {
        fn base_layout_scalar(&self, j: usize) -> String {
            Layout::new(&self.base).scalars[j].name.clone()
        }
    }
}
