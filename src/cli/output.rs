//! Publishing what a command produced: the result files and reports into the output
//! folder, the tables on stdout, or one shard's part file.

use std::path::Path;

use super::args::Format;
use super::progress::interrupted;
use super::{CliError, progress};
use crate::export;
use crate::results::folder::write_files_unless;
use crate::results::{Results, files};
use crate::shard::PartHeader;

/// How a command wants its results shown.
pub(super) struct Show {
    pub format: Format,
    pub report: bool,
    pub xlsx: bool,
    /// Rows of the tornado on stdout.
    pub top: usize,
}

impl Show {
    /// Tables on stdout, and the reports the run options ask for.
    pub fn tables(options: &super::args::RunOptions) -> Show {
        Show {
            format: Format::Table,
            report: options.report,
            xlsx: options.xlsx,
            top: 0,
        }
    }
}

/// Writes `files` into `dir` all-or-nothing (see [`write_files_unless`]).
pub(super) fn write(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), CliError> {
    write_files_unless(dir, files, &progress::INTERRUPTED).map_err(|e| {
        if interrupted() {
            CliError::Interrupted
        } else {
            CliError::Other(anyhow::anyhow!(
                "cannot write results to {}: {e}",
                dir.display()
            ))
        }
    })
}

fn csv_err(e: csv::Error) -> CliError {
    CliError::Other(anyhow::anyhow!("formatting CSV: {e}"))
}

/// Writes report.html and/or results.xlsx of `results`, or of the results read back from
/// the folder (`downstream report DIR`).
pub(super) fn write_reports(
    dir: &Path,
    results: Option<&Results>,
    html: bool,
    xlsx: bool,
) -> Result<(), CliError> {
    let failed = |what: &str, e: anyhow::Error| {
        CliError::Other(e.context(format!("cannot build {what} for {}", dir.display())))
    };
    if (html || xlsx) && !dir.join(files::MARKER).exists() {
        return Err(CliError::Input(format!(
            "{}: not a folder of results (no {}); expected a folder written by run, sweep, compare, sensitivity or merge",
            dir.display(),
            files::MARKER
        )));
    }
    if !(html || xlsx) {
        return Ok(());
    }
    let first = if html { files::REPORT } else { files::WORKBOOK };
    let read;
    let results = match results {
        Some(r) => r,
        None => {
            read = crate::results::read::read(dir).map_err(|e| failed(first, e))?;
            &read
        }
    };
    if html {
        let page = export::html::page(results).map_err(|e| failed(files::REPORT, e))?;
        write(dir, &[(files::REPORT, page.into_bytes())])?;
    }
    if xlsx {
        let book = export::xlsx::workbook(results).map_err(|e| failed(files::WORKBOOK, e))?;
        write(dir, &[(files::WORKBOOK, book)])?;
    }
    Ok(())
}

/// Writes a job's results into `dir` and prints them: the same for a whole run and for a
/// merge of shards.
pub(super) fn publish(results: &Results, dir: &Path, show: &Show) -> Result<(), CliError> {
    let contents = export::files(results).map_err(csv_err)?;
    let named: Vec<(&str, Vec<u8>)> = contents
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    write(dir, &named)?;
    let wall = results.facts().wall_seconds;
    match results {
        Results::Run(r) => {
            let note = r.precision.as_ref().map(export::text::precision);
            if show.format == Format::Json {
                write_reports(dir, Some(results), show.report, show.xlsx)?;
                print!("{}", export::json::summary(r));
                eprint!("{}", note.unwrap_or_default());
                return Ok(());
            }
            print!("{}", export::text::run(r));
            print!("{}", note.unwrap_or_default());
        }
        Results::Compare(r) => print!("{}", export::text::compare(r)),
        Results::Sweep(r) => print!("{}", export::text::sweep(r)),
        Results::Sensitivity(r) => {
            if r.analysis.by_period.is_none() {
                // A per-period file of an earlier `--by` run would no longer match the tornado.
                let _ = std::fs::remove_file(dir.join(files::SENSITIVITY_BY_PERIOD));
            }
            print!("{}", export::text::sensitivity(r, show.top));
            println!(
                "{} of {} variants needed their own simulation; the others change only prices, costs or shares",
                r.simulated, r.variants
            );
        }
        Results::Backtest(r) => {
            let sim = r.scenario.simulation();
            println!(
                "{}: {} trials x {} households, seed {}",
                r.scenario.name(),
                sim.trials,
                sim.households,
                sim.seed
            );
            print!("{}", export::text::backtest(r));
            println!("wrote {} ({:.1} s)", dir.display(), wall);
            return Ok(());
        }
    }
    write_reports(dir, Some(results), show.report, show.xlsx)?;
    println!("wrote {} ({:.1} s)", dir.display(), wall);
    Ok(())
}

/// Writes one shard's part file and says what it holds.
pub(super) fn write_part(
    dir: &Path,
    header: &PartHeader,
    runs: &[crate::engine::RunResult],
    wall: f64,
) -> Result<(), CliError> {
    let shard = header.shard;
    let trials = shard.trials(header.trials);
    write(
        dir,
        &[(&shard.file_name(), crate::shard::encode(header, runs))],
    )?;
    println!(
        "shard {}/{}: trials {}..{} of {}; wrote {} ({:.1} s); combine all shards with `downstream merge {} --out RESULTS_DIR`",
        shard.index,
        shard.count,
        trials.start,
        trials.end,
        header.trials,
        dir.join(shard.file_name()).display(),
        wall,
        dir.display()
    );
    Ok(())
}
