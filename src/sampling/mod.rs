//! Random numbers for the simulator: keyed random streams, hot-path samplers and the
//! uncertain-value distributions of the scenario format.
//!
//! * **Keyed streams.** Every random decision draws from a [`Rng`] built by [`stream`] from
//!   a key saying what the stream is for (run seed, trial, unit such as a household, and a
//!   component such as a channel or parameter, usually a [`name_key`]). Results therefore do
//!   not depend on thread scheduling or on the order in which units are simulated, and adding
//!   a new random component does not shift the numbers drawn by the others.
//! * **Hot-path samplers.** [`uniform`], [`exp1`], [`standard_normal`] and
//!   [`fill_standard_normal`] (ziggurats of our own), [`geometric`], [`poisson`],
//!   [`binomial`], [`gamma`], and the precomputed [`Bernoulli`], [`Categorical`],
//!   [`Geometric`], [`SmallPoisson`] and [`Gamma`] are exact for their distributions and
//!   cheap enough to be called many times per household.
//! * **Uncertain values.** [`Dist`] is a scenario's distribution for an uncertain parameter.
//!   It is drawn through its quantile function ([`Dist::quantile`]) from a single uniform, so
//!   that Latin hypercube sampling and rank correlation can be layered on top later. Normal
//!   quantiles are refined to full precision; Beta and Gamma quantiles are computed by a
//!   safeguarded Newton iteration on the `statrs` CDFs, because `statrs`' own `inverse_cdf`
//!   is inaccurate in the tails and for small shapes (and can panic for Beta).

use rand::Rng as _;
use rand::SeedableRng;
use rand_distr::Distribution;

/// The generator of every stream built by [`stream`]: xoshiro256++ (Blackman & Vigna),
/// seeded from the stream's hashed key. Trial parameters (the design), block-level draws
/// and the bootstrap use it.
pub use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// The generator of a household's component streams ([`UnitKey::stream`]): SplitMix64
/// (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"), whose
/// 64-bit state is the stream's hashed key, so seeding costs nothing; each draw is one
/// addition of the golden-ratio increment and the [`mix64`] finaliser, and the sequence
/// passes BigCrush. A household reads about ten short streams of a few draws each, and
/// seeding xoshiro's 256-bit state (four finalisers and a byte round trip) cost more than
/// the draws: about a quarter of the baseline engine's instructions.
///
/// Every such stream walks the same cycle of period 2^64 from its own pseudo-random
/// starting point, so two streams of lengths `a` and `b` overlap with probability about
/// `(a + b) / 2^64`: among 10^10 streams of 10 draws (a million households, a thousand
/// trials) a few dozen pairs of household components share some draws, far below anything
/// the outputs' sampling noise could show.
///
/// The sequence is exactly `rand_xoshiro::SplitMix64`'s (tested); it is written here only
/// so that building a stream inlines into the household loop (the crate's constructor is
/// an out-of-line call per stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRng {
    state: u64,
}

impl UnitRng {
    /// The stream that starts from `state` (`SplitMix64::seed_from_u64(state)`).
    #[inline]
    pub fn from_state(state: u64) -> UnitRng {
        UnitRng { state }
    }
}

impl rand::TryRng for UnitRng {
    type Error = std::convert::Infallible;

