//! `downstream sweep`: a grid of parameter values on common random numbers.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::SweepArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job};

pub(in crate::cli) fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let specs: Vec<&str> = args.vary.iter().map(String::as_str).collect();
    let job = Job::sweep(
        Input::read(&args.scenario)?,
        args.options.settings(),
        &specs,
    )?
    .with_decision_metric(&args.metric);
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "",
        suffix: "-sweep",
    };
    run_job(job, &args.out, &args.options, naming, show).map(|_| ())
}
