//! The decision view of a comparison or a sweep, and the value of information.
//!
//! The options (the scenarios of a `compare`, the points of a `sweep`) run on common random
//! numbers: trial `t` of every option shares every draw the options have in common, so the
//! per-trial values of one metric form a matrix `value[option][trial]`. For a risk-neutral
//! decision maker who wants the metric high (or low, for costs; the direction comes from
//! the metric catalogue) this module computes, per option, the expected value, the
//! probability of being the best (a trial in which `k` options tie for the best credits
//! each of them `1/k`, so the probabilities add up to 1), the expected regret (mean over
//! trials of the best option's value minus this option's) and which option is chosen
//! (the best expected value; options whose means tie are all flagged).
//!
//! **EVPI**, the expected value of perfect information, is the mean over trials of the
//! best option's value minus the best mean: what knowing every uncertain input before
//! choosing would be worth. It equals the expected regret of the chosen option.
//!
//! **EVPPI**, the value of learning one parameter (or a group) exactly before choosing, is
//! `E_x[max_d E(U_d | x)] - max_d E(U_d)`. It is estimated from the trials already
//! simulated by nonparametric regression, in the manner of Strong, Oakley & Brennan,
//! "Estimating multiparameter partial expected value of perfect information from a
//! probabilistic sensitivity analysis sample: a nonparametric regression approach",
//! Medical Decision Making 34(3), 2014: the difference of every option to a reference
//! option (the chosen one) is regressed on the parameter, and the fitted values stand for
//! the conditional expectations. Each regression is a penalised regression spline (a
//! P-spline: cubic B-splines on equally spaced knots with a second-order difference penalty,
//! Eilers & Marx, Statistical Science 11(2), 1996), the smoothing chosen by generalised
//! cross-validation, fitted on the parameter's rank scaled to (0, 1): a one-to-one transform
//! of a parameter carries the same information, so the EVPPI is unchanged, and ranks make
//! skewed distributions as easy to fit as uniform ones. A group (the years of a per-year
//! table, the members of a `[[correlation]]` cluster) is fitted by an additive P-spline on
//! its members with one shared smoothing parameter. The standard errors come from
//! [`BOOTSTRAP`] resamples of the trials keyed by the seed (the same for any thread count or
//! sharding), refitted with the smoothing of the full sample. An estimate outside
//! `[0, EVPI]` is clipped to it and flagged.

use rayon::prelude::*;

use crate::engine::metrics::Better;
use crate::engine::{Layout, RunResult};
use crate::sampling::name_key;
use crate::scenario::Scenario;
use crate::stats;

/// Bootstrap resamples behind every standard error.
pub const BOOTSTRAP: usize = 200;
/// The most options whose EVPPI is estimated: every option is one regression per parameter
/// and resample, and with many options the maximum of the fitted differences is biased up
/// (each fit's noise can only raise it). With more options only the EVPI is given.
pub const MAX_VOI_OPTIONS: usize = 100;
/// The component key of the bootstrap's random streams.
const BOOTSTRAP_STREAM: u64 = name_key("decision.bootstrap");
/// Segments of the B-spline basis of one parameter, and of each member of a group.
const SEGMENTS_SINGLE: usize = 12;
const SEGMENTS_GROUP: usize = 5;

/// One option's row of `decision.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionRow {
    pub option: String,
    pub expected_value: f64,
    /// Share of trials in which the option is the best (ties split equally).
    pub p_best: f64,
    /// Mean over trials of the best option's value minus this option's, in the metric's
    /// unit and always ≥ 0 (for a cost: this option's cost minus the lowest).
    pub expected_regret: f64,
    /// The best expected value (a risk-neutral decision maker's choice).
    pub chosen: bool,
}

/// One row of `voi.csv`: the value of learning `parameter` exactly before choosing.
#[derive(Clone, Debug, PartialEq)]
pub struct Voi {
    /// A dotted key, a per-year table's key (every year of it), or the members of a
    /// correlated cluster joined by ` & `; `*` for the EVPI.
    pub parameter: String,
    pub evppi: f64,
    /// Bootstrap standard error of the estimate.
    pub se: f64,
    /// The estimate left `[0, EVPI]` and was clipped to it.
    pub clipped: bool,
}

