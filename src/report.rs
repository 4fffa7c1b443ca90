//! Reports of a result folder: one self-contained HTML page ([`html`]).
//!
//! A report is built from the files of a result folder, never from a run in memory, so
//! that `downstream report DIR` works on any folder written by `run`, `sweep`, `compare` or
//! `sensitivity` (the kind is told by the files present, see [`kind`]) and gives the same
//! page as `--report` on the command that wrote it. Charts are drawn with `plotters` into
//! inline SVG (text as `<text>` elements, so no font files are needed); the page has no
//! scripts and no external references, and opens offline. Every text that comes from the
//! files (scenario names, metric names, varied values, parameter names) is escaped.
//!
//! `monthly.csv` and `yearly.csv` hold statistics across trials per period, not per-trial
//! paths, so a cumulative percentile over months cannot be rebuilt from them (percentiles
//! do not add up). The report therefore shows monthly fan charts (p05–p95 and p50 of each
//! month) and the cumulative *mean* (the sum of monthly means, which is exact because
//! means add up), with the exact horizon p05–p95 from `summary.csv` at its end.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;


/// Transitional: the direction of a scalar by name, until the report reads typed results.
fn higher_is_better(scalar: &str) -> bool {
    let metric = scalar.strip_prefix("npv_").unwrap_or(scalar);
    !matches!(
        metric,
        "device_cost"
            | "hardware_subsidy"
            | "serving_cost"
            | "premium_serving_cost"
            | "fixed_cost"
            | "breakeven_month"
    )
}

/// Transitional copy, until the report reads typed results.
pub(crate) const KEY_FIGURES: [(&str, &str, &str); 16] = [
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

/// Tells the kind of a result folder from the files present: `tornado.csv`, `compare.csv`,
/// `sweep.csv` or `summary.csv`/`monthly.csv`. Should a reused folder hold the files of
/// several commands, the most recently written one counts.
pub fn kind(dir: &Path) -> Result<FolderKind> {
    if !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    let candidates = [
        (FolderKind::Sensitivity, "tornado.csv"),
        (FolderKind::Compare, "compare.csv"),
        (FolderKind::Sweep, "sweep.csv"),
        (FolderKind::Run, "summary.csv"),
        (FolderKind::Run, "monthly.csv"),
    ];
    let mut best: Option<(FolderKind, std::time::SystemTime)> = None;
    for (kind, file) in candidates {
        let Ok(meta) = fs::metadata(dir.join(file)) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let time = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        if best.is_none_or(|(_, t)| time > t) {
            best = Some((kind, time));
        }
    }
    match best {
        Some((kind, _)) => Ok(kind),
        None => bail!(
            "{}: not a result folder of run, sweep, compare or sensitivity (no summary.csv, sweep.csv, compare.csv or tornado.csv)",
            dir.display()
        ),
    }
}

/// The self-contained HTML report of a result folder (run, sweep, compare or sensitivity,
/// detected from the files present).
pub fn html(dir: &Path) -> Result<String> {
    let page = match kind(dir)? {
        FolderKind::Run => run_page(dir)?,
        FolderKind::Sweep => sweep_page(dir)?,
        FolderKind::Compare => compare_page(dir)?,
        FolderKind::Sensitivity => sensitivity_page(dir)?,
    };
    Ok(page.finish())
}

// ---------------------------------------------------------------------------------------
// Reading the files

/// A CSV file read whole: header and text cells (spreadsheet escapes removed).
pub(crate) struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Result<Table> {
        let mut r = csv::ReaderBuilder::new()
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header = r
            .headers()
            .with_context(|| format!("{}: cannot read the header", path.display()))?
            .iter()
            .map(|s| unescape(s).to_string())
            .collect();
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: row {}", path.display(), i + 2))?;
            rows.push(rec.iter().map(|s| unescape(s).to_string()).collect());
        }
        Ok(Table { header, rows })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn need(&self, name: &str, file: &str) -> Result<usize> {
        self.col(name)
            .with_context(|| format!("{file}: no column `{name}`"))
    }
}

/// Undoes the CSV writer's spreadsheet protection: a text cell that begins with `=`, `+`,
/// `-`, `@`, tab or carriage return was written with a leading `'`.
pub(crate) fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// A number cell; `None` for an empty (undefined) cell or text.
pub(crate) fn number(cell: &str) -> Option<f64> {
    let c = unescape(cell).trim();
    if c.is_empty() {
        return None;
    }
    c.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn num_or_nan(cell: &str) -> f64 {
    number(cell).unwrap_or(f64::NAN)
}

/// Statistics of one metric in one period or over the horizon; NaN where undefined.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stat {
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

const NO_STAT: Stat = Stat {
    mean: f64::NAN,
    p05: f64::NAN,
    p50: f64::NAN,
    p95: f64::NAN,
};

/// `monthly.csv` or `yearly.csv`: per metric, one [`Stat`] per period.
pub(crate) struct Periods {
    pub labels: Vec<String>,
    pub metrics: Vec<String>,
    pub data: HashMap<String, Vec<Stat>>,
}

impl Periods {
    pub(crate) fn read(path: &Path, key: &str) -> Result<Periods> {
        let t = Table::read(path)?;
        let file = path.display().to_string();
        let [k, m, mean, p05, p50, p95] = [key, "metric", "mean", "p05", "p50", "p95"]
            .map(|c| t.need(c, &file))
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .try_into()
            .expect("six columns");
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut labels = Vec::new();
        for row in &t.rows {
            if !index.contains_key(&row[k]) {
                index.insert(row[k].clone(), labels.len());
                labels.push(row[k].clone());
            }
        }
        let mut metrics = Vec::new();
        let mut data: HashMap<String, Vec<Stat>> = HashMap::new();
        for row in &t.rows {
            let series = data.entry(row[m].clone()).or_insert_with(|| {
                metrics.push(row[m].clone());
                vec![NO_STAT; labels.len()]
            });
            series[index[&row[k]]] = Stat {
                mean: num_or_nan(&row[mean]),
                p05: num_or_nan(&row[p05]),
                p50: num_or_nan(&row[p50]),
                p95: num_or_nan(&row[p95]),
            };
        }
        Ok(Periods {
            labels,
            metrics,
            data,
        })
    }

    fn get(&self, metric: &str) -> Option<&[Stat]> {
        self.data.get(metric).map(Vec::as_slice)
    }

    fn field(&self, metric: &str, f: fn(&Stat) -> f64) -> Option<Vec<f64>> {
        self.get(metric).map(|s| s.iter().map(f).collect())
    }
}

/// `summary.csv`: per scalar, its statistics.
fn read_summary(path: &Path) -> Result<HashMap<String, Stat>> {
    let t = Table::read(path)?;
    let file = path.display().to_string();
    let (m, mean, p05, p50, p95) = (
        t.need("metric", &file)?,
        t.need("mean", &file)?,
        t.need("p05", &file)?,
        t.need("p50", &file)?,
        t.need("p95", &file)?,
    );
    Ok(t.rows
        .iter()
        .map(|r| {
            (
                r[m].clone(),
                Stat {
                    mean: num_or_nan(&r[mean]),
                    p05: num_or_nan(&r[p05]),
                    p50: num_or_nan(&r[p50]),
                    p95: num_or_nan(&r[p95]),
                },
            )
        })
        .collect())
}

/// The resolved scenario of a result folder (its `[scenario]` and `[run]` tables).
pub(crate) struct Meta {
    toml: toml::Table,
}

impl Meta {
    pub(crate) fn read(path: &Path) -> Result<Meta> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let toml = text
            .parse::<toml::Table>()
            .with_context(|| format!("{}: not valid TOML", path.display()))?;
        Ok(Meta { toml })
    }

    /// The folder's `scenario.resolved.toml`; nothing known when there is none.
    pub(crate) fn in_folder(dir: &Path) -> Result<Meta> {
        match dir.join("scenario.resolved.toml") {
            p if p.is_file() => Meta::read(&p),
            _ => Ok(Meta::empty()),
        }
    }

    /// Metadata from TOML text (empty text: nothing known).
    pub(crate) fn read_str(text: &str) -> Result<Meta> {
        Ok(Meta {
            toml: text.parse::<toml::Table>()?,
        })
    }

    fn empty() -> Meta {
        Meta {
            toml: toml::Table::new(),
        }
    }

    fn get(&self, path: &[&str]) -> Option<&toml::Value> {
        let mut v = self.toml.get(path[0])?;
        for k in &path[1..] {
            v = v.get(k)?;
        }
        Some(v)
    }

    fn text(&self, path: &[&str]) -> Option<String> {
        self.get(path).map(|v| match v {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    pub(crate) fn name(&self) -> String {
        self.text(&["scenario", "name"])
            .unwrap_or_else(|| "(unnamed scenario)".into())
    }

    fn has_premium(&self) -> bool {
        self.toml.contains_key("premium")
    }

    /// Plans whose revenue counts in the device P&L.
    fn plans_in_pnl(&self) -> Vec<String> {
        let Some(toml::Value::Array(plans)) = self.toml.get("subscription") else {
            return Vec::new();
        };
        plans
            .iter()
            .filter(|p| p.get("in_device_pnl").and_then(toml::Value::as_bool) == Some(true))
            .filter_map(|p| {
                p.get("name")
                    .and_then(toml::Value::as_str)
                    .map(String::from)
            })
            .collect()
    }

    fn period(&self) -> Option<String> {
        let start = self.text(&["scenario", "start"])?;
        let months = self.get(&["scenario", "months"])?.as_integer()?;
        let (y, m) = parse_month(&start)?;
        let last = y * 12 + (m - 1) + months - 1;
        Some(format!(
            "{start} to {:04}-{:02} ({months} months)",
            last.div_euclid(12),
            last.rem_euclid(12) + 1
        ))
    }

    /// Label and value rows of the run settings.
    pub(crate) fn settings(&self) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        let mut add = |label: &str, value: Option<String>| {
            if let Some(v) = value {
                rows.push((label.to_string(), v));
            }
        };
        add("Period", self.period());
        add(
            "Paid tier",
            self.get(&["premium", "price_month"])
                .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                .map(|p| {
                    let launch = self
                        .text(&["premium", "launch"])
                        .map(|l| format!(" from {l}"))
                        .unwrap_or_default();
                    let prime = match self.get(&["premium", "included_with_prime"]) {
                        Some(toml::Value::Boolean(true)) => ", free with Prime",
                        Some(toml::Value::Boolean(false)) => ", not included with Prime",
                        _ => "",
                    };
                    format!("${}/month{launch}{prime}", money_text(p))
                }),
        );
        add("Seed", self.text(&["run", "seed"]));
        add("Trials", self.text(&["run", "trials"]));
        add("Sample households", self.text(&["run", "households"]));
        add(
            "Market households",
            self.get(&["market", "households"])
                .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                .map(|x| format!("{:.1} M", x / 1e6)),
        );
        add("Threads", self.text(&["run", "threads"]));
        add(
            "Wall time",
            self.text(&["run", "wall_seconds"])
                .map(|s| format!("{s} s")),
        );
        add("Tool version", self.text(&["run", "tool_version"]));
        rows
    }
}

fn parse_month(s: &str) -> Option<(i64, i64)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m) = (y.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    (1..=12).contains(&m).then_some((y, m))
}

// ---------------------------------------------------------------------------------------
// Units and numbers

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// US dollars, shown in $B.
    Dollars,
    /// Counts, shown in millions.
    Count,
    /// Months (the breakeven month).
    Months,
}

