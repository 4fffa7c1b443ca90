//! The report of a calibration: the settings with the targets file, the rounds and their
//! effective sample sizes, then per calibrated parameter its prior against its posterior
//! (5th, 50th and 95th percentiles, whether the targets moved it, the fitted distribution)
//! and per target its band against the prior and posterior predictive distribution of its
//! value with the posterior probability of a hit.

use anyhow::Result;

use super::page::Page;
use crate::export::PRIOR_POSTERIOR;
use crate::format::{human, percent, significant};
use crate::results::CalibrateResults;

pub(super) fn page(r: &CalibrateResults, settings: &[(String, String)]) -> Result<Page> {
    let p = &r.posterior;
    let s = &r.scenario;
    let mut page = Page::new("calibration", s.name(), s.description().map(String::from));
    page.h2("Settings");
    let mut settings = settings.to_vec();
    settings.push(("Prior scenario".into(), r.prior_file.clone()));
    settings.push(("Targets".into(), r.targets_file.clone()));
    settings.push(("Draws (all rounds)".into(), p.draws.len().to_string()));
    settings.push((
        "Effective sample size (Kish)".into(),
        format!(
            "{:.1} (--min-ess {}: {})",
            p.ess,
            p.min_ess,
            if p.reached() {
                "reached"
            } else {
                "not reached within --max-rounds"
            }
        ),
    ));
    page.kv(&settings);
    page.note("Each draw is a trial of the prior scenario (round 0) or of a round's proposal, weighted by the likelihood of its target values times prior over the mixture of all proposals (adaptive multiple importance sampling, Cornuet et al. 2012). A band is read as the central 90% interval of a normal measurement error unless the target says otherwise; informational targets are shown, not fitted.");
    page.h2("Rounds");
    let rounds: Vec<Vec<String>> = p
        .rounds
        .iter()
        .enumerate()
        .map(|(i, s)| vec![i.to_string(), s.draws.to_string(), format!("{:.1}", s.ess)])
        .collect();
    page.table(&["round", "draws so far", "effective sample size"], &rounds);
    page.h2("Parameters: prior against posterior");
    let rows: Vec<Vec<String>> = p
        .params
        .iter()
        .map(|q| {
            let mut row = vec![q.key.clone()];
            row.extend(q.prior_q.iter().chain(&q.post_q).map(|&x| significant(x)));
            row.push(q.status().into());
            row
        })
        .collect();
    let header: Vec<&str> = std::iter::once("parameter")
        .chain(PRIOR_POSTERIOR)
        .chain(["status"])
        .collect();
    page.table(&header, &rows);
    page.note("keeps prior: the Kolmogorov–Smirnov distance between the weighted draws and the prior is below its 5% critical value at the effective sample size, so the targets cannot tell the parameter's values apart; calibrated.toml keeps its prior.");
    page.h2("Targets: predictive against band");
    let rows: Vec<Vec<String>> = p
        .targets
        .iter()
        .map(|t| {
            let mut row = vec![
                t.target.id.clone(),
                t.target.what.clone(),
                t.target.period_label.clone(),
                format!("[{}, {}]", human(t.target.low), human(t.target.high)),
            ];
            row.extend(t.prior_q.iter().chain(&t.post_q).map(|&x| human(x)));
            row.push(percent(t.hit_probability));
            row.push(t.status().into());
            row
        })
        .collect();
    let header: Vec<&str> = ["id", "target", "period", "band"]
        .into_iter()
        .chain(PRIOR_POSTERIOR)
        .chain(["P(in band)", "status"])
        .collect();
    page.table(&header, &rows);
    Ok(page)
}
