//! CSV: RFC 4180 via the `csv` crate, `.` decimal, shortest round-trip numbers, empty
//! cells for undefined values, and text cells that a spreadsheet would run as a formula
//! neutralised with a leading `'` (OWASP CSV injection), reversibly ([`safe_text`]).

use std::borrow::Cow;

use crate::results::Results;
use crate::results::table::{Cell, Table, tables};

/// The first characters that make a spreadsheet read a cell as a formula (OWASP).
const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether text, after any leading apostrophes, begins with a formula character.
fn quoted(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(FORMULA)
}

/// A text cell made safe for spreadsheets: text that begins with `=`, `+`, `-`, `@`, tab
/// or carriage return gets a leading `'`, and so does text that already begins with
/// apostrophes followed by one of those, so that two different texts never give the same
/// cell (`-a` is written `'-a`, `'-a` is written `''-a`; `'a` and `a` stay as they are).
/// [`unescape`] undoes it exactly.
pub fn safe_text(s: &str) -> Cow<'_, str> {
    if quoted(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Undoes [`safe_text`]: a cell that begins, after its apostrophes, with a formula
/// character was written with one more leading `'`.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if quoted(cell) => rest,
        _ => cell,
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

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => safe_text(s).into_owned(),
        Cell::Number(x) => num(*x),
        Cell::Int(i) => i.to_string(),
        Cell::Month(m) => m.to_string(),
    }
}

/// The bytes of one table as CSV.
pub fn table(t: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(t.header.iter().map(|h| safe_text(h).into_owned()))?;
    for row in &t.rows {
        w.write_record(row.iter().map(cell))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Every CSV file of a result: (file name, bytes).
pub fn files(results: &Results) -> Result<Vec<(String, Vec<u8>)>, csv::Error> {
    tables(results)
        .iter()
        .map(|n| Ok((n.file.to_string(), table(&n.table)?)))
        .collect()
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
        for s in ["+1", "-1", "@a", "\tx", "\rx", "'-a", "''=b"] {
            assert!(safe_text(s).starts_with('\''), "{s:?}");
            assert_eq!(unescape(&safe_text(s)), s);
        }
        for s in ["units_echo_dot", "'quoted", "'", "", "a-b"] {
            assert_eq!(safe_text(s), s);
            assert_eq!(unescape(s), s);
        }
        // Distinct texts stay distinct.
        assert_eq!(safe_text("-a.toml"), "'-a.toml");
        assert_eq!(safe_text("'-a.toml"), "''-a.toml");
    }

    #[test]
    fn numbers_are_plain_and_finite() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-2.0e9), "-2000000000");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(f64::INFINITY), "");
    }
}