impl Unit {
    pub(crate) fn of(metric: &str) -> Unit {
        if metric == "breakeven_month" {
            Unit::Months
        } else if is_money(metric) {
            Unit::Dollars
        } else {
            Unit::Count
        }
    }
    pub(crate) fn scale(self) -> f64 {
        match self {
            Unit::Dollars => 1e-9,
            Unit::Count => 1e-6,
            Unit::Months => 1.0,
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Unit::Dollars => "$B",
            Unit::Count => "M",
            Unit::Months => "months",
        }
    }
}

/// Money metrics (reported in US dollars).
pub(crate) fn is_money(metric: &str) -> bool {
    let m = metric.strip_prefix("npv_").unwrap_or(metric);
    matches!(
        m,
        "device_revenue"
            | "device_cost"
            | "hardware_subsidy"
            | "premium_revenue"
            | "premium_serving_cost"
            | "serving_cost"
            | "ecosystem_spend"
            | "fixed_cost"
            | "device_pnl"
            | "downstream_claimed"
            | "downstream_incremental"
            | "net_claimed"
            | "net_incremental"
    ) || ["gmv_", "margin_", "revenue_"]
        .iter()
        .any(|p| m.starts_with(p))
}

fn fmt(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn fmt_unit(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Months => fmt(x, 0),
        _ => fmt(x * unit.scale(), 2),
    }
}

