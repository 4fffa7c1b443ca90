//! Scenario errors that a person can act on: file, line, column, dotted key, the value and
//! what was expected.
//!
//! Deserialisation errors come from serde (via `serde_path_to_error`, which knows the key)
//! and the `toml` crate (which knows the span); validation [`Issue`]s are located here by
//! looking their key up in the source. Messages are rewritten into one house style:
//! `FILE:LINE:COL: KEY = VALUE: expected ...`.

use std::fmt;
use std::path::Path;

use crate::format::escape;

use super::Issue;
use super::overrides::Override;
use super::path::{self, KeyPath, Seg};
use super::raw::RawScenario;

/// One located problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, or `--set KEY=VALUE` for a command-line override.
    pub origin: String,
    /// 1-based line and column, where known.
    pub position: Option<(usize, usize)>,
    /// Dotted key, where known.
    pub key: Option<String>,
    /// The offending value as written, where there is one.
    pub value: Option<String>,
    pub message: String,
    /// The line of the file at `position`, shown under the message with a caret under the
    /// column (for a TOML syntax error, whose key and value cannot be read).
    pub source_line: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every part may hold text from the input: shown escaped, never sent raw to the
        // terminal.
        write!(f, "{}", escape(&self.origin))?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        f.write_str(": ")?;
        // Keep a message on one screen whatever the input: long keys and values are cut.
        let key = self.key.as_deref().map(shorten);
        let value = self.value.as_deref().map(shorten);
        match (key, value) {
            (Some(k), Some(v)) => write!(f, "{k} = {v}: ")?,
            (Some(k), None) => write!(f, "{k}: ")?,
            (None, Some(v)) => write!(f, "{v}: ")?,
            (None, None) => {}
        }
        f.write_str(&shorten_to(&self.message, 600))?;
        if let (Some(text), Some((line, col))) = (&self.source_line, self.position) {
            write_excerpt(f, text, line, col)?;
        }
        Ok(())
    }
}

/// Characters of a long line shown on either side of the column.
const EXCERPT_SIDE: usize = 60;

/// Two more lines: the source line (escaped, tabs as spaces, and cut around the column when
/// long) after its number, and a caret under the column.
///
/// ```text
///   5 | months = thirty
///     |          ^
/// ```
fn write_excerpt(f: &mut fmt::Formatter<'_>, text: &str, line: usize, col: usize) -> fmt::Result {
    // A tab (indentation) is shown as one space, so that the caret stays under its column.
    let chars: Vec<char> = text
        .trim_end_matches(['\r', '\n'])
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let at = col.saturating_sub(1).min(chars.len());
    let from = at.saturating_sub(EXCERPT_SIDE);
    let to = (at + EXCERPT_SIDE).min(chars.len());
    let cut_before = if from > 0 { "..." } else { "" };
    let cut_after = if to < chars.len() { "..." } else { "" };
    let before: String = chars[from..at].iter().collect();
    let after: String = chars[at..to].iter().collect();
    let before = format!("{cut_before}{}", escape(&before));
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    write!(
        f,
        "\n  {number} | {before}{}{cut_after}\n  {gutter} | {}^",
        escape(&after),
        " ".repeat(before.chars().count())
    )
}

fn shorten(s: &str) -> String {
    shorten_to(s, 120)
}

/// `s` cut to at most `max` characters, marking the cut, with invisible characters escaped.
fn shorten_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        escape(s).into_owned()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{}... ({} characters)", escape(&head), s.chars().count())
    }
}

/// Every problem found in one scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        ScenarioError { diagnostics }
    }
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

fn plain(origin: &str, message: String) -> ScenarioError {
    ScenarioError::new(vec![Diagnostic {
        origin: origin.to_string(),
        position: None,
        key: None,
        value: None,
        message,
        source_line: None,
    }])
}

/// Largest scenario (or targets) file read: far above any real scenario, small enough that
/// parsing stays quick and bounded in memory.
pub const MAX_FILE_BYTES: u64 = 10_000_000;

