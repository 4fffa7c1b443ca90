//! `results.xlsx` as a finance team prints it: the workbooks of a run, a sweep, a
//! comparison and a sensitivity analysis (written by the binary with `--xlsx`) are
//! converted to PDF by headless LibreOffice (`soffice --headless --convert-to pdf`), and
//! the PDF is read with poppler (`pdftotext -bbox` for the words and their boxes,
//! `pdftoppm -gray` for the pixels). Checked:
//!
//! - page counts: the whole workbook and each sheet (the footer names the sheet on every
//!   page) stay within bounds that follow from the print layout, not from the size of the
//!   result: a data sheet prints at most 200 rows, about 31 rows a page at 100 % on the
//!   smaller of Letter and A4 landscape, so at most 7 pages, 8 with rounding; the charts
//!   sheet one page per chart plus its table;
//! - every chart on one page: LibreOffice writes a chart's text on each page the chart
//!   touches but clips what lies outside the page, so a word is *visible* on a page when
//!   its box there has dark pixels. Each chart's title (read from the chart's XML) is
//!   visible on exactly one page, and that page also shows its bottom axis title (at the
//!   chart's bottom edge) as many times as there are charts titled on it: a chart cut by
//!   a page break would show its title on one page and its axis title on the next;
//! - the verdict in words at the top of the charts sheet (run, sweep, comparison) is
//!   printed whole on its first page;
//! - money is shown in $B or $M (`-$27.03B`), never as raw dollars with separators;
//! - the sweep's x axis names the varied key with its unit and has ticks at the grid;
//! - the tornado's parameter names are not cut off (the first letters of each name are
//!   drawn, not clipped by the chart's edge).
//!
//! Skips, saying so, when LibreOffice or poppler is missing (`.ci/run` installs them when it
//! runs as root).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{ok, temp_dir};

const SOFFICE: &str = "soffice";

/// Whether a program runs (`--version`).
fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether LibreOffice and poppler are installed; says so on stderr when not.
fn tools(test: &str) -> bool {
    let missing: Vec<&str> = [
        (SOFFICE, "--version"),
        ("pdftotext", "-v"),
        ("pdftoppm", "-v"),
    ]
    .into_iter()
    .filter(|(p, a)| !have(p, a))
    .map(|(p, _)| p)
    .collect();
    // The workbook's font is Calibri; Carlito has its metrics (without it LibreOffice
    // draws columns about 30 % wider than Excel does).
    let carlito = Command::new("fc-match")
        .arg("Calibri")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("Carlito"));
    let mut missing = missing;
    if !carlito {
        missing.push("fonts-crosextra-carlito (Calibri's metrics)");
    }
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED tests/integration/workbook.rs {test}: {} not installed (apt-get install libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito; .ci/run does this when it runs as root)",
        missing.join(", ")
    );
    false
}

