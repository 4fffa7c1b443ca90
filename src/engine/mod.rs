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
pub mod partial;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

pub use finalize::TrialResult;
pub use household::BLOCK_SIZE;
pub use metrics::{Kind, Layout, MetricDef};
pub use model::{Pin, TrialModel};
pub use partial::{Partial, Shape};

use crate::scenario::Scenario;

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
        self.drive(
            &trials,
            |t| self.trial_model(t),
            |model, b| self.simulate_block(model, b),
            |acc: &mut Partial, p| acc.merge(&p),
            |model, acc| results.push(self.finalize(&model, &acc)),
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
/// When the points differ only in `premium.price_month`, every block is simulated once for
/// all points ([`household::simulate_block_price_sweep`]): the cost is about that of one
/// run, not one per point. Otherwise each point runs in full.
pub fn run_points(
    points: &[Scenario],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
) -> Vec<RunResult> {
    run_points_until(points, trials, progress, &AtomicBool::new(false)).expect("never cancelled")
}

/// Like [`run_points`], but stops once `cancel` is set.
pub fn run_points_until(
    points: &[Scenario],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<Vec<RunResult>, Cancelled> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let prices = price_only_points(points);
    let Some(prices) = prices else {
        let mut done = 0;
        return points
            .iter()
            .map(|p| {
                let r =
                    Engine::new(p).run_until(trials.clone(), &mut |d| progress(done + d), cancel);
                done += p.simulation().households * p.months() as u64 * (trials.end - trials.start);
                r
            })
            .collect();
    };
    let engine = Engine::new(first);
    let price_id = first
        .premium
        .as_ref()
        .expect("a price sweep has a premium")
        .price_month;
    let mut results: Vec<Vec<TrialResult>> = vec![Vec::new(); points.len()];
    engine.drive(
        &trials,
        |t| {
            let base = engine.trial_model(t);
            prices
                .iter()
                .map(|&p| base.with_premium_price(price_id, p))
                .collect::<Vec<_>>()
        },
        |models, b| {
            let (first_h, last_h) = engine.households_of(b);
            household::simulate_block_price_sweep(
                &models[0],
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
        |models, accs| {
            for (k, (model, acc)) in models.iter().zip(&accs).enumerate() {
                results[k].push(finalize::finalize(&points[k], &engine.layout, model, acc));
            }
        },
        progress,
        cancel,
    )?;
    Ok(results
        .into_iter()
        .map(|trials_k| RunResult {
            layout: engine.layout.clone(),
            first_trial: trials.start,
            trials: trials_k,
        })
        .collect())
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
    /// what the finalisation reads, and reuse the plain run's households).
    pub simulated: usize,
}

/// Runs `scenario` and its pinned variants, trial by trial. A variant whose households see
/// the same model as the plain run ([`TrialModel::same_households`]) is only finalised
/// again; the others are simulated in full, block by block, in parallel. `progress` gets
/// household-months done, counting every simulated variant.
pub fn run_pinned_until(
    scenario: &Scenario,
    pins: &[Pin],
    trials: Range<u64>,
    progress: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<PinnedRuns, Cancelled> {
    let engine = Engine::new(scenario);
    let sim = scenario.simulation();
    let blocks = engine.blocks();
    let months = scenario.months() as u64;
    let mut base = Vec::new();
    let mut pinned = vec![Vec::new(); pins.len()];
    let mut simulated = vec![false; pins.len()];
    let mut done = 0u64;
    for t in trials.clone() {
        let plain = engine.trial_model(t);
        let variants: Vec<TrialModel> = pins
            .iter()
            .map(|&p| TrialModel::pinned(scenario, sim.seed, t, plain.values(), p))
            .collect();
        // Models to simulate: the plain one, then each variant its households can tell apart.
        let own: Vec<usize> = (0..pins.len())
            .filter(|&i| !variants[i].same_households(&plain))
            .collect();
        let models: Vec<&TrialModel> = std::iter::once(&plain)
            .chain(own.iter().map(|&i| &variants[i]))
            .collect();
        let items: Vec<(usize, u64)> = (0..models.len())
            .flat_map(|m| (0..blocks).map(move |b| (m, b)))
            .collect();
        let mut accs: Vec<Option<Partial>> = vec![None; models.len()];
        for window in items.chunks(WINDOW) {
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let partials: Vec<Partial> = window
                .par_iter()
                .map(|&(m, b)| engine.simulate_block(models[m], b))
                .collect();
            for (&(m, b), partial) in window.iter().zip(partials) {
                match &mut accs[m] {
                    Some(acc) => acc.merge(&partial),
                    slot => *slot = Some(partial),
                }
                let (first, last) = engine.households_of(b);
                done += (last - first) * months;
            }
            progress(done);
        }
        let merged = |m: usize| accs[m].as_ref().expect("every block simulated");
        base.push(engine.finalize(&plain, merged(0)));
        for (i, variant) in variants.iter().enumerate() {
            let m = own.iter().position(|&o| o == i).map_or(0, |k| k + 1);
            simulated[i] |= m > 0;
            pinned[i].push(engine.finalize(variant, merged(m)).scalars);
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
/// `trials` (what [`run_pinned_until`] reports as `simulated`; building the models only).
pub fn pinned_simulations(scenario: &Scenario, pins: &[Pin], trials: Range<u64>) -> usize {
    let seed = scenario.simulation().seed;
    let mut own = vec![false; pins.len()];
    for trial in trials {
        let plain = TrialModel::new(scenario, seed, trial);
        for (flag, &p) in own.iter_mut().zip(pins) {
            *flag = *flag
                || !TrialModel::pinned(scenario, seed, trial, plain.values(), p)
                    .same_households(&plain);
        }
    }
    own.iter().filter(|&&f| f).count()
}

/// The premium prices of the points, if the points differ in nothing else.
fn price_only_points(points: &[Scenario]) -> Option<Vec<f64>> {
    let first = &points[0];
    let premium = first.premium.as_ref()?;
    let key = first.params.get(premium.price_month).key();
    let mut prices = Vec::with_capacity(points.len());
    for p in points {
        if !p.same_except(first, key) {
            return None;
        }
        let id = p.premium.as_ref()?.price_month;
        match p.params.get(id).dist() {
            crate::sampling::Dist::Fixed(x) => prices.push(*x),
            _ => return None,
        }
    }
    Some(prices)
}
