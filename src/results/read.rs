//! Reading a results folder back into typed [`Results`], for
//! `downstream report DIR`.
//!
//! The kind of a folder is told by its files ([`kind`]); [`read`] parses its resolved
//! scenario(s) with the scenario parser (the `[run]` table gives the [`RunFacts`]) and each
//! CSV file by the columns [`super::table`] writes: text cells with the spreadsheet escape
//! undone, numbers exactly (they were written in shortest round-trip form), empty cells as
//! NaN, an empty share of trials as none (equal in every trial). A sweep's files list its
//! points in the same order, so a row's point is told by its position (two points may read
//! alike: `1` and `+1`). What the files do not hold is left undefined: the standard
//! deviation of a sweep point or of a compared difference is NaN, and so is a difference's
//! median. A `compare.csv` written before its `period` column holds the horizon's rows
//! alone, and reads back without years.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::files::{self, FolderKind};
use super::table::{
    BY_PERIOD_COLUMNS, COMPARE_COLUMNS, COMPARE_PERIOD, DECISION_COLUMNS, LEGACY_BY_PERIOD,
    LEGACY_SUMMARY, LEGACY_TORNADO, PERIOD_COLUMNS, PRE_GROUP_TORNADO, SUMMARY_COLUMNS,
    TORNADO_COLUMNS, TORNADO_METHOD, VOI_COLUMNS,
};
use super::{
    CompareResults, Results, RunFacts, RunResults, RunStats, SensitivityResults, SweepResults,
    TrialRow,
};
use crate::compare;
use crate::decision::{self, Decision, OptionRow, Voi};
use crate::engine::Layout;
use crate::export::csv::unescape;
use crate::scenario::Scenario;
use crate::scenario::raw::RawScenario;
use crate::sensitivity::{Analysis, ByPeriod, Index, Method};
use crate::stats::Summary;
use crate::sweep::{AxisLabels, Best};

/// Tells the kind of a result folder from the files present. Should a reused folder hold
/// the files of several commands, the most recently written one counts.
pub fn kind(dir: &Path) -> Result<FolderKind> {
    if !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    let mut best: Option<(FolderKind, std::time::SystemTime)> = None;
    for (kind, file) in FolderKind::SIGNATURES {
        let Ok(meta) = fs::metadata(dir.join(file)) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let time = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        if best.is_none_or(|(_, t)| time > t) {
            best = Some((kind, time));
        }
    }
    match best {
        Some((kind, _)) => Ok(kind),
        None => bail!(
            "{}: not a result folder of run, sweep, compare or sensitivity (no summary.csv, sweep.csv, compare.csv or tornado.csv)",
            dir.display()
        ),
    }
}

/// Reads a result folder written by `run`, `sweep`, `compare` or `sensitivity` (or `merge`)
/// back into the typed results that wrote it.
pub fn read(dir: &Path) -> Result<Results> {
    Ok(match kind(dir)? {
        FolderKind::Run => Results::Run(read_run(dir)?),
        FolderKind::Sweep => Results::Sweep(read_sweep(dir)?),
        FolderKind::Compare => Results::Compare(read_compare(dir)?),
        FolderKind::Sensitivity => Results::Sensitivity(read_sensitivity(dir)?),
    })
}

// ---------------------------------------------------------------------------------------
// Files

/// A resolved scenario file: the scenario and the facts of its `[run]` table.
fn resolved(path: &Path) -> Result<(Scenario, RunFacts)> {
    let origin = path.display().to_string();
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {origin}"))?;
    let scenario = Scenario::parse(&origin, &text, &[])?;
    let raw: RawScenario =
        toml::from_str(&text).with_context(|| format!("{origin}: not a scenario"))?;
    let run = raw
        .run
        .with_context(|| format!("{origin}: no [run] table"))?;
    let missing = |key: &str| anyhow::anyhow!("{origin}: no `{key}` in [run]");
    let whole = |key: &str, v: Option<i64>| -> Result<u64> {
        let v = v.ok_or_else(|| missing(key))?;
        Ok(v as u64)
    };
    let facts = RunFacts {
        tool_version: run.tool_version.ok_or_else(|| missing("tool_version"))?,
        seed: whole("seed", run.seed)?,
        households: whole("households", run.households)?,
        trials: whole("trials", run.trials)?,
        threads: whole("threads", run.threads)? as usize,
        wall_seconds: run.wall_seconds.ok_or_else(|| missing("wall_seconds"))?,
    };
    Ok((scenario, facts))
}

