//! Output files and the printed summary of a run.
//!
//! [`Report`] turns per-trial results into the tables of SPEC §6; [`write_files`] writes
//! them all-or-nothing: every file goes to a temporary name in the target folder first and
//! is renamed only when all were written, and on failure the temporaries (and a folder
//! this call created) are removed. CSV is RFC 4180 via the `csv` crate, `.` decimal,
//! shortest round-trip numbers, empty cells for undefined values, and text cells that a
//! spreadsheet would run as a formula are neutralised with a leading `'`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::{Layout, RunResult};
use crate::scenario::Scenario;
use crate::stats::{Summary, summarize};

/// A text cell made safe for spreadsheets (OWASP CSV injection).
pub fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// A number cell: shortest round-trip form, empty when undefined or infinite.
pub fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// Statistics of one run, ready to print or write.
pub struct Report {
    pub layout: Layout,
    pub months: Vec<String>,
    pub years: Vec<i32>,
    /// Per scalar.
    pub summary: Vec<Summary>,
    /// Per (month, metric), row-major by month.
    pub monthly: Vec<Summary>,
    /// Per (year, metric).
    pub yearly: Vec<Summary>,
}

/// The simulated months, `YYYY-MM`.
pub fn month_labels(scenario: &Scenario) -> Vec<String> {
    (0..scenario.months())
        .map(|m| scenario.start().plus(m).to_string())
        .collect()
}

/// The calendar years the horizon touches.
pub fn year_labels(scenario: &Scenario) -> Vec<i32> {
    let first = scenario.start().year();
    let last = scenario.start().plus(scenario.months() - 1).year();
    (first..=last).collect()
}

impl Report {
    pub fn new(scenario: &Scenario, run: &RunResult) -> Report {
        let l = &run.layout;
        let n = l.len();
        let months = scenario.months() as usize;
        let years = year_labels(scenario).len();
        let column = |f: &dyn Fn(&crate::engine::TrialResult) -> f64| -> Summary {
            let values: Vec<f64> = run.trials.iter().map(f).collect();
            summarize(&values)
        };
        let summary = (0..l.scalars.len())
            .map(|j| column(&|t| t.scalars[j]))
            .collect();
        let monthly = (0..months * n).map(|i| column(&|t| t.monthly[i])).collect();
        let yearly = (0..years * n).map(|i| column(&|t| t.yearly[i])).collect();
        Report {
            layout: l.clone(),
            months: month_labels(scenario),
            years: year_labels(scenario),
            summary,
            monthly,
            yearly,
        }
    }

    /// The summary statistics of a scalar by name.
    pub fn scalar(&self, name: &str) -> Option<&Summary> {
        self.layout.scalar_index(name).map(|i| &self.summary[i])
    }

    pub fn summary_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "metric",
            "mean",
            "sd",
            "p05",
            "p50",
            "p95",
            "mean_se",
            "mean_ci95_half_width",
        ])?;
        for (name, s) in self.layout.scalar_names().zip(&self.summary) {
            w.write_record([
                safe_text(name),
                num(s.mean),
                num(s.sd),
                num(s.p05),
                num(s.p50),
                num(s.p95),
                num(s.se()),
                num(s.ci95_half_width()),
            ])?;
        }
        finish(w)
    }

    pub fn monthly_csv(&self) -> Result<Vec<u8>, csv::Error> {
        self.period_csv("month", &self.months, &self.monthly)
    }

    pub fn yearly_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let years: Vec<String> = self.years.iter().map(|y| y.to_string()).collect();
        self.period_csv("year", &years, &self.yearly)
    }

    fn period_csv(
        &self,
        what: &str,
        periods: &[String],
        stats: &[Summary],
    ) -> Result<Vec<u8>, csv::Error> {
        let n = self.layout.len();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([what, "metric", "mean", "sd", "p05", "p50", "p95"])?;
        for (i, period) in periods.iter().enumerate() {
            for (j, def) in self.layout.defs.iter().enumerate() {
                let s = &stats[i * n + j];
                w.write_record([
                    period.clone(),
                    safe_text(&def.name),
                    num(s.mean),
                    num(s.sd),
                    num(s.p05),
                    num(s.p50),
                    num(s.p95),
                ])?;
            }
        }
        finish(w)
    }
}

