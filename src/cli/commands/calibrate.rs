//! `downstream calibrate`: a prior scenario's uncertain inputs fitted to a targets file.

use super::{Naming, run_job};
use crate::cli::CliError;
use crate::cli::args::CalibrateArgs;
use crate::cli::output::Show;
use crate::design::Sampling;
use crate::job::{CalibrateOptions, Input, Job};

pub(in crate::cli) fn calibrate(args: &CalibrateArgs) -> Result<(), CliError> {
    if args.options.trials.is_some() {
        return Err(CliError::Input(
            "calibrate: the draws per round are given by --draws, not --trials".into(),
        ));
    }
    let input = Input::read(&args.scenario)?;
    let mut settings = args.options.settings();
    settings.trials = args.draws;
    // Draws spread over the prior by Latin hypercube unless the scenario or the command
    // line says otherwise.
    if settings.sampling.is_none() && !mentions_sampling(&input.text) {
        settings.sampling = Some(Sampling::LatinHypercube);
    }
    // The scenario is checked before the targets file is read.
    settings.load(&input)?;
    let job = Job::Calibrate {
        input,
        settings,
        targets: Input::read(&args.targets)?,
        options: CalibrateOptions {
            params: args.params.clone(),
            min_ess: args.min_ess,
            max_rounds: args.max_rounds,
        },
    };
    let show = Show::tables(&args.options);
    let naming = Naming {
        prefix: "",
        suffix: "-calibrate",
    };
    run_job(job, &args.out, &args.options, naming, show)?;
    Ok(())
}

/// Whether the scenario's `[simulation]` sets `sampling` itself.
fn mentions_sampling(text: &str) -> bool {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("simulation")?.get("sampling").cloned())
        .is_some()
}
