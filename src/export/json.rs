//! `run --format json`: the figures of a run as JSON on stdout; undefined values are
//! `null`.

use crate::results::RunResults;

/// The scalars' statistics and the run's settings.
pub fn summary(r: &RunResults) -> String {
    let scenario = &r.scenario;
    let sim = scenario.simulation();
    let stat = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    let metrics: serde_json::Map<String, serde_json::Value> = r
        .stats
        .layout
        .scalar_names()
        .zip(&r.stats.summary)
        .zip(&r.stats.household_noise_share)
        .map(|((name, s), &noise)| {
            (
                name.to_string(),
                serde_json::json!({
                    "mean": stat(s.mean), "sd": stat(s.sd),
                    "p05": stat(s.p05), "p50": stat(s.p50), "p95": stat(s.p95),
                    "mean_se": stat(s.se()), "mean_ci95_half_width": stat(s.ci95_half_width()),
                    "household_noise_share": stat(noise)
                }),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "scenario": scenario.name(),
        "start": scenario.start().to_string(),
        "months": scenario.months(),
        "households": sim.households,
        "trials": r.trials.len(),
        "seed": sim.seed,
        "scalars": metrics,
    });
    serde_json::to_string_pretty(&doc).expect("JSON of plain values") + "\n"
}
