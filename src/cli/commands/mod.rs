//! One small file per command; [`run_job`] is the pipeline the simulating commands share:
//! plan → output folder → shard → budget → simulate all trials (then publish the
//! results) or one shard's (then write its part).

pub(super) mod backtest;
pub(super) mod calibrate;
pub(super) mod compare;
pub(super) mod merge;
pub(super) mod report;
pub(super) mod run;
pub(super) mod sensitivity;
pub(super) mod sweep;
pub(super) mod validate;

use std::path::PathBuf;
use std::time::Instant;

use super::CliError;
use super::args::RunOptions;
use super::options::{check_budget, out_dir, thread_pool};
use super::output::{Show, interruption, open_folder, publish, write_part};
use super::progress;
use crate::job::{Control, Job};
use crate::results::Results;
use crate::results::folder::Access;
use crate::shard::PartHeader;

/// Where a command writes by default: `output/<prefix><stem><suffix>/`.
pub(super) struct Naming {
    pub prefix: &'static str,
    pub suffix: &'static str,
}

/// Runs a job: all trials (then writes and prints its results), or one shard's trials
/// (then writes its part file).
pub(super) fn run_job(
    job: Job,
    out: &Option<PathBuf>,
    options: &RunOptions,
    naming: Naming,
    show: Show,
) -> Result<Option<Results>, CliError> {
    let plan = job.plan()?;
    let dir = out_dir(out, &job.inputs()[0].origin, naming.prefix, naming.suffix)?;
    let shard = options.shard()?;
    if let (Some(_), Some(why)) = (shard, plan.shard_refusal()) {
        return Err(CliError::Input(why.into()));
    }
    if shard.is_some() && !plan.shardable() {
        return Err(CliError::Input(
            "--precision decides the number of trials as it goes, so it cannot run as shards (--shard or an array job's environment); run it unsharded, or shard a plain run with the --trials it reported".into(),
        ));
    }
    let sim = plan.scenario().simulation();
    if let Some(s) = shard.filter(|s| s.count > sim.trials) {
        return Err(CliError::Input(format!(
            "shard {}/{}: {} shards is more than the {} trials; use at most {} shards",
            s.index, s.count, s.count, sim.trials, sim.trials
        )));
    }
    let access = if shard.is_some() {
        Access::Add
    } else {
        Access::Replace
    };
    // Held until the results are published: a second writer is refused meanwhile.
    let mut folder = open_folder(&dir, access, options.force)?;
    let pool = thread_pool(options.threads)?;
    check_budget(
        &plan.budget(),
        pool.current_num_threads(),
        options.allow_large,
    )?;
    progress::handle_interrupts();
    let trials = shard.map_or(0..sim.trials, |s| s.trials(sim.trials));
    let bar = progress::bar(plan.progress_total(&trials), options.quiet);
    let control = Control {
        progress: &|d| bar.set_position(d),
        cancel: &progress::INTERRUPTED,
    };
    let started = Instant::now();
    let Some(shard) = shard else {
        let results = pool.install(|| plan.execute(&control));
        bar.finish_and_clear();
        let results = results.map_err(|e| interruption(&folder, e.into()))?;
        publish(&results, &mut folder, &show)?;
        return Ok(Some(results));
    };
    let simulated = pool.install(|| plan.simulate(trials, &control));
    bar.finish_and_clear();
    let simulated = simulated.map_err(|e| interruption(&folder, e.into()))?;
    let wall = started.elapsed().as_secs_f64();
    let header = PartHeader {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        job,
        households: sim.households,
        trials: sim.trials,
        seed: sim.seed,
        shard,
        top: show.top,
        wall_seconds: wall,
    };
    write_part(
        &mut folder,
        &header,
        &simulated.into_parts(),
        wall,
        show.format,
    )?;
    Ok(None)
}
