//! `--format json`: every command that prints results prints one JSON document on stdout
//! and nothing else, holding every figure of its statistics files exactly (compared cell by
//! cell with the CSV files of the same run); `validate --format json` lists every problem,
//! located, with exit status 2.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::{TempDir, downstream};

const BASE: &str = "tests/bad_scenarios/valid/base.toml";
const SMALL: [&str; 4] = ["--households", "500", "--trials", "12"];

/// Runs `args` with `--format json --quiet --out OUT`, asserts that it wrote its results
/// and that stdout is exactly one JSON document (serde_json refuses anything after it), and
/// returns it with the exit status.
fn json_status(args: &[&str], out: &Path) -> (Value, i32) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(SMALL);
    all.extend([
        "--format",
        "json",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let o = downstream(&all);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("wrote "),
        "{all:?}: the note of what was written goes to stderr: {stderr}"
    );
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{all:?}: stdout is not one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&o.stdout)
        )
    });
    (doc, o.status.code().unwrap())
}

/// [`json_status`] of a command that succeeds.
fn json(args: &[&str], out: &Path) -> Value {
    let (doc, status) = json_status(args, out);
    assert_eq!(status, 0, "{args:?}");
    doc
}

/// The CSV files of a result folder: name -> (header, rows).
type Csv = (Vec<String>, Vec<Vec<String>>);

fn csv_files(dir: &Path) -> Vec<(String, Csv)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".csv") {
            continue;
        }
        let mut r = csv::Reader::from_path(&path).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect();
        out.push((name, (header, rows)));
    }
    out.sort();
    out
}

/// One JSON cell equals one CSV cell: `null` is an empty cell, a number the same `f64`
/// (exactly: both are written in shortest round-trip form, and the tests parse JSON with
/// serde_json's `float_roundtrip`), text the same text (the CSV's spreadsheet quoting
/// undone).
fn same_cell(j: &Value, c: &str) -> bool {
    match j {
        Value::Null => c.is_empty(),
        Value::Number(n) => c.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => downstream::export::csv::unescape(c) == s,
        _ => false,
    }
}