    /// The upper half of a draw mixed by the 32-bit variant of the finaliser, as the
    /// crate's SplitMix64 does.
    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 33)).wrapping_mul(0x62a9_d9ed_7997_05f5);
        z = (z ^ (z >> 28)).wrapping_mul(0xcb24_d0a5_c88c_35b3);
        Ok((z >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        Ok(mix64(self.state))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Self::Error> {
        rand::rand_core::utils::fill_bytes_via_next_word(dest, || self.try_next_u64())
    }
}

/// SplitMix64's increment: 2^64 divided by the golden ratio, odd.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// What the samplers draw from: either generator of this module ([`Rng`], [`UnitRng`]).
/// Samplers are generic over it, so each is compiled for the generator it is called with.
pub trait Source: rand::Rng + Clone {}

impl<R: rand::Rng + Clone> Source for R {}

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
/// Costs about 8 ns (hash plus seeding). A household's streams come from
/// [`UnitKey::stream`] instead: the same key, a cheaper generator.
#[inline]
pub fn stream(seed: u64, trial: u64, unit: u64, component: u64) -> Rng {
    seed_from_u64(unit_key(seed, trial, unit).key(component))
}

/// The first two stages of a [`stream`] key, (seed, trial), hashed once per trial.
/// `trial_key(s, t).unit(u)` is exactly `unit_key(s, t, u)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrialKey(u64);

/// The hashed (seed, trial) part of a stream key (see [`TrialKey`]).
#[inline]
pub fn trial_key(seed: u64, trial: u64) -> TrialKey {
    let h = mix64(seed ^ 0x243f_6a88_85a3_08d3);
    TrialKey(mix64(h ^ trial.wrapping_add(0x1319_8a2e_0370_7344)))
}

impl TrialKey {
    /// The key of one unit (household) of this trial.
    #[inline]
    pub fn unit(self, unit: u64) -> UnitKey {
        UnitKey(mix64(self.0 ^ unit.wrapping_add(0xa409_3822_299f_31d0)))
    }
}

/// The first three stages of a [`stream`] key, (seed, trial, unit), hashed once: a unit
/// (household) that needs several components' streams pays for the shared stages once.
/// `unit_key(s, t, u).stream(c)` is exactly `stream(s, t, u, c)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitKey(u64);

/// The hashed (seed, trial, unit) part of a stream key (see [`UnitKey`]).
#[inline]
pub fn unit_key(seed: u64, trial: u64, unit: u64) -> UnitKey {
    trial_key(seed, trial).unit(unit)
}

impl UnitKey {
    /// The stream of one component of this unit: a [`UnitRng`] whose state is the hash of
    /// the key `(seed, trial, unit, component)` that [`stream`] seeds its xoshiro256++ from.
    #[inline]
    pub fn stream(self, component: u64) -> UnitRng {
        UnitRng::from_state(self.key(component))
    }

    /// The 64-bit hash of the full key (see [`stream`]).
    #[inline]
    fn key(self, component: u64) -> u64 {
        mix64(self.0 ^ component.wrapping_add(0x082e_fa98_ec4e_6c89))
    }
}

/// Same generator as `Rng::seed_from_u64(state)` (four SplitMix64 outputs as the 256-bit
/// state; checked by a test), about three times faster because it avoids the generic
/// byte-filling path of `SeedableRng::from_rng`.
#[inline]
fn seed_from_u64(mut state: u64) -> Rng {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        state = state.wrapping_add(GOLDEN_GAMMA);
        chunk.copy_from_slice(&mix64(state).to_le_bytes());
    }
    Rng::from_seed(seed)
}

/// The 64-bit hash of a stream key (see [`stream`]).
#[cfg(test)]
fn stream_key(seed: u64, trial: u64, unit: u64, component: u64) -> u64 {
    unit_key(seed, trial, unit).key(component)
}

/// 2^-53, the spacing of the uniform grid.
const TWO_POW_M53: f64 = 1.0 / (1u64 << 53) as f64;

/// Uniform on `[0, 1)` with 53 random bits (`next_u64() >> 11`).
#[inline]
pub fn uniform<R: Source>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * TWO_POW_M53
}

/// Uniform on `(0, 1]` with 53 random bits; never 0, so safe for `ln()`.
#[inline]
pub fn uniform_open<R: Source>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * TWO_POW_M53
}

/// Standard exponential Exp(1), by the ziggurat of Marsaglia and Tsang (2000) with 256
/// layers (the constants of `rand_distr::Exp1`): one `u64` per draw (its low 8 bits pick a
/// layer, its top 52 a position in it) and one comparison for about 99% of draws, no
/// logarithm; the rest take the wedge test or the tail (`R + Exp(1)`, memoryless) in a
/// separate cold function, so that a loop drawing exponentials keeps its values in
/// registers. A loop that draws many can look the table up once with [`Exp1`].
#[inline]
pub fn exp1<R: Source>(rng: &mut R) -> f64 {
    Exp1::new().sample(rng)
}

