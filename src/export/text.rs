//! The tables printed on stdout after each command: the key figures, the best points of
//! a sweep, a comparison's paired differences, the tornado and a backtest's targets.

use std::fmt::Write as _;

use crate::backtest::{Outcome, Statistic};
use crate::compare::Period;
use crate::decision::Decision;
use crate::engine::Layout;
use crate::engine::metrics::Unit;
use crate::export::verdict;
use crate::export::{best_points, key_figures, nonzero, share_best, share_better};
use crate::format::{self, escape};
use crate::job::PrecisionOutcome;
use crate::results::{
    BacktestResults, CalibrateResults, CompareResults, RunResults, SensitivityResults, SweepResults,
};
use crate::sensitivity::{ByPeriod, Method};
use crate::stats::Summary;

/// A household-noise share above this is flagged (`*`) with the households that would bring
/// it under.
const NOISE_FLAG: f64 = 0.1;

/// A household-noise share for the table: a whole percentage, `<1%` for a small non-zero
/// one, `-` when undefined.
fn noise_percent(share: f64) -> String {
    if share > 0.0 && share < 0.005 {
        "<1%".into()
    } else if share.is_finite() {
        format::percent(share)
    } else {
        "-".into()
    }
}

/// The lines under the key figures for the flagged (`*`) ones: how many households would
/// bring their household-noise share under [`NOISE_FLAG`].
fn noise_notes(out: &mut String, noisy: &[(String, f64)], households: u64) {
    for (label, share) in noisy {
        let _ = match crate::stats::households_for_noise(*share, households, NOISE_FLAG) {
            Some(n) => writeln!(
                out,
                "* {label}: {} of its spread across trials is household sampling noise; --households {} would bring it under {}",
                format::percent(*share),
                n,
                format::percent(NOISE_FLAG)
            ),
            None => writeln!(
                out,
                "* {label}: its spread across trials is all household sampling noise (no uncertain parameter moves it); more households narrow it"
            ),
        };
    }
}

/// A readable table of the key figures.
pub fn run(r: &RunResults) -> String {
    let (scenario, report, trials) = (&r.scenario, &r.stats, r.trials.len());
    let mut out = verdict::run(r);
    if !out.is_empty() {
        out.push('\n');
    }
    let sim = scenario.simulation();
    let _ = writeln!(
        out,
        "{}: {} to {}, {} trials x {} households, seed {}",
        escape(scenario.name()),
        scenario.start(),
        scenario.start().plus(scenario.months() - 1),
        trials,
        sim.households,
        sim.seed
    );
    let _ = writeln!(
        out,
        "{:<32} {:>4} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>6}",
        "horizon total", "unit", "p05", "p50", "p95", "mean", "se", "±95%", "noise"
    );
    let mut noisy = Vec::new();
    for def in key_figures(&report.layout) {
        if def.name.starts_with("premium_") && !scenario.has_premium() {
            continue;
        }
        let Some(j) = report.layout.scalar_index(&def.name) else {
            continue;
        };
        let s = &report.summary[j];
        let share = report.household_noise_share[j];
        let flag = if share > NOISE_FLAG {
            noisy.push((escape(&def.label).to_string(), share));
            "*"
        } else {
            ""
        };
        let (label, unit) = (escape(&def.label), def.unit.column_label());
        let f = |x: f64, undefined: &str| format::in_unit(x, def.unit, undefined);
        let p = |x: f64| match def.unit {
            Unit::Months if x.is_finite() => format!("{x:.0}"),
            _ => f(x, "never"),
        };
        let _ = writeln!(
            out,
            "{label:<32} {unit:>4} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>5}{flag}",
            p(s.p05),
            p(s.p50),
            p(s.p95),
            f(s.mean, "-"),
            f(s.se(), "-"),
            f(s.ci95_half_width(), "-"),
            noise_percent(share),
        );
    }
    noise_notes(&mut out, &noisy, sim.households);
    let _ = writeln!(
        out,
        "\nby year (p50)   units M   device P&L $B   claimed $B   incremental $B   net incr. $B"
    );
    let l = &report.layout;
    let n = l.len();
    for (i, year) in report.years.iter().enumerate() {
        let p50 = |j: usize| report.yearly[i * n + j].p50;
        let _ = writeln!(
            out,
            "{year:<13} {:>9} {:>15} {:>12} {:>16} {:>14}",
            format::millions(p50(l.units_sold)),
            format::billions(p50(l.device_pnl)),
            format::billions(p50(l.downstream_claimed)),
            format::billions(p50(l.downstream_incremental)),
            format::billions(p50(l.net_incremental)),
        );
    }
    out
}

