//! Statistics across trials: mean, standard deviation, percentiles, the Monte Carlo
//! standard error of the mean, rank correlation, and the given-data first-order index with
//! its bootstrap interval.
//!
//! Percentiles interpolate linearly between order statistics (NumPy's default `linear`
//! method, Excel's PERCENTILE.INC). The standard deviation is the sample one (n − 1 in the
//! denominator, NumPy `ddof=1`, Excel STDEV.S); with one trial it is undefined. An undefined
//! per-trial value (`NaN`, e.g. a breakeven never reached) counts as +infinity: it makes the
//! mean undefined and the percentiles it reaches undefined, shown as empty cells.
//!
//! Ties are decided here, once ([`tied`], [`best`], [`share_better`], [`share_best`]): two
//! per-trial values tie when they are equal as the statistics order them (`-0` ties with
//! `0`, and an undefined value with another undefined one). A share of trials in which one
//! thing beats another counts strict wins over all trials, P(X > Y): a tied trial is neither
//! a win nor a loss (as in Cliff's dominance statistics, Psychological Bulletin 114, 1993),
//! so a share of 1 means better in every trial. When no trial decides (the two are equal in
//! every trial) the share is undefined (`None`): they are the same, and no share is shown.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The statistics reported for every figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// Number of trials summarised.
    pub n: usize,
}

impl Summary {
    /// Monte Carlo standard error of the mean, `sd / sqrt(n)` (undefined for one trial).
    /// It treats the trials as independent draws: exact for plain Monte Carlo, and an
    /// upper bound in practice for Latin hypercube sampling, which only lowers the
    /// variance of a mean.
    pub fn se(&self) -> f64 {
        self.sd / (self.n as f64).sqrt()
    }

    /// Half-width of the 95% confidence interval of the mean, `t(0.975, n - 1) * se`
    /// (Student's t, so that it stays honest for few trials).
    pub fn ci95_half_width(&self) -> f64 {
        if self.n < 2 || !self.sd.is_finite() {
            return f64::NAN;
        }
        t975(self.n - 1) * self.se()
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("df >= 1 is a valid t distribution")
        .inverse_cdf(0.975)
}

/// Ranks 1..n of `values`, ties getting the mean of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Pearson correlation; `None` when either side is constant or a value is not finite.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len());
    let n = x.len() as f64;
    if x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman rank correlation: the Pearson correlation of the ranks (ties averaged).
/// `None` when either side is constant or a value is not finite.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

/// Percentile `q` in [0, 1] of sorted values, by linear interpolation.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let frac = pos - lo as f64;
            if frac == 0.0 || sorted[lo] == sorted[hi] {
                sorted[lo]
            } else {
                sorted[lo] + (sorted[hi] - sorted[lo]) * frac
            }
        }
    }
}

/// A per-trial value as the statistics order it: undefined (`NaN`) counts as +infinity.
pub fn ordered(x: f64) -> f64 {
    if x.is_nan() { f64::INFINITY } else { x }
}

/// Whether two per-trial values tie: equal as the statistics order them.
pub fn tied(a: f64, b: f64) -> bool {
    ordered(a) == ordered(b)
}

/// The indices of the best of `values`, in order: one, or several that tie for the best.
/// `better(a, b)` is true when `a` is strictly better than `b`; it sees [`ordered`] values.
pub fn best(values: &[f64], better: impl Fn(f64, f64) -> bool) -> Vec<usize> {
    let Some(top) = values
        .iter()
        .map(|&x| ordered(x))
        .reduce(|top, x| if better(x, top) { x } else { top })
    else {
        return Vec::new();
    };
    (0..values.len())
        .filter(|&i| tied(values[i], top))
        .collect()
}

/// The share of trials in which `values` is strictly better than `reference` (`better` as
/// in [`best`]); a tied trial counts as neither better nor worse. `None` when they tie in
/// every trial.
pub fn share_better(
    values: &[f64],
    reference: &[f64],
    better: impl Fn(f64, f64) -> bool,
) -> Option<f64> {
    let (mut wins, mut decided) = (0usize, 0usize);
    for (&a, &b) in values.iter().zip(reference) {
        if !tied(a, b) {
            decided += 1;
            wins += usize::from(better(ordered(a), ordered(b)));
        }
    }
    (decided > 0).then(|| wins as f64 / values.len() as f64)
}

