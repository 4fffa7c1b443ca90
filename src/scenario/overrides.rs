//! `--set KEY=VALUE`: changing any parameter of a scenario by its dotted key.
//!
//! An override is applied to the raw layer: the raw scenario is turned into a TOML value,
//! the key is replaced (array-of-table elements are addressed by `name`, per-year entries by
//! year), and the result goes through the same deserialisation and validation as a file,
//! so an override can never bypass a rule. Problems name the `--set` argument.

use super::error::{Diagnostic, deserialize_value};
use super::path::check_key;
use super::raw::{RawScenario, year_key, year_key_expected};

/// One `KEY=VALUE` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    key: String,
    text: String,
    value: toml::Value,
}

/// Sections that are arrays of tables, addressed by their elements' `name`.
const NAMED_ARRAYS: [&str; 3] = ["device", "purchase", "subscription"];

impl Override {
    /// Parses `KEY=VALUE`. VALUE is one TOML value on one line (`7.5`,
    /// `{ dist = "beta", alpha = 2, beta = 300 }`, `"text"`, `true`); anything that does not
    /// parse as TOML is taken as a bare string. A value of several lines is refused: TOML
    /// after a line break would be more keys, not this value.
    pub fn parse(arg: &str) -> Result<Override, String> {
        let err = |why: &str| format!("--set {}: {why}", crate::format::escape(arg));
        let (key, text) = arg
            .split_once('=')
            .ok_or_else(|| err("expected KEY=VALUE, e.g. premium.price_month=7.5"))?;
        let key = key.trim();
        let text = text.trim();
        check_key(key).map_err(|why| err(&why))?;
        if text.is_empty() {
            return Err(err("expected a value after `=`"));
        }
        if text.contains(['\n', '\r']) {
            return Err(err(
                "the value spans several lines; expected one TOML value on one line, e.g. 7.5, \"text\" or { dist = \"beta\", alpha = 2, beta = 300 }",
            ));
        }
        let value = match toml::from_str::<toml::Table>(&format!("v = {text}")) {
            Ok(t) if t.len() == 1 && t.contains_key("v") => t["v"].clone(),
            Ok(_) => return Err(err("expected one TOML value after `=`, not several keys")),
            // Text that starts as a string, table or array is TOML that does not parse (an
            // unclosed brace, two strings): refused rather than read as a bare string.
            // Digits only, yet not TOML: a whole number beyond what a file can hold.
            Err(_) if is_whole_number(text) => {
                return Err(err(&format!(
                    "the number is too large; a scenario file holds whole numbers from {} to {}",
                    i64::MIN,
                    i64::MAX
                )));
            }
            Err(_) if text.starts_with(['"', '\'', '{', '[']) => {
                return Err(err(
                    "expected one TOML value after `=`: a quoted string, an inline table { ... } or an array [ ... ] that is closed and is the whole value",
                ));
            }
            Err(_) => toml::Value::String(text.to_string()),
        };
        Ok(Override {
            key: key.to_string(),
            text: text.to_string(),
            value,
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The override `KEY=x` of a sweep point's number, as `--set` would have parsed it
    /// (only used to say where a problem comes from).
    pub(super) fn number(key: &str, x: f64) -> Override {
        Override {
            key: key.to_string(),
            text: super::check::fmt_num(x),
            value: toml::Value::Float(x),
        }
    }

    /// How diagnostics name this override.
    pub fn origin(&self) -> String {
        format!("--set {}={}", self.key, self.text)
    }

    /// True if a dotted key is this override's key or lies inside it.
    pub fn covers(&self, key: &str) -> bool {
        key == self.key
            || (key.starts_with(&self.key) && key.as_bytes().get(self.key.len()) == Some(&b'.'))
    }

    fn error(&self, message: String) -> Box<Diagnostic> {
        Box::new(Diagnostic {
            origin: self.origin(),
            position: None,
            key: Some(self.key.clone()),
            value: None,
            message,
            source_line: None,
        })
    }

    fn apply_to(&self, root: &mut toml::Table) -> Result<(), Box<Diagnostic>> {
        let start_year = root
            .get("scenario")
            .and_then(|s| s.get("start"))
            .and_then(|s| s.as_str())
            .and_then(|s| s.get(..4))
            .map(str::to_string);
        let segs: Vec<&str> = self.key.split('.').collect();
        let mut table = root;
        let mut i = 0;
        while i + 1 < segs.len() {
            let seg = segs[i];
            let here = segs[..=i].join(".");
            let next = table.get_mut(seg).ok_or_else(|| {
                self.error(format!(
                    "the scenario has no `{here}`; add the section to the file first"
                ))
            })?;
            let single_value = match &*next {
                toml::Value::Table(t) => t.contains_key("dist"),
                toml::Value::Array(_) => false,
                _ => true,
            };
            let year_like = segs[i + 1].bytes().all(|b| b.is_ascii_digit());
            if year_like && i + 2 == segs.len() && single_value {
                // A per-year entry of a key holding one value: that value holds from the
                // first simulated year, the new one from its year on. The year follows the
                // rule of a per-year table in a file.
                if year_key(segs[i + 1]).is_none() {
                    return Err(self.error(year_key_expected(segs[i + 1])));
                }
                let start_year = start_year
                    .clone()
                    .ok_or_else(|| self.error("the scenario has no valid start".into()))?;
                if segs[i + 1] <= start_year.as_str() {
                    *next = self.value.clone();
                    return Ok(());
                }
                let mut t = toml::Table::new();
                t.insert(start_year, next.clone());
                *next = toml::Value::Table(t);
            }
            table = match next {
                toml::Value::Table(t) => t,
                toml::Value::Array(items) if NAMED_ARRAYS.contains(&seg) => {
                    let name = segs[i + 1];
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_string))
                        .collect();
                    let found = items
                        .iter_mut()
                        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
                        .and_then(|t| t.as_table_mut());
                    i += 1;
                    match found {
                        Some(t) => t,
                        None => {
                            return Err(self.error(format!(
                                "no [[{seg}]] is named `{name}`; expected one of: {}",
                                names.join(", ")
                            )));
                        }
                    }
                }
                _ => return Err(self.error(format!("`{here}` is a value, not a section"))),
            };
            i += 1;
        }
        if i >= segs.len() {
            return Err(
                self.error("expected a key inside the section, e.g. device.echo_dot.price".into())
            );
        }
        table.insert(segs[i].to_string(), self.value.clone());
        Ok(())
    }
}

/// Digits with an optional sign.
fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Applies overrides in order and re-validates the file format. A problem is boxed: a
/// diagnostic is large, and rare.
pub(super) fn apply(
    raw: RawScenario,
    overrides: &[Override],
) -> Result<RawScenario, Box<Diagnostic>> {
    if overrides.is_empty() {
        return Ok(raw);
    }
    let value = toml::Value::try_from(&raw).map_err(|e| {
        Box::new(Diagnostic {
            origin: "--set".into(),
            position: None,
            key: None,
            value: None,
            message: format!("internal error re-encoding the scenario: {e}"),
            source_line: None,
        })
    })?;
    let toml::Value::Table(mut root) = value else {
        unreachable!("a scenario serialises to a table")
    };
    for o in overrides {
        o.apply_to(&mut root)?;
        if let Err(mut d) = deserialize_value(toml::Value::Table(root.clone()), &o.origin()) {
            d.origin = o.origin();
            return Err(d);
        }
    }
    deserialize_value(toml::Value::Table(root), "--set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_tables_and_bare_strings() {
        let o = Override::parse("premium.price_month=7.5").unwrap();
        assert_eq!(o.value, toml::Value::Float(7.5));
        let o =
            Override::parse(r#"purchase.voice_shopping.conversion={dist="beta",alpha=2,beta=300}"#)
                .unwrap();
        assert!(o.value.is_table());
        let o = Override::parse("scenario.name=My run").unwrap();
        assert_eq!(o.value, toml::Value::String("My run".into()));
        assert!(Override::parse("novalue").is_err());
        assert!(Override::parse("a..b=1").is_err());
        assert!(Override::parse("a.b=").is_err());
    }

    #[test]
    fn a_value_is_one_toml_value_on_one_line() {
        for bad in [
            "device.dot.price=7\n[evil]\nx=1",
            "scenario.name=\"a\" \"b\"",
            "a.b={dist=\"beta\"",
            "simulation.seed=9223372036854775808",
            "a.b\u{200B}=1",
        ] {
            assert!(Override::parse(bad).is_err(), "{bad:?}");
        }
        let o = Override::parse("premium.launch=2025-01").unwrap();
        assert_eq!(o.value, toml::Value::String("2025-01".into()));
    }

    #[test]
    fn covers_keys_inside() {
        let o = Override::parse("costs.fixed_per_year=1").unwrap();
        assert!(o.covers("costs.fixed_per_year"));
        assert!(o.covers("costs.fixed_per_year.2019"));
        assert!(!o.covers("costs.fixed_per_year_x"));
    }
}
