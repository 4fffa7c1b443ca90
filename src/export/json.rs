//! `--format json`: what a command prints, as one JSON document on stdout.
//!
//! A result's document is built from the same typed tables the CSV files are written from
//! ([`crate::results::table::tables`]): every statistic of every file is in it under the
//! file's column names, and a table added to a result appears here without code of its
//! own. Tables with a `trial` column (one row per trial: `trials.csv`,
//! `sweep_trials.csv`) are statistics' raw material, not statistics: they stay in the
//! files and the document lists them under `per_trial_files`. Numbers are written exactly
//! (shortest round-trip form, like the CSV), undefined values are `null`, text is written
//! as it is (no spreadsheet quoting), months as `"YYYY-MM"`. `validate` and a shard's part
//! have documents of their own ([`validation`], [`part`]). The shapes are described in
//! docs/json.md.

use std::path::Path;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::results::Results;
use crate::results::table::{Cell, NamedTable, Table, tables};
use crate::scenario::Diagnostic;

/// The column that marks a table of one row per trial.
const TRIAL_COLUMN: &str = "trial";

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(t) => s.serialize_str(t),
            Cell::Number(x) if x.is_finite() => s.serialize_f64(*x),
            Cell::Number(_) => s.serialize_none(),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Month(m) => s.collect_str(m),
        }
    }
}

/// One row as an object keyed by the table's columns, in column order; `skip` leading
/// columns are left out.
struct Row<'a> {
    header: &'a [String],
    cells: &'a [Cell],
    skip: usize,
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.cells.len().saturating_sub(self.skip)))?;
        for (column, cell) in self.header.iter().zip(self.cells).skip(self.skip) {
            map.serialize_entry(column, cell)?;
        }
        map.end()
    }
}

/// A table as an array of row objects.
struct Rows<'a>(&'a Table);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut seq = s.serialize_seq(Some(t.rows.len()))?;
        for cells in &t.rows {
            seq.serialize_element(&Row {
                header: &t.header,
                cells,
                skip: 0,
            })?;
        }
        seq.end()
    }
}

/// A table whose first column names its rows (`summary.csv`'s `metric`) as one object:
/// each row's name to the rest of the row.
struct Keyed<'a>(&'a Table);

impl Serialize for Keyed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut map = s.serialize_map(Some(t.rows.len()))?;
        for cells in &t.rows {
            let key = match cells.first() {
                Some(Cell::Text(name)) => name.clone(),
                _ => continue,
            };
            map.serialize_entry(
                &key,
                &Row {
                    header: &t.header,
                    cells,
                    skip: 1,
                },
            )?;
        }
        map.end()
    }
}

/// The tables of a result keyed by their file's stem (`summary`, `compare`, ...), in the
/// order the files are written.
struct Tables<'a>(Vec<&'a NamedTable>);

impl Serialize for Tables<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for n in &self.0 {
            map.serialize_entry(stem(n.file), &Rows(&n.table))?;
        }
        map.end()
    }
}

fn stem(file: &str) -> &str {
    file.strip_suffix(".csv").unwrap_or(file)
}

/// Whether a table has one row per trial.
fn per_trial(t: &Table) -> bool {
    t.header.iter().any(|h| h == TRIAL_COLUMN)
}

/// `run --precision`: how it ended.
#[derive(Serialize)]
struct Precision<'a> {
    metric: &'a str,
    mean: Option<f64>,
    half_width: Option<f64>,
    target: f64,
    trials: u64,
    reached: bool,
}

/// A backtest's verdict.
#[derive(Serialize)]
struct Verdict {
    required: usize,
    missed: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    command: &'static str,
    tool_version: &'a str,
    scenario: &'a str,
    /// `compare`: the scenario files as given, base first.
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<&'a [String]>,
    start: String,
    months: u32,
    households: u64,
    trials: u64,
    seed: u64,
    out: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    precision: Option<Precision<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backtest: Option<Verdict>,
    /// `run`: `summary.csv` keyed by metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    scalars: Option<Keyed<'a>>,
    tables: Tables<'a>,
    per_trial_files: Vec<&'static str>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn pretty(doc: &impl Serialize) -> String {
    serde_json::to_string_pretty(doc).expect("JSON of plain values") + "\n"
}

