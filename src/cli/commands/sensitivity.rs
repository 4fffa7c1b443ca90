//! `downstream sensitivity`: which uncertain parameters drive a metric.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::SensitivityArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job};

pub(in crate::cli) fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let job = Job::Sensitivity {
        input: Input::read(&args.scenario)?,
        settings: args.options.settings(),
        metric: args.metric.clone(),
        by: args.by,
        method: args.method,
    };
    let show = Show {
        top: args.top,
        ..Show::tables(&args.options)
    };
    let naming = Naming {
        prefix: "",
        suffix: "-sensitivity",
    };
    run_job(job, &args.out, &args.options, naming, show).map(|_| ())
}
