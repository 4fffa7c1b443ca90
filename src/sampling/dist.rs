//! Uncertain-value distributions of the scenario format ([`Dist`]), drawn through their
//! quantile functions from one uniform each, so that Latin hypercube sampling and rank
//! correlation work on every form. Normal quantiles are refined to full precision; Beta and
//! Gamma quantiles are computed by a safeguarded Newton iteration on the `statrs` CDFs,
//! because `statrs`' own `inverse_cdf` is inaccurate in the tails and for small shapes (and
//! can panic for Beta).

use statrs::function::beta::{beta_reg, ln_beta};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

use super::metalog::Metalog;

/// Smallest `u` used by [`Dist::quantile`] (0 is mapped here).
pub(super) const U_MIN: f64 = 1e-300;
/// Largest `u` used by [`Dist::quantile`]: the largest double below 1.
pub(super) const U_MAX: f64 = 1.0 - f64::EPSILON / 2.0;
/// A truncated normal must keep more than this probability between its bounds.
pub(super) const MIN_TRUNCATED_MASS: f64 = 1e-12;

/// Uncertain-value distributions of the scenario format, each drawn by its quantile function
/// from one uniform so that Latin hypercube sampling and rank correlation can be added later.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// A known value.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Triangular on `[min, max]` with peak at `mode`.
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Beta-PERT (lambda = 4) on `[min, max]`: `alpha = 1 + 4 (mode - min) / (max - min)`,
    /// `beta = 1 + 4 (max - mode) / (max - min)`, a Beta(alpha, beta) scaled to `[min, max]`.
    Pert {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Normal, optionally truncated to `[min, max]` (either bound may be absent).
    Normal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal.
        sd: f64,
        /// Optional lower truncation bound.
        min: Option<f64>,
        /// Optional upper truncation bound.
        max: Option<f64>,
    },
    /// Log-normal: `ln X ~ N(ln median, sigma)`.
    LogNormal {
        /// Median (= exp of the log-mean).
        median: f64,
        /// Standard deviation of `ln X`.
        sigma: f64,
    },
    /// Beta(alpha, beta) on `[0, 1]`.
    Beta {
        /// First shape parameter.
        alpha: f64,
        /// Second shape parameter.
        beta: f64,
    },
    /// Gamma with shape and scale (mean `shape * scale`).
    Gamma {
        /// Shape parameter.
        shape: f64,
        /// Scale parameter.
        scale: f64,
    },
    /// Metalog fitted to quantiles, optionally bounded ([`Metalog`]).
    Metalog(Metalog),
}

pub(super) fn need_finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("`{name}` must be a finite number, got {v}"))
    }
}

pub(super) fn need_positive(name: &str, v: f64) -> Result<(), String> {
    need_finite(name, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be > 0, got {v}"))
    }
}

pub(super) fn need_ordered(min: f64, max: f64) -> Result<(), String> {
    need_finite("min", min)?;
    need_finite("max", max)?;
    if min < max {
        Ok(())
    } else {
        Err(format!("`max` must be > `min` ({min}), got {max}"))
    }
}

pub(super) fn need_mode(min: f64, mode: f64, max: f64) -> Result<(), String> {
    need_ordered(min, max)?;
    need_finite("mode", mode)?;
    if (min..=max).contains(&mode) {
        Ok(())
    } else {
        Err(format!(
            "`mode` must be within [`min`, `max`] = [{min}, {max}], got {mode}"
        ))
    }
}

/// PERT's Beta shape parameters.
pub(super) fn pert_shapes(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let range = max - min;
    (
        1.0 + 4.0 * (mode - min) / range,
        1.0 + 4.0 * (max - mode) / range,
    )
}

