//! Numbers for people: the one place that decides how a figure is shown in a terminal
//! table, a message, the HTML report, the workbook's captions or, as Excel number formats
//! ([`Excel`]), the workbook's cells.
//!
//! Files meant for programs (CSV, JSON, TOML) keep full precision and are formatted by
//! their exporters ([`crate::export::csv::num`]); everything here rounds for reading.
//! Undefined values are `-` in terminal tables and `–` (en dash) on the HTML page.

use crate::engine::metrics::Unit;

/// Money in $B with two decimals (`-` when undefined).
pub fn billions(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}", x / 1e9)
    } else {
        "-".into()
    }
}

/// Counts in millions with one decimal (`-` when undefined).
pub fn millions(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}", x / 1e6)
    } else {
        "-".into()
    }
}

/// A value with fixed decimals for a terminal table (`-` when undefined).
pub fn places(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "-".into()
    }
}

/// A value in the unit people read it in, for a terminal table: $B with two decimals,
/// millions with one, months with one; `undefined` when not finite.
pub fn in_unit(x: f64, unit: Unit, undefined: &str) -> String {
    match unit {
        _ if !x.is_finite() => undefined.to_string(),
        Unit::Dollars => billions(x),
        Unit::Count => millions(x),
        Unit::Months => format!("{x:.1}"),
    }
}

/// A figure of any size with a k/M/B suffix and about three significant digits
/// (`-6.12B`, `24.2M`, `0.0234`).
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    let (v, unit) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else if v.abs() >= 1.0 || v == 0.0 {
        2
    } else {
        4
    };
    format!("{v:.digits$}{unit}")
}

/// A parameter value with four significant digits (`0.3123`, `12.50`, `4.200e9`).
pub fn significant(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1e6 || x.abs() < 1e-3 {
        format!("{x:.3e}")
    } else {
        let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    }
}

/// A number for a one-line message: 4 significant digits in scientific notation.
pub fn scientific(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4e}")
    } else {
        "undefined".into()
    }
}

/// Fixed decimals for the page, `–` when undefined, and no `-0`.
pub fn fixed(x: f64, decimals: usize) -> String {
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

/// A value in its display unit for the page: $B or millions with two decimals, months
/// whole.
pub fn fixed_in_unit(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Months => fixed(x, 0),
        _ => fixed(x * unit.scale(), 2),
    }
}

/// An amount for a sentence, with about two significant digits and its unit: `$1.5B`,
/// `-$22B`, `$480M`, `6.7M` (counts), `14 months`; `undefined` when not finite.
pub fn amount(x: f64, unit: Unit) -> String {
    if !x.is_finite() {
        return "undefined".into();
    }
    if unit == Unit::Months {
        return format!("{} months", fixed(x, 0));
    }
    let (number, suffix) = amount_parts(x.abs());
    let sign = if x < 0.0 && number.chars().any(|c| ('1'..='9').contains(&c)) {
        "-"
    } else {
        ""
    };
    let dollar = if unit == Unit::Dollars { "$" } else { "" };
    format!("{sign}{dollar}{number}{suffix}")
}

/// A range for a sentence: `$0.6–2.5B` when both ends share a sign and a suffix, else
/// `-$25B to -$19B`.
pub fn amount_range(lo: f64, hi: f64, unit: Unit) -> String {
    let (a, sa) = amount_parts(lo.abs());
    let (b, sb) = amount_parts(hi.abs());
    if unit != Unit::Months && lo >= 0.0 && hi >= 0.0 && sa == sb {
        let dollar = if unit == Unit::Dollars { "$" } else { "" };
        format!("{dollar}{a}–{b}{sb}")
    } else {
        format!("{} to {}", amount(lo, unit), amount(hi, unit))
    }
}

/// A non-negative amount as two significant digits (at least the units) and a suffix.
fn amount_parts(a: f64) -> (String, &'static str) {
    let (v, suffix) = if a >= 0.1e9 {
        (a / 1e9, "B")
    } else if a >= 0.1e6 {
        (a / 1e6, "M")
    } else if a >= 0.1e3 {
        (a / 1e3, "k")
    } else {
        (a, "")
    };
    let decimals = if v >= 10.0 {
        0
    } else if v >= 1.0 {
        1
    } else {
        2
    };
    (format!("{v:.decimals$}"), suffix)
}

