//! Random numbers for the simulator: keyed random streams, hot-path samplers and the
//! uncertain-value distributions of the scenario format.
//!
//! * **Keyed streams.** Every random decision draws from a [`Rng`] built by [`stream`] from
//!   a key saying what the stream is for (run seed, trial, unit such as a household, and a
//!   component such as a channel or parameter, usually a [`name_key`]). Results therefore do
//!   not depend on thread scheduling or on the order in which units are simulated, and adding
//!   a new random component does not shift the numbers drawn by the others.
//! * **Hot-path samplers.** [`uniform`], [`exp1`], [`geometric`], [`poisson`], [`binomial`],
//!   [`gamma`], and the precomputed [`Bernoulli`] and [`Categorical`] are exact for their
//!   distributions and cheap enough to be called many times per household.
//! * **Uncertain values.** [`Dist`] is a scenario's distribution for an uncertain parameter.
//!   It is drawn through its quantile function ([`Dist::quantile`]) from a single uniform, so
//!   that Latin hypercube sampling and rank correlation can be layered on top later. Normal
//!   quantiles are refined to full precision; Beta and Gamma quantiles are computed by a
//!   safeguarded Newton iteration on the `statrs` CDFs, because `statrs`' own `inverse_cdf`
//!   is inaccurate in the tails and for small shapes (and can panic for Beta).

use rand::Rng as _;
use rand::SeedableRng;
use rand_distr::Distribution;
use statrs::function::beta::{beta_reg, ln_beta};
use statrs::function::erf::{erfc, erfc_inv};
use statrs::function::gamma::{gamma_lr, gamma_ur, ln_gamma};

/// The only random number generator the crate uses (xoshiro256++, seeded per [`stream`]).
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// Stable 64-bit FNV-1a hash of a name, used to key streams by parameter/channel name.
///
/// The value never changes between versions or platforms, so it can be used as the
/// `component` (or `unit`) of a [`stream`] key.
pub const fn name_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// SplitMix64 finaliser (Stafford's Mix13): a bijective 64-bit mixer with full avalanche.
#[inline]
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A random stream keyed by what it is for.
///
/// The key `(seed, trial, unit, component)` is hashed by a chain of SplitMix64 finalisers,
/// each stage mixing in one input (offset by its own constant), and the result seeds a
/// xoshiro256++ exactly as `Rng::seed_from_u64` does. Each stage is a bijection in its state
/// and in its input, so two keys differing in exactly one component always give different
/// seeds, and the avalanche of the mixer makes neighbouring keys give unrelated streams.
/// Costs about 8 ns (hash plus seeding).
#[inline]
pub fn stream(seed: u64, trial: u64, unit: u64, component: u64) -> Rng {
    seed_from_u64(stream_key(seed, trial, unit, component))
}

/// The 64-bit hash of a stream key (see [`stream`]).
#[inline]
fn stream_key(seed: u64, trial: u64, unit: u64, component: u64) -> u64 {
    let mut h = mix64(seed ^ 0x243f_6a88_85a3_08d3);
    h = mix64(h ^ trial.wrapping_add(0x1319_8a2e_0370_7344));
    h = mix64(h ^ unit.wrapping_add(0xa409_3822_299f_31d0));
    mix64(h ^ component.wrapping_add(0x082e_fa98_ec4e_6c89))
}

/// Same generator as `Rng::seed_from_u64(state)` (four SplitMix64 outputs as the 256-bit
/// state; checked by a test), about three times faster because it avoids the generic
/// byte-filling path of `SeedableRng::from_rng`.
#[inline]
fn seed_from_u64(mut state: u64) -> Rng {
    const PHI: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        state = state.wrapping_add(PHI);
        chunk.copy_from_slice(&mix64(state).to_le_bytes());
    }
    Rng::from_seed(seed)
}

/// 2^-53, the spacing of the uniform grid.
const TWO_POW_M53: f64 = 1.0 / (1u64 << 53) as f64;

/// Uniform on `[0, 1)` with 53 random bits (`next_u64() >> 11`).
#[inline]
pub fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * TWO_POW_M53
}

/// Uniform on `(0, 1]` with 53 random bits; never 0, so safe for `ln()`.
#[inline]
pub fn uniform_open(rng: &mut Rng) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * TWO_POW_M53
}

/// Standard exponential Exp(1), by inversion `-ln(U)` with `U` in `(0, 1]`.
#[inline]
pub fn exp1(rng: &mut Rng) -> f64 {
    0.0 - uniform_open(rng).ln()
}

/// Standard normal N(0, 1) (`rand_distr::StandardNormal`, ziggurat).
#[inline]
pub fn standard_normal(rng: &mut Rng) -> f64 {
    rand_distr::StandardNormal.sample(rng)
}

/// Number of Bernoulli(p) trials up to and including the first success (always >= 1).
///
/// Exact geometric distribution by inversion, `1 + floor(ln(U) / ln(1 - p))` with `U` in
/// `(0, 1]`, one uniform per call. `p <= 0` (or NaN) gives `u64::MAX` (never succeeds);
/// `p >= 1` gives 1. Results beyond `u64::MAX` saturate.
#[inline]
pub fn geometric(rng: &mut Rng, p: f64) -> u64 {
    if p >= 1.0 {
        return 1;
    }
    if p.is_nan() || p <= 0.0 {
        return u64::MAX;
    }
    let k = uniform_open(rng).ln() / (-p).ln_1p();
    // `as` saturates (and the ratio is >= 0), so a huge count becomes u64::MAX.
    (k as u64).saturating_add(1)
}

/// Below this mean, [`poisson`] uses inversion by sequential search.
const POISSON_INVERSION_MAX: f64 = 12.0;

/// Exact Poisson(lambda) count. `lambda <= 0` (or NaN) gives 0.
///
/// For `lambda < 12` it inverts the CDF by sequential search from 0 using exactly **one**
/// uniform, so for a fixed stream state the count is non-decreasing in `lambda` (the Poisson
/// CDF decreases in `lambda` at every `k`; this holds up to floating-point rounding of the CDF
/// sums, so two lambdas closer than ~1e-13 relative may occasionally not be ordered). Larger
/// lambdas use `rand_distr::Poisson` (transformed rejection: exact, but neither one draw per
/// call nor monotone in `lambda`); a lambda too large for it (> 1.8e19) gives `u64::MAX`.
#[inline]
pub fn poisson(rng: &mut Rng, lambda: f64) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    if lambda < POISSON_INVERSION_MAX {
        let u = uniform(rng);
        let mut k = 0u64;
        let mut p = (-lambda).exp();
        let mut cdf = p;
        while u >= cdf {
            k += 1;
            p *= lambda / k as f64;
            let next = cdf + p;
            if next == cdf {
                // The summed CDF fell short of 1 by rounding and the terms no longer move it:
                // `u` is in the last ~1e-15 of the distribution; stop at the current tail.
                break;
            }
            cdf = next;
        }
        return k;
    }
    match rand_distr::Poisson::new(lambda) {
        Ok(d) => {
            let x: f64 = d.sample(rng);
            x as u64
        }
        Err(_) => u64::MAX,
    }
}