/// The printed comparison of the key figures.
pub fn compare(r: &CompareResults) -> String {
    let (rows, trials) = (&r.rows, r.facts.trials);
    let names: Vec<_> = r.names.iter().map(|n| escape(n)).collect();
    let mut out = verdict::compare(r);
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "base: {} ({} trials, common random numbers). Per scenario: p50, and the paired difference to the base\n(mean [p05, p95]) with the share of trials in which the scenario is better (a tie is neither; same: equal in every trial).",
        names[0], trials
    );
    for (i, name) in r.names.iter().enumerate().skip(1) {
        let _ = writeln!(out, "\n{} vs {}", names[i], names[0]);
        let mut lines = Vec::new();
        for def in key_figures(&r.layout) {
            let metric = &def.name;
            let base = rows
                .iter()
                .find(|x| x.metric == *metric && x.scenario == r.names[0]);
            let row = rows
                .iter()
                .find(|x| x.metric == *metric && x.scenario == *name);
            let (Some(base), Some(row)) = (base, row) else {
                continue;
            };
            let scale = 1.0 / def.unit.scale();
            let f = |x: f64| format::places(x / scale, 2);
            lines.push([
                escape(&def.label).into_owned(),
                def.unit.column_label().to_string(),
                f(base.stats.p50),
                f(row.stats.p50),
                difference(&row.diff, def.unit),
                share_better(row.share_better),
            ]);
        }
        // The difference column widens for a small difference shown in full.
        let w = lines
            .iter()
            .map(|l| l[4].chars().count())
            .fold(24, usize::max);
        let _ = writeln!(
            out,
            "{:<34} {:>5} {:>10} {:>10} {:>w$} {:>9}",
            "horizon total", "unit", "base p50", "p50", "difference", "P(better)"
        );
        for [label, unit, base, p50, difference, share] in &lines {
            let _ = writeln!(
                out,
                "{label:<34} {unit:>5} {base:>10} {p50:>10} {difference:>w$} {share:>9}"
            );
        }
        out.push_str(&by_year(r, i));
    }
    if let Some(d) = &r.decision {
        out.push('\n');
        out.push_str(&decision(d, &r.layout, trials));
    }
    out
}

/// A paired difference as the comparison tables show it, in the metric's reading unit:
/// `mean [p05, p95]`, a small nonzero figure in full.
fn difference(diff: &Summary, unit: Unit) -> String {
    let scale = 1.0 / unit.scale();
    let d = |x: f64| nonzero(x / scale, format::places(x / scale, 2));
    format!("{} [{}, {}]", d(diff.mean), d(diff.p05), d(diff.p95))
}

/// Scenario `i` against the base year by year: per calendar year, for each of the
/// comparison's year figures ([`CompareResults::year_figures`]), the paired difference
/// (mean [p05, p95]) and the share of trials in which the scenario is better.
fn by_year(r: &CompareResults, i: usize) -> String {
    let figures = r.year_figures();
    let mut lines: Vec<Vec<String>> = Vec::new();
    for &year in &r.years {
        let mut line = vec![year.to_string()];
        for def in &figures {
            let Some(row) = r.row(&def.name, Period::Year(year), i) else {
                line.extend(["-".to_string(), "-".to_string()]);
                continue;
            };
            line.push(difference(&row.diff, def.unit));
            line.push(share_better(row.share_better));
        }
        lines.push(line);
    }
    if lines.is_empty() || figures.is_empty() {
        return String::new();
    }
    let mut header = vec!["year".to_string()];
    for def in &figures {
        let unit = def.unit.column_label();
        header.push(
            format!("{} {unit}", escape(&def.label))
                .trim_end()
                .to_string(),
        );
        header.push("P(better)".into());
    }
    // Each column as wide as its widest cell; the differences right-aligned.
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out =
        String::from("\nyear by year: the paired difference (mean [p05, p95]) and P(better)\n");
    for line in std::iter::once(&header).chain(&lines) {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (x, &w))| {
                if c == 0 {
                    format!("{x:<w$}")
                } else {
                    format!("{x:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  "));
    }
    out
}

