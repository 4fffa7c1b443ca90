//! Reports of result folders (`export::html::page` and `export::xlsx::workbook` of the
//! results read back by `results::read::read`):
//! built from folders that the binary writes with `run`, `sweep` and `compare` (and from
//! `sensitivity` folders written here by hand, in that command's format), the HTML is
//! one self-contained page (no scripts, no external references, inline SVG charts, text
//! from the files escaped), the workbook reads back with calamine (a sheet per CSV, numbers
//! as numbers, months as dates, frozen headers, native charts), and — where Chromium is
//! installed — the page renders offline to a non-blank screenshot with no console message.
//!
//! Set `DOWNSTREAM_REPORT_KEEP=DIR` to keep the pages and workbooks for a look.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use downstream::export::html::escape;
use downstream::results::files::FolderKind;
use downstream::results::read::{kind, read};

/// The HTML report of a results folder.
fn html(dir: &std::path::Path) -> anyhow::Result<String> {
    downstream::export::html::page(&read(dir)?)
}

/// The workbook of a results folder.
fn workbook(dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    downstream::export::xlsx::workbook(&read(dir)?)
}

use crate::common::{ok, temp_dir};

const SEED: &str = "4242";
const PREMIUM_NAME: &str = "Paid Alexa tier at $5/month from 2024-07";

/// Runs the binary at this file's size and seed; asserts it succeeded.
fn cli(args: &[&str]) {
    let size = [
        "--households",
        "3000",
        "--trials",
        "12",
        "--seed",
        SEED,
        "--quiet",
    ];
    ok(&[args, &size[..]].concat());
}

struct Folders {
    run: PathBuf,
    sweep: PathBuf,
    compare: PathBuf,
}

/// One run, sweep and compare folder, written once for all tests of this module.
fn folders() -> &'static Folders {
    static F: OnceLock<Folders> = OnceLock::new();
    F.get_or_init(|| {
        let f = Folders {
            run: temp_dir("report", "run"),
            sweep: temp_dir("report", "sweep"),
            compare: temp_dir("report", "compare"),
        };
        let premium = "scenarios/premium_5usd_2024.toml";
        cli(&["run", premium, "--out", f.run.to_str().unwrap()]);
        cli(&[
            "sweep",
            premium,
            "--vary",
            "premium.price_month=2:10:2",
            "--out",
            f.sweep.to_str().unwrap(),
        ]);
        cli(&[
            "compare",
            "scenarios/status_quo_2022_2028.toml",
            premium,
            "--out",
            f.compare.to_str().unwrap(),
        ]);
        f
    })
}

/// Keeps a file for a look when `DOWNSTREAM_REPORT_KEEP` names a folder.
fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("DOWNSTREAM_REPORT_KEEP") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The page references nothing outside itself and runs nothing.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "not an HTML page");
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "@import",
        "url(",
        " src=",
        "href=",
        "xlink:",
        "@font-face",
    ] {
        assert!(!lower.contains(bad), "the page contains `{bad}`");
    }
    // Any URL may only appear as escaped text, never inside a tag.
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e);
        let tag = &rest[start..end];
        assert!(
            !tag.contains("http://") && !tag.contains("https://"),
            "a tag holds a URL: {tag}"
        );
        rest = &rest[end..];
    }
    let style = &lower[lower.find("<style>").unwrap()..lower.find("</style>").unwrap()];
    assert!(!style.contains("http"), "the style sheet names a URL");
    assert!(html.contains("<svg"), "no inline SVG chart");
    assert!(html.trim_end().ends_with("</html>"));
}

fn count(html: &str, what: &str) -> usize {
    html.matches(what).count()
}

#[test]
fn run_report_is_one_self_contained_page() {
    let html = html(&folders().run).unwrap();
    keep("run.html", html.as_bytes());
    assert_self_contained(&html);
    assert!(html.contains(&escape(PREMIUM_NAME)));
    assert!(
        html.contains("<td>Seed</td><td>4242</td>"),
        "seed not shown"
    );
    assert!(html.contains("<td>Trials</td><td>12</td>"));
    for section in [
        "Horizon totals",
        "month by month",
        "Cumulative",
        "By year",
        "What households ask",
        "Paid tier",
        "Adoption",
    ] {
        assert!(html.contains(section), "no section `{section}`");
    }
    assert!(count(&html, "<svg") >= 7, "{} charts", count(&html, "<svg"));
    // Charts carry their units and legends as SVG text.
    for text in [
        "$B per month",
        "cumulative $B",
        "$B per year",
        "Premium subscribers (M)",
        "p05–p95",
    ] {
        assert!(html.contains(text), "no `{text}` in the charts");
    }
    assert!(html.contains("cumulative mean"));
    assert_eq!(kind(&folders().run).unwrap(), FolderKind::Run);
    // The verdict in words opens the page, before the settings.
    let verdict = verdict_of(&folders().run);
    assert!(verdict.contains("the device P&L is"), "{verdict}");
    let at = html
        .find(&escape(&verdict))
        .expect("the verdict on the page");
    assert!(at < html.find("<h2>Settings</h2>").unwrap());
}