/// A price as written: no decimals when whole, else two.
fn money_text(x: f64) -> String {
    if x.fract() == 0.0 {
        fmt(x, 0)
    } else {
        fmt(x, 2)
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The page

const CSS: &str = "
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #222; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
header .kind { margin: 0; color: #667; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.2; }
h2 { margin: 34px 0 8px; font-size: 20px; border-bottom: 1px solid #e3e5e8; padding-bottom: 4px; }
h3 { margin: 22px 0 6px; font-size: 16px; }
p.desc { margin: 0 0 8px; color: #444; }
figure { margin: 10px 0 18px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption, p.note { color: #555; font-size: 13.5px; margin: 6px 0 0; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eceef1; text-align: right; white-space: nowrap; }
th { background: #f7f8fa; font-weight: 600; }
td:first-child, th:first-child { text-align: left; }
td { font-variant-numeric: tabular-nums; }
table.kv td:first-child { color: #555; white-space: nowrap; }
table.kv td { text-align: left; white-space: normal; }
.muted { color: #889; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.25fr); gap: 0 44px; align-items: start; }
.cols table { width: 100%; }
@media (max-width: 900px) { .cols { grid-template-columns: minmax(0, 1fr); } }
footer { margin-top: 36px; color: #778; font-size: 12.5px; }
";

struct Page {
    title: String,
    kind: &'static str,
    body: String,
}

impl Page {
    fn new(kind: &'static str, title: &str, description: Option<String>) -> Page {
        let mut body = String::new();
        let _ = write!(
            body,
            "<header><p class=\"kind\">downstream · {kind} report</p><h1>{}</h1>",
            escape(title)
        );
        if let Some(d) = description {
            let _ = write!(body, "<p class=\"desc\">{}</p>", escape(&d));
        }
        body.push_str("</header>\n");
        Page {
            title: title.to_string(),
            kind,
            body,
        }
    }

    fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    fn h2(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    fn h3(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", escape(text));
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", escape(text));
    }

    fn figure(&mut self, svg: String, caption: &str) {
        let _ = writeln!(
            self.body,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
    }

    fn kv(&mut self, rows: &[(String, String)]) {
        self.body.push_str("<table class=\"kv\">\n");
        for (k, v) in rows {
            let _ = writeln!(
                self.body,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(k),
                escape(v)
            );
        }
        self.body.push_str("</table>\n");
    }

    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("<table>\n<tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for c in row {
                let _ = write!(self.body, "<td>{}</td>", escape(c));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</table>\n");
    }

    fn finish(self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <title>{} · downstream {} report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{}\
             <footer>Written by downstream {} from the files of the result folder. Money in US dollars \
             ($B = billions), counts in millions (M). Percentiles across trials interpolate linearly \
             (p05, p50, p95).</footer>\n</main>\n</body>\n</html>\n",
            escape(&self.title),
            self.kind,
            self.body,
            env!("CARGO_PKG_VERSION"),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Charts: a small layer over plotters (axes with chosen ticks, bands, lines, bars,
// whiskers, a legend above the plot) drawn into an SVG string.

const INK: RGBColor = RGBColor(40, 40, 48);
const GRID: RGBColor = RGBColor(226, 228, 232);
const ZERO: RGBColor = RGBColor(140, 140, 150);
const BLUE: RGBColor = RGBColor(31, 110, 180);
const ORANGE: RGBColor = RGBColor(226, 118, 22);
const GREEN: RGBColor = RGBColor(40, 150, 60);
const PURPLE: RGBColor = RGBColor(120, 80, 170);
const RED: RGBColor = RGBColor(200, 50, 50);
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const FONT: &str = "sans-serif";
const LABEL_SIZE: f64 = 16.0;
const TITLE_SIZE: f64 = 19.0;

/// Approximate width in pixels of a text at a plotters font size (rendered at size / 1.24).
fn text_width(s: &str, size: f64) -> i32 {
    (s.chars().count() as f64 * size / 1.24 * 0.56).ceil() as i32
}

/// An axis with its ticks (position, label) and description.
#[derive(Clone, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
    desc: String,
}

impl Axis {
    fn label_at(&self, v: f64) -> String {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        self.ticks
            .iter()
            .find(|(t, _)| (t - v).abs() <= eps)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

/// A plotters coordinate whose key points are exactly the axis ticks.
struct Ticks {
    range: Range<f64>,
    points: Vec<f64>,
}

impl Ticks {
    fn of(a: &Axis) -> Ticks {
        Ticks {
            range: a.lo..a.hi,
            points: a.ticks.iter().map(|(t, _)| *t).collect(),
        }
    }
}

impl Ranged for Ticks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.range.start, self.range.end);
        let t = if b > a { (v - a) / (b - a) } else { 0.5 };
        (f64::from(limit.0) + t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points().max(1);
        let stride = self.points.len().div_ceil(max).max(1);
        self.points.iter().step_by(stride).copied().collect()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Decimals needed to write multiples of `step` exactly.
fn decimals_of(step: f64) -> usize {
    (0..8)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
        })
        .unwrap_or(8)
}

/// A numeric axis over [lo, hi] with about `target` round ticks, widened to whole ticks.
fn nice_axis(lo: f64, hi: f64, target: usize, desc: &str) -> Axis {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let start = (lo / step + 1e-9).floor() * step;
    let end = (hi / step - 1e-9).ceil() * step;
    let d = decimals_of(step);
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n)
        .map(|i| {
            let v = start + i as f64 * step;
            (v, fmt(v, d))
        })
        .collect();
    Axis {
        lo: start,
        hi: end,
        ticks,
        desc: desc.to_string(),
    }
}

/// Fractional year of the middle of a `YYYY-MM` month.
fn month_x(label: &str) -> f64 {
    parse_month(label).map_or(f64::NAN, |(y, m)| {
        y as f64 + (m as f64 - 1.0) / 12.0 + 0.5 / 12.0
    })
}

/// A time axis from the first month's start to the last month's end, ticks on 1 January.
fn month_axis(labels: &[String], extra_right: f64) -> Axis {
    let xs: Vec<f64> = labels.iter().map(|l| month_x(l)).collect();
    let first = xs.iter().copied().find(|x| x.is_finite()).unwrap_or(2000.0);
    let last = xs.iter().copied().rfind(|x| x.is_finite()).unwrap_or(first);
    let (lo, hi) = (first - 0.5 / 12.0, last + 0.5 / 12.0 + extra_right);
    let (y0, y1) = (lo.ceil() as i64, (last + 0.5 / 12.0).floor() as i64);
    let stride = ((y1 - y0 + 1) as usize).div_ceil(12).max(1);
    let ticks = (y0..=y1)
        .step_by(stride)
        .map(|y| (y as f64, y.to_string()))
        .collect();
    Axis {
        lo,
        hi,
        ticks,
        desc: String::new(),
    }
}

/// A categorical axis: category i at position i, labelled.
fn category_axis(labels: &[String], desc: &str) -> Axis {
    Axis {
        lo: -0.5,
        hi: labels.len() as f64 - 0.5,
        ticks: labels
            .iter()
            .enumerate()
            .map(|(i, l)| (i as f64, l.clone()))
            .collect(),
        desc: desc.to_string(),
    }
}

/// A categorical y axis listing `labels` from the top down (label i at [`top_down`]), with
/// `pad` (y units) beyond the outer categories' half-rows.
fn top_down_axis(labels: &[String], pad: f64) -> Axis {
    let bottom_up: Vec<String> = labels.iter().rev().cloned().collect();
    let mut y = category_axis(&bottom_up, "");
    y.lo -= pad;
    y.hi += pad;
    y
}

/// The y position of row `i` of `n` on a [`top_down_axis`].
fn top_down(i: usize, n: usize) -> f64 {
    (n - 1 - i) as f64
}

#[derive(Clone, Copy)]
enum Swatch {
    Line,
    Dashed,
    /// A solid box (bars, stacked areas).
    Box,
    /// A pale box (a p05–p95 band).
    Band,
    Dot,
    Whisker,
}

struct Legend {
    label: String,
    color: RGBColor,
    swatch: Swatch,
}

fn legend(label: &str, color: RGBColor, swatch: Swatch) -> Legend {
    Legend {
        label: label.to_string(),
        color,
        swatch,
    }
}

enum Layer {
    /// A filled band between two curves.
    Band {
        xs: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        color: RGBColor,
        alpha: f64,
    },
    Line {
        xs: Vec<f64>,
        ys: Vec<f64>,
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    Dots {
        pts: Vec<(f64, f64)>,
        color: RGBColor,
        size: u32,
    },
    Rects {
        rects: Vec<[(f64, f64); 2]>,
        color: RGBColor,
    },
    /// Rectangles each filled with its own colour, outlined in white (heat-map cells).
    Cells {
        cells: Vec<([(f64, f64); 2], RGBColor)>,
    },
    /// Vertical whiskers (x, lo, hi) with caps of half-width `cap` (x units).
    VWhiskers {
        items: Vec<(f64, f64, f64)>,
        color: RGBColor,
        cap: f64,
    },
    /// Horizontal whiskers (y, lo, hi) with caps of half-height `cap` (y units).
    HWhiskers {
        items: Vec<(f64, f64, f64)>,
        color: RGBColor,
        cap: f64,
    },
    /// A vertical rule at x.
    VRule {
        x: f64,
        color: RGBColor,
        dashed: bool,
    },
}

impl Layer {
    fn ys(&self, out: &mut Vec<f64>) {
        match self {
            Layer::Band { lo, hi, .. } => out.extend(lo.iter().chain(hi)),
            Layer::Line { ys, .. } => out.extend(ys),
            Layer::Dots { pts, .. } => out.extend(pts.iter().map(|p| p.1)),
            Layer::Rects { rects, .. } => out.extend(rects.iter().flat_map(|r| [r[0].1, r[1].1])),
            Layer::Cells { cells } => out.extend(cells.iter().flat_map(|c| [c.0[0].1, c.0[1].1])),
            Layer::VWhiskers { items, .. } => out.extend(items.iter().flat_map(|i| [i.1, i.2])),
            Layer::HWhiskers { .. } | Layer::VRule { .. } => {}
        }
    }
    fn xs(&self, out: &mut Vec<f64>) {
        match self {
            Layer::Band { xs, .. } | Layer::Line { xs, .. } => out.extend(xs),
            Layer::Dots { pts, .. } => out.extend(pts.iter().map(|p| p.0)),
            Layer::Rects { rects, .. } => out.extend(rects.iter().flat_map(|r| [r[0].0, r[1].0])),
            Layer::Cells { cells } => out.extend(cells.iter().flat_map(|c| [c.0[0].0, c.0[1].0])),
            Layer::VWhiskers { items, .. } => out.extend(items.iter().map(|i| i.0)),
            Layer::HWhiskers { items, .. } => out.extend(items.iter().flat_map(|i| [i.1, i.2])),
            Layer::VRule { x, .. } => out.push(*x),
        }
    }
}

fn extent(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

fn y_extent(layers: &[Layer]) -> (f64, f64) {
    let mut v = Vec::new();
    for l in layers {
        l.ys(&mut v);
    }
    extent(&v)
}

fn x_extent(layers: &[Layer]) -> (f64, f64) {
    let mut v = Vec::new();
    for l in layers {
        l.xs(&mut v);
    }
    extent(&v)
}

struct Plot {
    title: Option<String>,
    x: Axis,
    y: Axis,
    layers: Vec<Layer>,
    legend: Vec<Legend>,
    /// Vertical grid lines at the x ticks.
    x_grid: bool,
    /// A rule at y = 0 when the y range spans it (not for categorical y axes).
    y_zero: bool,
}

/// Index ranges of consecutive items for which `ok` holds.
fn runs(n: usize, ok: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=n {
        match (i < n && ok(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws a legend row (wrapping) at the top of `area`; returns its height.
fn draw_legend(area: &Area<'_>, items: &[Legend], top: i32) -> Result<i32> {
    if items.is_empty() {
        return Ok(0);
    }
    let width = area.dim_in_pixel().0 as i32;
    let font = (FONT, 15.0).into_font().color(&INK);
    let (mut x, mut y) = (14, top);
    for item in items {
        let w = text_width(&item.label, 15.0) + 40;
        if x + w > width - 10 && x > 14 {
            x = 14;
            y += 22;
        }
        let c = item.color;
        let mid = y + 9;
        match item.swatch {
            Swatch::Line => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + 24, mid)],
                    c.stroke_width(3),
                ))?;
            }
            Swatch::Dashed => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + 9, mid)],
                    c.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x + 15, mid), (x + 24, mid)],
                    c.stroke_width(2),
                ))?;
            }
            Swatch::Box | Swatch::Band => {
                let alpha = if matches!(item.swatch, Swatch::Band) {
                    0.3
                } else {
                    1.0
                };
                area.draw(&Rectangle::new(
                    [(x, mid - 7), (x + 24, mid + 7)],
                    c.mix(alpha).filled(),
                ))?;
            }
            Swatch::Dot => {
                area.draw(&Circle::new((x + 12, mid), 5, c.filled()))?;
            }
            Swatch::Whisker => {
                area.draw(&PathElement::new(
                    vec![(x + 12, mid - 8), (x + 12, mid + 8)],
                    c.stroke_width(2),
                ))?;
                for yy in [mid - 8, mid + 8] {
                    area.draw(&PathElement::new(
                        vec![(x + 7, yy), (x + 17, yy)],
                        c.stroke_width(2),
                    ))?;
                }
                area.draw(&Circle::new((x + 12, mid), 4, c.filled()))?;
            }
        }
        area.draw(&Text::new(
            item.label.clone(),
            (x + 30, y + 1),
            font.clone(),
        ))?;
        x += w;
    }
    Ok(y + 24 - top)
}

fn draw_plot(area: &Area<'_>, p: &Plot) -> Result<()> {
    let mut top = 6;
    if let Some(t) = &p.title {
        area.draw(&Text::new(
            t.clone(),
            (14, top),
            (FONT, TITLE_SIZE)
                .into_font()
                .style(FontStyle::Bold)
                .color(&INK),
        ))?;
        top += 28;
    }
    top += draw_legend(area, &p.legend, top)?;
    let (_, body) = area.split_vertically(top);
    let y_label_width =
        p.y.ticks
            .iter()
            .map(|(_, l)| text_width(l, LABEL_SIZE))
            .max()
            .unwrap_or(20)
            + if p.y.desc.is_empty() { 14 } else { 40 };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(8)
        .margin_right(22)
        .margin_top(8)
        .margin_bottom(4)
        .x_label_area_size(if p.x.desc.is_empty() { 30 } else { 54 })
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(Ticks::of(&p.x), Ticks::of(&p.y))?;
    let xf = |v: &f64| p.x.label_at(*v);
    let yf = |v: &f64| p.y.label_at(*v);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(p.x.ticks.len().max(1))
            .y_labels(p.y.ticks.len().max(1))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(ZERO)
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK));
        if !p.x_grid {
            mesh.disable_x_mesh();
        }
        if !p.x.desc.is_empty() {
            mesh.x_desc(p.x.desc.as_str());
        }
        if !p.y.desc.is_empty() {
            mesh.y_desc(p.y.desc.as_str());
        }
        mesh.draw()?;
    }
    if p.y_zero && p.y.lo < 0.0 && p.y.hi > 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p.x.lo, 0.0), (p.x.hi, 0.0)],
            ZERO.stroke_width(1),
        )))?;
    }
    for layer in &p.layers {
        match layer {
            Layer::Band {
                xs,
                lo,
                hi,
                color,
                alpha,
            } => {
                for seg in runs(xs.len(), |i| {
                    xs[i].is_finite() && lo[i].is_finite() && hi[i].is_finite()
                }) {
                    let mut pts: Vec<(f64, f64)> = seg.clone().map(|i| (xs[i], hi[i])).collect();
                    pts.extend(seg.rev().map(|i| (xs[i], lo[i])));
                    chart.draw_series(std::iter::once(Polygon::new(
                        pts,
                        color.mix(*alpha).filled(),
                    )))?;
                }
            }
            Layer::Line {
                xs,
                ys,
                color,
                width,
                dashed,
            } => {
                for seg in runs(xs.len(), |i| xs[i].is_finite() && ys[i].is_finite()) {
                    let pts: Vec<(f64, f64)> = seg.map(|i| (xs[i], ys[i])).collect();
                    if *dashed {
                        chart.draw_series(DashedLineSeries::new(
                            pts,
                            7,
                            5,
                            color.stroke_width(*width),
                        ))?;
                    } else {
                        chart.draw_series(LineSeries::new(pts, color.stroke_width(*width)))?;
                    }
                }
            }
            Layer::Dots { pts, color, size } => {
                chart.draw_series(
                    pts.iter()
                        .filter(|p| p.0.is_finite() && p.1.is_finite())
                        .map(|&p| Circle::new(p, *size, color.filled())),
                )?;
            }
            Layer::Rects { rects, color } => {
                let ok =
                    |r: &&[(f64, f64); 2]| r.iter().all(|p| p.0.is_finite() && p.1.is_finite());
                chart.draw_series(
                    rects
                        .iter()
                        .filter(ok)
                        .map(|r| Rectangle::new(*r, color.filled())),
                )?;
                chart.draw_series(
                    rects
                        .iter()
                        .filter(ok)
                        .map(|r| Rectangle::new(*r, WHITE.stroke_width(1))),
                )?;
            }
            Layer::Cells { cells } => {
                chart.draw_series(cells.iter().flat_map(|(r, c)| {
                    [
                        Rectangle::new(*r, c.filled()),
                        Rectangle::new(*r, WHITE.stroke_width(1)),
                    ]
                }))?;
            }
            Layer::VWhiskers { items, color, cap } => {
                for &(x, lo, hi) in items.iter().filter(|i| i.1.is_finite() && i.2.is_finite()) {
                    chart.draw_series([
                        PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(2)),
                        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], color.stroke_width(2)),
                        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], color.stroke_width(2)),
                    ])?;
                }
            }
            Layer::HWhiskers { items, color, cap } => {
                for &(y, lo, hi) in items.iter().filter(|i| i.1.is_finite() && i.2.is_finite()) {
                    chart.draw_series([
                        PathElement::new(vec![(lo, y), (hi, y)], color.stroke_width(2)),
                        PathElement::new(vec![(lo, y - cap), (lo, y + cap)], color.stroke_width(2)),
                        PathElement::new(vec![(hi, y - cap), (hi, y + cap)], color.stroke_width(2)),
                    ])?;
                }
            }
            Layer::VRule { x, color, dashed } => {
                let pts = vec![(*x, p.y.lo), (*x, p.y.hi)];
                if *dashed {
                    chart.draw_series(DashedLineSeries::new(pts, 6, 5, color.stroke_width(2)))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, color.stroke_width(1)))?;
                }
            }
        }
    }
    Ok(())
}

/// Renders into an SVG string for inline use (no namespace URL: HTML does not need it).
fn svg(width: u32, height: u32, draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", " role=\"img\"", 1))
}

fn single(width: u32, height: u32, plot: &Plot) -> Result<String> {
    svg(width, height, |root| draw_plot(root, plot))
}

/// A y axis fitted to the layers' values, in `unit`'s scale.
fn fit_y(layers: &[Layer], desc: &str) -> Axis {
    let (lo, hi) = y_extent(layers);
    nice_axis(lo, hi, 7, desc)
}

fn scaled(v: &[f64], s: f64) -> Vec<f64> {
    v.iter().map(|x| x * s).collect()
}

/// A fan: the p05–p95 band, light, and the p50 line of width `width`, scaled by `s`.
fn fan(
    xs: Vec<f64>,
    [lo, mid, hi]: [&[f64]; 3],
    s: f64,
    color: RGBColor,
    width: u32,
) -> [Layer; 2] {
    [
        Layer::Band {
            xs: xs.clone(),
            lo: scaled(lo, s),
            hi: scaled(hi, s),
            color,
            alpha: 0.25,
        },
        Layer::Line {
            xs,
            ys: scaled(mid, s),
            color,
            width,
            dashed: false,
        },
    ]
}

