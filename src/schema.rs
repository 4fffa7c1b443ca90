//! The JSON Schemas (draft 2020-12) of the scenario format and of backtest targets files,
//! for editors (taplo / Even Better TOML): completion, hover text and checking as you type.
//!
//! Both are derived from the raw layer (`schemars` on [`RawScenario`] and the targets'
//! raw types, their doc comments being the descriptions), so they cannot drift from what
//! the loader accepts, and then shaped for editors:
//!
//! - **Bounds come from validation.** The numeric bounds of every parameter are those its
//!   section validator checks: [`Scenario::domains`] validates a probe scenario holding every
//!   key and reports the [`Domain`] each key was checked against (probabilities in
//!   [0, 1], non-negative prices, plausibility caps), and each becomes the key's
//!   `minimum`/`exclusiveMinimum`/`maximum` for a plain number. The horizon and run
//!   settings take the loader's limits (`MAX_MONTHS`, ...), months the `YYYY-MM` pattern of
//!   [`YearMonth::parse`], `sampling` and `statistic` their enumerations.
//! - **Errors point at the key.** No `anyOf`/`oneOf` over whole values: an uncertain value is
//!   one object schema (`dist` an enumeration, the union of the forms' parameters, and per
//!   form an `if`/`then` saying which parameters it requires and allows), and a plain
//!   number and a table share one schema by type, so an editor reports "`mode` is a
//!   required property" or "20 is greater than the maximum of 1" at the key instead of
//!   "not valid under any of the schemas listed in the anyOf keyword". Optional keys are
//!   simply not required (never `null`, which TOML does not have).
//!
//! `schemas/scenario.schema.json` and `schemas/targets.schema.json` are these schemas as
//! committed files (a test keeps them equal to `downstream schema` output), mapped to the
//! scenario and targets files by `.taplo.toml`.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::scenario::path::{KeyPath, Seg};
use crate::scenario::raw::{RawScenario, year_key};
use crate::scenario::{Domain, MAX_HOUSEHOLDS, MAX_MONTHS, MAX_SEED, MAX_TRIALS, Scenario};

/// A calendar month as [`crate::scenario::YearMonth::parse`] accepts it: `YYYY-MM`, years
/// 1900 to 2200 (tested to agree with it).
pub const MONTH_PATTERN: &str = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])$";
/// A per-year table's key: a year from 1900 to 2200 (tested to agree with the loader).
pub const YEAR_PATTERN: &str = "^(19[0-9]{2}|2[01][0-9]{2}|2200)$";

/// A scenario that writes every key of the format once, so that validating it visits
/// every key's domain (its values need not be valid; a test checks that every numeric key
/// of the schema got its bounds from it).
const PROBE: &str = r#"
[scenario]
name = "probe"
start = "2020-01"
months = 12
[simulation]
households = 1
trials = 1
seed = 1
sampling = "mc"
[market]
households = 1
prime_share = 0.5
[adoption]
installed_share = 0.1
potential = 0.5
innovation = 0.1
imitation = 0.1
devices_at_adoption = 1
extra_devices_per_year = 0.1
abandon_per_year = 0.1
[[device]]
name = "d"
mix = 1
price = 1
unit_cost = 1
[usage]
interactions_per_day = 1
activity_shape = 1
novelty_boost = 1
novelty_decay_months = 1
mix_concentration = 1
[intents]
i = 1
[[purchase]]
name = "p"
intent = "i"
conversion = 0.1
order_value = 1
order_value_sigma = 0.1
margin = 0.1
incremental_share = 0.1
[[subscription]]
name = "s"
attach = 0.1
price_month = 1
churn_per_year = 0.1
margin = 0.1
incremental_share = 0.1
in_device_pnl = true
[ecosystem]
spend_per_year = 1
spend_sigma = 0.1
margin = 0.1
uplift = 0.1
attributed_share = 0.1
[premium]
launch = "2020-06"
price_month = 1
included_with_prime = true
wtp_median = 1
wtp_sigma = 0.1
wtp_activity_elasticity = 0.1
consider_per_month = 0.1
churn_per_year = 0.1
usage_uplift = 1
conversion_uplift = 1
serving_cost_per_interaction = 0.1
[costs]
serving_cost_per_interaction = 0.1
fixed_per_year = 1
[finance]
discount_rate = 0.1
"#;

/// The scenario schema as pretty-printed JSON (`downstream schema`).
pub fn json_schema() -> String {
    pretty(&scenario())
}

/// The targets-file schema as pretty-printed JSON (`downstream schema --targets`).
pub fn targets_json_schema() -> String {
    pretty(&targets())
}

fn pretty(schema: &Value) -> String {
    serde_json::to_string_pretty(schema).expect("a schema serialises")
}

