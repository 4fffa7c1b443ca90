//! `downstream backtest`: a scenario's figures against known ones (exit 3 on a miss).

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::{BacktestArgs, Format};
use crate::cli::output::Show;
use crate::job::{Input, Job};
use crate::results::Results;

pub(in crate::cli) fn backtest(args: &BacktestArgs) -> Result<(), CliError> {
    let input = Input::read(&args.scenario)?;
    // The scenario is checked before the targets file is read.
    args.options.settings().load(&input)?;
    let job = Job::Backtest {
        input,
        settings: args.options.settings(),
        targets: Input::read(&args.targets)?,
    };
    let show = Show {
        format: Format::Table,
        report: false,
        xlsx: false,
        top: 0,
    };
    let naming = Naming {
        prefix: "",
        suffix: "-backtest",
    };
    let Some(Results::Backtest(r)) = run_job(job, &args.out, &args.options, naming, show)? else {
        return Ok(());
    };
    match r.missed() {
        (0, _) => Ok(()),
        (missed, total) => Err(CliError::Missed { missed, total }),
    }
}
