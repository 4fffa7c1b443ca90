//! The hot path's exponential: [`exp`] for single values (a Gamma draw's boost, a
//! household's spend and willingness to pay) and, on the money scale, for batches of
//! order values.
//!
//! [`exp_money`]`(x)` is `exp(x) * 2^32` (the dollar amount `exp(x)` in units of 2^-32
//! dollar) by the table-driven method of Tang (1989), in the arrangement of Szabolcs Nagy's
//! `exp` for Arm's optimized-routines (also glibc's and musl's): `x = (k + j/N) ln 2 + r`
//! with `N = 256`, `|r| <= ln 2 / 512`, and `exp(x) = 2^k 2^(j/N) exp(r)`, where `2^(j/N)`
//! comes from a table as a double and a relative tail and `exp(r) - 1` is its Taylor
//! polynomial of degree 5. The table is computed at compile time in double-double
//! arithmetic (square roots of 2, then products) from IEEE operations only, so it has the
//! same bits everywhere. Error: the Taylor truncation `r^6 / 720 < 2^-66`, the dropped
//! product of the table's tail and `exp(r) - 1` below `2^-62`, the reduction and the
//! polynomial's roundings below `2^-60`, plus the final rounding (half a unit in the last
//! place): about 0.52 ulp in all, so within one ulp of a correctly rounded `exp` (tested
//! against `f64::exp` over the whole range used, in `partial.rs`).
//!
//! [`lognormal_batch`] turns up to 256 words of a normal stream into order values at once:
//! each word's normal draw `z` by the first test of the ziggurat of
//! [`crate::sampling::fill_standard_normal`] (the rejected words are left to the caller,
//! which finishes them in order from the stream, so the draws are exactly
//! `fill_standard_normal`'s), then `x = mu + sigma z` and the fixed-point value of
//! `exp(x)`, summed in 64-bit integers. Every operation is a plain IEEE addition,
//! multiplication, comparison or table load, with no fused multiply-add (Rust never
//! contracts `a * b + c`), so its AVX2 kernel (four lanes, table loads by gather, two passes
//! so that each keeps its constants in registers) and the portable loop (baseline x86-64,
//! or any other target) give the same bits; the AVX2 kernel is picked at run time when the
//! processor has it (tested against the portable loop).

/// log2 of the table's size.
const BITS: u32 = 8;
/// Entries of the table: `2^(j/N)` for `j` in `0..N`.
const N: usize = 1 << BITS;

/// `2^(j/N) ~= H_j (1 + T_j)` for `j` in `0..N`: `table()[2j]` holds the bits of the tail
/// `T_j` (`|T_j| <= 2^-53`), `table()[2j + 1]` the bits of `2^32 H_j` (`2^(j/N)` rounded to a
/// double, on the money scale) minus `j << (52 - BITS)`, so that adding `(kN + j) << (52 -
/// BITS)` gives the bits of `2^(k + 32) H_j`.
static TAILS: [u64; N] = every_other(0);
/// The heads `table()[2j + 1]`, see [`TAILS`].
static HEADS: [u64; N] = every_other(1);

/// `table()[2j + k]` for `j` in `0..N`.
const fn every_other(k: usize) -> [u64; N] {
    let t = table();
    let mut out = [0u64; N];
    let mut j = 0;
    while j < N {
        out[j] = t[2 * j + k];
        j += 1;
    }
    out
}

/// A double-double `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// `a + b` exactly as a double-double, given `|a| >= |b|` (Dekker's fast two-sum).
const fn fast_two_sum(a: f64, b: f64) -> Dd {
    let hi = a + b;
    Dd {
        hi,
        lo: b - (hi - a),
    }
}

/// `a` split into two halves of 26 bits each (Veltkamp), `a = hi + lo` exactly.
const fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// `a * b` exactly as a double-double (Dekker's product, no fused multiply-add).
const fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    Dd { hi: p, lo: e }
}

