//! The settings of a result as label/value rows: what every report (the HTML page, the
//! workbook's charts sheet) shows first about the scenario and the run that produced it.

use crate::format;
use crate::results::Results;

/// Label and value rows of the run settings: the period, the paid tier (when its price is
/// a plain number), the run facts, the market size (when a plain number), the threads,
/// the wall time and the tool version.
pub fn rows(results: &Results) -> Vec<(String, String)> {
    let scenario = results.scenario();
    let run = results.facts().raw();
    let mut rows = Vec::new();
    let mut add = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            rows.push((label.to_string(), v));
        }
    };
    add(
        "Period",
        // The months reported: the horizon, or a comparison's common months.
        Some(format!(
            "{} ({} months)",
            scenario.reported(),
            scenario.reported().months()
        )),
    );
    add(
        "Paid tier",
        scenario
            .premium_price()
            .and_then(|p| p.fixed())
            .map(|price| {
                let launch = scenario
                    .premium_launch()
                    .map(|l| format!(" from {l}"))
                    .unwrap_or_default();
                let prime = match scenario.premium_included_with_prime() {
                    Some(true) => ", free with Prime",
                    Some(false) => ", not included with Prime",
                    None => "",
                };
                format!("${}/month{launch}{prime}", format::price(price))
            }),
    );
    add("Seed", run.seed.map(|x| x.to_string()));
    add("Trials", run.trials.map(|x| x.to_string()));
    add("Sample households", run.households.map(|x| x.to_string()));
    add(
        "Market households",
        scenario
            .market_households()
            .fixed()
            .map(|x| format!("{} M", crate::format::millions(x))),
    );
    add("Threads", run.threads.map(|x| x.to_string()));
    add(
        "Wall time",
        run.wall_seconds.map(|s| format!("{} s", toml_float(s))),
    );
    add("Tool version", run.tool_version);
    rows
}

/// A float as TOML writes it (`12.0`, `0.25`), as `scenario.resolved.toml` shows it.
fn toml_float(x: f64) -> String {
    toml::Value::Float(x).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Control, Input, Job, Settings, execute};

    fn results(set: &[&str]) -> Results {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/premium_5usd_2024.toml");
        let job = Job::Run {
            input: Input::read(&path).unwrap(),
            settings: Settings {
                households: Some(300),
                trials: Some(3),
                seed: Some(7),
                set: set.iter().map(|s| s.to_string()).collect(),
                ..Settings::default()
            },
        };
        execute(&job, &Control::none()).unwrap()
    }

    fn value<'a>(rows: &'a [(String, String)], label: &str) -> Option<&'a str> {
        rows.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn settings_of_a_run() {
        let mut r = results(&[]);
        if let Results::Run(run) = &mut r {
            run.facts.wall_seconds = 12.0;
        }
        let rows = rows(&r);
        let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Period",
                "Paid tier",
                "Seed",
                "Trials",
                "Sample households",
                "Market households",
                "Threads",
                "Wall time",
                "Tool version"
            ]
        );
        assert_eq!(
            value(&rows, "Period"),
            Some("2022-01 to 2028-12 (84 months)")
        );
        assert_eq!(
            value(&rows, "Paid tier"),
            Some("$5/month from 2024-07, not included with Prime")
        );
        assert_eq!(value(&rows, "Seed"), Some("7"));
        assert_eq!(value(&rows, "Trials"), Some("3"));
        assert_eq!(value(&rows, "Sample households"), Some("300"));
        assert_eq!(value(&rows, "Market households"), Some("300.0 M"));
        assert_eq!(value(&rows, "Wall time"), Some("12.0 s"));
    }

    #[test]
    fn uncertain_values_have_no_row() {
        let r = results(&[
            "premium.price_month={ dist = \"uniform\", min = 4, max = 6 }",
            "market.households={ dist = \"uniform\", min = 2e8, max = 3e8 }",
            "premium.included_with_prime=true",
        ]);
        let shown = rows(&r);
        assert_eq!(value(&shown, "Paid tier"), None);
        assert_eq!(value(&shown, "Market households"), None);
        let r = results(&[
            "premium.price_month=7.5",
            "premium.included_with_prime=true",
        ]);
        assert_eq!(
            value(&rows(&r), "Paid tier"),
            Some("$7.50/month from 2024-07, free with Prime")
        );
    }

    #[test]
    fn floats_read_as_in_the_resolved_scenario() {
        assert_eq!(toml_float(12.0), "12.0");
        assert_eq!(toml_float(0.125), "0.125");
        assert_eq!(toml_float(1234.5), "1234.5");
    }
}
