//! `downstream backtest`: a scenario's figures against known ones (exit 3 on a miss).

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::BacktestArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job};
use crate::results::Results;

pub(in crate::cli) fn backtest(args: &BacktestArgs) -> Result<(), CliError> {
    if args.options.report || args.options.xlsx {
        return Err(CliError::Input(
            "backtest: --report and --xlsx are not available for a backtest (its result is backtest.csv and the table printed); run `downstream run` on the scenario for a report".into(),
        ));
    }
    let input = Input::read(&args.scenario)?;
    // The scenario is checked before the targets file is read.
    args.options.settings().load(&input)?;
    let job = Job::Backtest {
        input,
        settings: args.options.settings(),
        targets: Input::read(&args.targets)?,
    };
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "",
        suffix: "-backtest",
    };
    match run_job(job, &args.out, &args.options, naming, show)? {
        Some(results) => verdict(&results),
        None => Ok(()),
    }
}

/// Exit status 3 when a backtest missed required targets.
pub(in crate::cli) fn verdict(results: &Results) -> Result<(), CliError> {
    match results {
        Results::Backtest(r) => match r.missed() {
            (0, _) => Ok(()),
            (missed, total) => Err(CliError::Missed { missed, total }),
        },
        _ => Ok(()),
    }
}
