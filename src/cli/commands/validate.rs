//! `downstream validate`: checks scenario and targets files, reporting every problem.

use std::path::{Path, PathBuf};

use crate::cli::CliError;
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

pub(in crate::cli) fn validate(files: &[PathBuf]) -> Result<(), CliError> {
    let mut bad = 0;
    for f in files {
        match validate_one(f) {
            Ok(line) => println!("ok: {} ({})", crate::format::path(f), escape(&line)),
            Err(e) => {
                bad += 1;
                for d in e.diagnostics() {
                    eprintln!("error: {d}");
                }
            }
        }
    }
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