// ---------------------------------------------------------------------------------------
// Run report

fn run_page(dir: &Path) -> Result<Page> {
    let meta = Meta::in_folder(dir)?;
    let mut page = Page::new("run", &meta.name(), meta.text(&["scenario", "description"]));
    let summary = match dir.join("summary.csv") {
        p if p.is_file() => Some(read_summary(&p)?),
        _ => None,
    };
    page.raw("<div class=\"cols\"><div>");
    page.h2("Settings");
    page.kv(&meta.settings());
    page.raw("</div><div>");
    if let Some(summary) = &summary {
        page.h2("Horizon totals");
        let rows: Vec<Vec<String>> = KEY_FIGURES
            .iter()
            .filter_map(|(label, _, metric)| {
                let s = summary.get(*metric)?;
                let unit = Unit::of(metric);
                let cell = |x: f64| {
                    if unit == Unit::Months && !x.is_finite() {
                        "never".to_string()
                    } else {
                        fmt_unit(x, unit)
                    }
                };
                Some(vec![
                    label.to_string(),
                    unit_label(metric).to_string(),
                    cell(s.p05),
                    cell(s.p50),
                    cell(s.p95),
                    cell(s.mean),
                ])
            })
            .collect();
        page.table(
            &["horizon total", "unit", "p05", "p50", "p95", "mean"],
            &rows,
        );
        page.note("Levels (households, subscribers): the last month. Breakeven: months from the start (0 = the first month); \"never\": later than any simulated month.");
    }
    page.raw("</div></div>\n");

    let monthly = match dir.join("monthly.csv") {
        p if p.is_file() => Some(Periods::read(&p, "month")?),
        _ => None,
    };
    let yearly = match dir.join("yearly.csv") {
        p if p.is_file() => Some(Periods::read(&p, "year")?),
        _ => None,
    };

    if let Some(m) = &monthly {
        page.h2("Device P&L and net, month by month");
        if let Some(svg) = fan_trio(m)? {
            page.figure(
                svg,
                "Per month: the band spans p05–p95 across trials, the line is the p50. Net = device P&L + downstream margin, as a \"downstream impact\" metric claims it and as the devices really caused it (incremental).",
            );
        }
        if let Some(svg) = cumulative_chart(m, summary.as_ref())? {
            page.h3("Cumulative");
            page.figure(
                svg,
                "Cumulative mean: the running sum of monthly means (exact for the mean). Cumulative percentiles cannot be added up from monthly percentiles, so the only cumulative spread shown is the horizon total's p05–p95 (whiskers, with its p50 as a dot) from summary.csv.",
            );
        }
    }
    if let Some(y) = &yearly {
        page.h2("By year");
        if let Some(svg) = yearly_components(y, &meta)? {
            page.figure(
                svg,
                "Device P&L by year, mean across trials, split into its components: costs below zero, revenues above; the dot is the device P&L (their sum). Plan revenue counts here only for plans with in_device_pnl = true; the rest of the downstream is in the next chart.",
            );
        }
        if let Some(svg) = yearly_downstream(y)? {
            page.figure(
                svg,
                "Downstream margin by year, mean across trials: what a \"downstream impact\" metric credits to the devices (claimed) against what the devices really caused (incremental).",
            );
        }
        let rows = yearly_table(y);
        if !rows.is_empty() {
            page.table(
                &[
                    "year (p50)",
                    "units M",
                    "device P&L $B",
                    "claimed $B",
                    "incremental $B",
                    "net incr. $B",
                ],
                &rows,
            );
        }
    }
    if let Some(m) = &monthly {
        if let Some(svg) = intent_mix(m)? {
            page.h2("What households ask the assistant");
            page.figure(
                svg,
                "Share of interactions by intent per month: each intent's mean interactions over the mean total (means add up, so the shares sum to 100%). The legend gives each intent's share in the last month.",
            );
        }
        let premium_seen = m
            .get("premium_subscribers")
            .is_some_and(|s| s.iter().any(|x| x.p95 > 0.0));
        if meta.has_premium() || premium_seen {
            if let Some(svg) = fan_single(
                m,
                "premium_subscribers",
                "Premium subscribers (M)",
                PURPLE,
                meta.text(&["premium", "launch"]),
            )? {
                page.h2("Paid tier");
                let price = meta
                    .get(&["premium", "price_month"])
                    .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                    .map(|p| format!(" (tier at ${}/month)", money_text(p)))
                    .unwrap_or_default();
                page.figure(
                    svg,
                    &format!("Premium subscribers{price}, month by month: p05–p95 band and p50 line across trials."),
                );
            }
        }
        if let Some(svg) = fan_single(m, "active_households", "Active households (M)", BLUE, None)?
        {
            page.h2("Adoption");
            page.figure(
                svg,
                "Households with an active device per month: p05–p95 band and p50 line across trials.",
            );
        }
    }
    if monthly.is_none() && yearly.is_none() && summary.is_none() {
        page.note("This folder holds no summary.csv, monthly.csv or yearly.csv.");
    }
    Ok(page)
}

fn unit_label(metric: &str) -> &'static str {
    match Unit::of(metric) {
        Unit::Months => "",
        u => u.label(),
    }
}

const NETS: [(&str, &str, RGBColor); 3] = [
    ("device_pnl", "Device P&L", BLUE),
    ("net_claimed", "Net, claimed", ORANGE),
    ("net_incremental", "Net, incremental", GREEN),
];

/// Monthly fan charts of device P&L, net claimed and net incremental on one y scale.
fn fan_trio(m: &Periods) -> Result<Option<String>> {
    let xs: Vec<f64> = m.labels.iter().map(|l| month_x(l)).collect();
    let s = Unit::Dollars.scale();
    let mut plots = Vec::new();
    for (metric, label, color) in NETS {
        let (Some(lo), Some(mid), Some(hi)) = (
            m.field(metric, |s| s.p05),
            m.field(metric, |s| s.p50),
            m.field(metric, |s| s.p95),
        ) else {
            continue;
        };
        plots.push(Plot {
            title: Some(label.to_string()),
            x: month_axis(&m.labels, 0.0),
            y: nice_axis(0.0, 1.0, 6, ""),
            layers: fan(xs.clone(), [&lo, &mid, &hi], s, color, 2).into(),
            legend: Vec::new(),
            x_grid: true,
            y_zero: true,
        });
    }
    if plots.is_empty() {
        return Ok(None);
    }
    let mut all = Vec::new();
    for p in &plots {
        for l in &p.layers {
            l.ys(&mut all);
        }
    }
    let (lo, hi) = extent(&all);
    let y = nice_axis(lo, hi, 7, "$B per month");
    for (k, p) in plots.iter_mut().enumerate() {
        p.y = y.clone();
        if k > 0 {
            p.y.desc.clear();
        }
    }
    let n = plots.len();
    let svg = svg(1100, 420, |root| {
        let items = vec![
            legend("p05–p95 across trials", INK, Swatch::Band),
            legend("p50", INK, Swatch::Line),
        ];
        let h = draw_legend(root, &items, 6)?;
        let (_, rest) = root.split_vertically(h + 4);
        for (area, p) in rest.split_evenly((1, n)).iter().zip(&plots) {
            draw_plot(area, p)?;
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

/// Cumulative means of device P&L and nets, with the horizon p05–p95 from summary.csv.
fn cumulative_chart(
    m: &Periods,
    summary: Option<&HashMap<String, Stat>>,
) -> Result<Option<String>> {
    let xs: Vec<f64> = m.labels.iter().map(|l| month_x(l)).collect();
    let s = Unit::Dollars.scale();
    let mut layers = Vec::new();
    let mut items = Vec::new();
    let last = xs.iter().copied().rfind(|x| x.is_finite()).unwrap_or(0.0);
    for (k, (metric, label, color)) in NETS.iter().enumerate() {
        let Some(means) = m.field(metric, |s| s.mean) else {
            continue;
        };
        let mut acc = 0.0;
        let cum: Vec<f64> = means
            .iter()
            .map(|x| {
                acc += x;
                acc * s
            })
            .collect();
        layers.push(Layer::Line {
            xs: xs.clone(),
            ys: cum,
            color: *color,
            width: 3,
            dashed: false,
        });
        items.push(legend(
            &format!("{label} (cumulative mean)"),
            *color,
            Swatch::Line,
        ));
        if let Some(h) = summary.and_then(|sm| sm.get(*metric)) {
            let x = last + 0.12 + 0.1 * k as f64;
            layers.push(Layer::VWhiskers {
                items: vec![(x, h.p05 * s, h.p95 * s)],
                color: *color,
                cap: 0.035,
            });
            layers.push(Layer::Dots {
                pts: vec![(x, h.p50 * s)],
                color: *color,
                size: 4,
            });
        }
    }
    if layers.is_empty() {
        return Ok(None);
    }
    if summary.is_some() {
        items.push(legend(
            "horizon total p05–p95 (p50 dot)",
            INK,
            Swatch::Whisker,
        ));
    }
    let plot = Plot {
        title: None,
        x: month_axis(&m.labels, if summary.is_some() { 0.42 } else { 0.0 }),
        y: fit_y(&layers, "cumulative $B"),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    Ok(Some(single(1100, 440, &plot)?))
}

/// Year labels and positions of a yearly table.
fn year_axis(y: &Periods) -> Axis {
    category_axis(&y.labels, "")
}

/// Stacked signed bars of the device P&L components per year, with the P&L as a dot.
fn yearly_components(y: &Periods, meta: &Meta) -> Result<Option<String>> {
    let n = y.labels.len();
    if n == 0 || y.get("device_pnl").is_none() {
        return Ok(None);
    }
    let s = Unit::Dollars.scale();
    let mut parts: Vec<(String, f64, String)> = vec![
        ("Hardware subsidy".into(), -1.0, "hardware_subsidy".into()),
        ("Serving cost".into(), -1.0, "serving_cost".into()),
        (
            "Premium serving cost (LLM)".into(),
            -1.0,
            "premium_serving_cost".into(),
        ),
        ("Fixed cost".into(), -1.0, "fixed_cost".into()),
        ("Premium revenue".into(), 1.0, "premium_revenue".into()),
    ];
    for plan in meta.plans_in_pnl() {
        parts.push((
            format!("Plan revenue: {plan}"),
            1.0,
            format!("revenue_{plan}"),
        ));
    }
    let mut pos = vec![0.0; n];
    let mut neg = vec![0.0; n];
    let mut layers = Vec::new();
    let mut items = Vec::new();
    let mut k = 0;
    for (label, sign, metric) in &parts {
        let Some(means) = y.field(metric, |s| s.mean) else {
            continue;
        };
        if means.iter().all(|v| !v.is_finite() || *v == 0.0) {
            continue;
        }
        let color = PALETTE[[3, 1, 4, 7, 2, 0, 9, 5, 6, 8][k % 10]];
        k += 1;
        let mut rects = Vec::new();
        for (i, v) in means.iter().enumerate() {
            let v = sign * v * s;
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let base = if v >= 0.0 { &mut pos[i] } else { &mut neg[i] };
            rects.push([(i as f64 - 0.34, *base), (i as f64 + 0.34, *base + v)]);
            *base += v;
        }
        layers.push(Layer::Rects { rects, color });
        items.push(legend(label, color, Swatch::Box));
    }
    let pnl = y.field("device_pnl", |s| s.mean).unwrap_or_default();
    layers.push(Layer::Dots {
        pts: pnl
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, v * s))
            .collect(),
        color: INK,
        size: 6,
    });
    items.push(legend("Device P&L (mean)", INK, Swatch::Dot));
    let mut all = Vec::new();
    for l in &layers {
        l.ys(&mut all);
    }
    all.push(0.0);
    let (lo, hi) = extent(&all);
    let plot = Plot {
        title: None,
        x: year_axis(y),
        y: nice_axis(lo, hi, 7, "$B per year"),
        layers,
        legend: items,
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 440, &plot)?))
}

/// Grouped bars of downstream claimed and incremental per year.
fn yearly_downstream(y: &Periods) -> Result<Option<String>> {
    let s = Unit::Dollars.scale();
    let (Some(claimed), Some(incr)) = (
        y.field("downstream_claimed", |s| s.mean),
        y.field("downstream_incremental", |s| s.mean),
    ) else {
        return Ok(None);
    };
    let bars = |v: &[f64], off: f64| -> Vec<[(f64, f64); 2]> {
        v.iter()
            .enumerate()
            .map(|(i, x)| [(i as f64 + off - 0.17, 0.0), (i as f64 + off + 0.17, x * s)])
            .collect()
    };
    let layers = vec![
        Layer::Rects {
            rects: bars(&claimed, -0.18),
            color: ORANGE,
        },
        Layer::Rects {
            rects: bars(&incr, 0.18),
            color: GREEN,
        },
    ];
    let mut all = vec![0.0];
    for l in &layers {
        l.ys(&mut all);
    }
    let (lo, hi) = extent(&all);
    let plot = Plot {
        title: None,
        x: year_axis(y),
        y: nice_axis(lo, hi, 6, "$B per year"),
        layers,
        legend: vec![
            legend("Downstream claimed", ORANGE, Swatch::Box),
            legend("Downstream incremental (really caused)", GREEN, Swatch::Box),
        ],
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 360, &plot)?))
}