impl Dist {
    /// Checks the distribution's own parameters: all finite; `min < max` (and
    /// `min <= mode <= max` for triangular/pert); `sd > 0`; `median > 0` and `sigma > 0`;
    /// `alpha`, `beta`, `shape`, `scale > 0`; a truncated normal needs `min < max` and
    /// probability above 1e-12 between its bounds. The error names the parameter, what was
    /// expected and the value found, e.g. "`sd` must be > 0, got -1".
    pub fn check(&self) -> Result<(), String> {
        match *self {
            Dist::Fixed(v) => need_finite("value", v),
            Dist::Uniform { min, max } => need_ordered(min, max),
            Dist::Triangular { min, mode, max } | Dist::Pert { min, mode, max } => {
                need_mode(min, mode, max)
            }
            Dist::Normal { mean, sd, min, max } => {
                need_finite("mean", mean)?;
                need_positive("sd", sd)?;
                if let Some(lo) = min {
                    need_finite("min", lo)?;
                }
                if let Some(hi) = max {
                    need_finite("max", hi)?;
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    need_ordered(lo, hi)?;
                }
                if min.is_some() || max.is_some() {
                    let t = TruncNormal::new(mean, sd, min, max);
                    if t.mass.is_nan() || t.mass <= MIN_TRUNCATED_MASS {
                        return Err(format!(
                            "truncation bounds `min`/`max` ({}, {}) keep probability {:e} of \
                             normal(mean {mean}, sd {sd}); it must be > {MIN_TRUNCATED_MASS:e}",
                            fmt_opt(min),
                            fmt_opt(max),
                            t.mass
                        ));
                    }
                }
                Ok(())
            }
            Dist::LogNormal { median, sigma } => {
                need_positive("median", median)?;
                need_positive("sigma", sigma)
            }
            Dist::Beta { alpha, beta } => {
                need_positive("alpha", alpha)?;
                need_positive("beta", beta)
            }
            Dist::Gamma { shape, scale } => {
                need_positive("shape", shape)?;
                need_positive("scale", scale)
            }
            Dist::Metalog(ref m) => m.check(),
        }
    }

    /// Inverse CDF (quantile function) at `u` in `(0, 1)`.
    ///
    /// `u` is clamped into `[1e-300, 1 - 2^-53]`, so 0 and 1 are safe (a NaN `u` gives NaN). Monotone non-decreasing
    /// in `u`; accurate to about 1e-13 relative for every variant, including the far tails of
    /// truncated normals and small-shape Beta/Gamma. The result is unspecified (possibly NaN)
    /// if [`Dist::check`] fails, but it never panics.
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let u = u.clamp(U_MIN, U_MAX);
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => (min + u * (max - min)).min(max),
            Dist::Triangular { min, mode, max } => {
                let range = max - min;
                let left = mode - min;
                let right = max - mode;
                let x = if u * range < left {
                    min + (u * range * left).sqrt()
                } else {
                    max - ((1.0 - u) * range * right).sqrt()
                };
                x.max(min).min(max)
            }
            Dist::Pert { min, mode, max } => {
                let (a, b) = pert_shapes(min, mode, max);
                let range = max - min;
                let x = match beta_quantile(a, b, u) {
                    BetaQ::Lower(x) => min + range * x,
                    BetaQ::Upper(y) => max - range * y,
                };
                x.max(min).min(max)
            }
            Dist::Normal {
                mean,
                sd,
                min: None,
                max: None,
            } => mean + sd * norm_inv(u),
            Dist::Normal { mean, sd, min, max } => TruncNormal::new(mean, sd, min, max).quantile(u),
            Dist::LogNormal { median, sigma } => (median.ln() + sigma * norm_inv(u)).exp(),
            Dist::Beta { alpha, beta } => match beta_quantile(alpha, beta, u) {
                BetaQ::Lower(x) => x,
                BetaQ::Upper(y) => 1.0 - y,
            },
            Dist::Gamma { shape, scale } => scale * gamma_quantile(shape, u),
            Dist::Metalog(ref m) => m.quantile(u),
        }
    }

    /// Smallest interval `[lo, hi]` containing the support (bounds may be infinite), used to
    /// reject a distribution that can leave a parameter's domain. Beta gives `[0, 1]`; a
    /// metalog its bounds (open: a bound is never drawn);
    /// LogNormal and Gamma give `[0, inf)` (open at 0, reported as 0); an untruncated normal
    /// gives `(-inf, inf)`.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Uniform { min, max }
            | Dist::Triangular { min, max, .. }
            | Dist::Pert { min, max, .. } => (min, max),
            Dist::Normal { min, max, .. } => (
                min.unwrap_or(f64::NEG_INFINITY),
                max.unwrap_or(f64::INFINITY),
            ),
            Dist::LogNormal { .. } | Dist::Gamma { .. } => (0.0, f64::INFINITY),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Metalog(ref m) => m.support(),
        }
    }

    /// Mean of the distribution, in closed form (truncated normal by the standard formula
    /// `mean + sd (phi(a) - phi(b)) / Z`), except the metalog's, by quadrature
    /// ([`Metalog::mean`]).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => 0.5 * (min + max),
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Dist::Normal {
                mean,
                min: None,
                max: None,
                ..
            } => mean,
            Dist::Normal { mean, sd, min, max } => TruncNormal::new(mean, sd, min, max).mean(),
            Dist::LogNormal { median, sigma } => median * (0.5 * sigma * sigma).exp(),
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Metalog(ref m) => m.mean(),
        }
    }

    /// Short name as written in scenario files: "fixed", "uniform", "triangular", "pert",
    /// "normal", "lognormal", "beta", "gamma" or "metalog".
    pub fn kind(&self) -> &'static str {
        match self {
            Dist::Fixed(_) => "fixed",
            Dist::Uniform { .. } => "uniform",
            Dist::Triangular { .. } => "triangular",
            Dist::Pert { .. } => "pert",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Beta { .. } => "beta",
            Dist::Gamma { .. } => "gamma",
            Dist::Metalog(_) => "metalog",
        }
    }
}