/// The decision view and the value of information of a comparison or sweep: per option
/// (at most [`DECISION_ROWS`], the best by expected value) the expected value, P(best) and
/// the expected regret; then the EVPI and the largest EVPPIs.
pub fn decision(d: &Decision, layout: &Layout, trials: u64) -> String {
    let Some(def) = layout.scalar(&d.metric) else {
        return String::new();
    };
    let unit = def.unit;
    let mut out = String::new();
    let direction = match d.better {
        crate::engine::metrics::Better::Higher => "higher",
        crate::engine::metrics::Better::Lower => "lower",
    };
    let _ = writeln!(
        out,
        "decision on {} ({}, {direction} is better; risk neutral, {trials} trials on common random numbers):\nP(best) = share of trials in which the option is the best (a tie for the best is split equally); regret = mean shortfall from each trial's best",
        escape(&d.metric),
        unit.label()
    );
    let mut shown: Vec<usize> = (0..d.options.len()).collect();
    if shown.len() > DECISION_ROWS {
        shown.sort_by(|&a, &b| {
            let (x, y) = (d.options[a].expected_value, d.options[b].expected_value);
            match d.better {
                crate::engine::metrics::Better::Higher => y.total_cmp(&x),
                crate::engine::metrics::Better::Lower => x.total_cmp(&y),
            }
            .then(a.cmp(&b))
        });
        shown.truncate(DECISION_ROWS);
        shown.sort_unstable();
    }
    let _ = writeln!(
        out,
        "{:<44} {:>10} {:>8} {:>10}",
        "option", "expected", "P(best)", "regret"
    );
    for &k in &shown {
        let o = &d.options[k];
        let name = escape(&o.option).into_owned() + if o.chosen { " (chosen)" } else { "" };
        let _ = writeln!(
            out,
            "{name:<44} {:>10} {:>8} {:>10}",
            format::in_unit(o.expected_value, unit, "-"),
            format::percent(o.p_best),
            format::in_unit(o.expected_regret, unit, "-"),
        );
    }
    if shown.len() < d.options.len() {
        let _ = writeln!(
            out,
            "({} more options in decision.csv)",
            d.options.len() - shown.len()
        );
    }
    let _ = writeln!(
        out,
        "\nvalue of information: what learning it exactly before choosing is worth (EVPPI ± bootstrap standard error)"
    );
    let row = |name: &str, v: &crate::decision::Voi| {
        format!(
            "{name:<44} {:>10} ± {}{}",
            format::amount(v.evppi, unit),
            format::amount(v.se, unit),
            if v.clipped {
                "  (clipped to [0, EVPI])"
            } else {
                ""
            }
        )
    };
    let _ = writeln!(out, "{}", row("perfect information (EVPI)", &d.evpi));
    if d.evpi.evppi == 0.0 {
        let _ = writeln!(
            out,
            "(the same option is the best in every trial: no information can change the choice)"
        );
        return out;
    }
    for v in d.voi.iter().take(VOI_ROWS) {
        let _ = writeln!(out, "{}", row(&escape(&v.parameter), v));
    }
    if d.voi.len() > VOI_ROWS {
        let _ = writeln!(out, "({} more in voi.csv)", d.voi.len() - VOI_ROWS);
    }
    if d.voi.is_empty() && d.options.len() > crate::decision::MAX_VOI_OPTIONS {
        let _ = writeln!(
            out,
            "(EVPPI is estimated for at most {} options)",
            crate::decision::MAX_VOI_OPTIONS
        );
    }
    out
}

