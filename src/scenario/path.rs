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

/// Checks a dotted key given on the command line (`--set`, `--vary`): segments that are
/// not empty, and no character that would hide a difference or garble a message. `Err`
/// says what was expected.
pub fn check_key(key: &str) -> Result<(), String> {
    if let Some(why) = super::check::hidden_text("a dotted key", key) {
        return Err(why);
    }
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err("expected a dotted key such as premium.price_month before `=`".into());
    }
    Ok(())
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

/// The dotted key being written at a byte offset of a source that may not parse (a TOML
/// syntax error): the table header in effect (`[adoption]`; an element of `[[device]]` by
/// its `name` when written above, else by its index), the key on the offset's line, and the
/// keys of inline tables open at the offset (`imitation.min` in
/// `imitation = { dist = "pert", min = x }`). `None` on a header line, or a line with no key
/// before the offset. A reading of the text line by line, for messages only.
pub fn key_at(source: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(source, offset);
    let line_start = source[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |p| offset + p);
    let line = &source[line_start..line_end];
    let col = offset - line_start;
    if line.trim_start().starts_with('[') {
        return None;
    }
    // At or before the line's key (a duplicate key is located at its start): that key.
    let on_line = keys_before(line, col)
        .or_else(|| keys_before(line, line.find('=').map_or(line.len(), |eq| eq + 1)))?;
    let mut path = table_in_effect(&source[..line_start]);
    for key in on_line {
        path = path.key(&key);
    }
    Some(path.to_string())
}

/// The largest char boundary at or below `offset`.
fn floor_char_boundary(s: &str, offset: usize) -> usize {
    let mut at = offset.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The table the lines of `before` leave in effect: the last `[table]` or `[[array]]`
/// header, an array element named by its `name` line when it has one above.
fn table_in_effect(before: &str) -> KeyPath {
    let mut path = KeyPath::root();
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut in_array = false;
    for line in before.lines() {
        let t = line.trim();
        if let Some(inner) = t.strip_prefix("[[") {
            let name = inner.split("]]").next().unwrap_or_default();
            let segs = split_key(name);
            let i = match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((name.to_string(), 0));
                    0
                }
            };
            path = KeyPath::root();
            for seg in segs {
                path = path.key(&seg);
            }
            path = path.index(i, None);
            in_array = true;
        } else if let Some(inner) = t.strip_prefix('[') {
            path = KeyPath::root();
            for seg in split_key(inner.split(']').next().unwrap_or_default()) {
                path = path.key(&seg);
            }
            in_array = false;
        } else if in_array
            && let Some(Seg::Index(i, None)) = path.0.last().cloned()
            && let Ok(line) = toml::from_str::<toml::Table>(t)
            && let Some(name) = line.get("name").and_then(|v| v.as_str())
        {
            path.0.pop();
            path = path.index(i, Some(name));
        }
    }
    path
}

/// The keys written on one line before byte `col`: the line's key, then the key of each
/// inline table still open at `col`. `None` if no key comes before `col`.
fn keys_before(line: &str, col: usize) -> Option<Vec<String>> {
    // Each open inline table: its key so far (empty until written); arrays have none.
    let mut frames: Vec<Option<String>> = vec![Some(String::new())];
    let mut token = String::new();
    let mut chars = line[..floor_char_boundary(line, col)].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                // A quoted key or a string value, with basic-string escapes.
                let mut quoted = String::new();
                while let Some(d) = chars.next() {
                    if d == c {
                        break;
                    }
                    if d == '\\' && c == '"' {
                        if let Some(e) = chars.next() {
                            quoted.push(e);
                        }
                        continue;
                    }
                    quoted.push(d);
                }
                token.push_str(&quoted);
            }
            '=' => {
                if let Some(Some(key)) = frames.last_mut()
                    && key.is_empty()
                {
                    *key = std::mem::take(&mut token);
                }
                token.clear();
            }
            '{' => {
                frames.push(Some(String::new()));
                token.clear();
            }
            '[' => {
                frames.push(None);
                token.clear();
            }
            '}' | ']' if frames.len() > 1 => {
                frames.pop();
                token.clear();
            }
            ',' => {
                let inline = frames.len() > 1;
                if let Some(Some(key)) = frames.last_mut()
                    && inline
                {
                    key.clear();
                }
                token.clear();
            }
            '#' => break,
            c if c.is_whitespace() && token.is_empty() => {}
            c => token.push(c),
        }
    }
    // A key being written before `=` (e.g. `months thirty`, where `=` is missing).
    if let Some(Some(key)) = frames.last_mut()
        && key.is_empty()
    {
        *key = token
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
    }
    let keys: Vec<String> = frames
        .into_iter()
        .flatten()
        .filter(|k| !k.trim().is_empty())
        .flat_map(|k| split_key(&k))
        .collect();
    (!keys.is_empty()).then_some(keys)
}

/// The segments of a dotted key as written (`a."b.c"` → `a`, `b.c`).
fn split_key(key: &str) -> Vec<String> {
    let mut segs = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in key.trim().chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('.', None) => segs.push(String::new()),
            (c, None) if c.is_whitespace() => {}
            (c, _) => segs.last_mut().expect("one segment").push(c),
        }
    }
    segs.retain(|s| !s.is_empty());
    segs
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
    fn names_the_key_being_written_in_text_that_does_not_parse() {
        let src = "[a]\nx = oops\ny = { dist = \"pert\", min = bad }\n\n[[dev]]\nname = \"one\"\nprice = 3\n\n[[dev]]\nprice = [1, zz]\n[b\n";
        let at = |needle: &str| key_at(src, src.find(needle).unwrap());
        assert_eq!(at("oops").as_deref(), Some("a.x"));
        assert_eq!(at("bad").as_deref(), Some("a.y.min"));
        assert_eq!(at("price = 3").as_deref(), Some("dev.one.price"));
        assert_eq!(at("zz").as_deref(), Some("dev[1].price"));
        assert_eq!(at("[b").as_deref(), None, "a header line has no key");
    }

    #[test]
    fn falls_back_to_enclosing_table() {
        let p = KeyPath::root().key("a").key("missing");
        assert!(locate(SRC, &p, false).is_none());
        let span = locate_nearest(SRC, &p, false).unwrap();
        assert_eq!(line_col(SRC, span.start).0, 1);
    }
}