pub(super) fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

// ---------------------------------------------------------------------------------------
// Normal distribution helpers.

pub(super) const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// Standard normal CDF Phi(z).
#[inline]
pub(super) fn norm_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal density phi(z).
#[inline]
pub(super) fn norm_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / SQRT_2PI
}

/// Standard normal quantile Phi^-1(p) for p in (0, 1): statrs' `erfc_inv` (about 1e-10
/// relative) refined by one Halley step on the lower tail, giving ~1e-15. Works on the
/// smaller tail (`1 - p` is exact for `p >= 0.5`), so both tails are accurate.
pub(super) fn norm_inv(p: f64) -> f64 {
    if p > 0.5 {
        return -norm_inv_lower(1.0 - p);
    }
    norm_inv_lower(p)
}

/// Phi^-1(p) for p in (0, 0.5].
pub(super) fn norm_inv_lower(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let z = -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p);
    // Halley step on Phi(z) - p: t = (Phi(z) - p) / phi(z); z -= t / (1 + z t / 2).
    let t = (norm_cdf(z) - p) * SQRT_2PI * (0.5 * z * z).exp();
    let refined = z - t / (1.0 + 0.5 * z * t);
    if refined.is_finite() { refined } else { z }
}

/// A normal truncated to `[lo, hi]` in standard units, with tail probabilities kept on the
/// accurate side.
pub(super) struct TruncNormal {
    mean: f64,
    sd: f64,
    /// Standardised bounds `a = (min - mean) / sd`, `b = (max - mean) / sd` (may be infinite).
    a: f64,
    b: f64,
    /// Phi(a), Phi(b) and the upper tails Q(a) = 1 - Phi(a), Q(b) = 1 - Phi(b).
    pa: f64,
    pb: f64,
    qa: f64,
    qb: f64,
    /// Probability of `[a, b]`.
    mass: f64,
}

impl TruncNormal {
    fn new(mean: f64, sd: f64, min: Option<f64>, max: Option<f64>) -> Self {
        let a = min.map_or(f64::NEG_INFINITY, |m| (m - mean) / sd);
        let b = max.map_or(f64::INFINITY, |m| (m - mean) / sd);
        let (pa, pb) = (norm_cdf(a), norm_cdf(b));
        let (qa, qb) = (norm_cdf(-a), norm_cdf(-b));
        let mass = if a >= 0.0 {
            qa - qb
        } else if b <= 0.0 {
            pb - pa
        } else {
            1.0 - pa - qb
        };
        Self {
            mean,
            sd,
            a,
            b,
            pa,
            pb,
            qa,
            qb,
            mass,
        }
    }

    /// Maps `u` into `[Phi(a), Phi(b)]` and inverts, working with upper-tail probabilities when
    /// the target is above the median so that far-tail truncations stay accurate.
    fn quantile(&self, u: f64) -> f64 {
        let p = self.pa + u * (self.pb - self.pa);
        let z = if p <= 0.5 {
            norm_inv_lower(p)
        } else {
            let s = self.qb + (1.0 - u) * (self.qa - self.qb);
            -norm_inv_lower(s)
        };
        let z = z.max(self.a).min(self.b);
        self.mean + self.sd * z
    }

    fn mean(&self) -> f64 {
        let phi = |z: f64| if z.is_finite() { norm_pdf(z) } else { 0.0 };
        self.mean + self.sd * (phi(self.a) - phi(self.b)) / self.mass
    }
}

// ---------------------------------------------------------------------------------------
// Beta and Gamma quantiles: safeguarded Newton on the statrs CDFs, in t = ln x.