/// The double-double product `a * b` (relative error below 2^-102).
const fn dd_mul(a: Dd, b: Dd) -> Dd {
    let p = two_prod(a.hi, b.hi);
    fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

/// The double-double square root of `a` in `[1, 2]`: Newton's iteration in doubles from
/// `a` (which converges to within an ulp in six steps), then one Newton step in
/// double-double, which doubles the precision.
const fn dd_sqrt(a: Dd) -> Dd {
    let mut s = a.hi;
    let mut i = 0;
    while i < 8 {
        s = 0.5 * (s + a.hi / s);
        i += 1;
    }
    let p = two_prod(s, s);
    let e = ((a.hi - p.hi) - p.lo) + a.lo;
    fast_two_sum(s, e / (2.0 * s))
}

/// [`TAILS`] and [`HEADS`], interleaved: `2^(1/2^m)` for `m = 1..=BITS` by repeated square roots of 2, then each
/// `2^(j/N)` as the product of those that the binary digits of `j` select.
const fn table() -> [u64; 2 * N] {
    let mut roots = [Dd { hi: 2.0, lo: 0.0 }; BITS as usize + 1];
    let mut m = 1;
    while m <= BITS as usize {
        roots[m] = dd_sqrt(roots[m - 1]);
        m += 1;
    }
    let mut out = [0u64; 2 * N];
    let mut j = 0;
    while j < N {
        let mut y = Dd { hi: 1.0, lo: 0.0 };
        let mut b = 0;
        while b < BITS as usize {
            if j & (1 << b) != 0 {
                // Bit b of j is worth 2^b / N = 1 / 2^(BITS - b).
                y = dd_mul(y, roots[BITS as usize - b]);
            }
            b += 1;
        }
        out[2 * j] = (y.lo / y.hi).to_bits();
        out[2 * j + 1] =
            y.hi.to_bits()
                .wrapping_add(MONEY_EXP_BITS)
                .wrapping_sub((j as u64) << (52 - BITS));
        j += 1;
    }
    out
}

/// `1.5 * 2^52`: adding it to `|z| < 2^51` rounds `z` to an integer, which the sum's low
/// mantissa bits then hold (two's complement).
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `N / ln 2`.
const INV_LN2_N: f64 = std::f64::consts::LOG2_E * N as f64;
/// `ln 2 / N` in two parts (fdlibm's split of `ln 2`, scaled): the first has 32
/// significant bits, so its product with any `k` below 2^21 is exact.
const LN2_HI_N: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / N as f64;
const LN2_LO_N: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / N as f64;
/// `2^32` (the money scale) as an exponent offset in a double's bits.
const MONEY_EXP_BITS: u64 = 32 << 52;

/// `exp(x) * 2^32` for `x` in about `[-708, 700]` (the caller keeps to a smaller range),
/// within one ulp of the correctly rounded value; see the module documentation.
#[inline(always)]
pub(crate) fn exp_money(x: f64) -> f64 {
    let t = x * INV_LN2_N + SHIFTER;
    let kd = t - SHIFTER;
    // t's low bits hold kd = kN + j.
    let ki = t.to_bits();
    let r = (x - kd * LN2_HI_N) - kd * LN2_LO_N;
    let j = (ki as usize) & (N - 1);
    let tail = f64::from_bits(TAILS[j]);
    let scale = f64::from_bits(HEADS[j].wrapping_add(ki << (52 - BITS)));
    let r2 = r * r;
    // exp(r) - 1 + T_j, Taylor coefficients 1/2, 1/6, 1/24, 1/120.
    let tmp =
        tail + r + r2 * (0.5 + r * (1.0 / 6.0)) + (r2 * r2) * (1.0 / 24.0 + r * (1.0 / 120.0));
    scale + scale * tmp
}

/// `exp(x)` within one ulp of the correctly rounded value (see the module documentation):
/// [`exp_money`] scaled back by `2^-32` (the money scale's exponent taken off; exact) on
/// `[-700, 650]`, `f64::exp` outside.
#[inline]
pub(crate) fn exp(x: f64) -> f64 {
    if (-700.0..=650.0).contains(&x) {
        exp_money(x) * f64::from_bits((1023 << 52) - MONEY_EXP_BITS)
    } else {
        x.exp()
    }
}

/// Largest argument of the batch kernels' fast path: `exp(x) * 2^32` stays below `2^51`
/// (an order value below about $524,000), so adding [`SHIFTER`] rounds it to an integer.
pub(crate) const EXP_FAST_MAX: f64 = 13.1;
/// Smallest argument of the fast path: the scaled result stays a normal double.
pub(crate) const EXP_FAST_MIN: f64 = -700.0;

/// The fixed-point amount (2^-32 dollar, rounded to the nearest) of `exp(x)` for `x` in
/// `[EXP_FAST_MIN, EXP_FAST_MAX]`, where `exp_money(x)` is in `[0, 2^51)` and adding
/// [`SHIFTER`] rounds it to an integer (to the nearest, ties to even). Outside that range the value is meaningless (callers
/// check the range).
#[inline(always)]
pub(crate) fn fixed_exp(x: f64) -> u64 {
    (exp_money(x) + SHIFTER)
        .to_bits()
        .wrapping_sub(SHIFTER.to_bits())
}

/// Words per call of [`lognormal_batch`] at most.
pub(crate) const BATCH: usize = 256;

/// What [`lognormal_batch`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Batch {
    /// The wrapping sum of [`fixed_exp`]`(mu + sigma z)` over the accepted words.
    pub sum: u64,
    /// Bit `i % 64` of `rejected[i / 64]` set: word `i` failed the ziggurat's first test
    /// (its draw is still to make).
    pub rejected: [u64; BATCH / 64],
    /// Some accepted word's `mu + sigma z` lies outside `[EXP_FAST_MIN, EXP_FAST_MAX]` (or
    /// is NaN).
    pub out_of_range: bool,
}

