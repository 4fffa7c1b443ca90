//! The command line: argument definitions and the commands behind them.
//!
//! This is the only module that touches the terminal and the file system on behalf of a
//! user: it loads scenarios, runs the engine on a rayon pool of the requested size, shows a
//! progress bar on stderr, prints the summary on stdout and writes the output files.
//! Errors are classified into exit codes: 2 for a bad scenario or arguments, 1 otherwise.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::design::Sampling;
use crate::engine::Engine;
use crate::output::{self, Report};
use crate::scenario::raw::RawRun;
use crate::scenario::{MAX_HOUSEHOLDS, MAX_TRIALS, Override, Scenario, ScenarioError};

/// Simulates what households do with voice-assistant devices sold at or below cost, and
/// whether it pays the devices back.
#[derive(Debug, Parser)]
#[command(name = "downstream", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write summary, monthly, yearly and per-trial results.
    Run(RunArgs),
    /// Check scenario files and report every problem found.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Compare scenarios with the base on common random numbers (paired differences).
    Compare(CompareArgs),
    /// Sweep one or more parameters over a grid and find the best point.
    Sweep(SweepArgs),
    /// Which uncertain assumptions drive a metric: rank correlations and swings (tornado).
    Sensitivity(SensitivityArgs),
    /// Check a scenario's simulated figures against known ones (exit 3 if any misses).
    Backtest(BacktestArgs),
    /// Merge the part files of a sharded run, sweep or compare into its results.
    Merge(MergeArgs),
    /// Write report.html (and with --xlsx results.xlsx) for a folder of results.
    Report {
        /// A folder written by run, sweep, compare, sensitivity or merge.
        dir: PathBuf,
        /// Also write results.xlsx.
        #[arg(long)]
        xlsx: bool,
    },
    /// Print the JSON Schema (draft 2020-12) of the scenario format, for editors.
    Schema,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BacktestArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Targets file (TOML, [[target]] tables).
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Output folder (default: output/<scenario file stem>-backtest/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The scalar metric to explain (a row of summary.csv).
    #[arg(long, value_name = "NAME", default_value = "npv_net_incremental")]
    pub metric: String,
    /// Also correlate each parameter with the metric in each year or month
    /// (sensitivity_by_period.csv).
    #[arg(long, value_enum, value_name = "PERIOD")]
    pub by: Option<crate::sensitivity::By>,
    /// Rows of the tornado printed on stdout (tornado.csv has all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Output folder (default: output/<scenario file stem>-sensitivity/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The base scenario.
    pub base: PathBuf,
    /// Scenarios to compare with the base.
    #[arg(required = true)]
    pub others: Vec<PathBuf>,
    /// Output folder (default: output/compare-<base file stem>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// KEY=START:STOP:STEP or KEY=V1,V2,... (repeat for a full grid).
    #[arg(long, required = true, value_name = "SPEC")]
    pub vary: Vec<String>,
    /// Output folder (default: output/<scenario file stem>-sweep/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
}

/// Options shared by the commands that run simulations.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOptions {
    /// Simulated households per trial (overrides [simulation] households).
    #[arg(long, value_name = "N")]
    pub households: Option<u64>,
    /// Trials, i.e. draws of the uncertain parameters (overrides [simulation] trials).
    #[arg(long, value_name = "N")]
    pub trials: Option<u64>,
    /// Master seed (overrides [simulation] seed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// How trials draw the uncertain parameters: mc (plain Monte Carlo) or lhs (Latin
    /// hypercube in blocks of 100 trials). Overrides [simulation] sampling.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub sampling: Option<SamplingArg>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Set any parameter by dotted key, e.g. premium.price_month=7.5 or
    /// 'purchase.voice_shopping.conversion={dist="beta",alpha=2,beta=300}'. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write into an existing non-empty --out folder that the tool did not create.
    #[arg(long)]
    pub force: bool,
    /// Run even if the work exceeds 1e12 household-months or the results need more than
    /// 8 GB of memory.
    #[arg(long)]
    pub allow_large: bool,
    /// Run only shard I of N (a slice of the trials) and write part-I-of-N.bin for
    /// `downstream merge`. Without it, Slurm, AWS Batch and Kubernetes array variables set one.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Number of shards, for engines whose environment gives only the index (Kubernetes).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u64>,
    /// Also write report.html (charts; self-contained, opens offline).
    #[arg(long)]
    pub report: bool,
    /// Also write results.xlsx (one sheet per CSV, native charts).
    #[arg(long)]
    pub xlsx: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// Folder holding part-I-of-N.bin files of one sharded job.
    pub parts: PathBuf,
    /// Output folder for the merged results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Worker threads (recorded only; merging does no simulation).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Write into an existing non-empty folder that the tool did not create.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder (default: output/<scenario file stem>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
    /// How to print the summary on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Add trials in batches of 100 until the 95% half-width of --metric's mean is within
    /// this share of the mean, e.g. 1%; the trials of the scenario (or --trials) are the
    /// first batch.
    #[arg(long, value_name = "PCT", requires = "metric")]
    pub precision: Option<String>,
    /// The metric --precision watches (a row of summary.csv).
    #[arg(long, value_name = "NAME", requires = "precision")]
    pub metric: Option<String>,
    /// With --precision: stop at this many trials if the precision is not reached
    /// (default 10000, or the scenario's trials if more).
    #[arg(long, value_name = "N", requires = "precision")]
    pub max_trials: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    Mc,
    Lhs,
}

