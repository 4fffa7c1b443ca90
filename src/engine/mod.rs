//! The engine: runs the trials of a scenario in parallel and returns per-trial results.
//!
//! Work is split into (trial, block) items of [`BLOCK_SIZE`] households. Items run in
//! fixed windows on the current rayon pool; each returns an integer [`Partial`] that is
//! merged into its trial in item order, then the trial is [finalised](finalize) into
//! monthly, yearly and scalar figures. Results depend only on the scenario, seed,
//! households and trials — never on the thread count — and memory does not grow with the
//! number of households. The engine does no I/O: progress is reported through a callback.

mod finalize;
pub mod household;
pub mod metrics;
pub mod model;
pub mod noise;
pub mod partial;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

pub use finalize::TrialResult;
pub use household::BLOCK_SIZE;
pub use metrics::{Kind, Layout, MetricDef};
pub use model::{Pin, TrialModel};
pub use noise::BlockNoise;
pub use partial::{Partial, Shape};

use crate::sampling::Dist;
use crate::scenario::{Effect, ParamId, Scenario};

/// (trial, block) items run in parallel per window; bounds memory by the window, not by
/// the number of households.
const WINDOW: usize = 64;

/// A scenario ready to simulate.
pub struct Engine<'a> {
    scenario: &'a Scenario,
    layout: Layout,
    shape: Shape,
    keys: Vec<(u64, u64)>,
}

/// The results of a run: one [`TrialResult`] per trial, in trial order.
pub struct RunResult {
    pub layout: Layout,
    pub first_trial: u64,
    pub trials: Vec<TrialResult>,
}

impl RunResult {
    /// Scalar `j` (an index into [`Layout::scalars`]) of every trial, in trial order.
    pub fn scalar(&self, j: usize) -> Vec<f64> {
        self.trials.iter().map(|t| t.scalars[j]).collect()
    }
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario) -> Engine<'a> {
        let first_year = scenario.start().year();
        let last_year = scenario.start().plus(scenario.months() - 1).year();
        let shape = Shape {
            months: scenario.months() as usize,
            years: (last_year - first_year + 1) as usize,
            devices: scenario.devices.len(),
            intents: scenario.intents.len(),
            purchases: scenario.purchases.len(),
            plans: scenario.subscriptions.len(),
        };
        Engine {
            scenario,
            layout: Layout::new(scenario),
            shape,
            keys: household::interaction_keys(scenario),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Number of household blocks per trial.
    pub fn blocks(&self) -> u64 {
        self.scenario.simulation().households.div_ceil(BLOCK_SIZE)
    }

    /// The model of one trial (its parameter draws and tables).
    pub fn trial_model(&self, trial: u64) -> TrialModel {
        TrialModel::new(self.scenario, self.scenario.simulation().seed, trial)
    }

    /// Simulates one block of one trial.
    pub fn simulate_block(&self, model: &TrialModel, block: u64) -> Partial {
        let (first, last) = self.households_of(block);
        household::simulate_block(model, self.shape, &self.keys, block, first, last)
    }

    /// The households `first..last` of a block.
    fn households_of(&self, block: u64) -> (u64, u64) {
        let first = block * BLOCK_SIZE;
        let last = (first + BLOCK_SIZE).min(self.scenario.simulation().households);
        (first, last)
    }

    /// The windowed loop of every run: the (trial, block) items of `trials` in windows of
    /// [`WINDOW`]; each trial's model built once (`model`), its blocks simulated in parallel
    /// (`simulate`) and merged in block order (`merge`), and each finished trial handed to
    /// `finish` in trial order. Stops between windows once `cancel` is set.
    #[allow(clippy::too_many_arguments)]
    fn drive<M: Clone + Sync, P: Send>(
        &self,
        trials: &Range<u64>,
        model: impl Fn(u64) -> M,
        simulate: impl Fn(&M, u64) -> P + Sync,
        merge: impl Fn(&mut P, P),
        mut finish: impl FnMut(M, P),
        progress: &mut dyn FnMut(u64),
        cancel: &AtomicBool,
    ) -> Result<(), Cancelled> {
        let blocks = self.blocks();
        let months = self.scenario.months() as u64;
        let mut current: Option<(u64, M, P)> = None;
        let mut done = 0u64;
        for window in windows(trials, blocks) {
            let window = &window[..];
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            // Models of the trials this window touches (at most WINDOW + 1).
            let mut models: Vec<(u64, M)> = Vec::new();
            for &(t, _) in window {
                if models.last().map(|(m, _)| *m) != Some(t) {
                    let m = match &current {
                        Some((ct, m, _)) if *ct == t => m.clone(),
                        _ => model(t),
                    };
                    models.push((t, m));
                }
            }
            let model_of = |t: u64| &models.iter().find(|(m, _)| *m == t).expect("model built").1;
            let partials: Vec<P> = window
                .par_iter()
                .map(|&(t, b)| simulate(model_of(t), b))
                .collect();
            for (&(t, b), partial) in window.iter().zip(partials) {
                match &mut current {
                    Some((ct, _, acc)) if *ct == t => merge(acc, partial),
                    _ => current = Some((t, model_of(t).clone(), partial)),
                }
                let (first, last) = self.households_of(b);
                done += (last - first) * months;
                if b + 1 == blocks {
                    let (_, m, acc) = current.take().expect("a trial in progress");
                    finish(m, acc);
                }
            }
            progress(done);
        }
        Ok(())
    }

    /// A block's contribution to the household-noise estimate: its scalars as if its
    /// households were the whole sample (computed beside the hot loop, once per block).
    pub fn block_noise(&self, model: &TrialModel, block: u64, partial: &Partial) -> BlockNoise {
        let (first, last) = self.households_of(block);
        let estimates =
            finalize::sample_scalars(self.scenario, &self.layout, model, partial, last - first);
        BlockNoise::block(last - first, estimates)
    }

    /// Turns a trial's merged partial into its figures.
    pub fn finalize(&self, model: &TrialModel, merged: &Partial) -> TrialResult {
        finalize::finalize(self.scenario, &self.layout, model, merged)
    }

    /// Runs `trials` on the current rayon pool. `progress` receives the number of nominal
    /// household-months completed so far (called from the coordinating thread only).
    pub fn run(&self, trials: Range<u64>, progress: &mut dyn FnMut(u64)) -> RunResult {
        self.run_until(trials, progress, &AtomicBool::new(false))
            .expect("never cancelled")
    }

    /// Like [`Engine::run`], but stops between windows of work (within milliseconds) once
    /// `cancel` is set, returning [`Cancelled`].
    pub fn run_until(
        &self,
        trials: Range<u64>,
        progress: &mut dyn FnMut(u64),
        cancel: &AtomicBool,
    ) -> Result<RunResult, Cancelled> {
        let mut results = Vec::with_capacity((trials.end - trials.start) as usize);
        // Each block also yields its own estimate of every scalar (household sampling
        // noise, see `noise`), merged in block order beside the partial.
        self.drive(
            &trials,
            |t| self.trial_model(t),
            |model, b| {
                let partial = self.simulate_block(model, b);
                let noise = self.block_noise(model, b, &partial);
                (partial, noise)
            },
            |acc: &mut (Partial, BlockNoise), (p, n)| {
                acc.0.merge(&p);
                acc.1.merge(&n);
            },
            |model, (acc, noise)| {
                let mut trial = self.finalize(&model, &acc);
                trial.noise = noise.variances();
                results.push(trial);
            },
            progress,
            cancel,
        )?;
        Ok(RunResult {
            layout: self.layout.clone(),
            first_trial: trials.start,
            trials: results,
        })
    }
}

