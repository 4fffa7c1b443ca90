//! The raw layer: serde structs that mirror the TOML scenario format one to one.
//!
//! Nothing here is validated beyond its TOML type; every struct denies unknown keys so
//! that a typo is an error, never silently ignored. [`super::Scenario`] is built from
//! these by validation, and turned back into them to write `scenario.resolved.toml`.
//! Only this module knows the file format: the JSON Schema of `downstream schema` is
//! derived from these types too.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The value an optional key takes when a file leaves it out. Validation writes each one
/// into the raw form it validates, so `scenario.resolved.toml` shows exactly what ran.
pub mod defaults {
    /// `[market] prime_share`.
    pub const PRIME_SHARE: f64 = 0.0;
    /// `[usage] novelty_boost`.
    pub const NOVELTY_BOOST: f64 = 0.0;
    /// `[usage] novelty_decay_months`.
    pub const NOVELTY_DECAY_MONTHS: f64 = 1.0;
    /// `[[subscription]] in_device_pnl`.
    pub const IN_DEVICE_PNL: bool = false;
    /// `[premium] included_with_prime`.
    pub const INCLUDED_WITH_PRIME: bool = false;
    /// `[premium] wtp_activity_elasticity`.
    pub const WTP_ACTIVITY_ELASTICITY: f64 = 0.0;
    /// `[premium] usage_uplift`.
    pub const USAGE_UPLIFT: f64 = 1.0;
    /// `[premium] conversion_uplift`.
    pub const CONVERSION_UPLIFT: f64 = 1.0;
    /// `[finance] discount_rate`.
    pub const DISCOUNT_RATE: f64 = 0.0;
    /// `[simulation] households`.
    pub const HOUSEHOLDS: u64 = 200_000;
    /// `[simulation] trials`.
    pub const TRIALS: u64 = 200;
    /// `[simulation] seed`.
    pub const SEED: u64 = 1;
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "downstream scenario",
    description = "One scenario of the downstream simulator (see docs/scenario-format.md)."
)]
pub struct RawScenario {
    /// [scenario]: the name and horizon (start month and months).
    pub scenario: RawMeta,
    /// [simulation]: households per trial, trials, seed and sampling method (all optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub simulation: Option<RawSimulation>,
    /// [market]: the real households the sample stands for, and the Prime share.
    pub market: RawMarket,
    /// [adoption]: the Bass diffusion of adoption, units per household and abandonment.
    pub adoption: RawAdoption,
    /// Device models sold; at least one, mixes summing to 1.
    #[serde(default)]
    pub device: Vec<RawDevice>,
    /// [usage]: interactions per household per day, heterogeneity and novelty.
    pub usage: RawUsage,
    /// Base share of interactions per intent (any snake_case names), summing to 1.
    pub intents: NamedNumbers,
    /// Orders placed through an intent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purchase: Vec<RawPurchase>,
    /// Plans a household may attach when it adopts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscription: Vec<RawSubscription>,
    /// [ecosystem]: retail spend of households and how much owning a device raises it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<RawEcosystem>,
    /// [premium]: a paid assistant tier (launch month, price, willingness to pay, churn, its extra serving cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium: Option<RawPremium>,
    /// [costs]: serving cost per interaction and fixed costs per year.
    pub costs: RawCosts,
    /// [finance]: the discount rate of the NPV figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finance: Option<RawFinance>,
    /// Rank correlations between uncertain parameters (Iman–Conover).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub correlation: Vec<RawCorrelation>,
    /// Written by `run` into `scenario.resolved.toml`; ignored when loading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RawRun>,
}

/// Facts about the run that wrote a `scenario.resolved.toml`; ignored when loading.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// The version of downstream that ran.
    pub tool_version: Option<String>,
    /// The seed the run used.
    pub seed: Option<i64>,
    /// Households per trial of the run.
    pub households: Option<i64>,
    /// Trials of the run.
    pub trials: Option<i64>,
    /// Worker threads of the run (results do not depend on it).
    pub threads: Option<i64>,
    /// Wall time of the simulation, in seconds.
    pub wall_seconds: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Free text shown in reports.
    pub name: String,
    /// Optional free text about the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// First simulated month, "YYYY-MM".
    pub start: String,
    /// Horizon in months.
    pub months: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Simulated sample households per trial (default 200000).
    pub households: Option<i64>,
    /// Draws of the uncertain parameters (default 200).
    pub trials: Option<i64>,
    /// Master seed (default 1).
    pub seed: Option<i64>,
    /// How trials draw the uncertain parameters: "mc" (plain Monte Carlo, default) or
    /// "lhs" (Latin hypercube in blocks of 100 trials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<String>,
}