/// [`exp1`] with its ziggurat table looked up once (the same draws from the same stream).
#[derive(Clone, Copy)]
pub struct Exp1(&'static Ziggurat);

impl Exp1 {
    #[inline]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Exp1 {
        Exp1(exp_ziggurat())
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Source>(self, rng: &mut R) -> f64 {
        let t = self.0;
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        // [1, 2) - (1 - 2^-53): a position in (0, 1) with 52 random bits.
        let u = f64::from_bits((bits >> 12) | 0x3ff0_0000_0000_0000) - (1.0 - f64::EPSILON / 2.0);
        let x = u * t.x[i];
        if x < t.x[i + 1] {
            x
        } else {
            // The slow path draws from a copy of the stream, so that the caller's stream
            // (often a local of a loop) never has its address taken.
            let mut r = rng.clone();
            let x = exp1_slow(&mut r, t, i, x);
            *rng = r;
            x
        }
    }
}

/// [`exp1`]'s draw when the first layer test fails: the tail (layer 0) or the wedge test,
/// then fresh draws until one is accepted.
#[cold]
#[inline(never)]
fn exp1_slow<R: Source>(rng: &mut R, t: &Ziggurat, mut i: usize, mut x: f64) -> f64 {
    loop {
        if i == 0 {
            return ZIG_EXP_R - uniform_open(rng).ln();
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * uniform(rng) < (-x).exp() {
            return x;
        }
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        let u = f64::from_bits((bits >> 12) | 0x3ff0_0000_0000_0000) - (1.0 - f64::EPSILON / 2.0);
        x = u * t.x[i];
        if x < t.x[i + 1] {
            return x;
        }
    }
}

/// Standard normal N(0, 1): one draw of [`fill_standard_normal`]'s ziggurat (one `u64` and
/// one comparison for about 99% of draws; the wedge and the tail out of line).
#[inline]
pub fn standard_normal<R: Source>(rng: &mut R) -> f64 {
    let t = normal_ziggurat();
    let bits = rng.next_u64();
    match normal_fast(&t.x, bits) {
        (x, true) => x,
        _ => normal_slow_from(rng, t, bits),
    }
}

/// The 256 layers of a ziggurat (Marsaglia and Tsang 2000) for a decreasing density `f`
/// on `[0, inf)`: `x[i]` the right edge of layer `i` (`x[0] = V / f(R)`, the base layer's
/// pseudo-width, base and tail together; `x[1] = R`; `x[256] = 0`) and `f[i] = f(x[i])`;
/// every layer has area `V`.
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
}

impl Ziggurat {
    /// The layers for `f` (unnormalised) with its inverse `f_inv`, from the tail start `r`
    /// and the layer area `v`.
    fn new(r: f64, v: f64, f: impl Fn(f64) -> f64, f_inv: impl Fn(f64) -> f64) -> Ziggurat {
        let mut x = [0.0; 257];
        x[0] = v / f(r);
        x[1] = r;
        for i in 2..256 {
            // Layer i - 1 spans heights f(x[i - 1]) to f(x[i]) with area v.
            x[i] = f_inv(v / x[i - 1] + f(x[i - 1]));
        }
        x[256] = 0.0;
        let mut t = Ziggurat { x, f: [0.0; 257] };
        for (fi, &xi) in t.f.iter_mut().zip(&t.x) {
            *fi = f(xi);
        }
        t
    }
}

/// Where the tail of the normal ziggurat starts (`rand_distr`'s constant).
const ZIG_NORM_R: f64 = 3.654_152_885_361_009;
/// The area of each layer of the normal ziggurat.
const ZIG_NORM_V: f64 = 0.004_928_673_233_99;
/// Where the tail of the exponential ziggurat starts (`rand_distr`'s constant).
const ZIG_EXP_R: f64 = 7.697_117_470_131_05;
/// The area of each layer of the exponential ziggurat.
const ZIG_EXP_V: f64 = 0.003_949_659_822_581_557;

/// The standard normal's ziggurat: `f(x) = exp(-x^2 / 2)`.
fn normal_ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        Ziggurat::new(
            ZIG_NORM_R,
            ZIG_NORM_V,
            |x| (-0.5 * x * x).exp(),
            |y| (-2.0 * y.ln()).sqrt(),
        )
    })
}

