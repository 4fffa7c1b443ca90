//! `downstream run`: one scenario, optionally until a metric's mean is precise enough.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::RunArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job, Precision};

pub(in crate::cli) fn run(args: &RunArgs) -> Result<(), CliError> {
    let input = Input::read(&args.scenario)?;
    let settings = args.options.settings();
    let job = match &args.precision {
        Some(text) => Job::Precision {
            input,
            settings,
            precision: Precision {
                metric: args.metric.clone().expect("clap requires --metric"),
                target: Precision::parse_target(text).map_err(CliError::Input)?,
                max_trials: args.max_trials,
            },
        },
        None => Job::Run { input, settings },
    };
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "",
        suffix: "",
    };
    run_job(job, &args.out, &args.options, naming, show).map(|_| ())
}
