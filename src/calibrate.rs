//! Calibration: Bayesian updating of a scenario's uncertain inputs on a targets file, by
//! importance sampling. Statistics only: no I/O, no formatting (the job layer simulates
//! the draws, [`crate::results`] holds what this module computes).
//!
//! Each draw is a trial of a scenario: its parameter values θ and each target's value on
//! that trial's own figures ([`crate::backtest::values`]). A target's band is read as a
//! measurement error ([`log_likelihood`]); informational targets are not fitted. The
//! weights are the likelihood times prior over proposal, normalised ([`normalise`]), and
//! their Kish effective sample size ([`kish_ess`]) says how many equally weighted draws
//! they are worth.
//!
//! **Adaptive rounds** follow adaptive multiple importance sampling (AMIS; Cornuet, Marin,
//! Mira and Robert 2012, "Adaptive Multiple Importance Sampling", *Scandinavian Journal of
//! Statistics* 39(4)): round 0 draws from the prior; after each round every calibrated
//! parameter gets a new proposal, a normal truncated to the prior's support with the
//! weighted mean and twice the weighted variance of the draws so far (the kernel scale of
//! population Monte Carlo for approximate Bayesian computation, Beaumont, Cornuet, Marin
//! and Robert 2009, *Biometrika* 96(4)); and every draw of every round is re-weighted by
//! prior / (the mixture of all proposals so far, the prior included, in proportion to
//! their draws) × likelihood ([`amis_log_weights`]), the deterministic-mixture weights of
//! AMIS. Keeping the prior in the mixture makes it defensive (Hesterberg 1995): no weight
//! exceeds the likelihood over the prior's share of the draws. The proposals are
//! independent across parameters, so their density is exact; the posterior's dependence
//! is kept by the draws and their weights, not by the proposal.
//!
//! Posterior summaries are weighted quantiles ([`weighted_quantile`]) and weighted
//! Spearman rank correlations ([`weighted_spearman`]). A parameter "keeps its prior" when
//! the Kolmogorov–Smirnov distance between its weighted empirical distribution and the
//! prior's CDF is below the 5% critical value for a sample of ESS independent draws,
//! `1.358 / sqrt(ESS)` ([`keeps_prior`]): the targets cannot tell its values apart.
//! [`fit_bounded`] turns a posterior marginal into a bounded distribution of the scenario
//! format: a metalog through its weighted 5th, 50th and 95th percentiles with the prior's
//! bounds (Keelin 2016), or, when no metalog is feasible, a normal truncated to the prior's
//! support with the weighted mean and sd.

use statrs::function::beta::{beta_reg, ln_beta};
use statrs::function::erf::erfc;
use statrs::function::gamma::{gamma_lr, ln_gamma};

use crate::backtest::{Measurement, Target};
use crate::sampling::{Dist, Metalog};

/// The two-sided 5% critical value of the Kolmogorov–Smirnov statistic times `sqrt(n)`
/// for large `n`.
pub const KS_CRITICAL_5: f64 = 1.358;

/// Default `--min-ess`: the effective sample size adaptive rounds aim for.
pub const DEFAULT_MIN_ESS: f64 = 500.0;

/// Default `--max-rounds`: the prior round and up to five adaptive ones.
pub const DEFAULT_MAX_ROUNDS: u32 = 6;

/// Posterior rank correlations at least this large (in absolute value) become
/// `[[correlation]]` entries of `calibrated.toml`.
pub const CORRELATION_THRESHOLD: f64 = 0.2;

/// The log-likelihood of a simulated value `x` of target `t` (up to a constant common to
/// all draws): `-(x - middle)² / (2 sd²)` for a normal error around the band's middle; 0
/// inside the band and −∞ outside for a uniform one; −∞ for an undefined value.
pub fn log_likelihood(t: &Target, x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NEG_INFINITY;
    }
    match t.error {
        Measurement::Normal { sd } => {
            let z = (x - 0.5 * (t.low + t.high)) / sd;
            -0.5 * z * z
        }
        Measurement::Uniform => {
            if x >= t.low && x <= t.high {
                0.0
            } else {
                f64::NEG_INFINITY
            }
        }
    }
}

