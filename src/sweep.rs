//! Sweeps: a grid of parameter values run on common random numbers.
//!
//! `--vary KEY=START:STOP:STEP` or `--vary KEY=V1,V2,...` defines an axis; several axes make
//! a full grid. Points are built from an index (`start + i * step`, rounded to the inputs'
//! decimals) so that values do not drift, and each point is the scenario with `--set
//! KEY=VALUE` applied, so a point is exactly a plain run with that value. The engine runs
//! all points together ([`crate::engine::run_points`]), sharing work where the varied key
//! allows. This module turns the per-point results into `sweep.csv`, `sweep_trials.csv`,
//! `sweep_best.csv` and the printed best points.

use crate::engine::RunResult;
use crate::scenario::{Scenario, Target};
use crate::stats::{self, summarize, tied};

/// Most points in a grid (a user can split a larger study into several sweeps).
pub const MAX_GRID: usize = 100_000;

/// One `--vary` axis: a key and its values as TOML text.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AxisLabels {
    pub key: String,
    pub values: Vec<String>,
}

fn decimals(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap_or(s);
    mantissa.split_once('.').map_or(0, |(_, d)| d.len())
}

/// The first value (in order) that repeats an earlier one, with that earlier one: equal
/// numbers however written (`1`, `+1`, `1.0`; `-0` and `0`), else the same text. Sorting
/// keeps it O(n log n) for the largest grids.
fn first_repeat(values: &[String]) -> Option<(&str, &str)> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Same<'a> {
        Number(u64),
        Text(&'a str),
    }
    fn same(v: &str) -> Same<'_> {
        match v.parse::<f64>() {
            // `+ 0.0` turns -0 into 0; NaN never equals itself, so it is compared as text.
            Ok(x) if !x.is_nan() => Same::Number((x + 0.0).to_bits()),
            _ => Same::Text(v),
        }
    }
    let mut order: Vec<(Same, usize)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (same(v), i))
        .collect();
    order.sort();
    order
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| (w[0].1, w[1].1))
        .min_by_key(|&(_, later)| later)
        .map(|(a, b)| (values[a].as_str(), values[b].as_str()))
}

impl AxisLabels {
    /// Parses `KEY=START:STOP:STEP` or `KEY=V1,V2,...`.
    pub fn parse(spec: &str) -> Result<AxisLabels, String> {
        let err = |why: String| format!("--vary {}: {why}", crate::format::escape(spec));
        let (key, values) = spec
            .split_once('=')
            .ok_or_else(|| err("expected KEY=START:STOP:STEP or KEY=V1,V2,...".into()))?;
        let key = key.trim().to_string();
        crate::scenario::path::check_key(&key).map_err(err)?;
        let values = values.trim();
        let parts: Vec<&str> = values.split(':').collect();
        let values = if parts.len() == 3 {
            let number = |s: &str, what: &str| -> Result<f64, String> {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| err(format!("{what} `{s}` is not a finite number")))
            };
            let (start, stop, step) = (
                number(parts[0], "start")?,
                number(parts[1], "stop")?,
                number(parts[2], "step")?,
            );
            if step == 0.0 {
                return Err(err("the step must not be 0".into()));
            }
            if (stop - start) * step < 0.0 {
                return Err(err(format!(
                    "the step {step} goes away from the stop: from {start} to {stop} it must be {}",
                    if stop > start { "positive" } else { "negative" }
                )));
            }
            let count = ((stop - start) / step + 1e-9).floor() + 1.0;
            if count > MAX_GRID as f64 {
                return Err(err(format!(
                    "{count} points is more than the {MAX_GRID} a sweep allows"
                )));
            }
            let places = decimals(parts[0]).max(decimals(parts[2])) as i32;
            let scale = 10f64.powi(places);
            (0..count as usize)
                .map(|i| {
                    let x = start + i as f64 * step;
                    let x = if places > 0 && places < 15 {
                        (x * scale).round() / scale
                    } else {
                        x
                    };
                    format!("{x}")
                })
                .collect()
        } else if parts.len() == 1 {
            values
                .split(',')
                .map(|v| v.trim().to_string())
                .collect::<Vec<_>>()
        } else {
            return Err(err(
                "expected START:STOP:STEP (three numbers) or a comma-separated list".into(),
            ));
        };
        if values.is_empty() || values.iter().any(String::is_empty) {
            return Err(err("expected at least one value and no empty ones".into()));
        }
        // The values label the rows of sweep.csv and the printed best points.
        if let Some(why) = values
            .iter()
            .find_map(|v| crate::scenario::hidden_text("values", v))
        {
            return Err(err(why));
        }
        // Two labels of one value would be two rows of one point, told apart by spelling.
        if let Some((a, b)) = first_repeat(&values) {
            let spelled = if a == b {
                String::new()
            } else {
                format!(
                    " (as {} and {})",
                    crate::format::escape(a),
                    crate::format::escape(b)
                )
            };
            return Err(err(format!(
                "the value {} is given twice{spelled}; give each value once",
                crate::format::escape(b)
            )));
        }
        Ok(AxisLabels { key, values })
    }
}