/// The (trial, block) work items of `trials`, trial-major, in windows of [`WINDOW`],
/// generated lazily so that memory does not grow with households or trials.
fn windows(trials: &Range<u64>, blocks: u64) -> impl Iterator<Item = Vec<(u64, u64)>> {
    let total = (trials.end - trials.start) * blocks;
    let first = trials.start;
    (0..total).step_by(WINDOW).map(move |at| {
        (at..(at + WINDOW as u64).min(total))
            .map(|i| (first + i / blocks, i % blocks))
            .collect()
    })
}

/// A run stopped because its cancel flag was set (e.g. by Ctrl-C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Runs several variants of one scenario (the points of a sweep) on common random numbers:
/// one [`RunResult`] per point, each identical to a plain run of that point.
///
/// Points that differ only in parameters declared [`Effect::Pricing`] share the whole
/// household simulation: each block is simulated once and every point's trial is only
/// finalised again. Points that also differ in the premium price (a number in each)
/// share everything upstream of the premium decision
/// ([`household::simulate_block_price_sweep`]). Points that also differ in what only the
/// premium tier reads ([`Effect::PremiumTier`]) share every household's life upstream of
/// it, and re-simulate only the households whose tier differs from the first point's
/// ([`household::simulate_block_premium_variants`]). Each way is one pass over the
/// households, not one per point. Otherwise each point runs in full.
pub fn run_points(
    points: &[Scenario],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
) -> Vec<RunResult> {
    run_points_until(points, trials, progress, &AtomicBool::new(false)).expect("never cancelled")
}

