//! The metric catalogue: every metric a run reports, in a fixed order derived from the
//! scenario's names, with what it is.
//!
//! This module is the one owner of the facts about a metric: its name, how it aggregates
//! over time ([`Kind`]), its [`Unit`] (and so whether it is money), which direction is
//! better ([`Better`]) and its human label. Every table, CSV, chart and workbook asks the
//! [`Layout`] (per metric, [`MetricDef`]; per per-trial scalar, [`ScalarDef`]) instead of
//! deciding by name. Every scenario reports the same core metrics (premium and ecosystem
//! metrics are present and zero when those sections are absent), so that scenarios can be
//! compared row by row. Per-device, per-intent, per-channel and per-plan metrics follow
//! their section's order in the file.

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

/// What a metric counts, and how it is shown to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// US dollars; shown in $B.
    Dollars,
    /// Units, households, interactions, orders, subscribers; shown in millions.
    Count,
    /// Months from the start (the breakeven month); shown as is.
    Months,
}

impl Unit {
    /// Factor from the metric's unit to the unit people read (`$B`, `M`).
    pub fn scale(self) -> f64 {
        match self {
            Unit::Dollars => 1e-9,
            Unit::Count => 1e-6,
            Unit::Months => 1.0,
        }
    }

    /// The unit people read, as written in tables and chart axes.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Dollars => "$B",
            Unit::Count => "M",
            Unit::Months => "months",
        }
    }

    /// The unit column of a table: empty for months, which need none beside a month count.
    pub fn column_label(self) -> &'static str {
        match self {
            Unit::Months => "",
            u => u.label(),
        }
    }
}

/// Which direction of a metric is better (for "beats the base" and "best point").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    /// Costs and the breakeven month.
    Lower,
}

impl Better {
    /// True if `a` is strictly better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Better::Higher => a > b,
            Better::Lower => a < b,
        }
    }
}

/// One reported metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDef {
    pub name: String,
    pub kind: Kind,
    pub unit: Unit,
    pub better: Better,
    /// Human label, e.g. "Device P&L".
    pub label: String,
}

impl MetricDef {
    /// In US dollars (these also get an `npv_` scalar).
    pub fn money(&self) -> bool {
        self.unit == Unit::Dollars
    }
}

/// One per-trial scalar: a metric's horizon value, the NPV of a money metric, or the
/// breakeven month.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarDef {
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    pub label: String,
    /// The metric whose horizon value or NPV this is (`None` for the breakeven month).
    pub metric: Option<usize>,
}

impl ScalarDef {
    pub fn money(&self) -> bool {
        self.unit == Unit::Dollars
    }
}

/// Column index of every metric, and the catalogue entry of every metric and scalar.
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
    /// The per-trial scalars: every metric's horizon value, then `npv_<money>`, then
    /// `breakeven_month`.
    pub scalars: Vec<ScalarDef>,
}

/// A core metric's catalogue entry: name, kind, unit, better direction, label.
type Spec = (&'static str, Kind, Unit, Better, &'static str);

use Better::{Higher, Lower};
use Unit::{Count, Dollars};

