//! The validation toolkit shared by the section validators: the [`Checker`] that collects
//! every problem in order and registers each parameter with its [`Domain`] and [`Effect`],
//! and the formatting of values in messages.
//!
//! The checker also substitutes the values of a sweep point ([`super::Target`]s) into the
//! raw form at the moment each parameter is validated, so that a point goes through exactly
//! the rules of a file and the raw form it leaves behind is the point's resolved scenario.

use super::params::{Effect, ParamId, ParamSet, Yearly};
use super::path::KeyPath;
use super::raw::{RawDist, RawValue, RawYearly};
use super::{Issue, Target};
use crate::sampling::{Dist, Metalog};

/// The values a parameter may take: a lower bound that is part of its meaning (a
/// probability is never negative) and an upper bound that is either part of its meaning
/// (a probability is at most 1) or a plausibility cap that keeps a run finite (nobody
/// talks to an assistant a million times a day).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Domain {
    lower: Lower,
    max: f64,
    /// The upper bound is part of the meaning: a distribution must not exceed it at all.
    /// Otherwise it is a plausibility cap, checked against the 99.9999th percentile.
    hard_max: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lower {
    /// >= 0
    Zero,
    /// > 0
    AboveZero,
    /// >= 1
    One,
}

/// Quantile at which plausibility caps are checked for uncertain values.
const CAP_QUANTILE: f64 = 1.0 - 1e-6;

impl Domain {
    /// [0, 1]
    pub const PROBABILITY: Domain = Domain {
        lower: Lower::Zero,
        max: 1.0,
        hard_max: true,
    };
    /// [0, max]
    pub const fn non_negative(max: f64) -> Domain {
        Domain {
            lower: Lower::Zero,
            max,
            hard_max: false,
        }
    }
    /// (0, max]
    pub const fn positive(max: f64) -> Domain {
        Domain {
            lower: Lower::AboveZero,
            max,
            hard_max: false,
        }
    }
    /// [1, max]
    pub const fn at_least_one(max: f64) -> Domain {
        Domain {
            lower: Lower::One,
            max,
            hard_max: false,
        }
    }

    fn contains(self, x: f64) -> bool {
        let above = match self.lower {
            Lower::Zero => x >= 0.0,
            Lower::AboveZero => x > 0.0,
            Lower::One => x >= 1.0,
        };
        above && x <= self.max
    }

    fn expected(self) -> String {
        if self.hard_max {
            return "a probability in [0, 1]".into();
        }
        let max = fmt_num(self.max);
        match self.lower {
            Lower::Zero => format!("a number from 0 to {max}"),
            Lower::AboveZero => format!("a number > 0 and at most {max}"),
            Lower::One => format!("a number from 1 to {max}"),
        }
    }

    /// The interval a distribution must stay in (the plausibility cap is checked apart).
    fn interval(self) -> String {
        if self.hard_max {
            return "[0, 1]".into();
        }
        match self.lower {
            Lower::Zero => "[0, inf)".into(),
            Lower::AboveZero => "(0, inf)".into(),
            Lower::One => "[1, inf)".into(),
        }
    }