/// A price as written: no decimals when whole, else two.
pub fn price(x: f64) -> String {
    if x.fract() == 0.0 {
        fixed(x, 0)
    } else {
        fixed(x, 2)
    }
}

/// A share as a whole percentage (`–` when undefined).
pub fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", x * 100.0)
    } else {
        "–".into()
    }
}

/// A parameter value for the page: thousands separators from 10,000 up, else four
/// significant digits without trailing zeros.
pub fn grouped(x: f64) -> String {
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
    let s = fixed(x, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// How a number is shown in the workbook: an Excel number format code. The cell keeps the
/// full value in the file's unit (dollars, counts), so formulas and pivot tables work on
/// it; the format only changes what is displayed (a trailing `,` divides the shown value
/// by 1,000: `-26908355916` shows as `-$26.91B`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Excel {
    /// Dollars shown in $B with two decimals.
    Billions,
    /// Dollars shown in $M with one decimal (figures under $1B).
    Millions,
    /// A count shown in millions with one decimal.
    CountMillions,
    /// A count with thousands separators.
    Count,
    /// Months (a breakeven month, a mean of them) with one decimal.
    Months,
    /// A share of trials as a percentage with one decimal.
    Share,
    /// A correlation in [-1, 1], signed, two decimals.
    Correlation,
    /// A variance share (first-order index) with three decimals.
    Index,
    /// Any other number: thousands separators and up to four decimals.
    Plain,
}

impl Excel {
    /// Every format, in declaration order (`e as usize` is its index).
    pub const ALL: [Excel; 9] = [
        Excel::Billions,
        Excel::Millions,
        Excel::CountMillions,
        Excel::Count,
        Excel::Months,
        Excel::Share,
        Excel::Correlation,
        Excel::Index,
        Excel::Plain,
    ];

    /// The Excel number format code (also understood by LibreOffice and Google Sheets).
    pub fn code(self) -> &'static str {
        match self {
            Excel::Billions => "\"$\"#,##0.00,,,\"B\"",
            Excel::Millions => "\"$\"#,##0.0,,\"M\"",
            Excel::CountMillions => "#,##0.0,,\"M\"",
            Excel::Count => "#,##0",
            Excel::Months => "0.0",
            Excel::Share => "0.0%",
            Excel::Correlation => "+0.00;-0.00;0.00",
            Excel::Index => "0.000",
            Excel::Plain => "#,##0.####",
        }
    }

    /// How values of a metric's unit are shown, given the largest magnitude among them:
    /// dollars in $B, or in $M when every one is under $1B; counts in millions from
    /// 1 million up, else whole; months with one decimal.
    pub fn for_unit(unit: Unit, largest: f64) -> Excel {
        match unit {
            Unit::Dollars if largest < 1e9 => Excel::Millions,
            Unit::Dollars => Excel::Billions,
            Unit::Count if largest < 1e6 => Excel::Count,
            Unit::Count => Excel::CountMillions,
            Unit::Months => Excel::Months,
        }
    }

    /// The unit a reader sees in a cell of this format, for a header or a note.
    pub fn unit_label(self) -> &'static str {
        match self {
            Excel::Billions => "$B",
            Excel::Millions => "$M",
            Excel::CountMillions => "M",
            Excel::Months => "months",
            Excel::Share => "%",
            _ => "",
        }
    }
}

/// Whether `c` is invisible or changes how text around it is shown: control characters
/// (C0, DEL, C1), zero-width characters, the byte-order mark and bidirectional
/// controls. Names may not contain them; messages and tables show them [`escape`]d.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                     // soft hyphen
            | '\u{061C}'                   // Arabic letter mark
            | '\u{180E}'                   // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'     // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}'     // line/paragraph separators, bidi embeddings
            | '\u{2060}'..='\u{2064}'     // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}'     // bidi isolates, deprecated format characters
            | '\u{FEFF}'                   // byte-order mark / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}'     // interlinear annotation
        )
}

