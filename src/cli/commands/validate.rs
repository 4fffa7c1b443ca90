//! `downstream validate`: checks scenario and targets files, reporting every problem.

use std::path::{Path, PathBuf};

use crate::cli::CliError;
use crate::cli::args::Format;
use crate::export::json;
use crate::format::escape;
use crate::scenario::{Scenario, ScenarioError};

/// Checks one file: a scenario, or a backtest targets file `<stem>.targets.toml`, which is
/// checked against the scenario `<stem>.toml` beside it.
fn validate_one(f: &Path) -> Result<String, ScenarioError> {
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(stem) = name.strip_suffix(".targets.toml") {
        let scenario_path = f.with_file_name(format!("{stem}.toml"));
        let scenario = Scenario::load(&scenario_path, &[])?;
        let targets = crate::backtest::load(f, &scenario)?;
        return Ok(format!(
            "{} backtest targets for {}",
            targets.len(),
            crate::format::path(&scenario_path)
        ));
    }
    let s = Scenario::load(f, &[])?;
    Ok(format!(
        "{}, {} months from {}",
        s.name(),
        s.months(),
        s.start()
    ))
}

pub(in crate::cli) fn validate(files: &[PathBuf], format: Format) -> Result<(), CliError> {
    let outcomes: Vec<Result<String, ScenarioError>> =
        files.iter().map(|f| validate_one(f)).collect();
    // The problems go to stderr in both formats, in file order; with JSON, the document
    // goes to stdout after them.
    for (f, o) in files.iter().zip(&outcomes) {
        match o {
            Ok(line) if format == Format::Text => {
                println!("ok: {} ({})", crate::format::path(f), escape(line))
            }
            Ok(_) => {}
            Err(e) => {
                for d in e.diagnostics() {
                    eprintln!("error: {d}");
                }
            }
        }
    }
    if format == Format::Json {
        let checked: Vec<json::Checked> = files
            .iter()
            .zip(&outcomes)
            .map(|(f, o)| {
                let o = match o {
                    Ok(line) => Ok(line.clone()),
                    Err(e) => Err(e.diagnostics()),
                };
                (f.as_path(), o)
            })
            .collect();
        print!("{}", json::validation(&checked));
    }
    let bad = outcomes.iter().filter(|o| o.is_err()).count();
    if bad > 0 {
        let (noun, verb) = if files.len() == 1 {
            ("file", "has")
        } else {
            ("files", if bad == 1 { "has" } else { "have" })
        };
        Err(CliError::Input(format!(
            "{bad} of {} scenario {noun} {verb} errors",
            files.len()
        )))
    } else {
        Ok(())
    }
}