/// The row name of the EVPI in `voi.csv`.
pub const ALL: &str = "*";

/// The decision view of one metric over the options of a comparison or a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub metric: String,
    pub better: Better,
    /// Per option, in option order.
    pub options: Vec<OptionRow>,
    /// The EVPI (`parameter` is [`ALL`]).
    pub evpi: Voi,
    /// Per uncertain parameter and group, the largest EVPPI first (ties by name); empty
    /// when there are more than [`MAX_VOI_OPTIONS`] options.
    pub voi: Vec<Voi>,
}

impl Decision {
    /// The options chosen (one, or several whose means tie).
    pub fn chosen(&self) -> impl Iterator<Item = (usize, &OptionRow)> {
        self.options.iter().enumerate().filter(|(_, o)| o.chosen)
    }

    /// The rows of `voi.csv` in order: the EVPI, then the parameters.
    pub fn voi_rows(&self) -> impl Iterator<Item = &Voi> {
        std::iter::once(&self.evpi).chain(&self.voi)
    }
}

/// An uncertain input the EVPPI is estimated for: one parameter (one column) or a group
/// (one column per member), each column its per-trial values in trial order.
#[derive(Clone, Debug)]
pub struct Uncertain {
    pub name: String,
    pub columns: Vec<Vec<f64>>,
}

/// The decision view of `values[option][trial]` (every option the same trials, in the
/// same order); `None` when a value is undefined (the metric has no mean) or there are no
/// options or trials.
pub fn analyse(
    metric: &str,
    better: Better,
    names: &[String],
    values: &[Vec<f64>],
    inputs: &[Uncertain],
    seed: u64,
) -> Option<Decision> {
    let d = values.len();
    let n = values.first()?.len();
    if d == 0
        || n == 0
        || values
            .iter()
            .any(|v| v.len() != n || v.iter().any(|x| !x.is_finite()))
    {
        return None;
    }
    let sign = match better {
        Better::Higher => 1.0,
        Better::Lower => -1.0,
    };
    // Utilities: higher is better.
    let u: Vec<Vec<f64>> = values
        .iter()
        .map(|v| v.iter().map(|x| sign * x).collect())
        .collect();
    let means: Vec<f64> = values.iter().map(|v| mean(v)).collect();
    let chosen = stats::best(&means, |a, b| better.better(a, b));
    let mut p_best = vec![0.0; d];
    let mut regret = vec![0.0; d];
    let mut column = vec![0.0; d];
    for t in 0..n {
        for (k, c) in column.iter_mut().enumerate() {
            *c = values[k][t];
        }
        let best = stats::best(&column, |a, b| better.better(a, b));
        for &k in &best {
            p_best[k] += 1.0 / best.len() as f64;
        }
        let top = u[best[0]][t];
        for k in 0..d {
            regret[k] += top - u[k][t];
        }
    }
    let options = (0..d)
        .map(|k| OptionRow {
            option: names[k].clone(),
            expected_value: means[k],
            p_best: p_best[k] / n as f64,
            expected_regret: regret[k] / n as f64,
            chosen: chosen.contains(&k),
        })
        .collect();
    let reference = chosen[0];
    let resamples = crate::stats::bootstrap_counts(seed, BOOTSTRAP, BOOTSTRAP_STREAM, n);
    let evpi_of = |w: Option<&[u32]>| -> f64 {
        let total = weight_total(w, n);
        let top: f64 = (0..n)
            .map(|t| weight(w, t) * (0..d).map(|k| u[k][t]).fold(f64::MIN, f64::max))
            .sum::<f64>()
            / total;
        let best_mean = (0..d)
            .map(|k| (0..n).map(|t| weight(w, t) * u[k][t]).sum::<f64>() / total)
            .fold(f64::MIN, f64::max);
        (top - best_mean).max(0.0)
    };
    let evpi = evpi_of(None);
    let evpi_se = sd(&resamples
        .iter()
        .map(|w| evpi_of(Some(w)))
        .collect::<Vec<_>>());
    // Differences to the reference option, in utility; options equal to it in every trial
    // add nothing.
    let diffs: Vec<Vec<f64>> = (0..d)
        .filter(|&k| k != reference)
        .map(|k| {
            (0..n)
                .map(|t| u[k][t] - u[reference][t])
                .collect::<Vec<f64>>()
        })
        .filter(|y| y.iter().any(|&x| x != 0.0))
        .collect();
    let mut voi: Vec<Voi> = if d > MAX_VOI_OPTIONS {
        Vec::new()
    } else {
        inputs
            .par_iter()
            .map(|input| evppi(input, &diffs, evpi, &resamples))
            .collect()
    };
    voi.sort_by(|a, b| {
        b.evppi
            .total_cmp(&a.evppi)
            .then_with(|| a.parameter.cmp(&b.parameter))
    });
    Some(Decision {
        metric: metric.to_string(),
        better,
        options,
        evpi: Voi {
            parameter: ALL.into(),
            evppi: evpi,
            se: evpi_se,
            clipped: false,
        },
        voi,
    })
}

