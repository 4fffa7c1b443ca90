//! `results.xlsx` of a result folder ([`workbook`]).
//!
//! Like the HTML report ([`crate::report`]) the workbook is built from the folder's files, so
//! it works on any folder written by `run`, `sweep`, `compare` or `sensitivity`. Every CSV
//! becomes one sheet of the same name: numbers as numbers (large ones shown with thousands
//! separators, full precision kept), `YYYY-MM` months as dates, undefined values as empty
//! cells, a frozen bold header row (and the identifying columns), a filter on the header and
//! column widths fitted to the contents. A first sheet, `charts`, holds the run settings,
//! small tables in $B and native Excel charts drawn from them: for a run the monthly fan
//! chart of the device P&L (p05/p50/p95) and of the net incremental, and the cumulative
//! means; for a sweep the sweep curve (net incremental and device P&L mean, p05, p95 against
//! the varied value); for a comparison the paired differences with p05–p95 error bars; for a
//! sensitivity analysis the swing of the parameters that move the metric most, as bars with
//! their standard errors.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Chart, ChartAxisCrossing, ChartAxisDateUnitType, ChartAxisLabelPosition, ChartErrorBars,
    ChartErrorBarsType, ChartFont, ChartFormat, ChartLegendPosition, ChartLine, ChartLineDashType,
    ChartMarker, ChartMarkerType, ChartRange, ChartType, ExcelDateTime, Format, FormatAlign,
    Workbook, Worksheet,
};

use crate::report::KEY_FIGURES;
use crate::report::{
    self, FolderKind, Meta, Periods, TOP_PARAMETERS, Table, Tornado, Unit, is_money, number,
    unescape,
};

/// Excel's last row (0-based): 1,048,576 rows in all.
const MAX_ROW: u32 = 1_048_575;
/// The CSV files in sheet order; any other `*.csv` in the folder follows, by name.
const ORDER: [&str; 10] = [
    "summary.csv",
    "monthly.csv",
    "yearly.csv",
    "trials.csv",
    "sweep.csv",
    "sweep_best.csv",
    "sweep_trials.csv",
    "compare.csv",
    "tornado.csv",
    "sensitivity_by_period.csv",
];
const CHARTS: &str = "charts";

/// results.xlsx of a result folder: one sheet per CSV, numbers as numbers, months as dates,
/// frozen header rows, sensible column widths, native Excel line charts for the fan chart
/// (device P&L p05/p50/p95 by month), for a sweep the sweep curve (net_incremental
/// mean/p05/p95 vs the varied value), for a sensitivity analysis the swing by parameter.
pub fn workbook(dir: &Path) -> Result<Vec<u8>> {
    let kind = report::kind(dir)?;
    let f = Formats::new();
    let mut wb = Workbook::new();

    let charts = wb.add_worksheet();
    charts.set_name(CHARTS)?;
    match kind {
        FolderKind::Run => run_charts(charts, dir, &f)?,
        FolderKind::Sweep => sweep_charts(charts, dir, &f)?,
        FolderKind::Compare => compare_charts(charts, dir, &f)?,
        FolderKind::Sensitivity => sensitivity_charts(charts, dir, &f)?,
    }

    let mut used: Vec<String> = vec![CHARTS.into()];
    for file in csv_files(dir)? {
        let name = sheet_name(&file, &used);
        used.push(name.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        csv_sheet(ws, &dir.join(&file), &f)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The folder's CSV files: the known ones in [`ORDER`], then others by name.
fn csv_files(dir: &Path) -> Result<Vec<String>> {
    let mut others: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".csv") && !n.starts_with('.') && !ORDER.contains(&n.as_str()))
        .filter(|n| dir.join(n).is_file())
        .collect();
    others.sort();
    let mut files: Vec<String> = ORDER
        .iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| n.to_string())
        .collect();
    files.extend(others);
    Ok(files)
}