fn yearly_table(y: &Periods) -> Vec<Vec<String>> {
    let cols = [
        "units_sold",
        "device_pnl",
        "downstream_claimed",
        "downstream_incremental",
        "net_incremental",
    ];
    let series: Vec<Option<&[Stat]>> = cols.iter().map(|c| y.get(c)).collect();
    if series.iter().all(Option::is_none) {
        return Vec::new();
    }
    y.labels
        .iter()
        .enumerate()
        .map(|(i, year)| {
            let mut row = vec![year.clone()];
            for (c, s) in cols.iter().zip(&series) {
                row.push(s.map_or("–".into(), |s| fmt_unit(s[i].p50, Unit::of(c))));
            }
            row
        })
        .collect()
}

/// Stacked shares of interactions by intent per month (from means).
fn intent_mix(m: &Periods) -> Result<Option<String>> {
    let intents: Vec<&String> = m
        .metrics
        .iter()
        .filter(|k| k.starts_with("interactions_"))
        .collect();
    if intents.is_empty() {
        return Ok(None);
    }
    let n = m.labels.len();
    let xs: Vec<f64> = m.labels.iter().map(|l| month_x(l)).collect();
    let means: Vec<Vec<f64>> = intents
        .iter()
        .map(|k| m.field(k, |s| s.mean).unwrap_or_default())
        .collect();
    let total: Vec<f64> = (0..n)
        .map(|i| {
            means
                .iter()
                .map(|v| v[i].max(0.0))
                .filter(|v| v.is_finite())
                .sum()
        })
        .collect();
    let mut base = vec![0.0; n];
    let mut layers = Vec::new();
    let mut items = Vec::new();
    for (k, (name, v)) in intents.iter().zip(&means).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let lo = base.clone();
        for i in 0..n {
            if total[i] > 0.0 && v[i].is_finite() {
                base[i] += 100.0 * v[i].max(0.0) / total[i];
            }
        }
        let hi: Vec<f64> = (0..n)
            .map(|i| if total[i] > 0.0 { base[i] } else { f64::NAN })
            .collect();
        layers.push(Layer::Band {
            xs: xs.clone(),
            lo,
            hi,
            color,
            alpha: 0.85,
        });
        let share = (0..n)
            .filter(|&i| total[i] > 0.0 && v[i].is_finite())
            .map(|i| v[i] / total[i])
            .next_back()
            .unwrap_or(f64::NAN);
        items.push(legend(
            &format!(
                "{} ({})",
                name.trim_start_matches("interactions_").replace('_', " "),
                pct(share)
            ),
            color,
            Swatch::Box,
        ));
    }
    let plot = Plot {
        title: None,
        x: month_axis(&m.labels, 0.0),
        y: Axis {
            lo: 0.0,
            hi: 100.0,
            ticks: (0..=5)
                .map(|i| (i as f64 * 20.0, format!("{}%", i * 20)))
                .collect(),
            desc: "share of interactions".into(),
        },
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    Ok(Some(single(1100, 420, &plot)?))
}