/// The verdict in words of a run, compare or sweep folder, as `export::verdict` writes it
/// (one line per sentence group, trimmed).
fn verdict_of(dir: &Path) -> String {
    use downstream::export::verdict;
    use downstream::results::Results;
    let text = match read(dir).unwrap() {
        Results::Run(r) => verdict::run(&r),
        Results::Compare(r) => verdict::compare(&r),
        Results::Sweep(r) => verdict::sweep(&r),
        _ => panic!("{}: no verdict for this kind", dir.display()),
    };
    assert!(
        !text.trim().is_empty(),
        "{}: an empty verdict",
        dir.display()
    );
    text.trim().to_string()
}

/// The verdict's text at the top of a workbook's charts sheet: the rows of the first
/// column below the title, up to the first empty row, joined by spaces.
fn workbook_verdict(bytes: &[u8]) -> String {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range("charts").unwrap();
    let mut lines = Vec::new();
    for r in 1..range.height() {
        match range.get((r, 0)) {
            Some(Data::String(s)) if !s.is_empty() => lines.push(s.clone()),
            _ => break,
        }
    }
    lines.join(" ")
}

/// Asserts that a workbook's charts sheet opens with the folder's verdict (its words, as
/// wrapped into rows).
fn assert_workbook_verdict(dir: &Path, bytes: &[u8]) {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        workbook_verdict(bytes),
        words(&downstream::format::escape(&words(&verdict_of(dir))))
    );
}

#[test]
fn sweep_report_shows_the_curve_and_best_point() {
    let html = html(&folders().sweep).unwrap();
    keep("sweep.html", html.as_bytes());
    assert_self_contained(&html);
    assert!(html.contains(&escape(PREMIUM_NAME)));
    assert!(html.contains("<td>Seed</td><td>4242</td>"));
    assert!(html.contains("Varied: premium.price_month"));
    assert!(html.contains("best by mean: premium.price_month = "));
    assert!(html.contains("Net, incremental against the varied value"));
    assert!(html.contains("Device P&amp;L against the varied value"));
    assert!(count(&html, "<svg") >= 3);
    assert_eq!(kind(&folders().sweep).unwrap(), FolderKind::Sweep);
}

#[test]
fn compare_report_shows_paired_differences() {
    let html = html(&folders().compare).unwrap();
    keep("compare.html", html.as_bytes());
    assert_self_contained(&html);
    assert!(html.contains(&escape(PREMIUM_NAME)));
    assert!(html.contains("Status quo") || html.contains("status quo"));
    assert!(html.contains("<td>Seed</td><td>4242</td>"));
    assert!(html.contains("P(better)"));
    assert!(html.contains("difference to the base, $B"));
    assert!(count(&html, "<svg") >= 3);
    assert_eq!(kind(&folders().compare).unwrap(), FolderKind::Compare);
    // Year by year: the chart of the paired differences per calendar year and its table,
    // a row per year.
    assert!(html.contains("<h3>Year by year</h3>"));
    assert!(html.contains("difference to the base, $B per year"));
    assert!(html.contains("calendar year"));
    for year in 2022..=2028 {
        assert!(
            html.contains(&format!("<tr><td>{year}</td>")),
            "no row {year}"
        );
    }
    assert!(html.contains(&escape(
        verdict_of(&folders().compare).lines().next().unwrap()
    )));
}

