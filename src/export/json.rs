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
        .map(|(name, s)| {
            (
                name.to_string(),
                serde_json::json!({
                    "mean": stat(s.mean), "sd": stat(s.sd),
                    "p05": stat(s.p05), "p50": stat(s.p50), "p95": stat(s.p95),
                    "mean_se": stat(s.se()), "mean_ci95_half_width": stat(s.ci95_half_width())
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

/// The decision view and the value of information of a comparison or sweep, for the JSON
/// of `compare` and `sweep`: `{"metric", "better", "options": [{"option",
/// "expected_value", "p_best", "expected_regret", "chosen"}], "evpi": {"evppi",
/// "evppi_se"}, "voi": [{"parameter", "evppi", "evppi_se", "clipped"}]}` (the columns of
/// `decision.csv` and `voi.csv`); undefined values are `null`.
pub fn decision(d: &crate::decision::Decision) -> serde_json::Value {
    let num = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    let voi = |v: &crate::decision::Voi| {
        serde_json::json!({
            "parameter": v.parameter, "evppi": num(v.evppi), "evppi_se": num(v.se),
            "clipped": v.clipped
        })
    };
    serde_json::json!({
        "metric": d.metric,
        "better": match d.better {
            crate::engine::metrics::Better::Higher => "higher",
            crate::engine::metrics::Better::Lower => "lower",
        },
        "options": d.options.iter().map(|o| serde_json::json!({
            "option": o.option, "expected_value": num(o.expected_value),
            "p_best": num(o.p_best), "expected_regret": num(o.expected_regret),
            "chosen": o.chosen
        })).collect::<Vec<_>>(),
        "evpi": voi(&d.evpi),
        "voi": d.voi.iter().map(voi).collect::<Vec<_>>(),
    })
}
