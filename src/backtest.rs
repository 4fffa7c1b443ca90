//! Backtests: checking a scenario's simulated figures against known ones.
//!
//! A targets file lists figures to hit, each with a metric (or a sum of metrics, or a ratio
//! of two such sums, or an input parameter), a period (a calendar year, a month, or the
//! horizon; optionally cumulative from the start), the statistic across trials (p50 by
//! default) and an accepted band, plus its source, an optional display `label` and `note`,
//! and `informational = true` for a figure kept for comparison that does not decide the
//! exit status (e.g. one that covers more of the business than the model does):
//!
//! ```toml
//! [[target]]
//! id = "T2"
//! metric = "device_pnl"
//! year = 2019
//! low = -8.0e9
//! high = -5.5e9
//! source = "WSJ 2024-07-22"
//! ```
//!
//! Two keys are for `calibrate` only (backtest ignores them): `error = "normal"` (default)
//! or `"uniform"`, how the band is read as a measurement error, and `sd`, the standard
//! deviation of a normal error (default: the band as its central 90% interval); see
//! [`Measurement`].
//!
//! The file goes through the same two stages as a scenario: raw serde structs (unknown keys
//! are errors), then validation against the scenario (unknown metrics, periods outside the
//! horizon, inverted bands), every problem located by file, line and key.

use serde::Deserialize;

use crate::engine::RunResult;
use crate::export::csv::num;
use crate::scenario::error::{deserialize_file, nearest, place_in_file};
use crate::scenario::{Issue, KeyPath, ParamId, Scenario, ScenarioError, YearMonth};
use crate::stats::{Summary, summarize};

/// A backtest targets file: `[[target]]` tables (its JSON Schema, `downstream schema
/// --targets`, is derived from these raw types).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "downstream backtest targets",
    description = "Known figures a scenario's simulated ones are checked against by `downstream backtest` (see README \"Commands\" and docs/calibration.md)."
)]
pub(crate) struct RawTargets {
    /// One known figure: what (metric, sum of metrics, ratio or input parameter), when
    /// (horizon, year, month or cumulative), which statistic, and the accepted band.
    target: Vec<RawTarget>,
}

/// One metric name or several to be summed.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<&str> {
        match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    /// A short unique identifier, shown in the table and backtest.csv (e.g. "T1").
    id: String,
    /// The metric checked (a row of summary.csv or a per-period metric), or a list of
    /// metrics whose sum is checked. Give `metric` or `param`.
    metric: Option<Names>,
    /// With `metric`: divide by this metric (or the sum of these), e.g. a share.
    per: Option<Names>,
    /// Instead of `metric`: the dotted key of an input parameter, checked as drawn.
    param: Option<String>,
    /// The calendar year of the figure (flows summed over the year, levels at its end).
    year: Option<i64>,
    /// The month of the figure, "YYYY-MM".
    month: Option<String>,
    /// With `year` or `month`: the total from the start of the horizon up to it.
    cumulative: Option<bool>,
    /// The statistic across trials that must fall in the band: mean, p05, p50 (default)
    /// or p95.
    statistic: Option<String>,
    /// Lowest accepted value (in the metric's unit: dollars, counts, shares).
    low: f64,
    /// Highest accepted value.
    high: f64,
    /// Where the known figure comes from.
    source: String,
    /// Short text shown instead of the metric names.
    label: Option<String>,
    /// Shown and written, but does not decide the exit status (a figure that covers more
    /// than the model, kept for comparison).
    informational: Option<bool>,
    /// A note for readers of the file; accepted and not used.
    #[allow(dead_code)]
    note: Option<String>,
    /// How `calibrate` reads the band: "normal" (default) or "uniform".
    error: Option<String>,
    /// `calibrate`: the standard deviation of a normal measurement error.
    sd: Option<f64>,
}

/// How `calibrate` reads a target's band as a measurement error (the likelihood of a
/// simulated value `x`); `backtest` ignores it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measurement {
    /// A normal error with this standard deviation around the band's middle; by default
    /// the band is its central 90% interval, `sd = (high - low) / (2 * 1.645)`.
    Normal { sd: f64 },
    /// Inside the band or not (the rejection reading of approximate Bayesian computation).
    Uniform,
}

impl Measurement {
    /// The values of a target's `error` key, the default first.
    pub const NAMES: [&str; 2] = ["normal", "uniform"];
}