/// Per candidate, the share of trials in which it alone is the best (strictly better than
/// every other candidate); `value(k, t)` is candidate `k`'s value in trial `t`. A trial in
/// which several candidates tie for the best credits none of them; `None` when every trial
/// has such a tie.
pub fn share_best(
    candidates: usize,
    trials: usize,
    value: impl Fn(usize, usize) -> f64,
    better: impl Fn(f64, f64) -> bool,
) -> Option<Vec<f64>> {
    let mut wins = vec![0usize; candidates];
    let mut decided = 0usize;
    let mut values = vec![0.0; candidates];
    for t in 0..trials {
        for (k, v) in values.iter_mut().enumerate() {
            *v = value(k, t);
        }
        if let [k] = best(&values, &better)[..] {
            wins[k] += 1;
            decided += 1;
        }
    }
    (decided > 0).then(|| wins.iter().map(|&w| w as f64 / trials as f64).collect())
}

/// Mean, sample sd and p05/p50/p95 of `values` (sums in the given order, so the result is
/// reproducible to the bit).
pub fn summarize(values: &[f64]) -> Summary {
    let n = values.len();
    let mut sorted: Vec<f64> = values.iter().map(|&v| ordered(v)).collect();
    sorted.sort_by(f64::total_cmp);
    let undefined = sorted.iter().any(|v| !v.is_finite());
    let (mean, sd) = if n == 0 || undefined {
        (f64::NAN, f64::NAN)
    } else {
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        (mean, sd)
    };
    Summary {
        mean,
        sd,
        p05: percentile_sorted(&sorted, 0.05),
        p50: percentile_sorted(&sorted, 0.50),
        p95: percentile_sorted(&sorted, 0.95),
        n,
    }
}