/// `trials.csv`: one row per trial, the drawn uncertain parameters, then the scalars.
pub fn trials_csv(scenario: &Scenario, run: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let uncertain: Vec<(usize, &str)> = scenario
        .params()
        .iter()
        .filter(|(_, p)| p.is_uncertain())
        .map(|(id, p)| (id.0 as usize, p.key()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["trial".to_string()];
    header.extend(uncertain.iter().map(|(_, k)| safe_text(k)));
    header.extend(run.layout.scalar_names().map(safe_text));
    w.write_record(&header)?;
    for t in &run.trials {
        let mut row = vec![t.trial.to_string()];
        row.extend(uncertain.iter().map(|&(i, _)| num(t.draws[i])));
        row.extend(t.scalars.iter().map(|&x| num(x)));
        w.write_record(&row)?;
    }
    finish(w)
}

/// The bytes of a finished in-memory CSV writer.
pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The file that marks a folder as written by this tool; `--out` refuses to write into a
/// non-empty folder without it unless forced.
pub const MARKER: &str = ".downstream-output";

/// Whether `dir` may receive results: it does not exist, holds the marker, or holds
/// nothing but temporaries of a run that was killed before it renamed anything.
pub fn is_result_folder(dir: &Path) -> bool {
    if dir.join(MARKER).exists() {
        return true;
    }
    match fs::read_dir(dir) {
        Err(_) => true,
        Ok(entries) => entries
            .flatten()
            .all(|e| is_temporary(&e.file_name().to_string_lossy())),
    }
}

/// A temporary of [`write_files_unless`]: `.<name>.tmp-<pid>`.
fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
        && name
            .rsplit_once(".tmp-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Writes `files` (name, contents) into `dir` all-or-nothing, with the [`MARKER`].
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    write_files_unless(dir, files, &std::sync::atomic::AtomicBool::new(false))
}

/// Writes `files` into `dir` all-or-nothing: each is written to a temporary name in `dir`
/// and renamed only when all are complete, so no final name ever holds a partial file.
/// Folders that did not exist are created, and removed again if anything fails or if
/// `cancel` is set before the renames (Ctrl-C). Temporaries left by a killed earlier run
/// (`.<name>.tmp-<pid>`) are removed first.
pub fn write_files_unless(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    cancel: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a folder", dir.display()),
        ));
    }
    // The outermost folder this call creates, to remove on failure.
    let created = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .last()
        .map(Path::to_path_buf);
    fs::create_dir_all(dir)?;
    let marker = format!("written by downstream {}\n", env!("CARGO_PKG_VERSION")).into_bytes();
    // The marker is renamed first: a folder with any final file always has it.
    let all: Vec<(&str, &[u8])> = std::iter::once((MARKER, marker.as_slice()))
        .chain(files.iter().map(|(n, b)| (*n, b.as_slice())))
        .collect();
    // Temporaries of runs that were killed; never those of a process still writing (shards
    // of one job may write into one folder at the same time).
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if all
                .iter()
                .any(|(n, _)| name.starts_with(&format!(".{n}.tmp-")))
                && temporary_is_stale(&name)
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> std::io::Result<()> {
        for (name, bytes) in &all {
            let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
            temps.push((tmp.clone(), dir.join(name)));
            let mut f = fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()?;
        }
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted",
            ));
        }
        for (tmp, target) in &temps {
            fs::rename(tmp, target)?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &temps {
            let _ = fs::remove_file(tmp);
        }
        // Remove the folders this call created, innermost first, as long as they are empty:
        // another process may have written into them meanwhile.
        if let Some(created) = created {
            for folder in dir.ancestors() {
                if fs::remove_dir(folder).is_err() || folder == created {
                    break;
                }
            }
        }
    }
    result
}

/// Whether a temporary `.<name>.tmp-<pid>` belongs to a process that no longer runs.
fn temporary_is_stale(name: &str) -> bool {
    let Some((_, pid)) = name.rsplit_once(".tmp-") else {
        return false;
    };
    if pid == std::process::id().to_string() {
        return true;
    }
    // Without /proc we cannot tell: leave it (it is hidden and never read).
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

/// Money in $B with two decimals.
pub(crate) fn billions(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}", x / 1e9)
    } else {
        "-".into()
    }
}

/// Counts in millions with one decimal.
pub(crate) fn millions(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}", x / 1e6)
    } else {
        "-".into()
    }
}

/// The key figures shown on stdout, as (label, unit, scalar name).
pub const KEY_FIGURES: [(&str, &str, &str); 16] = [
    ("Units sold", "M", "units_sold"),
    ("Active households (last month)", "M", "active_households"),
    ("Device revenue", "$B", "device_revenue"),
    ("Hardware subsidy", "$B", "hardware_subsidy"),
    ("Serving cost", "$B", "serving_cost"),
    ("Fixed cost", "$B", "fixed_cost"),
    (
        "Premium subscribers (last month)",
        "M",
        "premium_subscribers",
    ),
    ("Premium revenue", "$B", "premium_revenue"),
    ("Premium serving cost (LLM)", "$B", "premium_serving_cost"),
    ("Device P&L", "$B", "device_pnl"),
    ("Downstream claimed", "$B", "downstream_claimed"),
    ("Downstream incremental", "$B", "downstream_incremental"),
    ("Net, claimed", "$B", "net_claimed"),
    ("Net, incremental", "$B", "net_incremental"),
    ("NPV of net, incremental", "$B", "npv_net_incremental"),
    ("Breakeven month (from start)", "", "breakeven_month"),
];

