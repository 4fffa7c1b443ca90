//! Metalog distributions (T. W. Keelin, "The Metalog Distributions", Decision Analysis
//! 13(4):243–277, 2016), fitted exactly to 3 to 9 elicited quantiles.
//!
//! A metalog with `n` terms has the quantile function
//! `M(y) = Σ_{j=1..n} a_j b_j(y)` for `y` in (0, 1), with Keelin's basis (eq. 6)
//! `1, L, c L, c, c², c² L, c³, c³ L, c⁴` where `L = ln(y / (1 − y))` and `c = y − 1/2`.
//! Given `n` pairs `(y_i, x_i)`, the coefficients solve the `n × n` linear system
//! `Σ_j a_j b_j(y_i) = z_i` (eq. 7 with as many terms as points, so the fit passes through
//! every point). Bounds are handled by transforming the values first (Keelin §4):
//! `z = ln(x − min)` (log-metalog, lower bound), `z = −ln(max − x)` (upper bound) and
//! `z = ln((x − min) / (max − x))` (logit-metalog, both), and back-transforming `M(y)`.
//!
//! A fit is a distribution only if `M` is strictly increasing on (0, 1) (Keelin's
//! feasibility, §3: the density `1 / M'(y)` positive everywhere). The back-transforms are
//! increasing, so it is checked on `M'`: on a grid of 9,999 equally spaced `y` and the tails
//! `10⁻⁵ … 10⁻¹⁵` (and their complements), and in the limits `y → 0` and `y → 1`, where
//! `y M'(y)` and `(1 − y) M'(y)` tend to `Σ a_j c^k` over the `c^k L` terms with `c = ∓1/2`.

/// Fewest quantiles a metalog takes.
pub const MIN_TERMS: usize = 3;
/// Most quantiles a metalog takes.
pub const MAX_TERMS: usize = 9;

/// A metalog fitted to quantiles, optionally bounded below (`min`), above (`max`) or both.
#[derive(Clone, Debug, PartialEq)]
pub struct Metalog {
    /// The quantiles as given: (probability, value), in order.
    points: Vec<(f64, f64)>,
    min: Option<f64>,
    max: Option<f64>,
    /// The points are the 10th, 50th and 90th percentiles written as `p10`, `p50`, `p90`
    /// (the names used in messages); otherwise `quantiles[i]`.
    percentiles: bool,
    /// The coefficients `a_1 .. a_n`; empty if the points cannot be fitted.
    coef: Vec<f64>,
}

/// `L = ln(y / (1 − y))` and `c = y − 1/2`, with `1 − y` exact for `y ≥ 1/2`.
fn logit_c(y: f64) -> (f64, f64) {
    ((y / (1.0 - y)).ln(), y - 0.5)
}

/// The `n` basis functions at `y`, into `out[..n]`.
fn basis(y: f64, out: &mut [f64]) {
    let (l, c) = logit_c(y);
    for (j, b) in out.iter_mut().enumerate() {
        *b = term(j + 1, l, c);
    }
}

/// Basis function `j` (1-based): `1, L, cL, c`, then `c^k` for odd `j` (k = (j−1)/2) and
/// `c^k L` for even `j` (k = j/2 − 1).
fn term(j: usize, l: f64, c: f64) -> f64 {
    match j {
        1 => 1.0,
        2 => l,
        3 => c * l,
        4 => c,
        _ if j % 2 == 1 => c.powi(((j - 1) / 2) as i32),
        _ => c.powi((j / 2 - 1) as i32) * l,
    }
}

/// The power `k` of `c` in basis function `j` (1-based) if it is a `c^k L` term.
fn log_power(j: usize) -> Option<i32> {
    match j {
        2 => Some(0),
        3 => Some(1),
        _ if j >= 6 && j.is_multiple_of(2) => Some((j / 2 - 1) as i32),
        _ => None,
    }
}