/// The share of a figure's variance across trials that comes from the household sample:
/// the mean over trials of each trial's sampling variance (`within`, one per trial, see
/// [`crate::engine::noise`]) divided by the variance across trials (`across.sd²`), clipped
/// to [0, 1] (the two are estimated separately, so the ratio can stray past 1 when the
/// sample is nearly all the spread). Exactly 0 when no trial has any sampling variance (a
/// figure no household changes); `NaN` (undefined) when a trial has no estimate or the
/// spread across trials is undefined.
pub fn noise_share(within: &[f64], across: &Summary) -> f64 {
    if within.is_empty() || within.len() != across.n || within.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let mean = within.iter().sum::<f64>() / within.len() as f64;
    if mean == 0.0 {
        return 0.0;
    }
    let total = across.sd * across.sd;
    if !total.is_finite() {
        return f64::NAN;
    }
    if total > 0.0 {
        (mean / total).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// The households that would bring a figure's household-noise share under `target`, from
/// its share `share` at `households`: the noise variance scales as 1/households while the
/// rest of the spread stays, so `households × (share / (1 − share)) × ((1 − target) /
/// target)`, rounded up to two significant digits. `None` when the share is already under
/// the target, undefined, or all of the spread (then no number of households separates it
/// from the parameters' share, which is 0).
pub fn households_for_noise(share: f64, households: u64, target: f64) -> Option<u64> {
    if share.is_nan() || share <= target || share >= 1.0 {
        return None;
    }
    let need = households as f64 * share / (1.0 - share) * (1.0 - target) / target;
    let digits = 10f64.powi(need.log10().floor() as i32 - 1).max(1.0);
    Some(((need / digits).ceil() * digits) as u64)
}

/// The number of equiprobable classes the given-data first-order index splits `n` trials
/// into: `round(sqrt(n))`, from 2 to 50.
pub fn index_classes(n: usize) -> usize {
    ((n as f64).sqrt().round() as usize).clamp(2, 50)
}

/// The indices of `x` in increasing order of their values (ties in index order): the rank
/// order the given-data estimators class trials by.
pub fn rank_order(x: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    order
}

/// The first-order variance-based index of an input from given data: the correlation ratio
/// of `y` over `m` equiprobable classes of the input's ranks (Plischke, Borgonovo & Smith,
/// "Global sensitivity measures from given data", EJOR 226, 2013), bias-corrected as
/// Kelley's epsilon-squared, `(SS_between - (m - 1) MS_within) / SS_total` with
/// `MS_within = SS_within / (N - m)` (Kelley, "An unbiased correlation ratio measure",
/// PNAS 21, 1935); its expectation is about 0 for an input without effect, and it can be
/// slightly negative.
///
/// `order` is [`rank_order`] of the input; `counts`, when given, counts trial `i`
/// `counts[i]` times (a bootstrap resample), the `N` copies filling the classes in rank
/// order. `None` when `y` does not vary, a value is not finite, or there are fewer than
/// `m + 2` copies.
pub fn first_order_index(
    order: &[usize],
    y: &[f64],
    counts: Option<&[u32]>,
    m: usize,
) -> Option<f64> {
    let count = |i: usize| counts.map_or(1, |c| c[i] as usize);
    let n: usize = order.iter().map(|&i| count(i)).sum();
    if m < 2 || n < m + 2 {
        return None;
    }
    // The class of each copy in rank order, and each class' count and sum.
    let class = |position: usize| position * m / n;
    let (mut sizes, mut sums) = (vec![0usize; m], vec![0.0; m]);
    let mut position = 0;
    for &i in order {
        if !y[i].is_finite() {
            return None;
        }
        for _ in 0..count(i) {
            let c = class(position);
            sizes[c] += 1;
            sums[c] += y[i];
            position += 1;
        }
    }
    let mean = sums.iter().sum::<f64>() / n as f64;
    let means: Vec<f64> = sums
        .iter()
        .zip(&sizes)
        .map(|(s, &k)| if k > 0 { s / k as f64 } else { 0.0 })
        .collect();
    let (mut total, mut within) = (0.0, 0.0);
    position = 0;
    for &i in order {
        for _ in 0..count(i) {
            let c = class(position);
            total += (y[i] - mean) * (y[i] - mean);
            within += (y[i] - means[c]) * (y[i] - means[c]);
            position += 1;
        }
    }
    if total <= 0.0 || total <= 1e-24 * mean * mean * n as f64 {
        return None;
    }
    let between = (total - within).max(0.0);
    let ms_within = within / (n - m) as f64;
    Some((between - (m - 1) as f64 * ms_within) / total)
}

/// The equiprobable rank classes of `order`'s trials for a group's index: trial `order[k]`
/// is in class `k * m / n`.
pub fn rank_classes(order: &[usize], m: usize) -> Vec<usize> {
    let n = order.len();
    let mut classes = vec![0; n];
    for (position, &i) in order.iter().enumerate() {
        classes[i] = position * m / n;
    }
    classes
}

/// The number of rank classes per member of a group of `k` inputs over `n` trials:
/// [`index_classes`], fewer if needed so that the fitted class effects, `k (m − 1)`, stay
/// within half the trials' degrees of freedom (`(n − 1) / 2`); at least 2.
pub fn group_classes(n: usize, k: usize) -> usize {
    let room = (n.saturating_sub(1) / (2 * k.max(1))) + 1;
    index_classes(n).min(room).max(2)
}

/// Backfitting sweeps at most; they stop earlier once a sweep changes the fit by less than
/// 1e-12 of the total sum of squares.
const BACKFIT_SWEEPS: usize = 500;

/// The first-order index of a group of inputs from given data: the share of `y`'s variance
/// explained by the inputs together, estimated by regression on the group's members
/// (the "closed" index of the group as a random-sampling high-dimensional model
/// representation: Li, Rabitz et al., "Global sensitivity analysis for systems with
/// independent and/or correlated inputs", J. Phys. Chem. A 114, 2010). Each member gets a
/// first-order component function, piecewise constant on its `m` equiprobable rank classes
/// (`classes[j][i]`: the class of trial `i` for member `j`, see [`rank_classes`]); the
/// components are fitted jointly by least squares, by backfitting (Gauss–Seidel over the
/// members; Hastie & Tibshirani, "Generalized Additive Models", 1990), which handles
/// correlated members; and the explained share is bias-corrected as an adjusted R²,
/// `1 − (SS_res / (N − p − 1)) / (SS_total / (N − 1))` with `p` the fitted class effects
/// (Wherry, Annals of Mathematical Statistics 2, 1931). With one member it is exactly
/// [`first_order_index`] (the adjusted R² of a one-way analysis of variance is Kelley's
/// epsilon-squared). Interactions among the members are not fitted: the estimate is the
/// group's additive part, the whole index when the members act additively (per-year
/// entries that add up, as fixed costs do).
///
/// `counts`, when given, weights trial `i` by `counts[i]` (a bootstrap resample, on the
/// classes of the full sample). `None` when `y` does not vary, a value is not finite, or
/// there are fewer than `p + 2` weighted trials.
pub fn group_first_order_index(
    classes: &[Vec<usize>],
    y: &[f64],
    counts: Option<&[u32]>,
    m: usize,
) -> Option<f64> {
    let w = |i: usize| counts.map_or(1.0, |c| f64::from(c[i]));
    if classes.is_empty() || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n: f64 = (0..y.len()).map(w).sum();
    // Fitted effects: the non-empty classes of each member, less one.
    let mut p = 0usize;
    for member in classes {
        let mut seen = vec![false; m];
        for (i, &c) in member.iter().enumerate() {
            seen[c] |= w(i) > 0.0;
        }
        p += seen.iter().filter(|&&s| s).count().saturating_sub(1);
    }
    if n < (p + 2) as f64 {
        return None;
    }
    let mean = (0..y.len()).map(|i| w(i) * y[i]).sum::<f64>() / n;
    let total: f64 = (0..y.len()).map(|i| w(i) * (y[i] - mean).powi(2)).sum();
    if total <= 0.0 || total <= 1e-24 * mean * mean * n {
        return None;
    }
    let mut residual: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let mut effects = vec![vec![0.0; m]; classes.len()];
    let (mut sums, mut weights) = (vec![0.0; m], vec![0.0; m]);
    for _ in 0..BACKFIT_SWEEPS {
        let mut change = 0.0;
        for (member, effect) in classes.iter().zip(effects.iter_mut()) {
            sums.iter_mut().for_each(|s| *s = 0.0);
            weights.iter_mut().for_each(|s| *s = 0.0);
            for (i, &c) in member.iter().enumerate() {
                sums[c] += w(i) * (residual[i] + effect[c]);
                weights[c] += w(i);
            }
            for c in 0..m {
                let new = if weights[c] > 0.0 {
                    sums[c] / weights[c]
                } else {
                    0.0
                };
                change += weights[c] * (new - effect[c]).powi(2);
                sums[c] = new - effect[c];
                effect[c] = new;
            }
            for (r, &c) in residual.iter_mut().zip(member) {
                *r -= sums[c];
            }
        }
        if change <= 1e-12 * total {
            break;
        }
    }
    let ss_res: f64 = (0..y.len()).map(|i| w(i) * residual[i].powi(2)).sum();
    Some(1.0 - (ss_res / (n - p as f64 - 1.0)) / (total / (n - 1.0)))
}

/// A 95% interval from bootstrap replicates of an estimate: the 2.5th and 97.5th
/// percentiles (linear, as [`percentile_sorted`]) of the replicates re-centred on the
/// estimate (each replicate minus the replicates' mean plus the estimate). The re-centring
/// removes the bootstrap's own bias: a resample repeats trials, and the repeated copies make
/// every replicate of a bias-corrected correlation ratio larger by about `(m - 1) / N`.
/// Undefined replicates are left out; `None` when fewer than half are defined.
pub fn recentred_interval(estimate: f64, replicates: &[Option<f64>]) -> Option<(f64, f64)> {
    let mut defined: Vec<f64> = replicates.iter().flatten().copied().collect();
    if defined.is_empty() || 2 * defined.len() < replicates.len() || !estimate.is_finite() {
        return None;
    }
    let mean = defined.iter().sum::<f64>() / defined.len() as f64;
    defined.sort_by(f64::total_cmp);
    let shift = estimate - mean;
    Some((
        percentile_sorted(&defined, 0.025) + shift,
        percentile_sorted(&defined, 0.975) + shift,
    ))
}

/// The summaries of `y` in the trials of an input's lowest and highest deciles: the first
/// and the last `ceil(N / 10)` trials of its rank `order`.
pub fn decile_summaries(order: &[usize], y: &[f64]) -> (Summary, Summary) {
    let k = order.len().div_ceil(10);
    let pick = |trials: &[usize]| -> Vec<f64> { trials.iter().map(|&i| y[i]).collect() };
    (
        summarize(&pick(&order[..k])),
        summarize(&pick(&order[order.len() - k..])),
    )
}

/// `count` bootstrap resamples of `n` trials, each as the number of times it draws every
/// trial: resample `b` from the stream `(seed, b, component)`, so the same for any thread
/// count or sharding (sensitivity's and the value of information's intervals).
pub fn bootstrap_counts(seed: u64, count: usize, component: u64, n: usize) -> Vec<Vec<u32>> {
    use rand::Rng as _;
    (0..count)
        .map(|b| {
            let mut rng = crate::sampling::stream(seed, u64::MAX, b as u64, component);
            let mut counts = vec![0u32; n];
            for _ in 0..n {
                // Lemire's multiply-shift: a uniform index in 0..n.
                let i = ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize;
                counts[i] += 1;
            }
            counts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group's index: one member gives the single-input index; an additive function of
    /// independent members gives the variance shares of the members, and all of them 1.
    #[test]
    fn group_index_is_the_single_index_for_one_member_and_adds_up() {
        let n = 400;
        // Deterministic, well spread, independent-looking inputs (Weyl sequences).
        let x: Vec<Vec<f64>> = [0.618_033_988_7, 0.414_213_562_4, 0.732_050_807_6]
            .iter()
            .map(|a| (0..n).map(|i| ((i as f64 + 0.5) * a).fract()).collect())
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 3.0 * x[0][i] + 1.0 * x[1][i] + 0.0 * x[2][i])
            .collect();
        let m = index_classes(n);
        let orders: Vec<Vec<usize>> = x.iter().map(|v| rank_order(v)).collect();
        let classes: Vec<Vec<usize>> = orders.iter().map(|o| rank_classes(o, m)).collect();
        let single = first_order_index(&orders[0], &y, None, m).unwrap();
        let group = group_first_order_index(&classes[..1], &y, None, m).unwrap();
        assert!((single - group).abs() < 1e-12, "{single} vs {group}");
        // Var 9/12 and 1/12: shares 0.9 and 0.1 (up to the inputs' small sample
        // correlation and the classes' discretisation, 1/m² of each share).
        let both = group_first_order_index(&classes[..2], &y, None, m).unwrap();
        assert!((both - 1.0).abs() < 0.01, "{both}");
        let with_idle = group_first_order_index(&classes, &y, None, m).unwrap();
        assert!((with_idle - 1.0).abs() < 0.01, "{with_idle}");
        let idle = group_first_order_index(&classes[2..], &y, None, m).unwrap();
        assert!(idle.abs() < 0.05, "{idle}");
        assert_eq!(group_classes(1000, 7), 32);
        assert_eq!(group_classes(100, 7), 8);
        assert_eq!(group_classes(10, 40), 2);
    }

    #[test]
    fn standard_error_and_interval_match_scipy() {
        // scipy.stats.t.ppf(0.975, 4) == 2.7764451051977987
        assert!((t975(4) - 2.7764451051977987).abs() < 1e-9);
        // scipy.stats.t.ppf(0.975, 199) == 1.971956544...
        assert!((t975(199) - 1.971956544).abs() < 1e-6);
        let s = summarize(&[4.0, 1.0, 10.0, 3.0, 2.0]);
        assert!((s.se() - 3.5355339059327378 / 5f64.sqrt()).abs() < 1e-12);
        assert!((s.ci95_half_width() - 2.7764451051977987 * s.se()).abs() < 1e-9);
        assert!(summarize(&[7.0]).ci95_half_width().is_nan());
    }

    #[test]
    fn ranks_average_ties_and_spearman_matches_scipy() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]).statistic == 0.8207826816681233
        let r = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]).unwrap();
        assert!((r - 0.8207826816681233).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 2.0], &[3.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, f64::NAN], &[3.0, 4.0]), None);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[9.0, 8.0, 1.0]), Some(-1.0));
    }

    #[test]
    fn matches_numpy_linear_percentiles() {
        // numpy.percentile([1, 2, 3, 4, 10], [5, 50, 95]) == [1.2, 3.0, 8.8]
        let s = summarize(&[4.0, 1.0, 10.0, 3.0, 2.0]);
        assert!((s.p05 - 1.2).abs() < 1e-12);
        assert_eq!(s.p50, 3.0);
        assert!((s.p95 - 8.8).abs() < 1e-12);
        assert_eq!(s.mean, 4.0);
        // numpy.std([1,2,3,4,10], ddof=1) == 3.5355339059327378
        assert!((s.sd - 3.5355339059327378).abs() < 1e-12);
    }

    #[test]
    fn undefined_values_count_as_infinite() {
        let s = summarize(&[1.0, f64::NAN, 2.0, 3.0]);
        assert!(s.mean.is_nan());
        assert_eq!(s.p05, 1.0 + 0.15);
        assert!(s.p95.is_infinite());
    }

    #[test]
    fn ties_are_left_out_of_shares() {
        let higher = |a: f64, b: f64| a > b;
        assert!(tied(-0.0, 0.0) && tied(f64::NAN, f64::NAN) && !tied(1.0, f64::NAN));
        assert_eq!(best(&[1.0, 3.0, 3.0, 2.0], higher), vec![1, 2]);
        assert_eq!(best(&[f64::NAN, 5.0], |a, b| a < b), vec![1]);
        assert_eq!(best(&[], higher), Vec::<usize>::new());
        // One tie, one win, one loss: better in one trial of three.
        assert_eq!(
            share_better(&[1.0, 2.0, 3.0, 5.0], &[1.0, 1.0, 4.0, 5.0], higher),
            Some(0.25)
        );
        assert_eq!(share_better(&[1.0, -0.0], &[1.0, 0.0], higher), None);
        assert_eq!(share_better(&[7.0], &[f64::NAN], |a, b| a < b), Some(1.0));
        // Per trial: [1, 1] ties (credits neither), [2, 1] and [0, 4] decide.
        let v = [[1.0, 1.0], [2.0, 1.0], [0.0, 4.0], [3.0, 3.0]];
        assert_eq!(
            share_best(2, 4, |k, t| v[t][k], higher),
            Some(vec![0.25, 0.25])
        );
        assert_eq!(share_best(2, 1, |_, _| 4.0, higher), None);
    }

    #[test]
    fn single_value() {
        let s = summarize(&[7.0]);
        assert_eq!((s.mean, s.p05, s.p50, s.p95), (7.0, 7.0, 7.0, 7.0));
        assert!(s.sd.is_nan());
    }

    /// `Y = X1 + 2 X2` with independent uniforms: `S1 = 1/5`, `S2 = 4/5`; an unused `X3`
    /// gets an index near 0.
    #[test]
    fn first_order_index_of_a_known_function() {
        let mut rng = crate::sampling::stream(7, 0, 0, 0);
        let n = 4000;
        let draw = |rng: &mut crate::sampling::Rng| -> Vec<f64> {
            (0..n).map(|_| crate::sampling::uniform(rng)).collect()
        };
        let (x1, x2, x3) = (draw(&mut rng), draw(&mut rng), draw(&mut rng));
        let y: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| a + 2.0 * b).collect();
        let m = index_classes(n);
        assert_eq!(m, 50);
        let s = |x: &[f64]| first_order_index(&rank_order(x), &y, None, m).unwrap();
        // Tolerance: the estimator's sd is about 0.01 at this size.
        assert!((s(&x1) - 0.2).abs() < 0.03, "S1 = {}", s(&x1));
        assert!((s(&x2) - 0.8).abs() < 0.03, "S2 = {}", s(&x2));
        assert!(s(&x3).abs() < 0.02, "S3 = {}", s(&x3));
        // Counting every trial once is the plain estimate; constant y has no index.
        let ones = vec![1u32; n];
        assert_eq!(
            first_order_index(&rank_order(&x1), &y, Some(&ones), m),
            Some(s(&x1))
        );
        assert_eq!(first_order_index(&[0, 1, 2, 3], &[1.0; 4], None, 2), None);
        assert_eq!(
            first_order_index(&[0, 1, 2], &[1.0, 2.0, 3.0], None, 2),
            None
        );
    }

    #[test]
    fn exact_correlation_ratio_on_a_small_example() {
        // Two classes of two: means 1.5 and 3.5, grand mean 2.5; SS_total = 5,
        // SS_between = 4, SS_within = 1, MS_within = 1 / 2; (4 - 0.5) / 5 = 0.7.
        let y = [2.0, 4.0, 1.0, 3.0];
        let order = rank_order(&[0.2, 0.9, 0.1, 0.5]);
        assert_eq!(order, vec![2, 0, 3, 1]);
        let s = first_order_index(&order, &y, None, 2).unwrap();
        assert!((s - 0.7).abs() < 1e-12, "{s}");
    }

    #[test]
    fn recentred_interval_and_deciles() {
        let reps: Vec<Option<f64>> = (0..=100).map(|k| Some(1.0 + k as f64 / 100.0)).collect();
        let (lo, hi) = recentred_interval(0.5, &reps).unwrap();
        assert!((lo - 0.025).abs() < 1e-12 && (hi - 0.975).abs() < 1e-12);
        assert_eq!(recentred_interval(0.5, &[None, None, Some(1.0)]), None);
        let y: Vec<f64> = (0..20).map(f64::from).collect();
        let order: Vec<usize> = (0..20).rev().collect();
        let (lo, hi) = decile_summaries(&order, &y);
        assert_eq!((lo.mean, lo.n, hi.mean, hi.n), (18.5, 2, 0.5, 2));
    }
}
