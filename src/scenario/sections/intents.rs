//! `[intents]`: what households use the assistant for, as base shares of interactions
//! (plain numbers summing to 1, in file order).

use super::super::MAX_INTENTS;
use super::super::check::{Checker, fmt_num};
use super::super::path::KeyPath;
use super::super::raw::NamedNumbers;

#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    pub(crate) name: String,
    pub(crate) share: f64,
}

pub(crate) fn intents(c: &mut Checker, at: &KeyPath, raw: &NamedNumbers) -> Vec<Intent> {
    if raw.0.is_empty() {
        c.issue(
            at.clone(),
            None,
            "expected at least one intent with a share > 0",
        );
    }
    if raw.0.len() > MAX_INTENTS {
        c.issue(
            at.clone(),
            None,
            format!(
                "expected at most {MAX_INTENTS} intents, found {}",
                raw.0.len()
            ),
        );
    }
    let mut intents = Vec::new();
    for (name, share) in &raw.0 {
        let p = at.key(name);
        c.check_name_of(&p, name, true);
        if !share.is_finite() || *share <= 0.0 || *share > 1.0 {
            c.issue(
                p,
                Some(fmt_num(*share)),
                "expected an intent share in (0, 1]",
            );
        }
        intents.push(Intent {
            name: name.clone(),
            share: *share,
        });
    }
    c.sums_to_one(
        at,
        "the intent shares",
        raw.0.iter().map(|(n, s)| (n.as_str(), *s)),
    );
    intents
}
