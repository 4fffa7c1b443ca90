//! Typed jobs: every analysis the tool runs, as a value the library executes.
//!
//! A [`Job`] says what to analyse (scenario inputs with their text, command-line run
//! settings, and the analysis' own typed options); [`Job::plan`] loads and validates
//! everything it needs into a [`Plan`], which simulates all trials or one shard's
//! ([`Plan::simulate`]) and turns simulated trials into typed [`Results`]
//! ([`Plan::results`]). [`execute`] does all three. A sharded part stores its job (serde),
//! so `merge` rebuilds the same plan from the parts and finishes it.
//!
//! The job layer does no I/O but reading nothing: scenario and targets text arrive in the
//! job ([`Input`]). Progress and cancellation come in through [`Control`].

mod calibrate;
mod plan;
mod precision;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::design::Sampling;
use crate::results::Results;
use crate::scenario::{MAX_HOUSEHOLDS, MAX_SEED, MAX_TRIALS, Override, Scenario, ScenarioError};
use crate::sensitivity::{By, Method};
use crate::sweep::{Axis, AxisLabels};

pub use calibrate::CalibrateOptions;
pub use plan::Budget;
pub use plan::{Plan, Simulated};
pub use precision::{Precision, PrecisionOutcome};

/// A scenario or targets file: its name as given and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub origin: String,
    pub text: String,
}

impl Input {
    /// Reads a file (refusing what is not a readable text file, with a located message).
    pub fn read(path: &Path) -> Result<Input, ScenarioError> {
        Ok(Input {
            origin: path.display().to_string(),
            text: crate::scenario::error::read_source(path)?,
        })
    }
}

/// Run settings given on the command line, applied over every scenario's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub households: Option<u64>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub sampling: Option<Sampling>,
    /// `--set KEY=VALUE` overrides, in order.
    pub set: Vec<String>,
}