/// Exact Binomial(n, p) count (`rand_distr::Binomial`). `p` is clamped to `[0, 1]` (NaN
/// counts as 0); `n == 0` gives 0.
#[inline]
pub fn binomial(rng: &mut Rng, n: u64, p: f64) -> u64 {
    let p = if p > 0.0 { p.min(1.0) } else { 0.0 };
    if n == 0 || p == 0.0 {
        return 0;
    }
    if p == 1.0 {
        return n;
    }
    match rand_distr::Binomial::new(n, p) {
        Ok(d) => d.sample(rng),
        Err(_) => 0,
    }
}

/// Gamma(shape, scale) draw (`rand_distr::Gamma`, Marsaglia–Tsang with the `U^(1/shape)`
/// boost for `shape < 1`). Needs `shape > 0` and `scale > 0` (validated by the caller);
/// returns 0.0 instead of panicking otherwise.
#[inline]
pub fn gamma(rng: &mut Rng, shape: f64, scale: f64) -> f64 {
    match rand_distr::Gamma::new(shape, scale) {
        Ok(d) => d.sample(rng),
        Err(_) => 0.0,
    }
}

/// Probability `p` as a threshold on a uniform `u64`: `P(next_u64() < t) = t / 2^64`.
/// Exact for `p < 1` up to 2^-64; `p >= 1` saturates to `u64::MAX`.
#[inline]
fn prob_threshold(p: f64) -> u64 {
    if p > 0.0 {
        // Multiplying by a power of two is exact; `as` truncates and saturates.
        (p * 18_446_744_073_709_551_616.0) as u64
    } else {
        0
    }
}

/// Bernoulli(p) with a precomputed `u64` threshold: one `next_u64()` per draw, success when it
/// is below the threshold. `p >= 1` always succeeds; `p <= 0` (or NaN) never does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bernoulli {
    threshold: u64,
    always: bool,
}

impl Bernoulli {
    /// Precomputes the threshold for success probability `p` (clamped to `[0, 1]`).
    pub fn new(p: f64) -> Self {
        Self {
            threshold: prob_threshold(p),
            always: p >= 1.0,
        }
    }

    /// One draw; always consumes exactly one `next_u64()`, whatever `p` is.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> bool {
        let x = rng.next_u64();
        x < self.threshold || self.always
    }
}

/// Largest number of categories a [`Categorical`] can hold.
const CATEGORICAL_MAX: usize = 64;

/// Categorical distribution over up to 64 weights, drawn by inversion over cumulative `u64`
/// thresholds (one `next_u64()` per draw, linear scan). Weights are normalised by their sum;
/// zero-weight categories are never returned. Fixed-capacity storage, so it is `Copy` and
/// allocation-free.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Categorical {
    /// `cum[i]`: threshold for "category <= i" (only `cum[..last]` is used).
    cum: [u64; CATEGORICAL_MAX],
    /// The last category with positive weight, returned when no threshold is passed.
    last: u8,
    /// Number of categories (weights) given.
    len: u8,
}

// A Categorical always has at least one category (`new` insists on a positive weight), so an
// `is_empty` would always be false.
#[allow(clippy::len_without_is_empty)]
impl Categorical {
    /// Builds the sampler from `weights` (non-negative, summing to about 1; they are normalised;
    /// negative or NaN weights count as 0).
    ///
    /// # Panics
    /// If there are more than 64 weights or no positive finite weight: both are programming
    /// errors that scenario validation must rule out, and there is no meaningful draw.
    pub fn new(weights: &[f64]) -> Self {
        assert!(
            weights.len() <= CATEGORICAL_MAX,
            "Categorical supports at most {CATEGORICAL_MAX} categories, got {}",
            weights.len()
        );
        let clean = |w: f64| if w > 0.0 && w.is_finite() { w } else { 0.0 };
        let total: f64 = weights.iter().map(|&w| clean(w)).sum();
        let last = weights.iter().rposition(|&w| clean(w) > 0.0);
        let last = match last {
            Some(i) if total.is_finite() => i,
            _ => panic!("Categorical needs at least one positive finite weight, got {weights:?}"),
        };
        let mut cum = [0u64; CATEGORICAL_MAX];
        let mut acc = 0.0;
        for (i, &w) in weights.iter().enumerate().take(last) {
            acc += clean(w);
            cum[i] = prob_threshold(acc / total);
        }
        Self {
            cum,
            last: last as u8,
            len: weights.len() as u8,
        }
    }

    /// One draw: the index of a category, with probability proportional to its weight.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let x = rng.next_u64();
        let last = self.last as usize;
        for (i, &c) in self.cum[..last].iter().enumerate() {
            if x < c {
                return i;
            }
        }
        last
    }

    /// Number of categories (including zero-weight ones).
    pub fn len(&self) -> usize {
        self.len as usize
    }
}

/// Smallest `u` used by [`Dist::quantile`] (0 is mapped here).
const U_MIN: f64 = 1e-300;
/// Largest `u` used by [`Dist::quantile`]: the largest double below 1.
const U_MAX: f64 = 1.0 - f64::EPSILON / 2.0;
/// A truncated normal must keep more than this probability between its bounds.
const MIN_TRUNCATED_MASS: f64 = 1e-12;

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
}

fn need_finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("`{name}` must be a finite number, got {v}"))
    }
}

fn need_positive(name: &str, v: f64) -> Result<(), String> {
    need_finite(name, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be > 0, got {v}"))
    }
}

fn need_ordered(min: f64, max: f64) -> Result<(), String> {
    need_finite("min", min)?;
    need_finite("max", max)?;
    if min < max {
        Ok(())
    } else {
        Err(format!("`max` must be > `min` ({min}), got {max}"))
    }
}

fn need_mode(min: f64, mode: f64, max: f64) -> Result<(), String> {
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
fn pert_shapes(min: f64, mode: f64, max: f64) -> (f64, f64) {
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
        }
    }

    /// Smallest interval `[lo, hi]` containing the support (bounds may be infinite), used to
    /// reject a distribution that can leave a parameter's domain. Beta gives `[0, 1]`;
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
        }
    }

    /// Mean of the distribution, in closed form (truncated normal by the standard formula
    /// `mean + sd (phi(a) - phi(b)) / Z`).
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
        }
    }

    /// Short name as written in scenario files: "fixed", "uniform", "triangular", "pert",
    /// "normal", "lognormal", "beta" or "gamma".
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
        }
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}

// ---------------------------------------------------------------------------------------
// Normal distribution helpers.