/// A word of the PDF: its page (from 1), text and box in points.
#[derive(Debug)]
struct Word {
    page: usize,
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// A converted workbook: its words, each page's pixels (gray, 72 dpi) and the sheet
/// each page belongs to.
struct Pdf {
    words: Vec<Word>,
    pages: Vec<(usize, usize, Vec<u8>)>,
    sheets: Vec<String>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in an XML tag.
fn attr(tag: &str, name: &str) -> Option<f64> {
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    tag[at..].split('"').next()?.parse().ok()
}

/// Converts `xlsx` to PDF in `dir` with LibreOffice (its own profile, so tests can run
/// side by side) and reads it.
fn convert(xlsx: &Path, dir: &Path) -> Pdf {
    let profile = dir.join("lo-profile");
    let out = Command::new(SOFFICE)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir)
        .arg(xlsx)
        .output()
        .unwrap();
    let pdf = dir.join("results.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice did not convert {}: {}",
        xlsx.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let bbox = Command::new("pdftotext")
        .arg("-bbox")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let html = String::from_utf8(bbox.stdout).unwrap();
    let mut words = Vec::new();
    let mut page = 0;
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            page += 1;
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let (tag, text) = rest.split_once('>').unwrap();
            let text = text.trim_end_matches("</word>");
            words.push(Word {
                page,
                text: unescape(text),
                x0: attr(tag, "xMin").unwrap(),
                y0: attr(tag, "yMin").unwrap(),
                x1: attr(tag, "xMax").unwrap(),
                y1: attr(tag, "yMax").unwrap(),
            });
        }
    }
    let prefix = dir.join("page");
    let status = Command::new("pdftoppm")
        .args(["-gray", "-r", "72"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(status.success());
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pgm"))
        .collect();
    files.sort();
    assert_eq!(files.len(), page, "one image per page");
    let mut pdf = Pdf {
        words,
        pages: files.iter().map(|f| pgm(f)).collect(),
        sheets: Vec::new(),
    };
    // The footer's left part is the sheet's name: the first visible word of the page's
    // lowest visible line (LibreOffice also writes, clipped, text of the rows around).
    pdf.sheets = (1..=page)
        .map(|p| {
            let on: Vec<&Word> = pdf
                .words
                .iter()
                .filter(|w| w.page == p && pdf.drawn(w, 0.0, 1.0))
                .collect();
            let bottom = on.iter().map(|w| w.y0).fold(0.0, f64::max);
            on.iter()
                .filter(|w| (w.y0 - bottom).abs() < 1.0)
                .min_by(|a, b| a.x0.total_cmp(&b.x0))
                .map(|w| w.text.clone())
                .unwrap_or_default()
        })
        .collect();
    pdf
}

/// A binary PGM image: width, height, pixels.
fn pgm(file: &Path) -> (usize, usize, Vec<u8>) {
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    // "P5\n<w> <h>\n255\n" then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        let end = at
            + bytes[at..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap();
        fields.push(String::from_utf8_lossy(&bytes[at..end]).to_string());
        at = end + 1;
    }
    assert_eq!(fields[0], "P5");
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[at..].to_vec())
}

impl Pdf {
    /// Whether any pixel in the part of `w`'s box from `from` to `to` (fractions of its
    /// width) is dark.
    fn drawn(&self, w: &Word, from: f64, to: f64) -> bool {
        let (width, height, px) = &self.pages[w.page - 1];
        let (x0, x1) = (w.x0 + (w.x1 - w.x0) * from, w.x0 + (w.x1 - w.x0) * to);
        let rows = (w.y0.floor() as usize)..=(w.y1.ceil() as usize).min(height - 1);
        rows.into_iter().any(|y| {
            ((x0.floor() as usize)..=(x1.ceil() as usize).min(width - 1))
                .any(|x| px[y * width + x] < 160)
        })
    }

    /// The pages where `text` (words in order) is visible, once per occurrence.
    fn visible(&self, text: &str) -> Vec<usize> {
        let want: Vec<&str> = text.split_whitespace().collect();
        let mut found = Vec::new();
        for i in 0..self.words.len() {
            let run = &self.words[i..(i + want.len()).min(self.words.len())];
            if run.len() == want.len()
                && run.iter().all(|w| w.page == run[0].page)
                && run.iter().zip(&want).all(|(w, t)| w.text == *t)
                && run.iter().all(|w| self.drawn(w, 0.0, 1.0))
            {
                found.push(run[0].page);
            }
        }
        found
    }