const ACTIVE_HOUSEHOLDS: Spec = (
    "active_households",
    Kind::Stock,
    Count,
    Higher,
    "Active households (last month)",
);
const NEW_ADOPTERS: Spec = ("new_adopters", Kind::Flow, Count, Higher, "New adopters");
const UNITS_SOLD: Spec = ("units_sold", Kind::Flow, Count, Higher, "Units sold");
const DEVICE_REVENUE: Spec = (
    "device_revenue",
    Kind::Flow,
    Dollars,
    Higher,
    "Device revenue",
);
const DEVICE_COST: Spec = ("device_cost", Kind::Flow, Dollars, Lower, "Device cost");
const HARDWARE_SUBSIDY: Spec = (
    "hardware_subsidy",
    Kind::Flow,
    Dollars,
    Lower,
    "Hardware subsidy",
);
const INTERACTIONS: Spec = ("interactions", Kind::Flow, Count, Higher, "Interactions");
const PREMIUM_SUBSCRIBERS: Spec = (
    "premium_subscribers",
    Kind::Stock,
    Count,
    Higher,
    "Premium subscribers (last month)",
);
const PREMIUM_REVENUE: Spec = (
    "premium_revenue",
    Kind::Flow,
    Dollars,
    Higher,
    "Premium revenue",
);
const PREMIUM_SERVING_COST: Spec = (
    "premium_serving_cost",
    Kind::Flow,
    Dollars,
    Lower,
    "Premium serving cost (LLM)",
);
const SERVING_COST: Spec = ("serving_cost", Kind::Flow, Dollars, Lower, "Serving cost");
const ECOSYSTEM_SPEND: Spec = (
    "ecosystem_spend",
    Kind::Flow,
    Dollars,
    Higher,
    "Ecosystem spend",
);
const FIXED_COST: Spec = ("fixed_cost", Kind::Flow, Dollars, Lower, "Fixed cost");
const DEVICE_PNL: Spec = ("device_pnl", Kind::Flow, Dollars, Higher, "Device P&L");
const DOWNSTREAM_CLAIMED: Spec = (
    "downstream_claimed",
    Kind::Flow,
    Dollars,
    Higher,
    "Downstream claimed",
);
const DOWNSTREAM_INCREMENTAL: Spec = (
    "downstream_incremental",
    Kind::Flow,
    Dollars,
    Higher,
    "Downstream incremental",
);
const NET_CLAIMED: Spec = ("net_claimed", Kind::Flow, Dollars, Higher, "Net, claimed");
const NET_INCREMENTAL: Spec = (
    "net_incremental",
    Kind::Flow,
    Dollars,
    Higher,
    "Net, incremental",
);

/// Per-item metrics: prefix, kind, unit and label; the item's name follows (`units_echo_dot`,
/// "Units sold, echo_dot").
const UNITS: (&str, Kind, Unit, &str) = ("units", Kind::Flow, Count, "Units sold");
const BY_INTENT: (&str, Kind, Unit, &str) = ("interactions", Kind::Flow, Count, "Interactions");
const ORDERS: (&str, Kind, Unit, &str) = ("orders", Kind::Flow, Count, "Orders");
const GMV: (&str, Kind, Unit, &str) = ("gmv", Kind::Flow, Dollars, "GMV");
const MARGIN: (&str, Kind, Unit, &str) = ("margin", Kind::Flow, Dollars, "Margin");
const BUYERS: (&str, Kind, Unit, &str) = ("buyers", Kind::Buyers, Count, "Buyers");
const SUBSCRIBERS: (&str, Kind, Unit, &str) = ("subscribers", Kind::Stock, Count, "Subscribers");
const REVENUE: (&str, Kind, Unit, &str) = ("revenue", Kind::Flow, Dollars, "Revenue");

/// The sections whose items (by their names) get metrics of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Device,
    Intent,
    Purchase,
    Subscription,
}

/// What a metric is derived from: a core metric of every scenario, or the item at an index
/// of a section (whose name the metric's name ends with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Core,
    Item(Section, usize),
}

/// The names a scenario gives the items of each section, in file order: what per-item
/// metrics are named after.
#[derive(Clone, Debug, Default)]
pub struct ItemNames<'a> {
    pub devices: Vec<&'a str>,
    pub intents: Vec<&'a str>,
    pub purchases: Vec<&'a str>,
    pub subscriptions: Vec<&'a str>,
}

impl<'a> ItemNames<'a> {
    fn of(s: &'a Scenario) -> Self {
        ItemNames {
            devices: s.device_names().collect(),
            intents: s.intent_names().collect(),
            purchases: s.purchase_names().collect(),
            subscriptions: s.subscription_names().collect(),
        }
    }
}

/// Two metrics or scalars that the names of a scenario would give the same name (a column
/// of the result files and a key of `--format json`): the item `second` must be renamed.
#[derive(Clone, Debug, PartialEq)]
pub struct Clash {
    pub name: String,
    /// A core metric, or the item that uses the name first.
    pub first: Origin,
    /// The human label of the first, e.g. "Units sold".
    pub first_label: String,
    /// The section and index of the item to rename.
    pub second: (Section, usize),
}

