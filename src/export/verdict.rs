//! The verdict in words at the top of `run`, `compare` and `sweep` output and reports, for
//! readers who will not read a table.
//!
//! Each sentence is built from the typed results: figures from the statistics, labels of
//! metrics from the metric catalogue ([`crate::engine::metrics`]), amounts from
//! [`crate::format::amount`], and readable names of parameters from [`parameter`], which
//! turns a dotted key into words (`premium.wtp_median` → "willingness to pay for the paid
//! tier (median)").

use crate::decision::Decision;
use crate::engine::Layout;
use crate::engine::metrics::{Better, Unit};
use crate::format::{self, amount, amount_range, escape};
use crate::results::{CompareResults, RunResults, SweepResults};
use crate::scenario::Scenario;

/// Words for the last part of a dotted key (the field), with `{}` for the item it belongs
/// to (a device, a purchase channel, a plan) when the key names one.
const FIELDS: [(&str, &str); 40] = [
    (
        "wtp_median",
        "willingness to pay for the paid tier (median)",
    ),
    (
        "wtp_sigma",
        "spread of willingness to pay for the paid tier",
    ),
    (
        "wtp_activity_elasticity",
        "how willingness to pay rises with usage",
    ),
    (
        "consider_per_month",
        "share of households considering the paid tier each month",
    ),
    ("usage_uplift", "usage uplift of paid-tier subscribers"),
    (
        "conversion_uplift",
        "shopping conversion uplift of paid-tier subscribers",
    ),
    ("prime_share", "share of households with Prime"),
    ("price_month", "monthly price of {}"),
    (
        "serving_cost_per_interaction",
        "serving cost per request of {}",
    ),
    ("fixed_per_year", "fixed cost"),
    ("serving_per_interaction", "serving cost per request"),
    ("uplift", "uplift of ecosystem spend from the devices"),
    ("spend_per_year", "ecosystem spend per household"),
    (
        "attributed_share",
        "share of ecosystem spend attributed to the devices",
    ),
    ("incremental_share", "share of {} the devices really cause"),
    ("potential", "adoption potential"),
    (
        "installed_share",
        "share of households already owning a device",
    ),
    ("innovation", "adoption speed (innovation)"),
    ("imitation", "adoption speed (imitation)"),
    ("devices_at_adoption", "devices per adopting household"),
    ("extra_devices_per_year", "extra devices bought per year"),
    (
        "abandon_per_year",
        "share of households abandoning per year",
    ),
    ("interactions_per_day", "requests per household per day"),
    ("activity_shape", "spread of usage between households"),
    ("novelty_boost", "novelty boost of usage"),
    ("novelty_decay_months", "months the novelty lasts"),
    ("conversion", "conversion of {} requests to orders"),
    ("order_value", "order value of {}"),
    ("margin", "margin of {}"),
    ("attach", "share of households taking {}"),
    ("churn_per_year", "churn of {}"),
    ("unit_cost", "unit cost of the {}"),
    ("price", "price of the {}"),
    ("households", "households in the market"),
    ("discount_rate", "discount rate"),
    ("rate", "discount rate"),
    ("share", "share of {}"),
    ("lifetime_months", "device lifetime"),
    ("launch", "launch of {}"),
    ("included_with_prime", "paid tier included with Prime"),
];