/// Normalised weights from log-weights (log-sum-exp, so no underflow); `None` when every
/// weight is 0 (or a log-weight is NaN).
pub fn normalise(log_w: &[f64]) -> Option<Vec<f64>> {
    if log_w.iter().any(|x| x.is_nan()) {
        return None;
    }
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return None;
    }
    let w: Vec<f64> = log_w.iter().map(|&l| (l - max).exp()).collect();
    let total: f64 = w.iter().sum();
    Some(w.iter().map(|x| x / total).collect())
}

/// Kish's effective sample size of weights, `(Σw)² / Σw²` (Kish 1965, *Survey Sampling*):
/// `n` for equal weights, 1 when one draw holds all the weight.
pub fn kish_ess(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// The indices of `values` in ascending order (undefined values last), ties by index.
fn order(values: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| {
        crate::stats::ordered(values[a])
            .total_cmp(&crate::stats::ordered(values[b]))
            .then(a.cmp(&b))
    });
    idx
}

/// The weighted quantile `q` of `values`: sorted values placed at the midpoints of their
/// cumulative weights, interpolated linearly between them (equal weights give the
/// "Hazen" percentiles, `(i - 1/2) / n`). Undefined values count as +∞; NaN when the
/// quantile reaches them or there is no weight.
pub fn weighted_quantile(values: &[f64], w: &[f64], q: f64) -> f64 {
    let idx = order(values);
    let total: f64 = w.iter().sum();
    if idx.is_empty() || total <= 0.0 {
        return f64::NAN;
    }
    let mut cum = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    for &i in &idx {
        if w[i] <= 0.0 {
            continue;
        }
        let mid = (cum + 0.5 * w[i]) / total;
        cum += w[i];
        let x = crate::stats::ordered(values[i]);
        if mid >= q {
            let v = match prev {
                None => x,
                Some((pm, px)) if mid > pm => px + (x - px) * (q - pm) / (mid - pm),
                Some(_) => x,
            };
            return if v.is_finite() { v } else { f64::NAN };
        }
        prev = Some((mid, x));
    }
    prev.map_or(f64::NAN, |(_, x)| if x.is_finite() { x } else { f64::NAN })
}

/// Weighted mean and standard deviation (the weights sum to 1).
pub fn weighted_mean_sd(values: &[f64], w: &[f64]) -> (f64, f64) {
    let total: f64 = w.iter().sum();
    let mean = values.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / total;
    let var = values
        .iter()
        .zip(w)
        .map(|(x, w)| w * (x - mean) * (x - mean))
        .sum::<f64>()
        / total;
    (mean, var.max(0.0).sqrt())
}

/// Mid-distribution positions of each value in the weighted empirical distribution:
/// the weight below it plus half its own (ties share their weight).
fn weighted_positions(values: &[f64], w: &[f64]) -> Vec<f64> {
    let idx = order(values);
    let total: f64 = w.iter().sum();
    let mut pos = vec![0.0; values.len()];
    let mut cum = 0.0;
    let mut k = 0;
    while k < idx.len() {
        let mut j = k;
        while j + 1 < idx.len() && values[idx[j + 1]] == values[idx[k]] {
            j += 1;
        }
        let tie: f64 = idx[k..=j].iter().map(|&i| w[i]).sum();
        for &i in &idx[k..=j] {
            pos[i] = (cum + 0.5 * tie) / total;
        }
        cum += tie;
        k = j + 1;
    }
    pos
}

/// The weighted Spearman rank correlation: the weighted Pearson correlation of the values'
/// mid-distribution positions in their weighted empirical distributions (with equal
/// weights, Spearman's rho). `None` when a side is constant or a value is undefined.
pub fn weighted_spearman(x: &[f64], y: &[f64], w: &[f64]) -> Option<f64> {
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let (px, py) = (weighted_positions(x, w), weighted_positions(y, w));
    let (mx, sx) = weighted_mean_sd(&px, w);
    let (my, sy) = weighted_mean_sd(&py, w);
    if sx <= 0.0 || sy <= 0.0 {
        return None;
    }
    let total: f64 = w.iter().sum();
    let cov = px
        .iter()
        .zip(&py)
        .zip(w)
        .map(|((a, b), w)| w * (a - mx) * (b - my))
        .sum::<f64>()
        / total;
    Some((cov / (sx * sy)).clamp(-1.0, 1.0))
}