impl SamplingArg {
    fn method(self) -> Sampling {
        match self {
            SamplingArg::Mc => Sampling::MonteCarlo,
            SamplingArg::Lhs => Sampling::LatinHypercube,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// A failed command, with the exit status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad scenario or bad arguments: exit status 2.
    #[error("{0}")]
    Input(String),
    /// Several scenario problems, already printed: exit status 2.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Anything else (I/O, ...): exit status 1.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
    /// Interrupted by Ctrl-C (SIGINT) or SIGTERM: exit status 130.
    #[error("interrupted; no results were written")]
    Interrupted,
    /// A backtest ran and some targets were missed: exit status 3.
    #[error("{missed} of {total} required backtest targets missed")]
    Missed { missed: usize, total: usize },
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) | CliError::Scenario(_) => 2,
            CliError::Other(_) => 1,
            CliError::Missed { .. } => 3,
            CliError::Interrupted => 130,
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run(&args),
        Command::Validate { files } => validate(&files),
        Command::Compare(args) => compare(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Backtest(args) => backtest(&args),
        Command::Sensitivity(args) => sensitivity(&args),
        Command::Merge(args) => merge(&args),
        Command::Report { dir, xlsx } => {
            handle_interrupts();
            write_reports(&dir, true, xlsx)?;
            println!("wrote {}", dir.join("report.html").display());
            Ok(())
        }
        Command::Schema => {
            println!("{}", crate::schema::json_schema());
            Ok(())
        }
    }
}

/// Loads a scenario with `--set` overrides and the command-line run settings applied.
pub fn load_scenario(path: &Path, options: &RunOptions) -> Result<Scenario, CliError> {
    let text = crate::scenario::error::read_source(path)?;
    load_scenario_text(&path.display().to_string(), &text, options)
}

/// Like [`load_scenario`], from the text of a file named `origin`.
pub fn load_scenario_text(
    origin: &str,
    text: &str,
    options: &RunOptions,
) -> Result<Scenario, CliError> {
    let overrides = options
        .set
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let mut scenario = Scenario::parse(origin, text, &overrides)?;
    let mut sim = scenario.simulation();
    let bounded = |flag: &str, value: Option<u64>, max: u64, current: u64| match value {
        Some(v) if v < 1 || v > max => Err(CliError::Input(format!(
            "{flag} {v}: expected a whole number from 1 to {max}"
        ))),
        Some(v) => Ok(v),
        None => Ok(current),
    };
    sim.households = bounded(
        "--households",
        options.households,
        MAX_HOUSEHOLDS,
        sim.households,
    )?;
    sim.trials = bounded("--trials", options.trials, MAX_TRIALS, sim.trials)?;
    if let Some(s) = options.seed {
        sim.seed = s;
    }
    if let Some(m) = options.sampling {
        sim.sampling = m.method();
    }
    scenario.set_simulation(sim).map_err(CliError::Input)?;
    Ok(scenario)
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    let n = match threads {
        Some(0) => {
            return Err(CliError::Input(
                "--threads: expected at least 1 thread, got 0".into(),
            ));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| CliError::Other(anyhow::anyhow!("cannot start {n} worker threads: {e}")))
}

fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% household-months, ETA {eta}",
        )
        .expect("a valid template"),
    );
    bar
}

/// `--out`, or `output/<scenario file stem><suffix>/`; an existing file is refused.
fn out_dir(
    out: &Option<PathBuf>,
    scenario: &Path,
    prefix: &str,
    suffix: &str,
) -> Result<PathBuf, CliError> {
    let dir = match out {
        Some(d) => d.clone(),
        None => {
            let stem = scenario
                .file_stem()
                .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("output").join(format!("{prefix}{stem}{suffix}"))
        }
    };
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Other(anyhow::anyhow!(
            "cannot write results to {}: it exists and is not a folder",
            dir.display()
        )));
    }
    Ok(dir)
}

fn write(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), CliError> {
    output::write_files_unless(dir, files, &INTERRUPTED).map_err(|e| {
        if INTERRUPTED.load(Ordering::SeqCst) {
            CliError::Interrupted
        } else {
            CliError::Other(anyhow::anyhow!(
                "cannot write results to {}: {e}",
                dir.display()
            ))
        }
    })
}

/// Refuses to write into a non-empty folder the tool did not create, unless forced.
fn check_out_dir(dir: &Path, force: bool) -> Result<(), CliError> {
    if force || output::is_result_folder(dir) {
        return Ok(());
    }
    Err(CliError::Input(format!(
        "--out {}: the folder is not empty and was not written by downstream (no {} file); choose another folder or pass --force to write into it",
        dir.display(),
        output::MARKER
    )))
}

/// Set by Ctrl-C (SIGINT) or SIGTERM; the engine stops between windows and no results are
/// written. A second signal exits at once.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn handle_interrupts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    });
}

/// Household-months above which a run needs `--allow-large` (about half an hour here).
const LARGE_WORK: f64 = 1e12;
/// Result memory above which a run needs `--allow-large`.
const LARGE_MEMORY: f64 = 8e9;
/// Household-months per second per thread, measured on this machine kind (conservative).
const THROUGHPUT_PER_THREAD: f64 = 2.5e8;

