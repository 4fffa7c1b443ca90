//! From arguments to a job: run settings, the output folder, the shard, the thread pool and
//! the budget a command may spend without `--allow-large`.

use std::path::{Path, PathBuf};

use super::CliError;
use super::args::RunOptions;
use crate::job::{Budget, Settings};
use crate::shard::Shard;

/// Household-months above which a run needs `--allow-large` (about half an hour here).
const LARGE_WORK: f64 = 1e12;
/// Result memory above which a run needs `--allow-large`.
const LARGE_MEMORY: f64 = 8e9;
/// Household-months per second per thread, measured on this machine kind (conservative).
const THROUGHPUT_PER_THREAD: f64 = 2.5e8;

impl RunOptions {
    /// The run settings of a job.
    pub fn settings(&self) -> Settings {
        Settings {
            households: self.households,
            trials: self.trials,
            seed: self.seed,
            sampling: self.sampling.map(|m| m.method()),
            set: self.set.clone(),
        }
    }

    /// The shard of this task: `--shard`, else the array-job environment, else none.
    pub fn shard(&self) -> Result<Option<Shard>, CliError> {
        match &self.shard {
            Some(s) => Shard::parse(s).map(Some).map_err(CliError::Input),
            None => Shard::from_env(|k| std::env::var(k).ok(), self.shard_count)
                .map_err(CliError::Input),
        }
    }
}

/// `--out`, or `output/<prefix><scenario file stem><suffix>/`; an existing file is refused.
pub(super) fn out_dir(
    out: &Option<PathBuf>,
    scenario: &str,
    prefix: &str,
    suffix: &str,
) -> Result<PathBuf, CliError> {
    let dir = match out {
        Some(d) => d.clone(),
        None => {
            let stem = Path::new(scenario)
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("output").join(format!("{prefix}{stem}{suffix}"))
        }
    };
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Other(anyhow::anyhow!(
            "cannot write results to {}: it exists and is not a folder",
            crate::format::path(&dir)
        )));
    }
    Ok(dir)
}

/// Most worker threads `--threads` may ask for. The engine is bound by the processor, so
/// workers beyond the cores only take turns; and idle rayon workers look for work in each
/// other's queues when they start, so starting them costs time that grows with the square
/// of their number (on 2 cores, 1,000 workers take seconds before a tiny run can start,
/// 10,000 more than a minute). 256 is above the cores of the machines this tool runs on
/// and still starts in a fraction of a second.
const MAX_THREADS: usize = 256;

/// The number of workers `--threads` asks for (default: all cores, at most
/// [`MAX_THREADS`]).
pub(super) fn thread_count(threads: Option<usize>) -> Result<usize, CliError> {
    Ok(match threads {
        Some(0) => {
            return Err(CliError::Input(
                "--threads: expected at least 1 thread, got 0".into(),
            ));
        }
        Some(n) if n > MAX_THREADS => {
            return Err(CliError::Input(format!(
                "--threads {n}: expected at most {MAX_THREADS} threads; more threads than cores do not make a run faster (without --threads a run uses every core)"
            )));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS)),
    })
}

/// A rayon pool of [`thread_count`] workers.
pub(super) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let n = thread_count(threads)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| CliError::Other(anyhow::anyhow!("cannot start {n} worker threads: {e}")))
}

/// Checks the work and result memory of a job before any work starts.
pub(super) fn check_budget(
    budget: &Budget,
    threads: usize,
    allow_large: bool,
) -> Result<(), CliError> {
    let (work, memory) = (budget.work(), budget.memory());
    if allow_large || (work <= LARGE_WORK && memory <= LARGE_MEMORY) {
        return Ok(());
    }
    let seconds = work / (THROUGHPUT_PER_THREAD * threads as f64);
    let time = if seconds > 3600.0 {
        format!("{:.1} hours", seconds / 3600.0)
    } else {
        format!("{:.0} minutes", seconds / 60.0)
    };
    let size = if memory >= 1e9 {
        format!("{:.1} GB", memory / 1e9)
    } else {
        format!("{:.0} MB", memory / 1e6)
    };
    Err(CliError::Input(format!(
        "this request is {work:.2e} household-months ({} households x {} months x {} trials x {} run(s)): about {time} on {threads} thread(s) and {size} of memory for the per-trial results; the limits are {LARGE_WORK:.0e} household-months and {:.0} GB. Reduce --households or --trials, or pass --allow-large to run it anyway",
        budget.households,
        budget.months,
        budget.trials,
        budget.runs,
        LARGE_MEMORY / 1e9
    )))
}
