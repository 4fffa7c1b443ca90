//! `downstream schema`: draft 2020-12 JSON Schemas of scenarios and targets files that
//! accept every shipped file, reject what the loader rejects structurally (unknown keys,
//! wrong types, bad `dist`), and agree with validation on every bound they state; the
//! committed `schemas/*.json` equal the tool's output.

use std::path::PathBuf;

use downstream::scenario::path::Seg;
use downstream::scenario::{Scenario, raw::RawScenario};

use crate::common::{ok, root};

fn schema() -> serde_json::Value {
    serde_json::from_str(&downstream::schema::json_schema()).expect("the schema is JSON")
}

fn toml_to_json(text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(value).expect("TOML values convert to JSON")
}

fn shipped() -> Vec<PathBuf> {
    let dir = root().join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && !p.to_string_lossy().ends_with(".targets.toml")
        })
        .chain([root().join("tests/bad_scenarios/valid/base.toml")])
        .collect();
    files.sort();
    files
}

#[test]
fn schema_is_draft_2020_12_and_valid() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::draft202012::meta::validate(&s).expect("a valid draft 2020-12 schema");
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let validator = jsonschema::draft202012::new(&schema()).unwrap();
    let files = shipped();
    assert!(
        files.len() >= 3,
        "expected the shipped scenarios, found {files:?}"
    );
    for f in files {
        let instance = toml_to_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
}

#[test]
fn schema_rejects_what_the_loader_rejects() {
    let validator = jsonschema::draft202012::new(&schema()).unwrap();
    let base = std::fs::read_to_string(root().join("scenarios/echo_2017_2021.toml")).unwrap();
    let mut good = toml_to_json(&base);
    assert!(validator.is_valid(&good));
    good["adoption"]["potentail"] = serde_json::json!(0.5);
    assert!(!validator.is_valid(&good), "an unknown key must fail");
    let mut bad = toml_to_json(&base);
    bad["adoption"]["potential"] = serde_json::json!("half");
    assert!(!validator.is_valid(&bad), "a string for a number must fail");
    let mut bad = toml_to_json(&base);
    bad["adoption"]["potential"] = serde_json::json!({ "dist": "betta", "alpha": 1, "beta": 2 });
    assert!(
        !validator.is_valid(&bad),
        "an unknown distribution must fail"
    );
    let mut bad = toml_to_json(&base);
    bad.as_object_mut().unwrap().remove("costs");
    assert!(!validator.is_valid(&bad), "a missing section must fail");
}

fn targets_schema() -> serde_json::Value {
    serde_json::from_str(&downstream::schema::targets_json_schema()).expect("the schema is JSON")
}

/// The schema's complaints about `instance`, as (instance path, message).
fn schema_errors(
    validator: &jsonschema::Validator,
    instance: &serde_json::Value,
) -> Vec<(String, String)> {
    validator
        .iter_errors(instance)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect()
}

#[test]
fn committed_schemas_are_the_tools_output() {
    for (args, file) in [
        (&["schema"][..], "schemas/scenario.schema.json"),
        (&["schema", "--targets"][..], "schemas/targets.schema.json"),
    ] {
        let committed = std::fs::read_to_string(root().join(file)).unwrap();
        assert_eq!(
            committed,
            ok(args),
            "{file} is stale: run `cargo run --release -- {} > {file}`",
            args.join(" ")
        );
    }
    // .taplo.toml maps each kind of file to its schema, targets files first.
    let taplo: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join(".taplo.toml")).unwrap()).unwrap();
    let rules = taplo["rule"].as_array().unwrap();
    assert_eq!(
        rules[0]["schema"]["path"].as_str(),
        Some("./schemas/targets.schema.json")
    );
    assert_eq!(
        rules[1]["schema"]["path"].as_str(),
        Some("./schemas/scenario.schema.json")
    );
}