/// Every clash between the metric and scalar names the items' names derive, once per pair
/// of origins. Two items of one section with the same name are not reported here (they are
/// duplicate names).
pub fn clashes(items: &ItemNames) -> Vec<Clash> {
    let (layout, origins) = Layout::build(items);
    let origin = |d: &ScalarDef| d.metric.map_or(Origin::Core, |m| origins[m]);
    let mut found: Vec<Clash> = Vec::new();
    for (j, b) in layout.scalars.iter().enumerate() {
        let Some(a) = layout.scalars[..j].iter().find(|a| a.name == b.name) else {
            continue;
        };
        // The item is the one to rename, whichever of the two comes first.
        let (first, label, second) = match (origin(a), origin(b)) {
            (Origin::Item(x, _), Origin::Item(y, _)) if x == y => continue,
            (first, Origin::Item(s, i)) => (first, &a.label, (s, i)),
            (Origin::Item(s, i), Origin::Core) => (Origin::Core, &b.label, (s, i)),
            (Origin::Core, Origin::Core) => continue,
        };
        if found.iter().any(|c| (c.first, c.second) == (first, second)) {
            continue;
        }
        found.push(Clash {
            name: b.name.clone(),
            first,
            first_label: label.clone(),
            second,
        });
    }
    found
}

/// Collects the catalogue in column order, with each metric's origin.
#[derive(Default)]
struct Catalogue(Vec<MetricDef>, Vec<Origin>);

impl Catalogue {
    fn core(&mut self, (name, kind, unit, better, label): Spec) -> usize {
        self.push(name.into(), kind, unit, better, label.into(), Origin::Core)
    }

    fn per(
        &mut self,
        (prefix, kind, unit, label): (&str, Kind, Unit, &str),
        section: Section,
        (index, item): (usize, &str),
    ) -> usize {
        self.push(
            format!("{prefix}_{item}"),
            kind,
            unit,
            Higher,
            format!("{label}, {item}"),
            Origin::Item(section, index),
        )
    }

    fn push(
        &mut self,
        name: String,
        kind: Kind,
        unit: Unit,
        better: Better,
        label: String,
        origin: Origin,
    ) -> usize {
        self.0.push(MetricDef {
            name,
            kind,
            unit,
            better,
            label,
        });
        self.1.push(origin);
        self.0.len() - 1
    }

    /// The per-trial scalars: every metric's horizon value, then the NPV of every money
    /// metric, then the breakeven month.
    fn scalars(&self) -> Vec<ScalarDef> {
        let horizon = self.0.iter().enumerate().map(|(i, d)| ScalarDef {
            name: d.name.clone(),
            unit: d.unit,
            better: d.better,
            label: d.label.clone(),
            metric: Some(i),
        });
        let npv = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, d)| d.money())
            .map(|(i, d)| ScalarDef {
                name: format!("npv_{}", d.name),
                unit: d.unit,
                better: d.better,
                label: format!("NPV of {}", lower_first(&d.label)),
                metric: Some(i),
            });
        let mut scalars: Vec<ScalarDef> = horizon.chain(npv).collect();
        scalars.push(ScalarDef {
            name: "breakeven_month".into(),
            unit: Unit::Months,
            better: Lower,
            label: "Breakeven month (from start)".into(),
            metric: None,
        });
        scalars
    }
}