/// The metric a decision is about unless `--metric` says otherwise.
pub const DEFAULT_METRIC: &str = "npv_net_incremental";

/// The scalar a decision can be about: one of the layout's, with a mean (not the breakeven
/// month, which a trial may never reach). Its index, or a message naming the choices.
pub fn metric_index(layout: &Layout, metric: &str) -> Result<usize, String> {
    crate::sensitivity::metric_indices(layout, metric, None).map(|(j, _)| j)
}

/// The decision view of scalar `metric` over simulated options (`runs[k]` of
/// `scenarios[k]`, named `names[k]`), with the EVPPI of every uncertain parameter of any
/// option and of every group: a per-year table with two or more uncertain years, and each
/// cluster of parameters tied by `[[correlation]]` entries. A parameter's values come from
/// the first option in which it is uncertain: its draws share one uniform per trial in every
/// option, so they rank the trials alike.
pub fn from_runs(
    metric: &str,
    names: &[String],
    scenarios: &[Scenario],
    runs: &[RunResult],
    seed: u64,
) -> Option<Decision> {
    let def = runs.first()?.layout.scalar(metric)?.clone();
    let values: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.layout.scalar_index(metric).map(|j| r.scalar(j)))
        .collect::<Option<_>>()?;
    analyse(
        metric,
        def.better,
        names,
        &values,
        &uncertain_inputs(scenarios, runs),
        seed,
    )
}

/// The parameters and groups whose EVPPI is estimated, each with its per-trial values.
fn uncertain_inputs(scenarios: &[Scenario], runs: &[RunResult]) -> Vec<Uncertain> {
    let mut singles: Vec<Uncertain> = Vec::new();
    for (s, r) in scenarios.iter().zip(runs) {
        for (id, p) in s.params().iter() {
            if p.is_uncertain() && !singles.iter().any(|u| u.name == p.key()) {
                let i = id.0 as usize;
                singles.push(Uncertain {
                    name: p.key().to_string(),
                    columns: vec![r.trials.iter().map(|t| t.draws[i]).collect()],
                });
            }
        }
    }
    let column = |key: &str| {
        singles
            .iter()
            .find(|u| u.name == key)
            .map(|u| &u.columns[0])
    };
    // The groups sensitivity reports (per-year tables, correlated clusters), of every
    // option, each once, by the keys of its members that are uncertain somewhere.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for s in scenarios {
        for (name, _, ids) in crate::sensitivity::groups(s) {
            let members: Vec<String> = ids
                .iter()
                .map(|&id| s.params().get(id).key().to_string())
                .filter(|k| column(k).is_some())
                .collect();
            if members.len() > 1 && !groups.iter().any(|(_, m)| *m == members) {
                groups.push((name, members));
            }
        }
    }
    let grouped: Vec<Uncertain> = groups
        .into_iter()
        .map(|(name, members)| Uncertain {
            name,
            columns: members
                .iter()
                .map(|k| column(k).expect("a member is uncertain").clone())
                .collect(),
        })
        .collect();
    singles.extend(grouped);
    singles
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation of bootstrap replicates (0 for fewer than two).
fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