    /// Pages per sheet.
    fn pages_of(&self) -> BTreeMap<&str, usize> {
        let mut n = BTreeMap::new();
        for s in &self.sheets {
            *n.entry(s.as_str()).or_insert(0) += 1;
        }
        n
    }
}

/// The charts of a workbook: each one's title and the title of its bottom axis.
fn charts(xlsx: &Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(xlsx).unwrap();
    let mut z = zip::ZipArchive::new(file).unwrap();
    let mut out = Vec::new();
    for i in 1.. {
        let Ok(mut f) = z.by_name(&format!("xl/charts/chart{i}.xml")) else {
            break;
        };
        let mut xml = String::new();
        f.read_to_string(&mut xml).unwrap();
        let text = |part: &str| -> String {
            let title = &part[part.find("<c:title>").unwrap()..];
            let title = &title[..title.find("</c:title>").unwrap()];
            title
                .split("<a:t>")
                .skip(1)
                .map(|t| unescape(&t[..t.find("</a:t>").unwrap()]))
                .collect()
        };
        let xml: &str = &xml;
        let title = text(&xml[..xml.find("<c:plotArea>").unwrap()]);
        let bottom = ["<c:catAx>", "<c:valAx>", "<c:dateAx>"]
            .iter()
            .flat_map(|tag| {
                let close = tag.replace("<c:", "</c:");
                xml.match_indices(tag).map(move |(at, _)| {
                    let ax = &xml[at..];
                    &ax[..ax.find(&close).unwrap()]
                })
            })
            // The horizontal axis ("t" in a bar chart whose categories run top down,
            // drawn below the bars all the same).
            .find(|ax| {
                (ax.contains("<c:axPos val=\"b\"/>") || ax.contains("<c:axPos val=\"t\"/>"))
                    && ax.contains("<c:title>")
            })
            .map(text)
            .unwrap_or_else(|| panic!("chart {i} ({title}) has no bottom axis title"));
        out.push((title, bottom));
    }
    out
}

/// Each chart's title is visible on one page, which also shows its bottom axis title.
fn assert_charts_on_one_page(xlsx: &Path, pdf: &Pdf) -> usize {
    let charts = charts(xlsx);
    assert!(!charts.is_empty(), "{}: no chart", xlsx.display());
    let mut expected: BTreeMap<(usize, &str), usize> = BTreeMap::new();
    for (title, bottom) in &charts {
        let pages = pdf.visible(title);
        assert_eq!(
            pages.len(),
            1,
            "{}: chart {title:?} is visible on pages {pages:?}",
            xlsx.display()
        );
        assert_eq!(pdf.sheets[pages[0] - 1], "charts");
        *expected.entry((pages[0], bottom)).or_insert(0) += 1;
    }
    for ((page, bottom), n) in expected {
        let shown = pdf.visible(bottom).iter().filter(|&&p| p == page).count();
        assert!(
            shown >= n,
            "{}: page {page} shows {n} chart titles above {bottom:?} but {shown} of their bottom edges: a chart is cut by a page break",
            xlsx.display()
        );
    }
    charts.len()
}

/// Money as shown: `$B`/`$M` figures, and no raw dollar amount (`-26,908,355,916`).
fn assert_money_in_units(pdf: &Pdf, sheet: &str) {
    let words: Vec<&Word> = pdf
        .words
        .iter()
        .filter(|w| pdf.sheets[w.page - 1] == sheet)
        .collect();
    let money = |w: &&&Word| {
        let t = w.text.trim_start_matches('-');
        t.starts_with('$') && (t.ends_with('B') || t.ends_with('M'))
    };
    assert!(
        words.iter().filter(money).count() >= 10,
        "{sheet}: no figures in $B or $M"
    );
    for w in &words {
        let digits = w.text.chars().filter(char::is_ascii_digit).count();
        assert!(
            !(digits >= 10 && w.text.contains(',')),
            "{sheet}: raw dollars {:?}",
            w.text
        );
    }
}

struct Books {
    run: PathBuf,
    sweep: PathBuf,
    compare: PathBuf,
    sensitivity: PathBuf,
}

/// The four result folders, written once with `--xlsx` (200 trials: the trials sheets
/// are longer than a printed data sheet).
fn books() -> &'static Books {
    static B: OnceLock<Books> = OnceLock::new();
    B.get_or_init(|| {
        let dir = |name: &str| temp_dir("workbook", name);
        let b = Books {
            run: dir("run"),
            sweep: dir("sweep"),
            compare: dir("compare"),
            sensitivity: dir("sensitivity"),
        };
        let premium = "scenarios/premium_5usd_2024.toml";
        let size = ["--households", "1000", "--seed", "7", "--quiet", "--xlsx"];
        let with = |args: &[&str]| ok(&[args, &size[..]].concat());
        with(&["run", premium, "--out", b.run.to_str().unwrap()]);
        with(&[
            "sweep",
            premium,
            "--vary",
            "premium.price_month=2:10:2",
            "--out",
            b.sweep.to_str().unwrap(),
        ]);
        with(&[
            "compare",
            "scenarios/status_quo_2022_2028.toml",
            premium,
            "--out",
            b.compare.to_str().unwrap(),
        ]);
        with(&[
            "sensitivity",
            premium,
            "--trials",
            "60",
            "--out",
            b.sensitivity.to_str().unwrap(),
        ]);
        b
    })
}

