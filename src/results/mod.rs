//! Typed results of every analysis, and the one owner of the results folder.
//!
//! An analysis ([`crate::job`]) returns a [`Results`]: the figures it computed, with the
//! scenario(s) they came from and the facts of the run ([`RunFacts`]). Everything that
//! shows results — CSV files, the stdout tables, JSON, the HTML report, the workbook —
//! consumes this type (see [`crate::export`]); none of them re-derives what it knows.
//! This module also owns the results folder: which files a result consists of
//! ([`files`]), how a folder is published atomically ([`folder`]), and how a folder written
//! earlier is read back into the same typed results for `downstream report DIR`
//! ([`read`]).

pub mod files;
pub mod folder;
pub mod read;
pub mod table;

use crate::backtest::Outcome;
use crate::compare;
use crate::decision::Decision;
use crate::engine::{Layout, RunResult};
use crate::scenario::Scenario;
use crate::scenario::raw::RawRun;
use crate::sensitivity::Analysis;
use crate::stats::{Summary, summarize};
use crate::sweep::{AxisLabels, Best};

/// What a run of the tool was: recorded in the `[run]` table of `scenario.resolved.toml`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFacts {
    pub tool_version: String,
    pub seed: u64,
    pub households: u64,
    pub trials: u64,
    pub threads: usize,
    /// Wall time of the simulation, in seconds (rounded to milliseconds when written).
    pub wall_seconds: f64,
}

impl RunFacts {
    /// The facts of a run of `scenario` on `threads` threads that took `wall` seconds.
    pub fn new(scenario: &Scenario, threads: usize, wall: f64) -> RunFacts {
        let sim = scenario.simulation();
        RunFacts {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            seed: sim.seed,
            households: sim.households,
            trials: sim.trials,
            threads,
            wall_seconds: (wall * 1000.0).round() / 1000.0,
        }
    }

    /// The `[run]` table.
    pub fn raw(&self) -> RawRun {
        RawRun {
            tool_version: Some(self.tool_version.clone()),
            seed: Some(self.seed as i64),
            households: Some(self.households as i64),
            trials: Some(self.trials as i64),
            threads: Some(self.threads as i64),
            wall_seconds: Some(self.wall_seconds),
        }
    }
}

/// Statistics across trials of one run: per scalar over the horizon, per month and per
/// year of every metric.
#[derive(Clone, Debug)]
pub struct RunStats {
    pub layout: Layout,
    /// The simulated months, `YYYY-MM`.
    pub months: Vec<String>,
    /// The calendar years the horizon touches.
    pub years: Vec<i32>,
    /// Per scalar.
    pub summary: Vec<Summary>,
    /// Per scalar: the share of its variance across trials that comes from the household
    /// sample ([`crate::stats::noise_share`]); `NaN` where undefined.
    pub household_noise_share: Vec<f64>,
    /// Per (month, metric), row-major by month.
    pub monthly: Vec<Summary>,
    /// Per (year, metric).
    pub yearly: Vec<Summary>,
}

impl RunStats {
    pub fn new(scenario: &Scenario, run: &RunResult) -> RunStats {
        let l = &run.layout;
        let n = l.len();
        let column = |f: &dyn Fn(&crate::engine::TrialResult) -> f64| -> Summary {
            let values: Vec<f64> = run.trials.iter().map(f).collect();
            summarize(&values)
        };
        let summary: Vec<Summary> = (0..l.scalars.len())
            .map(|j| column(&|t| t.scalars[j]))
            .collect();
        let household_noise_share = summary
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let within: Vec<f64> = run
                    .trials
                    .iter()
                    .map(|t| t.noise.get(j).copied().unwrap_or(f64::NAN))
                    .collect();
                crate::stats::noise_share(&within, s)
            })
            .collect();
        let months = month_labels(scenario);
        let years = year_labels(scenario);
        let monthly = (0..months.len() * n)
            .map(|i| column(&|t| t.monthly[i]))
            .collect();
        let yearly = (0..years.len() * n)
            .map(|i| column(&|t| t.yearly[i]))
            .collect();
        RunStats {
            layout: l.clone(),
            months,
            years,
            summary,
            household_noise_share,
            monthly,
            yearly,
        }
    }

    /// The summary statistics of a scalar by name.
    pub fn scalar(&self, name: &str) -> Option<&Summary> {
        self.layout.scalar_index(name).map(|i| &self.summary[i])
    }

    /// The statistics of metric `metric` in every month.
    pub fn monthly_of(&self, metric: usize) -> impl Iterator<Item = &Summary> {
        self.monthly.iter().skip(metric).step_by(self.layout.len())
    }

    /// The statistics of metric `metric` in every year.
    pub fn yearly_of(&self, metric: usize) -> impl Iterator<Item = &Summary> {
        self.yearly.iter().skip(metric).step_by(self.layout.len())
    }
}

