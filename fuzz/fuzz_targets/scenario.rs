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

#[path = "round_trip.rs"]
mod round_trip;

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
    round_trip::check(&scenario, text);
});
