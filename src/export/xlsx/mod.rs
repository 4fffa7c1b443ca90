//! `results.xlsx`: the workbook of any result ([`workbook`]), built from typed
//! [`Results`] like every other export.
//!
//! A first sheet, `charts`, holds the run settings, small tables in the unit people read
//! (mostly $B) and native Excel charts drawn from them, one module per kind of result:
//! [`run`] (monthly fan charts and cumulative means), [`sweep`] (the sweep curve against
//! the first varied key), [`compare`] (paired differences with p05–p95 error bars) and
//! [`sensitivity`] (the swing of the parameters that move the metric most). Then every
//! table of [`crate::results::table::tables`] becomes one sheet named after its CSV file
//! ([`sheets`]), from the typed cells. Shared chart building blocks are in [`chart`].
//!
//! Text from users on the charts sheet (names, keys, values, chart titles) is shown through
//! [`escape`], so a hidden character is visible; the data sheets hold the CSV's text exactly.

mod calibrate;
mod chart;
mod compare;
mod print;
mod run;
mod sensitivity;
mod sheets;
mod sweep;

use anyhow::Result;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::format::{Excel, escape};
use crate::results::Results;
use crate::scenario::YearMonth;

/// The name of the first sheet, which the charts' ranges refer to.
const CHARTS: &str = "charts";

/// The workbook of a result: the charts sheet, then one sheet per table.
pub fn workbook(results: &Results) -> Result<Vec<u8>> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    // A fixed creation date (the library would stamp the clock's): the same result gives
    // the same bytes, whenever it is written.
    let epoch = ExcelDateTime::from_ymd(1980, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let charts = wb.add_worksheet();
    charts.set_name(CHARTS)?;
    let mut page = print::Page::new();
    let p = &mut page;
    match results {
        Results::Run(r) => run::charts(charts, results, r, &f, p)?,
        Results::Sweep(r) => sweep::charts(charts, results, r, &f, p)?,
        Results::Compare(r) => compare::charts(charts, results, r, &f, p)?,
        Results::Sensitivity(r) => sensitivity::charts(charts, results, r, &f, p)?,
        Results::Backtest(r) => {
            settings_block(charts, r.scenario.name(), &settings(results), &f)?;
        }
        Results::Calibrate(r) => calibrate::charts(charts, results, r, &f, p)?,
    }
    sheets::write(&mut wb, results, &f)?;
    // Every sheet prints landscape and fitted to the page width, then the charts sheet
    // gets its page breaks and scale (and the data sheets kept their print areas).
    for ws in wb.worksheets_mut() {
        print::defaults(ws);
    }
    page.finish(wb.worksheet_from_name(CHARTS)?)?;
    Ok(wb.save_to_buffer()?)
}

/// The cell formats of the workbook.
struct Formats {
    header: Format,
    title: Format,
    month: Format,
    general: Format,
    billions: Format,
    percent: Format,
    note: Format,
    /// The verdict in words at the top of the charts sheet.
    verdict: Format,
    /// The number formats of [`Excel::ALL`], in its order.
    numbers: [Format; Excel::ALL.len()],
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
            general: Format::new(),
            billions: Format::new().set_num_format("#,##0.000"),
            percent: Format::new().set_num_format("0%"),
            note: Format::new().set_italic().set_font_color("666666"),
            verdict: Format::new().set_bold(),
            numbers: Excel::ALL.map(|e| Format::new().set_num_format(e.code())),
        }
    }

    /// The cell format of a way to show numbers.
    fn number(&self, e: Excel) -> &Format {
        &self.numbers[e as usize]
    }
}

/// The first day of a month, for a date cell.
fn month_date(m: YearMonth) -> Result<ExcelDateTime> {
    Ok(ExcelDateTime::from_ymd(
        u16::try_from(m.year())?,
        u8::try_from(m.month())?,
        1,
    )?)
}

/// The settings rows every charts sheet opens with (see [`crate::export::settings`]).
fn settings(results: &Results) -> Vec<(String, String)> {
    crate::export::settings::rows(results)
}

/// The settings block at the top of the charts sheet: a title, then one label and value
/// per row (a value that is a plain number as a number); returns the next free row.
fn settings_block(
    ws: &mut Worksheet,
    title: &str,
    rows: &[(String, String)],
    f: &Formats,
) -> Result<u32> {
    verdict_block(ws, title, "", rows, f)
}