/// Like [`run_points`], but stops once `cancel` is set. `progress` gets the household-months
/// of the household passes done so far: [`point_passes`] passes of households × months for
/// each trial in all.
pub fn run_points_until(
    points: &[Scenario],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<Vec<RunResult>, Cancelled> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let (varied, kernel) = match Sharing::of(points) {
        Sharing::Households(varied) => (varied, Kernel::Households),
        Sharing::PremiumPrice(varied, prices) => (varied, Kernel::Prices(prices)),
        Sharing::PremiumTier(varied) => (varied, Kernel::Tier),
        Sharing::None => return run_points_unshared_until(points, trials, progress, cancel),
    };
    let engine = Engine::new(first);
    let seed = first.simulation().seed;
    let mut results: Vec<Vec<TrialResult>> = vec![Vec::new(); points.len()];
    // A point's model in a trial, from the first point's.
    let model_of = |k: usize, first_model: &TrialModel| {
        let t = first_model.trial;
        let values = point_values(&points[k], first, &varied, first_model.values(), seed, t);
        TrialModel::with_values(&points[k], seed, t, values)
    };
    // Each point's trial, finalised from its own model on its (shared) partial.
    let mut finish = |model: TrialModel, partials: &[&Partial]| {
        for (k, point) in points.iter().enumerate() {
            let own = model_of(k, &model);
            results[k].push(finalize::finalize(point, &engine.layout, &own, partials[k]));
        }
    };
    match kernel {
        Kernel::Households => engine.drive(
            &trials,
            |t| engine.trial_model(t),
            |model, b| engine.simulate_block(model, b),
            |acc: &mut Partial, p| acc.merge(&p),
            |model, acc| finish(model, &vec![&acc; points.len()]),
            progress,
            cancel,
        )?,
        Kernel::Prices(prices) => engine.drive(
            &trials,
            |t| engine.trial_model(t),
            |model, b| {
                let (first_h, last_h) = engine.households_of(b);
                household::simulate_block_price_sweep(
                    model,
                    &prices,
                    engine.shape,
                    &engine.keys,
                    b,
                    first_h,
                    last_h,
                )
            },
            |accs: &mut Vec<Partial>, block| {
                for (acc, p) in accs.iter_mut().zip(&block) {
                    acc.merge(p);
                }
            },
            |model, accs| finish(model, &accs.iter().collect::<Vec<_>>()),
            progress,
            cancel,
        )?,
        Kernel::Tier => engine.drive(
            &trials,
            |t| {
                let plain = engine.trial_model(t);
                let others: Vec<TrialModel> =
                    (1..points.len()).map(|k| model_of(k, &plain)).collect();
                (plain, others)
            },
            |(plain, others), b| {
                let (first_h, last_h) = engine.households_of(b);
                let others: Vec<&TrialModel> = others.iter().collect();
                let (p, mut v) = household::simulate_block_premium_variants(
                    plain,
                    &others,
                    engine.shape,
                    &engine.keys,
                    b,
                    first_h,
                    last_h,
                );
                v.insert(0, p);
                v
            },
            |accs: &mut Vec<Partial>, block| {
                for (acc, p) in accs.iter_mut().zip(&block) {
                    acc.merge(p);
                }
            },
            |(plain, _), accs| finish(plain, &accs.iter().collect::<Vec<_>>()),
            progress,
            cancel,
        )?,
    }
    Ok(results
        .into_iter()
        .map(|trials_k| RunResult {
            layout: engine.layout.clone(),
            first_trial: trials.start,
            trials: trials_k,
        })
        .collect())
}

