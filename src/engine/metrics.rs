//! The metrics a run reports, in a fixed order derived from the scenario's names.
//!
//! Every scenario reports the same core metrics (premium and ecosystem metrics are present
//! and zero when those sections are absent), so that scenarios can be compared row by row.
//! [`Layout`] gives each metric its column; per-device, per-intent, per-channel and per-plan
//! metrics follow their section's order in the file.

use crate::scenario::Scenario;

/// How a metric aggregates over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Summed over months (units, money, counts).
    Flow,
    /// A level: a year or the horizon reports its last month.
    Stock,
    /// Distinct households with an order in the period (counted once per household).
    Buyers,
}

/// One reported metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDef {
    pub name: String,
    pub kind: Kind,
    /// In US dollars (these also get an `npv_` scalar).
    pub money: bool,
}

/// Column index of every metric.
#[derive(Clone, Debug)]
pub struct Layout {
    pub defs: Vec<MetricDef>,
    pub active_households: usize,
    pub new_adopters: usize,
    pub units_sold: usize,
    pub units: Vec<usize>,
    pub device_revenue: usize,
    pub device_cost: usize,
    pub hardware_subsidy: usize,
    pub interactions: usize,
    pub interactions_by_intent: Vec<usize>,
    /// Per purchase channel: orders, gmv, margin, buyers.
    pub orders: Vec<usize>,
    pub gmv: Vec<usize>,
    pub margin: Vec<usize>,
    pub buyers: Vec<usize>,
    /// Per plan: subscribers, revenue.
    pub subscribers: Vec<usize>,
    pub revenue: Vec<usize>,
    pub premium_subscribers: usize,
    pub premium_revenue: usize,
    pub premium_serving_cost: usize,
    pub serving_cost: usize,
    pub ecosystem_spend: usize,
    pub fixed_cost: usize,
    pub device_pnl: usize,
    pub downstream_claimed: usize,
    pub downstream_incremental: usize,
    pub net_claimed: usize,
    pub net_incremental: usize,
    /// Names of the per-trial scalars: every metric's horizon value, then `npv_<money>`,
    /// then `breakeven_month`.
    pub scalars: Vec<String>,
}

impl Layout {
    pub fn new(s: &Scenario) -> Layout {
        let mut defs = Vec::new();
        let mut add = |name: String, kind: Kind, money: bool| {
            defs.push(MetricDef { name, kind, money });
            defs.len() - 1
        };
        let active_households = add("active_households".into(), Kind::Stock, false);
        let new_adopters = add("new_adopters".into(), Kind::Flow, false);
        let units_sold = add("units_sold".into(), Kind::Flow, false);
        let units = s
            .device_names()
            .map(|d| add(format!("units_{d}"), Kind::Flow, false))
            .collect();
        let device_revenue = add("device_revenue".into(), Kind::Flow, true);
        let device_cost = add("device_cost".into(), Kind::Flow, true);
        let hardware_subsidy = add("hardware_subsidy".into(), Kind::Flow, true);
        let interactions = add("interactions".into(), Kind::Flow, false);
        let interactions_by_intent = s
            .intent_names()
            .map(|k| add(format!("interactions_{k}"), Kind::Flow, false))
            .collect();
        let (mut orders, mut gmv, mut margin, mut buyers) = (vec![], vec![], vec![], vec![]);
        for p in s.purchase_names() {
            orders.push(add(format!("orders_{p}"), Kind::Flow, false));
            gmv.push(add(format!("gmv_{p}"), Kind::Flow, true));
            margin.push(add(format!("margin_{p}"), Kind::Flow, true));
            buyers.push(add(format!("buyers_{p}"), Kind::Buyers, false));
        }
        let (mut subscribers, mut revenue) = (vec![], vec![]);
        for p in s.subscription_names() {
            subscribers.push(add(format!("subscribers_{p}"), Kind::Stock, false));
            revenue.push(add(format!("revenue_{p}"), Kind::Flow, true));
        }
        let premium_subscribers = add("premium_subscribers".into(), Kind::Stock, false);
        let premium_revenue = add("premium_revenue".into(), Kind::Flow, true);
        let premium_serving_cost = add("premium_serving_cost".into(), Kind::Flow, true);
        let serving_cost = add("serving_cost".into(), Kind::Flow, true);
        let ecosystem_spend = add("ecosystem_spend".into(), Kind::Flow, true);
        let fixed_cost = add("fixed_cost".into(), Kind::Flow, true);
        let device_pnl = add("device_pnl".into(), Kind::Flow, true);
        let downstream_claimed = add("downstream_claimed".into(), Kind::Flow, true);
        let downstream_incremental = add("downstream_incremental".into(), Kind::Flow, true);
        let net_claimed = add("net_claimed".into(), Kind::Flow, true);
        let net_incremental = add("net_incremental".into(), Kind::Flow, true);
        let mut scalars: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
        scalars.extend(
            defs.iter()
                .filter(|d| d.money)
                .map(|d| format!("npv_{}", d.name)),
        );
        scalars.push("breakeven_month".into());
        Layout {
            defs,
            active_households,
            new_adopters,
            units_sold,
            units,
            device_revenue,
            device_cost,
            hardware_subsidy,
            interactions,
            interactions_by_intent,
            orders,
            gmv,
            margin,
            buyers,
            subscribers,
            revenue,
            premium_subscribers,
            premium_revenue,
            premium_serving_cost,
            serving_cost,
            ecosystem_spend,
            fixed_cost,
            device_pnl,
            downstream_claimed,
            downstream_incremental,
            net_claimed,
            net_incremental,
            scalars,
        }
    }

    /// Number of metrics (columns of a month or a year).
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Column of a metric by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.defs.iter().position(|d| d.name == name)
    }

    /// Column of a scalar by name.
    pub fn scalar_index(&self, name: &str) -> Option<usize> {
        self.scalars.iter().position(|d| d == name)
    }
}

/// Whether a larger value of a scalar is better (for "beats the base" and "best point"):
/// false for costs and for the breakeven month, true for everything else.
pub fn higher_is_better(scalar: &str) -> bool {
    let metric = scalar.strip_prefix("npv_").unwrap_or(scalar);
    !matches!(
        metric,
        "device_cost"
            | "hardware_subsidy"
            | "serving_cost"
            | "premium_serving_cost"
            | "fixed_cost"
            | "breakeven_month"
    )
}