/// One word of [`lognormal_batch`]: if the ziggurat's first test accepts its normal draw
/// `z`, the log-value `x = mu + sigma z`, true, its fixed-point value and whether `x` is in
/// range; for a rejected word, EXP_FAST_MIN, false, zero and true.
#[inline(always)]
fn lane<const CHECK: bool>(
    edges: &[f64; 257],
    mu: f64,
    sigma: f64,
    bits: u64,
) -> (f64, bool, u64, bool) {
    let (z, accepted) = crate::sampling::normal_fast(edges, bits);
    let x = mu + sigma * z;
    let in_range = !CHECK || (EXP_FAST_MIN..=EXP_FAST_MAX).contains(&x);
    let value = fixed_exp(x);
    if accepted {
        (x, true, value, in_range)
    } else {
        (EXP_FAST_MIN, false, 0, true)
    }
}

/// For up to [`BATCH`] words of a normal stream (`edges` from
/// [`crate::sampling::normal_layer_edges`]): writes each accepted word's log-value
/// `x = mu + sigma z` into `xs` (a rejected word's: EXP_FAST_MIN) and sums the fixed-point
/// values of their `exp(x)` (see [`Batch`]). The caller finishes the rejected words' draws
/// in order and adds their values. On x86-64 with AVX2, four words at a time (the same bits as the portable loop).
///
/// Every accepted draw has `|z| < edges[1]` (the tail's start `R`), so when `mu ± sigma R`
/// both lie in the fast range, so does every accepted `mu + sigma z` (rounding is
/// monotone) and the range is not checked per word.
pub(crate) fn lognormal_batch(
    edges: &[f64; 257],
    mu: f64,
    sigma: f64,
    words: &[u64],
    xs: &mut [f64],
) -> Batch {
    assert!(words.len() <= BATCH && xs.len() == words.len());
    let r = edges[1];
    let fast = |x: f64| (EXP_FAST_MIN..=EXP_FAST_MAX).contains(&x);
    if fast(mu + sigma * r) && fast(mu + sigma * -r) {
        lognormal_batch_on::<false>(edges, mu, sigma, words, xs)
    } else {
        lognormal_batch_on::<true>(edges, mu, sigma, words, xs)
    }
}

/// [`lognormal_batch`] with the per-word range check on (`CHECK`) or off, on the AVX2
/// kernel when the processor has it, else the portable loop.
#[inline(always)]
fn lognormal_batch_on<const CHECK: bool>(
    edges: &[f64; 257],
    mu: f64,
    sigma: f64,
    words: &[u64],
    xs: &mut [f64],
) -> Batch {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, just checked.
        return unsafe { avx2::lognormal_batch::<CHECK>(edges, mu, sigma, words, xs) };
    }
    lognormal_batch_portable::<CHECK>(edges, mu, sigma, words, xs, 0)
}