/// The document of a result written to the folder `out`.
pub fn results(results: &Results, out: &Path) -> String {
    let named = tables(results);
    let (per_trial_tables, shown): (Vec<&NamedTable>, Vec<&NamedTable>) =
        named.iter().partition(|n| per_trial(&n.table));
    let scenario = results.scenario();
    let facts = results.facts();
    let (command, files, precision, backtest) = match results {
        Results::Run(r) => {
            let p = r.precision.as_ref().map(|p| Precision {
                metric: &p.metric,
                mean: finite(p.mean),
                half_width: finite(p.half_width),
                target: p.target,
                trials: p.trials,
                reached: p.reached,
            });
            ("run", None, p, None)
        }
        Results::Sweep(_) => ("sweep", None, None, None),
        Results::Compare(r) => ("compare", Some(&r.names[..]), None, None),
        Results::Sensitivity(_) => ("sensitivity", None, None, None),
        Results::Backtest(r) => {
            let (missed, required) = r.missed();
            ("backtest", None, None, Some(Verdict { required, missed }))
        }
        Results::Calibrate(_) => ("calibrate", None, None, None),
    };
    let scalars = match results {
        Results::Run(_) => shown
            .iter()
            .find(|n| n.file == crate::results::files::SUMMARY)
            .map(|n| Keyed(&n.table)),
        _ => None,
    };
    let doc = Document {
        command,
        tool_version: &facts.tool_version,
        scenario: scenario.name(),
        files,
        start: scenario.reported().start().to_string(),
        months: scenario.reported().months(),
        households: facts.households,
        trials: facts.trials,
        seed: facts.seed,
        out: out.to_string_lossy().into_owned(),
        precision,
        backtest,
        scalars,
        tables: Tables(shown),
        per_trial_files: per_trial_tables.iter().map(|n| n.file).collect(),
    };
    pretty(&doc)
}

/// One shard's part file: which trials it holds and where it is.
pub fn part(command: &str, shard: crate::shard::Shard, of_trials: u64, file: &Path) -> String {
    #[derive(Serialize)]
    struct Part<'a> {
        command: &'a str,
        shard: u64,
        shards: u64,
        /// Trials `[first, end)` of `trials`.
        first_trial: u64,
        end_trial: u64,
        trials: u64,
        part: String,
    }
    let range = shard.trials(of_trials);
    pretty(&Part {
        command,
        shard: shard.index,
        shards: shard.count,
        first_trial: range.start,
        end_trial: range.end,
        trials: of_trials,
        part: file.to_string_lossy().into_owned(),
    })
}

/// What `validate` found in one file: a one-line description of a good file, or its
/// problems.
pub type Checked<'a> = (&'a Path, Result<String, &'a [Diagnostic]>);

/// `validate`: every file, whether it is valid, and every problem found, located.
pub fn validation(checked: &[Checked]) -> String {
    #[derive(Serialize)]
    struct Problem<'a> {
        file: &'a str,
        line: Option<usize>,
        column: Option<usize>,
        key: Option<&'a str>,
        value: Option<&'a str>,
        /// The whole message: what is wrong and what was expected.
        message: &'a str,
        /// What was expected (the message from its `expected`, or all of it).
        expected: &'a str,
    }
    #[derive(Serialize)]
    struct File<'a> {
        file: String,
        valid: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        problems: Vec<Problem<'a>>,
    }
    #[derive(Serialize)]
    struct Validation<'a> {
        command: &'static str,
        valid: bool,
        files_with_problems: usize,
        files: Vec<File<'a>>,
    }
    let files: Vec<File> = checked
        .iter()
        .map(|(path, outcome)| File {
            file: path.to_string_lossy().into_owned(),
            valid: outcome.is_ok(),
            description: outcome.as_ref().ok().map(String::as_str),
            problems: outcome
                .as_ref()
                .err()
                .map(|ds| {
                    ds.iter()
                        .map(|d| Problem {
                            file: &d.origin,
                            line: d.position.map(|p| p.0),
                            column: d.position.map(|p| p.1),
                            key: d.key.as_deref(),
                            value: d.value.as_deref(),
                            message: &d.message,
                            expected: expected(&d.message),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let bad = files.iter().filter(|f| !f.valid).count();
    pretty(&Validation {
        command: "validate",
        valid: bad == 0,
        files_with_problems: bad,
        files,
    })
}

/// What a message says was expected: from its first `expected ` on, or all of it.
fn expected(message: &str) -> &str {
    match message.find("expected ") {
        Some(i) => &message[i + "expected ".len()..],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_typed_and_undefined_is_null() {
        let t = Table {
            header: vec!["metric".into(), "mean".into(), "n".into(), "month".into()],
            rows: vec![vec![
                Cell::Text("=x".into()),
                Cell::Number(f64::NAN),
                Cell::Int(-3),
                Cell::Month(crate::scenario::YearMonth::parse("2024-07").unwrap()),
            ]],
        };
        let v: serde_json::Value = serde_json::from_str(&pretty(&Rows(&t))).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{ "metric": "=x", "mean": null, "n": -3, "month": "2024-07" }])
        );
        let keyed: serde_json::Value = serde_json::from_str(&pretty(&Keyed(&t))).unwrap();
        assert_eq!(
            keyed,
            serde_json::json!({ "=x": { "mean": null, "n": -3, "month": "2024-07" } })
        );
        // Numbers keep their exact value.
        let x = 0.1 + 0.2;
        let t = Table {
            header: vec!["x".into()],
            rows: vec![vec![Cell::Number(x)]],
        };
        let v: serde_json::Value = serde_json::from_str(&pretty(&Rows(&t))).unwrap();
        assert_eq!(v[0]["x"].as_f64(), Some(x));
    }

    #[test]
    fn the_expected_part_of_a_message() {
        assert_eq!(
            expected("expected a probability in [0, 1]"),
            "a probability in [0, 1]"
        );
        assert_eq!(
            expected("unknown key; expected one of: a, b"),
            "one of: a, b"
        );
        assert_eq!(expected("no such file"), "no such file");
    }
}