/// Numbers kept per trial of one run: monthly, yearly and horizon figures of every metric.
fn values_per_trial(scenario: &Scenario) -> f64 {
    let metrics = crate::engine::Layout::new(scenario).len() as f64;
    let years = (scenario.months() as f64 / 12.0).ceil() + 1.0;
    (scenario.months() as f64 + years + 2.0) * metrics
}

/// What a command will do: `runs` simulations of the scenario's size, keeping `kept`
/// numbers per trial.
struct Budget {
    runs: u64,
    kept: f64,
}

impl Budget {
    /// `runs` runs that each keep all their per-trial results.
    fn runs(scenario: &Scenario, runs: u64) -> Budget {
        Budget {
            runs,
            kept: runs as f64 * values_per_trial(scenario),
        }
    }
}

/// Checks the work and result memory of a command before any work starts.
fn check_budget(
    scenario: &Scenario,
    budget: &Budget,
    threads: usize,
    options: &RunOptions,
) -> Result<(), CliError> {
    let sim = scenario.simulation();
    let runs = budget.runs;
    let work = sim.households as f64 * scenario.months() as f64 * sim.trials as f64 * runs as f64;
    let memory = sim.trials as f64 * budget.kept * 8.0;
    if options.allow_large || (work <= LARGE_WORK && memory <= LARGE_MEMORY) {
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
        "this request is {work:.2e} household-months ({} households x {} months x {} trials x {runs} run(s)): about {time} on {threads} thread(s) and {size} of memory for the per-trial results; the limits are {LARGE_WORK:.0e} household-months and {:.0} GB. Reduce --households or --trials, or pass --allow-large to run it anyway",
        sim.households,
        scenario.months(),
        sim.trials,
        LARGE_MEMORY / 1e9
    )))
}

/// Everything a command checks before starting work: the output folder, the budget, the
/// thread pool, the interrupt handler.
fn prepare(
    dir: &Path,
    scenario: &Scenario,
    budget: Budget,
    options: &RunOptions,
) -> Result<rayon::ThreadPool, CliError> {
    check_out_dir(dir, options.force)?;
    let pool = thread_pool(options.threads)?;
    check_budget(scenario, &budget, pool.current_num_threads(), options)?;
    handle_interrupts();
    Ok(pool)
}

fn cancelled(_: crate::engine::Cancelled) -> CliError {
    CliError::Interrupted
}

fn csv_err(e: csv::Error) -> CliError {
    CliError::Other(anyhow::anyhow!("formatting CSV: {e}"))
}

fn run_facts(sim: crate::scenario::Simulation, threads: usize, wall: f64) -> RawRun {
    RawRun {
        tool_version: Some(env!("CARGO_PKG_VERSION").into()),
        seed: Some(sim.seed as i64),
        households: Some(sim.households as i64),
        trials: Some(sim.trials as i64),
        threads: Some(threads as i64),
        wall_seconds: Some((wall * 1000.0).round() / 1000.0),
    }
}

/// What `run`, `compare` and `sweep` share, and what a sharded part records so that
/// `merge` can redo everything but the simulation.
struct Job {
    command: &'static str,
    /// The scenario files as given on the command line, with their content.
    inputs: Vec<(String, String)>,
    options: RunOptions,
    vary: Vec<String>,
}

/// A job's scenarios, checked: one for `run`, the base and the others for `compare`, the
/// base for `sweep` (whose points are built by [`points`]).
struct Plan {
    scenarios: Vec<Scenario>,
    axes: Vec<crate::sweep::Axis>,
    grid: Vec<Vec<usize>>,
}

impl Plan {
    /// Number of runs (scenarios or grid points), for the budget.
    fn runs(&self) -> u64 {
        if self.axes.is_empty() {
            self.scenarios.len() as u64
        } else {
            self.grid.len() as u64
        }
    }
}

fn read_inputs(paths: &[&PathBuf]) -> Result<Vec<(String, String)>, CliError> {
    paths
        .iter()
        .map(|p| {
            Ok((
                p.display().to_string(),
                crate::scenario::error::read_source(p)?,
            ))
        })
        .collect()
}