/// The scenario schema.
pub fn scenario() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<RawScenario>();
    let mut s = serde_json::to_value(schema).expect("a schema is JSON");
    drop_nulls(&mut s);
    let dist = distribution(&s["$defs"]["RawDist"]);
    let defs = s["$defs"].as_object_mut().expect("$defs");
    defs.remove("RawDist");
    defs.insert("Value".into(), dist);
    defs.insert("YearlyValue".into(), yearly());
    let raw: RawScenario = toml::from_str(PROBE).expect("the probe scenario parses");
    for (path, domain) in Scenario::domains(raw) {
        if let Some(at) = pointer(&s, &path) {
            bound(&mut s, &at, domain);
        }
    }
    let set = |s: &mut Value, at: &str, extra: Value| {
        let node = s
            .pointer_mut(at)
            .unwrap_or_else(|| panic!("{at} in the schema"));
        merge(node, extra);
    };
    let month = json!({ "pattern": MONTH_PATTERN });
    set(&mut s, "/$defs/RawMeta/properties/start", month.clone());
    set(&mut s, "/$defs/RawPremium/properties/launch", month);
    set(
        &mut s,
        "/$defs/RawMeta/properties/months",
        json!({ "minimum": 1, "maximum": MAX_MONTHS }),
    );
    for (key, max) in [("households", MAX_HOUSEHOLDS), ("trials", MAX_TRIALS)] {
        set(
            &mut s,
            &format!("/$defs/RawSimulation/properties/{key}"),
            json!({ "minimum": 1, "maximum": max }),
        );
    }
    set(
        &mut s,
        "/$defs/RawSimulation/properties/seed",
        json!({ "minimum": 0, "maximum": MAX_SEED }),
    );
    let samplings: Vec<&str> = crate::design::Sampling::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    set(
        &mut s,
        "/$defs/RawSimulation/properties/sampling",
        json!({ "enum": samplings }),
    );
    wrap_refs(&mut s);
    s
}

/// The targets-file schema.
pub fn targets() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<crate::backtest::RawTargets>();
    let mut s = serde_json::to_value(schema).expect("a schema is JSON");
    drop_nulls(&mut s);
    let target = s
        .pointer_mut("/$defs/RawTarget/properties")
        .expect("the target's keys");
    merge(&mut target["month"], json!({ "pattern": MONTH_PATTERN }));
    let statistics: Vec<&str> = crate::backtest::Statistic::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    merge(&mut target["statistic"], json!({ "enum": statistics }));
    let errors = crate::backtest::Measurement::NAMES;
    merge(&mut target["error"], json!({ "enum": errors }));
    merge(&mut target["sd"], json!({ "exclusiveMinimum": 0.0 }));
    wrap_refs(&mut s);
    s
}

/// A `$ref` beside other keywords (a key's bounds and description) moves into an `allOf`
/// of one: editors that read the schema as draft 7, taplo among them, ignore every keyword
/// beside a `$ref`.
fn wrap_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.len() > 1
                && let Some(r) = map.remove("$ref")
            {
                map.insert("allOf".into(), json!([{ "$ref": r }]));
            }
            map.values_mut().for_each(wrap_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_refs),
        _ => {}
    }
}

/// Adds the keys of `extra` to the object `node`.
fn merge(node: &mut Value, extra: Value) {
    if let (Some(node), Value::Object(extra)) = (node.as_object_mut(), extra) {
        node.extend(extra);
    }
}

/// Optional keys are not `null` in TOML: `"type": ["number", "null"]` becomes `"number"`
/// and `anyOf: [X, {"type": "null"}]` becomes X.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let single = match map.get_mut("anyOf") {
                Some(Value::Array(options)) => {
                    options.retain(|o| o.get("type") != Some(&json!("null")));
                    (options.len() == 1).then(|| options.remove(0))
                }
                _ => None,
            };
            if let Some(Value::Object(only)) = single {
                map.remove("anyOf");
                for (k, v) in only {
                    map.entry(k).or_insert(v);
                }
            }
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A plain number or an uncertain value, as one schema: `dist` an enumeration, every
/// form's parameters as properties, and per form (`if` its `dist`) the parameters it
/// requires and the only ones it allows. Built from schemars' `oneOf` of the forms.
fn distribution(raw_dist: &Value) -> Value {
    let forms = raw_dist["oneOf"].as_array().expect("the forms of RawDist");
    let mut names = Vec::new();
    let mut properties = Map::new();
    let mut rules = Vec::new();
    for form in forms {
        let name = form["properties"]["dist"]["const"].clone();
        let own = form["properties"].as_object().expect("a form's parameters");
        for (key, schema) in own {
            if key != "dist" {
                properties
                    .entry(key.clone())
                    .or_insert_with(|| schema.clone());
            }
        }
        let allowed: Map<String, Value> = own.keys().map(|k| (k.clone(), json!(true))).collect();
        let mut then = json!({ "properties": allowed, "additionalProperties": false });
        if let Some(required) = form.get("required") {
            then["required"] = required.clone();
        }
        rules.push(json!({
            "if": { "properties": { "dist": { "const": name } }, "required": ["dist"] },
            "then": then
        }));
        names.push(name);
    }
    properties.insert(
        "dist".into(),
        json!({
            "description": "The form of the uncertain value: uniform (min, max), triangular and pert (min, mode, max), normal (mean, sd, optional min/max), lognormal (median, sigma), beta (alpha, beta), gamma (shape, scale), metalog (p10/p50/p90 or quantiles, optional min/max).",
            "enum": names
        }),
    );
    json!({
        "description": "A plain number, or an uncertain value drawn once per trial: { dist = \"pert\", min = 1, mode = 2, max = 4 }. The bounds shown for a key are those of a plain number; a distribution must stay within the key's domain too (checked by `downstream validate`).",
        "type": ["number", "object"],
        "properties": properties,
        "required": ["dist"],
        "additionalProperties": false,
        "allOf": rules
    })
}