    fn suggestion(self, dist: &Dist) -> &'static str {
        if let Dist::Metalog(_) = dist {
            return match (self.hard_max, self.lower) {
                (true, _) => "give the metalog the bounds `min = 0` and `max = 1`",
                (false, Lower::One) => "give the metalog a lower bound `min = 1`",
                (false, _) => "give the metalog a lower bound `min = 0`",
            };
        }
        if self.hard_max {
            "use a bounded form such as { dist = \"beta\", alpha = 2, beta = 40 } or { dist = \"pert\", min = 0.01, mode = 0.02, max = 0.05 }"
        } else {
            "use a bounded form such as { dist = \"pert\", min = 1, mode = 2, max = 4 }, or a normal with `min`"
        }
    }

    /// The lower bound, and whether it is excluded (`> 0`): what a schema's `minimum` or
    /// `exclusiveMinimum` says.
    pub fn lower_bound(self) -> (f64, bool) {
        match self.lower {
            Lower::Zero => (0.0, false),
            Lower::AboveZero => (0.0, true),
            Lower::One => (1.0, false),
        }
    }

    /// The upper bound a plain number may take (a probability's 1, or the plausibility cap).
    pub fn upper_bound(self) -> f64 {
        self.max
    }

    /// What a value of the domain is, in words (the validator's message says the same).
    pub fn describe(self) -> String {
        self.expected()
    }

    /// Whether every value a distribution can produce lies above the lower bound (and, for
    /// a hard upper bound, below it).
    pub(super) fn admits(self, dist: &Dist) -> bool {
        let (lo, hi) = dist.support();
        // LogNormal and Gamma have support (0, inf), a metalog is open at its bounds: 0 itself
        // is never drawn.
        let open_at_zero = matches!(
            dist,
            Dist::LogNormal { .. } | Dist::Gamma { .. } | Dist::Metalog(_)
        );
        let lower_ok = match self.lower {
            Lower::Zero => lo >= 0.0,
            Lower::AboveZero => lo > 0.0 || (lo == 0.0 && open_at_zero),
            Lower::One => lo >= 1.0,
        };
        lower_ok && (!self.hard_max || hi <= self.max)
    }

    /// Whether a distribution stays under a plausibility cap (but for one draw in a million).
    fn plausible(self, dist: &Dist) -> bool {
        self.hard_max || dist.quantile(CAP_QUANTILE) <= self.max
    }
}

/// Plausibility caps: far above any real value, low enough that a run stays finite.
pub(super) mod cap {
    pub const HOUSEHOLDS: f64 = 1e10;
    pub const RATE: f64 = 1e3;
    pub const COUNT: f64 = 1e2;
    pub const MULTIPLIER: f64 = 1e2;
    pub const PRICE: f64 = 1e6;
    pub const SPEND: f64 = 1e7;
    pub const FIXED: f64 = 1e13;
    pub const SERVING: f64 = 1e2;
    pub const SIGMA: f64 = 10.0;
    pub const SHAPE: f64 = 1e6;
    pub const MONTHS: f64 = 1e4;
    pub const DISCOUNT: f64 = 10.0;
}

/// Collects issues and registers parameters while validating, substituting the values of
/// `subs` on the way.
pub(super) struct Checker<'a> {
    pub issues: Vec<Issue>,
    pub params: ParamSet,
    pub first_year: i32,
    pub last_year: i32,
    /// `[scenario] start` and `months` are valid, so horizon checks are meaningful.
    pub horizon_known: bool,
    /// Values that replace what the raw form holds, in order (a later one wins).
    subs: &'a [(&'a Target, f64)],
    /// Every numeric key checked against a domain, with it (what the JSON Schema says of
    /// each key, see [`super::domains`]).
    pub domains: Vec<(KeyPath, Domain)>,
}