/// Runs each point in full, one after the other: what [`run_points_until`] does when the
/// points cannot share their households, and the reference its shared paths must equal to
/// the bit. `progress` counts one household pass per point.
pub fn run_points_unshared_until(
    points: &[Scenario],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<Vec<RunResult>, Cancelled> {
    let mut done = 0;
    points
        .iter()
        .map(|p| {
            let r = Engine::new(p).run_until(trials.clone(), &mut |d| progress(done + d), cancel);
            done += p.simulation().households * p.months() as u64 * (trials.end - trials.start);
            r
        })
        .collect()
}

/// How many household passes [`run_points_until`] makes over each trial of `points`: one
/// when they share them, else one per point. The unit of its progress and of a plan's work.
pub fn point_passes(points: &[Scenario]) -> u64 {
    if points.is_empty() {
        return 0;
    }
    match Sharing::of(points) {
        Sharing::Households(_) | Sharing::PremiumPrice(..) | Sharing::PremiumTier(_) => 1,
        Sharing::None => points.len() as u64,
    }
}

/// Which shared pass [`run_points_until`] makes.
enum Kernel {
    Households,
    Prices(Vec<f64>),
    Tier,
}

/// How the points of a sweep can share simulation work, decided from the parameters in
/// which they differ and the effects those parameters declare.
#[derive(Debug, PartialEq)]
enum Sharing {
    /// The points differ only in these [`Effect::Pricing`] parameters: the households are
    /// simulated once for all.
    Households(Vec<ParamId>),
    /// The points differ in these parameters: the premium price (a number in every point,
    /// here per point) and otherwise [`Effect::Pricing`] ones.
    PremiumPrice(Vec<ParamId>, Vec<f64>),
    /// The points differ in these parameters, some of them read by the premium tier
    /// ([`Effect::PremiumTier`], the premium price), the others [`Effect::Pricing`]: the
    /// households are drawn once and each point's premium tier where it differs from the
    /// first point's ([`household::simulate_block_premium_variants`]).
    PremiumTier(Vec<ParamId>),
    /// Each point is simulated on its own.
    None,
}

impl Sharing {
    fn of(points: &[Scenario]) -> Sharing {
        let first = &points[0];
        let Some(varied) = Scenario::varied_params(points) else {
            return Sharing::None;
        };
        let effect = |id: ParamId| first.params().get(id).effect();
        let reach = varied.iter().map(|&id| effect(id)).max();
        match reach {
            None | Some(Effect::Pricing) => Sharing::Households(varied),
            Some(Effect::PremiumPrice) => {
                let Some(premium) = &first.premium else {
                    return Sharing::None;
                };
                let price = premium.price_month;
                if varied
                    .iter()
                    .any(|&id| id != price && effect(id) != Effect::Pricing)
                {
                    return Sharing::None;
                }
                let prices: Option<Vec<f64>> = points
                    .iter()
                    .map(|p| match p.params().get(price).dist() {
                        Dist::Fixed(x) => Some(*x),
                        _ => None,
                    })
                    .collect();
                prices.map_or(Sharing::None, |prices| {
                    Sharing::PremiumPrice(varied, prices)
                })
            }
            Some(Effect::PremiumTier) => Sharing::PremiumTier(varied),
            Some(Effect::Households) => Sharing::None,
        }
    }
}

/// A point's parameter values in a trial, from the first point's draws `base`: the same
/// but for the `varied` parameters, which take the point's number (or, if the point draws
/// one of them from another distribution, all of the point's own draws).
fn point_values(
    point: &Scenario,
    first: &Scenario,
    varied: &[ParamId],
    base: &[f64],
    seed: u64,
    trial: u64,
) -> Vec<f64> {
    let mut values = base.to_vec();
    for &id in varied {
        let dist = point.params().get(id).dist();
        if dist == first.params().get(id).dist() {
            continue;
        }
        match dist {
            Dist::Fixed(x) => values[id.0 as usize] = *x,
            _ => return model::draw_params(point, seed, trial),
        }
    }
    values
}

/// A run of a scenario and, on common random numbers, one variant per [`Pin`] with that
/// parameter held at its value in every trial (the swings of `sensitivity`).
pub struct PinnedRuns {
    /// The plain run.
    pub base: RunResult,
    /// Per pin, per trial: the scalars of the variant (see [`Layout::scalars`]).
    pub pinned: Vec<Vec<Vec<f64>>>,
    /// The pins, one per variant.
    pub pins: Vec<Pin>,
    /// How many variants needed their own household simulation (the others change only
    /// what the finalisation reads or the premium tier, and reuse the plain run's
    /// households).
    pub simulated: usize,
}

/// How a pinned variant is simulated, from its parameter's declared effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reuse {
    /// [`Effect::Pricing`]: the plain run's households, only finalised again.
    Finalise,
    /// [`Effect::PremiumTier`] or the premium price: the plain run's households, the
    /// premium tier re-simulated where it differs
    /// ([`household::simulate_block_premium_variants`]).
    PremiumTier,
    /// Anything else: households of its own.
    Own,
}

fn reuse(scenario: &Scenario, pin: Pin) -> Reuse {
    match scenario.params().get(pin.param).effect() {
        Effect::Pricing => Reuse::Finalise,
        Effect::PremiumPrice | Effect::PremiumTier => Reuse::PremiumTier,
        Effect::Households => Reuse::Own,
    }
}