/// `d/dy` of basis function `j` with `dL/dy = 1 / (y (1 − y))`.
fn term_slope(j: usize, y: f64, l: f64, c: f64) -> f64 {
    let dl = 1.0 / (y * (1.0 - y));
    match j {
        1 => 0.0,
        2 => dl,
        3 => l + c * dl,
        4 => 1.0,
        _ if j % 2 == 1 => {
            let k = ((j - 1) / 2) as i32;
            f64::from(k) * c.powi(k - 1)
        }
        _ => {
            let k = (j / 2 - 1) as i32;
            f64::from(k) * c.powi(k - 1) * l + c.powi(k) * dl
        }
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting, then one step of
/// iterative refinement. `None` if the matrix is singular or the result not finite.
fn solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let x = eliminate(a, b)?;
    let residual: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(row, bi)| bi - row.iter().zip(&x).map(|(r, xi)| r * xi).sum::<f64>())
        .collect();
    let dx = eliminate(a, &residual)?;
    let x: Vec<f64> = x.iter().zip(&dx).map(|(x, d)| x + d).collect();
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn eliminate(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .zip(b)
        .map(|(row, &bi)| row.iter().copied().chain([bi]).collect())
        .collect();
    // A pivot this small relative to the largest entry means the matrix is singular but
    // for rounding (e.g. seven probabilities symmetric about 1/2).
    let tiny = 1e-12 * a.iter().flatten().fold(0.0, |s: f64, v| s.max(v.abs()));
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].is_nan() || m[pivot][col].abs() <= tiny {
            return None;
        }
        m.swap(col, pivot);
        let (top, below) = m.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for row in below {
            let f = row[col] / pivot_row[col];
            for (r, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *r -= f * p;
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| m[row][k] * x[k]).sum();
        x[row] = (m[row][n] - s) / m[row][row];
    }
    Some(x)
}

/// The probabilities at which feasibility is checked: `i / 10,000` and the far tails.
fn feasibility_grid() -> impl Iterator<Item = f64> {
    let tails = (5..=15).flat_map(|k| {
        let t = 10f64.powi(-k);
        [t, 1.0 - t]
    });
    (1..10_000).map(|i| f64::from(i) / 10_000.0).chain(tails)
}

impl Metalog {
    /// A metalog through the 10th, 50th and 90th percentiles.
    pub fn percentiles(p10: f64, p50: f64, p90: f64, min: Option<f64>, max: Option<f64>) -> Self {
        Self::fit(vec![(0.1, p10), (0.5, p50), (0.9, p90)], min, max, true)
    }

    /// A metalog through `(probability, value)` pairs.
    pub fn quantiles(points: Vec<(f64, f64)>, min: Option<f64>, max: Option<f64>) -> Self {
        Self::fit(points, min, max, false)
    }

    fn fit(points: Vec<(f64, f64)>, min: Option<f64>, max: Option<f64>, percentiles: bool) -> Self {
        let mut m = Metalog {
            points,
            min,
            max,
            percentiles,
            coef: Vec::new(),
        };
        if m.check_inputs().is_ok() {
            let n = m.points.len();
            let rows: Vec<Vec<f64>> = m
                .points
                .iter()
                .map(|&(y, _)| {
                    let mut row = vec![0.0; n];
                    basis(y, &mut row);
                    row
                })
                .collect();
            let z: Vec<f64> = m.points.iter().map(|&(_, x)| m.transform(x)).collect();
            m.coef = solve(&rows, &z).unwrap_or_default();
        }
        m
    }

    /// The fitted coefficients `a_1 .. a_n` (empty if the points could not be fitted).
    pub fn coefficients(&self) -> &[f64] {
        &self.coef
    }