impl<'a> Checker<'a> {
    pub fn new(subs: &'a [(&'a Target, f64)]) -> Self {
        Checker {
            issues: Vec::new(),
            params: ParamSet::default(),
            first_year: 0,
            last_year: 0,
            horizon_known: false,
            subs,
            domains: Vec::new(),
        }
    }

    pub fn issue(&mut self, path: KeyPath, value: Option<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            path,
            value,
            message: message.into(),
            at_key: false,
        });
    }

    /// Checks a plain number against a domain.
    pub fn plain(&mut self, path: &KeyPath, x: f64, domain: Domain) {
        self.domains.push((path.clone(), domain));
        if !x.is_finite() {
            self.issue(
                path.clone(),
                Some(fmt_num(x)),
                format!("expected a finite number ({})", domain.expected()),
            );
        } else if !domain.contains(x) {
            self.issue(
                path.clone(),
                Some(fmt_num(x)),
                format!("expected {}", domain.expected()),
            );
        }
    }

    /// The substituted value of the single value at `key`, if a target sets it.
    fn sub_of(&self, key: &str) -> Option<f64> {
        self.subs
            .iter()
            .rev()
            .find(|(t, _)| t.year.is_none() && t.slot == key)
            .map(|&(_, x)| x)
    }

    /// Validates a parameter and registers it under its dotted key with its effect.
    pub fn value(
        &mut self,
        path: &KeyPath,
        v: &mut RawValue,
        domain: Domain,
        effect: Effect,
    ) -> ParamId {
        let key = path.to_string();
        if let Some(x) = self.sub_of(&key) {
            *v = RawValue::Number(x);
        }
        self.check_value(path, key, v, domain, effect)
    }

    /// An optional parameter written out with its default when absent (the default is then
    /// what `scenario.resolved.toml` shows).
    pub fn value_or(
        &mut self,
        path: &KeyPath,
        v: &mut Option<RawValue>,
        default: f64,
        domain: Domain,
        effect: Effect,
    ) -> ParamId {
        self.value(
            path,
            v.get_or_insert(RawValue::Number(default)),
            domain,
            effect,
        )
    }

    /// An optional parameter without a default: absent unless the file or a target sets it.
    pub fn optional(
        &mut self,
        path: &KeyPath,
        v: &mut Option<RawValue>,
        domain: Domain,
        effect: Effect,
    ) -> Option<ParamId> {
        let key = path.to_string();
        if let Some(x) = self.sub_of(&key) {
            *v = Some(RawValue::Number(x));
        }
        let v = v.as_ref()?;
        Some(self.check_value(path, key, v, domain, effect))
    }

    fn check_value(
        &mut self,
        path: &KeyPath,
        key: String,
        v: &RawValue,
        domain: Domain,
        effect: Effect,
    ) -> ParamId {
        self.domains.push((path.clone(), domain));
        let dist = match v {
            RawValue::Number(x) => {
                self.plain(path, *x, domain);
                Dist::Fixed(*x)
            }
            RawValue::Dist(d) => {
                let (dist, checked) = match dist_of(d) {
                    Ok(dist) => {
                        let checked = dist.check();
                        (dist, checked)
                    }
                    Err(why) => (Dist::Fixed(f64::NAN), Err(why)),
                };
                if let Err(why) = checked {
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!("bad {} distribution: {why}", d.kind()),
                    );
                } else if !domain.admits(&dist) {
                    let (lo, hi) = dist.support();
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!(
                            "this distribution can leave the parameter's domain {} (its values range over [{}, {}]); {}",
                            domain.interval(),
                            fmt_num(lo),
                            fmt_num(hi),
                            domain.suggestion(&dist)
                        ),
                    );
                } else if !domain.plausible(&dist) {
                    self.issue(
                        path.clone(),
                        Some(fmt_dist(d)),
                        format!(
                            "this distribution reaches implausibly large values (its 99.9999th percentile is {}); expected values of at most {}",
                            fmt_num(dist.quantile(CAP_QUANTILE)),
                            fmt_num(domain.max)
                        ),
                    );
                }
                dist
            }
        };
        self.params.push(key, dist, effect)
    }

    /// Validates a per-year table (or one value for every year), after substituting the
    /// targets' values into it as `--set` would: the whole table, or one year's entry.
    pub fn yearly(
        &mut self,
        path: &KeyPath,
        v: &mut RawYearly,
        domain: Domain,
        effect: Effect,
    ) -> Yearly {
        let key = path.to_string();
        for &(t, x) in self.subs.iter().filter(|(t, _)| t.slot == key) {
            substitute_year(v, t.year, x, self.first_year);
        }
        self.params.tables.push(key.clone());
        match v {
            RawYearly::One(v) => Yearly {
                entries: vec![(i32::MIN, self.check_value(path, key, v, domain, effect))],
            },
            RawYearly::ByYear(years) => {
                let first = years[0].0;
                if self.horizon_known && first > self.first_year {
                    self.issue(
                        path.key(&first.to_string()),
                        Some(fmt_value(&years[0].1)),
                        format!(
                            "the per-year table starts in {first} but the scenario simulates {}; expected an entry for {} or earlier",
                            self.first_year, self.first_year
                        ),
                    );
                }
                let entries = years
                    .iter()
                    .map(|(y, v)| {
                        let p = path.key(&y.to_string());
                        let key = p.to_string();
                        (*y, self.check_value(&p, key, v, domain, effect))
                    })
                    .collect();
                Yearly { entries }
            }
        }
    }

    /// An issue that points at the key rather than its value (a name that is itself a TOML
    /// key, such as an intent's).
    pub fn issue_at_key(&mut self, path: KeyPath, value: Option<String>, message: String) {
        self.issues.push(Issue {
            path,
            value,
            message,
            at_key: true,
        });
    }

    /// Checks a name; `is_key` when the name is itself a TOML key (an intent), so that the
    /// message points at the key rather than its value.
    pub fn check_name_of(&mut self, path: &KeyPath, name: &str, is_key: bool) {
        let message = if let Some(hidden) = hidden_text("a name", name) {
            hidden
        } else if name.is_empty() || name.chars().count() > 64 || name.contains('.') {
            "expected a name of 1 to 64 characters without dots or control characters".into()
        } else {
            return;
        };
        self.issues.push(Issue {
            path: path.clone(),
            value: Some(quote(name)),
            message,
            at_key: is_key,
        });
    }

    pub fn check_name(&mut self, path: &KeyPath, name: &str) {
        self.check_name_of(path, name, false);
    }

    pub fn unique_names<'n>(&mut self, path: &KeyPath, names: impl Iterator<Item = &'n str>) {
        let names: Vec<&str> = names.collect();
        for (i, n) in names.iter().enumerate() {
            let p = path.index(i, None).key("name");
            self.check_name(&p, n);
            if let Some(first) = names[..i].iter().position(|m| m == n) {
                self.issue(
                    p,
                    Some(quote(n)),
                    format!("duplicate name: {path}[{first}] already uses it"),
                );
            }
        }
    }

    /// Checks that shares sum to 1; the message lists each term so the fix is obvious.
    pub fn sums_to_one<'n>(
        &mut self,
        path: &KeyPath,
        what: &str,
        terms: impl Iterator<Item = (&'n str, f64)>,
    ) {
        let terms: Vec<(&str, f64)> = terms.collect();
        if terms.is_empty() || terms.iter().any(|(_, x)| !x.is_finite()) {
            return;
        }
        let sum: f64 = terms.iter().map(|(_, x)| x).sum();
        if (sum - 1.0).abs() > 1e-9 {
            let listed: Vec<String> = terms
                .iter()
                .map(|(n, x)| format!("{n} {}", fmt_num(*x)))
                .collect();
            self.issue(
                path.clone(),
                None,
                format!(
                    "expected {what} to sum to 1 (within 1e-9), but they sum to {} ({})",
                    fmt_num((sum * 1e12).round() / 1e12),
                    listed.join(" + ")
                ),
            );
        }
    }
}