/// A valid, unique sheet name from a file name (31 characters, no `[]:*?/\`).
fn sheet_name(file: &str, used: &[String]) -> String {
    let stem = file.strip_suffix(".csv").unwrap_or(file);
    let clean: String = stem
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    let mut name = if clean.is_empty() {
        "sheet".into()
    } else {
        clean
    };
    let mut k = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        let suffix = format!("_{k}");
        name = name.chars().take(31 - suffix.len()).collect::<String>() + &suffix;
        k += 1;
    }
    name
}

struct Formats {
    header: Format,
    title: Format,
    month: Format,
    thousands: Format,
    general: Format,
    billions: Format,
    percent: Format,
    note: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color("F2F3F5")
                .set_align(FormatAlign::Center),
            title: Format::new().set_bold().set_font_size(14),
            month: Format::new().set_num_format("yyyy-mm"),
            thousands: Format::new().set_num_format("#,##0"),
            general: Format::new(),
            billions: Format::new().set_num_format("0.000"),
            percent: Format::new().set_num_format("0%"),
            note: Format::new().set_italic().set_font_color("666666"),
        }
    }
}

/// Width in characters of a number as shown.
fn number_width(x: f64) -> usize {
    if x.abs() >= 1000.0 {
        let digits = format!("{:.0}", x.abs()).len();
        digits + (digits - 1) / 3 + usize::from(x < 0.0)
    } else {
        format!("{x}").len().min(11)
    }
}

/// How many leading columns identify a row (frozen with the header).
fn id_columns(file: &str, header: &[String]) -> u16 {
    let pos = |name: &str| header.iter().position(|h| h == name);
    let n = match file {
        "monthly.csv" | "yearly.csv" | "compare.csv" | "tornado.csv" => 2,
        "sensitivity_by_period.csv" => 3,
        "summary.csv" | "trials.csv" => 1,
        "sweep_trials.csv" => pos("trial").map_or(0, |i| i + 1),
        "sweep_best.csv" => pos("best_by_mean").unwrap_or(1),
        "sweep.csv" => header
            .iter()
            .position(|h| h.ends_with("_mean"))
            .unwrap_or(0),
        _ => 0,
    };
    n.min(header.len()).min(8) as u16
}

/// One CSV file as a sheet, streamed row by row.
fn csv_sheet(ws: &mut Worksheet, path: &Path, f: &Formats) -> Result<()> {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut r = csv::ReaderBuilder::new()
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = r
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(|s| unescape(s).to_string())
        .collect();
    let month_col = header.iter().position(|h| h == "month");
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count() + 2).collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
    }
    let mut row: u32 = 0;
    let mut dropped: u64 = 0;
    let mut rec = csv::StringRecord::new();
    while r
        .read_record(&mut rec)
        .with_context(|| format!("{}: row {}", path.display(), row + 2))?
    {
        if row >= MAX_ROW {
            dropped += 1;
            continue;
        }
        row += 1;
        for (c, cell) in rec.iter().enumerate() {
            let cell = unescape(cell);
            if cell.is_empty() || c >= 16_384 {
                continue;
            }
            let col = c as u16;
            let w = if Some(c) == month_col
                && let Some(date) = month_date(cell)
            {
                ws.write_datetime_with_format(row, col, &date, &f.month)?;
                8
            } else if let Some(x) = number(cell) {
                let fmt = if x.abs() >= 1000.0 {
                    &f.thousands
                } else {
                    &f.general
                };
                ws.write_number_with_format(row, col, x, fmt)?;
                number_width(x)
            } else {
                ws.write_string(row, col, cell)?;
                cell.chars().count()
            };
            if let Some(slot) = widths.get_mut(c) {
                *slot = (*slot).max(w + 1);
            }
        }
    }
    let last_col = header.len().saturating_sub(1) as u16;
    if !header.is_empty() {
        ws.autofilter(0, 0, row, last_col)?;
    }
    ws.set_freeze_panes(1, id_columns(file, &header))?;
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).clamp(8, 48) as f64)?;
    }
    if dropped > 0 {
        ws.write_string_with_format(
            0,
            last_col + 1,
            format!(
                "{dropped} more rows of {file} do not fit in a sheet (Excel's limit is 1,048,576 rows); the CSV file has them all"
            ),
            &f.note,
        )?;
    }
    Ok(())
}

