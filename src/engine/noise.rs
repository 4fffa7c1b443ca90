//! How much of a trial's figure is noise from its household sample: batch means over the
//! household blocks.
//!
//! A trial's households are simulated in blocks of [`super::BLOCK_SIZE`], independently
//! given the trial's parameters (every household and block-level draw has its own stream).
//! Each block is also finalised on its own *as if it were the whole sample* (its counts
//! scaled to the market by `market households / households in the block`): its block
//! estimate `y_b` of every scalar. For a figure that is a sum over households (every total,
//! level and NPV) the trial's figure is exactly the households-weighted mean of its block
//! estimates, and the weighted batch-means estimator of its sampling variance is
//!
//! `var = Σ_b n_b (y_b − ȳ)² / (N (B − 1))`, with `ȳ = Σ_b n_b y_b / N`,
//!
//! for B blocks of `n_b` households, `N = Σ n_b`: the method of batch means (Schmeiser,
//! "Batch size effects in the analysis of simulation output", Operations Research 30,
//! 1982), known in survey sampling as the random-group variance estimator (Wolter,
//! "Introduction to Variance Estimation", 2nd ed., Springer 2007, ch. 2), here with the
//! batches weighted by their households because the last block may be smaller; with equal
//! blocks it is the usual `s²_y / B`. It is unbiased when the blocks are independent, which
//! they are. For the breakeven month, not a
//! sum, it is the same estimator applied to a non-linear statistic (and undefined as soon as
//! one block never breaks even).
//!
//! [`BlockNoise`] accumulates `(Σ n_b, ȳ, Σ n_b (y_b − ȳ)²)` per scalar and merges two
//! accumulators by the pairwise update of Chan, Golub & LeVeque ("Algorithms for computing
//! the sample variance", The American Statistician 37, 1983). The engine merges a trial's
//! blocks in block order, so the result is reproducible to the bit whatever the threads;
//! blocks that give the same estimate (a fixed cost, which no household changes) give a
//! variance of exactly 0. Memory is one accumulator per scalar per trial in flight, never
//! per household.

/// The running batch-means accumulator of one trial (or of some of its blocks): per scalar,
/// the households-weighted mean of the block estimates and the weighted sum of squared
/// deviations from it.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockNoise {
    /// Households in the blocks merged so far.
    households: f64,
    /// Blocks merged so far.
    blocks: u64,
    /// Per scalar: the households-weighted mean of the block estimates.
    mean: Vec<f64>,
    /// Per scalar: `Σ n_b (y_b − mean)²`.
    m2: Vec<f64>,
}

impl BlockNoise {
    /// One block of `households` households whose figures, finalised as if the block were
    /// the whole sample, are `estimates` (one per scalar).
    pub fn block(households: u64, estimates: Vec<f64>) -> BlockNoise {
        BlockNoise {
            households: households as f64,
            blocks: 1,
            m2: vec![0.0; estimates.len()],
            mean: estimates,
        }
    }

    /// Adds the blocks of `other` (Chan, Golub & LeVeque's pairwise update). Merged in a
    /// fixed order, the result is reproducible to the bit; equal estimates add exactly 0.
    pub fn merge(&mut self, other: &BlockNoise) {
        assert_eq!(
            self.mean.len(),
            other.mean.len(),
            "merging different layouts"
        );
        let (wa, wb) = (self.households, other.households);
        let w = wa + wb;
        for j in 0..self.mean.len() {
            let delta = other.mean[j] - self.mean[j];
            self.mean[j] += delta * (wb / w);
            self.m2[j] += other.m2[j] + delta * delta * (wa * wb / w);
        }
        self.households = w;
        self.blocks += other.blocks;
    }

    /// Per scalar: the sampling variance of the trial's figure from its household sample,
    /// `Σ n_b (y_b − ȳ)² / (N (B − 1))`; `NaN` (undefined) with a single block or where a
    /// block's estimate is undefined.
    pub fn variances(&self) -> Vec<f64> {
        if self.blocks < 2 {
            return vec![f64::NAN; self.mean.len()];
        }
        let denominator = self.households * (self.blocks - 1) as f64;
        self.m2.iter().map(|&m2| m2 / denominator).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weighted batch-means variance, computed directly.
    fn direct(blocks: &[(u64, f64)]) -> f64 {
        let n: f64 = blocks.iter().map(|&(h, _)| h as f64).sum();
        let mean = blocks.iter().map(|&(h, y)| h as f64 * y).sum::<f64>() / n;
        let ss: f64 = blocks
            .iter()
            .map(|&(h, y)| h as f64 * (y - mean) * (y - mean))
            .sum();
        ss / (n * (blocks.len() - 1) as f64)
    }

    fn merged(blocks: &[(u64, f64)]) -> BlockNoise {
        let mut acc = BlockNoise::block(blocks[0].0, vec![blocks[0].1]);
        for &(h, y) in &blocks[1..] {
            acc.merge(&BlockNoise::block(h, vec![y]));
        }
        acc
    }

    #[test]
    fn matches_the_direct_formula_with_unequal_blocks() {
        let blocks = [(4096, 10.0), (4096, 12.5), (4096, 9.0), (1808, 14.0)];
        let v = merged(&blocks).variances()[0];
        let d = direct(&blocks);
        assert!((v - d).abs() <= 1e-12 * d, "{v} vs {d}");
        // Equal blocks: s² of the estimates over B.
        let equal = [(100, 1.0), (100, 2.0), (100, 6.0)];
        let s2 = ((1.0f64 - 3.0).powi(2) + 1.0 + 9.0) / 2.0;
        assert!((merged(&equal).variances()[0] - s2 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn grouping_gives_the_same_variance() {
        let blocks = [(4096, 3.0), (4096, -1.0), (4096, 7.5), (10, 2.0)];
        let all = merged(&blocks).variances()[0];
        let mut left = merged(&blocks[..2]);
        left.merge(&merged(&blocks[2..]));
        let v = left.variances()[0];
        assert!((v - all).abs() <= 1e-12 * all);
    }

    #[test]
    fn equal_estimates_give_exactly_zero_and_one_block_is_undefined() {
        let x = 2.6e10 / 3.0;
        let v = merged(&[(4096, x), (4096, x), (7, x)]).variances()[0];
        assert_eq!(v.to_bits(), 0.0f64.to_bits());
        assert!(BlockNoise::block(5, vec![1.0]).variances()[0].is_nan());
        assert!(merged(&[(5, 1.0), (5, f64::NAN)]).variances()[0].is_nan());
    }
}
