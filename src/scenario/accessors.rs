//! Read accessors of a validated [`Scenario`] for the reports: what the settings tables
//! and chart captions show about the scenario, without going back to its TOML text.

use super::{Param, Scenario, YearMonth};

impl Scenario {
    /// The free-text description of `[scenario]`, if any.
    pub fn description(&self) -> Option<&str> {
        self.resolved.scenario.description.as_deref()
    }

    /// The last simulated month.
    pub fn end(&self) -> YearMonth {
        self.horizon().end()
    }

    /// `[market] households`: the real households the sample stands for.
    pub fn market_households(&self) -> &Param {
        self.params.get(self.market_households)
    }

    /// `[premium] price_month`, when the scenario has a paid tier.
    pub fn premium_price(&self) -> Option<&Param> {
        self.premium
            .as_ref()
            .map(|p| self.params.get(p.price_month))
    }

    /// The first month of the paid tier, when the scenario has one.
    pub fn premium_launch(&self) -> Option<YearMonth> {
        self.premium.as_ref().map(|p| self.start.plus(p.launch))
    }

    /// Whether the paid tier is free with Prime, when the scenario has one.
    pub fn premium_included_with_prime(&self) -> Option<bool> {
        self.premium.as_ref().map(|p| p.included_with_prime)
    }

    /// The plans whose revenue counts in the device P&L (`in_device_pnl = true`).
    pub fn plans_in_device_pnl(&self) -> impl Iterator<Item = &str> {
        self.subscriptions
            .iter()
            .filter(|s| s.in_device_pnl)
            .map(|s| s.name.as_str())
    }
}

impl Param {
    /// The value of a plain-number parameter (`None` when it is uncertain).
    pub fn fixed(&self) -> Option<f64> {
        match self.dist {
            crate::sampling::Dist::Fixed(x) => Some(x),
            _ => None,
        }
    }
}