/// The Kolmogorov–Smirnov distance between the weighted empirical distribution of
/// `values` and a continuous CDF: the largest gap just before or at any value.
pub fn ks_distance(values: &[f64], w: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let idx = order(values);
    let total: f64 = w.iter().sum();
    let mut cum = 0.0;
    let mut d: f64 = 0.0;
    for &i in &idx {
        let f = cdf(values[i]);
        d = d.max((f - cum / total).abs());
        cum += w[i];
        d = d.max((cum / total - f).abs());
    }
    d
}

/// Whether a parameter's posterior keeps its prior: the Kolmogorov–Smirnov distance
/// `d` below the 5% critical value for `ess` independent draws, `1.358 / sqrt(ess)`.
pub fn keeps_prior(d: f64, ess: f64) -> bool {
    ess > 0.0 && d < KS_CRITICAL_5 / ess.sqrt()
}

// ---------------------------------------------------------------------------------------
// Densities and CDFs of the scenario's distributions.

fn norm_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Probability of `[a, b]` under a standard normal, on the accurate tail.
fn norm_mass(a: f64, b: f64) -> f64 {
    if a >= 0.0 {
        norm_cdf(-a) - norm_cdf(-b)
    } else if b <= 0.0 {
        norm_cdf(b) - norm_cdf(a)
    } else {
        1.0 - norm_cdf(a) - norm_cdf(-b)
    }
}

/// The standardised bounds of a (truncated) normal.
fn norm_bounds(mean: f64, sd: f64, min: Option<f64>, max: Option<f64>) -> (f64, f64) {
    (
        min.map_or(f64::NEG_INFINITY, |m| (m - mean) / sd),
        max.map_or(f64::INFINITY, |m| (m - mean) / sd),
    )
}

/// `ln` of the density of `dist` at `x` (−∞ outside the support). A metalog's is
/// computed numerically from its quantile function.
pub fn ln_pdf(dist: &Dist, x: f64) -> f64 {
    let (lo, hi) = dist.support();
    if !(x >= lo && x <= hi) {
        return f64::NEG_INFINITY;
    }
    match *dist {
        Dist::Fixed(_) => 0.0,
        Dist::Uniform { min, max } => -(max - min).ln(),
        Dist::Triangular { min, mode, max } => {
            let p = if x < mode {
                2.0 * (x - min) / ((max - min) * (mode - min))
            } else if x > mode {
                2.0 * (max - x) / ((max - min) * (max - mode))
            } else {
                2.0 / (max - min)
            };
            p.ln()
        }
        Dist::Pert { min, mode, max } => {
            let range = max - min;
            let a = 1.0 + 4.0 * (mode - min) / range;
            let b = 1.0 + 4.0 * (max - mode) / range;
            ln_beta_pdf(a, b, (x - min) / range) - range.ln()
        }
        Dist::Beta { alpha, beta } => ln_beta_pdf(alpha, beta, x),
        Dist::Normal { mean, sd, min, max } => {
            let (a, b) = norm_bounds(mean, sd, min, max);
            let z = (x - mean) / sd;
            -0.5 * z * z - (sd * (2.0 * std::f64::consts::PI).sqrt()).ln() - norm_mass(a, b).ln()
        }
        Dist::LogNormal { median, sigma } => {
            let z = (x.ln() - median.ln()) / sigma;
            -0.5 * z * z - (x * sigma * (2.0 * std::f64::consts::PI).sqrt()).ln()
        }
        Dist::Gamma { shape, scale } => {
            (shape - 1.0) * x.ln() - x / scale - ln_gamma(shape) - shape * scale.ln()
        }
        Dist::Metalog(_) => {
            // The density is 1 / Q'(u) at u = F(x); Q' by a central difference.
            let u = cdf(dist, x).clamp(1e-9, 1.0 - 1e-9);
            let h = 1e-6 * u.min(1.0 - u);
            let dq = (dist.quantile(u + h) - dist.quantile(u - h)) / (2.0 * h);
            if dq > 0.0 {
                -dq.ln()
            } else {
                f64::NEG_INFINITY
            }
        }
    }
}