fn weight(w: Option<&[u32]>, t: usize) -> f64 {
    w.map_or(1.0, |w| f64::from(w[t]))
}

fn weight_total(w: Option<&[u32]>, n: usize) -> f64 {
    w.map_or(n as f64, |w| w.iter().map(|&c| f64::from(c)).sum())
}

/// The EVPPI of one input from the differences `diffs[k][t]` of the options to the
/// reference (utility, higher is better), with its bootstrap standard error.
fn evppi(input: &Uncertain, diffs: &[Vec<f64>], evpi: f64, resamples: &[Vec<u32>]) -> Voi {
    let n = input.columns.first().map_or(0, Vec::len);
    let zero = Voi {
        parameter: input.name.clone(),
        evppi: 0.0,
        se: 0.0,
        clipped: false,
    };
    if diffs.is_empty() || n < 4 {
        return zero;
    }
    let segments = if input.columns.len() == 1 {
        SEGMENTS_SINGLE
    } else {
        SEGMENTS_GROUP
    };
    let basis = Basis::new(&input.columns, segments);
    // Smoothing per option, chosen on the full sample.
    let lambdas: Vec<f64> = diffs.iter().map(|y| basis.gcv_lambda(y)).collect();
    let estimate = |w: Option<&[u32]>| -> Option<f64> {
        let gram = basis.gram(w);
        let total = weight_total(w, n);
        // Per trial, the best fitted difference (0: the reference itself).
        let mut top = vec![0.0f64; n];
        let mut best_mean = 0.0f64;
        for (y, &lambda) in diffs.iter().zip(&lambdas) {
            let fitted = basis.fit(&gram, y, lambda, w)?;
            let m = (0..n).map(|t| weight(w, t) * fitted[t]).sum::<f64>() / total;
            best_mean = best_mean.max(m);
            for (a, b) in top.iter_mut().zip(&fitted) {
                *a = a.max(*b);
            }
        }
        Some((0..n).map(|t| weight(w, t) * top[t]).sum::<f64>() / total - best_mean)
    };
    let Some(raw) = estimate(None) else {
        return zero;
    };
    let replicates: Vec<f64> = resamples.iter().filter_map(|w| estimate(Some(w))).collect();
    let clipped = !(0.0..=evpi).contains(&raw);
    Voi {
        parameter: input.name.clone(),
        evppi: raw.clamp(0.0, evpi),
        se: sd(&replicates),
        clipped,
    }
}

/// The design of an additive P-spline on one or more inputs: per trial, the four nonzero
/// cubic B-spline values of each input (on its rank scaled to (0, 1)) and their columns.
struct Basis {
    n: usize,
    /// Columns of the whole design.
    k: usize,
    /// Per trial and input: the first column and the four values.
    rows: Vec<(usize, [f64; 4])>,
    inputs: usize,
    /// The penalty: per input, second-order differences of its coefficients.
    penalty: Vec<f64>,
}

impl Basis {
    fn new(columns: &[Vec<f64>], segments: usize) -> Basis {
        let n = columns[0].len();
        let per = segments + 3;
        let k = per * columns.len();
        let mut rows = Vec::with_capacity(n * columns.len());
        let ranks: Vec<Vec<f64>> = columns.iter().map(|c| stats::ranks(c)).collect();
        for t in 0..n {
            for (i, r) in ranks.iter().enumerate() {
                let x = (r[t] - 0.5) / n as f64;
                let (first, values) = bspline(x, segments);
                rows.push((i * per + first, values));
            }
        }
        // Second-order difference penalty D'D per input block.
        let mut penalty = vec![0.0; k * k];
        for i in 0..columns.len() {
            for j in 0..per - 2 {
                let c = [i * per + j, i * per + j + 1, i * per + j + 2];
                let w = [1.0, -2.0, 1.0];
                for a in 0..3 {
                    for b in 0..3 {
                        penalty[c[a] * k + c[b]] += w[a] * w[b];
                    }
                }
            }
        }
        Basis {
            n,
            k,
            rows,
            inputs: columns.len(),
            penalty,
        }
    }