/// One axis of a sweep job: the key and values as given, resolved once against the base
/// scenario. A key that names a model parameter (or a per-year table, or one year of it)
/// with values that are all plain numbers has its [`Target`] and numbers: its points are
/// the base scenario with that value replaced ([`Scenario::with_values`]), validated by the
/// same rules as a file without parsing anything again. Other keys (a month, a switch)
/// are set like `--set KEY=VALUE`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub labels: AxisLabels,
    pub target: Option<Target>,
    /// The values as numbers, when every value is one.
    pub numbers: Option<Vec<f64>>,
}

impl Axis {
    /// Resolves an axis against the base scenario.
    pub fn resolve(labels: AxisLabels, scenario: &Scenario) -> Axis {
        let numbers: Option<Vec<f64>> = labels
            .values
            .iter()
            .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect();
        let target = numbers
            .as_ref()
            .and_then(|_| scenario.target(&labels.key).ok());
        Axis {
            numbers: numbers.filter(|_| target.is_some()),
            target,
            labels,
        }
    }

    /// Whether the axis has values, and numbers for each when typed (a job read from a
    /// part file is checked before it runs).
    pub fn is_consistent(&self) -> bool {
        let n = self.labels.values.len();
        n > 0 && self.numbers.as_ref().is_none_or(|x| x.len() == n)
    }

    /// The typed value of point index `i`, if the axis is typed.
    pub fn typed(&self, i: usize) -> Option<(&Target, f64)> {
        Some((self.target.as_ref()?, self.numbers.as_ref()?[i]))
    }
}

/// Refuses two axes that vary the same thing: the same key twice, or two spellings of one
/// parameter (`device.dot.price` and `device.dot.price.2020` when the price is one value
/// from 2020; a per-year table and one of its years). Either would label the rows of
/// `sweep.csv` with values that were not the ones simulated.
pub fn check_distinct(axes: &[Axis], base: &Scenario) -> Result<(), String> {
    let targets: Vec<Option<Target>> = axes
        .iter()
        .map(|a| a.target.clone().or_else(|| base.target(&a.labels.key).ok()))
        .collect();
    for (j, b) in axes.iter().enumerate() {
        for (i, a) in axes[..j].iter().enumerate() {
            let (ka, kb) = (&a.labels.key, &b.labels.key);
            if ka == kb {
                return Err(format!(
                    "--vary {}: the key is given to --vary twice; give each key one --vary with all its values",
                    crate::format::escape(kb)
                ));
            }
            if let (Some(x), Some(y)) = (&targets[i], &targets[j])
                && x.overlaps(y)
            {
                return Err(format!(
                    "--vary {}: sets the same parameter as --vary {}; give each parameter one --vary with all its values",
                    crate::format::escape(kb),
                    crate::format::escape(ka)
                ));
            }
        }
    }
    Ok(())
}

/// All points of the grid, as one value index per axis (the last axis varies fastest).
pub fn grid(axes: &[AxisLabels]) -> Result<Vec<Vec<usize>>, String> {
    let total = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_GRID {
        return Err(format!(
            "the grid has {total} points; a sweep allows at most {MAX_GRID}"
        ));
    }
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                (0..axis.values.len()).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// The best point of a money metric and how sure we are of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    pub metric: String,
    /// The points with the best mean, in point order: one, or several whose means tie.
    /// Empty when every point gives the same value in every trial (the metric does not
    /// depend on the varied keys): then no point is better than another.
    pub points: Vec<usize>,
    /// Mean, p05 and p95 of the first of [`Best::points`] (NaN when there is none).
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
    /// Per point: the share of trials in which it alone is the best. A trial in which
    /// several points tie for the best credits none of them ([`crate::stats::share_best`]);
    /// `None` when no trial has a single best point.
    pub share_best: Option<Vec<f64>>,
}