fn ln_beta_pdf(a: f64, b: f64, z: f64) -> f64 {
    let term = |shape: f64, v: f64| {
        if shape == 1.0 {
            0.0
        } else {
            (shape - 1.0) * v.ln()
        }
    };
    term(a, z) + term(b, 1.0 - z) - ln_beta(a, b)
}

/// The cumulative distribution function of `dist` at `x`. A metalog's is found by
/// bisection on its quantile function (to about 1e-12 in probability).
pub fn cdf(dist: &Dist, x: f64) -> f64 {
    let (lo, hi) = dist.support();
    if x <= lo {
        return 0.0;
    }
    if x >= hi {
        return 1.0;
    }
    match *dist {
        Dist::Fixed(v) => f64::from(u8::from(x >= v)),
        Dist::Uniform { min, max } => (x - min) / (max - min),
        Dist::Triangular { min, mode, max } => {
            if x <= mode {
                (x - min) * (x - min) / ((max - min) * (mode - min))
            } else {
                1.0 - (max - x) * (max - x) / ((max - min) * (max - mode))
            }
        }
        Dist::Pert { min, mode, max } => {
            let range = max - min;
            let a = 1.0 + 4.0 * (mode - min) / range;
            let b = 1.0 + 4.0 * (max - mode) / range;
            beta_reg(a, b, (x - min) / range)
        }
        Dist::Beta { alpha, beta } => beta_reg(alpha, beta, x),
        Dist::Normal { mean, sd, min, max } => {
            let (a, _) = norm_bounds(mean, sd, min, max);
            let (_, b) = norm_bounds(mean, sd, min, max);
            norm_mass(a, (x - mean) / sd) / norm_mass(a, b)
        }
        Dist::LogNormal { median, sigma } => norm_cdf((x.ln() - median.ln()) / sigma),
        Dist::Gamma { shape, scale } => gamma_lr(shape, x / scale),
        Dist::Metalog(_) => {
            let (mut a, mut b) = (0.0f64, 1.0f64);
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if dist.quantile(m) < x {
                    a = m;
                } else {
                    b = m;
                }
            }
            0.5 * (a + b)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Adaptive multiple importance sampling.

/// One round of draws: how many, and the proposal of each calibrated parameter (`None`:
/// the prior).
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub draws: usize,
    pub proposals: Option<Vec<Dist>>,
}

/// The AMIS log-weights of every draw of every round: `ln L(θ) + ln π(θ) −
/// ln Σ_r (N_r / N) q_r(θ)`, over the calibrated parameters only (the others are drawn
/// from their priors in every round and cancel). `theta[i]` holds draw `i`'s calibrated
/// values, `log_lik[i]` its log-likelihood; `priors` the calibrated parameters' priors.
pub fn amis_log_weights(
    theta: &[Vec<f64>],
    log_lik: &[f64],
    priors: &[Dist],
    rounds: &[Round],
) -> Vec<f64> {
    let total: usize = rounds.iter().map(|r| r.draws).sum();
    theta
        .iter()
        .zip(log_lik)
        .map(|(th, &ll)| {
            if ll == f64::NEG_INFINITY {
                return ll;
            }
            let ln_prior: f64 = priors.iter().zip(th).map(|(d, &x)| ln_pdf(d, x)).sum();
            if !ln_prior.is_finite() {
                return f64::NEG_INFINITY;
            }
            // Σ_r (N_r/N) q_r/π, each ratio in logs; the prior's rounds give 1.
            let mixture: f64 = rounds
                .iter()
                .map(|r| {
                    let share = r.draws as f64 / total as f64;
                    match &r.proposals {
                        None => share,
                        Some(q) => {
                            // A parameter whose proposal is its prior contributes a ratio of 1.
                            let ln_ratio: f64 = q
                                .iter()
                                .zip(priors)
                                .zip(th)
                                .filter(|((q, p), _)| q != p)
                                .map(|((q, p), &x)| ln_pdf(q, x) - ln_pdf(p, x))
                                .sum();
                            share * ln_ratio.exp()
                        }
                    }
                })
                .sum();
            ll - mixture.ln()
        })
        .collect()
}

/// The proposal of the next round for one parameter: a normal truncated to the prior's
/// support with the weighted mean and twice the weighted variance of the draws so far
/// (Beaumont et al. 2009). The sd is at least 1% of the prior's 90% range, so that one
/// heavy draw cannot collapse it.
pub fn fit_proposal(prior: &Dist, values: &[f64], w: &[f64]) -> Dist {
    let (mean, sd) = weighted_mean_sd(values, w);
    let floor = 0.01 * (prior.quantile(0.95) - prior.quantile(0.05)).abs();
    let sd = (std::f64::consts::SQRT_2 * sd)
        .max(floor)
        .max(f64::MIN_POSITIVE);
    let (lo, hi) = prior.support();
    Dist::Normal {
        mean,
        sd,
        min: lo.is_finite().then_some(lo),
        max: hi.is_finite().then_some(hi),
    }
}

/// A bounded distribution of the scenario format for a posterior marginal: a metalog
/// through the weighted 5th, 50th and 95th percentiles (each rounded to 6 significant
/// digits) with the prior's finite bounds; when that metalog is not feasible (percentiles
/// crowding a bound, or too skewed for three terms), a normal with the weighted mean and
/// sd truncated to the prior's support.
pub fn fit_bounded(prior: &Dist, values: &[f64], w: &[f64]) -> Dist {
    let (lo, hi) = prior.support();
    let (min, max) = (lo.is_finite().then_some(lo), hi.is_finite().then_some(hi));
    let q: Vec<f64> = [0.05, 0.5, 0.95]
        .iter()
        .map(|&p| round6(weighted_quantile(values, w, p)))
        .collect();
    let inside = q.iter().all(|&x| x > lo && x < hi) && q[0] < q[1] && q[1] < q[2];
    if inside {
        let m = Metalog::quantiles(vec![(0.05, q[0]), (0.5, q[1]), (0.95, q[2])], min, max);
        if m.check().is_ok() {
            return Dist::Metalog(m);
        }
    }
    let (mean, sd) = weighted_mean_sd(values, w);
    let floor = 1e-6 * (prior.quantile(0.95) - prior.quantile(0.05)).abs();
    Dist::Normal {
        mean: round6(mean),
        sd: round6(sd.max(floor).max(f64::MIN_POSITIVE)),
        min,
        max,
    }
}

/// `x` rounded to 6 significant digits (exactly as written back in a scenario file).
pub fn round6(x: f64) -> f64 {
    if x.is_finite() && x != 0.0 {
        format!("{x:.5e}").parse().unwrap_or(x)
    } else {
        x
    }
}

// ---------------------------------------------------------------------------------------
// The posterior of a set of draws.

/// One draw: a trial of the prior scenario (round 0) or of a round's proposal, reduced to
/// what the calibration keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct Draw {
    /// 0 for the prior's draws, then the adaptive round.
    pub round: u32,
    /// The trial index (rounds use disjoint ranges, so every draw has its own streams).
    pub trial: u64,
    /// Every uncertain parameter's value, in parameter order.
    pub values: Vec<f64>,
    /// Every target's value on this draw's own figures, in file order.
    pub targets: Vec<f64>,
}

