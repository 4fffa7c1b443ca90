//! Scenario errors that a person can act on: file, line, column, dotted key, the value and
//! what was expected.
//!
//! Deserialisation errors come from serde (via `serde_path_to_error`, which knows the key)
//! and the `toml` crate (which knows the span); validation [`Issue`]s are located here by
//! looking their key up in the source. Messages are rewritten into one house style:
//! `FILE:LINE:COL: KEY = VALUE: expected ...`.

use std::fmt;
use std::path::Path;

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
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        f.write_str(": ")?;
        match (&self.key, &self.value) {
            (Some(k), Some(v)) => write!(f, "{k} = {v}: ")?,
            (Some(k), None) => write!(f, "{k}: ")?,
            (None, Some(v)) => write!(f, "{v}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
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
    }])
}

/// Reads a scenario file as UTF-8 text, with clear errors for directories, missing files
/// and invalid bytes.
pub fn read_source(file: &Path) -> Result<String, ScenarioError> {
    let origin = file.display().to_string();
    if file.is_dir() {
        return Err(plain(
            &origin,
            "is a directory; expected a scenario TOML file".into(),
        ));
    }
    let bytes =
        std::fs::read(file).map_err(|e| plain(&origin, format!("cannot read the file: {e}")))?;
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
            }]))
        }
    }
}

/// Deserialises the raw scenario, turning the first serde/TOML error into a diagnostic.
pub(super) fn deserialize(origin: &str, text: &str) -> Result<RawScenario, ScenarioError> {
    if text.trim().is_empty() {
        return Err(plain(origin, "the file is empty; expected a scenario with [scenario], [market], [adoption], [[device]], [usage], [intents] and [costs]".into()));
    }
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let position = e.span().map(|s| path::line_col(text, s.start));
        ScenarioError::new(vec![Diagnostic {
            origin: origin.to_string(),
            position,
            key: None,
            value: None,
            message: format!("invalid TOML: {}", e.message().trim()),
        }])
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key_path = convert_path(text, e.path());
        let inner = e.inner();
        let position = inner.span().map(|s| path::line_col(text, s.start));
        ScenarioError::new(vec![serde_diagnostic(
            origin,
            position,
            key_path,
            inner.message(),
        )])
    })
}

/// Deserialises an overridden raw scenario from a TOML value.
pub(super) fn deserialize_value(value: toml::Value, what: &str) -> Result<RawScenario, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let key_path = convert_path("", e.path());
        serde_diagnostic(what, None, key_path, e.inner().message())
    })
}

/// serde's path (`device[0].price`) as our key path, naming array elements where the source says.
fn convert_path(text: &str, p: &serde_path_to_error::Path) -> KeyPath {
    let mut out = KeyPath::root();
    for seg in p.iter() {
        match seg {
            serde_path_to_error::Segment::Map { key } => out = out.key(key),
            serde_path_to_error::Segment::Seq { index } => {
                let name = element_name(text, &out.index(*index, None));
                out = out.index(*index, name.as_deref());
            }
            _ => {}
        }
    }
    out
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
    position: Option<(usize, usize)>,
    mut key_path: KeyPath,
    message: &str,
) -> Diagnostic {
    let message = message.trim();
    let mut value = None;
    let text = if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        if key_path.0.last() != Some(&Seg::Key(field.to_string())) {
            key_path = key_path.key(field);
        }
        let options: Vec<&str> = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .split(", ")
            .map(|s| s.trim_matches('`'))
            .filter(|s| !s.is_empty())
            .collect();
        let mut text = format!("unknown key; expected one of: {}", options.join(", "));
        if let Some(best) = nearest(field, &options) {
            text.push_str(&format!(" (did you mean `{best}`?)"));
        }
        text
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        key_path = key_path.key(field);
        "missing required key".to_string()
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        value = Some(found.to_string());
        format!("wrong type; expected {}", friendly_type(expected))
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (variant, expected) = rest.split_once('`').unwrap_or((rest, ""));
        value = Some(format!("{variant:?}"));
        format!(
            "unknown distribution; expected one of {}",
            expected
                .trim_start_matches(", expected one of ")
                .replace('`', "\"")
        )
    } else {
        message.to_string()
    };
    let key = (!key_path.0.is_empty()).then(|| key_path.to_string());
    Diagnostic {
        origin: origin.to_string(),
        position,
        key,
        value,
        message: text,
    }
}

fn friendly_type(serde_expected: &str) -> String {
    match serde_expected {
        "f64" | "a number" => "a number".into(),
        "i64" | "u64" => "a whole number".into(),
        "a string" | "string" => "a string in quotes".into(),
        "a boolean" | "bool" => "true or false".into(),
        other => other.to_string(),
    }
}

/// The closest valid key to a misspelt one, if it is close enough to be a likely typo.
pub(crate) fn nearest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (strsim::damerau_levenshtein(word, o), *o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

/// Places a validation issue: an override's location if the key was set on the command
/// line, else the line and column in the file.
pub(super) fn place(origin: &str, text: &str, overrides: &[Override], issue: Issue) -> Diagnostic {
    let key = issue.path.to_string();
    if let Some(o) = overrides.iter().rev().find(|o| o.covers(&key)) {
        return Diagnostic {
            origin: o.origin(),
            position: None,
            key: Some(key),
            value: issue.value,
            message: issue.message,
        };
    }
    let span = path::locate_nearest(text, &issue.path, issue.at_key);
    Diagnostic {
        origin: origin.to_string(),
        position: span.map(|s| path::line_col(text, s.start)),
        key: Some(key),
        value: issue.value,
        message: issue.message,
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
    }

    #[test]
    fn diagnostic_display() {
        let d = Diagnostic {
            origin: "a.toml".into(),
            position: Some((3, 13)),
            key: Some("adoption.potential".into()),
            value: Some("1.5".into()),
            message: "expected a probability in [0, 1]".into(),
        };
        assert_eq!(
            d.to_string(),
            "a.toml:3:13: adoption.potential = 1.5: expected a probability in [0, 1]"
        );
    }
}