/// The standard normal 95% quantile: a band read as a central 90% interval has
/// half-width `NORMAL_90 * sd`.
pub const NORMAL_90: f64 = 1.6448536269514722;

/// The statistic across trials a target is checked on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Mean,
    P05,
    P50,
    P95,
}

impl Statistic {
    /// Every statistic (what `downstream schema --targets` lists for `statistic`).
    pub const ALL: [Statistic; 4] = [
        Statistic::Mean,
        Statistic::P05,
        Statistic::P50,
        Statistic::P95,
    ];

    fn of(self, s: &Summary) -> f64 {
        match self {
            Statistic::Mean => s.mean,
            Statistic::P05 => s.p05,
            Statistic::P50 => s.p50,
            Statistic::P95 => s.p95,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::P05 => "p05",
            Statistic::P50 => "p50",
            Statistic::P95 => "p95",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Period {
    Horizon,
    /// Calendar-year index from the first simulated year.
    Year(usize),
    Month(usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Quantity {
    /// Sum of metric columns (or of scalar indices, for the horizon), optionally divided by
    /// another sum.
    Metrics {
        num: Vec<usize>,
        den: Option<Vec<usize>>,
    },
    Param(ParamId),
}

/// One validated target.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub id: String,
    /// What is measured, as written (`device_pnl`, `a / b`, `param ecosystem.uplift`).
    pub what: String,
    /// The period, as written (`2019`, `2019-06`, `horizon`, `through 2018`).
    pub period_label: String,
    pub statistic: Statistic,
    pub low: f64,
    pub high: f64,
    pub source: String,
    /// Reported but not required (does not decide the exit status); `calibrate` reports
    /// it and does not fit it.
    pub informational: bool,
    /// How `calibrate` reads the band.
    pub error: Measurement,
    quantity: Quantity,
    period: Period,
    cumulative: bool,
}

/// A target's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub target: Target,
    pub summary: Summary,
    pub value: f64,
    pub hit: bool,
}

/// Reads and validates a targets file against a scenario.
pub fn load(path: &std::path::Path, scenario: &Scenario) -> Result<Vec<Target>, ScenarioError> {
    let origin = path.display().to_string();
    let text = crate::scenario::error::read_source(path)?;
    parse(&origin, &text, scenario)
}

/// Parses and validates targets text against a scenario, reporting every problem.
pub fn parse(origin: &str, text: &str, scenario: &Scenario) -> Result<Vec<Target>, ScenarioError> {
    let raw: RawTargets = deserialize_file(origin, text, "one or more [[target]] tables")?;
    let mut c = Checker {
        scenario,
        layout: crate::engine::Layout::new(scenario),
        issues: Vec::new(),
    };
    let mut targets = Vec::new();
    for (i, t) in raw.target.iter().enumerate() {
        let p = KeyPath::root().key("target").index(i, None);
        let band = c.band(&p, t);
        let statistic = c.statistic(&p, t);
        let period = c.period(&p, t);
        let cumulative = t.cumulative.unwrap_or(false);
        // A bad year is still looked up per period, a bad month or both over the horizon.
        let horizon = match &period {
            Some((period, _)) => *period == Period::Horizon,
            None => !(t.year.is_some() && t.month.is_none()),
        };
        let quantity = c.quantity(&p, t, horizon);
        let error = c.measurement(&p, t);
        let (Some(()), Some(statistic), Some((period, label)), Some((quantity, what)), Some(error)) =
            (band, statistic, period, quantity, error)
        else {
            continue;
        };
        let period_label = if cumulative && period != Period::Horizon {
            format!("start to {label}")
        } else {
            label
        };
        targets.push(Target {
            id: t.id.clone(),
            what: t.label.clone().unwrap_or(what),
            period_label,
            statistic,
            low: t.low,
            high: t.high,
            source: t.source.clone(),
            informational: t.informational.unwrap_or(false),
            error,
            quantity,
            period,
            cumulative,
        });
    }
    if c.issues.is_empty() {
        Ok(targets)
    } else {
        Err(ScenarioError::new(
            c.issues
                .into_iter()
                .map(|i| place_in_file(origin, text, i))
                .collect(),
        ))
    }
}

/// Validation of one targets file: each check records its problems and returns `None`
/// when the target cannot be used.
struct Checker<'a> {
    scenario: &'a Scenario,
    layout: crate::engine::Layout,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    fn issue(&mut self, path: KeyPath, value: Option<String>, message: String) {
        self.issues.push(Issue {
            path,
            value,
            message,
            at_key: false,
        });
    }

    fn band(&mut self, p: &KeyPath, t: &RawTarget) -> Option<()> {
        if !(t.low.is_finite() && t.high.is_finite()) || t.low > t.high {
            let message = format!(
                "expected a band with low <= high, both finite; low is {}",
                num(t.low)
            );
            self.issue(p.key("high"), Some(num(t.high)), message);
            return None;
        }
        Some(())
    }

    /// The measurement error `calibrate` reads the band as: `error` is "normal" (default,
    /// with the target's own `sd` or the band as a central 90% interval) or "uniform"
    /// (no `sd`).
    fn measurement(&mut self, p: &KeyPath, t: &RawTarget) -> Option<Measurement> {
        let sd = match t.sd {
            Some(sd) if !(sd.is_finite() && sd > 0.0) => {
                let message = "expected a standard deviation > 0 (finite)".into();
                self.issue(p.key("sd"), Some(num(sd)), message);
                return None;
            }
            sd => sd,
        };
        match (t.error.as_deref(), sd) {
            (None | Some("normal"), Some(sd)) => Some(Measurement::Normal { sd }),
            // A bad band is reported by `band`.
            (None | Some("normal"), None)
                if !(t.low.is_finite() && t.high.is_finite()) || t.low > t.high =>
            {
                None
            }
            (None | Some("normal"), None) => {
                let sd = (t.high - t.low) / (2.0 * NORMAL_90);
                if sd > 0.0 && sd.is_finite() {
                    Some(Measurement::Normal { sd })
                } else {
                    let message = "a band of zero width read as a normal error needs its own `sd` (or `error = \"uniform\"`)".into();
                    self.issue(p.key("high"), Some(num(t.high)), message);
                    None
                }
            }
            (Some("uniform"), None) => Some(Measurement::Uniform),
            (Some("uniform"), Some(sd)) => {
                let message =
                    "`sd` is for a normal error; a uniform error is the band itself".into();
                self.issue(p.key("sd"), Some(num(sd)), message);
                None
            }
            (Some(other), _) => {
                let message = "expected \"normal\" or \"uniform\"".into();
                self.issue(p.key("error"), Some(format!("{other:?}")), message);
                None
            }
        }
    }

    fn statistic(&mut self, p: &KeyPath, t: &RawTarget) -> Option<Statistic> {
        let name = t.statistic.as_deref().unwrap_or("p50");
        match Statistic::ALL.into_iter().find(|s| s.name() == name) {
            Some(s) => Some(s),
            None => {
                let other = name;
                let message = "expected one of mean, p05, p50, p95".into();
                self.issue(p.key("statistic"), Some(format!("{other:?}")), message);
                None
            }
        }
    }

    /// The period and its label as written.
    fn period(&mut self, p: &KeyPath, t: &RawTarget) -> Option<(Period, String)> {
        let start = self.scenario.start();
        let first_year = start.year();
        let last = start.plus(self.scenario.months() - 1);
        match (t.year, &t.month) {
            (Some(_), Some(_)) => {
                let message = "give either `year` or `month`, not both".into();
                self.issue(p.key("month"), None, message);
                None
            }
            (Some(y), None) => {
                if y < first_year as i64 || y > last.year() as i64 {
                    let message = format!(
                        "expected a year within the horizon {first_year} to {}",
                        last.year()
                    );
                    self.issue(p.key("year"), Some(y.to_string()), message);
                    return None;
                }
                Some((
                    Period::Year((y - first_year as i64) as usize),
                    y.to_string(),
                ))
            }
            (None, Some(m)) => match YearMonth::parse(m) {
                Some(ym)
                    if (0..self.scenario.months() as i64).contains(&start.months_until(ym)) =>
                {
                    Some((Period::Month(start.months_until(ym) as usize), m.clone()))
                }
                _ => {
                    let message = format!(
                        "expected a month \"YYYY-MM\" within the horizon {start} to {last}"
                    );
                    self.issue(p.key("month"), Some(format!("{m:?}")), message);
                    None
                }
            },
            (None, None) => Some((Period::Horizon, "horizon".into())),
        }
    }

    /// The metrics of `names`: scalars over the horizon, else per-period metrics.
    fn metrics(
        &mut self,
        p: &KeyPath,
        names: &Names,
        key: &str,
        horizon: bool,
    ) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        for name in names.list() {
            let found = if horizon {
                self.layout.scalar_index(name)
            } else {
                self.layout.index_of(name)
            };
            if let Some(j) = found {
                out.push(j);
                continue;
            }
            let known: Vec<&str> = if horizon {
                self.layout.scalar_names().collect()
            } else {
                self.layout.defs.iter().map(|d| d.name.as_str()).collect()
            };
            let mut message = "unknown metric of this scenario".to_string();
            if let Some(best) = nearest(name, &known) {
                message.push_str(&format!(" (did you mean `{best}`?)"));
            }
            message.push_str("; see the metric list in README.md");
            self.issue(p.key(key), Some(format!("{name:?}")), message);
            return None;
        }
        Some(out)
    }

    /// What is measured and its description; metrics are scalars over the horizon, else
    /// per-period metrics.
    fn quantity(
        &mut self,
        p: &KeyPath,
        t: &RawTarget,
        horizon: bool,
    ) -> Option<(Quantity, String)> {
        match (&t.metric, &t.param) {
            (Some(metric), None) => {
                let num = self.metrics(p, metric, "metric", horizon);
                let den = t
                    .per
                    .as_ref()
                    .map(|per| self.metrics(p, per, "per", horizon));
                let what = metric.list().join(" + ");
                match (num, den) {
                    (Some(num), None) => Some((Quantity::Metrics { num, den: None }, what)),
                    (Some(num), Some(Some(den))) => {
                        let per = t
                            .per
                            .as_ref()
                            .map(|d| d.list().join(" + "))
                            .unwrap_or_default();
                        Some((
                            Quantity::Metrics {
                                num,
                                den: Some(den),
                            },
                            format!("{what} / {per}"),
                        ))
                    }
                    _ => None,
                }
            }
            (None, Some(param)) => {
                let params = self.scenario.params();
                if let Some((id, _)) = params.iter().find(|(_, q)| q.key() == param) {
                    return Some((Quantity::Param(id), format!("param {param}")));
                }
                let keys: Vec<&str> = params.iter().map(|(_, q)| q.key()).collect();
                let mut message = "unknown parameter of this scenario".to_string();
                if let Some(best) = nearest(param, &keys) {
                    message.push_str(&format!(" (did you mean `{best}`?)"));
                }
                self.issue(p.key("param"), Some(format!("{param:?}")), message);
                None
            }
            _ => {
                let message =
                    "give exactly one of `metric` (optionally with `per`) or `param`".into();
                self.issue(p.clone(), None, message);
                None
            }
        }
    }
}

/// The value of target `t` in every trial of a run, in trial order: each trial's own
/// figures (the ratio is undefined, NaN, where its denominator is 0).
pub fn values(scenario: &Scenario, t: &Target, run: &RunResult) -> Vec<f64> {
    let n = run.layout.len();
    let first_month = scenario.start().month() as usize - 1;
    run.trials
        .iter()
        .map(|trial| match &t.quantity {
            Quantity::Param(id) => trial.draws[id.0 as usize],
            Quantity::Metrics { num, den } => {
                let sum = |cols: &[usize]| -> f64 {
                    cols.iter()
                        .map(|&j| match (&t.period, t.cumulative) {
                            (Period::Horizon, _) => trial.scalars[j],
                            (Period::Year(y), false) => trial.yearly[y * n + j],
                            (Period::Month(m), false) => trial.monthly[m * n + j],
                            (Period::Year(y), true) => {
                                let end =
                                    ((y + 1) * 12 - first_month).min(scenario.months() as usize);
                                (0..end).map(|m| trial.monthly[m * n + j]).sum()
                            }
                            (Period::Month(m), true) => {
                                (0..=*m).map(|k| trial.monthly[k * n + j]).sum()
                            }
                        })
                        .sum()
                };
                let x = sum(num);
                match den {
                    None => x,
                    Some(d) => {
                        let y = sum(d);
                        if y != 0.0 { x / y } else { f64::NAN }
                    }
                }
            }
        })
        .collect()
}

/// Evaluates targets on a run.
pub fn evaluate(scenario: &Scenario, targets: &[Target], run: &RunResult) -> Vec<Outcome> {
    targets
        .iter()
        .map(|t| {
            let values = values(scenario, t, run);
            let summary = summarize(&values);
            let value = t.statistic.of(&summary);
            let hit = value.is_finite() && value >= t.low && value <= t.high;
            Outcome {
                target: t.clone(),
                summary,
                value,
                hit,
            }
        })
        .collect()
}