/// What is calibrated: the uncertain parameters (keys and priors, in parameter order),
/// which of them are calibrated (indices), and the targets.
#[derive(Clone, Debug)]
pub struct Problem {
    pub keys: Vec<String>,
    pub priors: Vec<Dist>,
    pub calibrated: Vec<usize>,
    pub targets: Vec<Target>,
}

impl Problem {
    /// The log-likelihood of a draw: the sum over the fitted (not informational) targets.
    pub fn log_likelihood(&self, d: &Draw) -> f64 {
        self.targets
            .iter()
            .zip(&d.targets)
            .filter(|(t, _)| !t.informational)
            .map(|(t, &x)| log_likelihood(t, x))
            .sum()
    }

    /// The normalised AMIS weights of every draw (see [`amis_log_weights`]); `None` when
    /// no draw has a positive likelihood.
    pub fn weights(&self, draws: &[Draw], rounds: &[Round]) -> Option<Vec<f64>> {
        let theta: Vec<Vec<f64>> = draws
            .iter()
            .map(|d| self.calibrated.iter().map(|&k| d.values[k]).collect())
            .collect();
        let ll: Vec<f64> = draws.iter().map(|d| self.log_likelihood(d)).collect();
        let priors: Vec<Dist> = self
            .calibrated
            .iter()
            .map(|&k| self.priors[k].clone())
            .collect();
        normalise(&amis_log_weights(&theta, &ll, &priors, rounds))
    }