fn month_date(cell: &str) -> Option<ExcelDateTime> {
    let (y, m) = cell.trim().split_once('-')?;
    let (y, m) = (y.parse::<u16>().ok()?, m.parse::<u8>().ok()?);
    ExcelDateTime::from_ymd(y, m, 1).ok()
}

/// The settings block at the top of the charts sheet; returns the next free row.
fn settings_block(
    ws: &mut Worksheet,
    title: &str,
    rows: &[(String, String)],
    f: &Formats,
) -> Result<u32> {
    ws.write_string_with_format(0, 0, title, &f.title)?;
    let mut r = 1;
    for (k, v) in rows {
        ws.write_string(r, 0, k)?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => ws.write_number(r, 1, x)?,
            _ => ws.write_string(r, 1, v)?,
        };
        r += 1;
    }
    ws.set_column_width(0, 26)?;
    Ok(r + 1)
}

fn write_header(ws: &mut Worksheet, row: u32, cols: &[String], f: &Formats) -> Result<()> {
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, h, &f.header)?;
    }
    Ok(())
}

fn write_opt(ws: &mut Worksheet, row: u32, col: u16, x: f64, fmt: &Format) -> Result<()> {
    if x.is_finite() {
        ws.write_number_with_format(row, col, x, fmt)?;
    }
    Ok(())
}

fn line(color: &str, width: f64, dashed: bool) -> ChartFormat {
    let mut l = ChartLine::new();
    l.set_color(color).set_width(width);
    if dashed {
        l.set_dash_type(ChartLineDashType::Dash);
    }
    let mut fmt = ChartFormat::new();
    fmt.set_line(&l);
    fmt
}

/// Title, y axis name and number format, x axis labels below the plot (values are often
/// negative), legend at the bottom.
fn style(chart: &mut Chart, title: &str, y_name: &str) {
    let mut font = ChartFont::new();
    font.set_size(12).set_bold();
    chart.title().set_name(title).set_font(&font);
    chart.y_axis().set_name(y_name).set_num_format("0.0");
    chart
        .x_axis()
        .set_label_position(ChartAxisLabelPosition::Low);
    chart.legend().set_position(ChartLegendPosition::Bottom);
}

/// A line chart of columns of the charts sheet against a category column.
struct Series<'a> {
    name_col: u16,
    col: u16,
    color: &'a str,
    width: f64,
    dashed: bool,
}

/// A band: an upper and a lower line, thin, dashed and light, around a thick central one
/// (columns in drawing order).
fn band<'a>(
    upper: u16,
    centre: u16,
    lower: u16,
    color: &'a str,
    light: &'a str,
) -> [Series<'a>; 3] {
    let line = |col: u16, color: &'a str, central: bool| Series {
        name_col: col,
        col,
        color,
        width: if central { 2.5 } else { 1.25 },
        dashed: !central,
    };
    [
        line(upper, light, false),
        line(centre, color, true),
        line(lower, light, false),
    ]
}