fn plan(job: &Job) -> Result<Plan, CliError> {
    let load = |(origin, text): &(String, String), options: &RunOptions| {
        load_scenario_text(origin, text, options)
    };
    let mut scenarios = vec![load(&job.inputs[0], &job.options)?];
    for input in &job.inputs[1..] {
        let mut s = load(input, &job.options)?;
        let b = &scenarios[0];
        if s.start() != b.start() || s.months() != b.months() {
            return Err(CliError::Input(format!(
                "{}: the horizon ({} for {} months) differs from the base {} ({} for {} months); compare needs the same start and months",
                input.0,
                s.start(),
                s.months(),
                job.inputs[0].0,
                b.start(),
                b.months()
            )));
        }
        // The base's run settings, unless given on the command line (they were applied).
        s.set_simulation(b.simulation()).map_err(CliError::Input)?;
        scenarios.push(s);
    }
    let axes = job
        .vary
        .iter()
        .map(|v| crate::sweep::Axis::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let grid = if axes.is_empty() {
        Vec::new()
    } else {
        crate::sweep::grid(&axes).map_err(CliError::Input)?
    };
    // Every value of every axis is checked on its own, so a bad key or value is reported
    // before the budget is checked and before the whole grid is built.
    for axis in &axes {
        for value in &axis.values {
            with_sets(job, std::iter::once(format!("{}={value}", axis.key)))?;
        }
    }
    Ok(Plan {
        scenarios,
        axes,
        grid,
    })
}

fn with_sets(job: &Job, sets: impl Iterator<Item = String>) -> Result<Scenario, CliError> {
    let mut options = job.options.clone();
    options.set.extend(sets);
    load_scenario_text(&job.inputs[0].0, &job.inputs[0].1, &options)
}

/// The scenarios to simulate: the plan's, or one per grid point for a sweep.
fn points(job: &Job, plan: &Plan) -> Result<Vec<Scenario>, CliError> {
    if plan.axes.is_empty() {
        return Ok(plan.scenarios.clone());
    }
    plan.grid
        .iter()
        .map(|point| {
            with_sets(
                job,
                plan.axes
                    .iter()
                    .zip(point)
                    .map(|(a, &i)| format!("{}={}", a.key, a.values[i])),
            )
        })
        .collect()
}

/// The shard of this task: `--shard`, else the array-job environment, else none.
fn shard(options: &RunOptions) -> Result<Option<crate::shard::Shard>, CliError> {
    match &options.shard {
        Some(s) => crate::shard::Shard::parse(s)
            .map(Some)
            .map_err(CliError::Input),
        None => crate::shard::Shard::from_env(|k| std::env::var(k).ok(), options.shard_count)
            .map_err(CliError::Input),
    }
}

/// Runs a job: all trials (then writes the command's files), or one shard's trials (then
/// writes its part file).
fn execute_job(job: &Job, out: &Option<PathBuf>, format: Format) -> Result<(), CliError> {
    let plan = plan(job)?;
    let first = Path::new(&job.inputs[0].0);
    let (prefix, suffix) = match job.command {
        "compare" => ("compare-", ""),
        "sweep" => ("", "-sweep"),
        _ => ("", ""),
    };
    let dir = out_dir(out, first, prefix, suffix)?;
    let shard = shard(&job.options)?;
    let pool = prepare(
        &dir,
        &plan.scenarios[0],
        Budget::runs(&plan.scenarios[0], plan.runs()),
        &job.options,
    )?;
    let scenarios = points(job, &plan)?;
    let sim = scenarios[0].simulation();
    let trials = shard.map_or(0..sim.trials, |s| s.trials(sim.trials));
    let per_run = sim.households * (trials.end - trials.start) * scenarios[0].months() as u64;
    let bar = progress_bar(per_run * scenarios.len() as u64, job.options.quiet);
    let started = Instant::now();
    let runs = pool
        .install(|| {
            if job.command == "compare" {
                let mut done = 0;
                scenarios
                    .iter()
                    .map(|s| {
                        let r = Engine::new(s).run_until(
                            trials.clone(),
                            &mut |d| bar.set_position(done + d),
                            &INTERRUPTED,
                        );
                        done += per_run;
                        r
                    })
                    .collect::<Result<Vec<_>, _>>()
            } else {
                crate::engine::run_points_until(
                    &scenarios,
                    trials.clone(),
                    &mut |d| bar.set_position(d),
                    &INTERRUPTED,
                )
            }
        })
        .map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let facts = run_facts(sim, pool.current_num_threads(), wall);
    match shard {
        Some(shard) => {
            let header = crate::shard::PartHeader {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                command: job.command.into(),
                inputs: job.inputs.clone(),
                set: job.options.set.clone(),
                vary: job.vary.clone(),
                households: sim.households,
                trials: sim.trials,
                seed: sim.seed,
                shard,
                sensitivity: None,
            };
            write_part(&dir, &header, &runs, wall)
        }
        None => emit(job, &plan, &scenarios, &runs, &dir, facts, format, wall, ""),
    }
}

/// Writes report.html and/or results.xlsx, built from the files of a result folder.
fn write_reports(dir: &Path, html: bool, xlsx: bool) -> Result<(), CliError> {
    let failed = |what: &str, e: anyhow::Error| {
        CliError::Other(e.context(format!("cannot build {what} for {}", dir.display())))
    };
    if (html || xlsx) && !dir.join(output::MARKER).exists() {
        return Err(CliError::Input(format!(
            "{}: not a folder of results (no {}); expected a folder written by run, sweep, compare, sensitivity or merge",
            dir.display(),
            output::MARKER
        )));
    }
    if html {
        let page = crate::report::html(dir).map_err(|e| failed("report.html", e))?;
        write(dir, &[("report.html", page.into_bytes())])?;
    }
    if xlsx {
        let book = crate::xlsx::workbook(dir).map_err(|e| failed("results.xlsx", e))?;
        write(dir, &[("results.xlsx", book)])?;
    }
    Ok(())
}

/// Writes and prints a job's results: the same for a whole run and for a merge of shards.
#[allow(clippy::too_many_arguments)]
fn emit(
    job: &Job,
    plan: &Plan,
    scenarios: &[Scenario],
    runs: &[crate::engine::RunResult],
    dir: &Path,
    facts: RawRun,
    format: Format,
    wall: f64,
    note: &str,
) -> Result<(), CliError> {
    let sim = scenarios[0].simulation();
    let trials = sim.trials as usize;
    match job.command {
        "compare" => {
            let names: Vec<String> = job.inputs.iter().map(|(n, _)| n.clone()).collect();
            let rows = crate::compare::rows(&names, runs);
            let mut files = vec![(
                "compare.csv".to_string(),
                crate::compare::compare_csv(&rows).map_err(csv_err)?,
            )];
            for (i, ((path, _), s)) in job.inputs.iter().zip(scenarios).enumerate() {
                let stem = Path::new(path)
                    .file_stem()
                    .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
                // Numbered: 0 is the base, and one file may be compared with itself.
                files.push((
                    format!("{i}-{stem}.resolved.toml"),
                    s.resolved_toml(Some(facts.clone())).into_bytes(),
                ));
            }
            let files: Vec<(&str, Vec<u8>)> =
                files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
            write(dir, &files)?;
            print!("{}", crate::compare::table(&names, &rows, trials));
        }
        "sweep" => {
            let best = crate::sweep::best_points(runs);
            let files = [
                (
                    "sweep.csv",
                    crate::sweep::sweep_csv(&plan.axes, &plan.grid, runs).map_err(csv_err)?,
                ),
                (
                    "sweep_trials.csv",
                    crate::sweep::sweep_trials_csv(&plan.axes, &plan.grid, runs)
                        .map_err(csv_err)?,
                ),
                (
                    "sweep_best.csv",
                    crate::sweep::best_csv(&plan.axes, &plan.grid, &best).map_err(csv_err)?,
                ),
                (
                    "scenario.resolved.toml",
                    plan.scenarios[0].resolved_toml(Some(facts)).into_bytes(),
                ),
            ];
            write(dir, &files)?;
            print!(
                "{}",
                crate::sweep::table(&plan.axes, &plan.grid, &best, trials)
            );
        }
        _ => {
            let scenario = &scenarios[0];
            let result = &runs[0];
            let report = Report::new(scenario, result);
            let files = [
                ("summary.csv", report.summary_csv().map_err(csv_err)?),
                ("monthly.csv", report.monthly_csv().map_err(csv_err)?),
                ("yearly.csv", report.yearly_csv().map_err(csv_err)?),
                (
                    "trials.csv",
                    output::trials_csv(scenario, result).map_err(csv_err)?,
                ),
                (
                    "scenario.resolved.toml",
                    scenario.resolved_toml(Some(facts)).into_bytes(),
                ),
            ];
            write(dir, &files)?;
            if format == Format::Json {
                write_reports(dir, job.options.report, job.options.xlsx)?;
                print!("{}", output::summary_json(scenario, &report, trials));
                eprint!("{note}");
                return Ok(());
            }
            print!("{}", output::summary_table(scenario, &report, trials));
            print!("{note}");
        }
    }
    write_reports(dir, job.options.report, job.options.xlsx)?;
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    Ok(())
}

impl RunOptions {
    /// The options of a job: `--sampling` also written as a `--set`, so that the part
    /// files of a sharded job record it for `merge`.
    fn for_job(&self) -> RunOptions {
        let mut options = self.clone();
        if let Some(m) = self.sampling {
            options
                .set
                .push(format!("simulation.sampling={}", m.method().name()));
        }
        options
    }
}

fn run(args: &RunArgs) -> Result<(), CliError> {
    let job = Job {
        command: "run",
        inputs: read_inputs(&[&args.scenario])?,
        options: args.options.for_job(),
        vary: vec![],
    };
    match &args.precision {
        Some(precision) => run_to_precision(args, &job, precision),
        None => execute_job(&job, &args.out, args.format),
    }
}

/// Parses `--precision`: a percentage such as `1%` or `0.5%`.
fn parse_precision(text: &str) -> Result<f64, CliError> {
    let bad = || {
        CliError::Input(format!(
            "--precision {text}: expected a percentage of the mean above 0%, such as 1% or 0.5%"
        ))
    };
    let pct: f64 = text
        .trim()
        .strip_suffix('%')
        .ok_or_else(bad)?
        .trim()
        .parse()
        .map_err(|_| bad())?;
    if !(pct > 0.0 && pct <= 100.0) {
        return Err(bad());
    }
    Ok(pct / 100.0)
}

/// Trials added per step of `--precision` (one design block).
const PRECISION_BATCH: u64 = crate::design::BLOCK;

/// `run --precision`: the scenario's trials, then batches of [`PRECISION_BATCH`] until the
/// 95% half-width of the metric's mean is within the target share of the mean or
/// `--max-trials` is reached. Every decision depends only on the results so far, and a
/// trial's results do not depend on how many trials run, so the output is the same as
/// `run --trials N` with the N it stopped at.
fn run_to_precision(args: &RunArgs, job: &Job, precision: &str) -> Result<(), CliError> {
    let target = parse_precision(precision)?;
    let metric = args.metric.as_deref().expect("clap requires --metric");
    if shard(&job.options)?.is_some() {
        return Err(CliError::Input(
            "--precision decides the number of trials as it goes, so it cannot run as shards (--shard or an array job's environment); run it unsharded, or shard a plain run with the --trials it reported".into(),
        ));
    }
    let mut scenario = load_scenario_text(&job.inputs[0].0, &job.inputs[0].1, &job.options)?;
    let mut sim = scenario.simulation();
    let max_trials = args.max_trials.unwrap_or(sim.trials.max(10_000));
    if max_trials < sim.trials || max_trials > MAX_TRIALS {
        return Err(CliError::Input(format!(
            "--max-trials {}: expected a whole number from the first batch's {} trials to {MAX_TRIALS}",
            max_trials, sim.trials
        )));
    }
    let layout = crate::engine::Layout::new(&scenario);
    let (j, _) =
        crate::sensitivity::metric_indices(&layout, metric, None).map_err(CliError::Input)?;
    let dir = out_dir(&args.out, &args.scenario, "", "")?;
    let capped = {
        let mut s = scenario.clone();
        sim.trials = max_trials;
        s.set_simulation(sim).map_err(CliError::Input)?;
        s
    };
    let pool = prepare(&dir, &capped, Budget::runs(&capped, 1), &job.options)?;
    let per_trial = sim.households * scenario.months() as u64;
    let bar = progress_bar(per_trial * max_trials, job.options.quiet);
    let started = Instant::now();
    let engine = Engine::new(&scenario);
    let mut trials = Vec::new();
    let mut end = scenario.simulation().trials;
    let (reason, summary) = loop {
        let batch = trials.len() as u64..end;
        let done = per_trial * batch.start;
        let result = pool
            .install(|| engine.run_until(batch, &mut |d| bar.set_position(done + d), &INTERRUPTED))
            .map_err(cancelled)?;
        trials.extend(result.trials);
        let values: Vec<f64> = trials.iter().map(|t| t.scalars[j]).collect();
        let s = crate::stats::summarize(&values);
        let half = s.ci95_half_width();
        if half.is_finite() && half <= target * s.mean.abs() {
            break ("the precision was reached", s);
        }
        if end >= max_trials {
            break ("the cap of --max-trials was reached", s);
        }
        // The next multiple of the batch: whole design blocks from then on.
        end = ((end / PRECISION_BATCH + 1) * PRECISION_BATCH).min(max_trials);
    };
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    sim.trials = trials.len() as u64;
    scenario.set_simulation(sim).map_err(CliError::Input)?;
    let runs = [crate::engine::RunResult {
        layout,
        first_trial: 0,
        trials,
    }];
    let plan = Plan {
        scenarios: vec![scenario.clone()],
        axes: vec![],
        grid: vec![],
    };
    let facts = run_facts(sim, pool.current_num_threads(), wall);
    let half = summary.ci95_half_width();
    let share = if summary.mean == 0.0 {
        "the mean is 0".to_string()
    } else {
        format!("{:.2}% of the mean", 100.0 * half / summary.mean.abs())
    };
    let note = format!(
        "precision: {metric} mean {} ± {} (95%), {share}, target {}%, after {} trials; stopped because {reason}\n",
        num_text(summary.mean),
        num_text(half),
        100.0 * target,
        sim.trials,
    );
    emit(
        job,
        &plan,
        &[scenario],
        &runs,
        &dir,
        facts,
        args.format,
        wall,
        &note,
    )
}

/// A number for a one-line message: 4 significant digits.
fn num_text(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4e}")
    } else {
        "undefined".into()
    }
}