/// Options shown in the printed decision table.
const DECISION_ROWS: usize = 10;
/// Parameters shown in the printed value of information.
const VOI_ROWS: usize = 8;

/// The printed result: the best point of each money metric, with its p05–p95 and the share
/// of trials in which it is the best; then, for the headline metric, the points most often best.
pub fn sweep(r: &SweepResults) -> String {
    let (points, best, trials) = (&r.grid, &r.best, r.facts.trials);
    let label = |k: usize| escape(&r.point_label(k)).into_owned();
    let mut out = verdict::sweep(r);
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} points x {trials} trials on common random numbers. Best point by mean per money metric ($B);\nP(best) = share of trials in which that point alone is the best (a tie for the best counts for none):",
        points.len()
    );
    let _ = writeln!(
        out,
        "{:<34} {:<32} {:>9} {:>9} {:>9} {:>8}",
        "metric", "best point", "mean", "p05", "p95", "P(best)"
    );
    let b = |x: f64| format::places(x / 1e9, 3);
    for x in best {
        let Some(point) = best_points(&x.points, label) else {
            continue;
        };
        let _ = writeln!(
            out,
            "{:<34} {:<32} {:>9} {:>9} {:>9} {:>8}",
            escape(&x.metric),
            point,
            b(x.mean),
            b(x.p05),
            b(x.p95),
            share_best(x)
        );
    }
    let same: Vec<_> = best
        .iter()
        .filter(|x| x.point().is_none() && !x.metric.starts_with("npv_"))
        .map(|x| escape(&x.metric))
        .collect();
    if !same.is_empty() {
        let _ = writeln!(
            out,
            "identical at every point (not affected by the varied keys): {}",
            same.join(", ")
        );
    }
    if let Some(shares) = best
        .iter()
        .find(|x| x.metric == "net_incremental")
        .and_then(|x| x.share_best.as_ref())
    {
        let mut ranked: Vec<(usize, f64)> = shares
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, s)| *s > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            out,
            "\nnet_incremental: how often each point is the best (per-trial argmax; a tie counts for none)"
        );
        for (k, share) in ranked.iter().take(8) {
            let _ = writeln!(out, "  {:<40} {:>5.1}%", label(*k), 100.0 * share);
        }
    }
    if let Some(d) = &r.decision {
        out.push('\n');
        out.push_str(&decision(d, &r.layout, trials));
    }
    out
}

