//! Statistics across trials: mean, standard deviation and percentiles.
//!
//! Percentiles interpolate linearly between order statistics (NumPy's default `linear`
//! method, Excel's PERCENTILE.INC). The standard deviation is the sample one (n − 1 in the
//! denominator, NumPy `ddof=1`, Excel STDEV.S); with one trial it is undefined. An undefined
//! per-trial value (`NaN`, e.g. a breakeven never reached) counts as +infinity: it makes the
//! mean undefined and the percentiles it reaches undefined, shown as empty cells.

/// The statistics reported for every figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
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

/// Mean, sample sd and p05/p50/p95 of `values` (sums in the given order, so the result is
/// reproducible to the bit).
pub fn summarize(values: &[f64]) -> Summary {
    let n = values.len();
    let mut sorted: Vec<f64> = values
        .iter()
        .map(|&v| if v.is_nan() { f64::INFINITY } else { v })
        .collect();
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn single_value() {
        let s = summarize(&[7.0]);
        assert_eq!((s.mean, s.p05, s.p50, s.p95), (7.0, 7.0, 7.0, 7.0));
        assert!(s.sd.is_nan());
    }
}