/// A rank correlation between two uncertain parameters (`between` and `rank`), or a full
/// matrix among several (`between` and `matrix`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    /// Dotted keys of uncertain parameters, e.g. "adoption.potential".
    pub between: Vec<String>,
    /// Spearman rank correlation of the two parameters, from -1 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<f64>,
    /// Rank correlation matrix of the parameters, in `between` order: symmetric, ones on
    /// the diagonal, positive semi-definite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<Vec<Vec<f64>>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    /// Real households the sample stands for.
    pub households: RawValue,
    /// Share with a Prime membership (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prime_share: Option<RawValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdoption {
    /// Share of households already active at month 0.
    pub installed_share: RawValue,
    /// Bass m: share of the other households that ever adopt.
    pub potential: RawValue,
    /// Bass p, per year: adoption from outside influence.
    pub innovation: RawValue,
    /// Bass q, per year: adoption from imitating adopters.
    pub imitation: RawValue,
    /// Mean device units a household buys when it adopts.
    pub devices_at_adoption: RawValue,
    /// Later device units per active household per year.
    pub extra_devices_per_year: RawValue,
    /// Chance per year that an active household stops using its devices.
    pub abandon_per_year: RawValue,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDevice {
    /// The model's name (1-64 characters, no dots), unique; it names the metrics units_<name>.
    pub name: String,
    /// Share of units sold that are this model (a plain number); the mixes sum to 1.
    pub mix: f64,
    /// Average realised price per unit, in dollars (may be a per-year table).
    pub price: RawYearly,
    /// Cost per unit (build, fulfilment, marketing), in dollars (may be a per-year table).
    pub unit_cost: RawYearly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUsage {
    /// Mean daily interactions of an active household.
    pub interactions_per_day: RawValue,
    /// Gamma shape k of household activity (absent: every household equally active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_shape: Option<RawValue>,
    /// Extra relative usage of a new household (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub novelty_boost: Option<RawValue>,
    /// Time constant of the novelty fade, in months (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub novelty_decay_months: Option<RawValue>,
    /// Dirichlet concentration of household intent mixes (absent: every household has the base mix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix_concentration: Option<RawValue>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPurchase {
    /// The channel's name (1-64 characters, no dots), unique; it names orders_/gmv_/margin_/buyers_<name>.
    pub name: String,
    /// The intent (a key of [intents]) whose interactions can convert into orders.
    pub intent: String,
    /// Share of the intent's interactions that place an order.
    pub conversion: RawValue,
    /// Median order value, in dollars.
    pub order_value: RawValue,
    /// Lognormal sigma of order values.
    pub order_value_sigma: RawValue,
    /// Contribution margin on order value (a share).
    pub margin: RawValue,
    /// Share of orders the device really caused.
    pub incremental_share: RawValue,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSubscription {
    /// The plan's name (1-64 characters, no dots), unique; it names subscribers_/revenue_<name>.
    pub name: String,
    /// Chance the plan attaches when a household adopts.
    pub attach: RawValue,
    /// Price paid each subscribed active month, in dollars (may be a per-year table).
    pub price_month: RawYearly,
    /// Chance per year that a subscriber cancels.
    pub churn_per_year: RawValue,
    /// Contribution margin of the plan's revenue (a share).
    pub margin: RawValue,
    /// Share of the plan's revenue the device really caused.
    pub incremental_share: RawValue,
    /// true: the devices business books the revenue (in device_pnl, not downstream); default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_device_pnl: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEcosystem {
    /// Mean yearly retail spend of a household without the device, in dollars.
    pub spend_per_year: RawValue,
    /// Lognormal sigma of household spend.
    pub spend_sigma: RawValue,
    /// Contribution margin of that spend (a share).
    pub margin: RawValue,
    /// True relative rise in spend caused by owning a device.
    pub uplift: RawValue,
    /// Share of spend a downstream-impact metric credits to the device.
    pub attributed_share: RawValue,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPremium {
    /// First month of the paid tier, "YYYY-MM".
    pub launch: String,
    /// Price of the tier per month, in dollars.
    pub price_month: RawValue,
    /// true: Prime households get the tier at no charge; default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_with_prime: Option<bool>,
    /// Median willingness to pay per month, in dollars.
    pub wtp_median: RawValue,
    /// Lognormal sigma of willingness to pay.
    pub wtp_sigma: RawValue,
    /// How much more heavier users value the tier (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wtp_activity_elasticity: Option<RawValue>,
    /// Chance per month that a non-subscriber considers the tier.
    pub consider_per_month: RawValue,
    /// Chance per year that a subscriber cancels.
    pub churn_per_year: RawValue,
    /// Usage multiplier while subscribed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_uplift: Option<RawValue>,
    /// Purchase-conversion multiplier while subscribed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion_uplift: Option<RawValue>,
    /// Extra (LLM) cost per interaction while subscribed, in dollars (may be a per-year table).
    pub serving_cost_per_interaction: RawYearly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCosts {
    /// Base cost to serve any interaction, in dollars (may be a per-year table).
    pub serving_cost_per_interaction: RawYearly,
    /// Fixed costs per year (staff, R&D, marketing), in dollars (may be a per-year table).
    pub fixed_per_year: RawYearly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFinance {
    /// Annual discount rate of the npv_* figures (default 0).
    pub discount_rate: RawValue,
}

/// A distribution of an uncertain value, tagged by `dist`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum RawDist {
    Uniform {
        /// Lower bound (uniform, triangular, pert; optional truncation of a normal; optional bound of a metalog).
        min: f64,
        /// Upper bound (uniform, triangular, pert; optional truncation of a normal; optional bound of a metalog).
        max: f64,
    },
    Triangular {
        min: f64,
        /// Most likely value (triangular, pert).
        mode: f64,
        max: f64,
    },
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    Normal {
        /// Mean (normal).
        mean: f64,
        /// Standard deviation (normal).
        sd: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    Lognormal {
        /// Median (lognormal).
        median: f64,
        /// Standard deviation of the logarithm (lognormal).
        sigma: f64,
    },
    Beta {
        /// First shape parameter (beta), e.g. successes + 1.
        alpha: f64,
        /// Second shape parameter (beta), e.g. failures + 1.
        beta: f64,
    },
    Gamma {
        /// Shape k (gamma).
        shape: f64,
        /// Scale theta (gamma); the mean is shape * scale.
        scale: f64,
    },
    /// A metalog through elicited quantiles: `p10`, `p50` and `p90`, or 3 to 9
    /// `quantiles` as [probability, value] pairs; `min` and/or `max` bound it.
    Metalog {
        /// 10th percentile (the "low" value).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p10: Option<f64>,
        /// 50th percentile (the "base" value).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p50: Option<f64>,
        /// 90th percentile (the "high" value).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p90: Option<f64>,
        /// Instead of p10/p50/p90: 3 to 9 [probability, value] pairs, probabilities
        /// strictly increasing in (0, 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(length(min = 3, max = 9))]
        quantiles: Option<Vec<[f64; 2]>>,
        /// Lower bound (log-metalog, or logit-metalog with `max`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Upper bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
}

impl RawDist {
    /// The name of the form, as `dist` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            RawDist::Uniform { .. } => "uniform",
            RawDist::Triangular { .. } => "triangular",
            RawDist::Pert { .. } => "pert",
            RawDist::Normal { .. } => "normal",
            RawDist::Lognormal { .. } => "lognormal",
            RawDist::Beta { .. } => "beta",
            RawDist::Gamma { .. } => "gamma",
            RawDist::Metalog { .. } => "metalog",
        }
    }
}

/// A model parameter: a plain number or an uncertain value drawn once per trial.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    Number(f64),
    Dist(RawDist),
}

/// A parameter that may also be given per calendar year: `{ 2017 = 3e9, 2019 = 5e9 }`.
#[derive(Clone, Debug, PartialEq)]
pub enum RawYearly {
    One(RawValue),
    ByYear(Vec<(i32, RawValue)>),
}

/// A table of names to plain numbers, kept in file order (used for `[intents]`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NamedNumbers(pub Vec<(String, f64)>);

const VALUE_EXPECTED: &str =
    "a number or an uncertain value such as { dist = \"pert\", min = 1, mode = 2, max = 4 }";

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("string {}", super::check::quote(s)),
        toml::Value::Integer(i) => format!("integer {i}"),
        toml::Value::Float(f) => format!("number {f}"),
        toml::Value::Boolean(b) => format!("boolean {b}"),
        toml::Value::Datetime(d) => format!("date {d}"),
        toml::Value::Array(_) => "an array".to_string(),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

impl RawValue {
    fn from_toml<E: de::Error>(value: toml::Value) -> Result<Self, E> {
        match value {
            toml::Value::Integer(i) => Ok(RawValue::Number(i as f64)),
            toml::Value::Float(f) => Ok(RawValue::Number(f)),
            toml::Value::Table(t) => {
                if !t.contains_key("dist") {
                    return Err(E::custom(format!(
                        "expected {VALUE_EXPECTED}, found a table without `dist`"
                    )));
                }
                RawDist::deserialize(toml::Value::Table(t))
                    .map(RawValue::Dist)
                    .map_err(|e| {
                        E::custom(
                            super::error::rewrite(e.message(), super::error::Context::Dist).text,
                        )
                    })
            }
            other => Err(E::custom(format!(
                "expected {VALUE_EXPECTED}, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawValue::from_toml(toml::Value::deserialize(d)?)
    }
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Number(x) => s.serialize_f64(*x),
            RawValue::Dist(d) => d.serialize(s),
        }
    }
}

/// A per-year table key: a year from 1900 to 2200, as dates allow. The one rule for a
/// year key, in a file, a `--set` and a `--vary`.
pub(crate) fn year_key(key: &str) -> Option<i32> {
    let valid = key.len() == 4
        && key.bytes().all(|b| b.is_ascii_digit())
        && ("1900"..="2200").contains(&key);
    valid.then(|| key.parse().expect("four digits"))
}

/// What [`year_key`] refuses, said the same way wherever the key was written.
pub(crate) fn year_key_expected(key: &str) -> String {
    format!(
        "expected a per-year table with years 1900-2200 as keys, such as {{ 2019 = 5.0e9 }}, found key `{key}`"
    )
}

impl<'de> Deserialize<'de> for RawYearly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(d)?;
        match value {
            toml::Value::Table(t) if !t.contains_key("dist") && !t.is_empty() => {
                let mut years = Vec::with_capacity(t.len());
                for (key, v) in t {
                    let Some(year) = year_key(&key) else {
                        return Err(de::Error::custom(year_key_expected(&key)));
                    };
                    let v = RawValue::from_toml(v)
                        .map_err(|e: D::Error| de::Error::custom(format!("year {key}: {e}")))?;
                    years.push((year, v));
                }
                years.sort_by_key(|(y, _)| *y);
                Ok(RawYearly::ByYear(years))
            }
            other => RawValue::from_toml(other).map(RawYearly::One),
        }
    }
}

impl Serialize for RawYearly {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawYearly::One(v) => v.serialize(s),
            RawYearly::ByYear(years) => {
                let mut map = s.serialize_map(Some(years.len()))?;
                for (year, v) in years {
                    map.serialize_entry(&year.to_string(), v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for NamedNumbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NamedNumbers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of names to plain numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NamedNumbers, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: f64 = map.next_value()?;
                    out.push((key, value));
                }
                Ok(NamedNumbers(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for NamedNumbers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl JsonSchema for RawValue {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let dist = generator.subschema_for::<RawDist>();
        json_schema!({
            "description": "A plain number, or an uncertain value drawn once per trial.",
            "anyOf": [ { "type": "number" }, dist ]
        })
    }
}

impl JsonSchema for RawYearly {
    fn schema_name() -> Cow<'static, str> {
        "YearlyValue".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<RawValue>();
        json_schema!({
            "description": "A value, or a per-year table { 2019 = ..., 2021 = ... }: a year not listed takes the nearest earlier listed year.",
            "anyOf": [
                value.clone(),
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": { "pattern": "^[0-9]{4}$" },
                    "additionalProperties": value
                }
            ]
        })
    }
}

impl JsonSchema for NamedNumbers {
    fn schema_name() -> Cow<'static, str> {
        "Shares".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": "^[^.\\u0000-\\u001f\\u007f]{1,64}$" },
            "additionalProperties": { "type": "number", "exclusiveMinimum": 0, "maximum": 1 }
        })
    }
}