/// Reads a scenario file as UTF-8 text, with clear errors for directories, missing files
/// and invalid bytes. Only a regular file (or a link to one) is read, and never more than
/// [`MAX_FILE_BYTES`]: a device such as `/dev/zero` would never end, and a FIFO would
/// block until someone writes to it.
pub fn read_source(file: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let origin = file.display().to_string();
    let cannot_read = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        plain(&origin, format!("cannot read the scenario: {why}"))
    };
    let too_large = |len: u64| {
        plain(
            &origin,
            format!(
                "the file is {:.1} MB; a scenario file is at most {} MB",
                len as f64 / 1e6,
                MAX_FILE_BYTES / 1_000_000
            ),
        )
    };
    // `metadata` follows links and never opens the file, so it cannot block on a FIFO.
    let meta = std::fs::metadata(file).map_err(cannot_read)?;
    if meta.is_dir() {
        return Err(plain(
            &origin,
            "is a directory; expected a scenario TOML file".into(),
        ));
    }
    if !meta.is_file() {
        return Err(plain(
            &origin,
            "is not a regular file (a device, FIFO or socket); expected a scenario TOML file"
                .into(),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    // The file may have grown since: read one byte past the limit at most.
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let valid = std::str::from_utf8(&bytes[..bad]).unwrap_or_default();
            let (line, col) = path::line_col(valid, valid.len());
            Err(ScenarioError::new(vec![Diagnostic {
                origin,
                position: Some((line, col)),
                key: None,
                value: Some(format!("byte 0x{:02x}", bytes[bad])),
                message: "the file is not valid UTF-8 text".into(),
                source_line: None,
            }]))
        }
    }
}

/// Deserialises the raw scenario, turning the first serde/TOML error into a diagnostic.
pub(super) fn deserialize(origin: &str, text: &str) -> Result<RawScenario, ScenarioError> {
    deserialize_file(
        origin,
        text,
        "a scenario with [scenario], [market], [adoption], [[device]], [usage], [intents] and [costs]",
    )
}

/// Deserialises any of the tool's TOML files (scenarios, backtest targets) with the same
/// located, rewritten messages. `expected` describes a whole file, for an empty one.
pub(crate) fn deserialize_file<T: serde::de::DeserializeOwned>(
    origin: &str,
    text: &str,
    expected: &str,
) -> Result<T, ScenarioError> {
    let no_settings = toml::from_str::<toml::Table>(text).is_ok_and(|t| t.is_empty());
    if text.trim().is_empty() || no_settings {
        return Err(plain(
            origin,
            format!("the file has no settings; expected {expected}"),
        ));
    }
    let de = toml::Deserializer::parse(text).map_err(|e| {
        ScenarioError::new(vec![syntax_error(
            origin,
            text,
            e.span().map(|s| s.start),
            e.message(),
        )])
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key_path = convert_path(e.path(), |element| element_name(text, element));
        let inner = e.inner();
        let position = inner.span().map(|s| path::line_col(text, s.start));
        let mut d = serde_diagnostic(origin, position, key_path, inner.message());
        // Show a wrongly typed value as written in the file.
        if d.value.is_some()
            && let Some(snippet) = inner.span().and_then(|s| text.get(s))
            && !snippet.contains('\n')
            && !snippet.trim().is_empty()
        {
            d.value = Some(snippet.trim().to_string());
        }
        ScenarioError::new(vec![d])
    })
}

/// A TOML syntax error at byte `offset`: located, with the key being written there (when
/// the line has one) and the line itself with a caret under the column. A bare word where
/// a value belongs (`months = thirty`) is said plainly instead of the parser's guess
/// ("invalid boolean").
fn syntax_error(origin: &str, text: &str, offset: Option<usize>, message: &str) -> Diagnostic {
    let mut message = message.trim().to_string();
    let Some(offset) = offset.map(|o| o.min(text.len())) else {
        return Diagnostic {
            origin: origin.to_string(),
            position: None,
            key: None,
            value: None,
            message: format!("invalid TOML: {message}"),
            source_line: None,
        };
    };
    let (line, col) = path::line_col(text, offset);
    let line_text = text.lines().nth(line - 1).unwrap_or_default();
    let rest = text.get(offset..).unwrap_or_default();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
        .collect();
    let before = text.get(..offset).unwrap_or_default();
    let after_equals = before
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim_end().ends_with('='));
    let line_rest = rest.split('\n').next().unwrap_or_default().trim();
    if after_equals && (line_rest.is_empty() || line_rest.starts_with('#')) {
        message = "expected a value after `=`".into();
    } else if after_equals && word.starts_with(|c: char| c.is_alphabetic()) {
        message = format!(
            "expected a value, found `{word}` (text must be in quotes: \"{word}\"; numbers, true and false are written without)"
        );
    }
    Diagnostic {
        origin: origin.to_string(),
        position: Some((line, col)),
        key: path::key_at(text, offset),
        value: None,
        message: format!("invalid TOML: {message}"),
        source_line: Some(line_text.to_string()),
    }
}