/// One fan chart (p05–p95 band, p50 line) of a count metric, with an optional launch rule.
fn fan_single(
    m: &Periods,
    metric: &str,
    y_desc: &str,
    color: RGBColor,
    launch: Option<String>,
) -> Result<Option<String>> {
    let (Some(lo), Some(mid), Some(hi)) = (
        m.field(metric, |s| s.p05),
        m.field(metric, |s| s.p50),
        m.field(metric, |s| s.p95),
    ) else {
        return Ok(None);
    };
    let s = Unit::of(metric).scale();
    let xs: Vec<f64> = m.labels.iter().map(|l| month_x(l)).collect();
    let mut layers: Vec<Layer> = fan(xs, [&lo, &mid, &hi], s, color, 3).into();
    let mut items = vec![
        legend("p05–p95 across trials", color, Swatch::Band),
        legend("p50", color, Swatch::Line),
    ];
    if let Some(l) = launch {
        let x = month_x(&l) - 0.5 / 12.0;
        if x.is_finite() {
            layers.push(Layer::VRule {
                x,
                color: RED,
                dashed: true,
            });
            items.push(legend(&format!("launch {l}"), RED, Swatch::Dashed));
        }
    }
    let (a, b) = y_extent(&layers);
    let plot = Plot {
        title: None,
        x: month_axis(&m.labels, 0.0),
        y: nice_axis(a.min(0.0), b, 6, y_desc),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    Ok(Some(single(1100, 360, &plot)?))
}

// ---------------------------------------------------------------------------------------
// Sweep report

/// `sweep.csv` split into its varied columns and per-scalar statistics.
struct Sweep {
    axes: Vec<String>,
    /// Per point: the varied values.
    points: Vec<Vec<String>>,
    table: Table,
}

impl Sweep {
    fn read(path: &Path) -> Result<Sweep> {
        let table = Table::read(path)?;
        let h = &table.header;
        let first_stat = (0..h.len())
            .find(|&i| {
                h[i].strip_suffix("_mean").is_some_and(|base| {
                    ["p05", "p50", "p95"]
                        .iter()
                        .enumerate()
                        .all(|(k, s)| h.get(i + 1 + k) == Some(&format!("{base}_{s}")))
                })
            })
            .with_context(|| format!("{}: no `<scalar>_mean` columns", path.display()))?;
        let axes = h[..first_stat].to_vec();
        let points = table
            .rows
            .iter()
            .map(|r| r[..first_stat].to_vec())
            .collect();
        Ok(Sweep {
            axes,
            points,
            table,
        })
    }

    fn stat(&self, metric: &str) -> Option<Vec<Stat>> {
        let c = |s: &str| self.table.col(&format!("{metric}_{s}"));
        let (mean, p05, p50, p95) = (c("mean")?, c("p05")?, c("p50")?, c("p95")?);
        Some(
            self.table
                .rows
                .iter()
                .map(|r| Stat {
                    mean: num_or_nan(&r[mean]),
                    p05: num_or_nan(&r[p05]),
                    p50: num_or_nan(&r[p50]),
                    p95: num_or_nan(&r[p95]),
                })
                .collect(),
        )
    }

    fn scalars(&self) -> Vec<String> {
        self.table
            .header
            .iter()
            .filter_map(|h| h.strip_suffix("_mean").map(String::from))
            .collect()
    }

    fn label(&self, point: usize) -> String {
        self.axes
            .iter()
            .zip(&self.points[point])
            .map(|(a, v)| format!("{a} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `sweep_best.csv`: per metric, the best point by mean (if any) and each point's share of
/// trials in which it is the best.
struct BestPoints {
    /// metric -> (best point index if any, share best per point)
    by_metric: Vec<(String, Option<usize>, Vec<f64>)>,
}

fn read_best(path: &Path, sweep: &Sweep) -> Result<BestPoints> {
    let t = Table::read(path)?;
    let file = path.display().to_string();
    let m = t.need("metric", &file)?;
    let best = t.need("best_by_mean", &file)?;
    let share = t.need("share_of_trials_best", &file)?;
    let axis_cols: Vec<usize> = sweep
        .axes
        .iter()
        .map(|a| t.need(a, &file))
        .collect::<Result<_>>()?;
    let index: HashMap<&[String], usize> = sweep
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_slice(), i))
        .collect();
    let mut by_metric: Vec<(String, Option<usize>, Vec<f64>)> = Vec::new();
    for row in &t.rows {
        let key: Vec<String> = axis_cols.iter().map(|&c| row[c].clone()).collect();
        let Some(&p) = index.get(key.as_slice()) else {
            continue;
        };
        if by_metric.last().is_none_or(|(name, _, _)| *name != row[m]) {
            by_metric.push((row[m].clone(), None, vec![f64::NAN; sweep.points.len()]));
        }
        let entry = by_metric.last_mut().expect("pushed");
        entry.2[p] = num_or_nan(&row[share]);
        if number(&row[best]) == Some(1.0) {
            entry.1 = Some(p);
        }
    }
    Ok(BestPoints { by_metric })
}

/// The best point by mean computed from sweep.csv (when sweep_best.csv is absent).
fn best_by_mean(metric: &str, stats: &[Stat]) -> Option<usize> {
    let first = stats.first()?.mean;
    if stats.iter().all(|s| s.mean == first) {
        return None;
    }
    let better = |a: f64, b: f64| {
        if higher_is_better(metric) {
            a > b
        } else {
            a < b
        }
    };
    let mut best = 0;
    for (i, s) in stats.iter().enumerate() {
        if s.mean.is_finite() && (!stats[best].mean.is_finite() || better(s.mean, stats[best].mean))
        {
            best = i;
        }
    }
    Some(best)
}

fn sweep_page(dir: &Path) -> Result<Page> {
    let meta = Meta::in_folder(dir)?;
    let sweep = Sweep::read(&dir.join("sweep.csv"))?;
    let best = match dir.join("sweep_best.csv") {
        p if p.is_file() => Some(read_best(&p, &sweep)?),
        _ => None,
    };
    let mut page = Page::new(
        "sweep",
        &meta.name(),
        meta.text(&["scenario", "description"]),
    );
    page.h2("Settings");
    let mut settings = meta.settings();
    for (k, axis) in sweep.axes.iter().enumerate() {
        let mut values: Vec<&str> = Vec::new();
        for p in &sweep.points {
            if !values.contains(&p[k].as_str()) {
                values.push(&p[k]);
            }
        }
        let shown = if values.len() > 8 {
            format!(
                "{}, {}, … , {} ({} values)",
                values[0],
                values[1],
                values[values.len() - 1],
                values.len()
            )
        } else {
            values.join(", ")
        };
        settings.push((format!("Varied: {axis}"), shown));
    }
    settings.push(("Points".into(), sweep.points.len().to_string()));
    page.kv(&settings);
    page.note("Every point is the scenario with the varied values set, run on common random numbers (the same trials at every point).");

    let best_of = |metric: &str| -> Option<usize> {
        match &best {
            Some(b) => b
                .by_metric
                .iter()
                .find(|(m, _, _)| m == metric)
                .and_then(|(_, p, _)| *p),
            None => sweep.stat(metric).and_then(|s| best_by_mean(metric, &s)),
        }
    };
    for (metric, title, color) in [
        ("net_incremental", "Net, incremental", GREEN),
        ("device_pnl", "Device P&L", BLUE),
        ("net_claimed", "Net, claimed", ORANGE),
    ] {
        if let Some(svg) = sweep_curve(&sweep, metric, best_of(metric), color)? {
            page.h2(&format!("{title} against the varied value"));
            page.figure(
                svg,
                &format!("{title} over the horizon ($B): mean across trials (line) with the p05–p95 band; the ringed point is the best by mean."),
            );
        }
    }
    if let Some(b) = &best
        && sweep.axes.len() == 1
        && let Some((_, _, shares)) = b.by_metric.iter().find(|(m, _, _)| m == "net_incremental")
        && let Some(svg) = sweep_pbest(&sweep, shares)?
    {
        page.h3("How sure: the share of trials in which each point is the best");
        page.figure(
            svg,
            "Net, incremental: per point, the share of trials in which it is the best point (trial by trial, on common random numbers).",
        );
    }

    page.h2("Best point of each money metric");
    let mut rows = Vec::new();
    let metrics: Vec<String> = match &best {
        Some(b) => b.by_metric.iter().map(|(m, _, _)| m.clone()).collect(),
        None => sweep
            .scalars()
            .into_iter()
            .filter(|m| is_money(m))
            .collect(),
    };
    for metric in metrics {
        let Some(stats) = sweep.stat(&metric) else {
            continue;
        };
        let unit = Unit::of(&metric);
        match best_of(&metric) {
            Some(p) => {
                let share = best
                    .as_ref()
                    .and_then(|b| b.by_metric.iter().find(|(m, _, _)| *m == metric))
                    .map_or(f64::NAN, |(_, _, s)| s[p]);
                rows.push(vec![
                    metric.clone(),
                    sweep.label(p),
                    fmt_unit(stats[p].mean, unit),
                    fmt_unit(stats[p].p05, unit),
                    fmt_unit(stats[p].p95, unit),
                    pct(share),
                ]);
            }
            None => rows.push(vec![
                metric.clone(),
                "identical at every point".into(),
                fmt_unit(stats[0].mean, unit),
                fmt_unit(stats[0].p05, unit),
                fmt_unit(stats[0].p95, unit),
                "–".into(),
            ]),
        }
    }
    page.table(
        &[
            "metric",
            "best point (by mean)",
            "mean $B",
            "p05 $B",
            "p95 $B",
            "P(best)",
        ],
        &rows,
    );
    page.note("P(best): the share of trials in which that point is the best (costs: the lowest).");
    Ok(page)
}

/// Positions of the first axis's values: numeric when all parse, else categories.
fn sweep_x(sweep: &Sweep) -> (Vec<f64>, Axis) {
    let values: Vec<&str> = sweep.points.iter().map(|p| p[0].as_str()).collect();
    let nums: Vec<Option<f64>> = values.iter().map(|v| number(v)).collect();
    if nums.iter().all(Option::is_some) {
        let xs: Vec<f64> = nums.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
        let (lo, hi) = extent(&xs);
        let mut axis = nice_axis(lo, hi, 10, &sweep.axes[0]);
        let pad = if hi > lo {
            (hi - lo) * 0.04
        } else {
            lo.abs().max(1.0) * 0.1
        };
        axis.lo = lo - pad;
        axis.hi = hi + pad;
        let (a, b) = (axis.lo, axis.hi);
        axis.ticks.retain(|(t, _)| *t >= a && *t <= b);
        (xs, axis)
    } else {
        let mut distinct: Vec<String> = Vec::new();
        for v in &values {
            if !distinct.iter().any(|d| d == v) {
                distinct.push(v.to_string());
            }
        }
        let xs = values
            .iter()
            .map(|v| distinct.iter().position(|d| d == v).unwrap_or(0) as f64)
            .collect();
        (xs, category_axis(&distinct, &sweep.axes[0]))
    }
}

/// Mean with p05–p95 band against the first varied key (one line per combination of the
/// other keys), the best point marked.
fn sweep_curve(
    sweep: &Sweep,
    metric: &str,
    best: Option<usize>,
    single_color: RGBColor,
) -> Result<Option<String>> {
    let Some(stats) = sweep.stat(metric) else {
        return Ok(None);
    };
    let s = Unit::Dollars.scale();
    let (xs, x_axis) = sweep_x(sweep);
    // Group points by the values of the other axes.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, p) in sweep.points.iter().enumerate() {
        let key = sweep.axes[1..]
            .iter()
            .zip(&p[1..])
            .map(|(a, v)| format!("{a} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    const MAX_LINES: usize = 10;
    let shown = groups.len().min(MAX_LINES);
    let mut layers = Vec::new();
    let mut items = Vec::new();
    for (g, (key, idx)) in groups.iter().take(shown).enumerate() {
        let color = if groups.len() == 1 {
            single_color
        } else {
            PALETTE[g % PALETTE.len()]
        };
        let mut idx = idx.clone();
        idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
        let gx: Vec<f64> = idx.iter().map(|&i| xs[i]).collect();
        let pick =
            |f: fn(&Stat) -> f64| -> Vec<f64> { idx.iter().map(|&i| f(&stats[i]) * s).collect() };
        layers.push(Layer::Band {
            xs: gx.clone(),
            lo: pick(|s| s.p05),
            hi: pick(|s| s.p95),
            color,
            alpha: if groups.len() == 1 { 0.22 } else { 0.08 },
        });
        layers.push(Layer::Line {
            xs: gx.clone(),
            ys: pick(|s| s.mean),
            color,
            width: 3,
            dashed: false,
        });
        layers.push(Layer::Dots {
            pts: gx
                .iter()
                .zip(pick(|s| s.mean))
                .map(|(x, y)| (*x, y))
                .collect(),
            color,
            size: 3,
        });
        let label = if key.is_empty() {
            "mean (line) and p05–p95 across trials (band)".to_string()
        } else {
            format!("mean at {key}")
        };
        items.push(legend(&label, color, Swatch::Line));
    }
    if let Some(b) = best {
        let pt = (xs[b], stats[b].mean * s);
        layers.push(Layer::Dots {
            pts: vec![pt],
            color: RED,
            size: 8,
        });
        layers.push(Layer::Dots {
            pts: vec![pt],
            color: WHITE,
            size: 5,
        });
        layers.push(Layer::Dots {
            pts: vec![pt],
            color: RED,
            size: 3,
        });
        items.push(legend(
            &format!(
                "best by mean: {} ({} $B)",
                sweep.label(b),
                fmt(stats[b].mean * s, 2)
            ),
            RED,
            Swatch::Dot,
        ));
    }
    if groups.len() > MAX_LINES {
        items.push(legend(
            &format!("(first {MAX_LINES} of {} combinations shown)", groups.len()),
            WHITE,
            Swatch::Box,
        ));
    }
    let plot = Plot {
        title: None,
        x: x_axis,
        y: fit_y(&layers, "$B over the horizon"),
        layers,
        legend: items,
        x_grid: true,
        y_zero: true,
    };
    Ok(Some(single(1100, 420, &plot)?))
}

/// Bars of the share of trials in which each point is the best (one varied key).
fn sweep_pbest(sweep: &Sweep, shares: &[f64]) -> Result<Option<String>> {
    if shares.iter().all(|s| !s.is_finite()) {
        return Ok(None);
    }
    let (xs, x_axis) = sweep_x(sweep);
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let gap = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let half = if gap.is_finite() { gap * 0.38 } else { 0.38 };
    let rects = xs
        .iter()
        .zip(shares)
        .map(|(x, s)| [(x - half, 0.0), (x + half, s * 100.0)])
        .collect();
    let layers = vec![Layer::Rects {
        rects,
        color: GREEN,
    }];
    let (_, hi) = y_extent(&layers);
    let mut y = nice_axis(0.0, hi.max(1.0), 5, "share of trials best");
    for t in &mut y.ticks {
        t.1.push('%');
    }
    let plot = Plot {
        title: None,
        x: x_axis,
        y,
        layers,
        legend: Vec::new(),
        x_grid: false,
        y_zero: true,
    };
    Ok(Some(single(1100, 300, &plot)?))
}

// ---------------------------------------------------------------------------------------
// Compare report

struct CompareRow {
    stat: Stat,
    diff_mean: f64,
    diff_p05: f64,
    diff_p95: f64,
    share_better: f64,
}

/// The resolved scenarios of a compare folder, `<i>-<stem>.resolved.toml`, by `i` (the
/// argument order; 0 is the base).
pub(crate) fn resolved_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut found: Vec<(usize, std::path::PathBuf)> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let (i, rest) = name.split_once('-')?;
            if !rest.ends_with(".resolved.toml") {
                return None;
            }
            Some((i.parse::<usize>().ok()?, p))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

fn compare_page(dir: &Path) -> Result<Page> {
    let path = dir.join("compare.csv");
    let t = Table::read(&path)?;
    let file = path.display().to_string();
    let c = |n: &str| t.need(n, &file);
    let (cm, cs) = (c("metric")?, c("scenario")?);
    let cols = [
        c("mean")?,
        c("p05")?,
        c("p50")?,
        c("p95")?,
        c("diff_mean")?,
        c("diff_p05")?,
        c("diff_p95")?,
        c("share_better")?,
    ];
    let mut scenarios: Vec<String> = Vec::new();
    let mut rows: HashMap<(String, String), CompareRow> = HashMap::new();
    for r in &t.rows {
        if !scenarios.contains(&r[cs]) {
            scenarios.push(r[cs].clone());
        }
        let v = cols.map(|i| num_or_nan(&r[i]));
        rows.insert(
            (r[cm].clone(), r[cs].clone()),
            CompareRow {
                stat: Stat {
                    mean: v[0],
                    p05: v[1],
                    p50: v[2],
                    p95: v[3],
                },
                diff_mean: v[4],
                diff_p05: v[5],
                diff_p95: v[6],
                share_better: v[7],
            },
        );
    }
    if scenarios.is_empty() {
        bail!("{file}: no rows");
    }
    let resolved = resolved_files(dir)?;
    let metas: Vec<Meta> = resolved
        .iter()
        .map(|p| Meta::read(p))
        .collect::<Result<_>>()?;
    let name_of = |i: usize| -> String {
        metas
            .get(i)
            .map(Meta::name)
            .unwrap_or_else(|| scenarios[i].clone())
    };
    let base_meta = metas.first();
    let title = format!(
        "{} vs {}",
        name_of(0),
        (1..scenarios.len())
            .map(name_of)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut page = Page::new("compare", &title, None);
    page.h2("Settings");
    let mut settings: Vec<(String, String)> = base_meta.map(|m| m.settings()).unwrap_or_default();
    for (i, file) in scenarios.iter().enumerate() {
        let role = if i == 0 { "Base" } else { "Scenario" };
        settings.push((format!("{role} {}", i), format!("{} ({file})", name_of(i))));
    }
    page.kv(&settings);
    page.note("All scenarios run with the base's seed, households and trials on common random numbers, so trial t of each shares every draw they have in common: the paired per-trial difference is the effect of what differs, not sampling noise.");

    let key: Vec<(&str, &str)> = KEY_FIGURES
        .iter()
        .filter(|(_, _, m)| *m != "breakeven_month")
        .map(|(l, _, m)| (*l, *m))
        .collect();
    for (i, other) in scenarios.iter().enumerate().skip(1) {
        page.h2(&format!("{} − {}", name_of(i), name_of(0)));
        for (unit, desc) in [
            (Unit::Dollars, "difference to the base, $B over the horizon"),
            (Unit::Count, "difference to the base, M"),
        ] {
            let items: Vec<(String, &CompareRow)> = key
                .iter()
                .filter(|(_, m)| Unit::of(m) == unit)
                .filter_map(|(l, m)| {
                    rows.get(&(m.to_string(), other.clone()))
                        .map(|r| (l.to_string(), r))
                })
                .collect();
            if let Some(svg) = compare_chart(&items, unit, desc)? {
                page.figure(
                    svg,
                    "Paired difference per trial (scenario − base): the dot is the mean, the whisker spans p05–p95 across trials.",
                );
            }
        }
        let table: Vec<Vec<String>> = KEY_FIGURES
            .iter()
            .filter_map(|(label, _, m)| {
                let base = rows.get(&(m.to_string(), scenarios[0].clone()))?;
                let r = rows.get(&(m.to_string(), other.clone()))?;
                let u = Unit::of(m);
                Some(vec![
                    label.to_string(),
                    unit_label(m).to_string(),
                    fmt_unit(base.stat.p50, u),
                    fmt_unit(r.stat.p50, u),
                    fmt_unit(r.diff_mean, u),
                    format!("[{}, {}]", fmt_unit(r.diff_p05, u), fmt_unit(r.diff_p95, u)),
                    pct(r.share_better),
                ])
            })
            .collect();
        page.table(
            &[
                "horizon total",
                "unit",
                "base p50",
                "p50",
                "difference (mean)",
                "[p05, p95]",
                "P(better)",
            ],
            &table,
        );
        page.note("P(better): the share of trials in which the scenario beats the base (is higher; lower for costs and the breakeven month).");
    }
    Ok(page)
}

fn compare_chart(
    items: &[(String, &CompareRow)],
    unit: Unit,
    desc: &str,
) -> Result<Option<String>> {
    if items.is_empty() {
        return Ok(None);
    }
    let s = unit.scale();
    let n = items.len();
    let pos = |i: usize| top_down(i, n);
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let y = top_down_axis(&labels, 0.1);
    let layers = vec![
        Layer::VRule {
            x: 0.0,
            color: ZERO,
            dashed: false,
        },
        Layer::HWhiskers {
            items: items
                .iter()
                .enumerate()
                .map(|(i, (_, r))| (pos(i), r.diff_p05 * s, r.diff_p95 * s))
                .collect(),
            color: BLUE,
            cap: 0.18,
        },
        Layer::Dots {
            pts: items
                .iter()
                .enumerate()
                .map(|(i, (_, r))| (r.diff_mean * s, pos(i)))
                .collect(),
            color: BLUE,
            size: 5,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let plot = Plot {
        title: None,
        x: nice_axis(lo.min(0.0), hi.max(0.0), 8, desc),
        y,
        layers,
        legend: vec![legend(
            "mean difference, p05–p95 across trials",
            BLUE,
            Swatch::Whisker,
        )],
        x_grid: true,
        y_zero: false,
    };
    let height = 110 + 34 * n as u32;
    Ok(Some(single(1100, height, &plot)?))
}

// ---------------------------------------------------------------------------------------
// Sensitivity report

/// Parameters shown in the tornado chart, the heat map and the workbook's swing chart:
/// those with the largest swing.
pub(crate) const TOP_PARAMETERS: usize = 15;
/// Heat-map cells with no value (an undefined rank correlation).
const NO_VALUE: RGBColor = RGBColor(190, 190, 196);

/// One row of `tornado.csv`: a parameter's p10 and p90, the metric's mean with the
/// parameter held at each, the swing between them and the rank correlation of the
/// parameter's draws with the metric; NaN where undefined.
pub(crate) struct TornadoRow {
    pub parameter: String,
    pub p10: f64,
    pub p90: f64,
    pub mean_at_p10: f64,
    pub mean_at_p90: f64,
    pub swing: f64,
    pub swing_se: f64,
    pub rank_correlation: f64,
}

/// `tornado.csv`: the metric, its mean in the plain run, and one row per uncertain
/// parameter, largest swing first.
pub(crate) struct Tornado {
    pub metric: String,
    pub base_mean: f64,
    pub rows: Vec<TornadoRow>,
}

impl Tornado {
    pub(crate) fn read(path: &Path) -> Result<Tornado> {
        let t = Table::read(path)?;
        let file = path.display().to_string();
        let c = |n: &str| t.need(n, &file);
        let (cm, cp, cb) = (c("metric")?, c("parameter")?, c("base_mean")?);
        let cols = [
            c("p10")?,
            c("p90")?,
            c("mean_at_p10")?,
            c("mean_at_p90")?,
            c("swing")?,
            c("swing_se")?,
            c("rank_correlation")?,
        ];
        let mut rows: Vec<TornadoRow> = t
            .rows
            .iter()
            .map(|r| {
                let v = cols.map(|i| num_or_nan(&r[i]));
                TornadoRow {
                    parameter: r[cp].clone(),
                    p10: v[0],
                    p90: v[1],
                    mean_at_p10: v[2],
                    mean_at_p90: v[3],
                    swing: v[4],
                    swing_se: v[5],
                    rank_correlation: v[6],
                }
            })
            .collect();
        // The file is sorted already; a stable sort keeps its order and puts any undefined
        // swing last.
        let key = |r: &TornadoRow| {
            if r.swing.is_finite() {
                r.swing
            } else {
                f64::NEG_INFINITY
            }
        };
        rows.sort_by(|a, b| key(b).total_cmp(&key(a)));
        let first = t.rows.first();
        Ok(Tornado {
            metric: first.map(|r| r[cm].clone()).unwrap_or_default(),
            base_mean: first.map_or(f64::NAN, |r| num_or_nan(&r[cb])),
            rows,
        })
    }
}

/// `sensitivity_by_period.csv`: per period and parameter, the rank correlation of the
/// parameter's draws with the metric in that period (NaN where undefined). The file holds
/// one metric; should it hold more, the first is read.
struct ByPeriod {
    metric: String,
    periods: Vec<String>,
    /// In order of first appearance (the tornado order).
    parameters: Vec<String>,
    /// parameter -> period -> rank correlation.
    values: HashMap<String, HashMap<String, f64>>,
}

impl ByPeriod {
    fn read(path: &Path) -> Result<ByPeriod> {
        let t = Table::read(path)?;
        let file = path.display().to_string();
        let c = |n: &str| t.need(n, &file);
        let (cm, cpe, cpa, cr) = (
            c("metric")?,
            c("period")?,
            c("parameter")?,
            c("rank_correlation")?,
        );
        let mut by = ByPeriod {
            metric: t.rows.first().map(|r| r[cm].clone()).unwrap_or_default(),
            periods: Vec::new(),
            parameters: Vec::new(),
            values: HashMap::new(),
        };
        for r in t.rows.iter().filter(|r| r[cm] == by.metric) {
            if !by.periods.contains(&r[cpe]) {
                by.periods.push(r[cpe].clone());
            }
            let cells = by.values.entry(r[cpa].clone()).or_insert_with(|| {
                by.parameters.push(r[cpa].clone());
                HashMap::new()
            });
            cells.insert(r[cpe].clone(), num_or_nan(&r[cr]));
        }
        Ok(by)
    }

    /// "year" when every period is `YYYY`, else "month".
    fn period_name(&self) -> &'static str {
        if self.periods.iter().all(|p| parse_month(p).is_none()) {
            "year"
        } else {
            "month"
        }
    }
}

/// A parameter value in its own unit: about four significant digits, thousands grouped.
fn fmt_value(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.abs() >= 1e4 {
        let digits = format!("{:.0}", x.abs());
        let mut out = String::from(if x < 0.0 { "-" } else { "" });
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(d);
        }
        return out;
    }
    let decimals = (3.0 - x.abs().log10().floor()).clamp(0.0, 6.0) as usize;
    let s = fmt(x, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn sensitivity_page(dir: &Path) -> Result<Page> {
    let meta = Meta::in_folder(dir)?;
    let tornado = Tornado::read(&dir.join("tornado.csv"))?;
    let by_period = match dir.join("sensitivity_by_period.csv") {
        p if p.is_file() => Some(ByPeriod::read(&p)?),
        _ => None,
    };
    let metric = &tornado.metric;
    let unit = Unit::of(metric);
    let (s, u) = (unit.scale(), unit.label());
    let mut page = Page::new(
        "sensitivity",
        &meta.name(),
        meta.text(&["scenario", "description"]),
    );
    page.h2("Settings");
    let mut settings = meta.settings();
    settings.push(("Metric".into(), metric.clone()));
    settings.push((
        "Mean in the plain run".into(),
        format!("{} {u}", fmt(tornado.base_mean * s, 2)),
    ));
    settings.push((
        "Uncertain parameters".into(),
        tornado.rows.len().to_string(),
    ));
    if let Some(b) = &by_period
        && let (Some(first), Some(last)) = (b.periods.first(), b.periods.last())
    {
        settings.push((
            format!("By {}", b.period_name()),
            format!("{} from {first} to {last}", b.metric),
        ));
    }
    page.kv(&settings);
    page.note("Each uncertain parameter is held at its 10th and then at its 90th percentile (p10, p90); the swing is the change in the metric's mean between the two, with its Monte Carlo standard error.");

    if tornado.rows.is_empty() {
        page.note("tornado.csv lists no uncertain parameters.");
        return Ok(page);
    }
    if let Some((svg, shown)) = tornado_chart(&tornado)? {
        page.h2(&format!("What moves {metric} most"));
        let which = if shown == tornado.rows.len() {
            "each parameter".to_string()
        } else {
            format!("each of the {shown} parameters with the largest swing")
        };
        page.figure(
            svg,
            &format!(
                "Which assumptions move the result most: for {which}, the bar runs from the mean of {metric} with the parameter held at its p10 to its mean with the parameter held at its p90, around the mean of the plain run (vertical line)."
            ),
        );
    }

    page.h2("All uncertain parameters");
    let header = [
        "parameter".to_string(),
        "p10".into(),
        "p90".into(),
        format!("mean at p10 {u}"),
        format!("mean at p90 {u}"),
        format!("swing {u}"),
        format!("swing s.e. {u}"),
        "rank correlation".into(),
    ];
    let rows: Vec<Vec<String>> = tornado
        .rows
        .iter()
        .map(|r| {
            vec![
                r.parameter.clone(),
                fmt_value(r.p10),
                fmt_value(r.p90),
                fmt(r.mean_at_p10 * s, 2),
                fmt(r.mean_at_p90 * s, 2),
                fmt(r.swing * s, 2),
                fmt(r.swing_se * s, 3),
                fmt(r.rank_correlation, 2),
            ]
        })
        .collect();
    page.table(
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    page.note("Largest swing first. Rank correlation: Spearman's, between the parameter's draws and the metric across the trials of the plain run (– where undefined).");

    if let Some(b) = &by_period {
        let rank = |p: &String| {
            tornado
                .rows
                .iter()
                .position(|r| r.parameter == *p)
                .unwrap_or(usize::MAX)
        };
        let mut parameters = b.parameters.clone();
        parameters.sort_by_key(rank);
        parameters.truncate(TOP_PARAMETERS);
        if let Some(svg) = heat_map(b, &parameters)? {
            let period = b.period_name();
            page.h2(&format!(
                "Which assumption drives {} in each {period}",
                b.metric
            ));
            page.figure(
                svg,
                &format!(
                    "Which assumption drives the result in each {period}: the rank correlation (Spearman) between each parameter's draws and {} in that {period} across trials, for the parameters with the largest swing; red: trials with a higher value of the parameter tend to have a higher result, blue: a lower one, grey: undefined.",
                    b.metric
                ),
            );
        }
    }
    Ok(page)
}

/// Horizontal bars, largest swing at the top: from the metric's mean with the parameter at
/// its p10 and at its p90 to the plain run's mean (a vertical line), each side coloured by
/// the percentile it holds the parameter at. With the number of parameters shown.
fn tornado_chart(t: &Tornado) -> Result<Option<(String, usize)>> {
    let rows: Vec<&TornadoRow> = t
        .rows
        .iter()
        .filter(|r| r.mean_at_p10.is_finite() && r.mean_at_p90.is_finite())
        .take(TOP_PARAMETERS)
        .collect();
    if rows.is_empty() || !t.base_mean.is_finite() {
        return Ok(None);
    }
    let unit = Unit::of(&t.metric);
    let s = unit.scale();
    let base = t.base_mean * s;
    let n = rows.len();
    let bar = |i: usize, end: f64| {
        let y = top_down(i, n);
        [(base.min(end), y - 0.34), (base.max(end), y + 0.34)]
    };
    // Where both sides lie on one side of the base, the shorter bar is drawn over the longer.
    let p10_longer =
        |r: &TornadoRow| (r.mean_at_p10 - t.base_mean).abs() >= (r.mean_at_p90 - t.base_mean).abs();
    let p10_bars = |longer: bool| Layer::Rects {
        rects: rows
            .iter()
            .enumerate()
            .filter(|(_, r)| p10_longer(r) == longer)
            .map(|(i, r)| bar(i, r.mean_at_p10 * s))
            .collect(),
        color: BLUE,
    };
    let layers = vec![
        p10_bars(true),
        Layer::Rects {
            rects: rows
                .iter()
                .enumerate()
                .map(|(i, r)| bar(i, r.mean_at_p90 * s))
                .collect(),
            color: ORANGE,
        },
        p10_bars(false),
        Layer::VRule {
            x: base,
            color: INK,
            dashed: false,
        },
    ];
    let (lo, hi) = x_extent(&layers);
    let labels: Vec<String> = rows.iter().map(|r| r.parameter.clone()).collect();
    let plot = Plot {
        title: None,
        x: nice_axis(
            lo,
            hi,
            8,
            &format!("mean of {}, {}", t.metric, unit.label()),
        ),
        y: top_down_axis(&labels, 0.1),
        layers,
        legend: vec![
            legend("parameter held at its p10", BLUE, Swatch::Box),
            legend("parameter held at its p90", ORANGE, Swatch::Box),
            legend(
                &format!("mean of the plain run: {} {}", fmt(base, 2), unit.label()),
                INK,
                Swatch::Line,
            ),
        ],
        x_grid: true,
        y_zero: false,
    };
    let height = 130 + 34 * n as u32;
    Ok(Some((single(1100, height, &plot)?, n)))
}

/// Blue (−1) through white (0) to red (+1); grey when undefined.
fn diverging(x: f64) -> RGBColor {
    if !x.is_finite() {
        return NO_VALUE;
    }
    let end = if x < 0.0 { BLUE } else { RED };
    let a = x.abs().min(1.0);
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * a).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// The x axis of a heat map, period j at j: every period labelled when the labels fit in
/// `width` pixels; else monthly periods get their year on 1 January (the left edge of the
/// January column), others every k-th label.
fn period_axis(periods: &[String], width: i32) -> Axis {
    let n = periods.len();
    let label = periods
        .iter()
        .map(|p| text_width(p, LABEL_SIZE))
        .max()
        .unwrap_or(0)
        + 16;
    let fit = (width / label.max(1)).max(1) as usize;
    let months: Option<Vec<(i64, i64)>> = periods.iter().map(|p| parse_month(p)).collect();
    let every = |stride: usize| -> Vec<(f64, String)> {
        periods
            .iter()
            .enumerate()
            .step_by(stride)
            .map(|(j, p)| (j as f64, p.clone()))
            .collect()
    };
    let ticks = match months {
        _ if n <= fit => every(1),
        Some(months) if months.iter().any(|m| m.1 == 1) => {
            let januaries: Vec<(f64, String)> = months
                .iter()
                .enumerate()
                .filter(|(_, m)| m.1 == 1)
                .map(|(j, m)| (j as f64 - 0.5, m.0.to_string()))
                .collect();
            let stride = januaries.len().div_ceil(fit).max(1);
            januaries.into_iter().step_by(stride).collect()
        }
        _ => every(n.div_ceil(fit)),
    };
    Axis {
        lo: -0.5,
        hi: n as f64 - 0.5,
        ticks,
        desc: String::new(),
    }
}

/// Height of the colour scale above a heat map.
const SCALE_HEIGHT: u32 = 56;

/// The colour scale of [`diverging`]: a bar from −1 to +1 with its ticks, and the grey of
/// an undefined cell.
fn draw_colour_scale(area: &Area<'_>) -> Result<()> {
    let font = (FONT, 15.0).into_font().color(&INK);
    let title = "rank correlation";
    area.draw(&Text::new(title, (14, 12), font.clone()))?;
    let (x0, width, top) = (14 + text_width(title, 15.0) + 16, 320, 10);
    let steps = 64;
    for k in 0..steps {
        let v = -1.0 + 2.0 * (f64::from(k) + 0.5) / f64::from(steps);
        let (a, b) = (x0 + k * width / steps, x0 + (k + 1) * width / steps);
        area.draw(&Rectangle::new(
            [(a, top), (b, top + 18)],
            diverging(v).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, top), (x0 + width, top + 18)],
        ZERO.stroke_width(1),
    ))?;
    for (v, l) in [
        (-1.0, "−1"),
        (-0.5, "−0.5"),
        (0.0, "0"),
        (0.5, "0.5"),
        (1.0, "1"),
    ] {
        let x = x0 + ((v + 1.0) / 2.0 * f64::from(width)).round() as i32;
        area.draw(&PathElement::new(
            vec![(x, top + 18), (x, top + 23)],
            ZERO.stroke_width(1),
        ))?;
        area.draw(&Text::new(
            l,
            (x - text_width(l, 15.0) / 2, top + 25),
            font.clone(),
        ))?;
    }
    let x = x0 + width + 40;
    area.draw(&Rectangle::new(
        [(x, top), (x + 24, top + 18)],
        NO_VALUE.filled(),
    ))?;
    area.draw(&Text::new("undefined", (x + 30, top + 1), font))?;
    Ok(())
}

/// Rows: `parameters` (top down); columns: periods; cells: the rank correlation on the
/// [`diverging`] scale, with the colour scale above.
fn heat_map(by: &ByPeriod, parameters: &[String]) -> Result<Option<String>> {
    if by.periods.is_empty() || parameters.is_empty() {
        return Ok(None);
    }
    let n = parameters.len();
    let cells = parameters
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let y = top_down(i, n);
            let values = by.values.get(p);
            by.periods.iter().enumerate().map(move |(j, period)| {
                let x = j as f64;
                let rho = values
                    .and_then(|v| v.get(period))
                    .copied()
                    .unwrap_or(f64::NAN);
                ([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], diverging(rho))
            })
        })
        .collect();
    let width = 1100;
    let labels = parameters
        .iter()
        .map(|p| text_width(p, LABEL_SIZE))
        .max()
        .unwrap_or(0);
    let plot = Plot {
        title: None,
        x: period_axis(&by.periods, width - labels - 60),
        y: top_down_axis(parameters, 0.0),
        layers: vec![Layer::Cells { cells }],
        legend: Vec::new(),
        x_grid: false,
        y_zero: false,
    };
    let height = SCALE_HEIGHT + 60 + 30 * n as u32;
    Ok(Some(svg(width as u32, height, |root| {
        let (scale, rest) = root.split_vertically(SCALE_HEIGHT);
        draw_colour_scale(&scale)?;
        draw_plot(&rest, &plot)
    })?))
}
