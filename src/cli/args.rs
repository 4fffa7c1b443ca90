//! Argument definitions (clap): what a user can type, and nothing else.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::design::Sampling;

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
        #[command(flatten)]
        output: FormatOption,
    },
    /// Compare scenarios with the base on common random numbers (paired differences).
    Compare(CompareArgs),
    /// Sweep one or more parameters over a grid and find the best point.
    Sweep(SweepArgs),
    /// Which uncertain assumptions drive a metric: first-order indices, decile means and rank
    /// correlations (or swings with --method swing).
    Sensitivity(SensitivityArgs),
    /// Check a scenario's simulated figures against known ones (exit 3 if any misses).
    Backtest(BacktestArgs),
    /// Fit a prior scenario's uncertain inputs to a targets file (importance sampling with
    /// adaptive rounds); writes posterior.csv, calibration.csv and calibrated.toml.
    Calibrate(CalibrateArgs),
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
    /// Print the JSON Schema (draft 2020-12) of the scenario format (or with --targets of
    /// backtest targets files), for editors; the repository's schemas/ holds both.
    Schema {
        /// The schema of backtest targets files (`*.targets.toml`) instead.
        #[arg(long)]
        targets: bool,
    },
    /// Print a completion script for a shell, e.g.
    /// `downstream completions bash > ~/.local/share/bash-completion/completions/downstream`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
}

/// A whole number as people write sizes: digits (`200000`) or scientific notation that is
/// exactly whole (`2e5`, `1.5e3`), as a scenario file's numbers may be written.
fn whole(text: &str) -> Result<u64, String> {
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    let x: f64 = text
        .parse()
        .map_err(|_| "expected a whole number, e.g. 200000 or 2e5".to_string())?;
    // Up to 2^53 every whole f64 is exact, so `2e5` means exactly 200000.
    if x.fract() != 0.0 || !(0.0..=9_007_199_254_740_992.0).contains(&x) {
        return Err(format!(
            "expected a whole number from 0 to 2^53 (9007199254740992), e.g. 200000 or 2e5; {text} is not"
        ));
    }
    Ok(x as u64)
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
pub struct CalibrateArgs {
    /// The prior scenario (TOML): its uncertain values are the priors.
    pub scenario: PathBuf,
    /// Targets file (TOML, [[target]] tables, as for backtest).
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Draws per round: trials of the prior scenario, then of each round's proposal
    /// (default: the scenario's trials); 6e3 = 6000.
    #[arg(long, value_name = "N", value_parser = whole)]
    pub draws: Option<u64>,
    /// Calibrate only the uncertain parameters matching these dotted keys or patterns
    /// (`*` matches any text), e.g. 'adoption.*,costs.*'; the others keep their priors.
    #[arg(long, value_name = "PATTERN,...", value_delimiter = ',')]
    pub params: Vec<String>,
    /// Adaptive rounds run until the effective sample size (Kish) reaches this.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = whole)]
    pub min_ess: u64,
    /// At most this many rounds, the prior's included (1: plain importance sampling; the
    /// only setting that can run as shards).
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub max_rounds: u32,
    /// Output folder (default: output/<scenario file stem>-calibrate/).
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
    /// given-data: first-order indices from the plain run's trials (one run); swing: each
    /// parameter held at its p10 and p90 (up to two more runs per parameter; a held price,
    /// cost or premium-tier parameter reuses the plain run's households).
    #[arg(long, value_enum, value_name = "METHOD", default_value = "given-data")]
    pub method: crate::sensitivity::Method,
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
    /// The metric of the decision view and value of information (decision.csv, voi.csv).
    #[arg(long, value_name = "NAME", default_value = crate::decision::DEFAULT_METRIC)]
    pub metric: String,
    /// Override a parameter of one scenario only, after the --set ones: SCENARIO is its
    /// position (0 = the base), its file as given or the file's stem,
    /// e.g. --set-for premium_5usd_2024:premium.price_month=9 (repeatable).
    #[arg(long = "set-for", value_name = "SCENARIO:KEY=VALUE")]
    pub set_for: Vec<String>,
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
    /// The metric of the decision view and value of information (decision.csv, voi.csv).
    #[arg(long, value_name = "NAME", default_value = crate::decision::DEFAULT_METRIC)]
    pub metric: String,
    #[command(flatten)]
    pub options: RunOptions,
}

/// Options shared by the commands that run simulations.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOptions {
    /// Simulated households per trial (overrides [simulation] households); 2e5 = 200000.
    #[arg(long, value_name = "N", value_parser = whole)]
    pub households: Option<u64>,
    /// Trials, i.e. draws of the uncertain parameters (overrides [simulation] trials).
    #[arg(long, value_name = "N", value_parser = whole)]
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
    #[command(flatten)]
    pub output: FormatOption,
}

/// How a command prints its results on stdout: the one `--format` of every command.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FormatOption {
    /// How to print the results on stdout: text (tables) or json (one JSON document with
    /// the statistics of every result file; notes and progress go to stderr).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,
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
    #[command(flatten)]
    pub output: FormatOption,
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
    #[arg(long, value_name = "N", requires = "precision", value_parser = whole)]
    pub max_trials: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    Mc,
    Lhs,
}

impl SamplingArg {
    pub fn method(self) -> Sampling {
        match self {
            SamplingArg::Mc => Sampling::MonteCarlo,
            SamplingArg::Lhs => Sampling::LatinHypercube,
        }
    }
}

/// What `--format` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people (`table` is accepted too, the name of earlier versions).
    #[value(alias = "table")]
    Text,
    /// One JSON document (see docs/json.md).
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_may_be_written_in_scientific_notation() {
        assert_eq!(whole("200000"), Ok(200_000));
        assert_eq!(whole("2e5"), Ok(200_000));
        assert_eq!(whole("1.5e3"), Ok(1_500));
        assert!(whole("1.5").is_err());
        assert!(whole("-1e3").is_err());
        assert!(whole("1e300").is_err());
        assert!(whole("many").is_err());
    }
}
