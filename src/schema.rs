//! The JSON Schema (draft 2020-12) of the scenario format, derived from the raw layer so
//! that it can never drift from what the loader accepts.

use schemars::generate::SchemaSettings;

use crate::scenario::raw::RawScenario;

/// The schema as pretty-printed JSON.
pub fn json_schema() -> String {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<RawScenario>();
    serde_json::to_string_pretty(&schema).expect("a schema serialises")
}