#[allow(clippy::too_many_arguments)]
fn line_chart(
    chart_type: ChartType,
    title: &str,
    y_name: &str,
    header_row: u32,
    first: u32,
    last: u32,
    cat_col: u16,
    series: &[Series<'_>],
) -> Chart {
    let mut chart = Chart::new(chart_type);
    for s in series {
        let mut fmt = line(s.color, s.width, s.dashed);
        let sr = chart.add_series();
        sr.set_name((CHARTS, header_row, s.name_col))
            .set_categories((CHARTS, first, cat_col, last, cat_col))
            .set_values((CHARTS, first, s.col, last, s.col))
            .set_format(&mut fmt);
        if matches!(chart_type, ChartType::ScatterStraightWithMarkers) {
            let mut m = ChartMarker::new();
            m.set_type(ChartMarkerType::Circle).set_size(4);
            sr.set_marker(&m);
        }
    }
    style(&mut chart, title, y_name);
    chart.set_width(760).set_height(360);
    chart
}

fn run_charts(ws: &mut Worksheet, dir: &Path, f: &Formats) -> Result<()> {
    let meta = Meta::in_folder(dir)?;
    let next = settings_block(ws, &meta.name(), &meta.settings(), f)?;
    let path = dir.join("monthly.csv");
    if !path.is_file() {
        ws.write_string_with_format(
            next,
            0,
            "No monthly.csv in this folder: no charts.",
            &f.note,
        )?;
        return Ok(());
    }
    let m = Periods::read(&path, "month")?;
    ws.write_string_with_format(
        next,
        0,
        "Per month, across trials, in $B. Cumulative: the running sum of monthly means (percentiles do not add up, so there is no cumulative p05/p95 per month; the horizon totals' percentiles are in summary).",
        &f.note,
    )?;
    let header_row = next + 1;
    type Pick = fn(&report::Stat) -> f64;
    let columns: [(&str, &str, Pick); 7] = [
        ("device P&L p05", "device_pnl", |s| s.p05),
        ("device P&L p50", "device_pnl", |s| s.p50),
        ("device P&L p95", "device_pnl", |s| s.p95),
        ("net incremental p05", "net_incremental", |s| s.p05),
        ("net incremental p50", "net_incremental", |s| s.p50),
        ("net incremental p95", "net_incremental", |s| s.p95),
        ("net claimed p50", "net_claimed", |s| s.p50),
    ];
    let cumulative = [
        ("cumulative mean device P&L", "device_pnl"),
        ("cumulative mean net claimed", "net_claimed"),
        ("cumulative mean net incremental", "net_incremental"),
    ];
    let mut names = vec!["month".to_string()];
    names.extend(columns.iter().map(|c| format!("{} ($B)", c.0)));
    names.extend(cumulative.iter().map(|c| format!("{} ($B)", c.0)));
    write_header(ws, header_row, &names, f)?;
    let mut acc = [0.0f64; 3];
    for (i, label) in m.labels.iter().enumerate() {
        let r = header_row + 1 + i as u32;
        match month_date(label) {
            Some(d) => ws.write_datetime_with_format(r, 0, &d, &f.month)?,
            None => ws.write_string(r, 0, label)?,
        };
        for (c, (_, metric, pick)) in columns.iter().enumerate() {
            let x = m.data.get(*metric).map_or(f64::NAN, |s| pick(&s[i])) * 1e-9;
            write_opt(ws, r, c as u16 + 1, x, &f.billions)?;
        }
        for (k, (_, metric)) in cumulative.iter().enumerate() {
            let x = m.data.get(*metric).map_or(f64::NAN, |s| s[i].mean);
            if x.is_finite() {
                acc[k] += x;
            }
            write_opt(
                ws,
                r,
                (columns.len() + 1 + k) as u16,
                acc[k] * 1e-9,
                &f.billions,
            )?;
        }
    }
    for c in 1..names.len() {
        ws.set_column_width(c as u16, 15)?;
    }
    ws.set_column_width(0, 26)?;
    let (first, last) = (header_row + 1, header_row + m.labels.len().max(1) as u32);
    let chart_col = names.len() as u16 + 1;
    let fan = |title: &str, c0: u16, color: &str, light: &str| {
        let mut chart = line_chart(
            ChartType::Line,
            title,
            "$B per month",
            header_row,
            first,
            last,
            0,
            &band(c0 + 2, c0 + 1, c0, color, light),
        );
        chart
            .x_axis()
            .set_date_axis(true)
            .set_num_format("yyyy")
            .set_major_unit(1)
            .set_major_unit_date_type(ChartAxisDateUnitType::Years);
        chart
    };
    ws.insert_chart(
        0,
        chart_col,
        &fan(
            "Device P&L per month, $B: p05, p50, p95 across trials",
            1,
            "1F6EB4",
            "7FAEDB",
        ),
    )?;
    ws.insert_chart(
        19,
        chart_col,
        &fan(
            "Net, incremental, per month, $B: p05, p50, p95",
            4,
            "28963C",
            "8CC99A",
        ),
    )?;
    let c0 = columns.len() as u16 + 1;
    let mut cum = line_chart(
        ChartType::Line,
        "Cumulative mean, $B",
        "cumulative $B",
        header_row,
        first,
        last,
        0,
        &[
            Series {
                name_col: c0,
                col: c0,
                color: "1F6EB4",
                width: 2.5,
                dashed: false,
            },
            Series {
                name_col: c0 + 1,
                col: c0 + 1,
                color: "E27616",
                width: 2.5,
                dashed: false,
            },
            Series {
                name_col: c0 + 2,
                col: c0 + 2,
                color: "28963C",
                width: 2.5,
                dashed: false,
            },
        ],
    );
    cum.x_axis()
        .set_date_axis(true)
        .set_num_format("yyyy")
        .set_major_unit(1)
        .set_major_unit_date_type(ChartAxisDateUnitType::Years);
    ws.insert_chart(38, chart_col, &cum)?;
    ws.set_freeze_panes(header_row + 1, 1)?;
    Ok(())
}

fn sweep_charts(ws: &mut Worksheet, dir: &Path, f: &Formats) -> Result<()> {
    let meta = Meta::in_folder(dir)?;
    let t = Table::read(&dir.join("sweep.csv"))?;
    let n_axes = t
        .header
        .iter()
        .position(|h| h.ends_with("_mean"))
        .context("sweep.csv: no `<scalar>_mean` columns")?;
    let mut settings = meta.settings();
    settings.push(("Varied".into(), t.header[..n_axes].join(", ")));
    settings.push(("Points".into(), t.rows.len().to_string()));
    let next = settings_block(ws, &meta.name(), &settings, f)?;
    if n_axes == 0 || t.rows.is_empty() {
        return Ok(());
    }
    let x_key = t.header[0].clone();
    // Group the points by the values of the other varied keys.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let key = t.header[1..n_axes]
            .iter()
            .zip(&row[1..n_axes])
            .map(|(a, v)| format!("{a}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let col = |name: &str| t.header.iter().position(|h| h == name);
    let numeric_x = t.rows.iter().all(|r| number(&r[0]).is_some());
    let chart_type = if numeric_x {
        ChartType::ScatterStraightWithMarkers
    } else {
        ChartType::Line
    };
    ws.write_string_with_format(
        next,
        0,
        "Over the horizon, across trials, in $B, against the first varied key.",
        &f.note,
    )?;
    let header_row = next + 1;
    let first = header_row + 1;
    let rows0 = &groups[0].1;
    let last = header_row + rows0.len() as u32;
    for (i, &p) in rows0.iter().enumerate() {
        let r = first + i as u32;
        match number(&t.rows[p][0]) {
            Some(x) => ws.write_number(r, 0, x)?,
            None => ws.write_string(r, 0, &t.rows[p][0])?,
        };
    }
    let xs: Vec<f64> = rows0
        .iter()
        .filter_map(|&p| number(&t.rows[p][0]))
        .collect();
    let mut names = vec![x_key.clone()];
    let mut charts: Vec<Chart> = Vec::new();
    if groups.len() == 1 {
        let stats = ["mean", "p05", "p95"];
        for metric in ["net_incremental", "device_pnl"] {
            let c0 = names.len() as u16;
            let mut ys = Vec::new();
            for s in stats {
                let c = names.len() as u16;
                names.push(format!("{metric} {s} ($B)"));
                if let Some(src) = col(&format!("{metric}_{s}")) {
                    for (i, &p) in rows0.iter().enumerate() {
                        let x = number(&t.rows[p][src]).unwrap_or(f64::NAN) * 1e-9;
                        write_opt(ws, first + i as u32, c, x, &f.billions)?;
                        ys.push(x);
                    }
                }
            }
            let (color, light) = if metric == "net_incremental" {
                ("28963C", "8CC99A")
            } else {
                ("1F6EB4", "7FAEDB")
            };
            let mut chart = line_chart(
                chart_type,
                &format!("{metric}: mean, p05, p95 across trials ($B) vs {x_key}"),
                "$B over the horizon",
                header_row,
                first,
                last,
                0,
                &band(c0 + 2, c0, c0 + 1, color, light),
            );
            chart.x_axis().set_name(&x_key);
            fit_axes(&mut chart, numeric_x.then_some(xs.as_slice()), &ys);
            charts.push(chart);
        }
    } else {
        const PALETTE: [&str; 10] = [
            "1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B", "E377C2", "7F7F7F",
            "BCBD22", "17BECF",
        ];
        for metric in ["net_incremental", "device_pnl"] {
            let Some(src) = col(&format!("{metric}_mean")) else {
                continue;
            };
            let mut series_cols = Vec::new();
            let mut ys = Vec::new();
            for (key, idx) in groups.iter().take(10) {
                let c = names.len() as u16;
                names.push(format!("{metric} mean at {key} ($B)"));
                series_cols.push(c);
                for (i, &p) in idx.iter().enumerate().take(rows0.len()) {
                    let x = number(&t.rows[p][src]).unwrap_or(f64::NAN) * 1e-9;
                    write_opt(ws, first + i as u32, c, x, &f.billions)?;
                    ys.push(x);
                }
            }
            let series: Vec<Series<'_>> = series_cols
                .iter()
                .enumerate()
                .map(|(k, &c)| Series {
                    name_col: c,
                    col: c,
                    color: PALETTE[k % PALETTE.len()],
                    width: 2.0,
                    dashed: false,
                })
                .collect();
            let mut chart = line_chart(
                chart_type,
                &format!("{metric}: mean across trials ($B) vs {x_key}"),
                "$B over the horizon",
                header_row,
                first,
                last,
                0,
                &series,
            );
            chart.x_axis().set_name(&x_key);
            fit_axes(&mut chart, numeric_x.then_some(xs.as_slice()), &ys);
            charts.push(chart);
        }
    }
    write_header(ws, header_row, &names, f)?;
    for c in 1..names.len() {
        ws.set_column_width(c as u16, 16)?;
    }
    let chart_col = names.len() as u16 + 1;
    for (k, chart) in charts.iter().enumerate() {
        ws.insert_chart(k as u32 * 19, chart_col, chart)?;
    }
    ws.set_freeze_panes(header_row + 1, 1)?;
    Ok(())
}

/// A scenario file's stem, for short chart titles.
fn stem(file: &str) -> &str {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
}

/// Round bounds around the finite values (Excel's automatic axis starts at 0, which flattens
/// curves far from 0).
fn bounds(values: &[f64]) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let step = 10f64.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * step)
        .find(|s| span / s <= 8.0)
        .unwrap_or(10.0 * step);
    let (a, b) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    Some(if b > a { (a, b) } else { (a - step, b + step) })
}

/// Fits the value axis (and a numeric x axis) to the data.
fn fit_axes(chart: &mut Chart, xs: Option<&[f64]>, ys: &[f64]) {
    if let Some((lo, hi)) = bounds(ys) {
        chart.y_axis().set_min(lo).set_max(hi);
    }
    if let Some(xs) = xs {
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo.is_finite() && hi > lo {
            chart.x_axis().set_min(lo).set_max(hi);
        }
    }
}

fn compare_charts(ws: &mut Worksheet, dir: &Path, f: &Formats) -> Result<()> {
    let t = Table::read(&dir.join("compare.csv"))?;
    let file = "compare.csv";
    let pos = |n: &str| {
        t.header
            .iter()
            .position(|h| h == n)
            .with_context(|| format!("{file}: no column `{n}`"))
    };
    let (cm, cs, cd, c05, c95, cb) = (
        pos("metric")?,
        pos("scenario")?,
        pos("diff_mean")?,
        pos("diff_p05")?,
        pos("diff_p95")?,
        pos("share_better")?,
    );
    let mut scenarios: Vec<String> = Vec::new();
    let mut rows: HashMap<(&str, &str), &Vec<String>> = HashMap::new();
    for r in &t.rows {
        if !scenarios.contains(&r[cs]) {
            scenarios.push(r[cs].clone());
        }
        rows.insert((r[cm].as_str(), r[cs].as_str()), r);
    }
    let base_meta = match report::resolved_files(dir)?.first() {
        Some(p) => Meta::read(p)?,
        None => Meta::read_str("")?,
    };
    let mut settings = base_meta.settings();
    for (i, s) in scenarios.iter().enumerate() {
        settings.push((
            if i == 0 {
                "Base".into()
            } else {
                format!("Scenario {i}")
            },
            s.clone(),
        ));
    }
    let mut next = settings_block(ws, "Comparison on common random numbers", &settings, f)?;
    let money: Vec<(&str, &str)> = KEY_FIGURES
        .iter()
        .filter(|(_, _, m)| is_money(m))
        .map(|(l, _, m)| (*l, *m))
        .collect();
    let mut chart_row = 0;
    for other in scenarios.iter().skip(1) {
        ws.write_string_with_format(
            next,
            0,
            format!(
                "{other} − {}: paired difference per trial, $B over the horizon",
                scenarios[0]
            ),
            &f.note,
        )?;
        let header_row = next + 1;
        write_header(
            ws,
            header_row,
            &[
                "metric".into(),
                "difference mean ($B)".into(),
                "p05 ($B)".into(),
                "p95 ($B)".into(),
                "mean − p05".into(),
                "p95 − mean".into(),
                "P(better)".into(),
            ],
            f,
        )?;
        let mut r = header_row;
        let mut ys = vec![0.0];
        for (label, metric) in &money {
            let Some(row) = rows.get(&(*metric, other.as_str())) else {
                continue;
            };
            r += 1;
            let g = |c: usize| number(&row[c]).unwrap_or(f64::NAN);
            let (d, lo, hi) = (g(cd) * 1e-9, g(c05) * 1e-9, g(c95) * 1e-9);
            ws.write_string(r, 0, *label)?;
            write_opt(ws, r, 1, d, &f.billions)?;
            write_opt(ws, r, 2, lo, &f.billions)?;
            write_opt(ws, r, 3, hi, &f.billions)?;
            write_opt(ws, r, 4, (d - lo).max(0.0), &f.billions)?;
            write_opt(ws, r, 5, (hi - d).max(0.0), &f.billions)?;
            write_opt(ws, r, 6, g(cb), &f.percent)?;
            ys.extend([d, lo, hi]);
        }
        if r > header_row {
            let mut chart = Chart::new(ChartType::Column);
            let mut bars = ChartErrorBars::new();
            bars.set_type(ChartErrorBarsType::Custom(
                ChartRange::new_from_range(CHARTS, header_row + 1, 5, r, 5),
                ChartRange::new_from_range(CHARTS, header_row + 1, 4, r, 4),
            ))
            .set_end_cap(true);
            chart
                .add_series()
                .set_name("mean difference (whiskers: p05–p95)")
                .set_categories((CHARTS, header_row + 1, 0, r, 0))
                .set_values((CHARTS, header_row + 1, 1, r, 1))
                .set_y_error_bars(&bars);
            style(
                &mut chart,
                &format!("{} − {}, $B", stem(other), stem(&scenarios[0])),
                "$B over the horizon",
            );
            fit_axes(&mut chart, None, &ys);
            chart.set_width(860).set_height(400);
            ws.insert_chart(chart_row, 8, &chart)?;
            chart_row += 21;
        }
        next = r + 2;
    }
    ws.set_column_width(0, 30)?;
    for c in 1..7 {
        ws.set_column_width(c, 14)?;
    }
    Ok(())
}

fn sensitivity_charts(ws: &mut Worksheet, dir: &Path, f: &Formats) -> Result<()> {
    let meta = Meta::in_folder(dir)?;
    let t = Tornado::read(&dir.join("tornado.csv"))?;
    let unit = Unit::of(&t.metric);
    let (s, u) = (unit.scale(), unit.label());
    let mut settings = meta.settings();
    settings.push(("Metric".into(), t.metric.clone()));
    settings.push((
        format!("Mean in the plain run ({u})"),
        format!("{:.3}", t.base_mean * s),
    ));
    settings.push(("Uncertain parameters".into(), t.rows.len().to_string()));
    let next = settings_block(ws, &meta.name(), &settings, f)?;
    let shown = t.rows.len().min(TOP_PARAMETERS);
    ws.write_string_with_format(
        next,
        0,
        format!(
            "{}: the {shown} parameters with the largest swing (all are in the tornado sheet), in {u}. Swing: the change in the mean between the parameter held at its p10 and at its p90.",
            t.metric
        ),
        &f.note,
    )?;
    let header_row = next + 1;
    write_header(
        ws,
        header_row,
        &[
            "parameter".into(),
            format!("mean at p10 ({u})"),
            format!("mean at p90 ({u})"),
            format!("swing ({u})"),
            format!("swing s.e. ({u})"),
            "rank correlation".into(),
        ],
        f,
    )?;
    let mut swings = vec![0.0];
    for (i, r) in t.rows.iter().take(shown).enumerate() {
        let row = header_row + 1 + i as u32;
        ws.write_string(row, 0, &r.parameter)?;
        write_opt(ws, row, 1, r.mean_at_p10 * s, &f.billions)?;
        write_opt(ws, row, 2, r.mean_at_p90 * s, &f.billions)?;
        write_opt(ws, row, 3, r.swing * s, &f.billions)?;
        write_opt(ws, row, 4, r.swing_se * s, &f.billions)?;
        write_opt(ws, row, 5, r.rank_correlation, &f.general)?;
        swings.extend([r.swing * s, (r.swing + r.swing_se) * s]);
    }
    ws.set_column_width(0, 30)?;
    for c in 1..6 {
        ws.set_column_width(c, 16)?;
    }
    if shown == 0 {
        return Ok(());
    }
    let (first, last) = (header_row + 1, header_row + shown as u32);
    let mut se = ChartErrorBars::new();
    se.set_type(ChartErrorBarsType::Custom(
        ChartRange::new_from_range(CHARTS, first, 4, last, 4),
        ChartRange::new_from_range(CHARTS, first, 4, last, 4),
    ))
    .set_end_cap(true);
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name((CHARTS, header_row, 3))
        .set_categories((CHARTS, first, 0, last, 0))
        .set_values((CHARTS, first, 3, last, 3))
        .set_x_error_bars(&se);
    style(
        &mut chart,
        &format!("{}: swing by parameter, {u} (whiskers: ± s.e.)", t.metric),
        "parameter",
    );
    // Bar charts swap the axes: x is the value axis, y the categories, listed top down with
    // the value axis below them.
    chart
        .x_axis()
        .set_name(&format!("swing, {u}"))
        .set_label_position(ChartAxisLabelPosition::NextTo);
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(ChartAxisCrossing::Max);
    chart.legend().set_hidden();
    if let Some((_, hi)) = bounds(&swings) {
        chart.x_axis().set_min(0).set_max(hi);
    }
    chart.set_width(860).set_height(140 + 24 * shown as u32);
    ws.insert_chart(0, 7, &chart)?;
    ws.set_freeze_panes(header_row + 1, 1)?;
    Ok(())
}