/// The tornado's top `top` rows and, by period, the strongest drivers, for stdout.
pub fn sensitivity(r: &SensitivityResults, top: usize) -> String {
    let (scenario, a) = (&r.scenario, &r.analysis);
    let sim = scenario.simulation();
    let (unit, money): (&str, fn(f64) -> String) = if a.money {
        ("$B", format::billions)
    } else {
        ("M", format::millions)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: sensitivity of {} ({unit}), {}, {} trials x {} households, seed {}; mean {}",
        escape(scenario.name()),
        escape(&a.metric),
        a.method.name(),
        a.trials,
        sim.households,
        sim.seed,
        money(a.base_mean)
    );
    let width = a
        .rows
        .iter()
        .take(top)
        .map(|r| escape(&r.parameter).chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let rho = |r: &crate::sensitivity::Row| {
        r.rank_correlation
            .map_or_else(|| "-".into(), |x| format!("{x:+.2}"))
    };
    match a.method {
        Method::Swing => {
            let _ = writeln!(
                out,
                "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9}",
                "parameter", "p10", "p90", "at p10", "at p90", "swing", "rank corr"
            );
            for r in a.rows.iter().take(top) {
                let _ = writeln!(
                    out,
                    "{:<width$} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9}",
                    escape(&r.parameter),
                    format::significant(r.low),
                    format::significant(r.high),
                    money(r.mean_at_low),
                    money(r.mean_at_high),
                    money(r.swing),
                    rho(r)
                );
            }
        }
        Method::GivenData => {
            let _ = writeln!(
                out,
                "{:<width$} {:>6} {:>15} {:>8} {:>8} {:>8} {:>9}",
                "parameter", "index", "95% interval", "low 10%", "high 10%", "swing", "rank corr"
            );
            for r in a.rows.iter().take(top) {
                let (index, interval, noise) = index_cells(r.first_order);
                let _ = writeln!(
                    out,
                    "{:<width$} {:>6} {:>15} {:>8} {:>8} {:>8} {:>9}{noise}",
                    escape(&r.parameter),
                    index,
                    interval,
                    money(r.mean_at_low),
                    money(r.mean_at_high),
                    money(r.swing),
                    rho(r)
                );
            }
        }
    }
    if a.rows.len() > top {
        let _ = writeln!(
            out,
            "({} more parameters in tornado.csv)",
            a.rows.len() - top
        );
    }
    if a.method == Method::GivenData {
        given_data_notes(&mut out, a);
    }
    if a.trials > 2 {
        let _ = writeln!(
            out,
            "a rank correlation within ±{:.2} is indistinguishable from 0 with {} trials (95%)",
            crate::sensitivity::noise(a.trials),
            a.trials
        );
    }
    if let Some(b) = &a.by_period {
        if b.periods.len() <= 20 {
            let what = match a.method {
                Method::Swing => "rank correlation",
                Method::GivenData => "first-order index; drivers only",
            };
            let _ = writeln!(
                out,
                "\nstrongest drivers of {} in each period ({what})",
                escape(&b.metric)
            );
            for (p, period) in b.periods.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:<8} {}",
                    escape(period),
                    period_drivers(a, b, p).join(", ")
                );
            }
        } else {
            let what = match a.method {
                Method::Swing => "rank correlations",
                Method::GivenData => "first-order indices and rank correlations",
            };
            let _ = writeln!(
                out,
                "\n{what} of {} in each of {} periods: sensitivity_by_period.csv",
                escape(&b.metric),
                b.periods.len()
            );
        }
    }
    if r.variants > 0 {
        let _ = writeln!(
            out,
            "{} of {} variants needed their own simulation; the others change only prices, costs or shares, or only the premium tier, and reuse the plain run's households",
            r.simulated, r.variants
        );
    }
    out
}

/// Given data: how to read the indices, how many are noise, their sum, and whether the
/// trials suffice to rank the top drivers.
fn given_data_notes(out: &mut String, a: &crate::sensitivity::Analysis) {
    let _ = writeln!(
        out,
        "index: first-order (share of the variance explained alone), correlation ratio over {} rank classes, bias-corrected; 95% interval from {} bootstrap resamples",
        crate::stats::index_classes(a.trials),
        crate::sensitivity::BOOTSTRAP
    );
    let _ = writeln!(
        out,
        "noise: {} of {} parameters have an interval reaching 0 (not drivers)",
        a.indistinguishable(),
        a.rows.len()
    );
    if let Some(sum) = a.first_order_sum() {
        let _ = writeln!(
            out,
            "sum of the indices {sum:.2} (near 1: the parameters act additively; well below 1: interactions matter)"
        );
    }
    if !a.groups.is_empty() {
        let _ = writeln!(
            out,
            "groups (first-order index of the members together; each member of a correlated group also carries its partners' influence):"
        );
        let label = |g: &crate::sensitivity::Group| match g.kind {
            crate::sensitivity::GroupKind::Table => {
                format!("{} ({} years)", escape(&g.name), g.members.len())
            }
            crate::sensitivity::GroupKind::Correlated => {
                format!("{} (correlated)", escape(&g.name))
            }
        };
        let width = a
            .groups
            .iter()
            .map(|g| label(g).chars().count())
            .max()
            .unwrap_or(0);
        for g in &a.groups {
            let (index, interval, noise) = index_cells(g.first_order);
            let _ = writeln!(
                out,
                "  {:<width$} {index:>6} {interval:>15}{noise}",
                label(g)
            );
        }
    }
    if let Some(o) = a.overlap() {
        let (x, y) = (
            escape(&a.rows[o.first].parameter),
            escape(&a.rows[o.second].parameter),
        );
        let _ = match o.trials {
            Some(n) => writeln!(
                out,
                "too few trials to rank {x} above {y} (their intervals overlap): about {} trials would separate them (interval width ∝ 1/√trials)",
                format::grouped(n as f64)
            ),
            None => writeln!(
                out,
                "{x} and {y} have the same index: no number of trials ranks them"
            ),
        };
    }
}