/// The standard exponential's ziggurat: `f(x) = exp(-x)`.
fn exp_ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| Ziggurat::new(ZIG_EXP_R, ZIG_EXP_V, |x| (-x).exp(), |y| -y.ln()))
}

/// Fills `out` with independent standard normal draws N(0, 1), by the ziggurat of Marsaglia
/// and Tsang (2000), 256 layers: one `u64` per draw (its low 8 bits pick a layer, its top 52
/// a signed position in it) and an accept test against the next layer's edge for about 99%
/// of draws; the rest take the wedge test (one more uniform) or the tail (Marsaglia's
/// method beyond `R`). Written for batches: the `u64`s of up to 256 draws come first, in a
/// loop that keeps the stream in registers, then the layer tests; a draw that fails its
/// first test continues with the stream's next numbers after that batch's. Exact: each
/// draw uses its own random numbers, none shared with another draw.
pub fn fill_standard_normal(rng: &mut Rng, out: &mut [f64]) {
    const CHUNK: usize = 256;
    let t = normal_ziggurat();
    let mut words = [0u64; CHUNK];
    for chunk in out.chunks_mut(CHUNK) {
        let words = &mut words[..chunk.len()];
        fill_u64(rng, words);
        for (v, &bits) in chunk.iter_mut().zip(words.iter()) {
            *v = match normal_fast(&t.x, bits) {
                (x, true) => x,
                _ => normal_slow_from(rng, t, bits),
            };
        }
    }
}

/// Fills `out` with the stream's next `u64`s, in a loop that keeps the generator's state
/// in registers (four numbers per turn).
#[inline]
pub(crate) fn fill_u64(rng: &mut Rng, out: &mut [u64]) {
    let mut r = rng.clone();
    let mut fours = out.chunks_exact_mut(4);
    for c in &mut fours {
        c[0] = r.next_u64();
        c[1] = r.next_u64();
        c[2] = r.next_u64();
        c[3] = r.next_u64();
    }
    for w in fours.into_remainder() {
        *w = r.next_u64();
    }
    *rng = r;
}

/// The edges `x[0..=256]` of the normal ziggurat's layers, for batch kernels that run
/// [`normal_fast`]'s test on several words at once.
pub(crate) fn normal_layer_edges() -> &'static [f64; 257] {
    &normal_ziggurat().x
}

/// The first test of [`fill_standard_normal`]'s ziggurat on one `u64` (`edges` from
/// [`normal_layer_edges`]): its low 8 bits pick a layer `i`, its top 52 a signed position
/// `u` in `[-1, 1)`; `x = u * edges[i]` is the draw when `|x| < edges[i + 1]` (about 99% of
/// words). Returns `x` and whether it is accepted; if not, the draw is
/// [`normal_slow_from`]`(rng, bits)`.
#[inline(always)]
pub(crate) fn normal_fast(edges: &[f64; 257], bits: u64) -> (f64, bool) {
    let i = (bits & 0xff) as usize;
    // [2, 4) - 3: a position in [-1, 1) with 52 random bits.
    let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
    let x = u * edges[i];
    (x, x.abs() < edges[i + 1])
}

/// The normal draw that starts with the word `bits` when [`normal_fast`] rejects it: the
/// tail or the wedge test, then fresh draws from `rng` until one is accepted.
#[cold]
#[inline(never)]
fn normal_slow_from<R: Source>(rng: &mut R, t: &Ziggurat, bits: u64) -> f64 {
    let i = (bits & 0xff) as usize;
    let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
    normal_slow(rng, t, i, u, u * t.x[i])
}

/// [`normal_slow_from`] with the normal ziggurat, for callers outside this module.
pub(crate) fn normal_finish(rng: &mut Rng, bits: u64) -> f64 {
    normal_slow_from(rng, normal_ziggurat(), bits)
}