/// Converts a folder's workbook (into `<folder>/pdf`).
fn printed(folder: &Path) -> (PathBuf, Pdf) {
    let xlsx = folder.join("results.xlsx");
    let out = folder.join("pdf");
    std::fs::create_dir_all(&out).unwrap();
    let pdf = convert(&xlsx, &out);
    (xlsx, pdf)
}

/// Most pages of a data sheet: 200 rows and a repeated header at 31 rows a page, rounded.
const DATA_SHEET_PAGES: usize = 8;

fn assert_data_sheets(pdf: &Pdf, sheets: &[&str]) {
    let pages = pdf.pages_of();
    for s in sheets {
        let n = pages.get(s).copied().unwrap_or(0);
        assert!(
            (1..=DATA_SHEET_PAGES).contains(&n),
            "{s}: {n} pages ({pages:?})"
        );
    }
}

/// Every line of the verdict at the top of the charts sheet (the rows of the first column
/// below the title, up to the first empty one) is printed whole on the sheet's first page:
/// wrapped short enough that no part is cut off at the page's right edge.
fn assert_verdict_printed(xlsx: &Path, pdf: &Pdf) {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(xlsx).unwrap();
    let range = wb.worksheet_range("charts").unwrap();
    let lines: Vec<String> = (1..range.height())
        .map_while(|r| match range.get((r, 0)) {
            Some(Data::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert!(!lines.is_empty(), "no verdict on the charts sheet");
    let first = pdf.sheets.iter().position(|s| s == "charts").unwrap() + 1;
    for line in &lines {
        assert!(
            pdf.visible(line).contains(&first),
            "not printed whole on page {first}: {line}"
        );
    }
}

/// The charts sheet prints in at most `most` pages, one page wide: a sheet wider than
/// the page would print its right part on extra pages, cutting the charts across.
fn assert_charts_pages(pdf: &Pdf, most: usize) {
    let pages = pdf.pages_of();
    let n = pages.get("charts").copied().unwrap_or(0);
    assert!((1..=most).contains(&n), "charts: {n} pages ({pages:?})");
}

#[test]
fn a_run_prints_in_a_few_pages_with_whole_charts() {
    if !tools("a_run_prints_in_a_few_pages_with_whole_charts") {
        return;
    }
    let (xlsx, pdf) = printed(&books().run);
    // Charts: 3 pages; their 84-month table 3 more (31 rows a page at 100 %, more when
    // scaled); 4 data sheets at most 8 each. Before the print layout: 451 pages.
    assert!(
        pdf.pages.len() <= 6 + 4 * DATA_SHEET_PAGES,
        "{} pages",
        pdf.pages.len()
    );
    // A page per chart and at most 3 for the table: more would mean the sheet spills
    // to a second page across, cutting the charts.
    assert_charts_pages(&pdf, 6);
    assert_data_sheets(&pdf, &["summary", "monthly", "yearly", "trials"]);
    assert_eq!(assert_charts_on_one_page(&xlsx, &pdf), 3);
    assert_verdict_printed(&xlsx, &pdf);
    assert_money_in_units(&pdf, "summary");
    // The data sheets say what they leave out of print.
    assert!(!pdf.visible("Printed: the first 200 of").is_empty());
}

#[test]
fn a_sweep_prints_whole_charts_with_the_varied_key_and_its_unit() {
    if !tools("a_sweep_prints_whole_charts_with_the_varied_key_and_its_unit") {
        return;
    }
    let (xlsx, pdf) = printed(&books().sweep);
    assert!(
        pdf.pages.len() <= 4 + 3 * DATA_SHEET_PAGES,
        "{} pages",
        pdf.pages.len()
    );
    assert_data_sheets(&pdf, &["sweep", "sweep_best", "sweep_trials"]);
    // The verdict and the settings, then two charts (the verdict's rows leave too little
    // room below the settings for the first), then the 5-row table.
    assert_charts_pages(&pdf, 4);
    assert_verdict_printed(&xlsx, &pdf);
    assert_eq!(assert_charts_on_one_page(&xlsx, &pdf), 2);
    // The x axis: the key with its unit, ticks at the grid's values 2, 4, ..., 10.
    let axis = "premium.price_month ($/month)";
    assert_eq!(
        pdf.visible(axis).len(),
        2,
        "both charts name the varied key"
    );
    for (title, bottom) in charts(&xlsx) {
        assert_eq!(bottom, axis, "{title}");
    }
    let mut z = zip::ZipArchive::new(std::fs::File::open(&xlsx).unwrap()).unwrap();
    let mut xml = String::new();
    z.by_name("xl/charts/chart1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    for want in [
        "<c:min val=\"2\"/>",
        "<c:max val=\"10\"/>",
        "<c:majorUnit val=\"2\"/>",
    ] {
        assert!(xml.contains(want), "sweep x axis: no {want}");
    }
    let page = pdf.visible(axis)[0];
    for tick in ["2", "4", "6", "8", "10"] {
        assert!(
            pdf.words
                .iter()
                .any(|w| w.page == page && w.text == tick && pdf.drawn(w, 0.0, 1.0)),
            "no tick {tick} on the chart's page"
        );
    }
}

#[test]
fn a_comparison_prints_each_chart_whole() {
    if !tools("a_comparison_prints_each_chart_whole") {
        return;
    }
    let (xlsx, pdf) = printed(&books().compare);
    assert!(
        pdf.pages.len() <= 4 + DATA_SHEET_PAGES,
        "{} pages",
        pdf.pages.len()
    );
    assert_data_sheets(&pdf, &["compare"]);
    // The settings and the table, then the chart.
    assert_charts_pages(&pdf, 2);
    assert_eq!(assert_charts_on_one_page(&xlsx, &pdf), 1);
    assert_verdict_printed(&xlsx, &pdf);
    assert_money_in_units(&pdf, "compare");
}

#[test]
fn the_tornado_shows_whole_parameter_names() {
    if !tools("the_tornado_shows_whole_parameter_names") {
        return;
    }
    let (xlsx, pdf) = printed(&books().sensitivity);
    assert!(
        pdf.pages.len() <= 4 + DATA_SHEET_PAGES,
        "{} pages",
        pdf.pages.len()
    );
    // The settings and the table, the swing chart, then (given data, the default method)
    // the table of first-order indices and their bar chart: each chart on a page of its
    // own when it does not fit below what precedes it.
    assert_charts_pages(&pdf, 4);
    assert_eq!(assert_charts_on_one_page(&xlsx, &pdf), 2);
    // Every parameter name drawn on the chart's page (the chart's labels, and the table's
    // when it shares the page) is whole, and its first letters are drawn.
    let (title, _) = &charts(&xlsx)[0];
    let page = pdf.visible(title)[0];
    let mut r = csv::Reader::from_path(books().sensitivity.join("tornado.csv")).unwrap();
    let names: Vec<String> = r.records().map(|rec| rec.unwrap()[1].to_string()).collect();
    let mut labels = 0;
    for w in pdf
        .words
        .iter()
        .filter(|w| w.page == page && w.text.contains('.'))
    {
        let Some(name) = names.iter().find(|n| n.ends_with(w.text.as_str())) else {
            continue;
        };
        assert_eq!(&w.text, name, "a label cut to {:?}", w.text);
        assert!(
            pdf.drawn(w, 0.0, 0.15),
            "{name}: the label's first letters are clipped"
        );
        labels += 1;
    }
    assert!(
        labels >= names.len().min(downstream::export::TOP_PARAMETERS),
        "{labels} parameter names on the chart's page"
    );
}
