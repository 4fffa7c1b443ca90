//! Scenario files: any bytes that are UTF-8 go through `Scenario::parse` as a scenario file.
//!
//! Properties:
//! - parsing never panics, hangs or allocates without bound (libFuzzer's `-timeout`,
//!   `-rss_limit_mb` and `-malloc_limit_mb` catch the last two);
//! - an error always renders (the CLI prints every error);
//! - a scenario that parses round-trips: `resolved_toml(None)` parses again to an equal
//!   scenario, and resolving that one gives the same text (what `scenario.resolved.toml`
//!   promises: "it is itself a valid scenario").
#![no_main]

use downstream::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scenario = match Scenario::parse("fuzz.toml", text, &[]) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let resolved = scenario.resolved_toml(None);
    let again = match Scenario::parse("fuzz.resolved.toml", &resolved, &[]) {
        Ok(s) => s,
        Err(e) => panic!(
            "the resolved scenario does not parse again:\n{e}\n--- resolved:\n{resolved}\n--- input:\n{text}"
        ),
    };
    assert!(
        again == scenario,
        "the resolved scenario parses to a different scenario\n--- resolved:\n{resolved}\n--- input:\n{text}\n--- first:\n{scenario:#?}\n--- again:\n{again:#?}"
    );
    let resolved_again = again.resolved_toml(None);
    assert!(
        resolved_again == resolved,
        "resolving twice changes the text\n--- first:\n{resolved}\n--- second:\n{resolved_again}"
    );
});
