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
    /// Check a scenario's simulated figures against known ones (exit 3 if any misses).
    Backtest(BacktestArgs),
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
    #[error("{missed} of {total} backtest targets missed")]
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
        Command::Schema => {
            println!("{}", crate::schema::json_schema());
            Ok(())
        }
    }
}

/// Loads a scenario with `--set` overrides and the command-line run settings applied.
pub fn load_scenario(path: &Path, options: &RunOptions) -> Result<Scenario, CliError> {
    let overrides = options
        .set
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let mut scenario = Scenario::load(path, &overrides)?;
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

/// Checks the work and result memory of `runs` runs of `scenario` before any work starts.
fn check_budget(
    scenario: &Scenario,
    runs: u64,
    threads: usize,
    options: &RunOptions,
) -> Result<(), CliError> {
    let sim = scenario.simulation();
    let work = sim.households as f64 * scenario.months() as f64 * sim.trials as f64 * runs as f64;
    let metrics = crate::engine::Layout::new(scenario).len() as f64;
    let years = (scenario.months() as f64 / 12.0).ceil() + 1.0;
    let memory =
        runs as f64 * sim.trials as f64 * (scenario.months() as f64 + years + 2.0) * metrics * 8.0;
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
    runs: u64,
    options: &RunOptions,
) -> Result<rayon::ThreadPool, CliError> {
    check_out_dir(dir, options.force)?;
    let pool = thread_pool(options.threads)?;
    check_budget(scenario, runs, pool.current_num_threads(), options)?;
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

fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let base = load_scenario(&args.base, &args.options)?;
    let mut scenarios = vec![base];
    for path in &args.others {
        let mut s = load_scenario(path, &args.options)?;
        let b = &scenarios[0];
        if s.start() != b.start() || s.months() != b.months() {
            return Err(CliError::Input(format!(
                "{}: the horizon ({} for {} months) differs from the base {} ({} for {} months); compare needs the same start and months",
                path.display(),
                s.start(),
                s.months(),
                args.base.display(),
                b.start(),
                b.months()
            )));
        }
        // The base's run settings, unless given on the command line (they were applied).
        s.set_simulation(b.simulation()).map_err(CliError::Input)?;
        scenarios.push(s);
    }
    let dir = out_dir(&args.out, &args.base, "compare-", "")?;
    let names: Vec<String> = std::iter::once(&args.base)
        .chain(&args.others)
        .map(|p| p.display().to_string())
        .collect();
    let pool = prepare(&dir, &scenarios[0], scenarios.len() as u64, &args.options)?;
    let sim = scenarios[0].simulation();
    let per_run = sim.households * sim.trials * scenarios[0].months() as u64;
    let bar = progress_bar(per_run * scenarios.len() as u64, args.options.quiet);
    let started = Instant::now();
    let mut done = 0;
    let runs = scenarios
        .iter()
        .map(|s| {
            let r = pool.install(|| {
                Engine::new(s).run_until(
                    0..sim.trials,
                    &mut |d| bar.set_position(done + d),
                    &INTERRUPTED,
                )
            });
            done += per_run;
            r
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let rows = crate::compare::rows(&names, &runs);
    let mut files = vec![(
        "compare.csv".to_string(),
        crate::compare::compare_csv(&rows).map_err(csv_err)?,
    )];
    for (i, (path, s)) in std::iter::once(&args.base)
        .chain(&args.others)
        .zip(&scenarios)
        .enumerate()
    {
        let stem = path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        files.push((
            // Numbered: 0 is the base, and one file may be compared with itself.
            format!("{i}-{stem}.resolved.toml"),
            s.resolved_toml(Some(run_facts(sim, pool.current_num_threads(), wall)))
                .into_bytes(),
        ));
    }
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    write(&dir, &files)?;
    print!(
        "{}",
        crate::compare::table(&names, &rows, sim.trials as usize)
    );
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    Ok(())
}

fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let axes = args
        .vary
        .iter()
        .map(|v| crate::sweep::Axis::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let points = crate::sweep::grid(&axes).map_err(CliError::Input)?;
    let base = load_scenario(&args.scenario, &args.options)?;
    let with = |sets: &mut dyn Iterator<Item = String>| {
        let mut options = args.options.clone();
        options.set.extend(sets);
        load_scenario(&args.scenario, &options)
    };
    // Every value of every axis is checked on its own first, so a bad key or value is
    // reported before the budget and before the whole grid is built.
    for axis in &axes {
        for value in &axis.values {
            with(&mut std::iter::once(format!("{}={value}", axis.key)))?;
        }
    }
    let dir = out_dir(&args.out, &args.scenario, "", "-sweep")?;
    let pool = prepare(&dir, &base, points.len() as u64, &args.options)?;
    let scenarios = points
        .iter()
        .map(|point| {
            with(
                &mut axes
                    .iter()
                    .zip(point)
                    .map(|(a, &i)| format!("{}={}", a.key, a.values[i])),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sim = base.simulation();
    let per_run = sim.households * sim.trials * base.months() as u64;
    let bar = progress_bar(per_run * points.len() as u64, args.options.quiet);
    let started = Instant::now();
    let runs = pool
        .install(|| {
            crate::engine::run_points_until(
                &scenarios,
                0..sim.trials,
                &mut |d| bar.set_position(d),
                &INTERRUPTED,
            )
        })
        .map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let best = crate::sweep::best_points(&runs);
    let files = [
        (
            "sweep.csv",
            crate::sweep::sweep_csv(&axes, &points, &runs).map_err(csv_err)?,
        ),
        (
            "sweep_trials.csv",
            crate::sweep::sweep_trials_csv(&axes, &points, &runs).map_err(csv_err)?,
        ),
        (
            "sweep_best.csv",
            crate::sweep::best_csv(&axes, &points, &best).map_err(csv_err)?,
        ),
        (
            "scenario.resolved.toml",
            base.resolved_toml(Some(run_facts(sim, pool.current_num_threads(), wall)))
                .into_bytes(),
        ),
    ];
    write(&dir, &files)?;
    print!(
        "{}",
        crate::sweep::table(&axes, &points, &best, sim.trials as usize)
    );
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    Ok(())
}

fn backtest(args: &BacktestArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario, &args.options)?;
    let targets = crate::backtest::load(&args.targets, &scenario)?;
    let dir = out_dir(&args.out, &args.scenario, "", "-backtest")?;
    let pool = prepare(&dir, &scenario, 1, &args.options)?;
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
    let missed = outcomes.iter().filter(|o| !o.hit).count();
    if missed > 0 {
        return Err(CliError::Missed {
            missed,
            total: outcomes.len(),
        });
    }
    Ok(())
}

fn run(args: &RunArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario, &args.options)?;
    let out_dir = out_dir(&args.out, &args.scenario, "", "")?;
    let pool = prepare(&out_dir, &scenario, 1, &args.options)?;
    let sim = scenario.simulation();
    let engine = Engine::new(&scenario);
    let bar = progress_bar(
        sim.households * sim.trials * scenario.months() as u64,
        args.options.quiet,
    );
    let started = Instant::now();
    let result = pool
        .install(|| {
            engine.run_until(
                0..sim.trials,
                &mut |done| bar.set_position(done),
                &INTERRUPTED,
            )
        })
        .map_err(cancelled)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let report = Report::new(&scenario, &result);
    let facts = run_facts(sim, pool.current_num_threads(), wall);
    let files = [
        ("summary.csv", report.summary_csv().map_err(csv_err)?),
        ("monthly.csv", report.monthly_csv().map_err(csv_err)?),
        ("yearly.csv", report.yearly_csv().map_err(csv_err)?),
        (
            "trials.csv",
            output::trials_csv(&scenario, &result).map_err(csv_err)?,
        ),
        (
            "scenario.resolved.toml",
            scenario.resolved_toml(Some(facts)).into_bytes(),
        ),
    ];
    write(&out_dir, &files)?;

    let trials = result.trials.len();
    match args.format {
        Format::Table => {
            print!("{}", output::summary_table(&scenario, &report, trials));
            println!("wrote {} ({:.1} s)", out_dir.display(), wall);
        }
        Format::Json => print!("{}", output::summary_json(&scenario, &report, trials)),
    }
    Ok(())
}

fn validate(files: &[PathBuf]) -> Result<(), CliError> {
    let mut bad = 0;
    for f in files {
        match Scenario::load(f, &[]) {
            Ok(s) => println!(
                "ok: {} ({}, {} months from {})",
                f.display(),
                s.name(),
                s.months(),
                s.start()
            ),
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