/// Replaces a per-year table by one number (`year` none), or one year's entry, with the
/// meaning of `--set`: a year at or before the first simulated year of a table written as
/// one value replaces the value; a later year turns it into a table whose first simulated
/// year keeps the old value.
fn substitute_year(v: &mut RawYearly, year: Option<i32>, x: f64, first_year: i32) {
    let new = RawValue::Number(x);
    match (year, &mut *v) {
        (None, _) => *v = RawYearly::One(new),
        (Some(y), RawYearly::One(_)) if y <= first_year => *v = RawYearly::One(new),
        (Some(y), RawYearly::One(old)) => {
            *v = RawYearly::ByYear(vec![(first_year, old.clone()), (y, new)]);
        }
        (Some(y), RawYearly::ByYear(years)) => match years.iter().position(|(z, _)| *z >= y) {
            Some(i) if years[i].0 == y => years[i].1 = new,
            Some(i) => years.insert(i, (y, new)),
            None => years.push((y, new)),
        },
    }
}

/// Text from the file or the command line as a TOML string shows it: in double quotes,
/// with `"` and `\` escaped. Invisible characters are escaped when a message is shown
/// ([`crate::format::escape`]), not here.
pub(crate) fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Several texts as a TOML array of strings, e.g. `["a", "b"]`.
pub(crate) fn quote_all<S: AsRef<str>>(texts: &[S]) -> String {
    let quoted: Vec<String> = texts.iter().map(|t| quote(t.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// Why `text` cannot be `what` (a name, a key): it holds a character that
/// [`crate::format::is_hidden`] calls invisible or direction-changing, which would make two
/// different names print alike or garble the terminal. `None` if it holds none.
pub(crate) fn hidden_text(what: &str, text: &str) -> Option<String> {
    let c = text.chars().find(|&c| crate::format::is_hidden(c))?;
    Some(format!(
        "expected {what} without control, invisible or direction-changing characters (found U+{:04X})",
        c as u32
    ))
}

/// Formats a number the way TOML would show it.
pub(crate) fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{x}")
    }
}

/// Formats an uncertain value as an inline TOML table.
pub(crate) fn fmt_dist(d: &RawDist) -> String {
    let num = |k: &'static str, v: f64| (k, fmt_num(v));
    let opt = |k: &'static str, v: &Option<f64>| v.map(|v| num(k, v));
    let fields: Vec<(&str, String)> = match d {
        RawDist::Uniform { min, max } => vec![num("min", *min), num("max", *max)],
        RawDist::Triangular { min, mode, max } | RawDist::Pert { min, mode, max } => {
            vec![num("min", *min), num("mode", *mode), num("max", *max)]
        }
        RawDist::Normal { mean, sd, min, max } => [num("mean", *mean), num("sd", *sd)]
            .into_iter()
            .chain(opt("min", min))
            .chain(opt("max", max))
            .collect(),
        RawDist::Lognormal { median, sigma } => vec![num("median", *median), num("sigma", *sigma)],
        RawDist::Beta { alpha, beta } => vec![num("alpha", *alpha), num("beta", *beta)],
        RawDist::Gamma { shape, scale } => vec![num("shape", *shape), num("scale", *scale)],
        RawDist::Metalog {
            p10,
            p50,
            p90,
            quantiles,
            min,
            max,
        } => {
            let pairs = quantiles.as_ref().map(|q| {
                let pairs: Vec<String> = q
                    .iter()
                    .map(|[p, x]| format!("[{}, {}]", fmt_num(*p), fmt_num(*x)))
                    .collect();
                ("quantiles", format!("[{}]", pairs.join(", ")))
            });
            [opt("p10", p10), opt("p50", p50), opt("p90", p90), pairs]
                .into_iter()
                .flatten()
                .chain(opt("min", min))
                .chain(opt("max", max))
                .collect()
        }
    };
    let mut s = format!("{{ dist = \"{}\"", d.kind());
    for (k, v) in fields {
        s.push_str(&format!(", {k} = {v}"));
    }
    s.push_str(" }");
    s
}

pub(super) fn fmt_value(v: &RawValue) -> String {
    match v {
        RawValue::Number(x) => fmt_num(*x),
        RawValue::Dist(d) => fmt_dist(d),
    }
}

/// The sampling distribution of a raw uncertain value; a metalog must be given either by
/// `p10`, `p50` and `p90` or by `quantiles`.
fn dist_of(d: &RawDist) -> Result<Dist, String> {
    Ok(match *d {
        RawDist::Uniform { min, max } => Dist::Uniform { min, max },
        RawDist::Triangular { min, mode, max } => Dist::Triangular { min, mode, max },
        RawDist::Pert { min, mode, max } => Dist::Pert { min, mode, max },
        RawDist::Normal { mean, sd, min, max } => Dist::Normal { mean, sd, min, max },
        RawDist::Lognormal { median, sigma } => Dist::LogNormal { median, sigma },
        RawDist::Beta { alpha, beta } => Dist::Beta { alpha, beta },
        RawDist::Gamma { shape, scale } => Dist::Gamma { shape, scale },
        RawDist::Metalog {
            p10,
            p50,
            p90,
            ref quantiles,
            min,
            max,
        } => match (p10, p50, p90, quantiles) {
            (None, None, None, Some(q)) => {
                let points = q.iter().map(|&[p, x]| (p, x)).collect();
                Dist::Metalog(Metalog::quantiles(points, min, max))
            }
            (Some(p10), Some(p50), Some(p90), None) => {
                Dist::Metalog(Metalog::percentiles(p10, p50, p90, min, max))
            }
            (_, _, _, Some(_)) => {
                return Err("give either `p10`, `p50` and `p90`, or `quantiles`, not both".into());
            }
            _ => {
                let missing: Vec<&str> = [("p10", p10), ("p50", p50), ("p90", p90)]
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| *k)
                    .collect();
                return Err(format!(
                    "missing parameter `{}`; expected `p10`, `p50` and `p90`, or `quantiles` \
                     such as [[0.05, 2.0], [0.5, 3.0], [0.95, 5.0]]",
                    missing.join("`, `")
                ));
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_admit_supports() {
        let normal = Dist::Normal {
            mean: 0.5,
            sd: 0.1,
            min: None,
            max: None,
        };
        assert!(!Domain::PROBABILITY.admits(&normal));
        let trunc = Dist::Normal {
            mean: 0.5,
            sd: 0.1,
            min: Some(0.0),
            max: Some(1.0),
        };
        assert!(Domain::PROBABILITY.admits(&trunc));
        assert!(Domain::positive(1e6).admits(&Dist::LogNormal {
            median: 1.0,
            sigma: 1.0
        }));
        assert!(!Domain::positive(1e6).admits(&Dist::Uniform { min: 0.0, max: 1.0 }));
        assert!(!Domain::PROBABILITY.admits(&Dist::Gamma {
            shape: 2.0,
            scale: 0.1
        }));
        assert!(Domain::PROBABILITY.admits(&Dist::Beta {
            alpha: 2.0,
            beta: 3.0
        }));
        // A metalog is open at its bounds: `min = 0` suits a "> 0" key; a probability
        // needs both bounds.
        let ml = |min, max| Dist::Metalog(Metalog::percentiles(0.2, 0.3, 0.5, min, max));
        assert!(Domain::positive(1e6).admits(&ml(Some(0.0), None)));
        assert!(!Domain::positive(1e6).admits(&ml(None, None)));
        assert!(!Domain::PROBABILITY.admits(&ml(Some(0.0), None)));
        assert!(Domain::PROBABILITY.admits(&ml(Some(0.0), Some(1.0))));
    }

    #[test]
    fn year_substitution_follows_set() {
        let n = RawValue::Number;
        let mut v = RawYearly::One(n(1.0));
        substitute_year(&mut v, Some(2020), 2.0, 2022);
        assert_eq!(v, RawYearly::One(n(2.0)));
        substitute_year(&mut v, Some(2025), 3.0, 2022);
        assert_eq!(v, RawYearly::ByYear(vec![(2022, n(2.0)), (2025, n(3.0))]));
        substitute_year(&mut v, Some(2023), 4.0, 2022);
        substitute_year(&mut v, Some(2025), 5.0, 2022);
        substitute_year(&mut v, Some(2030), 6.0, 2022);
        substitute_year(&mut v, Some(2010), 7.0, 2022);
        assert_eq!(
            v,
            RawYearly::ByYear(vec![
                (2010, n(7.0)),
                (2022, n(2.0)),
                (2023, n(4.0)),
                (2025, n(5.0)),
                (2030, n(6.0))
            ])
        );
        substitute_year(&mut v, None, 8.0, 2022);
        assert_eq!(v, RawYearly::One(n(8.0)));
    }
}
