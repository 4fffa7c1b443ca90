//! `[[correlation]]` and the sampling design: which uncertain parameters move together
//! (Spearman rank correlations, one pair with `rank` or several with a `matrix`), checked
//! entry by entry and combined into one positive semi-definite target matrix for
//! Iman–Conover, with the sampling method of `[simulation]`.

use super::super::check::{Checker, fmt_num, quote, quote_all};
use super::super::error;
use super::super::path::KeyPath;
use super::super::raw::RawCorrelation;
use crate::design::{Correlation, Design, MAX_CORRELATED, Matrix, Sampling};
use crate::sampling::name_key;

/// A pair of correlated parameters (positions among the uncertain ones), its target rank
/// correlation and the entry that gave it.
type Pair = (usize, usize, f64, usize);

/// The design of the uncertain parameters registered so far: `sampling`, and the
/// `[[correlation]]` entries checked and combined.
pub(crate) fn design(
    c: &mut Checker,
    at: &KeyPath,
    entries: &[RawCorrelation],
    sampling: Sampling,
) -> Design {
    let uncertain: Vec<usize> = (0..c.params.len())
        .filter(|&i| c.params.params[i].is_uncertain())
        .collect();
    let keys = uncertain
        .iter()
        .map(|&i| name_key(&c.params.params[i].key))
        .collect();
    // Members (positions among the uncertain parameters) and the pairs given.
    let mut members: Vec<usize> = Vec::new();
    let mut pairs: Vec<Pair> = Vec::new();
    let issues_before = c.issues.len();
    for (e, entry) in entries.iter().enumerate() {
        if c.issues.len() - issues_before >= 20 {
            // Enough to act on; a file of thousands of bad entries need not list them all.
            break;
        }
        let path = at.index(e, None);
        if entry.between.len() > MAX_CORRELATED {
            c.issue(
                path.key("between"),
                None,
                format!(
                    "expected at most {MAX_CORRELATED} parameters, got {}",
                    entry.between.len()
                ),
            );
            continue;
        }
        let ids = entry_ids(c, &path, entry);
        let n = entry.between.len();
        if n < 2 {
            c.issue(
                path.key("between"),
                Some(quote_all(&entry.between)),
                "expected at least two parameter keys",
            );
            continue;
        }
        let Some(matrix) = entry_matrix(c, &path, entry, n) else {
            continue;
        };
        if ids.len() != n {
            continue;
        }
        for (a, &pa) in ids.iter().enumerate() {
            let ua = uncertain.iter().position(|&u| u == pa).expect("uncertain");
            if !members.contains(&ua) {
                members.push(ua);
            }
            for (b, &pb) in ids.iter().enumerate().skip(a + 1) {
                let ub = uncertain.iter().position(|&u| u == pb).expect("uncertain");
                if let Some(&(_, _, _, earlier)) = pairs
                    .iter()
                    .find(|&&(x, y, _, _)| (x, y) == (ua, ub) || (x, y) == (ub, ua))
                {
                    c.issue(
                        path.key("between"),
                        Some(quote_all(&[&entry.between[a], &entry.between[b]])),
                        format!("expected each pair of parameters in one entry only: this pair is also in correlation[{earlier}]"),
                    );
                }
                pairs.push((ua, ub, matrix[a][b], e));
            }
        }
        if members.len() > MAX_CORRELATED {
            break;
        }
    }
    let mut correlation = None;
    if c.issues.len() == issues_before && !members.is_empty() {
        correlation = combine(c, at, entries.len(), members, &pairs);
    }
    Design::new(sampling, keys, correlation)
}

/// The parameters (indices into the parameter set) of an entry's `between`, each checked
/// to exist, be uncertain and appear once.
fn entry_ids(c: &mut Checker, path: &KeyPath, entry: &RawCorrelation) -> Vec<usize> {
    let mut ids = Vec::new();
    for key in &entry.between {
        let found = c.params.params.iter().position(|p| &p.key == key);
        match found {
            None => {
                let known: Vec<&str> = c.params.params.iter().map(|p| p.key.as_str()).collect();
                let hint = error::nearest(key, &known)
                    .map(|k| format!("; did you mean \"{k}\"?"))
                    .unwrap_or_default();
                c.issue(
                    path.key("between"),
                    Some(quote(key)),
                    format!("expected the dotted key of a model parameter: {key} is none{hint}"),
                );
            }
            Some(i) if !c.params.params[i].is_uncertain() => c.issue(
                path.key("between"),
                Some(quote(key)),
                format!("expected uncertain parameters: {key} is a plain number here (in the file, by default, or by --set or --vary), and a constant cannot be correlated"),
            ),
            Some(i) if ids.contains(&i) => c.issue(
                path.key("between"),
                Some(quote(key)),
                format!("expected each parameter once: {key} is repeated"),
            ),
            Some(i) => ids.push(i),
        }
    }
    ids
}

