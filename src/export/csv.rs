//! CSV: RFC 4180 via the `csv` crate, `.` decimal, shortest round-trip numbers, empty
//! cells for undefined values, and text cells that a spreadsheet would run as a formula
//! neutralised with a leading `'` (OWASP CSV injection).

use crate::results::Results;
use crate::results::table::{Cell, Table, tables};

/// A text cell made safe for spreadsheets.
pub fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Undoes [`safe_text`]: a text cell that begins with `=`, `+`, `-`, `@`, tab or carriage
/// return was written with a leading `'`.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
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
        Cell::Text(s) | Cell::Value { text: s, .. } => safe_text(s),
        Cell::Number(x) => num(*x),
        Cell::Int(i) => i.to_string(),
        Cell::Month(m) => m.to_string(),
    }
}

/// The bytes of one table as CSV.
pub fn table(t: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(t.header.iter().map(|h| safe_text(h)))?;
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
        for s in ["+1", "-1", "@a", "\tx", "\rx"] {
            assert!(safe_text(s).starts_with('\''), "{s:?}");
            assert_eq!(unescape(&safe_text(s)), s);
        }
        assert_eq!(safe_text("units_echo_dot"), "units_echo_dot");
        assert_eq!(unescape("'quoted"), "'quoted");
    }

    #[test]
    fn numbers_are_plain_and_finite() {
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-2.0e9), "-2000000000");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(f64::INFINITY), "");
    }
}
