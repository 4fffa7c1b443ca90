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

use rayon::prelude::*;

pub use finalize::TrialResult;
pub use household::BLOCK_SIZE;
pub use metrics::{Kind, Layout, MetricDef};
pub use model::TrialModel;
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
        let n = self.scenario.simulation().households;
        let first = block * BLOCK_SIZE;
        let last = (first + BLOCK_SIZE).min(n);
        household::simulate_block(model, self.shape, &self.keys, block, first, last)
    }

    /// Turns a trial's merged partial into its figures.
    pub fn finalize(&self, model: &TrialModel, merged: &Partial) -> TrialResult {
        finalize::finalize(self.scenario, &self.layout, model, merged)
    }

    /// Runs `trials` on the current rayon pool. `progress` receives the number of nominal
    /// household-months completed so far (called from the coordinating thread only).
    pub fn run(&self, trials: Range<u64>, progress: &mut dyn FnMut(u64)) -> RunResult {
        let sim = self.scenario.simulation();
        let blocks = self.blocks();
        let months = self.scenario.months() as u64;
        let items: Vec<(u64, u64)> = trials
            .clone()
            .flat_map(|t| (0..blocks).map(move |b| (t, b)))
            .collect();
        let mut results = Vec::with_capacity((trials.end - trials.start) as usize);
        let mut current: Option<(u64, TrialModel, Partial)> = None;
        let mut done = 0u64;
        for window in items.chunks(WINDOW) {
            // Models of the trials this window touches (at most WINDOW + 1).
            let mut models: Vec<(u64, TrialModel)> = Vec::new();
            for &(t, _) in window {
                if models.last().map(|(m, _)| *m) != Some(t) {
                    let model = match &current {
                        Some((ct, m, _)) if *ct == t => m.clone(),
                        _ => self.trial_model(t),
                    };
                    models.push((t, model));
                }
            }
            let partials: Vec<Partial> = window
                .par_iter()
                .map(|&(t, b)| {
                    let model = &models.iter().find(|(m, _)| *m == t).expect("model built").1;
                    self.simulate_block(model, b)
                })
                .collect();
            for (&(t, b), partial) in window.iter().zip(partials) {
                match &mut current {
                    Some((ct, _, acc)) if *ct == t => acc.merge(&partial),
                    _ => {
                        let model = models
                            .iter()
                            .find(|(m, _)| *m == t)
                            .expect("model built")
                            .1
                            .clone();
                        current = Some((t, model, partial));
                    }
                }
                let n_in_block = (sim.households - b * BLOCK_SIZE).min(BLOCK_SIZE);
                done += n_in_block * months;
                if b + 1 == blocks {
                    let (_, model, acc) = current.take().expect("a trial in progress");
                    results.push(self.finalize(&model, &acc));
                }
            }
            progress(done);
        }
        RunResult {
            layout: self.layout.clone(),
            first_trial: trials.start,
            trials: results,
        }
    }
}
