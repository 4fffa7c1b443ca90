//! Statistical tests use fixed seeds, so they are deterministic. Tolerances:
//! * Kolmogorov–Smirnov: reject if `D > 1.95 / sqrt(n)`, about the 0.1% critical value of
//!   the one-sample KS statistic (asymptotic 1.949 / sqrt(n)).
//! * Chi-square goodness of fit: bins pooled until each expects >= 5 counts; reject above
//!   the 99.9% quantile of chi-square with (bins - 1) degrees of freedom.
//! * Means and variances: within 4 standard errors (SE of the mean `sqrt(var / n)`, SE of
//!   the sample variance `sqrt(var^2 (excess kurtosis + 2) / n)`).
use super::dist::*;
use super::*;
use statrs::distribution::{
    Beta as SBeta, ChiSquared, Continuous, ContinuousCDF, Discrete, Exp as SExp, Gamma as SGamma,
    Geometric as SGeometric, LogNormal as SLogNormal, Normal as SNormal, Poisson as SPoisson,
    Triangular as STriangular, Uniform as SUniform,
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
fn a_household_stream_is_splitmix64_from_the_hashed_key() {
    // SplitMix64's published recurrence: x += 0x9e3779b97f4a7c15, then the Mix13
    // finaliser of x; the hash of the key (seed, trial, unit, component) is the start.
    let mut x = stream_key(1, 2, 3, 4);
    let mut a = unit_key(1, 2, 3).stream(4);
    for _ in 0..100 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        assert_eq!(a.next_u64(), mix64(x));
    }
    // The same sequences as the crate's SplitMix64, 64-bit, 32-bit and bytes.
    for state in [0, 1, u64::MAX, stream_key(5, 6, 7, 8)] {
        let (mut ours, mut theirs) = (
            UnitRng::from_state(state),
            rand_xoshiro::SplitMix64::seed_from_u64(state),
        );
        for _ in 0..100 {
            assert_eq!(ours.next_u64(), theirs.next_u64());
            assert_eq!(ours.next_u32(), theirs.next_u32());
        }
        let (mut a, mut b) = ([0u8; 37], [0u8; 37]);
        ours.fill_bytes(&mut a);
        theirs.fill_bytes(&mut b);
        assert_eq!(a, b);
    }
    // The hoisted key stages give the same keys.
    for (s, t, u) in [(1, 2, 3), (0, 0, 0), (u64::MAX, 7, 1 << 40)] {
        assert_eq!(trial_key(s, t).unit(u), unit_key(s, t, u));
    }
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

/// Households read a few draws from each of many short [`UnitRng`] streams: the first
/// draws across 20,000 households' streams, and 50,000 draws of one stream, have the
/// distributions the samplers promise (KS at 0.1%), and neighbouring households' first
/// uniforms are uncorrelated (|r| <= 4 / sqrt(n)).
#[test]
fn household_streams_give_the_samplers_distributions() {
    let n = 20_000u64;
    let stream_of = |h: u64, c: &str| unit_key(SEED, 3, h).stream(name_key(c));
    let first: Vec<f64> = (0..n).map(|h| uniform(&mut stream_of(h, "u"))).collect();
    let m = first.iter().sum::<f64>() / n as f64;
    let num: f64 = first.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
    let den: f64 = first.iter().map(|u| (u - m) * (u - m)).sum();
    assert!(
        (num / den).abs() <= 4.0 / (n as f64).sqrt(),
        "lag-1 r {}",
        num / den
    );
    assert_ks("first uniform of households", &mut first.clone(), |x| x);
    let e = SExp::new(1.0).unwrap();
    let nrm = SNormal::new(0.0, 1.0).unwrap();
    let g = SGamma::new(0.3, 1.0).unwrap();
    let across = |f: &dyn Fn(&mut UnitRng) -> f64, c: &str| -> Vec<f64> {
        (0..n).map(|h| f(&mut stream_of(h, c))).collect()
    };
    let mut one = stream_of(0, "one");
    let along = |f: &dyn Fn(&mut UnitRng) -> f64, rng: &mut UnitRng| -> Vec<f64> {
        (0..50_000).map(|_| f(rng)).collect()
    };
    let gamma_03 = Gamma::new(0.3, 1.0);
    for (what, mut xs) in [
        ("exp1 across", across(&|r| exp1(r), "e")),
        ("exp1 along", along(&|r| exp1(r), &mut one)),
    ] {
        assert_ks(what, &mut xs, |x| e.cdf(x));
    }
    for (what, mut xs) in [
        ("normal across", across(&|r| standard_normal(r), "z")),
        ("normal along", along(&|r| standard_normal(r), &mut one)),
    ] {
        assert_ks(what, &mut xs, |x| nrm.cdf(x));
    }
    for (what, mut xs) in [
        ("gamma(0.3) across", across(&|r| gamma_03.sample(r), "g")),
        ("gamma(0.3) along", along(&|r| gamma_03.sample(r), &mut one)),
    ] {
        assert_ks(what, &mut xs, |x| g.cdf(x));
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

/// The batch ziggurat: KS against N(0, 1) over batches of mixed lengths (the batch split
/// must not matter), the moments (excess kurtosis 0), and the tail beyond `R`, which only
/// the slow path draws: conditional on |Z| > R, `P(|Z| > x) / P(|Z| > R)` is known, so the
/// tail draws of 4M get their own KS test (about 1,030 expected).
#[test]
fn fill_standard_normal_ks_and_tail() {
    let nrm = SNormal::new(0.0, 1.0).unwrap();
    let mut rng = rng_for("fill_standard_normal");
    let mut zs = Vec::with_capacity(60_000);
    for len in [1usize, 7, 64, 65, 200, 1000].iter().cycle() {
        if zs.len() >= 60_000 {
            break;
        }
        let mut buf = vec![0.0; *len];
        fill_standard_normal(&mut rng, &mut buf);
        zs.extend_from_slice(&buf);
    }
    assert!(zs.iter().all(|z| z.is_finite()));
    assert_moments("fill_standard_normal", &zs, 0.0, 1.0, 0.0);
    assert_ks("fill_standard_normal", &mut zs, |x| nrm.cdf(x));

    let mut rng = rng_for("fill_standard_normal tail");
    let mut buf = vec![0.0; 4096];
    let mut tail = Vec::new();
    let (mut neg, mut total) = (0usize, 0usize);
    for _ in 0..1000 {
        fill_standard_normal(&mut rng, &mut buf);
        for &z in &buf {
            if z.abs() > ZIG_NORM_R {
                tail.push(z.abs());
                neg += (z < 0.0) as usize;
            }
        }
        total += buf.len();
    }
    assert_tail_count(tail.len(), total, 2.0 * nrm.cdf(-ZIG_NORM_R));
    // Both tails alike: a Binomial(n, 1/2) count of negative ones, within 4 SD.
    let n = tail.len() as f64;
    assert!((neg as f64 - n / 2.0).abs() <= 4.0 * (n / 4.0).sqrt());
    let tail_cdf = |x: f64| 1.0 - nrm.cdf(-x) / nrm.cdf(-ZIG_NORM_R);
    assert_ks("fill_standard_normal tail", &mut tail, tail_cdf);
}

/// `tail` of `total` draws fell in a tail of probability `p_tail`: a Binomial count, within
/// 4 standard deviations of its mean.
fn assert_tail_count(tail: usize, total: usize, p_tail: f64) {
    let expected = p_tail * total as f64;
    let sd = (expected * (1.0 - p_tail)).sqrt();
    assert!(
        (tail as f64 - expected).abs() <= 4.0 * sd,
        "{tail} tail draws, expected {expected:.0} (4 SD = {:.0})",
        4.0 * sd
    );
}

/// The exponential ziggurat's tail beyond `R` (drawn only by the slow path): about
/// `exp(-R)` of draws (4.5e-4, about 1,900 of 4M), and `X - R` given `X > R` is Exp(1)
/// (memoryless), KS-tested; and every layer of its table has area `V`.
#[test]
fn exp1_tail_and_layers() {
    let mut rng = rng_for("exp1 tail");
    let e1 = Exp1::new();
    let n = 4_000_000;
    let mut tail = Vec::new();
    for _ in 0..n {
        let x = e1.sample(&mut rng);
        if x > ZIG_EXP_R {
            tail.push(x - ZIG_EXP_R);
        }
    }
    assert_tail_count(tail.len(), n, (-ZIG_EXP_R).exp());
    assert_ks("exp1 tail", &mut tail, |x| 1.0 - (-x).exp());

    assert_equal_layers(exp_ziggurat(), ZIG_EXP_R, ZIG_EXP_V);
}

/// Every layer of a ziggurat with base `r` and area `v` has the same area `v` (the
/// recurrence that builds the table), the base layer included (`x[0] f(R) = V`), and the top
/// layer `[0, x[255]] x [f(x[255]), 1]` closes at height 1 (R and V fit each other to their
/// digits).
fn assert_equal_layers(t: &Ziggurat, r: f64, v: f64) {
    assert_eq!(t.x[1], r);
    assert_eq!(t.x[256], 0.0);
    assert!((t.x[0] * t.f[1] - v).abs() <= 1e-15);
    for i in 1..255 {
        assert!(t.x[i] > t.x[i + 1]);
        let area = t.x[i] * (t.f[i + 1] - t.f[i]);
        assert!((area / v - 1.0).abs() <= 1e-9, "layer {i}: area {area}");
    }
    let top = t.x[255] * (1.0 - t.f[255]);
    assert!((top / v - 1.0).abs() <= 1e-6, "top layer area {top}");
}

/// Every layer of the normal ziggurat has the same area, and its top layer closes at 1.
#[test]
fn normal_ziggurat_layers_have_equal_area() {
    assert_equal_layers(normal_ziggurat(), ZIG_NORM_R, ZIG_NORM_V);
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

// ----------------------------------------------------------------- Metalog

/// Reference fits computed independently with the Python package `pymetalog` 0.2.2
/// (`metalog(x, probs, boundedness, bounds, term_limit = n, term_lower_bound = n,
/// fit_method = "OLS")`, then `qmetalog(m, y, term = n)`), with numpy 2.4: each case's
/// inputs, coefficients `a_1..a_n` and quantiles at 0.001, 0.3 and 0.99.
struct MetalogReference {
    dist: Metalog,
    coef: &'static [f64],
    quantiles: [(f64, f64); 3],
}

fn metalog_references() -> Vec<MetalogReference> {
    let p = |p10, p50, p90, min, max| Metalog::percentiles(p10, p50, p90, min, max);
    vec![
        // unbounded, p10/p50/p90 = 2/5/9
        MetalogReference {
            dist: p(2.0, 5.0, 9.0, None, None),
            coef: &[5.0, 1.5929186465969654, 0.5688995166417734],
            quantiles: [
                (0.001, -4.041202996268904),
                (0.3, 3.746728907612689),
                (0.99, 13.600591208837006),
            ],
        },
        // semi-bounded below ("sl", bounds [1])
        MetalogReference {
            dist: p(2.0, 5.0, 9.0, Some(1.0), None),
            coef: &[1.3862943611198906, 0.4731973151785931, -0.39433109598216104],
            quantiles: [
                (0.001, 1.039124203063072),
                (0.3, 3.505609728842214),
                (0.99, 15.480651807255605),
            ],
        },
        // semi-bounded above ("su", bounds [12])
        MetalogReference {
            dist: p(2.0, 5.0, 9.0, None, Some(12.0)),
            coef: &[-1.945910149055313, 0.2739758185723462, 0.2791151400209123],
            quantiles: [
                (0.001, -5.747271920240369),
                (0.3, 3.5788151090765137),
                (0.99, 10.939754652031409),
            ],
        },
        // bounded ("b", bounds [0, 1]): a probability
        MetalogReference {
            dist: p(0.02, 0.05, 0.12, Some(0.0), Some(1.0)),
            coef: &[
                -2.94443897916644,
                0.43222485152681217,
                0.0026325799714440436,
            ],
            quantiles: [
                (0.001, 0.002676308592895306),
                (0.3, 0.03522237653264724),
                (0.99, 0.2784051421239989),
            ],
        },
        // five quantiles, unbounded
        MetalogReference {
            dist: Metalog::quantiles(
                vec![
                    (0.05, 1.0),
                    (0.25, 2.5),
                    (0.5, 4.0),
                    (0.75, 6.0),
                    (0.95, 11.0),
                ],
                None,
                None,
            ),
            coef: &[
                3.9999999999998717,
                1.9132583288163076,
                2.734867761311258,
                -1.407716445736793,
                -8.018237321835034,
            ],
            quantiles: [
                (0.001, -1.0828632815681003),
                (0.3, 2.803163628419969),
                (0.99, 16.334543603167706),
            ],
        },
    ]
}

fn assert_rel(what: &str, got: f64, want: f64, tol: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(err <= tol, "{what}: {got} vs {want} (relative {err:e})");
}

#[test]
fn metalog_matches_independent_reference_fits() {
    for (i, r) in metalog_references().iter().enumerate() {
        r.dist.check().unwrap();
        // pymetalog's a_1 = 4 of the five-quantile case is off by 3e-14 relative.
        for (j, (&a, &b)) in r.dist.coefficients().iter().zip(r.coef).enumerate() {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                "case {i} a_{}: {a} vs {b}",
                j + 1
            );
        }
        assert_eq!(r.dist.coefficients().len(), r.coef.len());
        for (y, q) in r.quantiles {
            assert_rel(&format!("case {i} Q({y})"), r.dist.quantile(y), q, 1e-9);
        }
    }
}

#[test]
fn metalog_reproduces_the_elicited_quantiles() {
    // Nine quantiles of a lognormal (median 5, sigma 0.4).
    let general: Vec<(f64, f64)> = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]
        .iter()
        .map(|&p| (p, 5.0 * (0.4 * norm_inv(p)).exp()))
        .collect();
    let cases = [
        Metalog::percentiles(2.0, 5.0, 9.0, None, None),
        Metalog::percentiles(2.0, 5.0, 9.0, Some(0.0), None),
        Metalog::percentiles(2.0, 5.0, 9.0, None, Some(10.0)),
        Metalog::percentiles(0.02, 0.05, 0.12, Some(0.0), Some(1.0)),
        Metalog::percentiles(1.2e9, 3.0e9, 8.0e9, Some(0.0), None),
        Metalog::quantiles(general.clone(), None, None),
        Metalog::quantiles(general.clone(), Some(0.0), Some(30.0)),
        Metalog::quantiles(general[..7].to_vec(), Some(1.0), None),
        Metalog::quantiles(general[2..6].to_vec(), None, Some(8.0)),
    ];
    for m in cases {
        m.check().unwrap_or_else(|e| panic!("{m:?}: {e}"));
        for &(y, x) in m.points() {
            assert_rel(&format!("{m:?} at {y}"), m.quantile(y), x, 1e-9);
        }
    }
}

/// The CDF of a metalog by bisection of its quantile function in the probability.
fn metalog_cdf(m: &Metalog) -> impl Fn(f64) -> f64 + '_ {
    move |x| {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if m.quantile(mid) <= x {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

#[test]
fn metalog_draws_follow_their_cdf() {
    let n = 20_000;
    for (i, r) in metalog_references().into_iter().enumerate() {
        let d = Dist::Metalog(r.dist.clone());
        d.check().unwrap();
        let mut xs = draws(n, &format!("metalog ks {i}"), |g| d.quantile(uniform(g)));
        let (lo, hi) = d.support();
        assert!(
            xs.iter().all(|&x| x > lo && x < hi),
            "{d:?} left its support"
        );
        // Sample mean within 4 SE of the quadrature mean.
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        let tol = 4.0 * (v / n as f64).sqrt();
        assert!(
            (m - d.mean()).abs() <= tol,
            "{d:?}: mean {m} vs {}",
            d.mean()
        );
        assert_ks(&format!("{d:?}"), &mut xs, metalog_cdf(&r.dist));
    }
}

#[test]
fn metalog_mean_of_symmetric_fit_is_its_median() {
    let m = Metalog::percentiles(2.0, 5.0, 8.0, None, None);
    assert_rel("mean", m.mean(), 5.0, 1e-12);
    // Unbounded 3-term mean a1 + a3 / 2 (Keelin 2016, Table 2 gives E = a1 + a3/2 for k = 3).
    let m = Metalog::percentiles(2.0, 5.0, 9.0, None, None);
    let a = m.coefficients();
    assert_rel("mean", m.mean(), a[0] + a[2] / 2.0, 1e-10);
}

#[test]
fn metalog_three_term_feasibility_follows_keelin() {
    // Keelin (2016): a 3-term metalog is feasible iff a2 > 0 and |a3| / a2 < 1.66711. With
    // p10/p50/p90 that is a ratio r = (p90 - p50) / (p50 - p10) between about 1/5.0031 and
    // 5.0031.
    for (r, ok) in [
        (4.99, true),
        (5.02, false),
        (1.0 / 4.99, true),
        (1.0 / 5.02, false),
    ] {
        let m = Metalog::percentiles(9.0, 10.0, 10.0 + r, None, None);
        let a = m.coefficients();
        assert_eq!(a[2].abs() / a[1] < 1.66711, ok, "ratio {r}");
        assert_eq!(m.check().is_ok(), ok, "ratio {r}: {:?}", m.check());
    }
    let err = Metalog::percentiles(0.3, 0.35, 0.9, None, None)
        .check()
        .unwrap_err();
    assert_eq!(
        err,
        "these quantiles give no valid distribution: the fitted quantile function decreases \
         towards probability 0 (the density would be negative there); `p90` is too far from \
         `p50` relative to `p10` (p90 is 11 times as far from p50 as p10; a 3-term metalog \
         allows about 5 times); bring the values closer to symmetric, or give a lower bound \
         `min` (e.g. 0 for a quantity that cannot be negative)"
    );
    // A right-skewed range is infeasible unbounded, feasible as a log-metalog (min = 0).
    assert!(
        Metalog::percentiles(1.0, 2.0, 12.0, None, None)
            .check()
            .is_err()
    );
    Metalog::percentiles(1.0, 2.0, 12.0, Some(0.0), None)
        .check()
        .unwrap();
}

#[test]
fn metalog_refuses_bad_inputs() {
    let q = |points: &[(f64, f64)]| Metalog::quantiles(points.to_vec(), None, None).check();
    let p = |p10, p50, p90, min, max| Metalog::percentiles(p10, p50, p90, min, max).check();
    let cases: Vec<(Result<(), String>, &str)> = vec![
        (
            p(5.0, 5.0, 9.0, None, None),
            "`p50` must be > `p10` (5), got 5",
        ),
        (
            p(2.0, 10.0, 9.0, None, None),
            "`p90` must be > `p50` (10), got 9",
        ),
        (
            p(f64::NAN, 5.0, 9.0, None, None),
            "`p10` must be a finite number, got NaN",
        ),
        (
            p(2.0, 5.0, 9.0, Some(2.0), None),
            "`min` must be < `p10` (2), got 2",
        ),
        (
            p(2.0, 5.0, 9.0, None, Some(8.0)),
            "`max` must be > `p90` (9), got 8",
        ),
        (
            q(&[(0.1, 1.0), (0.9, 2.0)]),
            "`quantiles` must hold 3 to 9 [probability, value] pairs, got 2",
        ),
        (
            q(&[(0.0, 1.0), (0.5, 2.0), (0.9, 3.0)]),
            "the probability of `quantiles[0]` must be strictly between 0 and 1, got 0",
        ),
        (
            q(&[(0.1, 1.0), (0.5, 2.0), (0.5, 3.0)]),
            "the probability of `quantiles[2]` must be > that of `quantiles[1]` (0.5), got 0.5",
        ),
        (
            q(&[(0.1, 1.0), (0.5, 2.0), (0.9, 1.5)]),
            "the value of `quantiles[2]` must be > the value of `quantiles[1]` (2), got 1.5",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got.unwrap_err(), want);
    }
    // Seven probabilities symmetric about 1/2: the odd basis functions L, c, c² L, c³ are
    // four, the symmetric pairs only three.
    let symmetric: Vec<(f64, f64)> = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
        .iter()
        .map(|&p| (p, norm_inv(p)))
        .collect();
    assert_eq!(
        q(&symmetric).unwrap_err(),
        "these quantiles determine no metalog: its equations have no single solution for these \
         probabilities (seven probabilities symmetric about 0.5 never have one); move one \
         probability, or give one quantile more or fewer"
    );
    // An uneven general form is infeasible somewhere inside (0, 1).
    let err = q(&[(0.1, 1.0), (0.2, 1.1), (0.3, 5.0), (0.4, 5.1), (0.9, 6.0)]).unwrap_err();
    assert!(
        err.starts_with("these quantiles give no valid distribution")
            && err.ends_with("space the probabilities more evenly, give fewer quantiles, or give `min` and/or `max`"),
        "{err}"
    );
}

/// The precomputed samplers draw exactly what their per-call forms draw from the same
/// stream state, and a hoisted unit key gives exactly the stream of the full key.
#[test]
fn precomputed_samplers_equal_their_per_call_forms() {
    for lambda in [0.0, 0.3, 0.45, 3.0, 11.9, 12.0, 40.0] {
        let sp = SmallPoisson::new(lambda);
        let (mut a, mut b) = (rng_for("small poisson"), rng_for("small poisson"));
        for _ in 0..2_000 {
            assert_eq!(
                sp.sample(&mut a),
                poisson(&mut b, lambda),
                "lambda {lambda}"
            );
        }
    }
    for (shape, scale) in [(0.3, 1.0), (1.2, 1.0), (8.4, 1.0), (1.5, 2.7)] {
        let g = Gamma::new(shape, scale);
        let (mut a, mut b) = (rng_for("gamma struct"), rng_for("gamma struct"));
        for _ in 0..2_000 {
            assert_eq!(
                g.sample(&mut a).to_bits(),
                gamma(&mut b, shape, scale).to_bits()
            );
        }
    }
    assert_eq!(Gamma::new(0.0, 1.0).sample(&mut rng_for("gamma bad")), 0.0);
    for (s, t, u, c) in [(1, 2, 3, 4), (0, 0, 0, 0), (u64::MAX, 7, 1 << 40, 99)] {
        let mut a = unit_key(s, t, u).stream(c);
        let mut b = UnitRng::from_state(stream_key(s, t, u, c));
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