/// `downstream report DIR` of a compare folder writes the same report and workbook as the
/// `compare` that made it; and a `compare.csv` written before the `period` column (the
/// horizon's rows alone) still makes a report, without the years.
#[test]
fn report_of_a_compare_folder_re_renders_identical_files() {
    let dir = temp_dir("report", "compare-again");
    cli(&[
        "compare",
        "scenarios/status_quo_2022_2028.toml",
        "scenarios/premium_5usd_2024.toml",
        "--report",
        "--xlsx",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let before: Vec<Vec<u8>> = ["report.html", "results.xlsx"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    ok(&["report", dir.to_str().unwrap(), "--xlsx"]);
    for (f, bytes) in ["report.html", "results.xlsx"].iter().zip(&before) {
        assert!(
            &std::fs::read(dir.join(f)).unwrap() == bytes,
            "{f} differs when rendered again"
        );
    }

    // The old layout: no `period` column, no year rows.
    let mut r = csv::Reader::from_path(dir.join("compare.csv")).unwrap();
    let mut w = csv::Writer::from_path(dir.join("old.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[1], "period");
    let keep = |row: &[String]| -> Vec<String> {
        row.iter()
            .enumerate()
            .filter(|&(c, _)| c != 1)
            .map(|(_, x)| x.clone())
            .collect()
    };
    w.write_record(keep(&header)).unwrap();
    let mut horizon = 0;
    for rec in r.records() {
        let row: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if row[1] == "horizon" {
            w.write_record(keep(&row)).unwrap();
            horizon += 1;
        }
    }
    w.flush().unwrap();
    drop(w);
    std::fs::rename(dir.join("old.csv"), dir.join("compare.csv")).unwrap();
    let downstream::results::Results::Compare(old) = read(&dir).unwrap() else {
        panic!("a compare folder")
    };
    assert_eq!(old.rows.len(), horizon);
    assert!(old.by_year.is_empty() && old.years.is_empty());
    let page = html(&dir).unwrap();
    assert!(page.contains("difference to the base, $B"));
    assert!(!page.contains("Year by year"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_from_the_files_is_escaped() {
    let dir = temp_dir("report", "hostile");
    copy_dir(&folders().sweep, &dir);
    let evil = "<script>alert(\"x\")</script> & https://example.invalid/";
    let toml_path = dir.join("scenario.resolved.toml");
    let toml = std::fs::read_to_string(&toml_path).unwrap();
    let toml = toml.replacen(
        &format!("name = \"{PREMIUM_NAME}\""),
        &format!("name = {}", toml::Value::from(evil)),
        1,
    );
    std::fs::write(&toml_path, toml).unwrap();
    for file in ["sweep.csv", "sweep_best.csv", "sweep_trials.csv"] {
        let p = dir.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            text.replace("premium.price_month", "premium.<b>price</b>&\"month\""),
        )
        .unwrap();
    }
    let html = html(&dir).unwrap();
    assert!(!html.contains("<script"));
    assert!(!html.contains("<b>"));
    assert!(html.contains(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; https://example.invalid/"
    ));
    assert!(html.contains("premium.&lt;b&gt;price&lt;/b&gt;&amp;"));
    assert_self_contained(&html);
    // The workbook takes the same files.
    workbook(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_without_results_is_refused() {
    let dir = temp_dir("report", "empty");
    std::fs::create_dir_all(&dir).unwrap();
    let err = html(&dir).unwrap_err().to_string();
    assert!(err.contains("not a result folder"), "{err}");
    assert!(workbook(&dir).is_err());
    assert!(html(&dir.join("missing")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reused_folder_reports_the_newest_command() {
    let dir = temp_dir("report", "reused");
    copy_dir(&folders().sweep, &dir);
    copy_dir(&folders().run, &dir);
    let set = |file: &str, secs: u64| set_modified(&dir.join(file), secs);
    set("sweep.csv", 2_000_000_000);
    for f in ["summary.csv", "monthly.csv"] {
        set(f, 1_000_000_000);
    }
    assert_eq!(kind(&dir).unwrap(), FolderKind::Sweep);
    set("summary.csv", 2_000_000_001);
    assert_eq!(kind(&dir).unwrap(), FolderKind::Run);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// Sensitivity folders, written by hand in the format of the `sensitivity` command

/// Five uncertain parameters, by swing; one rank correlation undefined.
const TORNADO: &str = "\
metric,parameter,p10,p90,base_mean,mean_at_p10,mean_at_p90,swing,swing_se,rank_correlation
npv_net_incremental,adoption.potential,0.15,0.32,-19840000000,-21000000000,-18500000000,2500000000,30000000,0.61
npv_net_incremental,costs.fixed_per_year.2022,1800000000,2600000000,-19840000000,-19100000000,-20700000000,1600000000,25000000,-0.48
npv_net_incremental,purchase.voice_shopping.margin,0.04,0.09,-19840000000,-20300000000,-19400000000,900000000,20000000,0.22
npv_net_incremental,usage.interactions_per_day,0.001,0.004,-19840000000,-19700000000,-20000000000,300000000,15000000,
npv_net_incremental,subscription.ring_protect.churn_per_year,0.01,0.03,-19840000000,-19800000000,-19900000000,100000000,12000000,-0.05
";

/// Three years of the five parameters, in tornado order; one cell undefined.
const BY_YEAR: &str = "\
metric,period,parameter,rank_correlation
net_incremental,2022,adoption.potential,0.42
net_incremental,2022,costs.fixed_per_year.2022,-0.55
net_incremental,2022,purchase.voice_shopping.margin,0.10
net_incremental,2022,usage.interactions_per_day,
net_incremental,2022,subscription.ring_protect.churn_per_year,-0.02
net_incremental,2023,adoption.potential,0.58
net_incremental,2023,costs.fixed_per_year.2022,-0.01
net_incremental,2023,purchase.voice_shopping.margin,0.19
net_incremental,2023,usage.interactions_per_day,-0.12
net_incremental,2023,subscription.ring_protect.churn_per_year,-0.04
net_incremental,2024,adoption.potential,0.66
net_incremental,2024,costs.fixed_per_year.2022,0.00
net_incremental,2024,purchase.voice_shopping.margin,0.24
net_incremental,2024,usage.interactions_per_day,-0.2
net_incremental,2024,subscription.ring_protect.churn_per_year,-0.07
";

/// A `sensitivity` result folder: the marker, a resolved scenario, `tornado.csv` and, if
/// given, `sensitivity_by_period.csv`.
fn sensitivity_folder(name: &str, tornado: &str, by_period: Option<&str>) -> PathBuf {
    let dir = temp_dir("report", name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(downstream::results::files::MARKER),
        format!("written by downstream {}\n", env!("CARGO_PKG_VERSION")),
    )
    .unwrap();
    // The run folder's resolved scenario: the parameters of the tornado are its own.
    std::fs::copy(
        folders().run.join("scenario.resolved.toml"),
        dir.join("scenario.resolved.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("tornado.csv"), tornado).unwrap();
    if let Some(text) = by_period {
        std::fs::write(dir.join("sensitivity_by_period.csv"), text).unwrap();
    }
    dir
}

/// The page's figures (the inside of each `<figure>`), in order.
fn figures(html: &str) -> Vec<&str> {
    html.split("<figure>")
        .skip(1)
        .map(|f| &f[..f.find("</figure>").expect("a closed figure")])
        .collect()
}

/// A label drawn as SVG text.
fn svg_text(s: &str) -> String {
    format!(">\n{s}\n</text>")
}

/// Twenty uncertain parameters of the premium scenario.
const TWENTY_PARAMETERS: [&str; 20] = [
    "adoption.installed_share",
    "adoption.potential",
    "adoption.innovation",
    "adoption.imitation",
    "adoption.devices_at_adoption",
    "adoption.extra_devices_per_year",
    "adoption.abandon_per_year",
    "device.echo_dot.price.2022",
    "device.echo_dot.price.2023",
    "device.echo_dot.unit_cost.2022",
    "device.echo_dot.unit_cost.2023",
    "device.echo.price",
    "device.echo.unit_cost",
    "device.echo_show.price",
    "device.echo_show.unit_cost",
    "usage.interactions_per_day",
    "usage.activity_shape",
    "usage.novelty_boost",
    "usage.novelty_decay_months",
    "purchase.voice_shopping.conversion",
];

const PARAMETERS: [&str; 5] = [
    "adoption.potential",
    "costs.fixed_per_year.2022",
    "purchase.voice_shopping.margin",
    "usage.interactions_per_day",
    "subscription.ring_protect.churn_per_year",
];

#[test]
fn sensitivity_report_shows_the_tornado_and_the_heat_map() {
    let dir = sensitivity_folder("sensitivity", TORNADO, Some(BY_YEAR));
    assert_eq!(kind(&dir).unwrap(), FolderKind::Sensitivity);
    let html = html(&dir).unwrap();
    keep("sensitivity.html", html.as_bytes());
    assert_self_contained(&html);
    assert!(html.contains("downstream · sensitivity report"));
    assert!(html.contains(&escape(PREMIUM_NAME)));
    assert!(html.contains("<td>Seed</td><td>4242</td>"));
    assert!(html.contains("<td>Metric</td><td>npv_net_incremental</td>"));
    assert!(html.contains("<td>Mean in the plain run</td><td>-19.84 $B</td>"));
    assert!(html.contains("<td>Uncertain parameters</td><td>5</td>"));
    assert!(html.contains("What moves npv_net_incremental most"));
    assert!(html.contains("Which assumption drives the result in each year"));

    let figs = figures(&html);
    assert_eq!(figs.len(), 2, "a tornado chart and a heat map");
    let (tornado, heat) = (figs[0], figs[1]);
    assert!(tornado.starts_with("<svg"));
    for text in [
        "parameter held at its p10",
        "parameter held at its p90",
        "mean of the plain run: -19.84 $B",
        "mean of npv_net_incremental, $B",
    ] {
        assert!(tornado.contains(&svg_text(text)), "tornado: no `{text}`");
    }
    // The two sides of the bars in their colours (the p10 side blue, the p90 side orange).
    assert!(tornado.contains("fill=\"#1F6EB4\""));
    assert!(tornado.contains("fill=\"#E27616\""));
    assert!(heat.starts_with("<svg"));
    for p in PARAMETERS {
        assert!(tornado.contains(&svg_text(p)), "tornado: no bar for {p}");
        assert!(heat.contains(&svg_text(p)), "heat map: no row for {p}");
    }
    for year in ["2022", "2023", "2024"] {
        assert!(heat.contains(&svg_text(year)), "heat map: no column {year}");
    }
    // The colour scale, and the grey of the undefined cell.
    assert!(heat.contains(&svg_text("rank correlation")));
    assert!(heat.contains(&svg_text("undefined")));
    assert!(heat.contains("fill=\"#BEBEC4\""));
    assert!(!tornado.contains("fill=\"#BEBEC4\""));

    // The table: every row, largest swing first, in the metric's unit; parameter values in
    // their own; the undefined rank correlation as a dash.
    let table = &html[html.find("All uncertain parameters").unwrap()..];
    let rows: Vec<usize> = PARAMETERS
        .iter()
        .map(|p| table.find(&format!("<tr><td>{p}</td>")).expect("a row"))
        .collect();
    assert!(rows.is_sorted(), "not in tornado order: {rows:?}");
    assert!(html.contains(
        "<tr><td>adoption.potential</td><td>0.15</td><td>0.32</td><td>-21.00</td>\
         <td>-18.50</td><td>2.50</td><td>0.030</td><td>0.61</td></tr>"
    ));
    assert!(html.contains(
        "<td>costs.fixed_per_year.2022</td><td>1,800,000,000</td><td>2,600,000,000</td>"
    ));
    assert!(html.contains(
        "<td>usage.interactions_per_day</td><td>0.001</td><td>0.004</td><td>-19.70</td>\
         <td>-20.00</td><td>0.30</td><td>0.015</td><td>–</td></tr>"
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sensitivity_report_without_periods_has_no_heat_map() {
    let dir = sensitivity_folder("sensitivity-no-periods", TORNADO, None);
    assert_eq!(kind(&dir).unwrap(), FolderKind::Sensitivity);
    let html = html(&dir).unwrap();
    keep("sensitivity-no-periods.html", html.as_bytes());
    assert_self_contained(&html);
    let figs = figures(&html);
    assert_eq!(figs.len(), 1, "only the tornado chart");
    assert!(figs[0].contains(&svg_text("parameter held at its p90")));
    assert!(!html.contains("Which assumption drives"));
    assert!(!html.contains(&svg_text("undefined")));
    assert!(html.contains("<td>subscription.ring_protect.churn_per_year</td>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sensitivity_report_shows_the_top_parameters_and_thins_month_labels() {
    // 20 parameters, by month over 84 months.
    let names: Vec<String> = TWENTY_PARAMETERS.iter().map(|p| p.to_string()).collect();
    let mut tornado = String::from(
        "metric,parameter,p10,p90,base_mean,mean_at_p10,mean_at_p90,swing,swing_se,rank_correlation\n",
    );
    for (i, p) in names.iter().enumerate() {
        let half = (20 - i) as f64 * 1e8;
        tornado.push_str(&format!(
            "net_incremental,{p},1,2,-5000000000,{},{},{},10000000,0.1\n",
            -5e9 - half,
            -5e9 + half,
            2.0 * half
        ));
    }
    let months: Vec<String> = (0..84)
        .map(|m| format!("{}-{:02}", 2022 + m / 12, m % 12 + 1))
        .collect();
    let mut by_month = String::from("metric,period,parameter,rank_correlation\n");
    for (k, month) in months.iter().enumerate() {
        for (i, p) in names.iter().enumerate() {
            let rho = ((k + i) as f64 / 50.0).sin();
            by_month.push_str(&format!("net_incremental,{month},{p},{rho:.3}\n"));
        }
    }
    let dir = sensitivity_folder("sensitivity-monthly", &tornado, Some(&by_month));
    let html = html(&dir).unwrap();
    keep("sensitivity-monthly.html", html.as_bytes());
    assert_self_contained(&html);
    assert!(html.contains("Which assumption drives the result in each month"));
    let figs = figures(&html);
    assert_eq!(figs.len(), 2);
    let (tornado, heat) = (figs[0], figs[1]);
    for (i, p) in names.iter().enumerate() {
        let shown = i < 15;
        assert_eq!(tornado.contains(&svg_text(p)), shown, "tornado: {p}");
        assert_eq!(heat.contains(&svg_text(p)), shown, "heat map: {p}");
        assert!(html.contains(&format!("<td>{p}</td>")), "table: {p}");
    }
    assert!(html.contains("each of the 15 parameters with the largest swing"));
    // 15 × 84 cells, each filled and outlined: not 20 rows.
    let rects = count(heat, "<rect");
    assert!(
        (2 * 15 * 84..2 * 15 * 84 + 200).contains(&rects),
        "{rects} rectangles"
    );
    // Month columns are labelled with the year on 1 January, not every month.
    for year in 2022..=2028 {
        assert!(heat.contains(&svg_text(&year.to_string())), "no {year}");
    }
    assert!(!heat.contains(&svg_text("2022-02")));
    assert!(!heat.contains(&svg_text("2025-07")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sensitivity_text_from_the_files_is_escaped() {
    let evil = "<script>alert(\"x\")</script> & https://example.invalid/";
    let dir = sensitivity_folder("sensitivity-hostile", TORNADO, Some(BY_YEAR));
    let resolved = dir.join("scenario.resolved.toml");
    let text = std::fs::read_to_string(&resolved).unwrap().replace(
        &format!("name = {}", toml::Value::from(PREMIUM_NAME)),
        &format!("name = {}", toml::Value::from(evil)),
    );
    std::fs::write(&resolved, text).unwrap();
    let html = html(&dir).unwrap();
    assert!(!html.contains("<script"));
    let escaped =
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; https://example.invalid/";
    assert!(html.contains(escaped), "the scenario's name");
    assert_eq!(figures(&html).len(), 2);
    assert_self_contained(&html);
    workbook(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reused_folder_reports_a_newer_sensitivity() {
    let dir = sensitivity_folder("sensitivity-reused", TORNADO, None);
    copy_dir(&folders().run, &dir);
    let set = |file: &str, secs: u64| set_modified(&dir.join(file), secs);
    for f in ["summary.csv", "monthly.csv"] {
        set(f, 1_000_000_000);
    }
    set("tornado.csv", 2_000_000_000);
    assert_eq!(kind(&dir).unwrap(), FolderKind::Sensitivity);
    set("monthly.csv", 2_000_000_001);
    assert_eq!(kind(&dir).unwrap(), FolderKind::Run);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// results.xlsx

/// Days from 1899-12-30 (Excel's day 0 in the 1900 system, after its leap-year bug).
/// Sets a file's modification time to `secs` after the epoch.
fn set_modified(file: &Path, secs: u64) {
    let f = std::fs::File::options().append(true).open(file).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn excel_serial(y: i64, m: i64, d: i64) -> f64 {
    // Days from civil (Howard Hinnant's algorithm), relative to 1970-01-01.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days + 25_569) as f64
}

fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn zip_file(bytes: &[u8], name: &str) -> Option<String> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut f = z.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    Some(s)
}

/// Checks every cell of every CSV sheet against the CSV, and returns the sheet names.
fn check_workbook(dir: &Path, bytes: &[u8], csvs: &[&str]) -> Vec<String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names();
    let mut expected = vec!["charts".to_string()];
    expected.extend(csvs.iter().map(|c| c.trim_end_matches(".csv").to_string()));
    assert_eq!(names, expected);
    for (k, file) in csvs.iter().enumerate() {
        let sheet = file.trim_end_matches(".csv");
        let range = wb.worksheet_range(sheet).unwrap();
        let mut r = csv::Reader::from_path(dir.join(file)).unwrap();
        let header: Vec<String> = r
            .headers()
            .unwrap()
            .iter()
            .map(|s| unescape(s).to_string())
            .collect();
        let month_col = header.iter().position(|h| h == "month");
        for (c, h) in header.iter().enumerate() {
            assert_eq!(
                range.get((0, c)),
                Some(&Data::String(h.clone())),
                "{file} header {c}"
            );
        }
        let (mut numbers, mut dates) = (0, 0);
        for (i, rec) in r.records().enumerate() {
            let rec = rec.unwrap();
            for (c, cell) in rec.iter().enumerate() {
                let got = range.get((i + 1, c)).unwrap_or(&Data::Empty);
                let cell = unescape(cell);
                if cell.is_empty() {
                    assert_eq!(got, &Data::Empty, "{file} row {} col {c}", i + 2);
                } else if Some(c) == month_col {
                    let (y, m) = cell.split_once('-').unwrap();
                    let want = excel_serial(y.parse().unwrap(), m.parse().unwrap(), 1);
                    match got {
                        Data::DateTime(dt) => {
                            assert!(dt.is_datetime(), "{file}: {cell} is not a date");
                            assert_eq!(dt.as_f64(), want, "{file}: {cell}");
                        }
                        other => panic!("{file}: month {cell} stored as {other:?}"),
                    }
                    dates += 1;
                } else if let Ok(x) = cell.parse::<f64>() {
                    assert_eq!(got, &Data::Float(x), "{file} row {} col {c}", i + 2);
                    numbers += 1;
                } else {
                    assert_eq!(
                        got,
                        &Data::String(cell.to_string()),
                        "{file} row {} col {c}",
                        i + 2
                    );
                }
            }
        }
        assert!(numbers > 0, "{file}: no numbers");
        if month_col.is_some() {
            assert!(dates > 0);
        }
        // Frozen header row (sheet k + 2: the charts sheet is the first).
        let xml = zip_file(bytes, &format!("xl/worksheets/sheet{}.xml", k + 2)).unwrap();
        assert!(xml.contains("state=\"frozen\""), "{file}: no frozen panes");
        assert!(xml.contains("<cols>"), "{file}: no column widths");
    }
    names
}

#[test]
fn run_workbook_reads_back() {
    let dir = &folders().run;
    let bytes = workbook(dir).unwrap();
    keep("run.xlsx", &bytes);
    check_workbook(
        dir,
        &bytes,
        &["summary.csv", "monthly.csv", "yearly.csv", "trials.csv"],
    );
    assert_workbook_verdict(dir, &bytes);
    let charts: Vec<String> = (1..=3)
        .map(|i| zip_file(&bytes, &format!("xl/charts/chart{i}.xml")).expect("a chart"))
        .collect();
    assert!(charts.iter().all(|c| c.contains("<c:lineChart>")));
    assert!(charts[0].contains("Device P&amp;L per month"));
    assert!(
        charts[0].contains("<c:dateAx>"),
        "the fan chart's x axis is not a date axis"
    );
    // The chart data: months as dates, figures in $B.
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("charts").unwrap();
    let header = (0..range.height())
        .find(|&r| range.get((r, 0)) == Some(&Data::String("month".into())))
        .expect("a month column in the charts sheet");
    assert!(matches!(range.get((header + 1, 0)), Some(Data::DateTime(d)) if d.is_datetime()));
    assert!(matches!(range.get((header + 1, 2)), Some(Data::Float(x)) if x.abs() < 100.0));
    assert!(
        range
            .rows()
            .any(|r| r.first() == Some(&Data::String("Seed".into()))
                && r.get(1) == Some(&Data::Float(4242.0)))
    );
}

#[test]
fn sweep_workbook_reads_back() {
    let dir = &folders().sweep;
    let bytes = workbook(dir).unwrap();
    keep("sweep.xlsx", &bytes);
    check_workbook(
        dir,
        &bytes,
        &[
            "decision.csv",
            "voi.csv",
            "sweep.csv",
            "sweep_best.csv",
            "sweep_trials.csv",
        ],
    );
    let chart = zip_file(&bytes, "xl/charts/chart1.xml").expect("a sweep chart");
    assert!(chart.contains("<c:scatterChart>"));
    assert!(chart.contains("net_incremental"));
    assert!(zip_file(&bytes, "xl/charts/chart2.xml").is_some());
    assert_workbook_verdict(dir, &bytes);
}

#[test]
fn sensitivity_workbook_reads_back() {
    let dir = sensitivity_folder("sensitivity-xlsx", TORNADO, Some(BY_YEAR));
    let bytes = workbook(&dir).unwrap();
    keep("sensitivity.xlsx", &bytes);
    check_workbook(&dir, &bytes, &["tornado.csv", "sensitivity_by_period.csv"]);
    let chart = zip_file(&bytes, "xl/charts/chart1.xml").expect("a swing chart");
    assert!(chart.contains("<c:barChart>"));
    assert!(
        chart.contains("<c:barDir val=\"bar\"/>"),
        "not horizontal bars"
    );
    assert!(chart.contains("<c:errBars>"));
    assert!(chart.contains("swing by parameter"));
    // The chart data: the parameters by swing, in $B.
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("charts").unwrap();
    let header = (0..range.height())
        .find(|&r| range.get((r, 0)) == Some(&Data::String("parameter".into())))
        .expect("a parameter column in the charts sheet");
    for (i, p) in PARAMETERS.iter().enumerate() {
        assert_eq!(
            range.get((header + 1 + i, 0)),
            Some(&Data::String(p.to_string()))
        );
    }
    assert_eq!(range.get((header + 1, 3)), Some(&Data::Float(2.5)));
    assert_eq!(range.get((header + 1, 5)), Some(&Data::Float(0.61)));
    // The undefined rank correlation stays empty.
    assert!(matches!(
        range.get((header + 4, 5)),
        None | Some(Data::Empty)
    ));
    assert!(
        range
            .rows()
            .any(|r| r.first() == Some(&Data::String("Seed".into()))
                && r.get(1) == Some(&Data::Float(4242.0)))
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // Without sensitivity_by_period.csv: the tornado sheet alone.
    let dir = sensitivity_folder("sensitivity-xlsx-tornado", TORNADO, None);
    let bytes = workbook(&dir).unwrap();
    check_workbook(&dir, &bytes, &["tornado.csv"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_workbook_reads_back() {
    let dir = &folders().compare;
    let bytes = workbook(dir).unwrap();
    keep("compare.xlsx", &bytes);
    check_workbook(dir, &bytes, &["decision.csv", "voi.csv", "compare.csv"]);
    let chart = zip_file(&bytes, "xl/charts/chart1.xml").expect("a compare chart");
    assert!(chart.contains("<c:errBars>"));
    assert_workbook_verdict(dir, &bytes);
    // The compare sheet: the period after the metric, a year as a whole number.
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("compare").unwrap();
    assert_eq!(range.get((0, 1)), Some(&Data::String("period".into())));
    assert_eq!(range.get((1, 1)), Some(&Data::String("horizon".into())));
    assert!(range.rows().any(|r| r.get(1) == Some(&Data::Float(2026.0))));
}

// ---------------------------------------------------------------------------------------
// In a browser

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium on `args`, offline, with a fresh profile; ends it after `limit`.
fn chromium(args: &[String], profile: &Path, limit: Duration) -> (String, String) {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-extensions",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (o.join().unwrap(), e.join().unwrap())
}

#[test]
fn reports_render_in_a_browser() {
    if !Path::new(CHROMIUM).exists() {
        // Straight to stderr, as the Slurm test does: the harness captures println! of
        // passing tests, and CI must show what it did not check.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "SKIPPED tests/integration/report.rs reports_render_in_a_browser: {CHROMIUM} is not installed (apt-get install chromium; .ci/run does this when it runs as root)\n"
            )
            .as_bytes(),
        );
        return;
    }
    let dir = temp_dir("report", "browser");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("report.png");
    let limit = Duration::from_secs(120);

    // Each page as the browser sees it, and every console message (a blocked load, a
    // script error or a Content-Security-Policy violation would be logged here).
    let sensitivity = sensitivity_folder("browser-sensitivity", TORNADO, Some(BY_YEAR));
    for (name, folder) in [
        ("run", &folders().run),
        ("sweep", &folders().sweep),
        ("compare", &folders().compare),
        ("sensitivity", &sensitivity),
    ] {
        let file = dir.join(format!("{name}.html"));
        std::fs::write(&file, html(folder).unwrap()).unwrap();
        let (dom, log) = chromium(
            &["--dump-dom".into(), format!("file://{}", file.display())],
            &dir.join(format!("profile-{name}")),
            limit,
        );
        assert!(
            dom.contains("<svg") && dom.contains(&escape(PREMIUM_NAME)),
            "{name}: the DOM lacks the charts or the name: {}",
            &dom[..dom.len().min(500)]
        );
        let console: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
            .collect();
        assert!(console.is_empty(), "{name}: console messages: {console:#?}");
    }

    // A screenshot of the run report: it exists and is not blank.
    let (_, _) = chromium(
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
            format!("file://{}", dir.join("run.html").display()),
        ],
        &dir.join("profile-shot"),
        limit,
    );
    let file = std::fs::File::open(&png).expect("a screenshot");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 2000));
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut dark = 0usize;
    for px in pixels.chunks(channels) {
        colours.insert(px[..3.min(channels)].to_vec());
        if px[..3.min(channels)].iter().map(|&v| v as u32).sum::<u32>() < 300 {
            dark += 1;
        }
    }
    assert!(
        colours.len() > 200,
        "only {} distinct colours",
        colours.len()
    );
    let share_dark = dark as f64 / (pixels.len() / channels) as f64;
    assert!(share_dark > 0.005, "almost nothing drawn: {share_dark}");
    keep("run.png", &std::fs::read(&png).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&sensitivity).unwrap();
}

/// Given data, written by the command: the report shows the indices as bars with their
/// intervals (groups included, in green) and, by period, a heat map of the indices beside
/// that of the rank correlations; the workbook has the indices' bar chart and the coloured
/// table of the indices by period; both read the groups back from tornado.csv.
#[test]
fn given_data_report_and_workbook_show_the_indices_and_groups() {
    let dir = temp_dir("report", "given-data");
    ok(&[
        "sensitivity",
        "scenarios/premium_5usd_2024.toml",
        "--by",
        "year",
        "--households",
        "300",
        "--trials",
        "120",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let html = html(&dir).unwrap();
    keep("given-data.html", html.as_bytes());
    assert_self_contained(&html);
    let figs = figures(&html);
    assert_eq!(figs.len(), 4, "indices, tornado, two heat maps");
    let (shares, index_heat, rank_heat) = (figs[0], figs[2], figs[3]);
    assert!(shares.contains(&svg_text("costs.fixed_per_year (per-year table)")));
    assert!(shares.contains(&svg_text("a group together")));
    assert!(shares.contains(&svg_text("95% interval")));
    assert!(shares.contains("fill=\"#28963C\""), "green group bars");
    assert!(shares.contains("fill=\"#1F6EB4\""), "blue parameter bars");
    assert!(index_heat.contains(&svg_text("first-order index")));
    assert!(rank_heat.contains(&svg_text("rank correlation")));
    for year in 2022..=2028 {
        assert!(index_heat.contains(&svg_text(&year.to_string())), "{year}");
    }
    assert!(html.contains("Groups of parameters"));
    assert!(html.contains("costs.fixed_per_year.2022, costs.fixed_per_year.2023"));

    let bytes = workbook(&dir).unwrap();
    keep("given-data.xlsx", &bytes);
    check_workbook(&dir, &bytes, &["tornado.csv", "sensitivity_by_period.csv"]);
    let chart = zip_file(&bytes, "xl/charts/chart2.xml").expect("an index chart");
    assert!(chart.contains("first-order index (share of the variance)"));
    assert!(chart.contains("<c:errBars>"));
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("charts").unwrap();
    let row_of = |text: &str| {
        (0..range.height()).find(|&r| range.get((r, 0)) == Some(&Data::String(text.into())))
    };
    let group = row_of("costs.fixed_per_year (per-year table)").expect("the table's group row");
    assert!(matches!(range.get((group, 1)), Some(Data::Float(x)) if *x > 0.3));
    let heat = row_of("parameter")
        .and_then(|first| {
            (first + 1..range.height())
                .find(|&r| range.get((r, 0)) == Some(&Data::String("parameter".into())))
        })
        .expect("the heat map's header");
    assert_eq!(range.get((heat, 1)), Some(&Data::String("2022".into())));
    let coloured = (1..=8).any(|k| {
        zip_file(&bytes, &format!("xl/worksheets/sheet{k}.xml"))
            .is_some_and(|x| x.contains("<colorScale>"))
    });
    assert!(coloured, "no colour scale in the workbook");
    std::fs::remove_dir_all(&dir).unwrap();
}