/// The reported months (the whole horizon, or a comparison's common months), `YYYY-MM`.
pub fn month_labels(scenario: &Scenario) -> Vec<String> {
    let w = scenario.reported();
    (0..w.months())
        .map(|m| w.start().plus(m).to_string())
        .collect()
}

/// The calendar years the reported months touch.
pub fn year_labels(scenario: &Scenario) -> Vec<i32> {
    let w = scenario.reported();
    (w.start().year()..=w.end().year()).collect()
}

/// One trial's drawn uncertain parameters and scalars.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRow {
    pub trial: u64,
    /// Per uncertain parameter, in parameter order (see [`RunResults::parameters`]).
    pub draws: Vec<f64>,
    /// Per scalar (see [`Layout::scalars`]).
    pub scalars: Vec<f64>,
}

/// `run`: one scenario.
#[derive(Clone, Debug)]
pub struct RunResults {
    pub scenario: Scenario,
    pub facts: RunFacts,
    pub stats: RunStats,
    /// The keys of the uncertain parameters, the columns of [`TrialRow::draws`].
    pub parameters: Vec<String>,
    pub trials: Vec<TrialRow>,
    /// How `run --precision` ended (`None` for a plain run).
    pub precision: Option<crate::job::PrecisionOutcome>,
}

impl RunResults {
    pub fn new(scenario: Scenario, run: &RunResult, facts: RunFacts) -> RunResults {
        let uncertain: Vec<(usize, String)> = scenario
            .params()
            .iter()
            .filter(|(_, p)| p.is_uncertain())
            .map(|(id, p)| (id.0 as usize, p.key().to_string()))
            .collect();
        let trials = run
            .trials
            .iter()
            .map(|t| TrialRow {
                trial: t.trial,
                draws: uncertain.iter().map(|&(i, _)| t.draws[i]).collect(),
                scalars: t.scalars.clone(),
            })
            .collect();
        RunResults {
            stats: RunStats::new(&scenario, run),
            parameters: uncertain.into_iter().map(|(_, k)| k).collect(),
            scenario,
            facts,
            trials,
            precision: None,
        }
    }
}

/// `sweep`: a grid of points of one scenario.
#[derive(Clone, Debug)]
pub struct SweepResults {
    /// The base scenario (without any point's values).
    pub scenario: Scenario,
    pub facts: RunFacts,
    pub layout: Layout,
    pub axes: Vec<AxisLabels>,
    /// Per point, one value index per axis (the last axis varies fastest).
    pub grid: Vec<Vec<usize>>,
    /// Per point, per scalar: statistics across trials.
    pub points: Vec<Vec<Summary>>,
    /// Per point, per trial: the trial index and its scalars.
    pub trials: Vec<Vec<(u64, Vec<f64>)>>,
    /// Per money scalar: the best point.
    pub best: Vec<Best>,
    /// The decision among the points for one metric, with the value of information
    /// (`decision.csv`, `voi.csv`); `None` in a folder written before them.
    pub decision: Option<Decision>,
}

impl SweepResults {
    pub fn new(
        scenario: Scenario,
        facts: RunFacts,
        axes: Vec<AxisLabels>,
        grid: Vec<Vec<usize>>,
        runs: &[RunResult],
    ) -> SweepResults {
        let layout = runs[0].layout.clone();
        let points = runs
            .iter()
            .map(|r| {
                (0..layout.scalars.len())
                    .map(|j| summarize(&r.scalar(j)))
                    .collect()
            })
            .collect();
        let trials = runs
            .iter()
            .map(|r| {
                r.trials
                    .iter()
                    .map(|t| (t.trial, t.scalars.clone()))
                    .collect()
            })
            .collect();
        SweepResults {
            best: crate::sweep::best_points(runs),
            scenario,
            facts,
            layout,
            axes,
            grid,
            points,
            trials,
            decision: None,
        }
    }

    /// `key=value, ...` of a point.
    pub fn point_label(&self, point: usize) -> String {
        crate::sweep::label(&self.axes, &self.grid[point])
    }
}

/// `compare`: scenarios against the first (the base) on common random numbers.
#[derive(Clone, Debug)]
pub struct CompareResults {
    /// The scenario files as given, base first.
    pub names: Vec<String>,
    pub scenarios: Vec<Scenario>,
    pub facts: RunFacts,
    /// The base's metrics (rows follow its scalars).
    pub layout: Layout,
    /// Over the horizon: per scalar of the base, per scenario.
    pub rows: Vec<compare::Row>,
    /// The calendar years of [`CompareResults::by_year`] (the base's).
    pub years: Vec<i32>,
    /// Per calendar year, per metric of the base, per scenario: the same statistics from
    /// each trial's value in that year (after [`CompareResults::rows`] in `compare.csv`).
    pub by_year: Vec<compare::Row>,
    /// The decision among the scenarios for one metric, with the value of information
    /// (`decision.csv`, `voi.csv`); `None` in a folder written before them.
    pub decision: Option<Decision>,
}

