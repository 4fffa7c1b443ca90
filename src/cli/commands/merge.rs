//! `downstream merge`: joins the parts of a sharded job and writes what the unsharded
//! command would have written.

use std::time::Instant;

use crate::cli::CliError;
use crate::cli::args::{Format, MergeArgs};
use crate::cli::options::check_out_dir;
use crate::cli::output::{Show, publish};
use crate::cli::progress;
use crate::results::RunFacts;

pub(in crate::cli) fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let entries = std::fs::read_dir(&args.parts).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot read the folder: {e}",
            args.parts.display()
        ))
    })?;
    let mut parts = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("part-") && name.ends_with(".bin")) {
            continue;
        }
        let bytes = std::fs::read(e.path()).map_err(|err| {
            CliError::Other(anyhow::anyhow!("cannot read {}: {err}", e.path().display()))
        })?;
        let (header, trials) = crate::shard::decode(&bytes)
            .map_err(|why| CliError::Input(format!("{}: {why}", e.path().display())))?;
        parts.push((name, header, trials));
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    let in_parts = |why: String| CliError::Input(format!("{}: {why}", args.parts.display()));
    let (header, trials) = crate::shard::join(parts).map_err(in_parts)?;
    if header.tool_version != env!("CARGO_PKG_VERSION") {
        return Err(in_parts(format!(
            "the parts were written by downstream {}, this is {}",
            header.tool_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let plan = header.job.plan()?;
    let simulated = plan.from_parts(trials).map_err(in_parts)?;
    check_out_dir(&args.out, args.force)?;
    progress::handle_interrupts();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let facts = RunFacts::new(plan.scenario(), threads, started.elapsed().as_secs_f64());
    let results = plan.results(simulated, facts)?;
    let show = Show {
        format: Format::Table,
        report: false,
        xlsx: false,
        top: header.top,
    };
    publish(&results, &args.out, &show)?;
    super::backtest::verdict(&results)
}
