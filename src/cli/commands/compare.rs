//! `downstream compare`: scenarios against the base on common random numbers.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::CompareArgs;
use crate::cli::output::Show;
use crate::job::{Input, Job};

pub(in crate::cli) fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let inputs = std::iter::once(&args.base)
        .chain(&args.others)
        .map(|p| Input::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let job = Job::compare(inputs, args.options.settings())
        .with_decision_metric(&args.metric)
        .with_set_for(&args.set_for)?;
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "compare-",
        suffix: "",
    };
    run_job(job, &args.out, &args.options, naming, show).map(|_| ())
}