/// The two strongest drivers of period `p`: by rank correlation under swing, by
/// first-order index among the distinguishable ones given data.
fn period_drivers(a: &crate::sensitivity::Analysis, b: &ByPeriod, p: usize) -> Vec<String> {
    let name = |i: usize| escape(&a.rows[i].parameter);
    match a.method {
        Method::Swing => {
            let row = &b.rank_correlation[p];
            let mut order: Vec<usize> = (0..row.len()).filter(|&i| row[i].is_some()).collect();
            order.sort_by(|&i, &j| {
                let key = |k: usize| row[k].map_or(0.0, f64::abs);
                key(j).total_cmp(&key(i))
            });
            order
                .iter()
                .take(2)
                .map(|&i| format!("{} ({:+.2})", name(i), row[i].expect("filtered")))
                .collect()
        }
        Method::GivenData => {
            let row = &b.first_order[p];
            let mut order: Vec<usize> = (0..row.len())
                .filter(|&i| row[i].is_some_and(|x| x.distinguishable()))
                .collect();
            order.sort_by(|&i, &j| {
                let key = |k: usize| row[k].map_or(0.0, |x| x.value);
                key(j).total_cmp(&key(i))
            });
            let drivers: Vec<String> = order
                .iter()
                .take(2)
                .map(|&i| format!("{} ({:.2})", name(i), row[i].expect("filtered").value))
                .collect();
            if drivers.is_empty() {
                vec!["no parameter distinguishable from noise".into()]
            } else {
                drivers
            }
        }
    }
}

/// The printed table.
pub fn backtest(r: &BacktestResults) -> String {
    let outcomes = &r.outcomes;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<5} {:<46} {:<16} {:>21} {:>9} {:>9} {:>9}  result",
        "id", "target", "period", "band", "p05", "p50", "p95"
    );
    for o in outcomes {
        let t = &o.target;
        let what = if t.statistic == Statistic::P50 {
            escape(&t.what).into_owned()
        } else {
            format!("{} ({})", escape(&t.what), t.statistic.name())
        };
        let _ = writeln!(
            out,
            "{:<5} {:<46} {:<16} {:>21} {:>9} {:>9} {:>9}  {}",
            escape(&t.id),
            what,
            escape(&t.period_label),
            format!("[{}, {}]", format::human(t.low), format::human(t.high)),
            format::human(o.summary.p05),
            format::human(o.summary.p50),
            format::human(o.summary.p95),
            match (o.hit, t.informational) {
                (true, _) => "hit",
                (false, false) => "MISS",
                (false, true) => "miss*",
            }
        );
    }
    let hits = outcomes.iter().filter(|o| o.hit).count();
    let required: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.target.informational)
        .collect();
    let required_hits = required.iter().filter(|o| o.hit).count();
    let _ = write!(out, "{hits} of {} targets hit", outcomes.len());
    if required.len() < outcomes.len() {
        let _ = write!(
            out,
            "; {required_hits} of {} required (* informational: shown, does not decide the exit status)",
            required.len()
        );
    }
    out.push('\n');
    out
}