/// The rank correlation matrix of an entry of `n` parameters, from `rank` (two) or
/// `matrix`; `None` after reporting why there is none.
fn entry_matrix(
    c: &mut Checker,
    path: &KeyPath,
    entry: &RawCorrelation,
    n: usize,
) -> Option<Vec<Vec<f64>>> {
    match (&entry.rank, &entry.matrix) {
        (Some(r), None) => {
            if n != 2 {
                c.issue(
                    path.key("rank"),
                    Some(fmt_num(*r)),
                    format!("expected `matrix` for {n} parameters: `rank` correlates exactly two"),
                );
                return None;
            }
            if !(-1.0..=1.0).contains(r) {
                c.issue(
                    path.key("rank"),
                    Some(fmt_num(*r)),
                    "expected a rank correlation from -1 to 1",
                );
                return None;
            }
            Some(vec![vec![1.0, *r], vec![*r, 1.0]])
        }
        (None, Some(m)) => checked_matrix(c, path, m, n).then(|| m.clone()),
        (Some(_), Some(_)) => {
            c.issue(
                path.key("rank"),
                None,
                "expected either `rank` (two parameters) or `matrix`, not both",
            );
            None
        }
        (None, None) => {
            c.issue(
                path.clone(),
                None,
                "expected `rank = ...` (two parameters) or `matrix = [[...], ...]`",
            );
            None
        }
    }
}

/// Checks an explicit matrix: n x n, ones on the diagonal, entries in [-1, 1], symmetric
/// (reporting the first problem only).
fn checked_matrix(c: &mut Checker, path: &KeyPath, m: &[Vec<f64>], n: usize) -> bool {
    let shape_ok = m.len() == n && m.iter().all(|row| row.len() == n);
    if !shape_ok {
        c.issue(
            path.key("matrix"),
            None,
            format!("expected a {n} x {n} matrix, one row and column per key of `between`"),
        );
        return false;
    }
    for (i, row) in m.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            let why = if i == j && x != 1.0 {
                Some("expected 1 on the diagonal")
            } else if !(-1.0..=1.0).contains(&x) {
                Some("expected rank correlations from -1 to 1")
            } else if m[j][i] != x {
                Some("expected a symmetric matrix")
            } else {
                None
            };
            if let Some(why) = why {
                c.issue(
                    path.key("matrix"),
                    Some(fmt_num(x)),
                    format!("{why} (row {}, column {})", i + 1, j + 1),
                );
                return false;
            }
        }
    }
    true
}

/// The pairs of all entries as one target matrix over their members, checked to be
/// positive semi-definite.
fn combine(
    c: &mut Checker,
    at: &KeyPath,
    entries: usize,
    members: Vec<usize>,
    pairs: &[Pair],
) -> Option<Correlation> {
    if members.len() > MAX_CORRELATED {
        c.issue(
            at.clone(),
            None,
            format!(
                "expected at most {MAX_CORRELATED} correlated parameters, got {}",
                members.len()
            ),
        );
        return None;
    }
    let mut m = Matrix::identity(members.len());
    for &(a, b, r, _) in pairs {
        let i = members.iter().position(|&x| x == a).expect("member");
        let j = members.iter().position(|&x| x == b).expect("member");
        m.set(i, j, r);
    }
    match Correlation::new(members, &m) {
        Ok(c) => Some(c),
        Err(smallest) => {
            c.issue(
                if entries == 1 { at.index(0, None) } else { at.clone() },
                None,
                format!(
                    "expected rank correlations that some set of inputs can have together: the matrix they form is not positive semi-definite (smallest eigenvalue {}); weaken the strongest correlations or make them consistent (e.g. if a and b, and b and c, move together strongly, a and c cannot move strongly apart)",
                    if smallest.abs() >= 1e-3 { format!("{smallest:.3}") } else { format!("{smallest:.1e}") }
                ),
            );
            None
        }
    }
}