/// "Net, incremental" → "net, incremental", for "NPV of net, incremental".
fn lower_first(label: &str) -> String {
    let mut c = label.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Layout {
    pub fn new(s: &Scenario) -> Layout {
        Layout::build(&ItemNames::of(s)).0
    }

    /// The layout of a scenario with these item names, and the origin of each metric.
    fn build(items: &ItemNames) -> (Layout, Vec<Origin>) {
        use Section::{Device, Intent, Purchase, Subscription};
        let mut c = Catalogue::default();
        fn named<'n>(names: &[&'n str]) -> Vec<(usize, &'n str)> {
            names.iter().copied().enumerate().collect()
        }
        let active_households = c.core(ACTIVE_HOUSEHOLDS);
        let new_adopters = c.core(NEW_ADOPTERS);
        let units_sold = c.core(UNITS_SOLD);
        let units = named(&items.devices)
            .into_iter()
            .map(|d| c.per(UNITS, Device, d))
            .collect();
        let device_revenue = c.core(DEVICE_REVENUE);
        let device_cost = c.core(DEVICE_COST);
        let hardware_subsidy = c.core(HARDWARE_SUBSIDY);
        let interactions = c.core(INTERACTIONS);
        let interactions_by_intent = named(&items.intents)
            .into_iter()
            .map(|k| c.per(BY_INTENT, Intent, k))
            .collect();
        let (mut orders, mut gmv, mut margin, mut buyers) = (vec![], vec![], vec![], vec![]);
        for p in named(&items.purchases) {
            orders.push(c.per(ORDERS, Purchase, p));
            gmv.push(c.per(GMV, Purchase, p));
            margin.push(c.per(MARGIN, Purchase, p));
            buyers.push(c.per(BUYERS, Purchase, p));
        }
        let (mut subscribers, mut revenue) = (vec![], vec![]);
        for p in named(&items.subscriptions) {
            subscribers.push(c.per(SUBSCRIBERS, Subscription, p));
            revenue.push(c.per(REVENUE, Subscription, p));
        }
        let layout = Layout {
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
            premium_subscribers: c.core(PREMIUM_SUBSCRIBERS),
            premium_revenue: c.core(PREMIUM_REVENUE),
            premium_serving_cost: c.core(PREMIUM_SERVING_COST),
            serving_cost: c.core(SERVING_COST),
            ecosystem_spend: c.core(ECOSYSTEM_SPEND),
            fixed_cost: c.core(FIXED_COST),
            device_pnl: c.core(DEVICE_PNL),
            downstream_claimed: c.core(DOWNSTREAM_CLAIMED),
            downstream_incremental: c.core(DOWNSTREAM_INCREMENTAL),
            net_claimed: c.core(NET_CLAIMED),
            net_incremental: c.core(NET_INCREMENTAL),
            scalars: c.scalars(),
            defs: c.0,
        };
        (layout, c.1)
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
        self.scalars.iter().position(|d| d.name == name)
    }

    /// The catalogue entry of a scalar by name.
    pub fn scalar(&self, name: &str) -> Option<&ScalarDef> {
        self.scalars.iter().find(|d| d.name == name)
    }

    /// The scalars' names, in column order.
    pub fn scalar_names(&self) -> impl Iterator<Item = &str> {
        self.scalars.iter().map(|d| d.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_collide_are_found_once_per_pair() {
        let items = ItemNames {
            devices: vec!["dot", "sold"],
            intents: vec!["music"],
            purchases: vec!["shop"],
            subscriptions: vec![],
        };
        let found = clashes(&items);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name, "units_sold");
        assert_eq!(found[0].first, Origin::Core);
        assert_eq!(found[0].first_label, "Units sold");
        assert_eq!(found[0].second, (Section::Device, 1));
        let fine = ItemNames {
            devices: vec!["dot", "show"],
            ..items
        };
        assert!(clashes(&fine).is_empty());
    }

    #[test]
    fn catalogue_knows_money_costs_and_labels() {
        let s = Scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/echo_2017_2021.toml"),
            &[],
        )
        .unwrap();
        let l = Layout::new(&s);
        let npv = l.scalar("npv_net_incremental").unwrap();
        assert_eq!(npv.unit, Unit::Dollars);
        assert_eq!(npv.label, "NPV of net, incremental");
        assert_eq!(npv.metric, Some(l.net_incremental));
        assert_eq!(l.scalar("npv_fixed_cost").unwrap().better, Better::Lower);
        assert_eq!(l.scalar("breakeven_month").unwrap().better, Better::Lower);
        assert_eq!(l.scalar("breakeven_month").unwrap().unit, Unit::Months);
        assert_eq!(l.scalar("units_sold").unwrap().unit, Unit::Count);
        assert!(l.defs[l.gmv[0]].money() && !l.defs[l.orders[0]].money());
        assert!(Better::Lower.better(1.0, 2.0) && !Better::Lower.better(2.0, 2.0));
        // Every money metric has its NPV, and nothing else does.
        let npvs = l
            .scalars
            .iter()
            .filter(|d| d.name.starts_with("npv_"))
            .count();
        assert_eq!(npvs, l.defs.iter().filter(|d| d.money()).count());
    }
}