    /// The proposals of the next round, one per calibrated parameter: [`fit_proposal`],
    /// or the prior itself for a parameter whose weighted draws still keep the prior
    /// ([`keeps_prior`]): adapting a proposal the targets do not inform would only add
    /// variance to the weights (and one such factor per parameter degrades them fast).
    pub fn proposals(&self, draws: &[Draw], w: &[f64]) -> Vec<Dist> {
        let ess = kish_ess(w);
        self.calibrated
            .iter()
            .map(|&k| {
                let prior = &self.priors[k];
                let values: Vec<f64> = draws.iter().map(|d| d.values[k]).collect();
                if keeps_prior(ks_distance(&values, w, |x| cdf(prior, x)), ess) {
                    prior.clone()
                } else {
                    fit_proposal(prior, &values, w)
                }
            })
            .collect()
    }
}

/// The effective sample size after a round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoundSummary {
    pub draws: usize,
    /// Kish ESS of the weights of all draws so far.
    pub ess: f64,
}

/// A calibrated parameter's prior and posterior.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamPosterior {
    pub key: String,
    pub prior: Dist,
    /// The prior's 5th, 50th and 95th percentiles (exact).
    pub prior_q: [f64; 3],
    /// The posterior's (weighted) 5th, 50th and 95th percentiles.
    pub post_q: [f64; 3],
    pub mean: f64,
    pub sd: f64,
    /// Kolmogorov–Smirnov distance between the posterior draws and the prior's CDF.
    pub ks: f64,
    /// The targets cannot see it: `ks` below the 5% critical value at the ESS.
    pub keeps_prior: bool,
    /// The bounded distribution fitted to the posterior ([`fit_bounded`]).
    pub fitted: Dist,
}

impl ParamPosterior {
    /// The parameter's status in `calibration.csv` and every report: "keeps prior" when
    /// the targets cannot tell its values apart, else "updated".
    pub fn status(&self) -> &'static str {
        if self.keeps_prior {
            "keeps prior"
        } else {
            "updated"
        }
    }
}

/// A target's prior and posterior predictive distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetPosterior {
    pub target: Target,
    /// Whether it enters the likelihood (informational targets do not).
    pub fitted: bool,
    /// 5th, 50th and 95th percentiles over the prior's draws (round 0, equal weights).
    pub prior_q: [f64; 3],
    /// Weighted percentiles over every draw.
    pub post_q: [f64; 3],
    /// Posterior probability that the target's value is inside its band.
    pub hit_probability: f64,
}

impl TargetPosterior {
    /// The target's status in `calibration.csv` and every report: "fitted" or
    /// "informational" (reported, not fitted).
    pub fn status(&self) -> &'static str {
        if self.fitted {
            "fitted"
        } else {
            "informational"
        }
    }
}

/// The result of a calibration.
#[derive(Clone, Debug)]
pub struct Posterior {
    /// Every uncertain parameter's key (the columns of each draw's values).
    pub keys: Vec<String>,
    pub draws: Vec<Draw>,
    /// Normalised weights, one per draw.
    pub weights: Vec<f64>,
    pub rounds: Vec<RoundSummary>,
    pub ess: f64,
    pub min_ess: f64,
    pub max_rounds: u32,
    /// One per calibrated parameter, in parameter order.
    pub params: Vec<ParamPosterior>,
    /// One per target, in file order.
    pub targets: Vec<TargetPosterior>,
    /// Posterior rank correlations of at least [`CORRELATION_THRESHOLD`] between calibrated
    /// parameters that do not keep their priors: (index into `params`, index, correlation).
    pub correlations: Vec<(usize, usize, f64)>,
}