/// The printed summary of a calibration: the rounds and their effective sample sizes,
/// prior against posterior per calibrated parameter, prior and posterior predictive per
/// target with the posterior probability of a hit, and which parameters keep their prior.
pub fn calibrate(r: &CalibrateResults) -> String {
    let p = &r.posterior;
    let sim = r.scenario.simulation();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} draws per round x {} households, seed {}; targets {}",
        escape(r.scenario.name()),
        sim.trials,
        sim.households,
        sim.seed,
        escape(&r.targets_file)
    );
    let _ = writeln!(out, "{:<6} {:>8} {:>10}", "round", "draws", "ESS");
    for (i, s) in p.rounds.iter().enumerate() {
        let _ = writeln!(out, "{:<6} {:>8} {:>10.1}", i, s.draws, s.ess);
    }
    let _ = writeln!(
        out,
        "effective sample size {:.1} of {} draws (Kish); --min-ess {} {}",
        p.ess,
        p.draws.len(),
        p.min_ess,
        if p.reached() {
            "reached".to_string()
        } else {
            format!(
                "NOT reached: stopped at the round limit (--max-rounds {})",
                p.max_rounds
            )
        }
    );
    let _ = writeln!(
        out,
        "{:<40} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}  status",
        "parameter", "prior p05", "p50", "p95", "post. p05", "p50", "p95"
    );
    for q in &p.params {
        let h = |x: [f64; 3]| x.map(format::significant);
        let (a, b) = (h(q.prior_q), h(q.post_q));
        let _ = writeln!(
            out,
            "{:<40} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}  {}",
            escape(&q.key),
            a[0],
            a[1],
            a[2],
            b[0],
            b[1],
            b[2],
            q.status()
        );
    }
    let _ = writeln!(
        out,
        "{:<6} {:<21} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}  {:>6}",
        "target", "band", "prior p05", "p50", "p95", "post. p05", "p50", "p95", "P(hit)"
    );
    for t in &p.targets {
        let h = |x: [f64; 3]| x.map(format::human);
        let (a, b) = (h(t.prior_q), h(t.post_q));
        let band = format!(
            "[{}, {}]",
            format::human(t.target.low),
            format::human(t.target.high)
        );
        let _ = writeln!(
            out,
            "{:<6} {:<21} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}  {:>6}{}",
            escape(&t.target.id),
            band,
            a[0],
            a[1],
            a[2],
            b[0],
            b[1],
            b[2],
            format::percent(t.hit_probability),
            if t.fitted { "" } else { "  (informational)" }
        );
    }
    let kept: Vec<String> = p
        .params
        .iter()
        .filter(|q| q.keeps_prior)
        .map(|q| escape(&q.key).into_owned())
        .collect();
    if !kept.is_empty() {
        let _ = writeln!(
            out,
            "posterior = prior (not told apart from it at this effective sample size: Kolmogorov-Smirnov, 5%): {}",
            kept.join(", ")
        );
    }
    for &(a, b, rho) in &p.correlations {
        let _ = writeln!(
            out,
            "posterior rank correlation {} ~ {}: {:.2}",
            escape(&p.params[a].key),
            escape(&p.params[b].key),
            rho
        );
    }
    out
}

/// The line saying how `run --precision` ended.
pub fn precision(p: &PrecisionOutcome) -> String {
    let share = if p.mean == 0.0 {
        "the mean is 0".to_string()
    } else {
        format!("{:.2}% of the mean", 100.0 * p.half_width / p.mean.abs())
    };
    let reason = if p.reached {
        "the precision was reached"
    } else {
        "the cap of --max-trials was reached"
    };
    format!(
        "precision: {} mean {} ± {} (95%), {share}, target {}%, after {} trials; stopped because {reason}\n",
        escape(&p.metric),
        format::scientific(p.mean),
        format::scientific(p.half_width),
        100.0 * p.target,
        p.trials,
    )
}

/// A first-order index as the text table shows it: the index, its 95% interval, and the
/// noise flag (an undefined index is noise).
fn index_cells(index: Option<crate::sensitivity::Index>) -> (String, String, &'static str) {
    match index {
        Some(i) => (
            format!("{:.3}", i.value),
            format!("[{:.3}, {:.3}]", i.low, i.high),
            if i.distinguishable() { "" } else { "  noise" },
        ),
        None => ("-".into(), "-".into(), "  noise"),
    }
}
