//! The command line: a front end over the library's typed jobs.
//!
//! Argument definitions live in [`args`]; [`options`] turns them into a [`crate::job::Job`]
//! and checks the budget and the output folder; [`progress`] owns the progress bar and the
//! interrupt handler; [`output`] publishes results (files, stdout, reports) and part files;
//! [`commands`] has one small file per command. Errors are classified into exit codes: 2
//! for a bad scenario or arguments, 3 for missed backtest targets, 130 when interrupted,
//! 1 otherwise.

pub mod args;
mod commands;
mod options;
mod output;
mod progress;

pub use args::{Cli, Command, Format, RunOptions};

use crate::job::JobError;
use crate::scenario::ScenarioError;

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
    /// Interrupted, and the output folder still holds its previous results: exit status 130.
    #[error("interrupted; no results were written: {} still holds its previous results", crate::format::path(.0))]
    InterruptedKept(std::path::PathBuf),
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
            CliError::Interrupted | CliError::InterruptedKept(_) => 130,
        }
    }
}

impl From<JobError> for CliError {
    fn from(e: JobError) -> CliError {
        match e {
            JobError::Input(s) => CliError::Input(s),
            JobError::Scenario(s) => CliError::Scenario(s),
            JobError::Cancelled => CliError::Interrupted,
        }
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<(), CliError> {
    // Commands that plan, simulate or write handle Ctrl-C from the start: planning a large
    // sweep takes a while, and an interrupt must then exit 130 like one during the run.
    // `validate` and `schema` write nothing and keep the default (end at once).
    if !matches!(
        cli.command,
        Command::Validate { .. } | Command::Schema { .. } | Command::Completions { .. }
    ) {
        progress::handle_interrupts();
    }
    match cli.command {
        Command::Run(args) => commands::run::run(&args),
        Command::Validate { files, output } => commands::validate::validate(&files, output.format),
        Command::Compare(args) => commands::compare::compare(&args),
        Command::Sweep(args) => commands::sweep::sweep(&args),
        Command::Calibrate(args) => commands::calibrate::calibrate(&args),
        Command::Backtest(args) => commands::backtest::backtest(&args),
        Command::Sensitivity(args) => commands::sensitivity::sensitivity(&args),
        Command::Merge(args) => commands::merge::merge(&args),
        Command::Report { dir, xlsx } => commands::report::report(&dir, xlsx),
        Command::Completions { shell } => {
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cli, "downstream", &mut std::io::stdout());
            Ok(())
        }
        Command::Schema { targets } => {
            let schema = if targets {
                crate::schema::targets_json_schema()
            } else {
                crate::schema::json_schema()
            };
            println!("{schema}");
            Ok(())
        }
    }
}