impl Posterior {
    /// Whether the ESS reached `min_ess` (else the round limit stopped the rounds).
    pub fn reached(&self) -> bool {
        self.ess >= self.min_ess
    }
}

fn percentiles(values: &[f64], w: &[f64]) -> [f64; 3] {
    [0.05, 0.5, 0.95].map(|q| weighted_quantile(values, w, q))
}

/// The posterior of `draws` under the weights of `rounds` (see [`Problem::weights`]).
pub fn posterior(
    problem: &Problem,
    draws: Vec<Draw>,
    weights: Vec<f64>,
    rounds: Vec<RoundSummary>,
    min_ess: f64,
    max_rounds: u32,
) -> Posterior {
    let ess = kish_ess(&weights);
    let column = |f: &dyn Fn(&Draw) -> f64| -> Vec<f64> { draws.iter().map(f).collect() };
    let params: Vec<ParamPosterior> = problem
        .calibrated
        .iter()
        .map(|&k| {
            let prior = problem.priors[k].clone();
            let values = column(&|d| d.values[k]);
            let (mean, sd) = weighted_mean_sd(&values, &weights);
            let ks = ks_distance(&values, &weights, |x| cdf(&prior, x));
            ParamPosterior {
                key: problem.keys[k].clone(),
                prior_q: [0.05, 0.5, 0.95].map(|q| prior.quantile(q)),
                post_q: percentiles(&values, &weights),
                mean,
                sd,
                ks,
                keeps_prior: keeps_prior(ks, ess),
                fitted: fit_bounded(&prior, &values, &weights),
                prior,
            }
        })
        .collect();
    let prior_draws: Vec<usize> = (0..draws.len()).filter(|&i| draws[i].round == 0).collect();
    let equal = vec![1.0; prior_draws.len()];
    let targets = problem
        .targets
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let values = column(&|d| d.targets[j]);
            let prior_values: Vec<f64> = prior_draws.iter().map(|&i| values[i]).collect();
            let hit_probability = values
                .iter()
                .zip(&weights)
                .filter(|(x, _)| **x >= t.low && **x <= t.high)
                .map(|(_, w)| w)
                .sum();
            TargetPosterior {
                target: t.clone(),
                fitted: !t.informational,
                prior_q: percentiles(&prior_values, &equal),
                post_q: percentiles(&values, &weights),
                hit_probability,
            }
        })
        .collect();
    let mut correlations = Vec::new();
    for a in 0..params.len() {
        for b in a + 1..params.len() {
            if params[a].keeps_prior || params[b].keeps_prior {
                continue;
            }
            let (ka, kb) = (problem.calibrated[a], problem.calibrated[b]);
            let r = weighted_spearman(
                &column(&|d| d.values[ka]),
                &column(&|d| d.values[kb]),
                &weights,
            );
            if let Some(r) = r.filter(|r| r.abs() >= CORRELATION_THRESHOLD) {
                correlations.push((a, b, r));
            }
        }
    }
    Posterior {
        keys: problem.keys.clone(),
        draws,
        weights,
        rounds,
        ess,
        min_ess,
        max_rounds,
        params,
        targets,
        correlations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ess_is_kish_s_formula() {
        assert_eq!(kish_ess(&[0.25; 4]), 4.0);
        assert_eq!(kish_ess(&[1.0, 0.0, 0.0]), 1.0);
        // (0.5 + 0.3 + 0.2)² / (0.25 + 0.09 + 0.04) = 1 / 0.38.
        assert!((kish_ess(&[0.5, 0.3, 0.2]) - 1.0 / 0.38).abs() < 1e-12);
        // Scale-free.
        assert!((kish_ess(&[5.0, 3.0, 2.0]) - 1.0 / 0.38).abs() < 1e-12);
    }

    #[test]
    fn normalise_survives_underflow() {
        // exp(-2000) underflows; the ratio 1:2 survives (to the rounding of -2000 + ln 2,
        // about 2000 ulp of 1).
        let w = normalise(&[-2000.0, -2000.0 + 2f64.ln(), f64::NEG_INFINITY]).unwrap();
        assert!((w[0] - 1.0 / 3.0).abs() < 1e-12 && (w[1] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(w[2], 0.0);
        assert!(normalise(&[f64::NEG_INFINITY; 3]).is_none());
    }

    #[test]
    fn weighted_quantiles_with_equal_weights_are_hazen() {
        let v = [4.0, 1.0, 3.0, 2.0];
        let w = [0.25; 4];
        // Positions 0.125, 0.375, 0.625, 0.875.
        assert_eq!(weighted_quantile(&v, &w, 0.5), 2.5);
        assert_eq!(weighted_quantile(&v, &w, 0.125), 1.0);
        assert_eq!(weighted_quantile(&v, &w, 0.05), 1.0);
        assert_eq!(weighted_quantile(&v, &w, 0.99), 4.0);
        // A zero weight drops a value.
        assert_eq!(weighted_quantile(&v, &[0.5, 0.0, 0.0, 0.5], 0.5), 3.0);
    }

    #[test]
    fn spearman_of_equal_weights_is_spearman() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0];
        let w = [1.0 / 6.0; 6];
        let plain = crate::stats::spearman(&x, &y).unwrap();
        assert!((weighted_spearman(&x, &y, &w).unwrap() - plain).abs() < 1e-12);
    }

    /// Every density integrates to 1 and is the derivative of its CDF.
    #[test]
    fn densities_match_their_cdfs() {
        let dists = [
            Dist::Uniform { min: 1.0, max: 3.0 },
            Dist::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 4.0,
            },
            Dist::Pert {
                min: 0.2,
                mode: 0.3,
                max: 0.7,
            },
            Dist::Normal {
                mean: 1.0,
                sd: 2.0,
                min: Some(0.0),
                max: Some(2.5),
            },
            Dist::Normal {
                mean: 1.0,
                sd: 2.0,
                min: None,
                max: None,
            },
            Dist::LogNormal {
                median: 2.0,
                sigma: 0.5,
            },
            Dist::Beta {
                alpha: 2.0,
                beta: 5.0,
            },
            Dist::Gamma {
                shape: 2.5,
                scale: 1.5,
            },
            Dist::Metalog(Metalog::quantiles(
                vec![(0.05, 1.0), (0.5, 2.0), (0.95, 4.0)],
                Some(0.0),
                Some(10.0),
            )),
        ];
        for d in &dists {
            for u in [0.1, 0.3, 0.5, 0.8, 0.95] {
                let x = d.quantile(u);
                assert!((cdf(d, x) - u).abs() < 1e-7, "{d:?} cdf at {u}");
                let h = 1e-5 * x.abs().max(1.0);
                let slope = (cdf(d, x + h) - cdf(d, x - h)) / (2.0 * h);
                let p = ln_pdf(d, x).exp();
                assert!(
                    (p - slope).abs() < 1e-4 * p.max(1.0),
                    "{d:?} pdf at {x}: {p} {slope}"
                );
            }
        }
    }

    /// With one proposal equal to the prior, AMIS weights are the likelihoods.
    #[test]
    fn amis_with_the_prior_as_proposal_is_the_likelihood() {
        let prior = Dist::Uniform { min: 0.0, max: 1.0 };
        let theta = vec![vec![0.2], vec![0.7]];
        let ll = [-1.0, -2.0];
        let rounds = [
            Round {
                draws: 1,
                proposals: None,
            },
            Round {
                draws: 1,
                proposals: Some(vec![prior.clone()]),
            },
        ];
        let lw = amis_log_weights(&theta, &ll, std::slice::from_ref(&prior), &rounds);
        assert!((lw[0] + 1.0).abs() < 1e-12 && (lw[1] + 2.0).abs() < 1e-12);
    }

    #[test]
    fn fitted_marginals_keep_their_percentiles() {
        let values: Vec<f64> = (0..1000)
            .map(|i| 0.3 + 0.2 * (i as f64 + 0.5) / 1000.0)
            .collect();
        let w = vec![1.0 / 1000.0; 1000];
        let prior = Dist::Uniform { min: 0.0, max: 1.0 };
        let fit = fit_bounded(&prior, &values, &w);
        assert_eq!(fit.kind(), "metalog");
        assert!((fit.quantile(0.5) - 0.4).abs() < 1e-5);
        assert!((fit.quantile(0.05) - 0.31).abs() < 1e-5);
    }
}
