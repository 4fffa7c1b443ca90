//! `downstream schema`: a draft 2020-12 JSON Schema that accepts every shipped scenario and
//! rejects what the loader rejects structurally (unknown keys, wrong types, bad `dist`).

use std::path::PathBuf;

use crate::common::root;

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
