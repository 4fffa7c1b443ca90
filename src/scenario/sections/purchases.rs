//! `[[purchase]]`: orders placed through an intent. Conversion and order values shape the
//! household loop (orders, buyers and GMV are counted per household); margins and
//! incremental shares are applied only when a trial is finalised.

use super::super::MAX_CHANNELS_PER_INTENT;
use super::super::check::{Checker, Domain, cap, quote};
use super::super::error;
use super::super::params::{Effect, ParamId};
use super::super::path::KeyPath;
use super::super::raw::RawPurchase;
use super::intents::Intent;

#[derive(Clone, Debug, PartialEq)]
pub struct Purchase {
    pub(crate) name: String,
    pub(crate) intent: usize,
    pub(crate) conversion: ParamId,
    pub(crate) order_value: ParamId,
    pub(crate) order_value_sigma: ParamId,
    pub(crate) margin: ParamId,
    pub(crate) incremental_share: ParamId,
}

pub(crate) fn purchases(
    c: &mut Checker,
    at: &KeyPath,
    raw: &mut [RawPurchase],
    intents: &[Intent],
) -> Vec<Purchase> {
    c.unique_names(at, raw.iter().map(|d| d.name.as_str()));
    let mut purchases = Vec::new();
    let mut per_intent = vec![0usize; intents.len()];
    for (i, r) in raw.iter_mut().enumerate() {
        let p = at.index(i, Some(&r.name));
        let intent = intents.iter().position(|x| x.name == r.intent);
        match intent {
            None if intents.is_empty() => {}
            None => {
                let known: Vec<&str> = intents.iter().map(|x| x.name.as_str()).collect();
                let mut message = format!(
                    "expected one of the intents in [intents]: {}",
                    known.join(", ")
                );
                if let Some(best) = error::nearest(&r.intent, &known) {
                    message.push_str(&format!(" (did you mean `{best}`?)"));
                }
                c.issue(p.key("intent"), Some(quote(&r.intent)), message);
            }
            Some(k) => {
                per_intent[k] += 1;
                if per_intent[k] == MAX_CHANNELS_PER_INTENT + 1 {
                    c.issue(
                        p.key("intent"),
                        Some(quote(&r.intent)),
                        format!("expected at most {MAX_CHANNELS_PER_INTENT} purchase channels on one intent"),
                    );
                }
            }
        }
        purchases.push(Purchase {
            name: r.name.clone(),
            intent: intent.unwrap_or(0),
            conversion: c.value(
                &p.key("conversion"),
                &mut r.conversion,
                Domain::PROBABILITY,
                Effect::Households,
            ),
            order_value: c.value(
                &p.key("order_value"),
                &mut r.order_value,
                Domain::positive(cap::PRICE),
                Effect::Households,
            ),
            order_value_sigma: c.value(
                &p.key("order_value_sigma"),
                &mut r.order_value_sigma,
                Domain::non_negative(cap::SIGMA),
                Effect::Households,
            ),
            margin: c.value(
                &p.key("margin"),
                &mut r.margin,
                Domain::PROBABILITY,
                Effect::Pricing,
            ),
            incremental_share: c.value(
                &p.key("incremental_share"),
                &mut r.incremental_share,
                Domain::PROBABILITY,
                Effect::Pricing,
            ),
        });
    }
    purchases
}
