//! Sweeps: a grid of parameter values run on common random numbers.
//!
//! `--vary KEY=START:STOP:STEP` or `--vary KEY=V1,V2,...` defines an axis; several axes make
//! a full grid. Points are built from an index (`start + i * step`, rounded to the inputs'
//! decimals) so that values do not drift, and each point is the scenario with `--set
//! KEY=VALUE` applied, so a point is exactly a plain run with that value. The engine runs
//! all points together ([`crate::engine::run_points`]), sharing work where the varied key
//! allows. This module turns the per-point results into `sweep.csv`, `sweep_trials.csv`,
//! `sweep_best.csv` and the printed best points.

use std::fmt::Write as _;

use crate::engine::RunResult;
use crate::output::{num, safe_text};
use crate::stats::summarize;

/// Most points in a grid (a user can split a larger study into several sweeps).
pub const MAX_GRID: usize = 100_000;

/// One `--vary` axis: a key and its values as TOML text.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

fn decimals(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap_or(s);
    mantissa.split_once('.').map_or(0, |(_, d)| d.len())
}

impl Axis {
    /// Parses `KEY=START:STOP:STEP` or `KEY=V1,V2,...`.
    pub fn parse(spec: &str) -> Result<Axis, String> {
        let err = |why: String| format!("--vary {spec}: {why}");
        let (key, values) = spec
            .split_once('=')
            .ok_or_else(|| err("expected KEY=START:STOP:STEP or KEY=V1,V2,...".into()))?;
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(err("expected a dotted key before `=`".into()));
        }
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
        Ok(Axis { key, values })
    }
}

/// All points of the grid, as one value index per axis (the last axis varies fastest).
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<usize>>, String> {
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
    /// Point with the best mean.
    pub point: usize,
    pub mean: f64,
    pub p05: f64,
    pub p95: f64,
    /// Per point: the share of trials in which it is the best point.
    pub share_best: Vec<f64>,
    /// False when every point gives the same value in every trial (the metric does not
    /// depend on the varied keys); then no point is better than another.
    pub varies: bool,
}

/// Best points of every money scalar, by mean, with the distribution of the per-trial best.
pub fn best_points(runs: &[RunResult]) -> Vec<Best> {
    let l = &runs[0].layout;
    let trials = runs[0].trials.len();
    let money: Vec<(usize, &crate::engine::metrics::ScalarDef)> =
        l.scalars.iter().enumerate().filter(|(_, d)| d.money()).collect();
    money
        .into_iter()
        .map(|(j, def)| {
            let better = |a: f64, b: f64| def.better.better(a, b);
            let stats: Vec<_> = runs.iter().map(|r| summarize(&r.scalar(j))).collect();
            let mut point = 0;
            for (k, s) in stats.iter().enumerate() {
                if better(s.mean, stats[point].mean) {
                    point = k;
                }
            }
            let varies = runs.iter().any(|r| {
                r.trials
                    .iter()
                    .zip(&runs[0].trials)
                    .any(|(a, b)| a.scalars[j].to_bits() != b.scalars[j].to_bits())
            });
            let mut wins = vec![0usize; runs.len()];
            for t in 0..trials {
                let mut best = 0;
                for (k, r) in runs.iter().enumerate() {
                    if better(r.trials[t].scalars[j], runs[best].trials[t].scalars[j]) {
                        best = k;
                    }
                }
                wins[best] += 1;
            }
            Best {
                metric: def.name.clone(),
                point,
                mean: stats[point].mean,
                p05: stats[point].p05,
                p95: stats[point].p95,
                share_best: wins.iter().map(|&w| w as f64 / trials as f64).collect(),
                varies,
            }
        })
        .collect()
}

fn point_cells(axes: &[Axis], point: &[usize]) -> Vec<String> {
    axes.iter()
        .zip(point)
        .map(|(a, &i)| safe_text(&a.values[i]))
        .collect()
}

/// `sweep.csv`: one row per point, the varied values, then mean/p05/p50/p95 of every scalar.
pub fn sweep_csv(
    axes: &[Axis],
    points: &[Vec<usize>],
    runs: &[RunResult],
) -> Result<Vec<u8>, csv::Error> {
    let l = &runs[0].layout;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = axes.iter().map(|a| safe_text(&a.key)).collect();
    for s in l.scalar_names() {
        for stat in ["mean", "p05", "p50", "p95"] {
            header.push(safe_text(&format!("{s}_{stat}")));
        }
    }
    w.write_record(&header)?;
    for (point, run) in points.iter().zip(runs) {
        let mut row = point_cells(axes, point);
        for j in 0..l.scalars.len() {
            let s = summarize(&run.scalar(j));
            row.extend([num(s.mean), num(s.p05), num(s.p50), num(s.p95)]);
        }
        w.write_record(&row)?;
    }
    crate::output::finish(w)
}