/// A CSV file of a result: its name (for messages), header and rows of text cells with the
/// spreadsheet escape undone.
struct Csv {
    file: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(dir: &Path, name: &str) -> Result<Csv> {
        let path = dir.join(name);
        let file = path.display().to_string();
        let mut r = csv::ReaderBuilder::new()
            .from_path(&path)
            .with_context(|| format!("cannot read {file}"))?;
        let header = r
            .headers()
            .with_context(|| format!("{file}: cannot read the header"))?
            .iter()
            .map(|s| unescape(s).to_string())
            .collect();
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{file}: row {}", i + 2))?;
            rows.push(rec.iter().map(|s| unescape(s).to_string()).collect());
        }
        Ok(Csv { file, header, rows })
    }

    /// Checks the header against the columns the writer gives this file.
    fn expect_header<S: AsRef<str>>(&self, columns: &[S]) -> Result<()> {
        let same = self.header.len() == columns.len()
            && self
                .header
                .iter()
                .zip(columns)
                .all(|(h, c)| h == c.as_ref());
        if !same {
            bail!(
                "{}: unexpected columns `{}`; expected `{}`",
                self.file,
                self.header.join(","),
                columns
                    .iter()
                    .map(AsRef::as_ref)
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        Ok(())
    }

    /// Checks that the file holds `n` rows.
    fn expect_rows(&self, n: usize) -> Result<()> {
        if self.rows.len() != n {
            bail!("{}: {} rows; expected {n}", self.file, self.rows.len());
        }
        Ok(())
    }

    /// Checks that cell `col` of row `i` reads `want`.
    fn expect_cell(&self, i: usize, col: usize, want: &str) -> Result<()> {
        if self.rows[i][col] != want {
            bail!(
                "{}: row {}: `{}` where `{want}` was expected",
                self.file,
                i + 2,
                self.rows[i][col]
            );
        }
        Ok(())
    }

    /// A number cell; NaN when empty.
    fn number(&self, i: usize, col: usize) -> Result<f64> {
        let cell = self.rows[i][col].as_str();
        if cell.is_empty() {
            return Ok(f64::NAN);
        }
        cell.parse::<f64>().with_context(|| {
            format!(
                "{}: row {}, column `{}`: `{cell}` is not a number",
                self.file,
                i + 2,
                self.header[col]
            )
        })
    }

    /// The number cells `cols` of row `i`.
    fn numbers<const N: usize>(&self, i: usize, cols: [usize; N]) -> Result<[f64; N]> {
        let mut out = [f64::NAN; N];
        for (x, c) in out.iter_mut().zip(cols) {
            *x = self.number(i, c)?;
        }
        Ok(out)
    }

    /// A whole-number cell.
    fn whole(&self, i: usize, col: usize) -> Result<i64> {
        let cell = self.rows[i][col].as_str();
        cell.parse::<i64>().with_context(|| {
            format!(
                "{}: row {}, column `{}`: `{cell}` is not a whole number",
                self.file,
                i + 2,
                self.header[col]
            )
        })
    }
}

/// Statistics across `n` trials: mean, sd, p05, p50, p95.
fn summary([mean, sd, p05, p50, p95]: [f64; 5], n: usize) -> Summary {
    Summary {
        mean,
        sd,
        p05,
        p50,
        p95,
        n,
    }
}

// ---------------------------------------------------------------------------------------
// run

fn read_run(dir: &Path) -> Result<RunResults> {
    let (scenario, facts) = resolved(&dir.join(files::RESOLVED))?;
    let layout = Layout::new(&scenario);
    let n = facts.trials as usize;
    let months = super::month_labels(&scenario);
    let years = super::year_labels(&scenario);

    let t = Csv::read(dir, files::SUMMARY)?;
    // A folder written before the household-noise share has the first columns alone.
    let legacy = t.header.len() == LEGACY_SUMMARY;
    t.expect_header(
        &SUMMARY_COLUMNS[..if legacy {
            LEGACY_SUMMARY
        } else {
            SUMMARY_COLUMNS.len()
        }],
    )?;
    t.expect_rows(layout.scalars.len())?;
    let mut summaries = Vec::with_capacity(t.rows.len());
    let mut household_noise_share = Vec::with_capacity(t.rows.len());
    for (i, def) in layout.scalars.iter().enumerate() {
        t.expect_cell(i, 0, &def.name)?;
        summaries.push(summary(t.numbers(i, [1, 2, 3, 4, 5])?, n));
        household_noise_share.push(if legacy {
            f64::NAN
        } else {
            t.number(i, LEGACY_SUMMARY)?
        });
    }

    let year_text: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    let monthly = read_periods(dir, files::MONTHLY, "month", &months, &layout, n)?;
    let yearly = read_periods(dir, files::YEARLY, "year", &year_text, &layout, n)?;

    let parameters: Vec<String> = scenario
        .params()
        .iter()
        .filter(|(_, p)| p.is_uncertain())
        .map(|(_, p)| p.key().to_string())
        .collect();
    let t = Csv::read(dir, files::TRIALS)?;
    let mut header = vec!["trial".to_string()];
    header.extend(parameters.iter().cloned());
    header.extend(layout.scalar_names().map(String::from));
    t.expect_header(&header)?;
    let mut trials = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        let values = (1..header.len())
            .map(|c| t.number(i, c))
            .collect::<Result<Vec<f64>>>()?;
        let (draws, scalars) = values.split_at(parameters.len());
        trials.push(TrialRow {
            trial: t.whole(i, 0)? as u64,
            draws: draws.to_vec(),
            scalars: scalars.to_vec(),
        });
    }

    Ok(RunResults {
        stats: RunStats {
            layout,
            months,
            years,
            summary: summaries,
            household_noise_share,
            monthly,
            yearly,
        },
        scenario,
        facts,
        parameters,
        trials,
        precision: None,
    })
}