#[test]
fn every_shipped_targets_file_validates_against_the_targets_schema() {
    let schema = targets_schema();
    jsonschema::draft202012::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let mut files = 0;
    for e in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let f = e.unwrap().path();
        if !f.to_string_lossy().ends_with(".targets.toml") {
            continue;
        }
        files += 1;
        let instance = toml_to_json(&std::fs::read_to_string(&f).unwrap());
        assert_eq!(schema_errors(&validator, &instance), [], "{}", f.display());
        // And a bad month, statistic or unknown key is refused.
        for (key, value) in [
            ("month", serde_json::json!("2019-1")),
            ("statistic", serde_json::json!("median")),
            ("metrics", serde_json::json!("units_sold")),
        ] {
            let mut bad = instance.clone();
            bad["target"][0][key] = value;
            assert!(!validator.is_valid(&bad), "{key}");
        }
    }
    assert!(files >= 1);
}

#[test]
fn the_issues_examples_fail_the_schema_at_their_key() {
    // `margin = 20` and `start = "2024-1"` passed the schema before it carried bounds.
    let validator = jsonschema::draft202012::new(&schema()).unwrap();
    let base = std::fs::read_to_string(root().join("scenarios/premium_5usd_2024.toml")).unwrap();
    let mut bad = toml_to_json(&base);
    bad["purchase"][0]["margin"] = serde_json::json!(20);
    bad["scenario"]["start"] = serde_json::json!("2024-1");
    let errors = schema_errors(&validator, &bad);
    let mut at: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    at.sort();
    assert_eq!(at, ["/purchase/0/margin", "/scenario/start"], "{errors:#?}");
    // An uncertain value with a parameter of another form, or one missing, is reported at
    // the value, by name (no anyOf over the section).
    let mut bad = toml_to_json(&base);
    bad["premium"]["wtp_sigma"] =
        serde_json::json!({ "dist": "uniform", "min": 0.8, "max": 1.2, "mode": 1 });
    bad["premium"]["usage_uplift"] = serde_json::json!({ "dist": "pert", "min": 1, "max": 2 });
    let mut errors = schema_errors(&validator, &bad);
    errors.sort();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].0, "/premium/usage_uplift");
    assert!(
        errors[0].1.contains("\"mode\" is a required property"),
        "{errors:#?}"
    );
    assert_eq!(errors[1].0, "/premium/wtp_sigma");
    assert!(errors[1].1.contains("mode"), "{errors:#?}");
    let text = serde_json::to_string(&schema()).unwrap();
    assert!(
        !text.contains("anyOf") && !text.contains("oneOf"),
        "no anyOf/oneOf"
    );
}

/// The instance's JSON pointer of a validated key (elements by index, years as keys).
fn instance_pointer(path: &downstream::scenario::KeyPath) -> String {
    path.0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{k}"),
            Seg::Index(i, _) => format!("/{i}"),
        })
        .collect()
}