/// A readable table of the key figures.
pub fn summary_table(scenario: &Scenario, report: &Report, trials: usize) -> String {
    let mut out = String::new();
    let sim = scenario.simulation();
    let _ = writeln!(
        out,
        "{}: {} to {}, {} trials x {} households, seed {}",
        scenario.name(),
        scenario.start(),
        scenario.start().plus(scenario.months() - 1),
        trials,
        sim.households,
        sim.seed
    );
    let _ = writeln!(
        out,
        "{:<32} {:>4} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "horizon total", "unit", "p05", "p50", "p95", "mean", "se", "±95%"
    );
    for (label, unit, name) in KEY_FIGURES {
        if name.starts_with("premium_") && !scenario.has_premium() {
            continue;
        }
        let Some(s) = report.scalar(name) else {
            continue;
        };
        let f = |x: f64, undefined: &str| match unit {
            _ if !x.is_finite() => undefined.to_string(),
            "$B" => billions(x),
            "M" => millions(x),
            _ => format!("{x:.1}"),
        };
        let p = |x: f64| match unit {
            "" if x.is_finite() => format!("{x:.0}"),
            _ => f(x, "never"),
        };
        let _ = writeln!(
            out,
            "{label:<32} {unit:>4} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
            p(s.p05),
            p(s.p50),
            p(s.p95),
            f(s.mean, "-"),
            f(s.se(), "-"),
            f(s.ci95_half_width(), "-"),
        );
    }
    let _ = writeln!(
        out,
        "\nby year (p50)   units M   device P&L $B   claimed $B   incremental $B   net incr. $B"
    );
    let l = &report.layout;
    let n = l.len();
    for (i, year) in report.years.iter().enumerate() {
        let p50 = |j: usize| report.yearly[i * n + j].p50;
        let _ = writeln!(
            out,
            "{year:<13} {:>9} {:>15} {:>12} {:>16} {:>14}",
            millions(p50(l.units_sold)),
            billions(p50(l.device_pnl)),
            billions(p50(l.downstream_claimed)),
            billions(p50(l.downstream_incremental)),
            billions(p50(l.net_incremental)),
        );
    }
    out
}

/// The key figures as JSON (`--format json`); undefined values are `null`.
pub fn summary_json(scenario: &Scenario, report: &Report, trials: usize) -> String {
    let sim = scenario.simulation();
    let stat = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    let metrics: serde_json::Map<String, serde_json::Value> = report
        .layout
        .scalar_names()
        .zip(&report.summary)
        .map(|(name, s)| {
            (
                name.to_string(),
                serde_json::json!({
                    "mean": stat(s.mean), "sd": stat(s.sd),
                    "p05": stat(s.p05), "p50": stat(s.p50), "p95": stat(s.p95),
                    "mean_se": stat(s.se()), "mean_ci95_half_width": stat(s.ci95_half_width())
                }),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "scenario": scenario.name(),
        "start": scenario.start().to_string(),
        "months": scenario.months(),
        "households": sim.households,
        "trials": trials,
        "seed": sim.seed,
        "scalars": metrics,
    });
    serde_json::to_string_pretty(&doc).expect("JSON of plain values") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formula_cells() {
        assert_eq!(
            safe_text("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for s in ["+1", "-1", "@a", "\tx", "\rx"] {
            assert!(safe_text(s).starts_with('\''), "{s:?}");
        }
        assert_eq!(safe_text("units_echo_dot"), "units_echo_dot");
    }

    #[test]
    fn numbers_are_plain_and_finite() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-2.0e9), "-2000000000");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(f64::INFINITY), "");
    }

    #[test]
    fn write_files_is_all_or_nothing() {
        let base = std::env::temp_dir().join(format!("downstream-out-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let dir = base.join("new");
        write_files(
            &dir,
            &[("a.csv", b"x\n".to_vec()), ("b.csv", b"y\n".to_vec())],
        )
        .unwrap();
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"x\n");
        // A name that cannot be created (a path through a file) fails and leaves nothing new.
        let bad = base.join("new/a.csv/sub");
        assert!(write_files(&bad, &[("c.csv", b"z\n".to_vec())]).is_err());
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            3,
            "two files and the marker: {leftovers:?}"
        );
        assert!(is_result_folder(&dir));
        // Nested folders that did not exist are all removed when writing is cancelled.
        let deep = base.join("x/y/z");
        let cancel = std::sync::atomic::AtomicBool::new(true);
        assert!(write_files_unless(&deep, &[("c.csv", b"z\n".to_vec())], &cancel).is_err());
        assert!(!base.join("x").exists());
        // A stale temporary of a killed run is cleaned up.
        fs::write(dir.join(".a.csv.tmp-99999999"), b"partial").unwrap();
        write_files(&dir, &[("a.csv", b"x2\n".to_vec())]).unwrap();
        assert!(!dir.join(".a.csv.tmp-99999999").exists());
        let other = base.join("other");
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("notes.txt"), b"mine").unwrap();
        assert!(!is_result_folder(&other));
        fs::remove_dir_all(&base).unwrap();
    }
}