/// `monthly.csv` or `yearly.csv`: per (period, metric), row-major by period.
fn read_periods(
    dir: &Path,
    file: &str,
    what: &str,
    labels: &[String],
    layout: &Layout,
    n: usize,
) -> Result<Vec<Summary>> {
    let t = Csv::read(dir, file)?;
    let mut columns = vec![what];
    columns.extend(PERIOD_COLUMNS);
    t.expect_header(&columns)?;
    t.expect_rows(labels.len() * layout.len())?;
    let mut out = Vec::with_capacity(t.rows.len());
    for (p, label) in labels.iter().enumerate() {
        for (j, def) in layout.defs.iter().enumerate() {
            let i = p * layout.len() + j;
            t.expect_cell(i, 0, label)?;
            t.expect_cell(i, 1, &def.name)?;
            out.push(summary(t.numbers(i, [2, 3, 4, 5, 6])?, n));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// sweep

/// Checks that row `i` of `t` names `point` (its cells of the varied keys, from column
/// `from`). The files list the points in the same order, and two points may read alike
/// (`--vary KEY=1,+1` writes the number 1 twice), so a row's point is told by its position.
fn expect_point(t: &Csv, i: usize, from: usize, point: &[String]) -> Result<()> {
    if t.rows[i][from..from + point.len()] != *point {
        bail!(
            "{}: row {}: `{}` where point `{}` of sweep.csv was expected",
            t.file,
            i + 2,
            t.rows[i][from..from + point.len()].join(","),
            point.join(",")
        );
    }
    Ok(())
}

/// The number of rows per point of a file that lists every point the same number of times.
fn rows_per_point(t: &Csv, points: usize) -> Result<usize> {
    if points == 0 || !t.rows.len().is_multiple_of(points) {
        bail!(
            "{}: {} rows, not a whole number per point of sweep.csv ({points})",
            t.file,
            t.rows.len()
        );
    }
    Ok(t.rows.len() / points)
}

fn read_sweep(dir: &Path) -> Result<SweepResults> {
    let (scenario, facts) = resolved(&dir.join(files::RESOLVED))?;
    let layout = Layout::new(&scenario);
    let n = facts.trials as usize;

    let t = Csv::read(dir, files::SWEEP)?;
    let stats = 4 * layout.scalars.len();
    if t.header.len() <= stats {
        bail!("{}: no varied columns", t.file);
    }
    let k = t.header.len() - stats;
    let mut header = t.header[..k].to_vec();
    for s in layout.scalar_names() {
        for stat in ["mean", "p05", "p50", "p95"] {
            header.push(format!("{s}_{stat}"));
        }
    }
    t.expect_header(&header)?;
    let mut axes: Vec<AxisLabels> = t.header[..k]
        .iter()
        .map(|key| AxisLabels {
            key: key.clone(),
            values: Vec::new(),
        })
        .collect();
    let mut grid = Vec::with_capacity(t.rows.len());
    let mut points = Vec::with_capacity(t.rows.len());
    for (i, row) in t.rows.iter().enumerate() {
        let mut point = Vec::with_capacity(k);
        for (axis, value) in axes.iter_mut().zip(row) {
            let v = match axis.values.iter().position(|x| x == value) {
                Some(v) => v,
                None => {
                    axis.values.push(value.clone());
                    axis.values.len() - 1
                }
            };
            point.push(v);
        }
        grid.push(point);
        let stats = (0..layout.scalars.len())
            .map(|j| {
                let [mean, p05, p50, p95] =
                    t.numbers(i, [k + 4 * j, k + 4 * j + 1, k + 4 * j + 2, k + 4 * j + 3])?;
                Ok(summary([mean, f64::NAN, p05, p50, p95], n))
            })
            .collect::<Result<Vec<_>>>()?;
        points.push(stats);
    }
    let labels: Vec<&[String]> = t.rows.iter().map(|r| &r[..k]).collect();
    let trials = read_sweep_trials(dir, &t.header[..k], &labels, &layout)?;
    let best = read_sweep_best(dir, &t.header[..k], &labels, &layout, &points)?;
    let decision = read_decision(dir, &layout)?;
    Ok(SweepResults {
        scenario,
        facts,
        layout,
        axes,
        grid,
        points,
        trials,
        best,
        decision,
    })
}

/// A trial of a sweep point: its index and its scalars.
type PointTrial = (u64, Vec<f64>);

/// `sweep_trials.csv`: per point, per trial, the trial index and its scalars.
fn read_sweep_trials(
    dir: &Path,
    axes: &[String],
    labels: &[&[String]],
    layout: &Layout,
) -> Result<Vec<Vec<PointTrial>>> {
    let t = Csv::read(dir, files::SWEEP_TRIALS)?;
    let k = axes.len();
    let mut header = axes.to_vec();
    header.push("trial".into());
    header.extend(layout.scalar_names().map(String::from));
    t.expect_header(&header)?;
    let per = rows_per_point(&t, labels.len())?;
    let mut trials = vec![Vec::with_capacity(per); labels.len()];
    for i in 0..t.rows.len() {
        let p = i / per;
        expect_point(&t, i, 0, labels[p])?;
        let scalars = (k + 1..header.len())
            .map(|c| t.number(i, c))
            .collect::<Result<Vec<f64>>>()?;
        trials[p].push((t.whole(i, k)? as u64, scalars));
    }
    Ok(trials)
}

/// `sweep_best.csv`: per money scalar, the points with the best mean (flagged; no flags when
/// the scalar is the same at every point) and each point's share of the trials in which it
/// is the best (empty cells when no trial has a single best point).
fn read_sweep_best(
    dir: &Path,
    axes: &[String],
    labels: &[&[String]],
    layout: &Layout,
    points: &[Vec<Summary>],
) -> Result<Vec<Best>> {
    let t = Csv::read(dir, files::SWEEP_BEST)?;
    let k = axes.len();
    let mut header = vec!["metric".to_string()];
    header.extend(axes.iter().cloned());
    header.extend([
        "best_by_mean".to_string(),
        "share_of_trials_best".to_string(),
    ]);
    t.expect_header(&header)?;
    rows_per_point(&t, labels.len())?;
    // Per metric, in file order: the flagged points and each point's share.
    let mut read: Vec<(String, Vec<usize>, Vec<f64>)> = Vec::new();
    for i in 0..t.rows.len() {
        let (metric, p) = (&t.rows[i][0], i % labels.len());
        if p == 0 {
            if layout.scalar_index(metric).is_none() {
                bail!("{}: row {}: no scalar `{metric}`", t.file, i + 2);
            }
            read.push((metric.clone(), Vec::new(), vec![f64::NAN; points.len()]));
        }
        let (m, best, shares) = read.last_mut().expect("pushed at the first point");
        t.expect_cell(i, 0, m)?;
        expect_point(&t, i, 1, labels[p])?;
        shares[p] = t.number(i, k + 2)?;
        if !t.rows[i][k + 1].is_empty() && t.whole(i, k + 1)? == 1 {
            best.push(p);
        }
    }
    read.into_iter()
        .map(|(metric, best, shares)| {
            let share_best = if shares.iter().all(|s| s.is_nan()) {
                None
            } else if shares.iter().any(|s| s.is_nan()) {
                bail!("{}: `{metric}`: a share of trials best is missing", t.file);
            } else {
                Some(shares)
            };
            let first = best
                .first()
                .map(|&p| points[p][layout.scalar_index(&metric).expect("checked")]);
            Ok(Best {
                metric,
                points: best,
                mean: first.map_or(f64::NAN, |s| s.mean),
                p05: first.map_or(f64::NAN, |s| s.p05),
                p95: first.map_or(f64::NAN, |s| s.p95),
                share_best,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// compare

fn read_compare(dir: &Path) -> Result<CompareResults> {
    let t = Csv::read(dir, files::COMPARE)?;
    // A folder written before the years has no `period` column: every row is the
    // horizon's.
    let legacy: Vec<&str> = COMPARE_COLUMNS
        .iter()
        .enumerate()
        .filter(|&(c, _)| c != COMPARE_PERIOD)
        .map(|(_, h)| *h)
        .collect();
    let with_period = t.header.len() == COMPARE_COLUMNS.len();
    if with_period {
        t.expect_header(&COMPARE_COLUMNS)?;
    } else {
        t.expect_header(&legacy)?;
    }
    // The columns from `scenario` on.
    let at = |c: usize| if with_period { c + 1 } else { c };
    // The first scalar's rows name every scenario in order (one file may be compared with
    // itself, so names may repeat).
    let names: Vec<String> = t
        .rows
        .iter()
        .take_while(|r| r[0] == t.rows[0][0])
        .take_while(|r| !with_period || r[COMPARE_PERIOD] == compare::Period::HORIZON)
        .map(|r| r[at(1)].clone())
        .collect();
    if names.is_empty() {
        bail!("{}: no rows", t.file);
    }
    let mut scenarios = Vec::with_capacity(names.len());
    let mut facts = None;
    for (i, name) in names.iter().enumerate() {
        let (s, f) = resolved(&dir.join(files::compare_resolved(i, name)))?;
        scenarios.push(s);
        facts.get_or_insert(f);
    }
    let facts = facts.expect("at least one scenario");
    // Over their common months, as the comparison was made.
    compare::report_common_months(&names, &mut scenarios).map_err(anyhow::Error::msg)?;
    let layout = Layout::new(&scenarios[0]);
    let n = facts.trials as usize;
    let (mut rows, mut by_year) = (Vec::new(), Vec::new());
    for (i, row) in t.rows.iter().enumerate() {
        let period = if with_period {
            let cell = &row[COMPARE_PERIOD];
            match compare::Period::parse(cell) {
                Some(p) => p,
                None => bail!(
                    "{}: row {}, column `period`: `{cell}` is neither `{}` nor a year",
                    t.file,
                    i + 2,
                    compare::Period::HORIZON
                ),
            }
        } else {
            compare::Period::Horizon
        };
        let [
            mean,
            sd,
            p05,
            p50,
            p95,
            diff_mean,
            diff_p05,
            diff_p95,
            share_better,
        ] = t.numbers(i, [2, 3, 4, 5, 6, 7, 8, 9, 10].map(at))?;
        // An empty share: the scenario and the base are equal in every trial.
        let share_better = (!share_better.is_nan()).then_some(share_better);
        let row = compare::Row {
            metric: row[0].clone(),
            period,
            scenario: row[at(1)].clone(),
            stats: summary([mean, sd, p05, p50, p95], n),
            diff: summary([diff_mean, f64::NAN, diff_p05, f64::NAN, diff_p95], n),
            share_better,
        };
        match period {
            compare::Period::Horizon if by_year.is_empty() => rows.push(row),
            compare::Period::Year(_) => by_year.push(row),
            compare::Period::Horizon => bail!(
                "{}: row {}: a horizon row after the years' rows",
                t.file,
                i + 2
            ),
        }
    }
    let mut years: Vec<i32> = Vec::new();
    for row in &by_year {
        if let compare::Period::Year(y) = row.period
            && years.last() != Some(&y)
        {
            years.push(y);
        }
    }
    let decision = read_decision(dir, &layout)?;
    Ok(CompareResults {
        names,
        scenarios,
        facts,
        layout,
        rows,
        years,
        by_year,
        decision,
    })
}

// ---------------------------------------------------------------------------------------
// decision

/// `decision.csv` and `voi.csv`, when the folder has them (folders written before the
/// decision view do not).
fn read_decision(dir: &Path, layout: &Layout) -> Result<Option<Decision>> {
    if !dir.join(files::DECISION).exists() {
        return Ok(None);
    }
    let t = Csv::read(dir, files::DECISION)?;
    t.expect_header(&DECISION_COLUMNS)?;
    if t.rows.is_empty() {
        bail!("{}: no rows", t.file);
    }
    let metric = t.rows[0][0].clone();
    let Some(def) = layout.scalar(&metric) else {
        bail!("{}: row 2: no scalar `{metric}`", t.file);
    };
    let mut options = Vec::with_capacity(t.rows.len());
    for (i, row) in t.rows.iter().enumerate() {
        t.expect_cell(i, 0, &metric)?;
        let [expected_value, p_best, expected_regret] = t.numbers(i, [2, 3, 4])?;
        options.push(OptionRow {
            option: row[1].clone(),
            expected_value,
            p_best,
            expected_regret,
            chosen: t.whole(i, 5)? == 1,
        });
    }
    let v = Csv::read(dir, files::VOI)?;
    v.expect_header(&VOI_COLUMNS)?;
    let mut voi = Vec::with_capacity(v.rows.len());
    for (i, row) in v.rows.iter().enumerate() {
        v.expect_cell(i, 0, &metric)?;
        let [evppi, se] = v.numbers(i, [2, 3])?;
        voi.push(Voi {
            parameter: row[1].clone(),
            evppi,
            se,
            clipped: v.whole(i, 4)? == 1,
        });
    }
    if voi.is_empty() {
        bail!("{}: no rows; expected the EVPI first", v.file);
    }
    let evpi = voi.remove(0);
    if evpi.parameter != decision::ALL {
        bail!(
            "{}: row 2: `{}` where `{}` (the EVPI) was expected",
            v.file,
            evpi.parameter,
            decision::ALL
        );
    }
    Ok(Some(Decision {
        metric,
        better: def.better,
        options,
        evpi,
        voi,
    }))
}

// ---------------------------------------------------------------------------------------
// sensitivity

fn read_sensitivity(dir: &Path) -> Result<SensitivityResults> {
    let (scenario, facts) = resolved(&dir.join(files::RESOLVED))?;
    let layout = Layout::new(&scenario);
    let t = Csv::read(dir, files::TORNADO)?;
    // A folder written before the methods has the first columns alone, of a swing; one
    // written before the groups all but the last.
    let legacy = t.header.len() == LEGACY_TORNADO;
    let grouped = t.header.len() == TORNADO_COLUMNS.len();
    t.expect_header(
        &TORNADO_COLUMNS[..if legacy {
            LEGACY_TORNADO
        } else if grouped {
            TORNADO_COLUMNS.len()
        } else {
            PRE_GROUP_TORNADO
        }],
    )?;
    let metric = t.rows.first().map(|r| r[0].clone()).unwrap_or_default();
    let method_name = match t.rows.first() {
        Some(r) if !legacy => r[TORNADO_METHOD].clone(),
        _ => Method::Swing.name().to_string(),
    };
    let method = Method::parse(&method_name).with_context(|| {
        format!(
            "{}: row 2, column `method`: `{method_name}` is not given-data or swing",
            t.file
        )
    })?;
    let mut base_mean = f64::NAN;
    let mut rows = Vec::with_capacity(t.rows.len());
    let mut groups = Vec::new();
    let known = crate::sensitivity::groups(&scenario);
    for (i, row) in t.rows.iter().enumerate() {
        t.expect_cell(i, 0, &metric)?;
        if !legacy {
            t.expect_cell(i, TORNADO_METHOD, &method_name)?;
        }
        let parameter = row[1].clone();
        if grouped && !row[PRE_GROUP_TORNADO].is_empty() {
            let kind = &row[PRE_GROUP_TORNADO];
            let group = known
                .iter()
                .find(|(name, k, _)| *name == parameter && k.name() == kind)
                .with_context(|| {
                    format!(
                        "{}: row {}: no {kind} group `{parameter}` in the scenario",
                        t.file,
                        i + 2
                    )
                })?;
            groups.push(crate::sensitivity::Group {
                name: parameter,
                kind: group.1,
                members: group
                    .2
                    .iter()
                    .map(|&id| scenario.params().get(id).key().to_string())
                    .collect(),
                first_order: index(&t, i, 10)?,
            });
            continue;
        }
        let id = scenario
            .params()
            .iter()
            .find(|(_, p)| p.key() == parameter)
            .map(|(id, _)| id)
            .with_context(|| format!("{}: row {}: no parameter `{parameter}`", t.file, i + 2))?;
        let [
            low,
            high,
            base,
            mean_at_low,
            mean_at_high,
            swing,
            swing_se,
            rho,
        ] = t.numbers(i, [2, 3, 4, 5, 6, 7, 8, 9])?;
        let (first_order, [decile_low, decile_high]) = if legacy {
            (None, [f64::NAN; 2])
        } else {
            (index(&t, i, 10)?, t.numbers(i, [13, 14])?)
        };
        let (mean_at_low, mean_at_high) = match method {
            Method::Swing => (mean_at_low, mean_at_high),
            Method::GivenData => (decile_low, decile_high),
        };
        base_mean = base;
        rows.push(crate::sensitivity::Row {
            parameter,
            id,
            low,
            high,
            mean_at_low,
            mean_at_high,
            swing,
            swing_se,
            rank_correlation: (!rho.is_nan()).then_some(rho),
            first_order,
        });
    }
    let money = layout.scalar(&metric).is_some_and(|d| d.money());
    let by_period = match dir.join(files::SENSITIVITY_BY_PERIOD) {
        p if p.is_file() => Some(read_by_period(dir, &rows)?),
        _ => None,
    };
    Ok(SensitivityResults {
        analysis: Analysis {
            method,
            metric,
            money,
            base_mean,
            trials: facts.trials as usize,
            rows,
            by_period,
            groups,
        },
        scenario,
        facts,
        // The folder does not record the pinned variants.
        variants: 0,
        simulated: 0,
    })
}

/// The first-order index in columns `col..col + 3` of row `i` (value, low, high); `None`
/// when the value is empty.
fn index(t: &Csv, i: usize, col: usize) -> Result<Option<Index>> {
    let [value, low, high] = t.numbers(i, [col, col + 1, col + 2])?;
    Ok((!value.is_nan()).then_some(Index { value, low, high }))
}

/// `sensitivity_by_period.csv`: per period, per tornado row, the rank correlation and the
/// first-order index.
fn read_by_period(dir: &Path, rows: &[crate::sensitivity::Row]) -> Result<ByPeriod> {
    let t = Csv::read(dir, files::SENSITIVITY_BY_PERIOD)?;
    let legacy = t.header.len() == LEGACY_BY_PERIOD;
    t.expect_header(
        &BY_PERIOD_COLUMNS[..if legacy {
            LEGACY_BY_PERIOD
        } else {
            BY_PERIOD_COLUMNS.len()
        }],
    )?;
    let metric = t.rows.first().map(|r| r[0].clone()).unwrap_or_default();
    let mut periods: Vec<String> = Vec::new();
    let mut rank_correlation: Vec<Vec<Option<f64>>> = Vec::new();
    let mut first_order: Vec<Vec<Option<Index>>> = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        t.expect_cell(i, 0, &metric)?;
        if periods.last() != Some(&row[1]) {
            periods.push(row[1].clone());
            rank_correlation.push(vec![None; rows.len()]);
            first_order.push(vec![None; rows.len()]);
        }
        let r = rows
            .iter()
            .position(|r| r.parameter == row[2])
            .with_context(|| {
                format!("{}: row {}: not a parameter of tornado.csv", t.file, i + 2)
            })?;
        let rho = t.number(i, 3)?;
        rank_correlation.last_mut().expect("pushed")[r] = (!rho.is_nan()).then_some(rho);
        if !legacy {
            first_order.last_mut().expect("pushed")[r] = index(&t, i, 4)?;
        }
    }
    Ok(ByPeriod {
        metric,
        periods,
        rank_correlation,
        first_order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export;
    use crate::job::{Control, Input, Job, Settings, execute};
    use crate::results::folder::write_files;
    use crate::sensitivity::By;

    fn input(name: &str) -> Input {
        Input::read(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scenarios")
                .join(name),
        )
        .unwrap()
    }

    fn settings() -> Settings {
        Settings {
            households: Some(400),
            trials: Some(6),
            seed: Some(11),
            ..Settings::default()
        }
    }

    /// Writes a job's files into a fresh folder, reads the folder back and checks that the
    /// results read give the same files, byte for byte.
    fn round_trip(name: &str, job: Job) -> Results {
        let results = execute(&job, &Control::none()).unwrap();
        let written = export::files(&results).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "downstream-read-test-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        let named: Vec<(&str, Vec<u8>)> = written
            .iter()
            .map(|(n, b)| (n.as_str(), b.clone()))
            .collect();
        write_files(&dir, &named).unwrap();
        let read_back = read(&dir).unwrap();
        let again = export::files(&read_back).unwrap();
        assert_eq!(written.len(), again.len(), "{name}: files");
        for ((n1, b1), (n2, b2)) in written.iter().zip(&again) {
            assert_eq!(n1, n2, "{name}");
            assert!(
                b1 == b2,
                "{name}: {n1} differs:\n{}\n---\n{}",
                String::from_utf8_lossy(b1),
                String::from_utf8_lossy(b2)
            );
        }
        fs::remove_dir_all(&dir).unwrap();
        read_back
    }

    #[test]
    fn a_run_reads_back() {
        let r = round_trip(
            "run",
            Job::Run {
                input: input("premium_5usd_2024.toml"),
                settings: settings(),
            },
        );
        assert!(matches!(r, Results::Run(_)));
    }

    #[test]
    fn a_sweep_reads_back() {
        let axes = [
            "premium.price_month=2:6:2",
            "premium.included_with_prime=true,false",
        ];
        let job = Job::sweep(input("premium_5usd_2024.toml"), settings(), &axes).unwrap();
        let r = round_trip("sweep", job);
        let Results::Sweep(s) = r else {
            panic!("not a sweep")
        };
        assert_eq!(s.axes[0].values, ["2", "4", "6"]);
        assert_eq!(s.grid.len(), 6);
    }

    #[test]
    fn a_comparison_reads_back() {
        let r = round_trip(
            "compare",
            Job::compare(
                vec![
                    input("status_quo_2022_2028.toml"),
                    input("premium_5usd_2024.toml"),
                ],
                settings(),
            ),
        );
        let Results::Compare(c) = r else {
            panic!("not a comparison")
        };
        assert_eq!(c.scenarios.len(), 2);
    }

    #[test]
    fn a_sensitivity_analysis_reads_back() {
        for (by, method) in [
            (Some(By::Year), Method::GivenData),
            (None, Method::GivenData),
            (Some(By::Year), Method::Swing),
        ] {
            let r = round_trip(
                "sensitivity",
                Job::Sensitivity {
                    input: input("premium_5usd_2024.toml"),
                    settings: settings(),
                    metric: "npv_net_incremental".into(),
                    by,
                    method,
                },
            );
            let Results::Sensitivity(s) = r else {
                panic!("not a sensitivity analysis")
            };
            assert_eq!(s.analysis.by_period.is_some(), by.is_some());
            assert!(!s.analysis.rows.is_empty());
        }
    }

    #[test]
    fn a_folder_without_results_is_refused() {
        let dir =
            std::env::temp_dir().join(format!("downstream-read-empty-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let err = read(&dir).unwrap_err().to_string();
        assert!(err.contains("not a result folder"), "{err}");
        assert!(read(&dir.join("missing")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