/// The verdict in words of a run, comparison or sweep ([`crate::export::verdict`]); empty
/// for other results.
fn verdict(results: &Results) -> String {
    match results {
        Results::Run(r) => crate::export::verdict::run(r),
        Results::Compare(r) => crate::export::verdict::compare(r),
        Results::Sweep(r) => crate::export::verdict::sweep(r),
        _ => String::new(),
    }
}

/// The most characters of a verdict line on the charts sheet: about the width of a chart,
/// so that the text, overflowing its cell to the right, prints whole.
const VERDICT_WIDTH: usize = 110;

/// Words into lines of at most `width` characters (a longer word has a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The top of the charts sheet: a title, the verdict in words (`verdict`, wrapped into
/// rows of [`VERDICT_WIDTH`] characters of ordinary height, so the page layout counts them
/// as rows), then the settings as in [`settings_block`]; returns the next free row.
fn verdict_block(
    ws: &mut Worksheet,
    title: &str,
    verdict: &str,
    rows: &[(String, String)],
    f: &Formats,
) -> Result<u32> {
    ws.write_string_with_format(0, 0, escape(title), &f.title)?;
    let mut r = 1;
    let lines = wrap(verdict, VERDICT_WIDTH);
    for line in &lines {
        ws.write_string_with_format(r, 0, escape(line), &f.verdict)?;
        r += 1;
    }
    if !lines.is_empty() {
        r += 1;
    }
    for (k, v) in rows {
        ws.write_string(r, 0, escape(k))?;
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => ws.write_number(r, 1, x)?,
            _ => ws.write_string(r, 1, escape(v))?,
        };
        r += 1;
    }
    ws.set_column_width(0, 26)?;
    Ok(r + 1)
}

/// A header row of the charts sheet.
fn write_header(ws: &mut Worksheet, row: u32, cols: &[String], f: &Formats) -> Result<()> {
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, escape(h), &f.header)?;
    }
    Ok(())
}

/// A number, or an empty cell when undefined.
fn write_opt(ws: &mut Worksheet, row: u32, col: u16, x: f64, fmt: &Format) -> Result<()> {
    if x.is_finite() {
        ws.write_number_with_format(row, col, x, fmt)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::job::{Control, Input, Job, Settings, execute};
    use crate::results::table::Cell;

    fn sweep() -> Results {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/premium_5usd_2024.toml");
        let job = Job::sweep(
            Input::read(&path).unwrap(),
            Settings {
                households: Some(300),
                trials: Some(3),
                ..Settings::default()
            },
            &["premium.price_month=3,7.5"],
        )
        .unwrap();
        execute(&job, &Control::none()).unwrap()
    }

    #[test]
    fn verdicts_wrap_at_words_into_short_lines() {
        let text = "aaa bbb ccc\n\ndddddddddd e\n";
        assert_eq!(wrap(text, 7), ["aaa bbb", "ccc", "dddddddddd", "e"]);
        assert_eq!(wrap(text, 100), ["aaa bbb ccc", "dddddddddd e"]);
        assert!(wrap(" \n", 10).is_empty());
    }

    #[test]
    fn varied_values_are_numbers_in_sheets_in_workbook_order() {
        assert_eq!(Cell::value("7.5"), Cell::Number(7.5));
        assert_eq!(Cell::value("true"), Cell::Text("true".into()));
        assert_eq!(Cell::value("inf"), Cell::Text("inf".into()));
        let bytes = workbook(&sweep()).unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [
                "charts",
                "decision",
                "voi",
                "sweep",
                "sweep_best",
                "sweep_trials"
            ]
        );
        let sheet = wb.worksheet_range("sweep").unwrap();
        assert_eq!(sheet.get((1, 0)), Some(&Data::Float(3.0)));
        assert_eq!(sheet.get((2, 0)), Some(&Data::Float(7.5)));
        let charts = wb.worksheet_range("charts").unwrap();
        assert!(
            charts
                .rows()
                .any(|r| r.first() == Some(&Data::String("Varied".into()))
                    && r.get(1) == Some(&Data::String("premium.price_month".into())))
        );
    }
}
