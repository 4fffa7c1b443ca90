//! `downstream sweep`: a grid of parameter values on common random numbers.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::SweepArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job};
use crate::sweep::AxisLabels;

pub(in crate::cli) fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let input = Input::read(&args.scenario)?;
    let axes = args
        .vary
        .iter()
        .map(|v| AxisLabels::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Input)?;
    let job = Job::Sweep {
        input,
        settings: args.options.settings(),
        axes,
    };
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "",
        suffix: "-sweep",
    };
    run_job(job, &args.out, &args.options, naming, show).map(|_| ())
}