const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// Standard normal CDF Phi(z).
#[inline]
fn norm_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal density phi(z).
#[inline]
fn norm_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / SQRT_2PI
}

/// Standard normal quantile Phi^-1(p) for p in (0, 1): statrs' `erfc_inv` (about 1e-10
/// relative) refined by one Halley step on the lower tail, giving ~1e-15. Works on the
/// smaller tail (`1 - p` is exact for `p >= 0.5`), so both tails are accurate.
fn norm_inv(p: f64) -> f64 {
    if p > 0.5 {
        return -norm_inv_lower(1.0 - p);
    }
    norm_inv_lower(p)
}

/// Phi^-1(p) for p in (0, 0.5].
fn norm_inv_lower(p: f64) -> f64 {
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
struct TruncNormal {
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
const LN_X_MIN: f64 = -708.0;
/// `ln` of (just below) the largest double: the upper end of the Gamma upper-tail bracket.
const LN_X_MAX: f64 = 709.0;

/// Finds `t` in `[lo, hi]` with `g(t) = 0` for an increasing `g` with `g(lo) <= 0 <= g(hi)`,
/// starting at `t0`. `eval(t)` returns `(g(t), g'(t))`. Newton steps are taken while they stay
/// inside the shrinking bracket; otherwise the bracket is bisected. Stops when a Newton step
/// is below ~1e-15 (relative to `max(|t|, 1)`), or the bracket is that narrow, or two
/// iterations after a Newton step below 1e-9 with a residual below 1e-6 (when the CDF's own
/// rounding noise keeps the steps from shrinking further, e.g. for shapes of 1e6).
fn solve_increasing(mut lo: f64, mut hi: f64, t0: f64, eval: impl Fn(f64) -> (f64, f64)) -> f64 {
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
enum BetaQ {
    Lower(f64),
    Upper(f64),
}

/// Beta(a, b) quantile at `u` in (0, 1).
///
/// The unknown is solved for on the side of 1/2 where it lies (`x`, or `y = 1 - x` as the
/// quantile of Beta(b, a)), and the equation uses the tail probability on the side of 1/2
/// where `u` lies, so both a quantile near 0 or 1 and a tail probability near 0 or 1 keep
/// full relative precision, however skewed the distribution.
fn beta_quantile(a: f64, b: f64, u: f64) -> BetaQ {
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
fn beta_inv_low_half(a: f64, b: f64, p: f64, q: f64) -> f64 {
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
fn gamma_quantile(a: f64, u: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    //! Statistical tests use fixed seeds, so they are deterministic. Tolerances:
    //! * Kolmogorov–Smirnov: reject if `D > 1.95 / sqrt(n)`, about the 0.1% critical value of
    //!   the one-sample KS statistic (asymptotic 1.949 / sqrt(n)).
    //! * Chi-square goodness of fit: bins pooled until each expects >= 5 counts; reject above
    //!   the 99.9% quantile of chi-square with (bins - 1) degrees of freedom.
    //! * Means and variances: within 4 standard errors (SE of the mean `sqrt(var / n)`, SE of
    //!   the sample variance `sqrt(var^2 (excess kurtosis + 2) / n)`).
    use super::*;
    use statrs::distribution::{
        Beta as SBeta, ChiSquared, Continuous, ContinuousCDF, Discrete, Exp as SExp,
        Gamma as SGamma, Geometric as SGeometric, LogNormal as SLogNormal, Normal as SNormal,
        Poisson as SPoisson, Triangular as STriangular, Uniform as SUniform,
    };

    const SEED: u64 = 0x5eed_2024;

    fn rng_for(what: &str) -> Rng {
        stream(SEED, 0, 0, name_key(what))
    }

    /// One-sample KS statistic of `xs` against `cdf`.
    fn ks_stat(xs: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let n = xs.len() as f64;
        let mut d: f64 = 0.0;
        for (i, &x) in xs.iter().enumerate() {
            let f = cdf(x);
            d = d.max(f - i as f64 / n).max((i + 1) as f64 / n - f);
        }
        d
    }

    /// KS test at ~0.1%: D must not exceed 1.95 / sqrt(n).
    fn assert_ks(name: &str, xs: &mut [f64], cdf: impl Fn(f64) -> f64) {
        let crit = 1.95 / (xs.len() as f64).sqrt();
        let d = ks_stat(xs, cdf);
        assert!(d <= crit, "{name}: KS D = {d:.5} > {crit:.5}");
    }

    fn draws(n: usize, what: &str, mut f: impl FnMut(&mut Rng) -> f64) -> Vec<f64> {
        let mut rng = rng_for(what);
        (0..n).map(|_| f(&mut rng)).collect()
    }

    /// Sample mean and variance within 4 standard errors of the exact ones.
    fn assert_moments(name: &str, xs: &[f64], mean: f64, var: f64, excess_kurtosis: f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        let se_m = (var / n).sqrt();
        assert!(
            (m - mean).abs() <= 4.0 * se_m,
            "{name}: mean {m} vs {mean} (4 SE = {})",
            4.0 * se_m
        );
        let se_v = (var * var * (excess_kurtosis + 2.0) / n).sqrt();
        assert!(
            (v - var).abs() <= 4.0 * se_v,
            "{name}: variance {v} vs {var} (4 SE = {})",
            4.0 * se_v
        );
    }

    /// Chi-square goodness of fit of counts on 0, 1, 2, ... against `pmf`, at the 0.1% level.
    /// Consecutive values are pooled until a bin expects >= 5; the last bin is the upper tail.
    fn assert_chi_square(name: &str, xs: &[u64], pmf: impl Fn(u64) -> f64) {
        let n = xs.len() as f64;
        let max = *xs.iter().max().unwrap();
        let mut counts = vec![0u64; max as usize + 2];
        for &x in xs {
            counts[x as usize] += 1;
        }
        // (expected, observed) per bin.
        let mut bins: Vec<(f64, f64)> = Vec::new();
        let (mut e, mut o, mut cum) = (0.0, 0.0, 0.0);
        let mut k = 0u64;
        loop {
            let p = pmf(k);
            let tail_after = (1.0 - cum - p).max(0.0);
            e += n * p;
            o += counts.get(k as usize).copied().unwrap_or(0) as f64;
            cum += p;
            if n * tail_after < 5.0 {
                // Put the whole remaining tail into this bin.
                e += n * tail_after;
                o += xs.iter().filter(|&&x| x > k).count() as f64;
                bins.push((e, o));
                break;
            }
            if e >= 5.0 {
                bins.push((e, o));
                e = 0.0;
                o = 0.0;
            }
            k += 1;
        }
        if bins.len() > 1 && bins.last().unwrap().0 < 5.0 {
            let (e2, o2) = bins.pop().unwrap();
            let last = bins.last_mut().unwrap();
            last.0 += e2;
            last.1 += o2;
        }
        assert!(bins.len() >= 2, "{name}: too few bins");
        let chi2: f64 = bins.iter().map(|&(e, o)| (o - e) * (o - e) / e).sum();
        let df = (bins.len() - 1) as f64;
        let crit = ChiSquared::new(df).unwrap().inverse_cdf(0.999);
        assert!(
            chi2 <= crit,
            "{name}: chi-square {chi2:.2} > {crit:.2} ({df} df)"
        );
    }

    // ----------------------------------------------------------------- keys and streams

    #[test]
    fn name_key_is_fnv1a_and_const() {
        const K: u64 = name_key("a");
        assert_eq!(name_key(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(K, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(name_key("foobar"), 0x8594_4171_f739_67e8);
        assert_ne!(name_key("price"), name_key("prices"));
    }

    #[test]
    fn stream_is_seeded_exactly_like_seed_from_u64() {
        let mut rng = rng_for("seed check");
        for h in [0, 1, u64::MAX, 0x9e37_79b9_7f4a_7c15_u64.wrapping_neg()]
            .into_iter()
            .chain((0..1000).map(|_| rng.next_u64()))
        {
            let mut a = seed_from_u64(h);
            let mut b = Rng::seed_from_u64(h);
            for _ in 0..4 {
                assert_eq!(a.next_u64(), b.next_u64(), "state {h}");
            }
        }
        let mut a = stream(1, 2, 3, 4);
        let mut b = Rng::seed_from_u64(stream_key(1, 2, 3, 4));
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn stream_same_key_same_sequence() {
        let mut a = stream(7, 3, 12345, name_key("churn"));
        let mut b = stream(7, 3, 12345, name_key("churn"));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn stream_neighbouring_keys_distinct() {
        use std::collections::HashSet;
        // Every key of a 4 x 8 x 64 x 8 grid of neighbours gives a different first output.
        let mut seen = HashSet::new();
        for seed in 0..4 {
            for trial in 0..8 {
                for unit in 0..64 {
                    for comp in 0..8 {
                        let first = stream(seed, trial, unit, comp).next_u64();
                        assert!(
                            seen.insert(first),
                            "collision at {seed} {trial} {unit} {comp}"
                        );
                    }
                }
            }
        }
        // Changing any single component (including by large or high-bit steps) changes it.
        let base = (11u64, 5u64, 1000u64, name_key("adoption"));
        let first = |k: (u64, u64, u64, u64)| stream(k.0, k.1, k.2, k.3).next_u64();
        let b = first(base);
        for d in [1u64, 2, 1 << 32, 1 << 63, u64::MAX] {
            assert_ne!(b, first((base.0 ^ d, base.1, base.2, base.3)));
            assert_ne!(b, first((base.0, base.1 ^ d, base.2, base.3)));
            assert_ne!(b, first((base.0, base.1, base.2 ^ d, base.3)));
            assert_ne!(b, first((base.0, base.1, base.2, base.3 ^ d)));
        }
        // Swapping components gives a different stream too.
        assert_ne!(first((1, 2, 3, 4)), first((2, 1, 3, 4)));
        assert_ne!(first((0, 0, 1, 0)), first((0, 0, 0, 1)));
    }

    #[test]
    fn stream_first_uniforms_of_neighbours_are_uniform_and_uncorrelated() {
        let n = 10_000u64;
        type MakeStream = fn(u64) -> Rng;
        let cases: [(&str, MakeStream); 4] = [
            ("households", |i| stream(1, 0, i, 0)),
            ("trials", |i| stream(1, i, 0, 0)),
            ("components", |i| stream(1, 0, 0, i)),
            ("seeds", |i| stream(i, 0, 0, 0)),
        ];
        for (name, make) in cases {
            let mut us: Vec<f64> = (0..n).map(|i| uniform(&mut make(i))).collect();
            // Lag-1 correlation between neighbours' first uniforms: |r| <= 4 / sqrt(n).
            let m = us.iter().sum::<f64>() / n as f64;
            let (mut num, mut den) = (0.0, 0.0);
            for w in us.windows(2) {
                num += (w[0] - m) * (w[1] - m);
            }
            for &u in &us {
                den += (u - m) * (u - m);
            }
            let r = num / den;
            assert!(r.abs() <= 4.0 / (n as f64).sqrt(), "{name}: lag-1 r = {r}");
            assert_ks(&format!("first uniform over {name}"), &mut us, |x| x);
        }
    }

    // ----------------------------------------------------------------- hot-path samplers

    #[test]
    fn uniform_ranges_and_distribution() {
        let mut xs = draws(50_000, "uniform", uniform);
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert_ks("uniform", &mut xs, |x| x);
        let mut ys = draws(50_000, "uniform_open", uniform_open);
        assert!(ys.iter().all(|&y| y > 0.0 && y <= 1.0));
        assert_ks("uniform_open", &mut ys, |x| x);
    }

    #[test]
    fn exp1_and_standard_normal_ks() {
        let e = SExp::new(1.0).unwrap();
        let mut xs = draws(50_000, "exp1", exp1);
        assert!(xs.iter().all(|&x| x >= 0.0 && x.is_finite()));
        assert_ks("exp1", &mut xs, |x| e.cdf(x));
        let nrm = SNormal::new(0.0, 1.0).unwrap();
        let mut zs = draws(50_000, "normal", standard_normal);
        assert_ks("standard_normal", &mut zs, |x| nrm.cdf(x));
    }

    #[test]
    fn gamma_sampler_ks() {
        for shape in [0.5, 1.5, 30.0] {
            let scale = 2.0;
            let g = SGamma::new(shape, 1.0 / scale).unwrap();
            let mut xs = draws(30_000, &format!("gamma {shape}"), |r| {
                gamma(r, shape, scale)
            });
            assert!(xs.iter().all(|&x| x > 0.0));
            assert_ks(&format!("gamma({shape}, {scale})"), &mut xs, |x| g.cdf(x));
        }
        let mut rng = rng_for("gamma invalid");
        assert_eq!(gamma(&mut rng, 0.0, 1.0), 0.0);
        assert_eq!(gamma(&mut rng, 1.0, -1.0), 0.0);
        assert_eq!(gamma(&mut rng, f64::NAN, 1.0), 0.0);
    }

    #[test]
    fn geometric_moments_and_fit() {
        let n = 50_000;
        for p in [0.01, 0.3] {
            let mut rng = rng_for(&format!("geometric {p}"));
            let ks: Vec<u64> = (0..n).map(|_| geometric(&mut rng, p)).collect();
            assert!(ks.iter().all(|&k| k >= 1));
            let xs: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
            let var = (1.0 - p) / (p * p);
            let kurt = 6.0 + p * p / (1.0 - p);
            assert_moments(&format!("geometric({p})"), &xs, 1.0 / p, var, kurt);
            let g = SGeometric::new(p).unwrap();
            assert_chi_square(&format!("geometric({p})"), &ks, |k| g.pmf(k));
        }
        let mut rng = rng_for("geometric edge");
        assert!((0..100).all(|_| geometric(&mut rng, 1.0) == 1));
        assert_eq!(geometric(&mut rng, 1.5), 1);
        assert_eq!(geometric(&mut rng, 0.0), u64::MAX);
        assert_eq!(geometric(&mut rng, -0.1), u64::MAX);
        assert_eq!(geometric(&mut rng, f64::NAN), u64::MAX);
        // Tiny p saturates instead of overflowing.
        assert!(geometric(&mut rng, 1e-300) > 1 << 60);
    }

    #[test]
    fn poisson_moments() {
        let n = 50_000;
        for lambda in [0.05, 0.5, 3.0, 11.9, 12.0, 90.0, 5000.0] {
            let xs = draws(n, &format!("poisson {lambda}"), |r| {
                poisson(r, lambda) as f64
            });
            assert_moments(
                &format!("poisson({lambda})"),
                &xs,
                lambda,
                lambda,
                1.0 / lambda,
            );
        }
    }

    #[test]
    fn poisson_pmf_fit() {
        for lambda in [0.05, 0.5, 3.0, 11.9, 12.0, 90.0] {
            let mut rng = rng_for(&format!("poisson fit {lambda}"));
            let ks: Vec<u64> = (0..50_000).map(|_| poisson(&mut rng, lambda)).collect();
            let d = SPoisson::new(lambda).unwrap();
            assert_chi_square(&format!("poisson({lambda})"), &ks, |k| d.pmf(k));
        }
    }

    #[test]
    fn poisson_edge_cases_and_one_uniform() {
        let mut rng = rng_for("poisson edge");
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, -3.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
        assert_eq!(poisson(&mut rng, f64::INFINITY), u64::MAX);
        assert!(poisson(&mut rng, 1e12) > 900_000_000_000);
        // Below 12, exactly one u64 is consumed per draw.
        for lambda in [0.01, 1.0, 11.99] {
            for _ in 0..100 {
                let mut a = rng.clone();
                let mut b = rng.clone();
                poisson(&mut a, lambda);
                b.next_u64();
                assert_eq!(a.next_u64(), b.next_u64());
                rng.next_u64();
            }
        }
    }

    /// For lambda < 12 the count is non-decreasing in lambda for a fixed stream state
    /// (inversion with one uniform), e.g. so that a higher usage rate never gives fewer events
    /// in the same household and trial.
    #[test]
    fn poisson_monotone_in_lambda_below_12() {
        let lambdas: Vec<f64> = (0..1200).map(|i| i as f64 * 0.01).collect();
        let mut rng = rng_for("poisson monotone");
        for _ in 0..2000 {
            let mut prev = 0;
            for &lambda in &lambdas {
                let k = poisson(&mut rng.clone(), lambda);
                assert!(k >= prev, "poisson not monotone at lambda {lambda}");
                prev = k;
            }
            rng.next_u64();
        }
    }

    #[test]
    fn binomial_moments_fit_and_edges() {
        let n = 50_000;
        for (trials, p) in [
            (10u64, 0.3),
            (1000, 0.01),
            (50, 0.9),
            (100_000, 0.5),
            (1, 0.2),
        ] {
            let xs = draws(n, &format!("binomial {trials} {p}"), |r| {
                binomial(r, trials, p) as f64
            });
            assert!(xs.iter().all(|&x| x <= trials as f64));
            let npq = trials as f64 * p * (1.0 - p);
            let kurt = (1.0 - 6.0 * p * (1.0 - p)) / npq;
            assert_moments(
                &format!("binomial({trials}, {p})"),
                &xs,
                trials as f64 * p,
                npq,
                kurt,
            );
        }
        let mut rng = rng_for("binomial fit");
        let ks: Vec<u64> = (0..n).map(|_| binomial(&mut rng, 20, 0.3)).collect();
        let d = statrs::distribution::Binomial::new(0.3, 20).unwrap();
        assert_chi_square("binomial(20, 0.3)", &ks, |k| d.pmf(k));
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 17, 0.0), 0);
        assert_eq!(binomial(&mut rng, 17, -0.5), 0);
        assert_eq!(binomial(&mut rng, 17, f64::NAN), 0);
        assert_eq!(binomial(&mut rng, 17, 1.0), 17);
        assert_eq!(binomial(&mut rng, 17, 2.0), 17);
    }

    #[test]
    fn bernoulli_frequencies() {
        let n = 100_000;
        for p in [0.3, 0.001, 0.999] {
            let b = Bernoulli::new(p);
            let xs = draws(n, &format!("bernoulli {p}"), |r| b.sample(r) as u8 as f64);
            assert_moments(
                &format!("bernoulli({p})"),
                &xs,
                p,
                p * (1.0 - p),
                (1.0 - 6.0 * p * (1.0 - p)) / (p * (1.0 - p)),
            );
        }
        let mut rng = rng_for("bernoulli edge");
        for (p, expect) in [(0.0, false), (-1.0, false), (f64::NAN, false)] {
            let b = Bernoulli::new(p);
            assert!((0..1000).all(|_| b.sample(&mut rng) == expect));
        }
        for p in [1.0, 1.5] {
            let b = Bernoulli::new(p);
            assert!((0..1000).all(|_| b.sample(&mut rng)));
        }
        // One u64 per draw whatever p is.
        let mut a = rng.clone();
        Bernoulli::new(1.0).sample(&mut a);
        rng.next_u64();
        assert_eq!(a.next_u64(), rng.next_u64());
    }

    #[test]
    fn categorical_frequencies_and_zero_weights() {
        let n = 50_000;
        let cases: [&[f64]; 4] = [
            &[0.2, 0.0, 0.5, 0.3],
            &[0.0, 0.25, 0.75, 0.0],
            &[2.0, 6.0], // normalised: 0.25, 0.75
            &[1.0],
        ];
        for w in cases {
            let c = Categorical::new(w);
            assert_eq!(c.len(), w.len());
            let total: f64 = w.iter().sum();
            let mut rng = rng_for(&format!("categorical {w:?}"));
            let ks: Vec<u64> = (0..n).map(|_| c.sample(&mut rng) as u64).collect();
            for (i, &wi) in w.iter().enumerate() {
                if wi == 0.0 {
                    assert!(!ks.contains(&(i as u64)), "zero-weight category {i} drawn");
                }
            }
            if w.len() > 1 {
                assert_chi_square(&format!("categorical {w:?}"), &ks, |k| {
                    w.get(k as usize).map_or(0.0, |&x| x / total)
                });
            }
        }
        // 64 categories with alternating zero weights.
        let w: Vec<f64> = (0..64)
            .map(|i| if i % 2 == 0 { 0.0 } else { i as f64 })
            .collect();
        let c = Categorical::new(&w);
        assert_eq!(c.len(), 64);
        let total: f64 = w.iter().sum();
        let mut rng = rng_for("categorical 64");
        let ks: Vec<u64> = (0..200_000).map(|_| c.sample(&mut rng) as u64).collect();
        assert!(ks.iter().all(|&k| k % 2 == 1 && k < 64));
        assert_chi_square("categorical 64", &ks, |k| {
            w.get(k as usize).map_or(0.0, |&x| x / total)
        });
        // Negative and NaN weights count as zero.
        let c = Categorical::new(&[-1.0, f64::NAN, 1.0]);
        assert!((0..1000).all(|_| c.sample(&mut rng) == 2));
    }

    #[test]
    #[should_panic(expected = "at most 64")]
    fn categorical_rejects_too_many() {
        Categorical::new(&[1.0; 65]);
    }

    #[test]
    #[should_panic(expected = "positive")]
    fn categorical_rejects_no_positive_weight() {
        Categorical::new(&[0.0, 0.0]);
    }

    // ----------------------------------------------------------------- Dist

    /// Every variant with a reference CDF built from statrs alone (not from this module).
    type Cdf = Box<dyn Fn(f64) -> f64>;

    fn reference_cases() -> Vec<(Dist, Cdf)> {
        let nrm = SNormal::new(0.0, 1.0).unwrap();
        let phi = move |z: f64| nrm.cdf(z);
        let q = move |z: f64| nrm.sf(z);
        // Truncated normal CDF on the accurate side.
        let trunc = move |mean: f64, sd: f64, lo: f64, hi: f64| {
            let (a, b) = ((lo - mean) / sd, (hi - mean) / sd);
            move |x: f64| {
                let z = ((x - mean) / sd).clamp(a, b);
                if a >= 0.0 {
                    (q(a) - q(z)) / (q(a) - q(b))
                } else {
                    (phi(z) - phi(a)) / (phi(b) - phi(a))
                }
            }
        };
        let beta_cdf = |a: f64, b: f64| {
            let d = SBeta::new(a, b).unwrap();
            move |x: f64| d.cdf(x.clamp(0.0, 1.0))
        };
        let (pa, pb) = pert_shapes(0.0, 1.0, 10.0);
        let pert = SBeta::new(pa, pb).unwrap();
        let tri = STriangular::new(1.0, 6.0, 2.0).unwrap();
        let uni = SUniform::new(2.0, 5.0).unwrap();
        let n10 = SNormal::new(10.0, 2.0).unwrap();
        let ln = SLogNormal::new(3f64.ln(), 0.8).unwrap();
        let g = SGamma::new(0.3, 0.5).unwrap();
        let inf = f64::INFINITY;
        vec![
            (
                Dist::Fixed(4.5),
                Box::new(|x| if x >= 4.5 { 1.0 } else { 0.0 }),
            ),
            (
                Dist::Uniform { min: 2.0, max: 5.0 },
                Box::new(move |x| uni.cdf(x)),
            ),
            (
                Dist::Triangular {
                    min: 1.0,
                    mode: 2.0,
                    max: 6.0,
                },
                Box::new(move |x| tri.cdf(x)),
            ),
            (
                Dist::Pert {
                    min: 0.0,
                    mode: 1.0,
                    max: 10.0,
                },
                Box::new(move |x| pert.cdf((x / 10.0).clamp(0.0, 1.0))),
            ),
            (
                Dist::Normal {
                    mean: 10.0,
                    sd: 2.0,
                    min: None,
                    max: None,
                },
                Box::new(move |x| n10.cdf(x)),
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(-1.0),
                    max: Some(2.0),
                },
                Box::new(trunc(0.0, 1.0, -1.0, 2.0)),
            ),
            (
                Dist::Normal {
                    mean: 5.0,
                    sd: 2.0,
                    min: Some(0.0),
                    max: None,
                },
                Box::new(trunc(5.0, 2.0, 0.0, inf)),
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: None,
                    max: Some(-1.5),
                },
                Box::new(trunc(0.0, 1.0, -inf, -1.5)),
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(5.0),
                    max: None,
                },
                Box::new(trunc(0.0, 1.0, 5.0, inf)),
            ),
            (
                Dist::Normal {
                    mean: 1.0,
                    sd: 0.5,
                    min: Some(3.0),
                    max: Some(4.0),
                },
                Box::new(trunc(1.0, 0.5, 3.0, 4.0)),
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: None,
                    max: Some(-6.0),
                },
                Box::new(trunc(0.0, 1.0, -inf, -6.0)),
            ),
            (
                Dist::LogNormal {
                    median: 3.0,
                    sigma: 0.8,
                },
                Box::new(move |x| ln.cdf(x)),
            ),
            (
                Dist::Beta {
                    alpha: 2.0,
                    beta: 40.0,
                },
                Box::new(beta_cdf(2.0, 40.0)),
            ),
            (
                Dist::Beta {
                    alpha: 0.5,
                    beta: 0.5,
                },
                Box::new(beta_cdf(0.5, 0.5)),
            ),
            (
                Dist::Beta {
                    alpha: 5.0,
                    beta: 1.5,
                },
                Box::new(beta_cdf(5.0, 1.5)),
            ),
            (
                Dist::Gamma {
                    shape: 0.3,
                    scale: 2.0,
                },
                Box::new(move |x| g.cdf(x)),
            ),
        ]
    }

    #[test]
    fn dist_quantile_of_uniform_ks_and_mean() {
        let n = 20_000;
        for (i, (d, cdf)) in reference_cases().into_iter().enumerate() {
            d.check().unwrap();
            let mut xs = draws(n, &format!("dist ks {i}"), |r| d.quantile(uniform(r)));
            let (lo, hi) = d.support();
            assert!(
                xs.iter().all(|&x| x >= lo && x <= hi),
                "{d:?} left its support"
            );
            // Sample mean within 4 SE of Dist::mean (SE from the sample variance).
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
            let tol = 4.0 * (v / n as f64).sqrt() + 1e-12 * m.abs();
            assert!(
                (m - d.mean()).abs() <= tol,
                "{d:?}: mean {m} vs {}",
                d.mean()
            );
            if !matches!(d, Dist::Fixed(_)) {
                assert_ks(&format!("{d:?}"), &mut xs, cdf);
            }
        }
    }

    fn u_grid() -> Vec<f64> {
        let mut us = vec![1e-12, 1e-9, 1e-6, 1e-4, 1e-3];
        us.extend((1..100).map(|i| i as f64 / 100.0));
        us.extend([1.0 - 1e-3, 1.0 - 1e-4, 1.0 - 1e-6]);
        us
    }

    #[test]
    fn dist_quantile_inverts_cdf_and_is_monotone() {
        for (d, cdf) in reference_cases() {
            if matches!(d, Dist::Fixed(_)) {
                continue;
            }
            for u in u_grid() {
                let x = d.quantile(u);
                let err = (cdf(x) - u).abs();
                assert!(err <= 1e-9, "{d:?}: cdf(quantile({u})) off by {err:e}");
            }
            let mut prev = f64::NEG_INFINITY;
            for i in 0..=10_000 {
                let x = d.quantile(i as f64 / 10_000.0);
                assert!(x >= prev, "{d:?}: quantile not monotone at {i}");
                prev = x;
            }
        }
    }

    #[test]
    fn dist_quantile_far_tails_relative_accuracy() {
        let nrm = SNormal::new(0.0, 1.0).unwrap();
        let tails = [1e-300, 1e-100, 1e-30, 1e-12, 1e-6];
        // Normal / lognormal, both tails, relative to the tail probability.
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: None,
            max: None,
        };
        for p in tails {
            let lo = d.quantile(p);
            assert!(
                (nrm.cdf(lo) / p - 1.0).abs() < 1e-12,
                "normal lower tail at {p}"
            );
        }
        for p in [1e-16, 1e-12, 1e-6] {
            let hi = d.quantile(1.0 - p);
            let rel = (nrm.sf(hi) / (1.0 - (1.0 - p)) - 1.0).abs();
            assert!(rel < 1e-12, "normal upper tail at {p}: {rel:e}");
        }
        // Truncation 5 sd out: the conditional CDF is (Q(5) - Q(x)) / Q(5).
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(5.0),
            max: None,
        };
        let q5 = nrm.sf(5.0);
        for u in [1e-9, 0.1, 0.5, 0.9, 1.0 - 1e-9] {
            let x = d.quantile(u);
            let s = nrm.sf(x) / q5; // = 1 - u
            assert!((s / (1.0 - u) - 1.0).abs() < 1e-9, "5-sd truncation at {u}");
        }
        // Gamma and Beta tails, relative to the tail probability (statrs's own inverse_cdf is
        // wrong here by orders of magnitude).
        for (shape, scale) in [(0.3, 2.0), (1.5, 2.0), (30.0, 2.0), (0.01, 1.0)] {
            let d = Dist::Gamma { shape, scale };
            let g = SGamma::new(shape, 1.0 / scale).unwrap();
            for p in [1e-12, 1e-6, 1e-3] {
                let x = d.quantile(p);
                if x > 0.0 {
                    let rel = (g.cdf(x) / p - 1.0).abs();
                    assert!(rel < 1e-10, "gamma({shape}) lower tail {p}: {rel:e}");
                }
                let x = d.quantile(1.0 - p);
                let rel = (g.sf(x) / (1.0 - (1.0 - p)) - 1.0).abs();
                assert!(rel < 1e-9, "gamma({shape}) upper tail {p}: {rel:e}");
            }
        }
        for (a, b) in [(2.0, 40.0), (0.5, 0.5), (0.05, 3.0)] {
            let d = Dist::Beta { alpha: a, beta: b };
            let sb = SBeta::new(a, b).unwrap();
            for p in [1e-12, 1e-6, 1e-3] {
                let x = d.quantile(p);
                if x > 0.0 {
                    let rel = (sb.cdf(x) / p - 1.0).abs();
                    assert!(rel < 1e-10, "beta({a},{b}) lower tail {p}: {rel:e}");
                }
            }
        }
    }

    #[test]
    fn dist_quantile_closed_forms() {
        let us = [1e-10, 0.001, 0.2, 0.5, 0.77, 0.999];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
        for &u in &us {
            let half_pi = std::f64::consts::FRAC_PI_2;
            // Arcsine law: Beta(1/2, 1/2) quantile is sin^2(pi u / 2).
            let x = Dist::Beta {
                alpha: 0.5,
                beta: 0.5,
            }
            .quantile(u);
            assert!(
                close(x, (half_pi * u).sin().powi(2)),
                "beta(.5,.5) at {u}: {x}"
            );
            // Beta(a, 1): u^(1/a); Beta(1, b): 1 - (1 - u)^(1/b).
            let x = Dist::Beta {
                alpha: 3.0,
                beta: 1.0,
            }
            .quantile(u);
            assert!(close(x, u.powf(1.0 / 3.0)), "beta(3,1) at {u}: {x}");
            let x = Dist::Beta {
                alpha: 1.0,
                beta: 4.0,
            }
            .quantile(u);
            assert!(
                close(x, -((-u).ln_1p() / 4.0).exp_m1()),
                "beta(1,4) at {u}: {x}"
            );
            // Gamma(1, s): -s ln(1 - u).
            let x = Dist::Gamma {
                shape: 1.0,
                scale: 2.5,
            }
            .quantile(u);
            assert!(close(x, -2.5 * (-u).ln_1p()), "gamma(1) at {u}: {x}");
            // Uniform, triangular with mode at min: closed forms.
            let x = Dist::Triangular {
                min: 0.0,
                mode: 0.0,
                max: 1.0,
            }
            .quantile(u);
            assert!(close(x, 1.0 - (1.0 - u).sqrt()), "triangular at {u}");
        }
        // LogNormal: the median at u = 1/2.
        assert!(close(
            Dist::LogNormal {
                median: 7.0,
                sigma: 2.0
            }
            .quantile(0.5),
            7.0
        ));
        assert_eq!(Dist::Fixed(3.25).quantile(0.123), 3.25);
        assert_eq!(
            Dist::Uniform {
                min: -1.0,
                max: 3.0
            }
            .quantile(0.25),
            0.0
        );
    }

    #[test]
    fn dist_quantile_safe_at_edges() {
        for (d, _) in reference_cases() {
            let (lo, hi) = d.support();
            for u in [0.0, 1.0, -0.5, 2.0, f64::MIN_POSITIVE, f64::INFINITY] {
                let x = d.quantile(u);
                assert!(x.is_finite() && x >= lo && x <= hi, "{d:?} at u = {u}: {x}");
            }
            assert!(d.quantile(f64::NAN).is_nan());
            assert!(d.quantile(0.0) <= d.quantile(1e-12));
            assert!(d.quantile(1.0) >= d.quantile(1.0 - 1e-12));
        }
        // Invalid parameters give some value (possibly NaN) but never panic or hang.
        let bad = [
            Dist::Beta {
                alpha: -1.0,
                beta: 2.0,
            },
            Dist::Beta {
                alpha: f64::NAN,
                beta: 2.0,
            },
            Dist::Gamma {
                shape: 0.0,
                scale: 1.0,
            },
            Dist::Gamma {
                shape: f64::INFINITY,
                scale: 1.0,
            },
            Dist::Pert {
                min: 1.0,
                mode: 1.0,
                max: 1.0,
            },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(50.0),
                max: None,
            },
            Dist::Normal {
                mean: 0.0,
                sd: -1.0,
                min: None,
                max: None,
            },
            Dist::Triangular {
                min: 2.0,
                mode: 3.0,
                max: 1.0,
            },
        ];
        for d in bad {
            for u in [0.0, 0.3, 0.7, 1.0] {
                let _ = d.quantile(u);
            }
        }
    }

    #[test]
    fn dist_check_rejects_bad_parameters() {
        let nan = f64::NAN;
        let cases: Vec<(Dist, &str)> = vec![
            (Dist::Fixed(nan), "value"),
            (Dist::Uniform { min: 1.0, max: 1.0 }, "max"),
            (Dist::Uniform { min: nan, max: 1.0 }, "min"),
            (
                Dist::Uniform {
                    min: 0.0,
                    max: f64::INFINITY,
                },
                "max",
            ),
            (
                Dist::Triangular {
                    min: 0.0,
                    mode: 2.0,
                    max: 1.0,
                },
                "mode",
            ),
            (
                Dist::Triangular {
                    min: 0.0,
                    mode: -0.1,
                    max: 1.0,
                },
                "mode",
            ),
            (
                Dist::Triangular {
                    min: 3.0,
                    mode: 3.0,
                    max: 1.0,
                },
                "max",
            ),
            (
                Dist::Pert {
                    min: 0.0,
                    mode: nan,
                    max: 1.0,
                },
                "mode",
            ),
            (
                Dist::Pert {
                    min: 0.0,
                    mode: 5.0,
                    max: 1.0,
                },
                "mode",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: -1.0,
                    min: None,
                    max: None,
                },
                "sd",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 0.0,
                    min: None,
                    max: None,
                },
                "sd",
            ),
            (
                Dist::Normal {
                    mean: nan,
                    sd: 1.0,
                    min: None,
                    max: None,
                },
                "mean",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(nan),
                    max: None,
                },
                "min",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: None,
                    max: Some(f64::INFINITY),
                },
                "max",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(2.0),
                    max: Some(1.0),
                },
                "max",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(8.0),
                    max: None,
                },
                "min",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: None,
                    max: Some(-8.0),
                },
                "max",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(1.0),
                    max: Some(1.0 + 1e-13),
                },
                "max",
            ),
            (
                Dist::LogNormal {
                    median: 0.0,
                    sigma: 1.0,
                },
                "median",
            ),
            (
                Dist::LogNormal {
                    median: 1.0,
                    sigma: -2.0,
                },
                "sigma",
            ),
            (
                Dist::Beta {
                    alpha: 0.0,
                    beta: 1.0,
                },
                "alpha",
            ),
            (
                Dist::Beta {
                    alpha: 1.0,
                    beta: -1.0,
                },
                "beta",
            ),
            (
                Dist::Beta {
                    alpha: 1.0,
                    beta: f64::INFINITY,
                },
                "beta",
            ),
            (
                Dist::Gamma {
                    shape: -1.0,
                    scale: 1.0,
                },
                "shape",
            ),
            (
                Dist::Gamma {
                    shape: 1.0,
                    scale: 0.0,
                },
                "scale",
            ),
        ];
        for (d, param) in cases {
            let err = d.check().expect_err(&format!("{d:?} should be rejected"));
            assert!(
                err.contains(&format!("`{param}`")),
                "{d:?}: message {err:?}"
            );
        }
        assert_eq!(
            Dist::Normal {
                mean: 0.0,
                sd: -1.0,
                min: None,
                max: None
            }
            .check(),
            Err("`sd` must be > 0, got -1".to_string())
        );
        // Good ones, including degenerate-but-valid mode at a bound and a 7-sd truncation.
        for d in [
            Dist::Triangular {
                min: 0.0,
                mode: 0.0,
                max: 1.0,
            },
            Dist::Pert {
                min: 0.0,
                mode: 1.0,
                max: 1.0,
            },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(7.0),
                max: None,
            },
            Dist::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(-1.0),
                max: Some(1.0),
            },
        ] {
            assert_eq!(d.check(), Ok(()), "{d:?}");
        }
        for (d, _) in reference_cases() {
            assert_eq!(d.check(), Ok(()), "{d:?}");
        }
    }

    #[test]
    fn dist_support_mean_kind() {
        let inf = f64::INFINITY;
        let cases = [
            (Dist::Fixed(2.0), (2.0, 2.0), 2.0, "fixed"),
            (
                Dist::Uniform { min: 1.0, max: 3.0 },
                (1.0, 3.0),
                2.0,
                "uniform",
            ),
            (
                Dist::Triangular {
                    min: 0.0,
                    mode: 3.0,
                    max: 6.0,
                },
                (0.0, 6.0),
                3.0,
                "triangular",
            ),
            (
                Dist::Pert {
                    min: 0.0,
                    mode: 1.0,
                    max: 10.0,
                },
                (0.0, 10.0),
                14.0 / 6.0,
                "pert",
            ),
            (
                Dist::Normal {
                    mean: 1.0,
                    sd: 2.0,
                    min: None,
                    max: None,
                },
                (-inf, inf),
                1.0,
                "normal",
            ),
            (
                Dist::Normal {
                    mean: 0.0,
                    sd: 1.0,
                    min: Some(-1.0),
                    max: Some(1.0),
                },
                (-1.0, 1.0),
                0.0,
                "normal",
            ),
            (
                Dist::LogNormal {
                    median: 2.0,
                    sigma: 1.0,
                },
                (0.0, inf),
                2.0 * 0.5f64.exp(),
                "lognormal",
            ),
            (
                Dist::Beta {
                    alpha: 2.0,
                    beta: 6.0,
                },
                (0.0, 1.0),
                0.25,
                "beta",
            ),
            (
                Dist::Gamma {
                    shape: 3.0,
                    scale: 1.5,
                },
                (0.0, inf),
                4.5,
                "gamma",
            ),
        ];
        for (d, support, mean, kind) in cases {
            assert_eq!(d.support(), support, "{d:?}");
            assert!(
                (d.mean() - mean).abs() <= 1e-12 * mean.abs().max(1.0),
                "{d:?}"
            );
            assert_eq!(d.kind(), kind);
        }
        // Half-normal: mean sqrt(2/pi); far-tail truncation at 5 sd: phi(5) / Q(5).
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(0.0),
            max: None,
        };
        assert!((d.mean() - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-14);
        assert_eq!(d.support(), (0.0, inf));
        let nrm = SNormal::new(0.0, 1.0).unwrap();
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(5.0),
            max: None,
        };
        let expect = nrm.pdf(5.0) / nrm.sf(5.0);
        assert!((d.mean() - expect).abs() < 1e-12 * expect);
    }
}