impl Best {
    /// The first point with the best mean; `None` when the metric is the same everywhere.
    pub fn point(&self) -> Option<usize> {
        self.points.first().copied()
    }

    /// The share of trials in which point `k` alone is the best, if any trial has one.
    pub fn share_of(&self, k: usize) -> Option<f64> {
        self.share_best.as_ref().map(|s| s[k])
    }
}

/// Best points of every money scalar, by mean, with the distribution of the per-trial best.
pub fn best_points(runs: &[RunResult]) -> Vec<Best> {
    let l = &runs[0].layout;
    let trials = runs[0].trials.len();
    let money: Vec<(usize, &crate::engine::metrics::ScalarDef)> = l
        .scalars
        .iter()
        .enumerate()
        .filter(|(_, d)| d.money())
        .collect();
    money
        .into_iter()
        .map(|(j, def)| {
            let better = |a: f64, b: f64| def.better.better(a, b);
            let value = |k: usize, t: usize| runs[k].trials[t].scalars[j];
            let stats: Vec<_> = runs.iter().map(|r| summarize(&r.scalar(j))).collect();
            let same = (0..trials).all(|t| (1..runs.len()).all(|k| tied(value(k, t), value(0, t))));
            let points = if same {
                Vec::new()
            } else {
                let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
                stats::best(&means, better)
            };
            let first = points.first().map(|&k| stats[k]);
            Best {
                metric: def.name.clone(),
                mean: first.map_or(f64::NAN, |s| s.mean),
                p05: first.map_or(f64::NAN, |s| s.p05),
                p95: first.map_or(f64::NAN, |s| s.p95),
                // One point alone is not better than anything: the same as itself.
                share_best: (!same)
                    .then(|| stats::share_best(runs.len(), trials, value, better))
                    .flatten(),
                points,
            }
        })
        .collect()
}

pub fn label(axes: &[AxisLabels], point: &[usize]) -> String {
    axes.iter()
        .zip(point)
        .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_given_twice_is_found_however_it_is_written() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(first_repeat(&v(&["1", "2", "+1"])), Some(("1", "+1")));
        assert_eq!(first_repeat(&v(&["-0", "0.0"])), Some(("-0", "0.0")));
        assert_eq!(first_repeat(&v(&["a", "b", "b", "a"])), Some(("b", "b")));
        assert_eq!(first_repeat(&v(&["1", "1.5", "true", "\"1\""])), None);
    }

    #[test]
    fn ranges_are_built_from_an_index() {
        let a = AxisLabels::parse("premium.price_month=1:25:1").unwrap();
        assert_eq!(a.values.len(), 25);
        assert_eq!(a.values[0], "1");
        assert_eq!(a.values[24], "25");
        let a = AxisLabels::parse("x=0.1:0.7:0.1").unwrap();
        assert_eq!(a.values, ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);
        let a = AxisLabels::parse("x=5:1:-2").unwrap();
        assert_eq!(a.values, ["5", "3", "1"]);
        let a = AxisLabels::parse("premium.launch=\"2024-07\",\"2025-01\"").unwrap();
        assert_eq!(a.values.len(), 2);
    }

    #[test]
    fn bad_ranges_are_rejected() {
        assert!(
            AxisLabels::parse("x=1:5:0")
                .unwrap_err()
                .contains("must not be 0")
        );
        assert!(
            AxisLabels::parse("x=1:5:-1")
                .unwrap_err()
                .contains("positive")
        );
        assert!(
            AxisLabels::parse("x=5:1:1")
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            AxisLabels::parse("x=0:1e6:1")
                .unwrap_err()
                .contains("more than")
        );
        assert!(AxisLabels::parse("x=a:b:c").is_err());
        assert!(AxisLabels::parse("x=1:2").is_err());
        assert!(AxisLabels::parse("x=1,,2").is_err());
        assert!(AxisLabels::parse("novalue").is_err());
    }

    #[test]
    fn grids_are_full_and_bounded() {
        let a = AxisLabels::parse("a=1,2,3").unwrap();
        let b = AxisLabels::parse("b=1,2").unwrap();
        let g = grid(&[a.clone(), b]).unwrap();
        assert_eq!(
            g,
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![1, 0],
                vec![1, 1],
                vec![2, 0],
                vec![2, 1]
            ]
        );
        let big = AxisLabels::parse("c=1:1000:1").unwrap();
        assert!(grid(&[big.clone(), big]).unwrap_err().contains("at most"));
    }
}