/// A dotted key (or a per-year table's key, or a correlated cluster's keys joined by
/// ` & `) in words: `costs.fixed_per_year.2026` → "fixed cost in 2026",
/// `costs.fixed_per_year` → "fixed cost (every year)", `device.echo_dot.price` → "price of
/// the echo dot". An unknown key is shown with its dots and underscores as spaces.
pub fn parameter(key: &str) -> String {
    if key.contains(" & ") {
        return key
            .split(" & ")
            .map(parameter)
            .collect::<Vec<_>>()
            .join(" and ");
    }
    let parts: Vec<&str> = key.split('.').collect();
    let year = parts
        .last()
        .filter(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
        .copied();
    let parts = if year.is_some() {
        &parts[..parts.len() - 1]
    } else {
        &parts[..]
    };
    let Some((&field, rest)) = parts.split_last() else {
        return key.to_string();
    };
    let item = match rest {
        [_, item, ..] => item.replace('_', " "),
        ["premium"] => "the paid tier".into(),
        [section] => section.replace('_', " "),
        [] => String::new(),
    };
    let words = FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, w)| w.replace("{}", &item))
        .unwrap_or_else(|| key.replace(['.', '_'], " "));
    match year {
        Some(y) => format!("{words} in {y}"),
        None if parts.len() == 2 && field.ends_with("_per_year") && rest == ["costs"] => {
            format!("{words} (every year)")
        }
        None => words,
    }
}

/// `first` to `last` month of the months a scenario reports (its horizon, or a
/// comparison's common months).
fn horizon(s: &Scenario) -> String {
    s.reported().to_string()
}

/// A scalar's label as read inside a sentence ("the device P&L", "the NPV of net,
/// incremental").
fn inside(label: &str) -> String {
    let mut c = label.chars();
    let lowered = match c.next() {
        Some(first) if !label.starts_with("NPV") && !label.contains("P&L") => {
            first.to_lowercase().collect::<String>() + c.as_str()
        }
        _ => label.to_string(),
    };
    format!("the {lowered}")
}

/// `run`: the device P&L over the horizon, what the devices caused downstream, and
/// whether the business breaks even.
pub fn run(r: &RunResults) -> String {
    let l = &r.stats.layout;
    let (Some(pnl), Some(caused)) = (
        r.stats.scalar("device_pnl"),
        r.stats.scalar("downstream_incremental"),
    ) else {
        return String::new();
    };
    let money = Unit::Dollars;
    let breakeven = l.scalar_index("breakeven_month").map(|j| {
        let reached = r.trials.iter().filter(|t| t.scalars[j].is_finite()).count();
        (reached, r.trials.len())
    });
    let ending = match breakeven {
        Some((0, _)) => "the business never breaks even within the horizon".to_string(),
        Some((k, n)) if k == n => {
            "the business breaks even within the horizon in every trial".to_string()
        }
        Some((k, n)) => format!(
            "the business breaks even within the horizon in {} of trials",
            format::percent(k as f64 / n as f64)
        ),
        None => String::new(),
    };
    format!(
        "{}: over {} the device P&L is {} on average (p05–p95 {}); the downstream revenue the devices caused adds {}, and {ending}.\n",
        escape(r.scenario.name()),
        horizon(&r.scenario),
        amount(pnl.mean, money),
        amount_range(pnl.p05, pnl.p95, money),
        amount(caused.mean, money),
    )
}

/// `compare`: what each scenario changes in the decision's metric against the base, and
/// the decision.
pub fn compare(r: &CompareResults) -> String {
    let metric = r
        .decision
        .as_ref()
        .map_or("npv_net_incremental", |d| d.metric.as_str());
    let Some(def) = r.layout.scalar(metric) else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(note) = crate::compare::common_months_note(&r.scenarios) {
        out.push_str(&escape(&note));
        out.push('\n');
    }
    for (i, name) in r.names.iter().enumerate().skip(1) {
        let Some(row) = r
            .rows
            .iter()
            .find(|x| x.metric == metric && x.scenario == *name)
        else {
            continue;
        };
        let d = &row.diff;
        let verb = if d.mean == 0.0 && row.share_better.is_none() {
            out.push_str(&format!(
                "{} leaves {} unchanged in every trial.\n",
                escape(r.scenarios[i].name()),
                inside(&def.label)
            ));
            continue;
        } else if d.mean > 0.0 {
            "raises"
        } else {
            "lowers"
        };
        let mut sentence = format!(
            "{} {verb} {} by {} over {} (p05–p95 of the difference {}; better in {} of trials)",
            escape(r.scenarios[i].name()),
            inside(&def.label),
            amount(d.mean.abs(), def.unit),
            horizon(&r.scenarios[i]),
            amount_range(d.p05, d.p95, def.unit),
            format::percent(row.share_better.unwrap_or(0.0)),
        );
        let never = r
            .rows
            .iter()
            .find(|x| x.metric == "breakeven_month" && x.scenario == *name)
            .is_some_and(|b| !b.stats.p05.is_finite());
        if never {
            sentence.push_str("; the business still does not break even in at least 95% of trials");
        }
        out.push_str(&sentence);
        out.push_str(".\n");
    }
    if let Some(d) = &r.decision {
        let names: Vec<String> = r.scenarios.iter().map(|s| s.name().to_string()).collect();
        out.push_str(&decision(d, &r.layout, "scenario", &names));
    }
    out
}