impl CompareResults {
    pub fn new(
        names: Vec<String>,
        scenarios: Vec<Scenario>,
        facts: RunFacts,
        runs: &[RunResult],
    ) -> CompareResults {
        let years: Vec<Vec<i32>> = scenarios.iter().map(year_labels).collect();
        CompareResults {
            rows: compare::rows(&names, runs),
            by_year: compare::yearly_rows(&names, runs, &years),
            years: years.into_iter().next().unwrap_or_default(),
            layout: runs[0].layout.clone(),
            names,
            scenarios,
            facts,
            decision: None,
        }
    }

    /// The row of scenario `i` (0 = the base) for `metric` in `period`. One file may be
    /// compared with itself, so the k-th scenario of a name has the k-th row of that name.
    pub fn row(&self, metric: &str, period: compare::Period, i: usize) -> Option<&compare::Row> {
        let name = self.names.get(i)?;
        let k = self.names[..i].iter().filter(|n| *n == name).count();
        let rows = match period {
            compare::Period::Horizon => &self.rows,
            compare::Period::Year(_) => &self.by_year,
        };
        rows.iter()
            .filter(|r| r.metric == metric && r.period == period && r.scenario == *name)
            .nth(k)
    }

    /// The metrics whose paired differences the reports show year by year: the decision's
    /// metric (the metric behind an NPV), then the device P&L and the net incremental.
    pub fn year_figures(&self) -> Vec<&crate::engine::metrics::MetricDef> {
        let l = &self.layout;
        let decided = self
            .decision
            .as_ref()
            .and_then(|d| l.scalar(&d.metric))
            .and_then(|s| s.metric);
        let mut out: Vec<usize> = Vec::new();
        for m in decided.into_iter().chain([l.device_pnl, l.net_incremental]) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out.into_iter().map(|m| &l.defs[m]).collect()
    }

    /// The horizon rows, then the year rows: every row of `compare.csv`, in order.
    pub fn all_rows(&self) -> impl Iterator<Item = &compare::Row> {
        self.rows.iter().chain(&self.by_year)
    }
}

/// `sensitivity`: which uncertain parameters drive a metric.
#[derive(Clone, Debug)]
pub struct SensitivityResults {
    pub scenario: Scenario,
    pub facts: RunFacts,
    pub analysis: Analysis,
    /// Pinned variants, and how many of them needed their own household simulation.
    pub variants: usize,
    pub simulated: usize,
}

/// `backtest`: a scenario's figures against known ones.
#[derive(Clone, Debug)]
pub struct BacktestResults {
    pub scenario: Scenario,
    pub facts: RunFacts,
    pub outcomes: Vec<Outcome>,
}

impl BacktestResults {
    /// Required (not informational) targets, and how many of them were missed.
    pub fn missed(&self) -> (usize, usize) {
        let required: Vec<_> = self
            .outcomes
            .iter()
            .filter(|o| !o.target.informational)
            .collect();
        (required.iter().filter(|o| !o.hit).count(), required.len())
    }
}

/// `calibrate`: a prior scenario's uncertain inputs fitted to a targets file.
#[derive(Clone, Debug)]
pub struct CalibrateResults {
    /// The prior scenario (as run: its draws are round 0).
    pub scenario: Scenario,
    pub facts: RunFacts,
    /// The prior scenario and targets files as given.
    pub prior_file: String,
    pub targets_file: String,
    pub posterior: crate::calibrate::Posterior,
    /// `calibrated.toml`: the prior's text with the fitted distributions (validated).
    pub calibrated: String,
}

/// The results of any analysis.
#[derive(Clone, Debug)]
pub enum Results {
    Run(RunResults),
    Sweep(SweepResults),
    Compare(CompareResults),
    Sensitivity(SensitivityResults),
    Backtest(BacktestResults),
    Calibrate(CalibrateResults),
}

impl Results {
    /// The facts of the run that produced the results.
    pub fn facts(&self) -> &RunFacts {
        match self {
            Results::Run(r) => &r.facts,
            Results::Sweep(r) => &r.facts,
            Results::Compare(r) => &r.facts,
            Results::Sensitivity(r) => &r.facts,
            Results::Backtest(r) => &r.facts,
            Results::Calibrate(r) => &r.facts,
        }
    }

    /// The (first) scenario of the results.
    pub fn scenario(&self) -> &Scenario {
        match self {
            Results::Run(r) => &r.scenario,
            Results::Sweep(r) => &r.scenario,
            Results::Compare(r) => &r.scenarios[0],
            Results::Sensitivity(r) => &r.scenario,
            Results::Backtest(r) => &r.scenario,
            Results::Calibrate(r) => &r.scenario,
        }
    }
}