/// Runs `scenario` and its pinned variants, trial by trial. A variant that pins a parameter
/// declared [`Effect::Pricing`] reuses the plain run's households and is only finalised
/// again; one declared [`Effect::PremiumTier`] reuses them too and re-simulates only the
/// households whose premium tier differs, within the plain run's pass; the others are
/// simulated in full, block by block, in parallel. Every variant's figures are those of
/// its full simulation, to the bit. `progress` gets household-months of household passes
/// done ([`pinned_passes`] per trial in all).
pub fn run_pinned_until(
    scenario: &Scenario,
    pins: &[Pin],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<PinnedRuns, Cancelled> {
    run_pinned_with(scenario, pins, trials, progress, cancel, true)
}

/// [`run_pinned_until`], with `share` false simulating every variant in full: the
/// reference its shortcuts must equal.
fn run_pinned_with(
    scenario: &Scenario,
    pins: &[Pin],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
    share: bool,
) -> Result<PinnedRuns, Cancelled> {
    let engine = Engine::new(scenario);
    let sim = scenario.simulation();
    let blocks = engine.blocks();
    let months = scenario.months() as u64;
    let mut base = Vec::new();
    let mut pinned = vec![Vec::new(); pins.len()];
    let mut simulated = vec![false; pins.len()];
    let mut done = 0u64;
    let how: Vec<Reuse> = pins
        .iter()
        .map(|&p| {
            if share {
                reuse(scenario, p)
            } else {
                Reuse::Own
            }
        })
        .collect();
    // The variants simulated with the plain run's households, and those with their own.
    let tier: Vec<usize> = (0..pins.len())
        .filter(|&i| how[i] == Reuse::PremiumTier)
        .collect();
    let own: Vec<usize> = (0..pins.len()).filter(|&i| how[i] == Reuse::Own).collect();
    for t in trials.clone() {
        let plain = engine.trial_model(t);
        let variants: Vec<TrialModel> = pins
            .iter()
            .map(|&p| TrialModel::pinned(scenario, sim.seed, t, plain.values(), p))
            .collect();
        let tiered: Vec<&TrialModel> = tier.iter().map(|&i| &variants[i]).collect();
        // Passes: the plain one (with the premium-tier variants), then each own variant.
        let models: Vec<&TrialModel> = std::iter::once(&plain)
            .chain(own.iter().map(|&i| &variants[i]))
            .collect();
        let items: Vec<(usize, u64)> = (0..models.len())
            .flat_map(|m| (0..blocks).map(move |b| (m, b)))
            .collect();
        // Per pass: its merged blocks (the plain pass: the plain run's, then the tier's).
        let mut accs: Vec<Option<Vec<Partial>>> = vec![None; models.len()];
        for window in items.chunks(WINDOW) {
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let partials: Vec<Vec<Partial>> = window
                .par_iter()
                .map(|&(m, b)| {
                    if m > 0 || tiered.is_empty() {
                        return vec![engine.simulate_block(models[m], b)];
                    }
                    let (first, last) = engine.households_of(b);
                    let (p, mut v) = household::simulate_block_premium_variants(
                        &plain,
                        &tiered,
                        engine.shape,
                        &engine.keys,
                        b,
                        first,
                        last,
                    );
                    v.insert(0, p);
                    v
                })
                .collect();
            for (&(m, b), block) in window.iter().zip(partials) {
                match &mut accs[m] {
                    Some(acc) => acc.iter_mut().zip(&block).for_each(|(a, p)| a.merge(p)),
                    slot => *slot = Some(block),
                }
                let (first, last) = engine.households_of(b);
                done += (last - first) * months;
            }
            progress(done);
        }
        let merged = |m: usize, k: usize| &accs[m].as_ref().expect("every block simulated")[k];
        base.push(engine.finalize(&plain, merged(0, 0)));
        for (i, variant) in variants.iter().enumerate() {
            let partial = match how[i] {
                Reuse::Finalise => merged(0, 0),
                Reuse::PremiumTier => merged(0, 1 + tier.iter().position(|&o| o == i).unwrap()),
                Reuse::Own => merged(1 + own.iter().position(|&o| o == i).unwrap(), 0),
            };
            simulated[i] |= how[i] == Reuse::Own;
            pinned[i].push(engine.finalize(variant, partial).scalars);
        }
    }
    Ok(PinnedRuns {
        pins: pins.to_vec(),
        base: RunResult {
            layout: engine.layout.clone(),
            first_trial: trials.start,
            trials: base,
        },
        pinned,
        simulated: simulated.iter().filter(|&&s| s).count(),
    })
}

/// How many of the pinned variants need a household simulation of their own in any of
/// `trials` (what [`run_pinned_until`] reports as `simulated`): those whose parameter is
/// declared neither [`Effect::Pricing`] nor [`Effect::PremiumTier`].
pub fn pinned_simulations(scenario: &Scenario, pins: &[Pin], trials: Range<u64>) -> usize {
    if trials.is_empty() {
        return 0;
    }
    pins.iter()
        .filter(|&&p| needs_households(scenario, p))
        .count()
}

/// How many household passes [`run_pinned_until`] makes over each trial: the plain run's
/// and one per variant with households of its own. The unit of its progress and of a
/// plan's work.
pub fn pinned_passes(scenario: &Scenario, pins: &[Pin]) -> u64 {
    1 + pinned_simulations(scenario, pins, 0..1) as u64
}

/// True if a pinned variant needs households of its own: its parameter is read by the
/// household loop beyond the premium tier.
fn needs_households(scenario: &Scenario, pin: Pin) -> bool {
    reuse(scenario, pin) == Reuse::Own
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Bernoulli;
    use crate::scenario::{Override, Simulation};

    fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn small(mut s: Scenario, households: u64, trials: u64) -> Scenario {
        let sim = Simulation {
            households,
            trials,
            ..s.simulation()
        };
        s.set_simulation(sim).unwrap();
        s
    }

    /// The shipped scenarios and the correlated fixture, small.
    fn scenarios() -> Vec<Scenario> {
        crate::scenario::shipped_scenario_files()
            .iter()
            .map(|f| small(Scenario::load(f, &[]).unwrap(), 700, 3))
            .collect()
    }

    fn premium(sets: &[&str]) -> Scenario {
        let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let s = Scenario::load(&root().join("scenarios/premium_5usd_2024.toml"), &sets).unwrap();
        small(s, 1500, 3)
    }

    /// A model without its parameter values (and, optionally, its premium price): what the
    /// household loop sees.
    fn households_view(m: &TrialModel, without_price: bool) -> TrialModel {
        let mut m = TrialModel {
            values: Vec::new(),
            ..m.clone()
        };
        if let (true, Some(p)) = (without_price, &mut m.premium) {
            p.price = 0.0;
        }
        m
    }

    /// A model without what only the premium tier reads (see [`Effect::PremiumTier`]):
    /// willingness to pay, consideration, churn, and the weights of subscribed months.
    fn outside_the_tier(m: &TrialModel) -> TrialModel {
        let mut m = households_view(m, true);
        if let Some(p) = &mut m.premium {
            (p.wtp_median, p.wtp_sigma, p.elasticity) = (0.0, 0.0, 0.0);
            (p.consider, p.churn) = (Bernoulli::new(0.0), Bernoulli::new(0.0));
        }
        m.usage_mult[1] = 0.0;
        m.no_order.iter_mut().for_each(|n| n[1] = 0.0);
        m.clocks.iter_mut().for_each(|c| c.prob[1] = 0.0);
        m
    }

    /// Every figure of a run, floats by their bits (undefined figures are NaN).
    fn bits(r: &RunResult) -> Vec<u64> {
        r.trials
            .iter()
            .flat_map(|t| {
                std::iter::once(t.trial)
                    .chain(t.draws.iter().map(|x| x.to_bits()))
                    .chain(t.monthly.iter().map(|x| x.to_bits()))
                    .chain(t.yearly.iter().map(|x| x.to_bits()))
                    .chain(t.scalars.iter().map(|x| x.to_bits()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn declared_effects_are_true() {
        for s in scenarios() {
            let engine = Engine::new(&s);
            let seed = s.simulation().seed;
            let plain = engine.trial_model(0);
            let (mut pricing, mut households) = (0, 0);
            for (id, p) in s.params().iter() {
                let v = plain.value(id);
                let pin = |x: f64| {
                    TrialModel::pinned(
                        &s,
                        seed,
                        0,
                        plain.values(),
                        Pin {
                            param: id,
                            value: x,
                        },
                    )
                };
                let (a, b) = (pin(0.5 * v + 0.01), pin(2.0 * v + 0.02));
                match p.effect() {
                    Effect::Pricing => {
                        // Nothing the household loop reads changes: the same blocks.
                        pricing += 1;
                        assert_eq!(households_view(&a, false), households_view(&plain, false));
                        assert_eq!(households_view(&b, false), households_view(&plain, false));
                        assert_eq!(
                            engine.simulate_block(&a, 0),
                            engine.simulate_block(&b, 0),
                            "{}: {}",
                            s.name(),
                            p.key()
                        );
                    }
                    Effect::PremiumPrice => {
                        // Only the price the premium decision compares with.
                        assert_eq!(households_view(&a, true), households_view(&plain, true));
                        assert_ne!(
                            a.premium.as_ref().map(|p| p.price),
                            plain.premium.as_ref().map(|p| p.price)
                        );
                    }
                    Effect::PremiumTier => {
                        // Only what the premium tier reads.
                        assert_eq!(outside_the_tier(&a), outside_the_tier(&plain));
                        assert_eq!(outside_the_tier(&b), outside_the_tier(&plain));
                    }
                    Effect::Households => {
                        households += 1;
                        if p.key() == "adoption.potential" {
                            assert_ne!(engine.simulate_block(&a, 0), engine.simulate_block(&b, 0));
                        }
                    }
                }
            }
            assert!(pricing > 0 && households > 0, "{}", s.name());
        }
    }

    /// Sensitivity's pinned variants: deciding by the declared effect simulates exactly the
    /// variants whose household model differs from the plain run's (at the pins it uses,
    /// p10 and p90), so its figures and its count of simulated variants are unchanged.
    #[test]
    fn pinned_variants_share_households_exactly_when_models_agree() {
        for s in scenarios() {
            let seed = s.simulation().seed;
            let mut pins = Vec::new();
            for (id, p) in s.params().iter().filter(|(_, p)| p.is_uncertain()) {
                for q in [0.1, 0.9] {
                    pins.push(Pin {
                        param: id,
                        value: p.dist().quantile(q),
                    });
                }
            }
            for trial in 0..3 {
                let plain = TrialModel::new(&s, seed, trial);
                for &pin in &pins {
                    let pinned = TrialModel::pinned(&s, seed, trial, plain.values(), pin);
                    let differ = households_view(&pinned, false) != households_view(&plain, false);
                    let key = s.params().get(pin.param).key();
                    let outside = outside_the_tier(&pinned) != outside_the_tier(&plain);
                    match reuse(&s, pin) {
                        Reuse::Finalise => assert!(!differ, "{}: {key}", s.name()),
                        Reuse::PremiumTier => assert!(!outside, "{}: {key}", s.name()),
                        Reuse::Own => assert!(differ && outside, "{}: {key}", s.name()),
                    }
                }
            }
            let shared = pins.iter().filter(|&&p| !needs_households(&s, p)).count();
            assert_eq!(pinned_simulations(&s, &pins, 0..3), pins.len() - shared);
        }
    }

    /// Runs `points` together and each alone; returns how they were shared.
    fn check_points(points: &[Scenario]) -> Sharing {
        let together = run_points(points, 0..3, &mut |_| {});
        for (p, r) in points.iter().zip(&together) {
            let alone = Engine::new(p).run(0..3, &mut |_| {});
            assert_eq!(bits(r), bits(&alone));
        }
        Sharing::of(points)
    }

    #[test]
    fn sweeps_of_pricing_parameters_share_households_and_match_plain_runs() {
        let base = premium(&[]);
        let t = |k: &str| base.target(k).unwrap();
        let (fixed, rate, margin, echo) = (
            t("costs.fixed_per_year"),
            t("finance.discount_rate"),
            t("purchase.voice_shopping.margin"),
            t("device.echo.price.2025"),
        );
        // (A point varies what the base draws from a distribution: the points, not the
        // base, share one structure.)
        let mut points = Vec::new();
        for (f, r, m) in [(1e9, 0.0, 0.15), (3e9, 0.1, 0.2), (2e9, 0.05, 0.2)] {
            points.push(
                base.with_values(&[(&fixed, f), (&rate, r), (&margin, m), (&echo, 80.0)])
                    .unwrap(),
            );
        }
        let sharing = check_points(&points);
        assert!(
            matches!(&sharing, Sharing::Households(v) if v.len() == 3),
            "{sharing:?}"
        );
        // A Pricing parameter drawn from another distribution in one point.
        let other =
            premium(&[r#"purchase.voice_shopping.margin={dist="uniform",min=0.1,max=0.3}"#]);
        let points = vec![base.clone(), other];
        assert_eq!(
            check_points(&points),
            Sharing::Households(vec![
                base.params()
                    .find("purchase.voice_shopping.margin")
                    .unwrap()
            ])
        );
    }

    #[test]
    fn sweeps_of_the_premium_price_and_pricing_parameters_share_the_upstream_work() {
        let base = premium(&[]);
        let price = base.target("premium.price_month").unwrap();
        let serving = base.target("costs.serving_cost_per_interaction").unwrap();
        let mut points = Vec::new();
        for (p, c) in [(3.0, 0.0005), (8.0, 0.001), (1.0, 0.001)] {
            points.push(base.with_values(&[(&price, p), (&serving, c)]).unwrap());
        }
        assert!(matches!(
            check_points(&points),
            Sharing::PremiumPrice(_, prices) if prices == [3.0, 8.0, 1.0]
        ));
    }

    #[test]
    fn sweeps_of_the_premium_tier_share_the_households_and_match_plain_runs() {
        let base = premium(&[]);
        let t = |k: &str| base.target(k).unwrap();
        let (wtp, consider, uplift, price, serving) = (
            t("premium.wtp_median"),
            t("premium.consider_per_month"),
            t("premium.conversion_uplift"),
            t("premium.price_month"),
            t("costs.serving_cost_per_interaction"),
        );
        let wtp_id = base.params().find("premium.wtp_median").unwrap();
        // (The points, not the base that draws it, share one structure.)
        let points = vec![
            base.with_values(&[(&wtp, 2.0)]).unwrap(),
            base.with_values(&[(&wtp, 3.0)]).unwrap(),
        ];
        assert_eq!(check_points(&points), Sharing::PremiumTier(vec![wtp_id]));
        // Several premium-tier parameters, the price and a pricing one, far apart.
        let mut points = Vec::new();
        for (w, c, u, p, s) in [
            (2.0, 0.05, 1.2, 5.0, 0.0005),
            (9.0, 0.3, 1.0, 3.0, 0.001),
            (0.5, 0.01, 2.5, 8.0, 0.001),
        ] {
            let values = [
                (&wtp, w),
                (&consider, c),
                (&uplift, u),
                (&price, p),
                (&serving, s),
            ];
            points.push(base.with_values(&values).unwrap());
        }
        assert!(matches!(check_points(&points), Sharing::PremiumTier(v) if v.len() == 5));
        assert_eq!(point_passes(&points), 1);
    }

    #[test]
    fn other_sweeps_run_each_point() {
        let base = premium(&[]);
        let potential = base.target("adoption.potential").unwrap();
        let points = vec![
            base.with_values(&[(&potential, 0.3)]).unwrap(),
            base.clone(),
        ];
        assert_eq!(check_points(&points), Sharing::None);
        assert_eq!(point_passes(&points), 2);
        // A structural difference that is no parameter.
        let points = vec![base.clone(), premium(&["premium.included_with_prime=true"])];
        assert_eq!(Sharing::of(&points), Sharing::None);
        // An uncertain premium price.
        let points = vec![
            base.clone(),
            premium(&[r#"premium.price_month={dist="uniform",min=4,max=6}"#]),
        ];
        assert_eq!(Sharing::of(&points), Sharing::None);
    }

    /// The premium-tier kernel gives each variant exactly the block a full simulation of it
    /// gives, for pins of every premium-tier parameter far from the draws (many households
    /// change their decision, spells or subscribed usage), alone and together.
    #[test]
    fn premium_tier_variants_equal_their_full_simulation_block_by_block() {
        let s = premium(&[]);
        let engine = Engine::new(&s);
        let seed = s.simulation().seed;
        let tier: Vec<ParamId> = s
            .params()
            .iter()
            .filter(|(_, p)| matches!(p.effect(), Effect::PremiumTier | Effect::PremiumPrice))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(tier.len(), 8);
        for trial in 0..2 {
            let plain = engine.trial_model(trial);
            let mut variants = Vec::new();
            for &id in &tier {
                let v = plain.value(id);
                for x in [0.3 * v, 1.9 * v, 0.0, 1.0] {
                    let pin = Pin {
                        param: id,
                        value: x,
                    };
                    variants.push(TrialModel::pinned(&s, seed, trial, plain.values(), pin));
                }
            }
            // Several parameters at once (a sweep point could differ so).
            let mut both = plain.values().to_vec();
            for &id in &tier {
                both[id.0 as usize] *= 1.4;
            }
            variants.push(TrialModel::with_values(&s, seed, trial, both));
            let refs: Vec<&TrialModel> = variants.iter().collect();
            let (first, last) = engine.households_of(0);
            let (p, v) = household::simulate_block_premium_variants(
                &plain,
                &refs,
                engine.shape,
                &engine.keys,
                0,
                first,
                last,
            );
            assert_eq!(p, engine.simulate_block(&plain, 0));
            let mut changed = 0;
            for (k, model) in variants.iter().enumerate() {
                let full = engine.simulate_block(model, 0);
                assert_eq!(v[k], full, "variant {k}");
                changed += usize::from(full != p);
            }
            assert!(changed > variants.len() / 2, "{changed} variants changed");
        }
    }

    /// Swing's shortcuts (re-finalising, the premium-tier kernel) give every figure of the
    /// full simulation of each pinned variant, to the bit, at p10 and p90 of every uncertain
    /// parameter of the premium scenario, and count their passes.
    #[test]
    fn pinned_shortcuts_equal_the_full_simulation_of_every_variant() {
        let s = premium(&[]);
        let (_, pins) = crate::sensitivity::pins(&s);
        let run = |share: bool| {
            let mut last = 0;
            let r = run_pinned_with(
                &s,
                &pins,
                0..3,
                &mut |d| last = d,
                &AtomicBool::new(false),
                share,
            )
            .unwrap();
            (r, last)
        };
        let ((shared, done), (full, _)) = (run(true), run(false));
        assert_eq!(bits(&shared.base), bits(&full.base));
        for (k, (a, b)) in shared.pinned.iter().zip(&full.pinned).enumerate() {
            let bits = |v: &Vec<Vec<f64>>| -> Vec<u64> {
                v.iter().flatten().map(|x| x.to_bits()).collect()
            };
            assert_eq!(bits(a), bits(b), "{}", s.params().get(pins[k].param).key());
        }
        assert_eq!(full.simulated, pins.len());
        assert_eq!(shared.simulated, pinned_simulations(&s, &pins, 0..3));
        // 114 variants: 50 re-simulated before the premium tier was shared, 36 now.
        assert_eq!((pins.len(), shared.simulated), (114, 36));
        let per_pass = s.simulation().households * s.months() as u64 * 3;
        assert_eq!(done, pinned_passes(&s, &pins) * per_pass);
    }
}