/// Deserialises an overridden raw scenario from a TOML value.
pub(super) fn deserialize_value(
    value: toml::Value,
    what: &str,
) -> Result<RawScenario, Box<Diagnostic>> {
    let names = value.clone();
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key_path = convert_path(e.path(), |element| value_element_name(&names, element));
        Box::new(serde_diagnostic(what, None, key_path, e.inner().message()))
    })
}

/// serde's path (`device[0].price`) as our key path, naming array elements by their `name`.
fn convert_path(
    p: &serde_path_to_error::Path,
    name_of: impl Fn(&KeyPath) -> Option<String>,
) -> KeyPath {
    let mut out = KeyPath::root();
    for seg in p.iter() {
        match seg {
            serde_path_to_error::Segment::Map { key } => out = out.key(key),
            serde_path_to_error::Segment::Seq { index } => {
                let name = name_of(&out.index(*index, None));
                out = out.index(*index, name.as_deref());
            }
            _ => {}
        }
    }
    out
}

/// The `name` of an element of an array of tables, read from a TOML value.
fn value_element_name(value: &toml::Value, element: &KeyPath) -> Option<String> {
    let mut at = value;
    for seg in &element.0 {
        at = match seg {
            Seg::Key(k) => at.get(k.as_str())?,
            Seg::Index(i, _) => at.get(*i)?,
        };
    }
    at.get("name")?.as_str().map(str::to_string)
}

/// A path as a dotted key with every element of an array of tables named by its `name` in
/// the source (`device[0].name` → `device.dot.name`).
fn named_in_file(text: &str, path: &KeyPath) -> String {
    let mut named = KeyPath::root();
    for seg in &path.0 {
        named = match seg {
            Seg::Key(k) => named.key(k),
            Seg::Index(i, _) => {
                let name = element_name(text, &named.index(*i, None));
                named.index(*i, name.as_deref())
            }
        };
    }
    named.to_string()
}

/// The `name` of an element of an array of tables, read from the source.
fn element_name(text: &str, element: &KeyPath) -> Option<String> {
    let span = path::locate(text, &element.key("name"), false)?;
    let snippet = text.get(span)?;
    let v: toml::Table = toml::from_str(&format!("v = {snippet}")).ok()?;
    v.get("v")?.as_str().map(str::to_string)
}

fn serde_diagnostic(
    origin: &str,
    mut position: Option<(usize, usize)>,
    mut key_path: KeyPath,
    message: &str,
) -> Diagnostic {
    // serde names an unknown section as the path itself; a missing one has an empty path.
    let top_level = match key_path.0.as_slice() {
        [] => true,
        [Seg::Key(k)] => message.starts_with(&format!("unknown field `{k}`")),
        _ => false,
    };
    let r = rewrite(message, Context::Key { top_level });
    if let Some(field) = r.field {
        if key_path.0.last() != Some(&Seg::Key(field.clone())) {
            key_path = key_path.key(&field);
        }
        if top_level && r.missing {
            // A missing section has no place in the file to point at, and the message names it.
            position = None;
            key_path = KeyPath::root();
        }
    }
    let key = (!key_path.0.is_empty()).then(|| key_path.to_string());
    Diagnostic {
        origin: origin.to_string(),
        position,
        key,
        value: r.value,
        message: r.text,
        source_line: None,
    }
}