/// Every statistics table of the folder is in the document under its file's stem, row by
/// row and column by column, with the same figures; the per-trial files are listed
/// instead. Returns the number of cells compared.
fn matches_files(doc: &Value, dir: &Path) -> usize {
    let tables = doc["tables"].as_object().expect("a tables object");
    let per_trial: BTreeSet<&str> = doc["per_trial_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let files = csv_files(dir);
    let mut seen = BTreeSet::new();
    let mut cells = 0;
    for (name, (header, rows)) in &files {
        if per_trial.contains(name.as_str()) {
            assert!(
                header.iter().any(|h| h == "trial"),
                "{name} is listed as per trial"
            );
            continue;
        }
        let stem = name.strip_suffix(".csv").unwrap();
        seen.insert(stem.to_string());
        let table = tables
            .get(stem)
            .unwrap_or_else(|| panic!("{name} is missing from the document"))
            .as_array()
            .unwrap();
        assert_eq!(table.len(), rows.len(), "{name}: rows");
        for (i, (jrow, crow)) in table.iter().zip(rows).enumerate() {
            let jrow = jrow.as_object().unwrap();
            let keys: Vec<&String> = jrow.keys().collect();
            let mut columns: Vec<&String> = header.iter().collect();
            columns.sort();
            let mut keys_sorted = keys.clone();
            keys_sorted.sort();
            assert_eq!(keys_sorted, columns, "{name} row {i}: columns");
            for (column, c) in header.iter().zip(crow) {
                let j = &jrow[column];
                assert!(
                    same_cell(j, c),
                    "{name} row {i} {column}: JSON {j} vs CSV {c:?}"
                );
                cells += 1;
            }
        }
    }
    let listed: BTreeSet<String> = tables.keys().cloned().collect();
    assert_eq!(listed, seen, "the document's tables are the folder's files");
    cells
}

#[test]
fn run_json_holds_the_files_figures() {
    let dir = TempDir::new("json", "run");
    let doc = json(&["run", BASE], &dir.join("out"));
    assert_eq!(doc["command"], "run");
    assert_eq!(doc["trials"], 12);
    assert_eq!(doc["households"], 500);
    assert_eq!(doc["seed"], 7);
    assert_eq!(doc["start"], "2020-01");
    assert!(matches_files(&doc, &dir.join("out")) > 1000);
    let tables: Vec<&String> = doc["tables"].as_object().unwrap().keys().collect();
    assert_eq!(tables, ["monthly", "summary", "yearly"]);
    assert_eq!(doc["per_trial_files"], serde_json::json!(["trials.csv"]));
    // `scalars` is summary.csv keyed by metric.
    let summary = doc["tables"]["summary"].as_array().unwrap();
    let scalars = doc["scalars"].as_object().unwrap();
    assert_eq!(scalars.len(), summary.len());
    for row in summary {
        let mut row = row.as_object().unwrap().clone();
        let metric = row.remove("metric").unwrap();
        assert_eq!(scalars[metric.as_str().unwrap()], Value::Object(row));
    }
}

#[test]
fn compare_sweep_sensitivity_and_backtest_json_hold_the_files_figures() {
    let dir = TempDir::new("json", "others");
    let premium = "scenarios/premium_5usd_2024.toml";
    let status_quo = "scenarios/status_quo_2022_2028.toml";

    let out = dir.join("compare");
    let doc = json(&["compare", status_quo, premium], &out);
    assert_eq!(doc["command"], "compare");
    assert_eq!(doc["files"], serde_json::json!([status_quo, premium]));
    assert!(matches_files(&doc, &out) > 100);

    let out = dir.join("sweep");
    let doc = json(
        &["sweep", premium, "--vary", "premium.price_month=3,5,7.5"],
        &out,
    );
    assert_eq!(doc["command"], "sweep");
    assert!(doc["tables"]["sweep"].as_array().unwrap().len() == 3);
    assert_eq!(
        doc["per_trial_files"],
        serde_json::json!(["sweep_trials.csv"])
    );
    assert!(matches_files(&doc, &out) > 100);

    let out = dir.join("sensitivity");
    let doc = json(&["sensitivity", BASE, "--by", "year"], &out);
    assert_eq!(doc["command"], "sensitivity");
    assert!(doc["tables"]["sensitivity_by_period"].is_array());
    assert!(matches_files(&doc, &out) > 10);

    // A backtest that misses targets still prints its document (then exits 3).
    let out = dir.join("backtest");
    let (doc, status) = json_status(
        &[
            "backtest",
            "scenarios/echo_2017_2021.toml",
            "--targets",
            "scenarios/echo_2017_2021.targets.toml",
        ],
        &out,
    );
    assert_eq!(doc["command"], "backtest");
    let rows = doc["tables"]["backtest"].as_array().unwrap();
    let required = rows.iter().filter(|r| r["required"] == 1).count();
    let missed = rows
        .iter()
        .filter(|r| r["required"] == 1 && r["hit"] == 0)
        .count();
    assert_eq!(doc["backtest"]["required"], required);
    assert_eq!(doc["backtest"]["missed"], missed);
    assert_eq!(status, if missed > 0 { 3 } else { 0 });
    assert!(matches_files(&doc, &out) > 10);
}

#[test]
fn shards_and_merge_print_json() {
    let dir = TempDir::new("json", "shards");
    let parts = dir.join("parts");
    for i in 0..2 {
        let shard = format!("{i}/2");
        let o = downstream(&[
            "run",
            BASE,
            "--households",
            "500",
            "--trials",
            "12",
            "--shard",
            &shard,
            "--format",
            "json",
            "--out",
            parts.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(doc["shard"], i);
        assert_eq!(doc["shards"], 2);
        assert_eq!(doc["first_trial"], 6 * i);
        assert_eq!(doc["end_trial"], 6 * i + 6);
        assert!(Path::new(doc["part"].as_str().unwrap()).is_file());
    }
    let out = dir.join("merged");
    let o = downstream(&[
        "merge",
        parts.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["command"], "run");
    assert!(matches_files(&doc, &out) > 1000);
}

#[test]
fn validate_json_lists_every_problem_located() {
    let dir = TempDir::new("json", "validate");
    let base = std::fs::read_to_string(crate::common::root().join(BASE)).unwrap();
    let bad = base
        .replace("potential = 0.5", "potential = 1.5")
        .replace("start = \"2020-01\"", "start = \"2020-13\"");
    assert_ne!(bad, base);
    let bad_file = dir.join("bad.toml");
    std::fs::write(&bad_file, &bad).unwrap();
    let line_of = |needle: &str| bad.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let o = downstream(&[
        "validate",
        "--format",
        "json",
        BASE,
        bad_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["command"], "validate");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["files_with_problems"], 1);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files[0]["file"], BASE);
    assert_eq!(files[0]["valid"], true);
    assert_eq!(files[0]["problems"], serde_json::json!([]));
    assert_eq!(files[1]["valid"], false);
    let problems = files[1]["problems"].as_array().unwrap();
    let find = |key: &str| {
        problems
            .iter()
            .find(|p| p["key"] == key)
            .unwrap_or_else(|| panic!("no problem for {key}: {problems:#?}"))
    };
    let p = find("adoption.potential");
    assert_eq!(p["file"], bad_file.to_str().unwrap());
    assert_eq!(p["line"], line_of("potential ="));
    assert_eq!(p["column"], "potential = ".len() + 1);
    assert_eq!(p["value"], "1.5");
    assert_eq!(p["expected"], "a probability in [0, 1]");
    let p = find("scenario.start");
    assert_eq!(p["line"], line_of("start ="));
    assert_eq!(p["value"], "\"2020-13\"");
    assert!(p["expected"].as_str().unwrap().contains("YYYY-MM"), "{p}");
    // The same problems as the text form prints on stderr.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        problems.len() + 1,
        "{stderr}"
    );
    // A good file alone: valid, exit 0.
    let o = downstream(&["validate", "--format", "json", BASE]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["valid"], true);
}

#[test]
fn every_result_command_takes_the_one_format_option() {
    for command in [
        "run",
        "validate",
        "compare",
        "sweep",
        "sensitivity",
        "backtest",
        "merge",
    ] {
        let o = downstream(&[command, "-h"]);
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(
            help.contains("--format <FORMAT>") && help.contains("[possible values: text, json]"),
            "{command}: {help}"
        );
    }
    // `table`, the name of earlier versions, still means text.
    let dir = TempDir::new("json", "alias");
    let out = dir.join("out");
    let o = downstream(&[
        "run",
        BASE,
        "--trials",
        "2",
        "--format",
        "table",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("horizon total"));
}