/// Every bound the schema states is the validator's: for every numeric key of every
/// shipped scenario, a plain number just outside the key's domain is refused by both (at
/// that key), and its bounds themselves are accepted by both.
#[test]
fn schema_bounds_agree_with_validation() {
    let validator = jsonschema::draft202012::new(&schema()).unwrap();
    let mut checked = 0;
    for f in shipped() {
        let text = std::fs::read_to_string(&f).unwrap();
        let raw: RawScenario = toml::from_str(&text).unwrap();
        let instance = toml_to_json(&text);
        for (path, domain) in Scenario::domains(raw) {
            let at = instance_pointer(&path);
            let key = path.to_string();
            if instance.pointer(&at).is_none() {
                continue; // an optional key the file leaves out
            }
            let (low, open) = domain.lower_bound();
            let high = domain.upper_bound();
            let below = if open { low } else { low - 0.5 };
            let inside_low = if open { high.min(1.0) * 1e-3 } else { low };
            for (x, valid) in [
                (below, false),
                (high * 2.0 + 1.0, false),
                (high, true),
                (inside_low, true),
            ] {
                let mut changed = instance.clone();
                *changed.pointer_mut(&at).unwrap() = serde_json::json!(x);
                let schema_says = !schema_errors(&validator, &changed)
                    .iter()
                    .any(|(p, _)| *p == at);
                let toml_text = toml::to_string(&changed).unwrap();
                let loader_says = match Scenario::parse("t.toml", &toml_text, &[]) {
                    Ok(_) => true,
                    Err(e) => !e
                        .diagnostics()
                        .iter()
                        .any(|d| d.key.as_deref() == Some(key.as_str())),
                };
                assert_eq!(schema_says, valid, "{}: schema on {key} = {x}", f.display());
                assert_eq!(
                    loader_says,
                    valid,
                    "{}: validate on {key} = {x}",
                    f.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 400, "{checked}");
}

/// Every key of the format has a description (hover text) and every numeric parameter
/// bounds.
#[test]
fn every_key_is_described_and_every_parameter_bounded() {
    for (name, schema) in [("scenario", schema()), ("targets", targets_schema())] {
        let mut missing = Vec::new();
        let mut unbounded = Vec::new();
        let defs = schema["$defs"].as_object().unwrap();
        let sections =
            std::iter::once(("root", &schema)).chain(defs.iter().map(|(k, v)| (k.as_str(), v)));
        for (def, node) in sections {
            let Some(props) = node["properties"].as_object() else {
                continue;
            };
            for (key, p) in props {
                let at = format!("{def}.{key}");
                if p.get("description").is_none() {
                    missing.push(at.clone());
                }
                let value = p.to_string().contains("#/$defs/Value")
                    || p.to_string().contains("#/$defs/YearlyValue");
                if value && p.get("maximum").is_none() {
                    unbounded.push(at);
                }
            }
        }
        assert_eq!(
            missing,
            Vec::<String>::new(),
            "{name}: keys without a description"
        );
        assert_eq!(
            unbounded,
            Vec::<String>::new(),
            "{name}: parameters without bounds"
        );
    }
}

/// taplo (the engine of Even Better TOML) with the repository's `.taplo.toml`: every
/// shipped file passes, and a scenario with `margin = 20`, one with `start = "2024-1"` and
/// a targets file with an unknown statistic fail at their keys. Skipped, saying so, where
/// taplo is not installed (`pip install taplo` or `cargo install taplo-cli --locked`).
#[test]
fn taplo_checks_the_shipped_files_with_the_repositorys_mapping() {
    let taplo = |args: &[&str], dir: &std::path::Path| {
        std::process::Command::new("taplo")
            .args(args)
            .current_dir(dir)
            .output()
    };
    if taplo(&["--version"], &root()).is_err() {
        eprintln!("SKIPPED: taplo is not installed");
        return;
    }
    let o = taplo(&["check"], &root()).unwrap();
    assert!(
        o.status.success(),
        "taplo check: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A copy of the repository's mapping and schemas, with bad files beside them.
    let dir = crate::common::TempDir::new("schema", "taplo");
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios")).unwrap();
    for f in [
        ".taplo.toml",
        "schemas/scenario.schema.json",
        "schemas/targets.schema.json",
    ] {
        std::fs::copy(root().join(f), dir.join(f)).unwrap();
    }
    let premium = std::fs::read_to_string(root().join("scenarios/premium_5usd_2024.toml")).unwrap();
    let targets =
        std::fs::read_to_string(root().join("scenarios/echo_2017_2021.targets.toml")).unwrap();
    let cases = [
        (
            "scenarios/margin.toml",
            premium.replacen(
                "margin = { dist = \"pert\", min = 0.5, mode = 0.65, max = 0.8 }",
                "margin = 20",
                1,
            ),
            "20 is greater than the maximum of 1",
        ),
        (
            "scenarios/start.toml",
            premium.replacen("start = \"2022-01\"", "start = \"2024-1\"", 1),
            "\"2024-1\" does not match",
        ),
        (
            "scenarios/bad.targets.toml",
            targets.replacen("statistic = \"p95\"", "statistic = \"median\"", 1),
            "\"median\" is not one of",
        ),
    ];
    for (file, text, expected) in cases {
        std::fs::write(dir.join(file), &text).unwrap();
        let o = taplo(&["check", file], dir.path()).unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{file} passed taplo");
        assert!(stderr.contains(expected), "{file}: {stderr}");
        std::fs::remove_file(dir.join(file)).unwrap();
    }
}