/// `sweep`: the best point of the decision's metric and what is worth learning first.
pub fn sweep(r: &SweepResults) -> String {
    match &r.decision {
        Some(d) => {
            let names: Vec<String> = r
                .grid
                .iter()
                .map(|point| {
                    r.axes
                        .iter()
                        .zip(point)
                        .map(|(a, &i)| format!("{} = {}", parameter(&a.key), a.values[i]))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            decision(d, &r.layout, "point", &names)
        }
        None => String::new(),
    }
}

/// The decision in words: the chosen option, how often it is the best, what perfect
/// information would be worth and which assumption is worth learning first.
pub fn decision(d: &Decision, layout: &Layout, kind: &str, names: &[String]) -> String {
    let Some(def) = layout.scalar(&d.metric) else {
        return String::new();
    };
    let unit = def.unit;
    let chosen: Vec<(usize, _)> = d.chosen().collect();
    let Some(&(k, best)) = chosen.first() else {
        return String::new();
    };
    let direction = match d.better {
        Better::Higher => "highest",
        Better::Lower => "lowest",
    };
    let who = if chosen.len() > 1 {
        format!(
            "{} (tied)",
            chosen
                .iter()
                .map(|(k, _)| escape(&names[*k]).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        escape(&names[k]).into_owned()
    };
    let mut out = format!(
        "Best {kind} by {} expected {}: {who}, at {}; it is the best in {} of trials.",
        direction,
        inside(&def.label).trim_start_matches("the "),
        amount(best.expected_value, unit),
        format::percent(best.p_best),
    );
    if d.options.len() < 2 || d.evpi.evppi == 0.0 {
        out.push_str(" No uncertainty changes the choice: perfect information is worth nothing.\n");
        return out;
    }
    out.push_str(&format!(
        " Knowing every assumption before choosing would be worth {} (EVPI, the expected regret of this choice)",
        amount(d.evpi.evppi, unit)
    ));
    match d.voi.first() {
        Some(top) if top.evppi > 2.0 * top.se && top.evppi > 0.0 => {
            out.push_str(&format!(
                "; learning the {} first is worth up to {} (± {}).\n",
                parameter(&top.parameter),
                amount(top.evppi, unit),
                amount(top.se, unit)
            ));
        }
        Some(_) => out.push_str(
            "; no single assumption is worth learning first (every EVPPI is within two standard errors of 0).\n",
        ),
        None => out.push_str(".\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_as_words() {
        assert_eq!(
            parameter("premium.wtp_median"),
            "willingness to pay for the paid tier (median)"
        );
        assert_eq!(parameter("costs.fixed_per_year.2026"), "fixed cost in 2026");
        assert_eq!(parameter("costs.fixed_per_year"), "fixed cost (every year)");
        assert_eq!(parameter("device.echo_dot.price"), "price of the echo dot");
        assert_eq!(
            parameter("purchase.voice_shopping.conversion"),
            "conversion of voice shopping requests to orders"
        );
        assert_eq!(
            parameter("adoption.potential & adoption.innovation"),
            "adoption potential and adoption speed (innovation)"
        );
        assert_eq!(parameter("odd.key_name"), "odd key name");
    }
}
