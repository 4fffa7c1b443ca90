//! The files of a results folder: their names, and which command's results they hold.
//!
//! Every file name the tool writes or reads is defined here once.

/// The file that marks a folder as written by this tool; `--out` refuses to write into a
/// non-empty folder without it unless forced.
pub const MARKER: &str = ".downstream-output";

/// `run`: statistics of every scalar over the horizon.
pub const SUMMARY: &str = "summary.csv";
/// `run`: statistics of every metric per month.
pub const MONTHLY: &str = "monthly.csv";
/// `run`: statistics of every metric per calendar year.
pub const YEARLY: &str = "yearly.csv";
/// `run`: per trial, the drawn uncertain parameters and every scalar.
pub const TRIALS: &str = "trials.csv";
/// `sweep`: per point, statistics of every scalar.
pub const SWEEP: &str = "sweep.csv";
/// `sweep`: per point and trial, every scalar.
pub const SWEEP_TRIALS: &str = "sweep_trials.csv";
/// `sweep`: per money scalar and point, the best point by mean and per trial.
pub const SWEEP_BEST: &str = "sweep_best.csv";
/// `compare`: per scalar and scenario, statistics and paired differences with the base.
pub const COMPARE: &str = "compare.csv";
/// `compare`, `sweep`: per option, the decision view of one metric.
pub const DECISION: &str = "decision.csv";
/// `compare`, `sweep`: the value of information (EVPI, and EVPPI per parameter and group).
pub const VOI: &str = "voi.csv";
/// `sensitivity`: one row per uncertain parameter.
pub const TORNADO: &str = "tornado.csv";
/// `sensitivity --by`: rank correlations per period.
pub const SENSITIVITY_BY_PERIOD: &str = "sensitivity_by_period.csv";
/// `backtest`: one row per target.
pub const BACKTEST: &str = "backtest.csv";
/// `calibrate`: every draw with its parameters, target values and normalised weight.
pub const POSTERIOR: &str = "posterior.csv";
/// `calibrate`: prior and posterior percentiles per calibrated parameter and target.
pub const CALIBRATION: &str = "calibration.csv";
/// `calibrate`: the prior scenario with the fitted distributions.
pub const CALIBRATED: &str = "calibrated.toml";
/// The scenario as run, with defaults filled in and a `[run]` table.
pub const RESOLVED: &str = "scenario.resolved.toml";
/// The HTML report (`--report`, `downstream report`).
pub const REPORT: &str = "report.html";
/// The workbook (`--xlsx`, `downstream report --xlsx`).
pub const WORKBOOK: &str = "results.xlsx";

/// Every fixed name of a result file (the marker and part files are not results).
const RESULT_FILES: [&str; 19] = [
    SUMMARY,
    MONTHLY,
    YEARLY,
    TRIALS,
    SWEEP,
    SWEEP_TRIALS,
    SWEEP_BEST,
    COMPARE,
    DECISION,
    VOI,
    TORNADO,
    SENSITIVITY_BY_PERIOD,
    BACKTEST,
    POSTERIOR,
    CALIBRATION,
    CALIBRATED,
    RESOLVED,
    REPORT,
    WORKBOOK,
];

/// Whether `name` is a file some command writes as (part of) its result: one of the fixed
/// names or a [`compare_resolved`] file. A new result replaces every such file.
pub fn is_result_file(name: &str) -> bool {
    RESULT_FILES.contains(&name)
        || name.strip_suffix(".resolved.toml").is_some_and(|rest| {
            rest.split_once('-')
                .is_some_and(|(i, _)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// `compare`: the resolved scenario of input `index` (0 is the base), named by the stem
/// of its file; numbered because one file may be compared with itself.
pub fn compare_resolved(index: usize, input: &str) -> String {
    let stem = std::path::Path::new(input)
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    format!("{index}-{stem}.resolved.toml")
}

/// Which command wrote a result folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// `run`: `summary.csv`, `monthly.csv`, `yearly.csv`, `trials.csv`.
    Run,
    /// `sweep`: `sweep.csv`, `sweep_best.csv`, `sweep_trials.csv`.
    Sweep,
    /// `compare`: `compare.csv` and one `<i>-<stem>.resolved.toml` per scenario.
    Compare,
    /// `sensitivity`: `tornado.csv` and, with `--by year|month`, `sensitivity_by_period.csv`.
    Sensitivity,
}

impl FolderKind {
    /// The file whose presence tells the kind (the most recently written one counts when a
    /// reused folder holds several).
    pub const SIGNATURES: [(FolderKind, &'static str); 5] = [
        (FolderKind::Sensitivity, TORNADO),
        (FolderKind::Compare, COMPARE),
        (FolderKind::Sweep, SWEEP),
        (FolderKind::Run, SUMMARY),
        (FolderKind::Run, MONTHLY),
    ];
}