/// `ln` of (just above) the smallest normal double: the lower end of every log-space bracket.
pub(super) const LN_X_MIN: f64 = -708.0;
/// `ln` of (just below) the largest double: the upper end of the Gamma upper-tail bracket.
pub(super) const LN_X_MAX: f64 = 709.0;

/// Finds `t` in `[lo, hi]` with `g(t) = 0` for an increasing `g` with `g(lo) <= 0 <= g(hi)`,
/// starting at `t0`. `eval(t)` returns `(g(t), g'(t))`. Newton steps are taken while they stay
/// inside the shrinking bracket; otherwise the bracket is bisected. Stops when a Newton step
/// is below ~1e-15 (relative to `max(|t|, 1)`), or the bracket is that narrow, or two
/// iterations after a Newton step below 1e-9 with a residual below 1e-6 (when the CDF's own
/// rounding noise keeps the steps from shrinking further, e.g. for shapes of 1e6).
pub(super) fn solve_increasing(
    mut lo: f64,
    mut hi: f64,
    t0: f64,
    eval: impl Fn(f64) -> (f64, f64),
) -> f64 {
    const TOL: f64 = 1e-15;
    const NOISE: f64 = 1e-9;
    let mut polish = 0;
    let mut t = if t0 > lo && t0 < hi {
        t0
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..200 {
        let (g, dg) = eval(t);
        if g == 0.0 {
            return t;
        } else if g > 0.0 {
            hi = t;
        } else if g < 0.0 {
            lo = t;
        } else {
            return t; // NaN: cannot tell which side; give the current estimate.
        }
        let newton = t - g / dg;
        let scale = t.abs().max(1.0);
        if dg > 0.0 && (newton - t).abs() <= TOL * scale {
            // Converged (the step may round onto the bracket end `t` itself).
            return newton;
        }
        let (next, is_newton) = if dg > 0.0 && newton > lo && newton < hi {
            (newton, true)
        } else {
            (0.5 * (lo + hi), false)
        };
        let step = (next - t).abs();
        if hi - lo <= TOL * scale {
            return next;
        }
        // Once this close, Newton converges in one more step unless rounding noise in the CDF
        // (e.g. huge shapes) keeps the steps from shrinking: then stop soon anyway.
        if polish > 0 || (is_newton && step <= NOISE * scale && g.abs() <= 1e3 * NOISE) {
            polish += 1;
            if polish > 2 {
                return next;
            }
        }
        t = next;
    }
    t
}

/// Result of [`beta_quantile`]: the quantile `x` when it is at most 1/2, or `y = 1 - x` when
/// it is above 1/2 (so that values near 1 keep their precision as distances from 1).
pub(super) enum BetaQ {
    Lower(f64),
    Upper(f64),
}

/// Beta(a, b) quantile at `u` in (0, 1).
///
/// The unknown is solved for on the side of 1/2 where it lies (`x`, or `y = 1 - x` as the
/// quantile of Beta(b, a)), and the equation uses the tail probability on the side of 1/2
/// where `u` lies, so both a quantile near 0 or 1 and a tail probability near 0 or 1 keep
/// full relative precision, however skewed the distribution.
pub(super) fn beta_quantile(a: f64, b: f64, u: f64) -> BetaQ {
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && u > 0.0 && u < 1.0) {
        return BetaQ::Lower(f64::NAN);
    }
    // 1 - u is exact for u >= 1/2 and rounds harmlessly (relative to u) below.
    if u <= beta_reg(a, b, 0.5) {
        BetaQ::Lower(beta_inv_low_half(a, b, u, 1.0 - u))
    } else {
        // y = 1 - x is Beta(b, a)-distributed, with lower-tail probability 1 - u.
        BetaQ::Upper(beta_inv_low_half(b, a, 1.0 - u, u))
    }
}