    /// The quantiles as given, (probability, value) in order.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The lower and upper bound, if given.
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        (self.min, self.max)
    }

    /// How messages name point `i`: `p10`, `p50`, `p90`, or `quantiles[i]`.
    fn name(&self, i: usize) -> String {
        if self.percentiles {
            ["p10", "p50", "p90"][i].to_string()
        } else {
            format!("quantiles[{i}]")
        }
    }

    /// The value at point `i` as messages name it (`p10`, or `quantiles[2]` value).
    fn value_name(&self, i: usize) -> String {
        if self.percentiles {
            format!("`{}`", self.name(i))
        } else {
            format!("the value of `{}`", self.name(i))
        }
    }

    /// The transform of a value into the metalog's scale.
    fn transform(&self, x: f64) -> f64 {
        match (self.min, self.max) {
            (None, None) => x,
            (Some(lo), None) => (x - lo).ln(),
            (None, Some(hi)) => -(hi - x).ln(),
            (Some(lo), Some(hi)) => ((x - lo) / (hi - x)).ln(),
        }
    }

    /// The back-transform of `M(y)` into a value, within the bounds.
    fn back_transform(&self, z: f64) -> f64 {
        match (self.min, self.max) {
            (None, None) => z,
            (Some(lo), None) => lo + z.exp(),
            (None, Some(hi)) => hi - (-z).exp(),
            (Some(lo), Some(hi)) => {
                // (lo + hi e^z) / (1 + e^z) with the exponential never overflowing.
                let x = if z > 0.0 {
                    let e = (-z).exp();
                    (lo * e + hi) / (1.0 + e)
                } else {
                    let e = z.exp();
                    (lo + hi * e) / (1.0 + e)
                };
                x.clamp(lo, hi)
            }
        }
    }

    /// `M(y)`, the metalog in its own (transformed) scale.
    fn metalog(&self, y: f64) -> f64 {
        let (l, c) = logit_c(y);
        self.coef
            .iter()
            .enumerate()
            .map(|(j, a)| a * term(j + 1, l, c))
            .sum()
    }

    /// `M'(y)`.
    fn slope(&self, y: f64) -> f64 {
        let (l, c) = logit_c(y);
        self.coef
            .iter()
            .enumerate()
            .map(|(j, a)| a * term_slope(j + 1, y, l, c))
            .sum()
    }

    /// The limit of `y M'(y)` as `y → 0` (`c = −1/2`) or of `(1 − y) M'(y)` as `y → 1`
    /// (`c = 1/2`): the `L`-terms' coefficients times `c^k`. In the transformed scale the
    /// tail is exponential with this rate.
    fn tail_rate(&self, c: f64) -> f64 {
        self.coef
            .iter()
            .enumerate()
            .filter_map(|(j, a)| log_power(j + 1).map(|k| a * c.powi(k)))
            .sum()
    }

    /// Quantile at `y` in (0, 1).
    pub fn quantile(&self, y: f64) -> f64 {
        self.back_transform(self.metalog(y))
    }

    /// The smallest interval holding every value (infinite where unbounded).
    pub fn support(&self) -> (f64, f64) {
        (
            self.min.unwrap_or(f64::NEG_INFINITY),
            self.max.unwrap_or(f64::INFINITY),
        )
    }

    /// The mean `∫₀¹ Q(y) dy`, by the trapezoid rule in `t = logit(y)` on [−36, 36] (step
    /// 0.01, `y` below 1 in floating point; the integrand decays exponentially, so the rule
    /// is accurate to about 1e-12 relative for light tails). Infinite when a log-transformed tail is too heavy for a
    /// mean (tail rate at least 1).
    pub fn mean(&self) -> f64 {
        if self.max.is_none() && self.min.is_some() && self.tail_rate(0.5) >= 1.0 {
            return f64::INFINITY;
        }
        if self.min.is_none() && self.max.is_some() && self.tail_rate(-0.5) >= 1.0 {
            return f64::NEG_INFINITY;
        }
        const H: f64 = 0.01;
        let steps = 7_200;
        (0..=steps)
            .map(|i| {
                let t = -36.0 + H * f64::from(i);
                let y = 1.0 / (1.0 + (-t).exp());
                let w = if i == 0 || i == steps { 0.5 } else { 1.0 };
                w * self.quantile(y) * y * (1.0 - y)
            })
            .sum::<f64>()
            * H
    }

    /// Checks the inputs (3 to 9 points, probabilities strictly increasing in (0, 1),
    /// values finite and strictly increasing, `min` below and `max` above every value), then
    /// that they determine a distribution: the fitted quantile function strictly increasing.
    /// The message names the point and says what would fix it.
    pub fn check(&self) -> Result<(), String> {
        self.check_inputs()?;
        if self.coef.is_empty() {
            return Err(
                "these quantiles determine no metalog: its equations have no single solution \
                 for these probabilities (seven probabilities symmetric about 0.5 never have \
                 one); move one probability, or give one quantile more or fewer"
                    .into(),
            );
        }
        self.check_feasible()
    }

    fn check_inputs(&self) -> Result<(), String> {
        let n = self.points.len();
        if !(MIN_TERMS..=MAX_TERMS).contains(&n) {
            return Err(format!(
                "`quantiles` must hold {MIN_TERMS} to {MAX_TERMS} [probability, value] pairs, got {n}"
            ));
        }
        for (i, &(y, x)) in self.points.iter().enumerate() {
            if !(self.percentiles || (y > 0.0 && y < 1.0)) {
                return Err(format!(
                    "the probability of `{}` must be strictly between 0 and 1, got {y}",
                    self.name(i)
                ));
            }
            super::dist::need_finite(&self.name(i), x)?;
            if i > 0 {
                let (y0, x0) = self.points[i - 1];
                if !self.percentiles && y <= y0 {
                    return Err(format!(
                        "the probability of `{}` must be > that of `{}` ({y0}), got {y}",
                        self.name(i),
                        self.name(i - 1)
                    ));
                }
                if x <= x0 {
                    return Err(format!(
                        "{} must be > {} ({x0}), got {x}",
                        self.value_name(i),
                        self.value_name(i - 1)
                    ));
                }
            }
        }
        let (first, last) = (self.points[0].1, self.points[n - 1].1);
        if let Some(lo) = self.min {
            super::dist::need_finite("min", lo)?;
            if lo >= first {
                return Err(format!(
                    "`min` must be < {} ({first}), got {lo}",
                    self.value_name(0)
                ));
            }
        }
        if let Some(hi) = self.max {
            super::dist::need_finite("max", hi)?;
            if hi <= last {
                return Err(format!(
                    "`max` must be > {} ({last}), got {hi}",
                    self.value_name(n - 1)
                ));
            }
        }
        Ok(())
    }

    /// The quantile function must increase everywhere; if it does not, where it fails and
    /// how the values could change.
    fn check_feasible(&self) -> Result<(), String> {
        let lower_tail = self.tail_rate(-0.5);
        let upper_tail = self.tail_rate(0.5);
        let failing = if lower_tail < 0.0 {
            Some(0.0)
        } else if upper_tail < 0.0 {
            Some(1.0)
        } else {
            feasibility_grid().find(|&y| {
                let slope = self.slope(y);
                slope.is_nan() || slope <= 0.0
            })
        };
        let Some(y) = failing else {
            return Ok(());
        };
        let place = if y == 0.0 || y == 1.0 {
            format!("towards probability {y}")
        } else {
            format!("near probability {y}")
        };
        Err(format!(
            "these quantiles give no valid distribution: the fitted quantile function \
             decreases {place} (the density would be negative there); {}",
            self.remedy()
        ))
    }

    /// What would make an infeasible fit feasible.
    fn remedy(&self) -> String {
        if !self.percentiles {
            return "space the probabilities more evenly, give fewer quantiles, or give `min` \
                    and/or `max`"
                .into();
        }
        let z: Vec<f64> = self
            .points
            .iter()
            .map(|&(_, x)| self.transform(x))
            .collect();
        let (below, above) = (z[1] - z[0], z[2] - z[1]);
        let transformed = self.min.is_some() || self.max.is_some();
        let (far, near, bound) = if above > below {
            ("p90", "p10", self.min.map(|_| "move `min` closer to `p10`"))
        } else {
            ("p10", "p90", self.max.map(|_| "move `max` closer to `p90`"))
        };
        let bound = bound.unwrap_or(if above > below {
            "give a lower bound `min` (e.g. 0 for a quantity that cannot be negative)"
        } else {
            "give an upper bound `max`"
        });
        let ratio = (above.max(below) / above.min(below) * 100.0).round() / 100.0;
        let scale = if transformed {
            " in the scale the bounds transform to"
        } else {
            ""
        };
        let how_far = format!("{far} is {ratio} times as far from p50 as {near}{scale}");
        format!(
            "`{far}` is too far from `p50` relative to `{near}` ({how_far}; a 3-term metalog \
             allows about 5 times); bring the values closer to symmetric, or {bound}"
        )
    }
}