/// `downstream sensitivity`: all trials (then the tornado), or one shard's (then its part).
fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let inputs = read_inputs(&[&args.scenario])?;
    let options = args.options.for_job();
    let scenario = load_scenario_text(&inputs[0].0, &inputs[0].1, &options)?;
    let layout = crate::engine::Layout::new(&scenario);
    crate::sensitivity::metric_indices(&layout, &args.metric, args.by).map_err(CliError::Input)?;
    let (ids, pins) = crate::sensitivity::pins(&scenario);
    if ids.is_empty() {
        return Err(CliError::Input(format!(
            "{}: no parameter is uncertain, so nothing can drive the result; give some parameters a distribution",
            args.scenario.display()
        )));
    }
    let dir = out_dir(&args.out, &args.scenario, "", "-sensitivity")?;
    let shard = shard(&options)?;
    // The variants that need their own households (as in the first trial); only the plain
    // run keeps all its figures, the variants keep their scalars.
    let budget = Budget {
        runs: 1 + crate::engine::pinned_simulations(&scenario, &pins, 0..1) as u64,
        kept: values_per_trial(&scenario) + (pins.len() * layout.scalars.len()) as f64,
    };
    let pool = prepare(&dir, &scenario, budget, &options)?;
    let sim = scenario.simulation();
    let trials = shard.map_or(0..sim.trials, |s| s.trials(sim.trials));
    let per_run = sim.households * (trials.end - trials.start) * scenario.months() as u64;
    let bar = progress_bar(per_run * (1 + pins.len() as u64), options.quiet);
    let started = Instant::now();
    let runs = pool
        .install(|| {
            crate::engine::run_pinned_until(
                &scenario,
                &pins,
                trials.clone(),
                &mut |d| bar.set_position(d),
                &INTERRUPTED,
            )
        })
        .map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let settings = crate::shard::SensitivityOptions {
        metric: args.metric.clone(),
        by: args.by.map(|b| {
            b.to_possible_value()
                .expect("a value")
                .get_name()
                .to_string()
        }),
        top: args.top,
    };
    let Some(shard) = shard else {
        let facts = run_facts(sim, pool.current_num_threads(), wall);
        return emit_sensitivity(&scenario, &runs, &settings, &dir, facts, &options, wall);
    };
    let header = crate::shard::PartHeader {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        command: "sensitivity".into(),
        inputs,
        set: options.set.clone(),
        vary: vec![],
        households: sim.households,
        trials: sim.trials,
        seed: sim.seed,
        shard,
        sensitivity: Some(settings),
    };
    write_part(&dir, &header, &crate::shard::pinned_parts(&runs), wall)
}

