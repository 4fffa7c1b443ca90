//! `--set KEY=VALUE` overrides on the shipped scenarios.
//!
//! Input: the first byte chooses a scenario (the shipped ones and the bad-scenario base), the
//! rest, if UTF-8, is split into lines and each line is one `--set` argument (as the CLI
//! receives them). Arguments that `Override::parse` rejects are dropped, the rest are
//! applied in order by `Scenario::parse`.
//!
//! Properties: nothing panics; an error always renders; a scenario that parses round-trips
//! through `resolved_toml(None)` (the overrides are in the resolved text).
#![no_main]

use downstream::scenario::{Override, Scenario};
use libfuzzer_sys::fuzz_target;

const SCENARIOS: [(&str, &str); 5] = [
    (
        "scenarios/echo_2017_2021.toml",
        include_str!("../../scenarios/echo_2017_2021.toml"),
    ),
    (
        "scenarios/premium_5usd_2024.toml",
        include_str!("../../scenarios/premium_5usd_2024.toml"),
    ),
    (
        "scenarios/alexa_plus_2025.toml",
        include_str!("../../scenarios/alexa_plus_2025.toml"),
    ),
    (
        "scenarios/status_quo_2022_2028.toml",
        include_str!("../../scenarios/status_quo_2022_2028.toml"),
    ),
    (
        "tests/bad_scenarios/valid/base.toml",
        include_str!("../../tests/bad_scenarios/valid/base.toml"),
    ),
];

#[path = "round_trip.rs"]
mod round_trip;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(args) = std::str::from_utf8(rest) else {
        return;
    };
    let (name, text) = SCENARIOS[pick as usize % SCENARIOS.len()];
    let mut overrides = Vec::new();
    for arg in args.split('\n') {
        match Override::parse(arg) {
            Ok(o) => {
                let _ = (o.key(), o.origin(), o.covers("premium.price_month"));
                overrides.push(o);
            }
            Err(message) => {
                let _ = message;
            }
        }
    }
    if overrides.is_empty() {
        return;
    }
    let scenario = match Scenario::parse(name, text, &overrides) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    round_trip::check(&scenario, args);
});