    fn row(&self, t: usize) -> &[(usize, [f64; 4])] {
        &self.rows[t * self.inputs..(t + 1) * self.inputs]
    }

    /// `B'WB`.
    fn gram(&self, w: Option<&[u32]>) -> Vec<f64> {
        let k = self.k;
        let mut g = vec![0.0; k * k];
        for t in 0..self.n {
            let wt = weight(w, t);
            if wt == 0.0 {
                continue;
            }
            let row = self.row(t);
            for &(ca, va) in row {
                for &(cb, vb) in row {
                    for a in 0..4 {
                        for b in 0..4 {
                            g[(ca + a) * k + cb + b] += wt * va[a] * vb[b];
                        }
                    }
                }
            }
        }
        g
    }

    /// `B'Wy`.
    fn moment(&self, y: &[f64], w: Option<&[u32]>) -> Vec<f64> {
        let mut m = vec![0.0; self.k];
        for (t, &yt) in y.iter().enumerate() {
            let wt = weight(w, t) * yt;
            for &(c, v) in self.row(t) {
                for a in 0..4 {
                    m[c + a] += wt * v[a];
                }
            }
        }
        m
    }

    fn fitted_at(&self, beta: &[f64], t: usize) -> f64 {
        self.row(t)
            .iter()
            .map(|&(c, v)| (0..4).map(|a| beta[c + a] * v[a]).sum::<f64>())
            .sum()
    }

    /// `B'WB + λ P`, with a tiny ridge: the blocks of a group share the constant, a
    /// direction neither the data nor the penalty fixes (the fitted values do not depend on
    /// it).
    fn system(&self, gram: &[f64], lambda: f64) -> Vec<f64> {
        let k = self.k;
        let scale = (0..k).map(|i| gram[i * k + i]).sum::<f64>() / k as f64;
        let mut a: Vec<f64> = gram
            .iter()
            .zip(&self.penalty)
            .map(|(g, p)| g + lambda * scale * p)
            .collect();
        for i in 0..k {
            a[i * k + i] += 1e-9 * scale.max(f64::MIN_POSITIVE);
        }
        a
    }

    /// The fitted values of `y` with smoothing `lambda` (relative to the mean diagonal of
    /// the Gram matrix).
    fn fit(&self, gram: &[f64], y: &[f64], lambda: f64, w: Option<&[u32]>) -> Option<Vec<f64>> {
        let l = cholesky(&self.system(gram, lambda), self.k)?;
        let beta = solve(&l, self.k, &self.moment(y, w));
        Some((0..self.n).map(|t| self.fitted_at(&beta, t)).collect())
    }

    /// The smoothing that minimises generalised cross-validation, `n RSS / (n - tr H)^2`,
    /// over a grid of 10^-4 to 10^6.
    fn gcv_lambda(&self, y: &[f64]) -> f64 {
        let k = self.k;
        let gram = self.gram(None);
        let n = self.n as f64;
        let mut best = (f64::INFINITY, 1.0);
        for step in 0..=20 {
            let lambda = 10f64.powf(-4.0 + 0.5 * step as f64);
            let Some(l) = cholesky(&self.system(&gram, lambda), k) else {
                continue;
            };
            let beta = solve(&l, k, &self.moment(y, None));
            let rss: f64 = (0..self.n)
                .map(|t| (y[t] - self.fitted_at(&beta, t)).powi(2))
                .sum();
            // tr H = tr(A⁻¹ B'B), column by column.
            let mut trace = 0.0;
            for j in 0..k {
                let col: Vec<f64> = (0..k).map(|i| gram[i * k + j]).collect();
                trace += solve(&l, k, &col)[j];
            }
            if trace >= n {
                continue;
            }
            let gcv = n * rss / ((n - trace) * (n - trace));
            if gcv < best.0 {
                best = (gcv, lambda);
            }
        }
        best.1
    }
}