impl Settings {
    /// Loads a scenario with the overrides and run settings applied.
    pub fn load(&self, input: &Input) -> Result<Scenario, JobError> {
        let overrides = self
            .set
            .iter()
            .map(|s| Override::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(JobError::Input)?;
        let mut scenario = Scenario::parse(&input.origin, &input.text, &overrides)?;
        let mut sim = scenario.simulation();
        let bounded =
            |flag: &str, value: Option<u64>, (min, max): (u64, u64), current: u64| match value {
                Some(v) if v < min || v > max => Err(JobError::Input(format!(
                    "{flag} {v}: expected a whole number from {min} to {max}"
                ))),
                Some(v) => Ok(v),
                None => Ok(current),
            };
        sim.households = bounded(
            "--households",
            self.households,
            (1, MAX_HOUSEHOLDS),
            sim.households,
        )?;
        sim.trials = bounded("--trials", self.trials, (1, MAX_TRIALS), sim.trials)?;
        // A larger seed could not be written to `scenario.resolved.toml`, so the run could
        // not be repeated from its own record.
        sim.seed = bounded("--seed", self.seed, (0, MAX_SEED), sim.seed).map_err(|e| {
            JobError::Input(format!(
                "{e} (the largest whole number a scenario file can hold, so that scenario.resolved.toml repeats the run)"
            ))
        })?;
        if let Some(m) = self.sampling {
            sim.sampling = m;
        }
        scenario.set_simulation(sim).map_err(JobError::Input)?;
        Ok(scenario)
    }
}

/// An analysis to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "analysis")]
pub enum Job {
    /// One scenario: statistics of every metric.
    Run { input: Input, settings: Settings },
    /// One scenario, adding trials until a metric's mean is precise enough.
    Precision {
        input: Input,
        settings: Settings,
        precision: Precision,
    },
    /// Scenarios against the first on common random numbers.
    Compare {
        inputs: Vec<Input>,
        settings: Settings,
        /// The metric of the decision view (`--metric`).
        #[serde(default = "decision_metric")]
        metric: String,
        /// `--set-for`: overrides for one scenario, (its position, base 0; `KEY=VALUE`),
        /// applied after the common `--set`s.
        #[serde(default)]
        set_for: Vec<(usize, String)>,
    },
    /// A grid of parameter values on common random numbers.
    Sweep {
        input: Input,
        settings: Settings,
        axes: Vec<Axis>,
        /// The metric of the decision view (`--metric`).
        #[serde(default = "decision_metric")]
        metric: String,
    },
    /// Which uncertain parameters drive a metric.
    Sensitivity {
        input: Input,
        settings: Settings,
        metric: String,
        by: Option<By>,
        /// Absent in a part written before there was a choice, which was a swing.
        #[serde(default = "swing")]
        method: Method,
    },
    /// A scenario's figures against a targets file.
    Backtest {
        input: Input,
        settings: Settings,
        targets: Input,
    },
    /// A prior scenario's uncertain inputs fitted to a targets file (its trials are the
    /// draws; `settings.trials` is the draws per round).
    Calibrate {
        input: Input,
        settings: Settings,
        targets: Input,
        options: CalibrateOptions,
    },
}

impl Job {
    /// A sweep of `input` over `--vary` specs (`KEY=START:STOP:STEP` or `KEY=V1,V2,...`),
    /// each axis resolved once against the base scenario.
    pub fn sweep(input: Input, settings: Settings, specs: &[&str]) -> Result<Job, JobError> {
        let base = settings.load(&input)?;
        let axes = specs
            .iter()
            .map(|v| AxisLabels::parse(v).map(|labels| Axis::resolve(labels, &base)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(JobError::Input)?;
        crate::sweep::check_distinct(&axes, &base).map_err(JobError::Input)?;
        Ok(Job::Sweep {
            input,
            settings,
            axes,
            metric: decision_metric(),
        })
    }

    /// A comparison of `inputs` (the base first) with the decision view of the default
    /// metric and no per-scenario overrides.
    pub fn compare(inputs: Vec<Input>, settings: Settings) -> Job {
        Job::Compare {
            inputs,
            settings,
            metric: decision_metric(),
            set_for: Vec::new(),
        }
    }

    /// The same comparison or sweep with the decision view of `metric` (other jobs are
    /// returned unchanged; the metric is checked when the job is planned).
    pub fn with_decision_metric(mut self, name: &str) -> Job {
        if let Job::Compare { metric, .. } | Job::Sweep { metric, .. } = &mut self {
            *metric = name.to_string();
        }
        self
    }

    /// The same comparison with `--set-for SCENARIO:KEY=VALUE` overrides: SCENARIO is a
    /// position (0 the base, 1 the first other scenario, as in the `<i>-<stem>.resolved.toml`
    /// files), a file as given, or a file's stem naming exactly one scenario.
    pub fn with_set_for(mut self, specs: &[String]) -> Result<Job, JobError> {
        let Job::Compare {
            inputs, set_for, ..
        } = &mut self
        else {
            return Ok(self);
        };
        for spec in specs {
            let bad = |why: String| {
                JobError::Input(format!("--set-for {}: {why}", crate::format::escape(spec)))
            };
            let (who, set) = spec.split_once(':').filter(|(_, set)| set.contains('=')).ok_or_else(|| {
                bad("expected SCENARIO:KEY=VALUE, where SCENARIO is a position (0 = the base), a file as given or its stem".into())
            })?;
            let stem = |i: &Input| {
                Path::new(&i.origin)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            };
            let index = match who.trim().parse::<usize>() {
                Ok(i) if i < inputs.len() => i,
                Ok(i) => {
                    return Err(bad(format!(
                        "there is no scenario {i}: the positions are 0 (the base) to {}",
                        inputs.len() - 1
                    )));
                }
                Err(_) => {
                    let exact: Vec<usize> = (0..inputs.len())
                        .filter(|&i| inputs[i].origin == who)
                        .collect();
                    let by_stem: Vec<usize> = (0..inputs.len())
                        .filter(|&i| stem(&inputs[i]).as_deref() == Some(who))
                        .collect();
                    match (&exact[..], &by_stem[..]) {
                        ([i], _) | ([], [i]) => *i,
                        ([], []) => {
                            let names: Vec<String> = inputs
                                .iter()
                                .enumerate()
                                .map(|(i, input)| {
                                    format!(
                                        "{i} ({})",
                                        crate::format::escape(&stem(input).unwrap_or_default())
                                    )
                                })
                                .collect();
                            return Err(bad(format!(
                                "no compared scenario is `{}`; expected one of {}",
                                crate::format::escape(who),
                                names.join(", ")
                            )));
                        }
                        _ => {
                            return Err(bad(format!(
                                "`{}` names several compared scenarios; give its position (0 = the base) instead",
                                crate::format::escape(who)
                            )));
                        }
                    }
                }
            };
            // Checked as `--set` checks it.
            Override::parse(set).map_err(JobError::Input)?;
            set_for.push((index, set.to_string()));
        }
        Ok(self)
    }

    /// The run settings of scenario `index` of the job: the command line's, with the
    /// `--set-for` overrides of that scenario of a comparison after its `--set`s.
    pub fn settings_for(&self, index: usize) -> Settings {
        let mut settings = self.settings().clone();
        if let Job::Compare { set_for, .. } = self {
            settings.set.extend(
                set_for
                    .iter()
                    .filter(|(i, _)| *i == index)
                    .map(|(_, s)| s.clone()),
            );
        }
        settings
    }

    /// The scenario inputs, the base first.
    pub fn inputs(&self) -> &[Input] {
        match self {
            Job::Compare { inputs, .. } => inputs,
            Job::Run { input, .. }
            | Job::Precision { input, .. }
            | Job::Sweep { input, .. }
            | Job::Sensitivity { input, .. }
            | Job::Backtest { input, .. }
            | Job::Calibrate { input, .. } => std::slice::from_ref(input),
        }
    }

    /// The command-line run settings.
    pub fn settings(&self) -> &Settings {
        match self {
            Job::Run { settings, .. }
            | Job::Precision { settings, .. }
            | Job::Compare { settings, .. }
            | Job::Sweep { settings, .. }
            | Job::Sensitivity { settings, .. }
            | Job::Backtest { settings, .. }
            | Job::Calibrate { settings, .. } => settings,
        }
    }

    /// The command that runs this job, for messages.
    pub fn command(&self) -> &'static str {
        match self {
            Job::Run { .. } | Job::Precision { .. } => "run",
            Job::Compare { .. } => "compare",
            Job::Sweep { .. } => "sweep",
            Job::Sensitivity { .. } => "sensitivity",
            Job::Backtest { .. } => "backtest",
            Job::Calibrate { .. } => "calibrate",
        }
    }

    /// Loads and checks everything the job needs, before any work starts; stops with
    /// [`JobError::Cancelled`] once the process is [`INTERRUPTED`].
    pub fn plan(&self) -> Result<Plan, JobError> {
        self.plan_until(&INTERRUPTED)
    }

    /// Like [`Job::plan`], but stops with [`JobError::Cancelled`] once `cancel` is set:
    /// building and validating every point of a large sweep grid takes a while.
    pub fn plan_until(&self, cancel: &AtomicBool) -> Result<Plan, JobError> {
        self.check()?;
        Plan::new(self, cancel)
    }

    /// The same job with the inputs' paths blanked: two jobs that differ only in how a
    /// path was spelled (`base.toml`, `./base.toml`) are the same job.
    pub fn without_origins(&self) -> Job {
        let mut job = self.clone();
        let blank = |i: &mut Input| i.origin.clear();
        match &mut job {
            Job::Compare { inputs, .. } => inputs.iter_mut().for_each(blank),
            Job::Run { input, .. }
            | Job::Precision { input, .. }
            | Job::Sweep { input, .. }
            | Job::Sensitivity { input, .. } => blank(input),
            Job::Backtest { input, targets, .. } | Job::Calibrate { input, targets, .. } => {
                blank(input);
                blank(targets);
            }
        }
        job
    }

    /// The checks that the types do not make: a job built in code or read from a part
    /// file has what it needs.
    fn check(&self) -> Result<(), JobError> {
        let bad = |why: &str| Err(JobError::Input(format!("the {} job {why}", self.command())));
        match self {
            Job::Compare { inputs, .. } if inputs.len() < 2 => {
                bad("needs a base and at least one other scenario")
            }
            Job::Sweep { axes, .. }
                if axes.is_empty() || axes.iter().any(|a| !a.is_consistent()) =>
            {
                bad("needs at least one axis, each with at least one value")
            }
            Job::Precision { precision, .. }
                if !(precision.target > 0.0 && precision.target <= 1.0) =>
            {
                bad("needs a precision above 0% and at most 100%")
            }
            _ => Ok(()),
        }
    }
}

/// The metric of a decision view unless `--metric` says otherwise (also of a part written
/// before the decision view).
fn decision_metric() -> String {
    crate::decision::DEFAULT_METRIC.into()
}

/// The method of a sensitivity job written before there was a choice.
fn swing() -> Method {
    Method::Swing
}

/// Set when the process is asked to stop: the command line's Ctrl-C/SIGTERM handler sets it
/// as soon as a command starts. [`Job::plan`] checks it while planning, and the command line
/// passes it as [`Control::cancel`] while the job runs.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How a caller follows and stops a job: a progress callback (household-months done so far)
/// and a cancel flag checked between windows of work.
pub struct Control<'a> {
    pub progress: &'a (dyn Fn(u64) + Sync),
    pub cancel: &'a AtomicBool,
}

impl Control<'_> {
    /// No progress reports, never cancelled.
    pub fn none() -> Control<'static> {
        static NEVER: AtomicBool = AtomicBool::new(false);
        Control {
            progress: &|_| {},
            cancel: &NEVER,
        }
    }
}

/// Why a job did not produce results.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Bad input (arguments, options, a bad combination).
    #[error("{0}")]
    Input(String),
    /// A bad scenario or targets file (every problem found).
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Stopped through [`Control::cancel`].
    #[error("cancelled")]
    Cancelled,
}

impl From<crate::engine::Cancelled> for JobError {
    fn from(_: crate::engine::Cancelled) -> JobError {
        JobError::Cancelled
    }
}

/// Runs a job whole on the current rayon pool: plans it, simulates every trial and
/// returns its results.
pub fn execute(job: &Job, control: &Control) -> Result<Results, JobError> {
    let plan = job.plan_until(control.cancel)?;
    plan.execute(control)
}