/// `sweep_trials.csv`: per point and trial, the varied values, the trial and every scalar.
pub fn sweep_trials_csv(
    axes: &[Axis],
    points: &[Vec<usize>],
    runs: &[RunResult],
) -> Result<Vec<u8>, csv::Error> {
    let l = &runs[0].layout;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = axes.iter().map(|a| safe_text(&a.key)).collect();
    header.push("trial".into());
    header.extend(l.scalar_names().map(safe_text));
    w.write_record(&header)?;
    for (point, run) in points.iter().zip(runs) {
        for t in &run.trials {
            let mut row = point_cells(axes, point);
            row.push(t.trial.to_string());
            row.extend(t.scalars.iter().map(|&x| num(x)));
            w.write_record(&row)?;
        }
    }
    crate::output::finish(w)
}

/// `sweep_best.csv`: per money metric and point, whether it is the best by mean and the
/// share of trials in which it is the best point.
pub fn best_csv(
    axes: &[Axis],
    points: &[Vec<usize>],
    best: &[Best],
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["metric".to_string()];
    header.extend(axes.iter().map(|a| safe_text(&a.key)));
    header.extend([
        "best_by_mean".to_string(),
        "share_of_trials_best".to_string(),
    ]);
    w.write_record(&header)?;
    for b in best {
        for (k, point) in points.iter().enumerate() {
            let mut row = vec![safe_text(&b.metric)];
            row.extend(point_cells(axes, point));
            row.push(if k == b.point && b.varies {
                "1".into()
            } else {
                "0".into()
            });
            row.push(num(b.share_best[k]));
            w.write_record(&row)?;
        }
    }
    crate::output::finish(w)
}

fn label(axes: &[Axis], point: &[usize]) -> String {
    axes.iter()
        .zip(point)
        .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The printed result: the best point of each money metric, with its p05–p95 and the share
/// of trials in which it is the best; then, for the headline metric, the points most often best.
pub fn table(axes: &[Axis], points: &[Vec<usize>], best: &[Best], trials: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} points x {trials} trials on common random numbers. Best point by mean per money metric ($B);\nP(best) = share of trials in which that point is the best:",
        points.len()
    );
    let _ = writeln!(
        out,
        "{:<34} {:<32} {:>9} {:>9} {:>9} {:>8}",
        "metric", "best point", "mean", "p05", "p95", "P(best)"
    );
    let b = |x: f64| {
        if x.is_finite() {
            format!("{:.3}", x / 1e9)
        } else {
            "-".into()
        }
    };
    for x in best.iter().filter(|x| x.varies) {
        let _ = writeln!(
            out,
            "{:<34} {:<32} {:>9} {:>9} {:>9} {:>7.0}%",
            x.metric,
            label(axes, &points[x.point]),
            b(x.mean),
            b(x.p05),
            b(x.p95),
            100.0 * x.share_best[x.point]
        );
    }
    let same: Vec<&str> = best
        .iter()
        .filter(|x| !x.varies && !x.metric.starts_with("npv_"))
        .map(|x| x.metric.as_str())
        .collect();
    if !same.is_empty() {
        let _ = writeln!(
            out,
            "identical at every point (not affected by the varied keys): {}",
            same.join(", ")
        );
    }
    if let Some(head) = best
        .iter()
        .find(|x| x.metric == "net_incremental" && x.varies)
    {
        let mut ranked: Vec<(usize, f64)> = head
            .share_best
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            out,
            "\nnet_incremental: how often each point is the best (per-trial argmax)"
        );
        for (k, share) in ranked.iter().take(8) {
            let _ = writeln!(
                out,
                "  {:<40} {:>5.1}%",
                label(axes, &points[*k]),
                100.0 * share
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_built_from_an_index() {
        let a = Axis::parse("premium.price_month=1:25:1").unwrap();
        assert_eq!(a.values.len(), 25);
        assert_eq!(a.values[0], "1");
        assert_eq!(a.values[24], "25");
        let a = Axis::parse("x=0.1:0.7:0.1").unwrap();
        assert_eq!(a.values, ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);
        let a = Axis::parse("x=5:1:-2").unwrap();
        assert_eq!(a.values, ["5", "3", "1"]);
        let a = Axis::parse("premium.launch=\"2024-07\",\"2025-01\"").unwrap();
        assert_eq!(a.values.len(), 2);
    }

    #[test]
    fn bad_ranges_are_rejected() {
        assert!(
            Axis::parse("x=1:5:0")
                .unwrap_err()
                .contains("must not be 0")
        );
        assert!(Axis::parse("x=1:5:-1").unwrap_err().contains("positive"));
        assert!(Axis::parse("x=5:1:1").unwrap_err().contains("negative"));
        assert!(Axis::parse("x=0:1e6:1").unwrap_err().contains("more than"));
        assert!(Axis::parse("x=a:b:c").is_err());
        assert!(Axis::parse("x=1:2").is_err());
        assert!(Axis::parse("x=1,,2").is_err());
        assert!(Axis::parse("novalue").is_err());
    }

    #[test]
    fn grids_are_full_and_bounded() {
        let a = Axis::parse("a=1,2,3").unwrap();
        let b = Axis::parse("b=1,2").unwrap();
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
        let big = Axis::parse("c=1:1000:1").unwrap();
        assert!(grid(&[big.clone(), big]).unwrap_err().contains("at most"));
    }
}