/// The cubic B-splines on `segments` equal segments of [0, 1] that are nonzero at `x`:
/// the index of the first and their four values (which sum to 1).
fn bspline(x: f64, segments: usize) -> (usize, [f64; 4]) {
    let s = x.clamp(0.0, 1.0) * segments as f64;
    let j = (s.floor() as usize).min(segments - 1);
    let u = s - j as f64;
    let v = 1.0 - u;
    (
        j,
        [
            v * v * v / 6.0,
            (3.0 * u * u * u - 6.0 * u * u + 4.0) / 6.0,
            (-3.0 * u * u * u + 3.0 * u * u + 3.0 * u + 1.0) / 6.0,
            u * u * u / 6.0,
        ],
    )
}

/// Lower-triangular `L` with `L L' = a` for a symmetric positive definite `k × k` matrix;
/// `None` when a pivot is not positive.
fn cholesky(a: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let d = a[j * k + j] - (0..j).map(|m| l[j * k + m] * l[j * k + m]).sum::<f64>();
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let r = a[i * k + j] - (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum::<f64>();
            l[i * k + j] = r / d;
        }
    }
    Some(l)
}

/// Solves `L L' x = b`.
fn solve(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b.to_vec();
    for i in 0..k {
        let s: f64 = (0..i).map(|m| l[i * k + m] * z[m]).sum();
        z[i] = (z[i] - s) / l[i * k + i];
    }
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|m| l[m * k + i] * z[m]).sum();
        z[i] = (z[i] - s) / l[i * k + i];
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{stream, uniform};

    fn draws(seed: u64, n: usize, what: u64) -> Vec<f64> {
        let mut rng = stream(seed, 0, what, name_key("decision.test"));
        (0..n).map(|_| uniform(&mut rng)).collect()
    }

    fn names(d: usize) -> Vec<String> {
        (0..d).map(|k| format!("option {k}")).collect()
    }

    /// Option A has a fixed cost `c ~ U(0, 2)`, option B a fixed cost of 1; both also pay
    /// `10 x` for an `x ~ U(0, 1)` that moves both alike. Costs are minimised; the two
    /// have the same mean cost (6), and A is better exactly when `c < 1`, by `1 - c`:
    /// EVPI = E[max(0, 1 - c)] = ∫_0^1 (1 - c) / 2 dc = 1/4, and learning `c` is worth all
    /// of it; learning `x` is worth nothing (it does not change the difference).
    #[test]
    fn evpi_and_evppi_match_the_closed_form() {
        let n = 2000;
        let c: Vec<f64> = draws(3, n, 0).iter().map(|u| 2.0 * u).collect();
        let x = draws(3, n, 1);
        let a: Vec<f64> = (0..n).map(|t| c[t] + 10.0 * x[t]).collect();
        let b: Vec<f64> = (0..n).map(|t| 1.0 + 10.0 * x[t]).collect();
        let inputs = [
            Uncertain {
                name: "c".into(),
                columns: vec![c.clone()],
            },
            Uncertain {
                name: "x".into(),
                columns: vec![x.clone()],
            },
            Uncertain {
                name: "c & x".into(),
                columns: vec![c.clone(), x.clone()],
            },
        ];
        let d = analyse("cost", Better::Lower, &names(2), &[a, b], &inputs, 1).unwrap();
        let evpi = &d.evpi;
        // Within 3 standard errors of the integral (a fixed seed; about 1 in 370 fails).
        assert!(
            (evpi.evppi - 0.25).abs() < 3.0 * evpi.se,
            "EVPI {} ± {}",
            evpi.evppi,
            evpi.se
        );
        let get = |name: &str| d.voi.iter().find(|v| v.parameter == name).unwrap().clone();
        let vc = get("c");
        assert!(
            (vc.evppi - 0.25).abs() < 3.0 * vc.se,
            "EVPPI(c) {} ± {}",
            vc.evppi,
            vc.se
        );
        // The group holding c is worth as much.
        let g = get("c & x");
        assert!((g.evppi - 0.25).abs() < 3.0 * g.se, "{g:?}");
        // x moves both options by up to 10 (40 times the EVPI) but not their difference.
        let vx = get("x");
        assert!(vx.evppi < 3.0 * vx.se.max(1e-3), "EVPPI(x) {vx:?}");
        assert!(vx.evppi < 0.02 * evpi.evppi, "EVPPI(x) {vx:?}");
        assert!(
            d.voi[0].parameter.contains('c'),
            "sorted by value: {:?}",
            d.voi
        );
    }

    /// A noisy difference: `A - B = c - 1 + e` with `e ~ U(-1, 1)` independent of `c`.
    /// EVPPI(c) = E[max(0, 1 - c)] = 1/4 still (the noise averages out given c), while the
    /// EVPI is larger: E[max(0, 1 - c - e)] with c ~ U(0, 2), e ~ U(-1, 1), i.e.
    /// E[max(0, s)] for s = 1 - c - e, a triangular variable on [-2, 2] centred on 0:
    /// ∫_0^2 s (2 - s) / 4 ds = 1/3.
    #[test]
    fn noise_adds_to_evpi_but_not_to_evppi() {
        let n = 4000;
        let c: Vec<f64> = draws(5, n, 0).iter().map(|u| 2.0 * u).collect();
        let e: Vec<f64> = draws(5, n, 1).iter().map(|u| 2.0 * u - 1.0).collect();
        let a: Vec<f64> = (0..n).map(|t| c[t] + e[t]).collect();
        let b = vec![1.0; n];
        let inputs = [Uncertain {
            name: "c".into(),
            columns: vec![c],
        }];
        let d = analyse("cost", Better::Lower, &names(2), &[a, b], &inputs, 2).unwrap();
        assert!(
            (d.evpi.evppi - 1.0 / 3.0).abs() < 3.0 * d.evpi.se,
            "{:?}",
            d.evpi
        );
        let v = &d.voi[0];
        assert!((v.evppi - 0.25).abs() < 3.0 * v.se, "{v:?}");
        assert!(!v.clipped);
    }

    #[test]
    fn p_best_splits_ties_and_regret_is_direct() {
        // Trials: [3, 3, 1], [0, 5, 5], [2, 1, 0], [4, 4, 4] (higher is better).
        let v = vec![
            vec![3.0, 0.0, 2.0, 4.0],
            vec![3.0, 5.0, 1.0, 4.0],
            vec![1.0, 5.0, 0.0, 4.0],
        ];
        let d = analyse("m", Better::Higher, &names(3), &v, &[], 0).unwrap();
        let p: Vec<f64> = d.options.iter().map(|o| o.p_best).collect();
        let third = 1.0 / 3.0;
        let want = [
            (0.5 + 1.0 + third) / 4.0,
            (0.5 + 0.5 + third) / 4.0,
            (0.5 + third) / 4.0,
        ];
        for (a, b) in p.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{p:?}");
        }
        // Best per trial 3, 5, 2, 4: regrets (0+5+0+0)/4, (0+0+1+0)/4, (2+0+2+0)/4.
        let r: Vec<f64> = d.options.iter().map(|o| o.expected_regret).collect();
        assert_eq!(r, vec![1.25, 0.25, 1.0]);
        // Means 2.25, 3.25, 2.5: option 1 chosen; EVPI = 14/4 - 3.25 = its regret.
        assert_eq!(
            d.options.iter().map(|o| o.chosen).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert!((d.evpi.evppi - 0.25).abs() < 1e-12);
        // Costs: the lowest wins.
        let d = analyse("m", Better::Lower, &names(3), &v, &[], 0).unwrap();
        assert!(d.options[0].chosen);
        assert_eq!(d.options[0].expected_regret, (2.0 + 0.0 + 2.0 + 0.0) / 4.0);
        assert!(analyse("m", Better::Lower, &names(1), &[vec![f64::NAN]], &[], 0).is_none());
    }

    #[test]
    fn b_splines_sum_to_one_and_the_solver_solves() {
        for x in [0.0, 0.1, 0.5, 0.999, 1.0] {
            let (_, v) = bspline(x, 7);
            assert!((v.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        let x = solve(&l, 2, &[6.0, 5.0]);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