/// Writes one shard's part file and says what it holds.
fn write_part(
    dir: &Path,
    header: &crate::shard::PartHeader,
    runs: &[crate::engine::RunResult],
    wall: f64,
) -> Result<(), CliError> {
    let shard = header.shard;
    let trials = shard.trials(header.trials);
    write(
        dir,
        &[(&shard.file_name(), crate::shard::encode(header, runs))],
    )?;
    println!(
        "shard {}/{}: trials {}..{} of {}; wrote {} ({:.1} s); combine all shards with `downstream merge {}`",
        shard.index,
        shard.count,
        trials.start,
        trials.end,
        header.trials,
        dir.join(shard.file_name()).display(),
        wall,
        dir.display()
    );
    Ok(())
}

/// Writes and prints a sensitivity analysis: the same for a whole run and for a merge.
fn emit_sensitivity(
    scenario: &Scenario,
    runs: &crate::engine::PinnedRuns,
    settings: &crate::shard::SensitivityOptions,
    dir: &Path,
    facts: RawRun,
    options: &RunOptions,
    wall: f64,
) -> Result<(), CliError> {
    let by = match settings.by.as_deref() {
        None => None,
        Some(b) => Some(
            <crate::sensitivity::By as ValueEnum>::from_str(b, false).map_err(CliError::Input)?,
        ),
    };
    let (metric, period) =
        crate::sensitivity::metric_indices(&runs.base.layout, &settings.metric, by)
            .map_err(CliError::Input)?;
    let analysis = crate::sensitivity::analyse(scenario, runs, metric, by.zip(period));
    let mut files = vec![
        (
            "tornado.csv",
            crate::sensitivity::tornado_csv(&analysis).map_err(csv_err)?,
        ),
        (
            "scenario.resolved.toml",
            scenario.resolved_toml(Some(facts)).into_bytes(),
        ),
    ];
    if let Some(csv) = crate::sensitivity::by_period_csv(&analysis) {
        files.push(("sensitivity_by_period.csv", csv.map_err(csv_err)?));
    }
    write(dir, &files)?;
    if by.is_none() {
        // A per-period file of an earlier `--by` run would no longer match the tornado.
        let _ = std::fs::remove_file(dir.join("sensitivity_by_period.csv"));
    }
    print!(
        "{}",
        crate::sensitivity::table(scenario, &analysis, settings.top)
    );
    println!(
        "{} of {} variants needed their own simulation; the others change only prices, costs or shares",
        runs.simulated,
        runs.pinned.len()
    );
    write_reports(dir, options.report, options.xlsx)?;
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    Ok(())
}

fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let paths: Vec<&PathBuf> = std::iter::once(&args.base).chain(&args.others).collect();
    let job = Job {
        command: "compare",
        inputs: read_inputs(&paths)?,
        options: args.options.for_job(),
        vary: vec![],
    };
    execute_job(&job, &args.out, Format::Table)
}

fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let job = Job {
        command: "sweep",
        inputs: read_inputs(&[&args.scenario])?,
        options: args.options.for_job(),
        vary: args.vary.clone(),
    };
    execute_job(&job, &args.out, Format::Table)
}

/// `downstream merge`: joins the parts of a sharded job and writes what the unsharded
/// command would have written.
fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let entries = std::fs::read_dir(&args.parts).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot read the folder: {e}",
            args.parts.display()
        ))
    })?;
    let mut parts = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("part-") && name.ends_with(".bin")) {
            continue;
        }
        let bytes = std::fs::read(e.path()).map_err(|err| {
            CliError::Other(anyhow::anyhow!("cannot read {}: {err}", e.path().display()))
        })?;
        let (header, trials) = crate::shard::decode(&bytes)
            .map_err(|why| CliError::Input(format!("{}: {why}", e.path().display())))?;
        parts.push((name, header, trials));
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    let (header, trials) = crate::shard::join(parts)
        .map_err(|why| CliError::Input(format!("{}: {why}", args.parts.display())))?;
    if header.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(CliError::Input(format!(
            "{}: the parts were written by downstream {}, this is {}",
            args.parts.display(),
            header.tool_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let command = match header.command.as_str() {
        "run" => "run",
        "compare" => "compare",
        "sweep" => "sweep",
        "sensitivity" => "sensitivity",
        other => {
            return Err(CliError::Input(format!(
                "unknown command {other:?} in the parts"
            )));
        }
    };
    let options = RunOptions {
        households: Some(header.households),
        trials: Some(header.trials),
        seed: Some(header.seed),
        sampling: None,
        threads: args.threads,
        set: header.set.clone(),
        quiet: true,
        force: args.force,
        allow_large: true,
        shard: None,
        shard_count: None,
        report: false,
        xlsx: false,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(settings) = header
        .sensitivity
        .as_ref()
        .filter(|_| command == "sensitivity")
    {
        let (origin, text) = &header.inputs[0];
        let scenario = load_scenario_text(origin, text, &options)?;
        let (_, pins) = crate::sensitivity::pins(&scenario);
        if trials.len() != 1 + pins.len() {
            return Err(CliError::Input(format!(
                "{}: the parts hold {} runs but the sensitivity has {}",
                args.parts.display(),
                trials.len(),
                1 + pins.len()
            )));
        }
        check_out_dir(&args.out, args.force)?;
        handle_interrupts();
        let simulated =
            crate::engine::pinned_simulations(&scenario, &pins, 0..scenario.simulation().trials);
        let runs = crate::shard::pinned_runs(
            &pins,
            crate::engine::Layout::new(&scenario),
            trials,
            simulated,
        );
        let wall = started.elapsed().as_secs_f64();
        let facts = run_facts(scenario.simulation(), threads, wall);
        return emit_sensitivity(&scenario, &runs, settings, &args.out, facts, &options, wall);
    }
    let job = Job {
        command,
        inputs: header.inputs.clone(),
        options,
        vary: header.vary.clone(),
    };
    let plan = plan(&job)?;
    let scenarios = points(&job, &plan)?;
    if scenarios.len() != trials.len() {
        return Err(CliError::Input(format!(
            "{}: the parts hold {} runs but the job has {}",
            args.parts.display(),
            trials.len(),
            scenarios.len()
        )));
    }
    let dir = args.out.clone();
    check_out_dir(&dir, args.force)?;
    handle_interrupts();
    let layouts = scenarios.iter().map(crate::engine::Layout::new).collect();
    let runs = crate::shard::runs(layouts, trials);
    let sim = scenarios[0].simulation();
    let wall = started.elapsed().as_secs_f64();
    emit(
        &job,
        &plan,
        &scenarios,
        &runs,
        &dir,
        run_facts(sim, threads, wall),
        Format::Table,
        wall,
        "",
    )
}

fn backtest(args: &BacktestArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario, &args.options)?;
    let targets = crate::backtest::load(&args.targets, &scenario)?;
    let dir = out_dir(&args.out, &args.scenario, "", "-backtest")?;
    let pool = prepare(&dir, &scenario, Budget::runs(&scenario, 1), &args.options)?;
    let sim = scenario.simulation();
    let bar = progress_bar(
        sim.households * sim.trials * scenario.months() as u64,
        args.options.quiet,
    );
    let started = Instant::now();
    let result = pool.install(|| {
        Engine::new(&scenario).run_until(0..sim.trials, &mut |d| bar.set_position(d), &INTERRUPTED)
    });
    let result = result.map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let outcomes = crate::backtest::evaluate(&scenario, &targets, &result);
    let files = [
        (
            "backtest.csv",
            crate::backtest::csv(&outcomes).map_err(csv_err)?,
        ),
        (
            "scenario.resolved.toml",
            scenario
                .resolved_toml(Some(run_facts(sim, pool.current_num_threads(), wall)))
                .into_bytes(),
        ),
    ];
    write(&dir, &files)?;
    println!(
        "{}: {} trials x {} households, seed {}",
        scenario.name(),
        sim.trials,
        sim.households,
        sim.seed
    );
    print!("{}", crate::backtest::table(&outcomes));
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    let required: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.target.informational)
        .collect();
    let missed = required.iter().filter(|o| !o.hit).count();
    if missed > 0 {
        return Err(CliError::Missed {
            missed,
            total: required.len(),
        });
    }
    Ok(())
}

/// Checks one file: a scenario, or a backtest targets file `<stem>.targets.toml`, which is
/// checked against the scenario `<stem>.toml` beside it.
fn validate_one(f: &Path) -> Result<String, ScenarioError> {
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(stem) = name.strip_suffix(".targets.toml") {
        let scenario_path = f.with_file_name(format!("{stem}.toml"));
        let scenario = Scenario::load(&scenario_path, &[])?;
        let targets = crate::backtest::load(f, &scenario)?;
        return Ok(format!(
            "{} backtest targets for {}",
            targets.len(),
            scenario_path.display()
        ));
    }
    let s = Scenario::load(f, &[])?;
    Ok(format!(
        "{}, {} months from {}",
        s.name(),
        s.months(),
        s.start()
    ))
}

fn validate(files: &[PathBuf]) -> Result<(), CliError> {
    let mut bad = 0;
    for f in files {
        match validate_one(f) {
            Ok(line) => println!("ok: {} ({line})", f.display()),
            Err(e) => {
                bad += 1;
                for d in e.diagnostics() {
                    eprintln!("error: {d}");
                }
            }
        }
    }
    if bad > 0 {
        let (noun, verb) = if files.len() == 1 {
            ("file", "has")
        } else {
            ("files", if bad == 1 { "has" } else { "have" })
        };
        Err(CliError::Input(format!(
            "{bad} of {} scenario {noun} {verb} errors",
            files.len()
        )))
    } else {
        Ok(())
    }
}
