//! Dotted key paths (`device.echo_dot.price`) and their locations in a TOML source.
//!
//! Validation reports problems by path; this module turns a path back into the line and
//! column of the key or value in the file, using the span-preserving parser of the `toml`
//! crate, so that the domain layer never handles source text.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One step of a path: a table key, or an element of an array of tables (with its `name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize, Option<String>),
}

/// A path from the root of the scenario to a key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        KeyPath(v)
    }
    /// This path extended by an element of an array of tables.
    pub fn index(&self, i: usize, name: Option<&str>) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i, name.map(str::to_string)));
        KeyPath(v)
    }
    /// True if `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Index(_, Some(name)) => write!(f, ".{name}")?,
                Seg::Index(i, None) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Where a path points in the source: the span of its value, or, for a missing key, of the
/// nearest enclosing table that exists. `want_key` asks for the key's span instead of the value's.
pub fn locate(source: &str, path: &KeyPath, want_key: bool) -> Option<Range<usize>> {
    let root = DeTable::parse(source).ok()?;
    let mut best: Option<Range<usize>> = None;
    let mut table: Option<&DeTable> = Some(root.get_ref());
    let mut array: Option<&toml::de::DeArray> = None;
    for seg in &path.0 {
        match seg {
            Seg::Key(k) => {
                let t = table?;
                let (key, value) = t
                    .iter()
                    .find(|(key, _)| key.get_ref().as_ref() == k.as_str())?;
                best = Some(if want_key { key.span() } else { value.span() });
                match value.get_ref() {
                    DeValue::Table(t) => {
                        table = Some(t);
                        array = None;
                    }
                    DeValue::Array(a) => {
                        array = Some(a);
                        table = None;
                    }
                    _ => {
                        table = None;
                        array = None;
                    }
                }
            }
            Seg::Index(i, _) => {
                let a = array?;
                let item = a.get(*i)?;
                best = Some(item.span());
                table = match item.get_ref() {
                    DeValue::Table(t) => Some(t),
                    _ => None,
                };
                array = None;
            }
        }
    }
    best
}

/// Like [`locate`] but falls back to the longest prefix of the path that exists.
pub fn locate_nearest(source: &str, path: &KeyPath, want_key: bool) -> Option<Range<usize>> {
    let mut p = path.clone();
    loop {
        if let Some(span) = locate(source, &p, want_key) {
            return Some(span);
        }
        p.0.pop()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[a]\nx = 1\ny = { dist = \"beta\", alpha = 1, beta = 2 }\n\n[[dev]]\nname = \"one\"\nprice = 3\n\n[[dev]]\nname = \"two\"\nprice = 4\n";

    #[test]
    fn displays_named_array_elements() {
        let p = KeyPath::root()
            .key("dev")
            .index(1, Some("two"))
            .key("price");
        assert_eq!(p.to_string(), "dev.two.price");
        let p = KeyPath::root().key("dev").index(1, None);
        assert_eq!(p.to_string(), "dev[1]");
    }

    #[test]
    fn finds_values_and_keys() {
        let p = KeyPath::root().key("a").key("y");
        let span = locate(SRC, &p, false).unwrap();
        assert_eq!(line_col(SRC, span.start), (3, 5));
        let span = locate(SRC, &p, true).unwrap();
        assert_eq!(line_col(SRC, span.start), (3, 1));
        let p = KeyPath::root().key("dev").index(1, None).key("price");
        let span = locate(SRC, &p, false).unwrap();
        assert_eq!(line_col(SRC, span.start), (11, 9));
    }

    #[test]
    fn falls_back_to_enclosing_table() {
        let p = KeyPath::root().key("a").key("missing");
        assert!(locate(SRC, &p, false).is_none());
        let span = locate_nearest(SRC, &p, false).unwrap();
        assert_eq!(line_col(SRC, span.start).0, 1);
    }
}
