//! Publishing what a command produced: the result files and reports into the output
//! folder, the tables on stdout, or one shard's part file.

use std::path::Path;

use super::args::Format;
use super::progress::interrupted;
use super::{CliError, progress};
use crate::export;
use crate::format;
use crate::results::folder::{Access, Folder, Keep, OpenError};
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
    /// The format and the reports the run options ask for.
    pub fn tables(options: &super::args::RunOptions) -> Show {
        Show {
            format: options.output.format,
            report: options.report,
            xlsx: options.xlsx,
            top: 0,
        }
    }
}

/// Opens and locks the folder a command writes into (see [`Folder::open`]); `force`
/// allows a folder that holds files of others.
pub(super) fn open_folder(dir: &Path, access: Access, force: bool) -> Result<Folder, CliError> {
    Folder::open(dir, access, force).map_err(|e| {
        let dir = format::path(dir);
        match e {
            OpenError::Io(e) => {
                CliError::Other(anyhow::anyhow!("cannot write results to {dir}: {e}"))
            }
            OpenError::NotAFolder => {
                CliError::Other(anyhow::anyhow!("cannot write results to {dir}: {e}"))
            }
            e => CliError::Input(format!("--out {dir}: {e}")),
        }
    })
}

/// Replaces the folder's result with `files` in one transaction (see
/// [`Folder::replace`]); an interrupt before the swap leaves the previous result whole.
fn replace(folder: &mut Folder, files: &[(&str, Vec<u8>)], keep: Keep) -> Result<(), CliError> {
    folder
        .replace(files, keep, &progress::INTERRUPTED)
        .map_err(|e| {
            let dir = folder.shown().to_path_buf();
            match (interrupted(), e.kept_previous) {
                (true, true) => CliError::InterruptedKept(dir),
                (true, false) => CliError::Interrupted,
                (false, kept) => CliError::Other(anyhow::anyhow!(
                    "cannot write results to {}: {}{}",
                    format::path(&dir),
                    e.error,
                    if kept {
                        "; it still holds its previous results"
                    } else {
                        ""
                    }
                )),
            }
        })
}

/// A command's interruption, saying whether `folder` still holds an earlier result.
pub(super) fn interruption(folder: &Folder, e: CliError) -> CliError {
    match e {
        CliError::Interrupted if folder.had_files() => {
            CliError::InterruptedKept(folder.shown().to_path_buf())
        }
        e => e,
    }
}

fn csv_err(e: csv::Error) -> CliError {
    CliError::Other(anyhow::anyhow!("formatting CSV: {e}"))
}

/// report.html and/or results.xlsx of `results`.
fn reports(
    results: &Results,
    html: bool,
    xlsx: bool,
    dir: &Path,
) -> Result<Vec<(&'static str, Vec<u8>)>, CliError> {
    let failed = |what: &str, e: anyhow::Error| {
        CliError::Other(e.context(format!("cannot build {what} for {}", format::path(dir))))
    };
    let mut out = Vec::new();
    if html {
        let page = export::html::page(results).map_err(|e| failed(files::REPORT, e))?;
        out.push((files::REPORT, page.into_bytes()));
    }
    if xlsx {
        let book = export::xlsx::workbook(results).map_err(|e| failed(files::WORKBOOK, e))?;
        out.push((files::WORKBOOK, book));
    }
    Ok(out)
}

/// `downstream report DIR`: adds report.html (and results.xlsx) built from the results
/// read back from the folder, keeping everything else in it; returns the names written.
pub(super) fn add_reports(dir: &Path, xlsx: bool) -> Result<Vec<&'static str>, CliError> {
    if !dir.join(files::MARKER).exists() {
        return Err(CliError::Input(format!(
            "{}: not a folder of results (no {}); expected a folder written by run, sweep, compare, sensitivity or merge",
            format::path(dir),
            files::MARKER
        )));
    }
    let mut folder = open_folder(dir, Access::Replace, false)?;
    // A folder of ours without readable results (only part files, or edited tables) is
    // not a result folder: bad input, exit 2.
    let results = crate::results::read::read(dir).map_err(|e| {
        CliError::Input(format!(
            "{}: not a folder of results: {e:#}",
            format::path(dir)
        ))
    })?;
    let made = reports(&results, true, xlsx, dir).map_err(|e| interruption(&folder, e))?;
    replace(&mut folder, &made, Keep::All)?;
    Ok(made.iter().map(|(name, _)| *name).collect())
}

/// Writes a job's results, with the reports `show` asks for, into the folder as one
/// transaction, then prints them: the same for a whole run and for a merge of shards.
pub(super) fn publish(results: &Results, folder: &mut Folder, show: &Show) -> Result<(), CliError> {
    let contents = export::files(results).map_err(csv_err)?;
    let made = reports(results, show.report, show.xlsx, folder.shown())?;
    let named: Vec<(&str, Vec<u8>)> = contents
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .chain(made)
        .collect();
    replace(folder, &named, Keep::Others)?;
    let dir = folder.shown();
    let wall = results.facts().wall_seconds;
    if show.format == Format::Json {
        // Only the document on stdout; the notes on stderr.
        print!("{}", export::json::results(results, dir));
        if let Results::Run(r) = results {
            eprint!(
                "{}",
                r.precision
                    .as_ref()
                    .map(export::text::precision)
                    .unwrap_or_default()
            );
        }
        eprintln!("wrote {} ({:.1} s)", format::path(dir), wall);
        return Ok(());
    }
    match results {
        Results::Run(r) => {
            let note = r.precision.as_ref().map(export::text::precision);
            print!("{}", export::text::run(r));
            print!("{}", note.unwrap_or_default());
        }
        Results::Compare(r) => print!("{}", export::text::compare(r)),
        Results::Sweep(r) => print!("{}", export::text::sweep(r)),
        Results::Sensitivity(r) => print!("{}", export::text::sensitivity(r, show.top)),
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
        }
        Results::Calibrate(r) => print!("{}", export::text::calibrate(r)),
    }
    println!("wrote {} ({:.1} s)", format::path(dir), wall);
    Ok(())
}

/// Writes one shard's part file and says what it holds.
pub(super) fn write_part(
    folder: &mut Folder,
    header: &PartHeader,
    runs: &[crate::engine::RunResult],
    wall: f64,
    format: Format,
) -> Result<(), CliError> {
    let shard = header.shard;
    let trials = shard.trials(header.trials);
    let name = shard.file_name();
    let part = [(name.as_str(), crate::shard::encode(header, runs))];
    folder.add(&part, &progress::INTERRUPTED).map_err(|e| {
        if interrupted() {
            interruption(folder, CliError::Interrupted)
        } else {
            CliError::Other(anyhow::anyhow!(
                "cannot write {} to {}: {e}",
                part[0].0,
                format::path(folder.shown())
            ))
        }
    })?;
    let dir = folder.shown();
    if format == Format::Json {
        let file = dir.join(shard.file_name());
        print!(
            "{}",
            export::json::part(header.job.command(), shard, header.trials, &file)
        );
        return Ok(());
    }
    println!(
        "shard {}/{}: trials {}..{} of {}; wrote {} ({:.1} s); combine all shards with `downstream merge {} --out RESULTS_DIR`",
        shard.index,
        shard.count,
        trials.start,
        trials.end,
        header.trials,
        format::path(&dir.join(shard.file_name())),
        wall,
        format::path(dir)
    );
    Ok(())
}