/// A value, or a per-year table of values, as one schema: a table with `dist` is an
/// uncertain value, any other table a per-year table.
fn yearly() -> Value {
    json!({
        "description": "A value, or a per-year table { 2019 = ..., 2021 = ... }: a year not listed takes the nearest earlier listed year.",
        "type": ["number", "object"],
        "if": { "type": "object", "required": ["dist"] },
        "then": { "$ref": "#/$defs/Value" },
        "else": {
            "minProperties": 1,
            "propertyNames": { "pattern": YEAR_PATTERN },
            "additionalProperties": { "$ref": "#/$defs/Value" }
        }
    })
}

/// The JSON pointer of the schema of the key at `path` (array elements and per-year
/// entries lead to the key that holds them), following `$ref`s to definitions.
fn pointer(s: &Value, path: &KeyPath) -> Option<String> {
    let mut at = String::new();
    for seg in &path.0 {
        // Follow references to the definition that says what the key holds.
        let mut resolved = at.clone();
        while let Some(r) = s.pointer(&resolved)?.get("$ref").and_then(Value::as_str) {
            resolved = r.strip_prefix('#')?.to_string();
        }
        if resolved == "/$defs/YearlyValue" {
            // A year of a per-year table: the bounds go on the key holding the table.
            return matches!(seg, Seg::Key(k) if year_key(k).is_some()).then_some(at);
        }
        let node = s.pointer(&resolved)?;
        at = match seg {
            Seg::Key(k) if node["properties"].get(k).is_some() => {
                format!(
                    "{resolved}/properties/{}",
                    k.replace('~', "~0").replace('/', "~1")
                )
            }
            Seg::Key(_) if node["additionalProperties"].is_object() => {
                format!("{resolved}/additionalProperties")
            }
            Seg::Index(..) if node.get("items").is_some() => format!("{resolved}/items"),
            _ => return None,
        };
    }
    Some(at)
}

/// The bounds of a domain on the key at `at`: `minimum` (or `exclusiveMinimum`) and
/// `maximum` for a plain number, the same for each year of a per-year table, and the
/// domain in words at the end of the description.
fn bound(s: &mut Value, at: &str, domain: Domain) {
    let (low, open) = domain.lower_bound();
    let mut bounds = Map::new();
    bounds.insert(
        if open { "exclusiveMinimum" } else { "minimum" }.into(),
        json!(low),
    );
    bounds.insert("maximum".into(), json!(domain.upper_bound()));
    let node = s.pointer_mut(at).expect("a pointer found in the schema");
    let yearly = node.get("$ref") == Some(&json!("#/$defs/YearlyValue"));
    let Some(map) = node.as_object_mut() else {
        return;
    };
    if yearly {
        map.insert(
            "patternProperties".into(),
            json!({ YEAR_PATTERN: Value::Object(bounds.clone()) }),
        );
    }
    map.extend(bounds);
    let text = format!("A plain number is {}.", domain.describe());
    let description = match map.get("description").and_then(Value::as_str) {
        Some(d) if d.contains(&text) => return,
        Some(d) => format!("{d}\n\n{text}"),
        None => text,
    };
    map.insert("description".into(), json!(description));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::YearMonth;

    /// Whether a JSON Schema validator (as an editor runs it) accepts `text` by `pattern`.
    fn matches(pattern: &str, text: &str) -> bool {
        let schema = json!({ "type": "string", "pattern": pattern });
        jsonschema::draft202012::new(&schema)
            .unwrap()
            .is_valid(&json!(text))
    }

    #[test]
    fn month_and_year_patterns_agree_with_the_loader() {
        let mut tried = 0;
        for year in [
            "1899", "1900", "1999", "2024", "2199", "2200", "2201", "3000", "0999",
        ] {
            for month in ["00", "01", "1", "09", "10", "12", "13", "7"] {
                for text in [
                    format!("{year}-{month}"),
                    format!(" {year}-{month}"),
                    format!("{year}/{month}"),
                    format!("{year}-{month}-01"),
                ] {
                    assert_eq!(
                        matches(MONTH_PATTERN, &text),
                        YearMonth::parse(&text).is_some(),
                        "{text:?}"
                    );
                    tried += 1;
                }
            }
            assert_eq!(
                matches(YEAR_PATTERN, year),
                year_key(year).is_some(),
                "{year}"
            );
        }
        assert!(tried > 200);
    }
}
