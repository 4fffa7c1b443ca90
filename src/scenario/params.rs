//! The numeric model parameters of a scenario: one flat, ordered [`ParamSet`] of [`Param`]s
//! (dotted key, distribution, and the [`Effect`] of changing it), and [`Yearly`] series of
//! them. A trial's draws are a plain `Vec<f64>` indexed by [`ParamId`].
//!
//! Each parameter declares its effect where validation defines it (the section validators
//! under [`super::sections`]), so that the engine decides from the declaration alone which
//! work two variants of a scenario can share: a [`Effect::Pricing`] parameter is read only
//! when a trial is finalised, [`Effect::PremiumPrice`] only by the premium decision and the
//! finalisation, anything else by the household loop.

use crate::sampling::Dist;

/// Index of a parameter in the scenario's [`ParamSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ParamId(pub(crate) u32);

/// What a parameter reaches when its value changes: which simulation work two variants of
/// one scenario that differ in it can share. Ordered from the least to the most reaching.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    /// Read only when a trial is finalised (prices, costs, margins, shares, scaling, the
    /// discount rate): the household simulation can be shared entirely.
    Pricing,
    /// The premium price: read by the premium decision of each household (and by the
    /// finalisation), so everything upstream of that decision can be shared
    /// (`household::simulate_block_price_sweep`).
    PremiumPrice,
    /// Read only by the premium tier of each household: its willingness to pay, its
    /// consideration and churn, and the uplifts of its subscribed months. Every household's
    /// life upstream of the premium decision is unchanged, and so is the usage of a
    /// household whose subscription spells are unchanged and empty (or whose subscribed
    /// months are weighed alike), so a variant re-simulates only the households whose
    /// premium tier differs (`household::simulate_block_premium_variants`).
    PremiumTier,
    /// Changes what the household loop simulates.
    Households,
}

/// One numeric model parameter: its dotted key, its distribution (fixed or uncertain) and
/// what changing it affects.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub(super) key: String,
    pub(super) dist: Dist,
    pub(super) effect: Effect,
}

impl Param {
    /// Dotted key, e.g. `purchase.voice_shopping.conversion`; also keys its random stream.
    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn dist(&self) -> &Dist {
        &self.dist
    }
    /// True unless the value is a plain number.
    pub fn is_uncertain(&self) -> bool {
        !matches!(self.dist, Dist::Fixed(_))
    }
    /// What changing this parameter affects, as declared where it is defined.
    pub fn effect(&self) -> Effect {
        self.effect
    }
}

/// All parameters of a scenario, in file order, and the dotted keys of its per-year tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamSet {
    pub(super) params: Vec<Param>,
    /// Dotted key of every per-year table (`costs.fixed_per_year`), whether written as one
    /// value (then a parameter has the same key) or by year (then `key.YYYY` are).
    pub(super) tables: Vec<String>,
}

impl ParamSet {
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Param)> {
        self.params
            .iter()
            .enumerate()
            .map(|(i, p)| (ParamId(i as u32), p))
    }
    pub fn len(&self) -> usize {
        self.params.len()
    }
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
    pub fn get(&self, id: ParamId) -> &Param {
        &self.params[id.0 as usize]
    }
    /// The parameter with a dotted key.
    pub fn find(&self, key: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.key == key)
            .map(|i| ParamId(i as u32))
    }
    /// The dotted keys of the per-year tables (their years, when given by year, are the
    /// parameters `key.YYYY`).
    pub fn tables(&self) -> &[String] {
        &self.tables
    }
    /// True if `key` is the dotted key of a per-year table.
    pub fn is_table(&self, key: &str) -> bool {
        self.tables.iter().any(|t| t == key)
    }
    /// The parameters that are entries of per-year table `table` (`table.YYYY`).
    pub fn table_entries(&self, table: &str) -> Vec<ParamId> {
        self.iter()
            .filter(|(_, p)| {
                p.key
                    .strip_prefix(table)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|(id, _)| id)
            .collect()
    }
    pub(super) fn push(&mut self, key: String, dist: Dist, effect: Effect) -> ParamId {
        self.params.push(Param { key, dist, effect });
        ParamId(self.params.len() as u32 - 1)
    }
    /// The same parameters with every distribution replaced by one placeholder: what is
    /// left is the set's structure (keys, effects, tables).
    pub(super) fn normalised(&self) -> ParamSet {
        ParamSet {
            params: self
                .params
                .iter()
                .map(|p| Param {
                    dist: Dist::Fixed(0.0),
                    ..p.clone()
                })
                .collect(),
            tables: self.tables.clone(),
        }
    }
}

/// A parameter that may differ by calendar year.
#[derive(Clone, Debug, PartialEq)]
pub struct Yearly {
    /// Sorted by year; the first entry's year is the first year it covers.
    pub(super) entries: Vec<(i32, ParamId)>,
}

impl Yearly {
    /// The parameter in force in `year` (nearest earlier listed year). Validation
    /// guarantees no simulated year precedes the first entry.
    pub fn at(&self, year: i32) -> ParamId {
        let mut id = self.entries[0].1;
        for &(y, p) in &self.entries {
            if y <= year {
                id = p;
            }
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yearly_takes_nearest_earlier_year() {
        let y = Yearly {
            entries: vec![(2017, ParamId(0)), (2019, ParamId(1))],
        };
        assert_eq!(y.at(2017), ParamId(0));
        assert_eq!(y.at(2018), ParamId(0));
        assert_eq!(y.at(2019), ParamId(1));
        assert_eq!(y.at(2030), ParamId(1));
    }

    #[test]
    fn effects_are_ordered_by_reach() {
        assert!(Effect::Pricing < Effect::PremiumPrice);
        assert!(Effect::PremiumPrice < Effect::PremiumTier);
        assert!(Effect::PremiumTier < Effect::Households);
    }
}
