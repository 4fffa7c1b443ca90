//! The property both fuzz targets check on every scenario that loads: its resolved TOML
//! parses back to the same scenario, and resolving again gives the same text.

use downstream::scenario::Scenario;

/// Panics (a fuzzing failure) unless `scenario` survives the round trip; `context`
/// describes the input for the report.
pub fn check(scenario: &Scenario, context: &str) {
    let resolved = scenario.resolved_toml(None);
    let again = match Scenario::parse("fuzz.resolved.toml", &resolved, &[]) {
        Ok(s) => s,
        Err(e) => panic!(
            "the resolved scenario does not parse again:\n{e}\n--- resolved:\n{resolved}\n--- input:\n{context}"
        ),
    };
    assert!(
        again == *scenario,
        "the resolved scenario parses to a different scenario\n--- resolved:\n{resolved}\n--- input:\n{context}\n--- first:\n{scenario:#?}\n--- again:\n{again:#?}"
    );
    let resolved_again = again.resolved_toml(None);
    assert!(
        resolved_again == resolved,
        "resolving twice changes the text\n--- first:\n{resolved}\n--- second:\n{resolved_again}"
    );
}