/// [`lognormal_batch`] one word at a time, from word `from` on (the AVX2 kernel finishes
/// its last words with it).
#[inline(always)]
fn lognormal_batch_portable<const CHECK: bool>(
    edges: &[f64; 257],
    mu: f64,
    sigma: f64,
    words: &[u64],
    xs: &mut [f64],
    from: usize,
) -> Batch {
    let (mut sum, mut rejected, mut out_of_range) = (0u64, [0u64; BATCH / 64], false);
    for i in from..words.len() {
        let (x, accepted, value, in_range) = lane::<CHECK>(edges, mu, sigma, words[i]);
        xs[i] = x;
        rejected[i / 64] |= u64::from(!accepted) << (i % 64);
        out_of_range |= !in_range;
        sum = sum.wrapping_add(value);
    }
    Batch {
        sum,
        rejected,
        out_of_range,
    }
}

/// [`lognormal_batch`] four words at a time with AVX2: the same operations as
/// [`lane`], [`crate::sampling::normal_fast`] and [`exp_money`], in the same order, on four
/// lanes, table entries loaded by gather.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn lognormal_batch<const CHECK: bool>(
        edges: &[f64; 257],
        mu: f64,
        sigma: f64,
        words: &[u64],
        xs: &mut [f64],
    ) -> Batch {
        let full = words.len() / 4 * 4;
        let mut sum = _mm256_setzero_si256();
        let mut accepted_bits = [0u64; BATCH / 64];
        let mut out_of_range = _mm256_setzero_pd();
        let (mu4, sigma4) = (_mm256_set1_pd(mu), _mm256_set1_pd(sigma));
        let low8 = _mm256_set1_epi64x(0xff);
        let two = _mm256_set1_epi64x(0x4000_0000_0000_0000);
        let three = _mm256_set1_pd(3.0);
        let abs = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
        let (lo, hi) = (_mm256_set1_pd(EXP_FAST_MIN), _mm256_set1_pd(EXP_FAST_MAX));
        let (inv, shifter) = (_mm256_set1_pd(INV_LN2_N), _mm256_set1_pd(SHIFTER));
        let (ln2_hi, ln2_lo) = (_mm256_set1_pd(LN2_HI_N), _mm256_set1_pd(LN2_LO_N));
        let (c2, c3) = (_mm256_set1_pd(0.5), _mm256_set1_pd(1.0 / 6.0));
        let (c4, c5) = (_mm256_set1_pd(1.0 / 24.0), _mm256_set1_pd(1.0 / 120.0));
        let sentinel = _mm256_set1_pd(EXP_FAST_MIN);
        // Two passes, each with few enough constants to keep them in registers. First the
        // ziggurat's first test and `x = mu + sigma z`, where a rejected word's `x` is
        // EXP_FAST_MIN (in range, and its fixed-point value is 0).
        let mut i = 0;
        while i < full {
            // SAFETY: i + 4 <= words.len() = xs.len() <= BATCH; gather indices are below 256
            // (the next edge: below 257).
            unsafe {
                let w = _mm256_loadu_si256(words.as_ptr().add(i).cast());
                let layer = _mm256_and_si256(w, low8);
                let u = _mm256_sub_pd(
                    _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64::<12>(w), two)),
                    three,
                );
                let edge = _mm256_i64gather_pd::<8>(edges.as_ptr(), layer);
                let next = _mm256_i64gather_pd::<8>(edges.as_ptr().add(1), layer);
                let z = _mm256_mul_pd(u, edge);
                let accepted = _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_and_pd(z, abs), next);
                // i is a multiple of 4: the four bits stay in one word.
                accepted_bits[i / 64] |= u64::from(_mm256_movemask_pd(accepted) as u32) << (i % 64);
                let x = _mm256_add_pd(mu4, _mm256_mul_pd(sigma4, z));
                _mm256_storeu_pd(
                    xs.as_mut_ptr().add(i),
                    _mm256_blendv_pd(sentinel, x, accepted),
                );
            }
            i += 4;
        }
        // The accepted words' bits were collected: flip them to the rejected ones, among
        // the first `full` words.
        let mut rejected = [0u64; BATCH / 64];
        for (k, r) in rejected.iter_mut().enumerate() {
            let words_here = full.saturating_sub(64 * k).min(64) as u32;
            *r = !accepted_bits[k] & u64::MAX.checked_shr(64 - words_here).unwrap_or(0);
        }
        // Then exp_money(x) in fixed point.
        let mut i = 0;
        while i < full {
            // SAFETY: i + 4 <= full <= BATCH; gather indices are below N for the tables.
            unsafe {
                let x = _mm256_loadu_pd(xs.as_ptr().add(i));
                if CHECK {
                    let in_range = _mm256_and_pd(
                        _mm256_cmp_pd::<_CMP_GE_OQ>(x, lo),
                        _mm256_cmp_pd::<_CMP_LE_OQ>(x, hi),
                    );
                    out_of_range = _mm256_or_pd(
                        out_of_range,
                        _mm256_xor_pd(in_range, _mm256_castsi256_pd(_mm256_set1_epi64x(-1))),
                    );
                }
                let t = _mm256_add_pd(_mm256_mul_pd(x, inv), shifter);
                let kd = _mm256_sub_pd(t, shifter);
                let ki = _mm256_castpd_si256(t);
                let r = _mm256_sub_pd(
                    _mm256_sub_pd(x, _mm256_mul_pd(kd, ln2_hi)),
                    _mm256_mul_pd(kd, ln2_lo),
                );
                let j = _mm256_and_si256(ki, low8);
                let tail = _mm256_i64gather_pd::<8>(TAILS.as_ptr().cast(), j);
                let h = _mm256_i64gather_epi64::<8>(HEADS.as_ptr().cast(), j);
                let scale = _mm256_castsi256_pd(_mm256_add_epi64(
                    h,
                    _mm256_slli_epi64::<{ 52 - BITS as i32 }>(ki),
                ));
                let r2 = _mm256_mul_pd(r, r);
                let tmp = _mm256_add_pd(
                    _mm256_add_pd(
                        _mm256_add_pd(tail, r),
                        _mm256_mul_pd(r2, _mm256_add_pd(c2, _mm256_mul_pd(r, c3))),
                    ),
                    _mm256_mul_pd(
                        _mm256_mul_pd(r2, r2),
                        _mm256_add_pd(c4, _mm256_mul_pd(r, c5)),
                    ),
                );
                let e = _mm256_add_pd(scale, _mm256_mul_pd(scale, tmp));
                // fixed_exp: add the shifter, take the bits (the shifter's own bits are
                // taken back once per word after the loop).
                sum = _mm256_add_epi64(sum, _mm256_castpd_si256(_mm256_add_pd(e, shifter)));
            }
            i += 4;
        }
        let mut lanes = [0u64; 4];
        // SAFETY: `lanes` has room for four u64.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), sum) };
        let rest = lognormal_batch_portable::<CHECK>(edges, mu, sigma, words, xs, full);
        Batch {
            sum: lanes
                .iter()
                .fold(rest.sum, |a, &b| a.wrapping_add(b))
                .wrapping_sub((full as u64).wrapping_mul(SHIFTER.to_bits())),
            rejected: std::array::from_fn(|k| rejected[k] | rest.rejected[k]),
            out_of_range: _mm256_movemask_pd(out_of_range) != 0 || rest.out_of_range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`exp`], and so [`exp_money`] (the same value times 2^32, an exact scaling here), is
    /// within one unit in the last place of `f64::exp` (the platform's, itself within about
    /// half a unit of the exact value) over its table range `[-700, 650]`: fine grids of
    /// that range and of the order values' fast range, every multiple of ln 2 / 512 (the
    /// reduction's edges) with its neighbours, the ends, and a million random points in
    /// each range. Outside, it is `f64::exp` itself (subnormal, infinite, 0 or NaN results).
    #[test]
    fn exp_is_within_one_ulp_of_the_standard_one() {
        let check = |x: f64| {
            let (got, want) = (exp(x), x.exp());
            assert!(
                got.to_bits().abs_diff(want.to_bits()) <= 1,
                "exp({x:e}): {got:e} vs {want:e}"
            );
        };
        let mut rng = crate::sampling::stream(7, 0, 0, 0);
        for (lo, hi) in [(-700.0, 650.0), (EXP_FAST_MIN, EXP_FAST_MAX)] {
            let steps = 2_000_000;
            for k in 0..=steps {
                check(lo + (hi - lo) * k as f64 / steps as f64);
            }
            for _ in 0..1_000_000 {
                check(lo + (hi - lo) * crate::sampling::uniform(&mut rng));
            }
        }
        let step = std::f64::consts::LN_2 / 512.0;
        for k in -517_200..=480_200 {
            let x = k as f64 * step;
            for y in [x.next_down(), x, x.next_up()] {
                if (-700.0..=650.0).contains(&y) {
                    check(y);
                }
            }
        }
        for x in [0.0, -0.0, 1e-300, -1e-300, 1e-9, EXP_FAST_MIN, EXP_FAST_MAX] {
            check(x);
        }
        for x in [-700.0, 650.0, -745.0, -720.0, 700.0, 710.0] {
            check(x);
        }
        for x in [f64::NEG_INFINITY, -1e308, 1e308, f64::INFINITY] {
            assert_eq!(exp(x).to_bits(), x.exp().to_bits(), "exp({x:e})");
        }
        assert!(exp(f64::NAN).is_nan());
    }

    /// Each table entry `H_j (1 + T_j)` raised to the power `N` (seven double-double
    /// squarings, independent of the square roots that built it) is `2^j` to within
    /// `2^-92`, `H_j` is `2^(j/N)` rounded (within an ulp of the platform's `exp2`), and
    /// `|T_j|` is at most half an ulp of `H_j`.
    #[test]
    fn table_holds_powers_of_two() {
        for j in 0..N {
            let h = f64::from_bits(
                HEADS[j]
                    .wrapping_add((j as u64) << (52 - BITS))
                    .wrapping_sub(MONEY_EXP_BITS),
            );
            let t = f64::from_bits(TAILS[j]);
            assert!(t.abs() <= f64::EPSILON / 2.0, "j = {j}: tail {t:e}");
            let want = (j as f64 / N as f64).exp2();
            assert!(
                h.to_bits().abs_diff(want.to_bits()) <= 1,
                "j = {j}: {h} vs {want}"
            );
            let ht = two_prod(h, t);
            let mut y = fast_two_sum(h, ht.hi);
            for _ in 0..BITS {
                y = dd_mul(y, y);
            }
            let two_j = (j as f64).exp2();
            let err = ((y.hi - two_j) + y.lo) / two_j;
            assert!(
                err.abs() < 2f64.powi(-92),
                "j = {j}: relative error {err:e}"
            );
        }
    }

    /// The AVX2 kernel gives the same bits as the portable loop (sums, rejected words,
    /// range flag, draws) for every batch length and for log-value parameters that skip
    /// and that need the per-word range check. Runs where the CPU has AVX2.
    #[test]
    fn avx2_kernel_matches_portable() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            use rand::Rng as _;
            let edges = crate::sampling::normal_layer_edges();
            let mut rng = crate::sampling::stream(3, 0, 0, 9);
            for (mu, sigma) in [
                (3.4, 0.9),
                (-2.0, 3.0),
                (12.0, 0.5),
                (13.0, 2.0),
                (-697.0, 2.0),
            ] {
                for len in 0..=BATCH {
                    for _ in 0..12 {
                        let words: Vec<u64> = (0..len).map(|_| rng.next_u64()).collect();
                        let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
                        let want =
                            lognormal_batch_portable::<true>(edges, mu, sigma, &words, &mut a, 0);
                        // SAFETY: the CPU supports AVX2, just checked.
                        let got = unsafe {
                            avx2::lognormal_batch::<true>(edges, mu, sigma, &words, &mut b)
                        };
                        assert_eq!(got, want, "mu {mu}, sigma {sigma}, len {len}");
                        assert_eq!(
                            a.iter().map(|z| z.to_bits()).collect::<Vec<_>>(),
                            b.iter().map(|z| z.to_bits()).collect::<Vec<_>>()
                        );
                        let want =
                            lognormal_batch_portable::<false>(edges, mu, sigma, &words, &mut a, 0);
                        // SAFETY: as above.
                        let got = unsafe {
                            avx2::lognormal_batch::<false>(edges, mu, sigma, &words, &mut b)
                        };
                        assert_eq!(got, want, "mu {mu}, sigma {sigma}, len {len}, unchecked");
                    }
                }
            }
        }
    }
}