/// `text` safe to print: every [`is_hidden`] character is written as `\u{XXXX}`, so a
/// message or table never moves the cursor, reorders text, or hides a difference between
/// two names.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A path for a message or table, [`escape`]d.
pub fn path(p: &std::path::Path) -> String {
    escape(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_sentences() {
        assert_eq!(amount(1.48e9, Unit::Dollars), "$1.5B");
        assert_eq!(amount(-21.8e9, Unit::Dollars), "-$22B");
        assert_eq!(amount(4.8e8, Unit::Dollars), "$0.48B");
        assert_eq!(amount(6.2e7, Unit::Dollars), "$62M");
        assert_eq!(amount(6.7e6, Unit::Count), "6.7M");
        assert_eq!(amount(-1.0, Unit::Dollars), "-$1.0");
        assert_eq!(amount(-0.001, Unit::Dollars), "$0.00");
        assert_eq!(amount(14.2, Unit::Months), "14 months");
        assert_eq!(amount_range(0.63e9, 2.5e9, Unit::Dollars), "$0.63–2.5B");
        assert_eq!(
            amount_range(-24.6e9, -19.0e9, Unit::Dollars),
            "-$25B to -$19B"
        );
    }

    #[test]
    fn human_units() {
        assert_eq!(human(-6.12e9), "-6.12B");
        assert_eq!(human(24.2e6), "24.2M");
        assert_eq!(human(0.0234), "0.0234");
        assert_eq!(human(f64::NAN), "-");
    }

    #[test]
    fn values_have_four_significant_digits() {
        assert_eq!(significant(0.31234), "0.3123");
        assert_eq!(significant(12.5), "12.50");
        assert_eq!(significant(4.2e9), "4.200e9");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(2.5e-4), "2.500e-4");
    }

    #[test]
    fn page_numbers() {
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(f64::NAN, 2), "–");
        assert_eq!(price(5.0), "5");
        assert_eq!(price(7.5), "7.50");
        assert_eq!(percent(0.256), "26%");
        assert_eq!(grouped(1234567.0), "1,234,567");
        assert_eq!(grouped(0.12340), "0.1234");
        assert_eq!(fixed_in_unit(2.5e9, Unit::Dollars), "2.50");
        assert_eq!(billions(f64::NAN), "-");
        assert_eq!(millions(2.56e6), "2.6");
    }

    #[test]
    fn workbook_formats_follow_the_unit_and_the_size() {
        assert_eq!(Excel::for_unit(Unit::Dollars, 2.7e10), Excel::Billions);
        assert_eq!(Excel::for_unit(Unit::Dollars, 4.4e8), Excel::Millions);
        assert_eq!(Excel::for_unit(Unit::Count, 5.1e7), Excel::CountMillions);
        assert_eq!(Excel::for_unit(Unit::Count, 2000.0), Excel::Count);
        assert_eq!(Excel::for_unit(Unit::Months, 1e9), Excel::Months);
        // Three trailing commas divide by 1e9: $B; two: $M.
        assert!(Excel::Billions.code().ends_with(",,,\"B\""));
        assert!(Excel::Millions.code().ends_with(",,\"M\""));
        assert_eq!(Excel::Billions.unit_label(), "$B");
        for (i, e) in Excel::ALL.into_iter().enumerate() {
            assert_eq!(e as usize, i);
        }
    }

    #[test]
    fn hidden_characters_are_escaped() {
        assert_eq!(escape("device"), "device");
        assert_eq!(escape("a\u{200B}b"), "a\\u{200B}b");
        assert_eq!(
            escape("\u{FEFF}x\u{202E}y\n\x1b[31m"),
            "\\u{FEFF}x\\u{202E}y\\u{000A}\\u{001B}[31m"
        );
        assert!(!is_hidden('é') && !is_hidden(' ') && is_hidden('\t'));
    }
}