/// `x <= 1/2` with `I_x(a, b) = p` (= `1 - q`), given that the root is at most 1/2.
/// Solves `ln I_x(a, b) = ln p` if `p <= 1/2`, else `ln I_{1-x}(b, a) = ln q`, in `t = ln x`.
pub(super) fn beta_inv_low_half(a: f64, b: f64, p: f64, q: f64) -> f64 {
    let ln_b = ln_beta(a, b);
    let lower = p <= 0.5;
    let ln_target = if lower { p.ln() } else { q.ln() };
    // g(t) = ln I(e^t) - ln p  or  ln q - ln S(e^t); g'(t) = x f(x) / I(x) or x f(x) / S(x).
    // All in logs so nothing underflows; x <= 1/2 keeps 1 - x accurate.
    let eval = |t: f64| {
        let x = t.exp();
        let ln_xf = a * t + (b - 1.0) * (-x).ln_1p() - ln_b;
        if lower {
            let ln_i = beta_reg(a, b, x).ln();
            (ln_i - ln_target, (ln_xf - ln_i).exp())
        } else {
            // statrs' `beta_reg` treats an argument within ~1e-15 of 1 as exactly 1, so for
            // tiny x take the complement instead (the upper target q is then not tiny: the
            // root is below 1/2 only if q >= S(1/2)).
            let s = if x < 1e-6 {
                1.0 - beta_reg(a, b, x)
            } else {
                beta_reg(b, a, 1.0 - x)
            };
            let ln_s = s.ln();
            (ln_target - ln_s, (ln_xf - ln_s).exp())
        }
    };
    let t_hi = -std::f64::consts::LN_2;
    // Start from the small-x asymptote I_x ~ x^a / (a B(a, b)) (a lower bound of the root
    // when b >= 1), unless a normal approximation around the mean says the root is larger.
    let t_asym = (p.ln() + a.ln() + ln_b) / a;
    let n = a + b;
    let mean = a / n;
    let sd = (a * b / (n * n * (n + 1.0))).sqrt();
    let x_norm = mean + sd * norm_inv(p);
    let mut t0 = if x_norm > 0.0 && x_norm < 0.5 {
        t_asym.max(x_norm.ln())
    } else {
        t_asym
    };
    if t0.is_nan() || t0 >= t_hi {
        t0 = t_hi - 0.1;
    }
    if t0 <= LN_X_MIN {
        // The root may be below the smallest normal double.
        if eval(LN_X_MIN).0 >= 0.0 {
            return 0.0;
        }
        t0 = LN_X_MIN + 1.0;
    }
    solve_increasing(LN_X_MIN, t_hi, t0, eval).exp().min(0.5)
}

/// Quantile of the standard Gamma(shape, 1) at `u` in (0, 1): solves `ln P(a, x) = ln u` in
/// the lower half and `ln Q(a, x) = ln(1 - u)` in the upper half, in `t = ln x`.
pub(super) fn gamma_quantile(a: f64, u: f64) -> f64 {
    if !(a > 0.0 && a.is_finite() && u > 0.0 && u < 1.0) {
        return f64::NAN;
    }
    let ln_ga = ln_gamma(a);
    // Log-density times x: ln(x f(x)) = a t - x - ln Gamma(a).
    let ln_xf = move |t: f64, x: f64| a * t - x - ln_ga;
    // Wilson–Hilferty starting point (good for a >~ 1), and small-x asymptote P ~ x^a/Gamma(a+1).
    let z = norm_inv(u);
    let c = 1.0 / (9.0 * a);
    let wh = a * (1.0 - c + z * c.sqrt()).powi(3);
    let t_asym = (u.ln() + ln_gamma(a + 1.0)) / a;
    if u <= 0.5 {
        let ln_p = u.ln();
        let eval = |t: f64| {
            let x = t.exp();
            let ln_p_x = gamma_lr(a, x).ln();
            (ln_p_x - ln_p, (ln_xf(t, x) - ln_p_x).exp())
        };
        // The median is below the mean `a`, so P(a, e a) > 1/2 >= u brackets the root.
        let hi = a.ln() + 1.0;
        let mut t0 = if wh > 0.0 {
            t_asym.max(wh.ln())
        } else {
            t_asym
        };
        if t0 <= LN_X_MIN {
            if eval(LN_X_MIN).0 >= 0.0 {
                return 0.0;
            }
            t0 = LN_X_MIN + 1.0;
        }
        solve_increasing(LN_X_MIN, hi, t0, eval).exp()
    } else {
        let ln_q = (1.0 - u).ln();
        let eval = |t: f64| {
            let x = t.exp();
            let ln_q_x = gamma_ur(a, x).ln();
            (ln_q - ln_q_x, (ln_xf(t, x) - ln_q_x).exp())
        };
        // Q(a, e^709) underflows to 0 < q for any sane shape, so [LN_X_MIN, 709] brackets the
        // root without spending an evaluation; Newton from Wilson–Hilferty shrinks it at once.
        let t0 = if wh > 0.0 { wh.ln() } else { a.ln() };
        solve_increasing(LN_X_MIN, LN_X_MAX, t0, eval).exp()
    }
}