/// [`fill_standard_normal`]'s draw when the first layer test fails: the tail (layer 0) or
/// the wedge test, then fresh draws until one is accepted.
#[cold]
#[inline(never)]
fn normal_slow<R: Source>(rng: &mut R, t: &Ziggurat, mut i: usize, mut u: f64, mut x: f64) -> f64 {
    'draw: loop {
        if i == 0 {
            // The tail beyond R (Marsaglia 1964): x = -ln(U1) / R, accepted when
            // -2 ln(U2) >= x^2.
            loop {
                let a = uniform_open(rng).ln() / ZIG_NORM_R;
                let b = uniform_open(rng).ln();
                if -2.0 * b >= a * a {
                    break 'draw if u < 0.0 {
                        a - ZIG_NORM_R
                    } else {
                        ZIG_NORM_R - a
                    };
                }
            }
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * uniform(rng) < (-0.5 * x * x).exp() {
            break x;
        }
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
        x = u * t.x[i];
        if x.abs() < t.x[i + 1] {
            break x;
        }
    }
}

/// Number of Bernoulli(p) trials up to and including the first success (always >= 1).
///
/// Exact geometric distribution, `1 + floor(E / -ln(1 - p))` with `E ~ Exp(1)` (see
/// [`Geometric`], which precomputes `ln(1 - p)` for a fixed `p`). `p <= 0` (or NaN) gives
/// `u64::MAX` (never succeeds); `p >= 1` gives 1. Results beyond `u64::MAX` saturate.
#[inline]
pub fn geometric<R: Source>(rng: &mut R, p: f64) -> u64 {
    Geometric::new(p).sample(rng)
}

/// Geometric lifetimes with `p` fixed: the number of Bernoulli(p) trials up to and including
/// the first success, with `ln(1 - p)` computed once.
///
/// Exact: `1 + floor(E / -ln(1 - p))` with `E ~ Exp(1)` ([`exp1`], a ziggurat, so no
/// logarithm per draw) has `P(X > k) = P(E >= -k ln(1 - p)) = (1 - p)^k`. `p <= 0` (or NaN)
/// gives `u64::MAX` (never succeeds) without drawing; `p >= 1` gives 1 without drawing.
/// Counts beyond `u64::MAX` saturate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometric {
    /// `1 / -ln(1 - p)`, or 0 (`p >= 1`) or infinity (`p <= 0`, NaN).
    scale: f64,
}

impl Geometric {
    pub fn new(p: f64) -> Geometric {
        let scale = if p >= 1.0 {
            0.0
        } else if p.is_nan() || p <= 0.0 {
            f64::INFINITY
        } else {
            1.0 / -(-p).ln_1p()
        };
        Geometric { scale }
    }

    /// One draw (>= 1).
    #[inline]
    pub fn sample<R: Source>(&self, rng: &mut R) -> u64 {
        if self.scale == 0.0 {
            return 1;
        }
        if self.scale == f64::INFINITY {
            return u64::MAX;
        }
        // `as` saturates (and the product is >= 0), so a huge count becomes u64::MAX.
        ((exp1(rng) * self.scale) as u64).saturating_add(1)
    }
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
pub fn poisson<R: Source>(rng: &mut R, lambda: f64) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    if lambda < POISSON_INVERSION_MAX {
        return poisson_inversion(rng, lambda, (-lambda).exp());
    }
    match rand_distr::Poisson::new(lambda) {
        Ok(d) => {
            let x: f64 = d.sample(rng);
            x as u64
        }
        Err(_) => u64::MAX,
    }
}

/// Poisson counts with a fixed mean below 12: [`poisson`]'s inversion with `exp(-lambda)`
/// computed once. Gives exactly the counts [`poisson`] gives from the same stream state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmallPoisson {
    lambda: f64,
    /// `exp(-lambda)`, or a negative value when [`poisson`] must be called instead.
    p0: f64,
}

impl SmallPoisson {
    pub fn new(lambda: f64) -> SmallPoisson {
        let p0 = if lambda > 0.0 && lambda < POISSON_INVERSION_MAX {
            (-lambda).exp()
        } else {
            -1.0
        };
        SmallPoisson { lambda, p0 }
    }