/// Where a serde message arose.
#[derive(Clone, Copy)]
pub(crate) enum Context {
    /// A key of the scenario (`top_level`: a section of the file).
    Key { top_level: bool },
    /// A parameter inside an uncertain value `{ dist = ... }`.
    Dist,
}

/// A serde message in the house style.
pub(crate) struct Rewritten {
    /// The key the message is about, when serde names it (unknown or missing field).
    pub field: Option<String>,
    pub missing: bool,
    pub value: Option<String>,
    pub text: String,
}

/// Rewrites serde's standard messages ("unknown field", "missing field", "invalid type",
/// "unknown variant") into what a strategist can act on.
pub(crate) fn rewrite(message: &str, context: Context) -> Rewritten {
    let message = message.trim();
    let thing = match context {
        Context::Key { top_level: true } => "section",
        Context::Key { top_level: false } => "key",
        Context::Dist => "parameter",
    };
    let quoted = |list: &str| -> Vec<String> {
        list.split(", ")
            .flat_map(|s| s.split(" or "))
            .map(|s| s.trim().trim_matches('`').to_string())
            .filter(|s| !s.is_empty() && s != "run")
            .collect()
    };
    let mut out = Rewritten {
        field: None,
        missing: false,
        value: None,
        text: message.to_string(),
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ");
        let options = if expected.starts_with("nothing") {
            vec![]
        } else {
            quoted(expected)
        };
        let refs: Vec<&str> = options.iter().map(String::as_str).collect();
        out.text = match context {
            Context::Dist => format!("unknown {thing} `{field}`; expected {}", refs.join(", ")),
            _ => format!("unknown {thing}; expected one of: {}", refs.join(", ")),
        };
        if let Some(best) = nearest(field, &refs) {
            out.text.push_str(&format!(" (did you mean `{best}`?)"));
        }
        if !matches!(context, Context::Dist) {
            out.field = Some(field.to_string());
        }
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        out.missing = true;
        match context {
            Context::Dist => out.text = format!("missing {thing} `{field}`"),
            Context::Key { top_level } => {
                out.field = Some(field.to_string());
                out.text = if top_level {
                    format!("missing required section [{field}]")
                } else {
                    format!("missing required {thing}")
                };
            }
        }
    } else if message.contains("as i128") || message.contains("out of range") {
        out.text =
            "number too large; expected a value within the limits of docs/scenario-format.md"
                .into();
    } else if message.ends_with("expected variant identifier") {
        out.text = "`dist` must be a distribution name in quotes, e.g. dist = \"pert\"".into();
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let found = found.trim();
        out.value = Some(describe_found(found));
        out.text = if found == "map" && expected == "f64" {
            "wrong type; expected a plain number (this key cannot be an uncertain value or a table)"
                .into()
        } else {
            format!("wrong type; expected {}", friendly_type(expected))
        };
        if matches!(context, Context::Dist) {
            out.text = format!("a distribution {thing} has the {}", out.text);
        }
    } else if let Some(rest) = message.strip_prefix("invalid length ")
        && matches!(context, Context::Dist)
    {
        // The only fixed-length array of a distribution: a metalog's [probability, value].
        let got = rest.split(',').next().unwrap_or(rest);
        out.text = format!(
            "each entry of `quantiles` must be a [probability, value] pair, got one of {got} numbers"
        );
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (variant, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let options = quoted(expected.trim_start_matches(", expected one of "));
        let refs: Vec<&str> = options.iter().map(String::as_str).collect();
        out.text = format!(
            "unknown distribution {}; expected one of: {}",
            super::check::quote(variant),
            refs.join(", ")
        );
        if let Some(best) = nearest(variant, &refs) {
            out.text.push_str(&format!(" (did you mean `{best}`?)"));
        }
    }
    out
}

/// serde's description of a found value, as the user wrote it.
fn describe_found(found: &str) -> String {
    let unwrap = |s: &str| s.trim_matches('`').to_string();
    if found == "map" {
        "a table".into()
    } else if found == "sequence" {
        "an array".into()
    } else if let Some(v) = found.strip_prefix("integer ") {
        unwrap(v)
    } else if let Some(v) = found.strip_prefix("floating point ") {
        unwrap(v)
    } else if let Some(v) = found.strip_prefix("boolean ") {
        unwrap(v)
    } else if let Some(v) = found.strip_prefix("string ") {
        v.to_string()
    } else {
        found.to_string()
    }
}

fn friendly_type(serde_expected: &str) -> String {
    match serde_expected {
        "f64" | "a number" => "a number".into(),
        "i64" | "u64" | "i128" => "a whole number".into(),
        "a string" | "string" => "a string in quotes".into(),
        "a boolean" | "bool" => "true or false".into(),
        other if other.starts_with("struct Raw") => "a table of keys".into(),
        other if other.starts_with("a sequence") || other.starts_with("a vec") => {
            "an array of tables".into()
        }
        other => other.to_string(),
    }
}

/// The closest valid key to a misspelt one, if it is close enough to be a likely typo.
pub(crate) fn nearest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    // Also compare with each option's start, so `prise` suggests `price_month`.
    let distance = |o: &str| {
        let whole = strsim::damerau_levenshtein(word, o);
        let head: String = o.chars().take(word.chars().count()).collect();
        let prefix = if head.len() < o.len() {
            strsim::damerau_levenshtein(word, &head) + 1
        } else {
            whole
        };
        whole.min(prefix)
    };
    let n = word.chars().count();
    options
        .iter()
        .map(|o| (distance(o), *o))
        .filter(|(d, o)| *d <= (n.max(o.chars().count()) / 3).max(1) && *d < n)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

/// Places an issue of a file without overrides (e.g. a backtest targets file).
pub(crate) fn place_in_file(origin: &str, text: &str, issue: Issue) -> Diagnostic {
    place(origin, text, &[], issue)
}

/// Places a validation issue: an override's location if the key was set on the command
/// line, else the line and column in the file.
pub(super) fn place(origin: &str, text: &str, overrides: &[Override], issue: Issue) -> Diagnostic {
    let key = issue.path.to_string();
    // The key as `--set` addresses it: elements of arrays of tables by their names in the
    // file (a `--set device.dot.name=...` that renamed the element still covers it).
    let set_key = named_in_file(text, &issue.path);
    // An override of this key, or of a key inside it (e.g. one intent share of a sum).
    let inside = |o: &Override, key: &str| {
        o.key().starts_with(key) && o.key().as_bytes().get(key.len()) == Some(&b'.')
    };
    for key in [&key, &set_key] {
        if let Some(o) = overrides
            .iter()
            .rev()
            .find(|o| o.covers(key) || inside(o, key))
        {
            return Diagnostic {
                origin: o.origin(),
                position: None,
                key: Some(key.clone()),
                value: issue.value,
                message: issue.message,
                source_line: None,
            };
        }
    }
    let span = path::locate_nearest(text, &issue.path, issue.at_key);
    // Show a value as it is written in the file, when it is one short line there.
    let written = issue
        .value
        .as_ref()
        .filter(|_| !issue.at_key)
        .and_then(|_| {
            let span = path::locate(text, &issue.path, false)?;
            let snippet = text.get(span)?.trim();
            (!snippet.contains('\n') && snippet.len() <= 160).then(|| snippet.to_string())
        });
    Diagnostic {
        origin: origin.to_string(),
        position: span.map(|s| path::line_col(text, s.start)),
        key: Some(key),
        value: written.or(issue.value),
        message: issue.message,
        source_line: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_keys_only() {
        let opts = ["potential", "innovation", "imitation"];
        assert_eq!(nearest("potentail", &opts), Some("potential"));
        assert_eq!(nearest("imitaton", &opts), Some("imitation"));
        assert_eq!(nearest("zzz", &opts), None);
        assert_eq!(
            nearest("prise", &["price_month", "launch"]),
            Some("price_month")
        );
    }

    #[test]
    fn diagnostic_display() {
        let d = Diagnostic {
            origin: "a.toml".into(),
            position: Some((3, 13)),
            key: Some("adoption.potential".into()),
            value: Some("1.5".into()),
            message: "expected a probability in [0, 1]".into(),
            source_line: None,
        };
        assert_eq!(
            d.to_string(),
            "a.toml:3:13: adoption.potential = 1.5: expected a probability in [0, 1]"
        );
    }
}
