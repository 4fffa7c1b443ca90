//! The exponential of an order's log-value, on the money scale, for batches of orders.
//!
//! [`exp_money`]`(x)` is `exp(x) * 2^32` (the dollar amount `exp(x)` in units of 2^-32
//! dollar) by the table-driven method of Tang (1989), in the arrangement of Szabolcs Nagy's
//! `exp` for Arm's optimized-routines (also glibc's and musl's): `x = (k + j/N) ln 2 + r`
//! with `N = 128`, `|r| <= ln 2 / 256`, and `exp(x) = 2^k 2^(j/N) exp(r)`, where `2^(j/N)`
//! comes from a table as a double and a relative tail and `exp(r) - 1` is its Taylor
//! polynomial of degree 5. The table is computed at compile time in double-double
//! arithmetic (square roots of 2, then products) from IEEE operations only, so it has the
//! same bits everywhere. Error: the Taylor truncation `r^6 / 720 < 2^-60`, the dropped
//! product of the table's tail and `exp(r) - 1` below `2^-61`, the reduction and the
//! polynomial's roundings below `2^-60`, plus the final rounding (half a unit in the last
//! place): about 0.52 ulp in all, so within one ulp of a correctly rounded `exp` (tested
//! against `f64::exp` over the whole range used, in `partial.rs`).
//!
//! Every operation is a plain IEEE addition, multiplication or table load, with no fused
//! multiply-add (Rust never contracts `a * b + c`), so the batch kernels compiled for AVX2
//! (four lanes, table loads by gather) and for baseline x86-64 (SSE2) give the same bits:
//! [`crate::engine::partial`] picks one at run time.

/// log2 of the table's size.
const BITS: u32 = 7;
/// Entries of the table: `2^(j/N)` for `j` in `0..N`.
const N: usize = 1 << BITS;

/// `2^(j/N) ~= H_j (1 + T_j)` for `j` in `0..N`: `TABLE[2j]` holds the bits of the tail
/// `T_j` (`|T_j| <= 2^-53`), `TABLE[2j + 1]` the bits of `H_j` (`2^(j/N)` rounded to a
/// double) minus `j << (52 - BITS)`, so that adding `(kN + j) << (52 - BITS)` gives the bits
/// of `2^k H_j`.
static TABLE: [u64; 2 * N] = table();

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

/// [`TABLE`]: `2^(1/2^m)` for `m = 1..=BITS` by repeated square roots of 2, then each
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
        out[2 * j + 1] = y.hi.to_bits().wrapping_sub((j as u64) << (52 - BITS));
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
    let tail = f64::from_bits(TABLE[2 * j]);
    let scale = f64::from_bits(
        TABLE[2 * j + 1]
            .wrapping_add(ki << (52 - BITS))
            .wrapping_add(MONEY_EXP_BITS),
    );
    let r2 = r * r;
    // exp(r) - 1 + T_j, Taylor coefficients 1/2, 1/6, 1/24, 1/120.
    let tmp = tail
        + r
        + r2 * (0.5 + r * (1.0 / 6.0))
        + (r2 * r2) * (1.0 / 24.0 + r * (1.0 / 120.0));
    scale + scale * tmp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each table entry `H_j (1 + T_j)` raised to the power `N` (seven double-double
    /// squarings, independent of the square roots that built it) is `2^j` to within
    /// `2^-92`, `H_j` is `2^(j/N)` rounded (within an ulp of the platform's `exp2`), and
    /// `|T_j|` is at most half an ulp of `H_j`.
    #[test]
    fn table_holds_powers_of_two() {
        for j in 0..N {
            let h = f64::from_bits(TABLE[2 * j + 1].wrapping_add((j as u64) << (52 - BITS)));
            let t = f64::from_bits(TABLE[2 * j]);
            assert!(t.abs() <= f64::EPSILON / 2.0, "j = {j}: tail {t:e}");
            let want = (j as f64 / N as f64).exp2();
            assert!(h.to_bits().abs_diff(want.to_bits()) <= 1, "j = {j}: {h} vs {want}");
            let ht = two_prod(h, t);
            let mut y = fast_two_sum(h, ht.hi);
            for _ in 0..BITS {
                y = dd_mul(y, y);
            }
            let two_j = (j as f64).exp2();
            let err = ((y.hi - two_j) + y.lo) / two_j;
            assert!(err.abs() < 2f64.powi(-92), "j = {j}: relative error {err:e}");
        }
    }
}