    #[inline]
    pub fn sample<R: Source>(&self, rng: &mut R) -> u64 {
        if self.p0 < 0.0 {
            return poisson(rng, self.lambda);
        }
        poisson_inversion(rng, self.lambda, self.p0)
    }
}

/// [`poisson`] below [`POISSON_INVERSION_MAX`]: sequential search with one uniform, given
/// `p0 = exp(-lambda)`.
#[inline]
fn poisson_inversion<R: Source>(rng: &mut R, lambda: f64, p0: f64) -> u64 {
    let u = uniform(rng);
    let mut k = 0u64;
    let mut p = p0;
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
    k
}

/// Exact Binomial(n, p) count (`rand_distr::Binomial`). `p` is clamped to `[0, 1]` (NaN
/// counts as 0); `n == 0` gives 0.
#[inline]
pub fn binomial<R: Source>(rng: &mut R, n: u64, p: f64) -> u64 {
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

/// Gamma(shape, scale) draw (see [`Gamma`]). Needs `shape > 0` and `scale > 0` (validated
/// by the caller); returns 0.0 instead of panicking otherwise.
#[inline]
pub fn gamma<R: Source>(rng: &mut R, shape: f64, scale: f64) -> f64 {
    Gamma::new(shape, scale).sample(rng)
}

/// Gamma(shape, scale) with the parameters fixed, its constants precomputed; [`gamma`]
/// gives exactly the same draws from the same stream.
///
/// Marsaglia and Tsang (2000): for shape `a >= 1`, `d = a - 1/3`, `c = 1 / sqrt(9 d)`; draw
/// `x` standard normal ([`standard_normal`]) and `u` uniform until `v = (1 + c x)^3 > 0` and
/// `u < 1 - 0.0331 x^4` (the squeeze, which accepts about 98%) or
/// `ln u < x^2 / 2 + d (1 - v + ln v)`; the draw is `d v`. For `a < 1` (Dirichlet shares of
/// rare intents), a Gamma(a + 1) draw times `U^(1/a)`, the boost being drawn as
/// `exp(-E / a)` with `E` from [`exp1`] (`-ln U` is Exp(1)) and the table-driven
/// [`exp::exp`], so no power function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gamma {
    d: f64,
    c: f64,
    /// `1 / shape` when `shape < 1` (the boost), else 0.
    inv_shape: f64,
    /// The scale; 0 for invalid parameters (every draw is then 0).
    scale: f64,
}

impl Gamma {
    pub fn new(shape: f64, scale: f64) -> Gamma {
        let valid = shape > 0.0 && scale > 0.0 && shape.is_finite() && scale.is_finite();
        if !valid {
            return Gamma {
                d: 1.0,
                c: 0.0,
                inv_shape: 0.0,
                scale: 0.0,
            };
        }
        let (a, inv_shape) = if shape < 1.0 {
            (shape + 1.0, 1.0 / shape)
        } else {
            (shape, 0.0)
        };
        let d = a - 1.0 / 3.0;
        Gamma {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape,
            scale,
        }
    }

    /// One draw; 0.0 for invalid parameters, like [`gamma`].
    #[inline(always)]
    pub fn sample<R: Source>(&self, rng: &mut R) -> f64 {
        if self.scale == 0.0 {
            return 0.0;
        }
        let g = loop {
            let x = standard_normal(rng);
            let v = 1.0 + self.c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = uniform_open(rng);
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + self.d * (1.0 - v + v.ln()) {
                break self.d * v;
            }
        };
        let g = if self.inv_shape > 0.0 {
            g * exp::exp(-exp1(rng) * self.inv_shape)
        } else {
            g
        };
        g * self.scale
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
    pub fn sample<R: Source>(&self, rng: &mut R) -> bool {
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
    pub fn sample<R: Source>(&self, rng: &mut R) -> usize {
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

mod dist;
pub(crate) mod exp;
mod metalog;
pub use dist::Dist;
pub use metalog::Metalog;

#[cfg(test)]
mod tests;
