//! Ties and labels (issue 13): a share of trials never reads as a verdict where there is
//! none, distinct labels stay distinct in CSV, numbers stay numbers, and hidden characters
//! in user text are visible wherever people read it.
//!
//! - `compare`: a row equal to the base in every trial has no P(better) (an empty CSV
//!   cell; `same` in the terminal, the page and the workbook); a difference shown as exactly
//!   0 never sits beside a share.
//! - `sweep`: a trial in which several points tie for the best credits none of them (two
//!   identical points get the same share); a metric equal at every point has empty best and
//!   share cells.
//! - CSV: `-a.toml` and `'-a.toml` are written as two different cells that read back as
//!   the two names; a varied value that is a number (`-0`, `+1`) is a number cell, in CSV
//!   and in the workbook alike.
//! - A file name with a bidirectional control is shown escaped in the terminal, the page
//!   and the workbook's charts sheet, and kept exactly in the CSV file.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use downstream::export::csv::unescape;

use crate::common::{TempDir, command, root};

const SMALL: [&str; 5] = ["--households", "500", "--trials", "4", "--quiet"];

/// Runs command `args[0]` with the small size and `args[1..]` in `dir`; asserts it
/// succeeded; returns stdout.
fn run_in(dir: &Path, args: &[&str]) -> String {
    let out = command()
        .current_dir(dir)
        .arg(args[0])
        .args(SMALL)
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "downstream {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A CSV file as its header and rows of cells (as written, the spreadsheet escape kept).
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

/// The cells of the workbook's sheet `sheet`.
fn sheet(path: &Path, sheet: &str) -> calamine::Range<Data> {
    let bytes = std::fs::read(path).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    wb.worksheet_range(sheet).unwrap()
}

/// Copies a shipped scenario into `dir` under `name`.
fn scenario(dir: &Path, shipped: &str, name: &str) {
    std::fs::copy(root().join("scenarios").join(shipped), dir.join(name)).unwrap();
}

#[test]
fn a_row_equal_in_every_trial_has_no_share_better() {
    let dir = TempDir::new("ties", "compare");
    scenario(dir.path(), "status_quo_2022_2028.toml", "base.toml");
    scenario(dir.path(), "premium_5usd_2024.toml", "tier.toml");
    let stdout = run_in(
        dir.path(),
        &[
            "compare",
            "base.toml",
            "tier.toml",
            "--report",
            "--xlsx",
            "--out",
            "cmp",
        ],
    );
    let (header, rows) = csv(&dir.join("cmp/compare.csv"));
    let (scenario, share) = (column(&header, "scenario"), column(&header, "share_better"));
    let diffs = [
        column(&header, "diff_mean"),
        column(&header, "diff_p05"),
        column(&header, "diff_p95"),
    ];
    let mut same = 0;
    for row in &rows {
        // The base against itself, and figures the tier cannot move, are equal in every
        // trial: no share of trials.
        if row[scenario] == "base.toml" || ["units_sold", "fixed_cost"].contains(&&*row[0]) {
            assert_eq!(
                row[share], "",
                "a share for a row equal in every trial: {row:?}"
            );
        }
        // A difference of exactly 0 in every statistic never sits beside a share.
        if diffs.iter().all(|&c| row[c] == "0") {
            assert_eq!(row[share], "", "a share beside a difference of 0: {row:?}");
            same += 1;
        }
        if row[share] == "1" {
            assert!(
                diffs.iter().all(|&c| row[c] != "0"),
                "100% beside 0: {row:?}"
            );
        }
    }
    assert!(same > 20, "{same} rows equal in every trial");

    // The terminal: `same`, never a percentage beside a difference shown as exactly 0.
    let lines: Vec<&str> = stdout.lines().collect();
    let units = lines.iter().find(|l| l.starts_with("Units sold")).unwrap();
    assert!(units.ends_with(" same"), "{units}");
    for line in &lines {
        if line.contains(" 0.00 [0.00, 0.00] ") {
            assert!(line.ends_with(" same"), "a share beside 0.00: {line}");
        }
    }
    // The page and the workbook say the same.
    let html = std::fs::read_to_string(dir.join("cmp/report.html")).unwrap();
    assert!(html.contains("<td>0.00</td><td>[0.00, 0.00]</td><td>same</td>"));
    assert!(!html.contains("<td>[0.00, 0.00]</td><td>0%</td>"));
    let charts = sheet(&dir.join("cmp/results.xlsx"), "charts");
    let p_better = charts
        .rows()
        .find_map(|r| {
            r.iter()
                .position(|c| c == &Data::String("P(better)".into()))
        })
        .unwrap();
    let fixed = charts
        .rows()
        .find(|r| r.first() == Some(&Data::String("Fixed cost".into())))
        .unwrap();
    assert_eq!(fixed[p_better], Data::String("same".into()));
    // The share is empty in the data sheet, as in the CSV file.
    let data = sheet(&dir.join("cmp/results.xlsx"), "compare");
    let base_row = data
        .rows()
        .find(|r| r.get(scenario) == Some(&Data::String("base.toml".into())))
        .unwrap();
    assert_eq!(base_row[share], Data::Empty);
}

#[test]
fn tied_points_share_the_credit_and_a_metric_equal_everywhere_has_no_best() {
    let dir = TempDir::new("ties", "sweep");
    scenario(dir.path(), "premium_5usd_2024.toml", "tier.toml");
    // Nobody considers the tier at points 0 and 1, so its price does not matter there:
    // they tie in every trial.
    let stdout = run_in(
        dir.path(),
        &[
            "sweep",
            "tier.toml",
            "--vary",
            "premium.consider_per_month=0,0.05",
            "--vary",
            "premium.price_month=5,40",
            "--report",
            "--out",
            "sw",
        ],
    );
    let (header, rows) = csv(&dir.join("sw/sweep_best.csv"));
    let (flag, share) = (
        column(&header, "best_by_mean"),
        column(&header, "share_of_trials_best"),
    );
    assert_eq!(rows.len() % 4, 0);
    let mut equal_everywhere = 0;
    for point in rows.chunks(4) {
        let metric = &point[0][0];
        // The two identical points: never the first favoured.
        assert_eq!(point[0][flag], point[1][flag], "{metric}: best by mean");
        assert_eq!(
            point[0][share], point[1][share],
            "{metric}: share of trials best"
        );
        if metric == "fixed_cost" || metric == "device_revenue" {
            for row in point {
                assert_eq!(row[flag], "", "{metric}: a best point where all are equal");
                assert_eq!(row[share], "", "{metric}: a share where all are equal");
            }
            equal_everywhere += 1;
        }
        // Shares count trials with a single best point only.
        let total: f64 = point
            .iter()
            .filter_map(|r| r[share].parse::<f64>().ok())
            .sum();
        assert!(total <= 1.0 + 1e-12, "{metric}: shares sum to {total}");
    }
    assert_eq!(equal_everywhere, 2);
    // The terminal and the page: the tied best point is not singled out.
    let mut tied_best = 0;
    // (The decision table after the best points lists every point by its expected value.)
    for line in stdout
        .lines()
        .take_while(|l| !l.starts_with("decision on "))
    {
        if line.contains("premium.consider_per_month=0 premium.price_month=5 ") {
            assert!(line.contains("(+1 tied)"), "{line}");
            assert!(line.ends_with(" tied"), "{line}");
            tied_best += 1;
        }
    }
    assert!(
        tied_best > 0,
        "no metric is best at the tied pair: {stdout}"
    );
    let html = std::fs::read_to_string(dir.join("sw/report.html")).unwrap();
    assert!(html.contains("<tr><td>fixed_cost</td><td>identical at every point</td>"));
    let fixed = &html[html.find("<tr><td>fixed_cost</td>").unwrap()..];
    assert!(fixed[..fixed.find("</tr>").unwrap()].ends_with("<td>same</td>"));
}

#[test]
fn labels_stay_distinct_and_read_back() {
    let dir = TempDir::new("ties", "labels");
    scenario(dir.path(), "premium_5usd_2024.toml", "-a.toml");
    scenario(dir.path(), "premium_5usd_2024.toml", "'-a.toml");
    scenario(dir.path(), "premium_5usd_2024.toml", "'a.toml");
    run_in(
        dir.path(),
        &[
            "compare", "--out", "cmp", "--", "-a.toml", "'-a.toml", "'a.toml",
        ],
    );
    let (header, rows) = csv(&dir.join("cmp/compare.csv"));
    let scenario = column(&header, "scenario");
    let names: Vec<&str> = rows[..3].iter().map(|r| r[scenario].as_str()).collect();
    assert_eq!(names, ["'-a.toml", "''-a.toml", "'a.toml"]);
    let read: Vec<&str> = names.iter().map(|n| unescape(n)).collect();
    assert_eq!(read, ["-a.toml", "'-a.toml", "'a.toml"]);
    // Read back, the report names the three files apart.
    let out = command()
        .current_dir(dir.path())
        .args(["report", "cmp"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.join("cmp/report.html")).unwrap();
    for shown in ["(-a.toml)", "(&#39;-a.toml)", "(&#39;a.toml)"] {
        assert!(html.contains(shown), "{shown} not on the page");
    }
}

#[test]
fn varied_values_that_are_numbers_are_number_cells() {
    let dir = TempDir::new("ties", "numbers");
    scenario(dir.path(), "premium_5usd_2024.toml", "tier.toml");
    run_in(
        dir.path(),
        &[
            "sweep",
            "tier.toml",
            "--vary",
            "premium.price_month=-0,+1,2.50",
            "--xlsx",
            "--out",
            "sw",
        ],
    );
    for file in ["sweep.csv", "sweep_trials.csv"] {
        let (_, rows) = csv(&dir.join("sw").join(file));
        let mut firsts: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        firsts.dedup();
        assert_eq!(firsts, ["-0", "1", "2.5"], "{file}");
    }
    let (_, rows) = csv(&dir.join("sw/sweep_best.csv"));
    assert!(
        rows.iter().all(|r| !r[1].starts_with('\'')),
        "a quoted number"
    );
    let data = sheet(&dir.join("sw/results.xlsx"), "sweep");
    assert_eq!(data.get((1, 0)), Some(&Data::Float(0.0)));
    assert_eq!(data.get((2, 0)), Some(&Data::Float(1.0)));
    assert_eq!(data.get((3, 0)), Some(&Data::Float(2.5)));
    // The folder reads back.
    let out = command()
        .current_dir(dir.path())
        .args(["report", "sw"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn values_of_one_number_spelled_twice_are_refused() {
    // `1` and `+1` (or `-0` and `0`) are one value: two rows of one point, told apart only by
    // spelling, would read alike in every file.
    for (values, said) in [
        ("1,+1,9", "the value +1 is given twice (as 1 and +1)"),
        ("-0,0", "the value 0 is given twice (as -0 and 0)"),
        ("3,5,3", "the value 3 is given twice"),
    ] {
        let spec = format!("premium.price_month={values}");
        let out = command()
            .args(["sweep", "scenarios/premium_5usd_2024.toml", "--vary", &spec])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("error: --vary {spec}: {said}; give each value once\n")
        );
    }
}

#[test]
fn hidden_characters_in_names_are_shown_escaped() {
    let dir = TempDir::new("ties", "hidden");
    let name = "x\u{202E}lmot.toml";
    scenario(dir.path(), "status_quo_2022_2028.toml", "base.toml");
    scenario(dir.path(), "premium_5usd_2024.toml", name);
    let stdout = run_in(
        dir.path(),
        &[
            "compare",
            "base.toml",
            name,
            "--report",
            "--xlsx",
            "--out",
            "cmp",
        ],
    );
    assert!(
        !stdout.contains('\u{202E}'),
        "a raw bidi control on the terminal"
    );
    assert!(
        stdout.contains("x\\u{202E}lmot.toml vs base.toml"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.join("cmp/report.html")).unwrap();
    assert!(!html.contains('\u{202E}'), "a raw bidi control on the page");
    assert!(html.contains("x\\u{202E}lmot.toml"));
    let charts = sheet(&dir.join("cmp/results.xlsx"), "charts");
    let texts: Vec<&String> = charts
        .used_cells()
        .filter_map(|(_, _, c)| match c {
            Data::String(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(texts.iter().all(|s| !s.contains('\u{202E}')), "{texts:?}");
    assert!(texts.iter().any(|s| s.contains("x\\u{202E}lmot.toml")));
    // The data keeps the name exactly.
    let (header, rows) = csv(&dir.join("cmp/compare.csv"));
    let scenario = column(&header, "scenario");
    assert!(rows.iter().any(|r| r[scenario] == name));
}
